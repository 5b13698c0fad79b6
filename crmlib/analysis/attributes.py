"""Attribute rules: customer attributes as items.

A customer table (age, region, income, product flags, ...) becomes baskets whose items read
``column=value``; numeric columns are cut into labelled bins first (``age=30-45``). Rules with
a target column on the right say which attribute combinations go with it. The decision-tree
profile of a flag (:func:`crmlib.analysis.profile.profile_flag`) shares ``check_columns`` and
``number_text`` from here.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from crmlib import config as C
from crmlib.analysis.baskets import Baskets
from crmlib.analysis.rules import RuleSet, adjust_p, mine_rules
from crmlib.errors import CrmInputError, EmptyResultError

DEFAULT_BINS = 4
BIN_METHODS = ("quantile", "width", "custom")


def _decimals(edges: np.ndarray) -> int:
    """Decimals for bin edges: exact up to about four significant digits, and always distinct."""
    finite = edges[np.isfinite(edges)]
    scale = float(np.abs(finite).max()) if len(finite) else 0.0
    enough = max(0, 3 - math.floor(math.log10(scale))) if scale > 0 else 0
    for places in range(7):
        rounded = np.round(finite, places)
        exact = places >= enough or np.allclose(rounded, finite, rtol=0, atol=1e-9)
        if exact and len(np.unique(rounded)) == len(np.unique(finite)):
            return places
    return 6


def number_text(x: float, places: int) -> str:
    """``x`` with ``places`` decimals, trailing zeros (and a bare point) dropped."""
    text = f"{x:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _bin_labels(name: str, edges: np.ndarray) -> list[str]:
    places = _decimals(edges)
    labels = []
    for lo, hi in itertools.pairwise(edges):
        low, high = number_text(lo, places), number_text(hi, places)
        if np.isneginf(lo):
            labels.append(f"{name}<{high}")
        elif np.isposinf(hi):
            labels.append(f"{name}>={low}")
        else:
            labels.append(f"{name}={low}-{high}" if lo >= 0 else f"{name}={low} to {high}")
    return labels


def _edges(values: np.ndarray, name: str, method: str, bins: int, cuts) -> np.ndarray:
    if method == "custom":
        if cuts is None:
            raise CrmInputError(f"method='custom' needs cuts=[...] (bin edges) for '{name}'.")
        edges = np.asarray(cuts, dtype=np.float64)
        if len(edges) < 2 or not (np.diff(edges) > 0).all():
            raise CrmInputError(
                f"cuts for '{name}' must be at least two increasing edges; got {list(cuts)}."
            )
        outside = int(((values < edges[0]) | (values > edges[-1])).sum())
        if outside:
            raise CrmInputError(
                f"{outside} value(s) of '{name}' lie outside the cuts {list(cuts)}; add -np.inf "
                "or np.inf as the first or last edge to catch them."
            )
        return edges
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise CrmInputError(f"bins must be a whole number of at least 2; got {bins!r}.")
    if method == "quantile":
        return np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)))
    return np.unique(np.linspace(values.min(), values.max(), bins + 1))


def bin_numeric(
    series: pd.Series,
    *,
    method: str = "quantile",
    bins: int = DEFAULT_BINS,
    cuts: Sequence[float] | None = None,
    labels: Sequence[str] | None = None,
) -> pd.Series:
    """Cut a numeric column into labelled bins such as ``age=30-45``.

    Bins are ``[low, high)``, the last one ``[low, high]``. Quantile edges that coincide
    because of ties are merged, so a column with many equal values gets fewer, well-filled bins.

    Parameters
    ----------
    series : pandas.Series
        Numbers; missing values stay missing. Its name prefixes the labels.
    method : {"quantile", "width", "custom"}
        Equal-count bins, equal-width bins, or the edges given in ``cuts``.
    bins : int
        Number of bins asked for (quantile, width).
    cuts : sequence of float, optional
        Bin edges for ``custom``; ``-np.inf``/``np.inf`` ends read ``age<18``/``age>=65``.
    labels : sequence of str, optional
        Names of the bins, low to high (``["young", "middle", "senior"]`` → ``age=young``).

    Returns
    -------
    pandas.Series
        Ordered categorical of labels, same index and name as ``series``.

    Examples
    --------
    >>> bin_numeric(pd.Series([20, 30, 40, 50], name="age"), bins=2).tolist()
    ['age=20-35', 'age=20-35', 'age=35-50', 'age=35-50']
    """
    name = str(series.name) if series.name is not None else "value"
    if method not in BIN_METHODS:
        raise CrmInputError(f"method must be one of {BIN_METHODS}; got {method!r}.")
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise CrmInputError(
            f"Column '{name}' is not numeric ({series.dtype}); use it as a category instead."
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    present = ~np.isnan(values)
    if not present.any():
        raise CrmInputError(f"Column '{name}' has no values to bin.")
    edges = _edges(values[present], name, method, bins, cuts)
    if len(edges) == 1:
        names = [f"{name}={number_text(edges[0], _decimals(edges))}"]
        codes = np.zeros(len(values), dtype=np.int64)
    else:
        names = _bin_labels(name, edges)
        codes = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    if labels is not None:
        if len(labels) != len(names):
            raise CrmInputError(
                f"'{name}' has {len(names)} bins ({', '.join(names)}) but {len(labels)} labels "
                "were given."
            )
        names = [f"{name}={label}" for label in labels]
    codes = np.where(present, codes, -1)
    out = pd.Categorical.from_codes(codes, categories=names, ordered=True)
    return pd.Series(out, index=series.index, name=series.name)


def _value_text(values: pd.Series) -> pd.Series:
    """Values as label text; whole floats lose their ``.0``."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna().apply(float.is_integer).all()
        if whole:
            return values.astype("Int64").astype("string")
    return values.astype("string")


def check_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise CrmInputError naming the ``columns`` that ``frame`` lacks (``what`` says which)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CrmInputError(f"{what} {missing} not found; the table has {list(frame.columns)}.")


def _column_items(
    values: pd.Series, col: str, numeric_bins, method: str, max_levels: int
) -> tuple[np.ndarray, list[str]]:
    """One ``col=value`` label per row (missing stays missing) and the column's items in order."""
    per_column = isinstance(numeric_bins, Mapping)
    spec = numeric_bins.get(col, DEFAULT_BINS) if per_column else numeric_bins
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if (per_column and col in numeric_bins) or (numeric and values.nunique() > max_levels):
        custom = not isinstance(spec, int)
        binned = bin_numeric(
            values.rename(col),
            method="custom" if custom else method,
            bins=DEFAULT_BINS if custom else spec,
            cuts=spec if custom else None,
        )
        return binned.astype("string").to_numpy(), list(binned.cat.categories)
    text = (f"{col}=" + _value_text(values)).astype("string")
    return text.to_numpy(), sorted(text.dropna().unique())


def attribute_baskets(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    numeric_bins: int | Mapping[str, int | Sequence[float]] = DEFAULT_BINS,
    method: str = "quantile",
    max_levels: int = 5,
    id_column: str | None = None,
    customer_column: str | None = None,
) -> Baskets:
    """One basket per row whose items are its attribute values, ``column=value``.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer (or case); not changed.
    columns : sequence of str, optional
        Attribute columns; default all but ``id_column`` and ``customer_column``.
    numeric_bins : int or mapping column → int or edges
        Bins for numeric columns: a count for all (cut by ``method``), or per column a count
        or a list of edges (custom cuts); unlisted numeric columns get 4 quantile bins.
    method : {"quantile", "width"}
        How counted bins are cut, see :func:`bin_numeric`.
    max_levels : int
        Numeric columns with at most this many distinct values (children 0–3, 0/1 flags)
        are kept as categories (``children=2``) rather than binned.
    id_column, customer_column : str, optional
        Columns giving the basket ids (default the index) and the customers.

    Returns
    -------
    Baskets
        Rows = rows of ``frame``; items = ``column=value`` labels, column by column (bins in
        order, categories sorted). Missing values give no item.

    Examples
    --------
    >>> attribute_baskets(customers, ["age", "region", "pep"]).items[:3]  # doctest: +SKIP
    """
    keys = [c for c in (id_column, customer_column) if c]
    columns = [c for c in frame.columns if c not in keys] if columns is None else list(columns)
    check_columns(frame, columns + keys, "Columns")
    if not columns or frame.empty:
        raise CrmInputError("attribute_baskets needs at least one column and one row.")
    labels, vocab = [], []
    for col in columns:
        rows_text, col_items = _column_items(frame[col], col, numeric_bins, method, max_levels)
        labels.append(rows_text)
        vocab.extend(col_items)
    items = pd.Index(pd.unique(pd.Series(vocab, dtype="string")), dtype="string")
    flat = pd.array(np.concatenate(labels), dtype="string")
    rows = np.tile(np.arange(len(frame)), len(columns))
    known = ~pd.isna(flat)
    cols = items.get_indexer(flat[known])
    matrix = sparse.csr_matrix(
        (np.ones(len(cols), dtype=bool), (rows[known], cols)), shape=(len(frame), len(items))
    )
    ids = pd.Index(frame[id_column] if id_column else frame.index)
    customers = (
        pd.Series(frame[customer_column].to_numpy(), name=C.CUSTOMER_ID)
        if customer_column
        else None
    )
    return Baskets(matrix, pd.Index(items.astype(str)), ids, customers)


def attribute_rules(
    frame: pd.DataFrame,
    target: str,
    columns: Sequence[str] | None = None,
    *,
    value: str | None = None,
    numeric_bins: int | Mapping[str, int | Sequence[float]] = DEFAULT_BINS,
    min_support: float | int = 0.05,
    min_confidence: float = 0.5,
    min_lift: float = 1.0,
    max_len: int | None = 4,
    correction: str = "holm",
    alpha: float = 0.05,
) -> RuleSet:
    """Rules ``attributes → target=value``: which attribute combinations go with the target.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer.
    target : str
        Column whose values may only appear on the right-hand side.
    columns : sequence of str, optional
        Attributes allowed on the left; default every other column.
    value : str, optional
        Keep only rules for this target value (``"YES"`` → ``pep=YES``); default all values.
    numeric_bins, min_support, min_confidence, min_lift, max_len, correction, alpha
        See :func:`attribute_baskets` and :func:`~crmlib.analysis.rules.mine_rules`.

    Returns
    -------
    RuleSet
        Rules whose consequent is one ``target=value`` item; p-values are adjusted over these
        rules only, and the funnel counts them.

    Examples
    --------
    >>> attribute_rules(customers, "pep", value="YES", min_support=0.05).rules  # doctest: +SKIP
    """
    check_columns(frame, [target], "Target column")
    if columns is None:
        columns = [c for c in frame.columns if c != target]
    baskets = attribute_baskets(frame, [*columns, target], numeric_bins=numeric_bins)
    _, on_right = _column_items(frame[target], target, numeric_bins, "quantile", 5)
    wanted = on_right if value is None else [f"{target}={value}"]
    unknown = [w for w in wanted if w not in on_right]
    if unknown:
        raise CrmInputError(f"Target value {unknown} not found; the target takes {on_right}.")
    found = mine_rules(
        baskets,
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_len=max_len,
        consequent_only=wanted,
        exclude=[i for i in on_right if i not in wanted],
        correction=correction,
        alpha=alpha,
    )
    keep = found.rules["consequent"].map(lambda c: set(c) <= set(wanted)).astype(bool)
    rules = found.rules[keep].reset_index(drop=True)
    if rules.empty:
        raise EmptyResultError(
            f"No rules with {' or '.join(wanted)} on the right at support {found.min_support:.1%} "
            f"and confidence {min_confidence:.0%}: lower min_support or min_confidence."
        )
    rules["p_adjusted"] = adjust_p(rules["fisher_p"].to_numpy(), correction)
    rules["significant"] = rules["p_adjusted"] < alpha
    funnel = {
        "mined": len(rules),
        "non_redundant": int((~rules["redundant"]).sum()),
        "significant": int((~rules["redundant"] & rules["significant"]).sum()),
    }
    return dataclasses.replace(found, rules=rules, funnel=funnel)
