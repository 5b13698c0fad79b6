"""Privacy helpers: stable pseudonyms for customer ids, and small-cell suppression.

Pseudonyms are a keyed hash (HMAC-SHA-256) of the identifier, so the same customer gets the
same pseudonym in every table and run that uses the same key, and nobody without the key can
recompute the mapping. The key comes from ``CRM_PSEUDONYM_KEY``; without it a public demo key
is used and :func:`privacy_note` says so.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from crmlib.config import CUSTOMER_ID, pseudonym_key

DEFAULT_MIN_GROUP = 5
PREFIX = "C-"


def pseudonymise(ids: pd.Series, *, key: str | None = None, length: int = 10) -> pd.Series:
    """Replace identifiers by keyed-hash pseudonyms such as ``C-3f9a0c2b1d``.

    Parameters
    ----------
    ids : pandas.Series
        Identifiers of any type; missing values stay missing.
    key : str, optional
        Secret key; default from :func:`crmlib.config.pseudonym_key`.
    length : int
        Hex characters kept (10 = 40 bits, collision-free for millions of customers).

    Returns
    -------
    pandas.Series of str
        Same index and length as ``ids``.
    """
    secret = (key if key is not None else pseudonym_key()[0]).encode("utf-8")
    codes, uniques = pd.factorize(ids.astype("string"), use_na_sentinel=True)
    mapped = [
        PREFIX + hmac.new(secret, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:length]
        for u in uniques
    ]
    values = pd.array(mapped, dtype="string").take(codes, allow_fill=True)
    return pd.Series(values, index=ids.index, name=ids.name, dtype="string")


def pseudonymise_frame(
    frame: pd.DataFrame, columns: tuple[str, ...] = (CUSTOMER_ID,), *, key: str | None = None
) -> pd.DataFrame:
    """Copy of ``frame`` with each identifier column in ``columns`` pseudonymised."""
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = pseudonymise(out[col], key=key)
    return out


def suppress_small(
    table: pd.DataFrame,
    *,
    group: str,
    count: str = "customers",
    k: int = DEFAULT_MIN_GROUP,
    merge_label: str = "Other (small groups)",
    sum_columns: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, str]:
    """Merge groups with fewer than ``k`` customers into one row, so nobody is singled out.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group: a label column ``group`` and a customer count ``count``.
    k : int
        Smallest group shown on its own (default 5).
    merge_label : str
        Label of the merged row.
    sum_columns : tuple of str
        Additive columns summed into the merged row (``count`` always is); other numeric
        columns of the merged row are left empty.

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        The table with small groups merged (the merged row itself is blanked when it still has
        fewer than ``k`` customers), and a note for the reader ("" when nothing was hidden).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    small = table[count] < k
    if not small.any():
        return table.reset_index(drop=True), ""
    kept = table[~small]
    merged = {group: merge_label, count: table.loc[small, count].sum()}
    for col in sum_columns:
        merged[col] = table.loc[small, col].sum()
    n_small = int(small.sum())
    note = (
        f"{n_small} group(s) with fewer than {k} customers are merged into '{merge_label}' "
        "to protect privacy."
    )
    if merged[count] < k:
        merged = {group: merge_label}
        note = f"{n_small} group(s) with fewer than {k} customers are hidden to protect privacy."
    out = pd.concat([kept, pd.DataFrame([merged])], ignore_index=True)
    out[count] = out[count].astype("Int64")
    return out, note


def privacy_note(k: int = DEFAULT_MIN_GROUP) -> str:
    """One sentence on how identifiers and small groups are protected in this output."""
    _, demo = pseudonym_key()
    key_text = (
        "with the public demo key (set CRM_PSEUDONYM_KEY for real data)"
        if demo
        else "with the key from CRM_PSEUDONYM_KEY"
    )
    return (
        f"Customer ids are pseudonymised {key_text}; groups of fewer than {k} customers are "
        "merged or hidden."
    )
