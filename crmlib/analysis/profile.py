"""Who holds a flag: a shallow decision tree read out as IF ... THEN rules.

Numeric features are split at thresholds, the others by category; each leaf becomes one line
with its support, flag rate, accuracy and lift. scikit-learn is imported only when a profile is
fitted, so importing :mod:`crmlib.analysis` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from crmlib.analysis.attributes import check_columns, number_text

# baskets.py keeps its flag parser private and is not edited here; aliased so that the shared
# use reads as public. Rename it in baskets.py (to as_flag) when that file is next changed.
from crmlib.analysis.baskets import _flag as as_flag
from crmlib.errors import CrmInputError

if TYPE_CHECKING:
    from sklearn.tree import DecisionTreeClassifier

MAX_CATEGORIES = 50  # per categorical feature of the profile tree


def _design(frame: pd.DataFrame, features: Sequence[str]):
    """Tree inputs: numeric columns as they are, one 0/1 column per category of the others.

    Returns the matrix and, per matrix column, ``(column, category or None)``.
    """
    blocks, meta = [], []
    for col in features:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            missing = int(values.isna().sum())
            if missing:
                raise CrmInputError(
                    f"Feature '{col}' has {missing} missing values: fill them, or bin the column "
                    "(bin_numeric) so that missing becomes a category."
                )
            blocks.append(values.to_numpy(dtype=np.float64)[:, np.newaxis])
            meta.append((col, None))
        else:
            text = values.astype("string").fillna("(missing)").to_numpy()
            cats = sorted(set(text))
            if len(cats) > MAX_CATEGORIES:
                raise CrmInputError(
                    f"Feature '{col}' has {len(cats):,} categories (an id?); leave it out of "
                    f"features or group it into at most {MAX_CATEGORIES}."
                )
            blocks.append((text[:, np.newaxis] == np.asarray(cats)[np.newaxis, :]).astype(float))
            meta.extend((col, c) for c in cats)
    return np.hstack(blocks), meta


def _range_text(col: str, low: float, high: float, whole: bool) -> str:
    """``low < col ≤ high`` (open ends left out); whole-number columns read ``45 ≤ age ≤ 60``."""
    if whole:
        lo = None if np.isinf(low) else number_text(math.floor(low) + 1, 0)
        hi = None if np.isinf(high) else number_text(math.floor(high), 0)
        return f"{lo} ≤ {col} ≤ {hi}" if lo and hi else f"{col} ≥ {lo}" if lo else f"{col} ≤ {hi}"
    lo = None if np.isinf(low) else number_text(low, 2)
    hi = None if np.isinf(high) else number_text(high, 2)
    return f"{lo} < {col} ≤ {hi}" if lo and hi else f"{col} > {lo}" if lo else f"{col} ≤ {hi}"


def _category_text(col: str, equal: str | None, differ: list[str], cats: list[str]) -> str:
    if equal is not None:
        return f"{col} = {equal}"
    rest = [c for c in cats if c not in differ]
    if len(rest) == 1:
        return f"{col} = {rest[0]}"
    if len(rest) < len(differ):
        return f"{col} in {{{', '.join(rest)}}}"
    return f"{col} ≠ {differ[0]}" if len(differ) == 1 else f"{col} not in {{{', '.join(differ)}}}"


def _leaf_conditions(model: DecisionTreeClassifier, meta, frame: pd.DataFrame) -> dict[int, str]:
    """Condition text of every leaf, conditions on one column merged into one."""
    tree = model.tree_
    cats: dict[str, list[str]] = {}
    for col, cat in meta:
        if cat is not None:
            cats.setdefault(col, []).append(cat)
    paths: dict[int, list] = {0: []}
    texts = {}
    stack = [0]
    while stack:
        node = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left < 0:
            bounds: dict[str, list] = {}
            for feature, above, cut in paths[node]:
                col, cat = meta[feature]
                entry = bounds.setdefault(col, [-np.inf, np.inf, None, []])
                if cat is None and above:
                    entry[0] = max(entry[0], cut)
                elif cat is None:
                    entry[1] = min(entry[1], cut)
                elif above:
                    entry[2] = cat
                else:
                    entry[3].append(cat)
            parts = []
            for col, (low, high, equal, differ) in bounds.items():
                if col in cats:
                    parts.append(_category_text(col, equal, differ, cats[col]))
                else:
                    whole = bool((frame[col] % 1 == 0).all())
                    parts.append(_range_text(col, low, high, whole))
            texts[node] = " AND ".join(parts) if parts else "all rows"
            continue
        feature, cut = tree.feature[node], tree.threshold[node]
        paths[left] = [*paths[node], (feature, False, cut)]
        paths[right] = [*paths[node], (feature, True, cut)]
        stack.extend([right, left])
    return texts


def profile_flag(
    frame: pd.DataFrame,
    flag: str | pd.Series,
    features: Sequence[str] | None = None,
    *,
    max_depth: int = 3,
    min_leaf: int | float = 0.05,
    label: str | None = None,
) -> pd.DataFrame:
    """Who holds the flag? A shallow decision tree, read out as IF ... THEN rules.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer with the features (and the flag column); not changed.
    flag : str or pandas.Series
        Flag column (T/F, 1/0, yes/no, true/false) or a boolean Series on ``frame``'s index,
        e.g. from :func:`derive_flag`.
    features : sequence of str, optional
        Columns that may explain the flag; default all others. Numeric columns are split at
        thresholds, the others by category.
    max_depth : int
        Conditions per rule at most (1–8).
    min_leaf : int or float
        Smallest leaf: a row count, or a share of rows when below 1.
    label : str, optional
        What the flag is called in the rules; default its name.

    Returns
    -------
    pandas.DataFrame
        One row per leaf, highest flag rate first: ``rule`` (``"IF age ≥ 45 AND region =
        North THEN healthy (support 12.3 %, accuracy 81 %)"``), ``conditions``,
        ``prediction`` (bool), ``rows``, ``support`` (share of all rows), ``flag_rate``,
        ``accuracy`` (share of the leaf the prediction gets right) and ``lift`` (flag rate
        over the overall rate).

    Examples
    --------
    >>> profile_flag(customers, "pep", ["age", "income", "region"], max_depth=2)
    ... # doctest: +SKIP
    """
    if isinstance(flag, str):
        check_columns(frame, [flag], "Flag column")
        target, name = as_flag(frame[flag], flag), flag
    elif isinstance(flag, pd.Series):
        aligned = flag.reindex(frame.index)
        if aligned.isna().any():
            raise CrmInputError("The flag Series must have a value for every row of the table.")
        name = str(flag.name) if flag.name is not None else "flag"
        target = as_flag(aligned, name)
    else:
        raise CrmInputError(f"flag must be a column name or a Series; got {type(flag).__name__}.")
    if features is None:
        features = [c for c in frame.columns if not (isinstance(flag, str) and c == flag)]
    features = list(features)
    check_columns(frame, features, "Feature columns")
    if isinstance(flag, str) and flag in features:
        raise CrmInputError(f"The flag '{flag}' cannot also be a feature.")
    if not features:
        raise CrmInputError("profile_flag needs at least one feature column.")
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or not 1 <= max_depth <= 8:
        raise CrmInputError(f"max_depth must be a whole number from 1 to 8; got {max_depth!r}.")
    share = isinstance(min_leaf, float) and 0 < min_leaf < 1
    if isinstance(min_leaf, bool) or not (share or (isinstance(min_leaf, int) and min_leaf >= 1)):
        raise CrmInputError(
            f"min_leaf must be a row count (≥ 1) or a share of rows (0 < x < 1); got {min_leaf!r}."
        )
    y = target.to_numpy(dtype=bool)
    if y.all() or not y.any():
        raise CrmInputError(
            f"The flag '{name}' is {bool(y[0])} for all {len(y):,} rows: there is nothing to "
            "tell apart."
        )
    from sklearn.tree import DecisionTreeClassifier  # here: importing sklearn is slow

    x, meta = _design(frame, features)
    model = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=0)
    model.fit(x, y)
    texts = _leaf_conditions(model, meta, frame)
    leaves = pd.DataFrame({"leaf": model.apply(x), "flag": y}).groupby("leaf")["flag"]
    stats = leaves.agg(rows="size", flag_rate="mean")
    out = pd.DataFrame(
        {
            "conditions": [texts[i] for i in stats.index],
            "prediction": stats["flag_rate"].to_numpy() > 0.5,
            "rows": stats["rows"].to_numpy(),
            "support": stats["rows"].to_numpy() / len(y),
            "flag_rate": stats["flag_rate"].to_numpy(),
        }
    )
    out["accuracy"] = np.where(out["prediction"], out["flag_rate"], 1 - out["flag_rate"])
    out["lift"] = out["flag_rate"] / y.mean()
    said = label or name
    then = np.where(out["prediction"], said, f"not {said}")
    out.insert(
        0,
        "rule",
        [
            f"IF {c} THEN {t} (support {s:.1%}, accuracy {a:.0%})".replace("%", " %")
            for c, t, s, a in zip(
                out["conditions"], then, out["support"], out["accuracy"], strict=True
            )
        ],
    )
    out = out.sort_values(["flag_rate", "support"], ascending=False, kind="stable")
    return out.reset_index(drop=True)
