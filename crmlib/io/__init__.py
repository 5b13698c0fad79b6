"""Data layer: read, map columns, validate, clean. Nothing here imports analysis or charts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from crmlib import config as C
from crmlib.cache import cached, file_fingerprint, fingerprint
from crmlib.io.cleaning import CleaningReport, CleanResult, clean_transactions, customer_rows
from crmlib.io.merge import MergeReport, merge_attributes
from crmlib.io.readers import read_table, resolve_source
from crmlib.io.schema import map_columns

__all__ = [
    "CleanResult",
    "CleaningReport",
    "MergeReport",
    "clean_transactions",
    "customer_rows",
    "load_transactions",
    "map_columns",
    "merge_attributes",
    "read_table",
    "resolve_source",
]

REQUIRED = (C.ORDER_ID, C.ORDER_DATE, C.ITEM, C.QUANTITY)


def load_transactions(
    source: str | Path | None = "embedded:online_retail",
    *,
    columns: Mapping[str, str] | None = None,
    sql: str | None = None,
    table: str | None = None,
    sheet: str | int = 0,
    encoding: str = "utf-8",
    date_format: str | None = None,
    decimal: str = ".",
    cancellation_prefix: str | None = "C",
    use_cache: bool = True,
) -> CleanResult:
    """Read, map, validate and clean a transaction table in one call (cached on disk).

    Parameters
    ----------
    source, sql, table, sheet, encoding
        Where the data is; see :func:`read_table`.
    columns : mapping, optional
        ``{user column: canonical name}``; unnamed canonical columns are found by alias.
    date_format, decimal, cancellation_prefix
        See :func:`clean_transactions`.
    use_cache : bool
        Reuse a stored result for the same file (size and time) and parameters.

    Returns
    -------
    CleanResult
        ``data`` (rows = kept order lines, canonical columns), ``report``, ``dropped``.
    """
    path = resolve_source(source) if source not in (None, "") else None
    params = {
        "columns": dict(columns or {}),
        "sql": sql,
        "table": table,
        "sheet": sheet,
        "encoding": encoding,
        "date_format": date_format,
        "decimal": decimal,
        "cancellation_prefix": cancellation_prefix,
    }
    key = fingerprint(file_fingerprint(path) if path else None, params)

    def compute() -> CleanResult:
        raw = read_table(path, sql=sql, table=table, sheet=sheet, encoding=encoding)
        mapped = map_columns(raw, columns, required=REQUIRED)
        return clean_transactions(
            mapped,
            date_format=date_format,
            decimal=decimal,
            cancellation_prefix=cancellation_prefix,
        )

    return cached("transactions", key, compute, enabled=use_cache and path is not None)
