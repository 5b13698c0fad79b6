"""Map a user's column names onto canonical names, and coerce the canonical columns' types."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from crmlib import config as C
from crmlib.errors import CrmInputError

# Share of non-blank values that may fail to parse before a whole column is called malformed.
MAX_BAD_SHARE = 0.05


def _norm(name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def map_columns(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    required: Iterable[str] = (),
    table: str = "transactions",
) -> pd.DataFrame:
    """Rename a table's columns to canonical names.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read, any column names.
    columns : mapping, optional
        ``{user column: canonical name}``. Canonical columns not named here are looked up by
        common aliases ("InvoiceNo", "Customer ID", "qty", ...); other columns keep their names.
    required : iterable of str
        Canonical names that must be present after mapping.
    table : str
        Name of the table, used in messages.

    Returns
    -------
    pandas.DataFrame
        A renamed copy (same rows); the caller's frame is not changed.

    Raises
    ------
    CrmInputError
        A mapped column is missing, two columns map to one name, or a required one is absent;
        the message lists the columns found and shows how to map them.
    """
    columns = dict(columns or {})
    found = [str(c) for c in frame.columns]
    missing_src = [src for src in columns if src not in found]
    if missing_src:
        raise CrmInputError(
            f"The column mapping for table '{table}' names {missing_src}, which the table does not "
            f"have. Columns found: {found}."
        )
    rename = {src: dst for src, dst in columns.items()}
    taken = set(rename.values())
    by_norm = {_norm(c): c for c in found if c not in rename}
    for canonical, aliases in C.COLUMN_ALIASES.items():
        if canonical in taken:
            continue
        for alias in (canonical, *aliases):
            src = by_norm.get(_norm(alias))
            if src is not None and src not in rename:
                rename[src] = canonical
                taken.add(canonical)
                break
    targets = pd.Series(list(rename.values()))
    doubled = sorted(set(targets[targets.duplicated()]))
    if doubled:
        srcs = {d: [s for s, t in rename.items() if t == d] for d in doubled}
        raise CrmInputError(f"Table '{table}': several columns map to the same name: {srcs}.")
    out = frame.rename(columns=rename)
    absent = [name for name in required if name not in out.columns]
    if absent:
        example = ", ".join(f"'<your column>': '{a}'" for a in absent)
        raise CrmInputError(
            f"Table '{table}' has no column for {absent}. Columns found: {found}. "
            f"Map them with columns={{{example}}}."
        )
    return out


def _report_bad(table: str, column: str, raw: pd.Series, bad: pd.Series, hint: str) -> None:
    blank = raw.isna() | (raw.astype("string").str.strip() == "")
    n_values = int((~blank).sum())
    n_bad = int(bad.sum())
    if n_values and n_bad / n_values > MAX_BAD_SHARE:
        examples = raw[bad].astype(str).unique()[:3].tolist()
        rows = (np.flatnonzero(bad.to_numpy())[:3] + 2).tolist()
        raise CrmInputError(
            f"Table '{table}', column '{column}': {n_bad:,} of {n_values:,} values cannot be read "
            f"(e.g. {examples} on lines {rows}). {hint}"
        )


def to_number(
    raw: pd.Series, *, table: str, column: str, decimal: str = "."
) -> tuple[pd.Series, pd.Series]:
    """Parse a column of numbers.

    Returns
    -------
    tuple of (Series of float, Series of bool)
        The values (NaN where unreadable) and a mask of non-blank values that could not be read.

    Raises
    ------
    CrmInputError
        More than 5 % of the non-blank values are unreadable: the format is wrong.
    """
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.astype("float64")
        return values, pd.Series(False, index=raw.index)
    text = raw.astype("string").str.strip()
    if decimal != ".":
        text = text.str.replace(".", "", regex=False).str.replace(decimal, ".", regex=False)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = values.isna() & text.notna() & (text != "")
    hint = (
        "Numbers must use '.' as the decimal mark and no thousands separator; "
        "for '1.234,56' style pass decimal=','."
        if decimal == "."
        else "Check the column mapping and the decimal mark."
    )
    _report_bad(table, column, raw, bad.fillna(False), hint)
    return values, bad.fillna(False).astype(bool)


def to_datetime(
    raw: pd.Series, *, table: str, column: str, date_format: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse a column of dates or timestamps (ISO by default, or ``date_format``).

    Returns
    -------
    tuple of (Series of datetime64, Series of bool)
        The timestamps (NaT where unreadable) and a mask of non-blank unreadable values.

    Raises
    ------
    CrmInputError
        More than 5 % of the non-blank values are unreadable: the format is wrong.
    """
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw, pd.Series(False, index=raw.index)
    text = raw.astype("string").str.strip()
    fmt = date_format or "ISO8601"
    values = pd.to_datetime(text, format=fmt, errors="coerce")
    bad = (values.isna() & text.notna() & (text != "")).fillna(False).astype(bool)
    _report_bad(
        table,
        column,
        raw,
        bad,
        "Dates must look like 2011-12-09 12:50:00, or pass their format, "
        "e.g. date_format='%d/%m/%Y %H:%M'.",
    )
    return values, bad


def to_identifier(raw: pd.Series) -> pd.Series:
    """Normalise identifiers to text: trim, blank to missing, ``17850.0`` to ``17850``."""
    text = raw.astype("string").str.strip()
    text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return text.mask(text == "")
