"""The data layer's cleaning rules as SQL, written once for DuckDB and Spark SQL.

:func:`crmlib.io.clean_transactions` in SQL, so an engine can start from the raw file
(Online Retail CSV or Parquet, any column names the data layer recognises) instead of clean
canonical Parquet. Rules, in the order they are tested (a row counts under the first):
duplicate line (all raw columns equal), unreadable date, unreadable number, cancellation
(order id starting with the prefix), sale reversed exactly by a later cancellation of the
same customer, item, price and quantity, non-product code, quantity <= 0, price <= 0; a
missing customer is a flag. Ties between equal sales are broken by file order, as pandas
does (``__rn``: the row number in the file, added by the engine when reading).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from crmlib import config as C
from crmlib.engines.config import EngineError
from crmlib.errors import CrmInputError
from crmlib.io.cleaning import NON_PRODUCT_CODES, NON_PRODUCT_PATTERNS, REASONS, CleaningReport
from crmlib.io.schema import MAX_BAD_SHARE, map_columns

ROW = "__rn"
# ISO dates as the data layer reads them by default (DuckDB alone would also take 03/01/03)
ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$"
TYPED = (C.ORDER_DATE, C.QUANTITY, C.UNIT_PRICE, C.AMOUNT)
CANONICAL = (C.ORDER_ID, C.ORDER_DATE, C.ITEM, C.DESCRIPTION, C.QUANTITY, C.UNIT_PRICE,
             C.AMOUNT, C.CUSTOMER_ID, C.COUNTRY)  # fmt: skip
QUOTE = {"duckdb": '"', "spark": "`"}
GROUP = {"duckdb": "\\1", "spark": "$1"}  # back-reference in regexp_replace
MATCH = {"duckdb": "regexp_matches({x}, '{p}')", "spark": "({x} RLIKE '{p}')"}


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _pattern(pattern: str, dialect: str) -> str:
    """A regular expression inside a SQL string (Spark reads backslashes as escapes)."""
    text = pattern.replace("'", "''")
    return text.replace("\\", "\\\\") if dialect == "spark" else text


def mapping(raw_columns: Sequence[str], columns: dict | None = None) -> dict[str, str]:
    """``{canonical name: raw column}`` as :func:`crmlib.io.map_columns` maps them.

    Raises
    ------
    CrmInputError
        A required column (order, date, item, quantity) cannot be found.
    """
    from crmlib.io import REQUIRED

    empty = pd.DataFrame(columns=[c for c in raw_columns if c != ROW])
    mapped = map_columns(empty, columns, required=REQUIRED)
    if C.UNIT_PRICE not in mapped.columns and C.AMOUNT not in mapped.columns:
        raise EngineError(f"The table needs a unit price or an amount column; found {raw_columns}.")
    return {new: old for old, new in zip(empty.columns, mapped.columns, strict=True)
            if new in CANONICAL}  # fmt: skip


def clean_sql(
    raw: str,
    raw_columns: Sequence[str],
    dialect: str,
    *,
    columns: dict | None = None,
    cancellation_prefix: str | None = "C",
    non_product_codes: Iterable[str] = NON_PRODUCT_CODES,
    non_product_patterns: Iterable[str] = NON_PRODUCT_PATTERNS,
) -> str:
    """Every raw row with typed canonical columns and ``reason`` (NULL when kept).

    Parameters
    ----------
    raw : str
        Table of the file as read (text or typed columns) plus the row number ``__rn``.
    raw_columns : sequence of str
        Its columns (``__rn`` included or not).
    dialect : {"duckdb", "spark"}

    Returns
    -------
    str
        A query: one row per raw row, columns ``order_id``, ``order_date`` (timestamp),
        ``item``, ``description``, ``quantity``, ``unit_price``, ``amount`` (doubles),
        ``customer_id``, ``country``, ``has_customer``, ``reason``, ``__rn`` and one boolean
        ``m_<reason>`` per rule (the rule matches, whatever came first).
    """
    q = QUOTE[dialect]
    src = mapping(raw_columns, columns)
    every = ", ".join(f"{q}{c}{q}" for c in raw_columns if c != ROW)

    def text(name: str) -> str:
        return f"NULLIF(TRIM(CAST({q}{src[name]}{q} AS VARCHAR(1000))), '')" if name in src \
            else "CAST(NULL AS VARCHAR(1000))"  # fmt: skip

    def ident(name: str) -> str:
        return f"regexp_replace({text(name)}, '^([0-9]+)[.]0+$', '{GROUP[dialect]}')"

    def number(name: str) -> str:
        return f"TRY_CAST({text(name)} AS DOUBLE)"

    iso = MATCH[dialect].format(x=text(C.ORDER_DATE), p=ISO_DATE)
    when = f"CASE WHEN {iso} THEN TRY_CAST({text(C.ORDER_DATE)} AS TIMESTAMP) END"
    typed = ", ".join(
        f"{text(n)} IS NOT NULL AS v_{n}, "
        f"{text(n)} IS NOT NULL AND {cast} IS NULL AS b_{n}"
        for n, cast in ((C.ORDER_DATE, f"{when}"),
                        *((n, number(n)) for n in (C.QUANTITY, C.UNIT_PRICE, C.AMOUNT)))
        if n in src
    )  # fmt: skip
    bad_number = " OR ".join(f"({text(n)} IS NOT NULL AND {number(n)} IS NULL)"
                             for n in (C.QUANTITY, C.UNIT_PRICE, C.AMOUNT) if n in src)  # fmt: skip
    price = number(C.UNIT_PRICE) if C.UNIT_PRICE in src else \
        f"{number(C.AMOUNT)} / NULLIF({number(C.QUANTITY)}, 0)"  # fmt: skip
    amount = number(C.AMOUNT) if C.AMOUNT in src else f"{number(C.QUANTITY)} * {price}"
    codes = ", ".join(_lit(c) for c in non_product_codes) or "NULL"
    product = [f"item IN ({codes})"] + [
        MATCH[dialect].format(x="item", p=_pattern(p, dialect)) for p in non_product_patterns
    ]
    prefix = (
        f"COALESCE(order_id LIKE {_lit(cancellation_prefix + '%')}, FALSE)"
        if cancellation_prefix else "FALSE"
    )  # fmt: skip
    keys = ("customer_id", "item", "unit_price")
    on = " AND ".join(f"s.{k} = c.{k}" for k in keys) + " AND s.quantity = c.quantity"
    flags = [f"m_{k}" for k in REASONS]
    first = " ".join(f"WHEN m_{k} THEN '{k}'" for k, (a, _) in REASONS.items() if a == "dropped")
    return f"""
WITH r AS (
  SELECT {ROW}, ROW_NUMBER() OVER (PARTITION BY {every} ORDER BY {ROW}) > 1 AS m_duplicate,
         {ident(C.ORDER_ID)} AS order_id,
         {when} AS order_date,
         {text(C.ORDER_DATE)} IS NOT NULL
           AND {when} IS NULL AS m_bad_date,
         COALESCE({bad_number}, FALSE) AS m_bad_number, {typed},
         {text(C.ITEM)} AS item, {text(C.DESCRIPTION)} AS description,
         {number(C.QUANTITY)} AS quantity, {price} AS unit_price, {amount} AS amount,
         {ident(C.CUSTOMER_ID)} AS customer_id, {text(C.COUNTRY)} AS country
  FROM {raw}
),
t AS (
  SELECT *, {prefix} AS m_cancellation,
         NOT (m_duplicate OR m_bad_date OR m_bad_number) AS usable
  FROM r
),
c AS (
  SELECT customer_id, item, unit_price, -quantity AS quantity, COUNT(*) AS n,
         MAX(order_date) AS last_cancel
  FROM t WHERE m_cancellation AND usable AND customer_id IS NOT NULL
  GROUP BY customer_id, item, unit_price, -quantity
),
s AS (
  SELECT s.{ROW}, c.n,
         ROW_NUMBER() OVER (PARTITION BY s.customer_id, s.item, s.unit_price, s.quantity
                            ORDER BY s.order_date DESC, s.{ROW}) AS k
  FROM t AS s JOIN c ON {on}
  WHERE NOT s.m_cancellation AND s.usable AND s.quantity > 0 AND s.order_date <= c.last_cancel
),
m AS (
  SELECT t.*, COALESCE(s.k <= s.n, FALSE) AS m_reversed,
         COALESCE({" OR ".join(product)}, FALSE) AS m_non_product,
         COALESCE(t.quantity <= 0, FALSE) AS m_non_positive_quantity,
         COALESCE(COALESCE(t.unit_price, t.amount) <= 0, FALSE) AS m_non_positive_price,
         t.customer_id IS NULL AS m_missing_customer
  FROM t LEFT JOIN s ON t.{ROW} = s.{ROW}
)
SELECT {ROW}, order_id, order_date, item, description, quantity, unit_price, amount,
       customer_id, country, customer_id IS NOT NULL AS has_customer,
       CASE {first} ELSE NULL END AS reason, {", ".join(flags)},
       {", ".join(f"v_{n}, b_{n}" for n in TYPED if n in src)}
FROM m
"""


def counts_sql(flagged: str, columns: Sequence[str]) -> str:
    """One row of totals from :func:`clean_sql`'s table (with ``columns``): ``rows_in``,
    ``rows_out``, ``customer_rows``, per reason ``r_<reason>`` (first reason) and
    ``m_<reason>``, and per typed column ``v_<column>`` (non-blank) and ``b_<column>``
    (unreadable)."""
    kept = "SUM(CASE WHEN reason IS NULL {} THEN 1 ELSE 0 END)"
    parts = ["COUNT(*) AS rows_in", f"{kept.format('')} AS rows_out",
             f"{kept.format('AND has_customer')} AS customer_rows"]  # fmt: skip
    for name in TYPED:
        if f"b_{name}" in columns:
            parts.append(f"SUM(CASE WHEN v_{name} THEN 1 ELSE 0 END) AS v_{name}")
            parts.append(f"SUM(CASE WHEN b_{name} THEN 1 ELSE 0 END) AS b_{name}")
    for key, (action, _) in REASONS.items():
        first = f"reason = '{key}'" if action == "dropped" else f"reason IS NULL AND m_{key}"
        parts.append(f"SUM(CASE WHEN {first} THEN 1 ELSE 0 END) AS r_{key}")
        parts.append(f"SUM(CASE WHEN m_{key} THEN 1 ELSE 0 END) AS m_{key}")
    return f"SELECT {', '.join(parts)} FROM {flagged}"


def report_from_counts(row: dict, table: str = "transactions") -> CleaningReport:
    """The data layer's :class:`CleaningReport` from :func:`counts_sql`'s row.

    Raises
    ------
    CrmInputError
        More than 5 % of a column's non-blank values cannot be read (the data layer's rule:
        the format is wrong, not a few lines).
    """
    for name in TYPED:
        n_values, n_bad = int(row.get(f"v_{name}") or 0), int(row.get(f"b_{name}") or 0)
        if n_values and n_bad / n_values > MAX_BAD_SHARE:
            raise CrmInputError(
                f"Table '{table}', column '{name}': {n_bad:,} of {n_values:,} values cannot be "
                "read. Dates must look like 2011-12-09 12:50:00 and numbers use '.' as the "
                "decimal mark with no thousands separator; clean with engine='local' to pass a "
                "date_format or decimal."
            )
    records = [{"reason": key, "action": action, "description": text,
                "rows": int(row[f"r_{key}"] or 0), "rows_matching": int(row[f"m_{key}"] or 0)}
               for key, (action, text) in REASONS.items()]  # fmt: skip
    return CleaningReport(
        rows_in=int(row["rows_in"]), rows_out=int(row["rows_out"] or 0),
        customer_rows=int(row["customer_rows"] or 0), table=pd.DataFrame.from_records(records),
    )  # fmt: skip


KEPT = ("order_id", "order_date", "item", "description", "quantity", "unit_price", "amount",
        "customer_id", "country", "has_customer")  # fmt: skip


def kept_sql(flagged: str) -> str:
    """Kept rows (canonical columns, file order) of :func:`clean_sql`'s table."""
    return f"SELECT {', '.join(KEPT)} FROM {flagged} WHERE reason IS NULL"
