"""Per-order table of the lifecycle stages, computed by DuckDB or Spark SQL.

Every lifecycle analysis (``customer_stages``, ``transition_matrix``, ``stage_counts``,
``cohort_retention``, ``early_warning``, ``alive_table``) first reduces order lines to one row per
(customer, order) with the order's first day and its summed amount
(:func:`crmlib.analysis.lifecycle.order_days`). The engine computes that table in SQL from
the clean order lines, and only it comes back to pandas; the pandas stage rules then run on
it unchanged and give the same results.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crmlib import config as C
from crmlib.engines.config import EngineConfig

ORDER_COLUMNS = (C.CUSTOMER_ID, C.ORDER_ID, C.ORDER_DATE, C.AMOUNT)


def orders_sql(lines: str) -> str:
    """One row per (customer, order) from clean order lines (same text in both dialects).

    Parameters
    ----------
    lines : str
        Table name or parenthesised query with canonical ``customer_id``, ``order_id``,
        ``order_date`` (timestamp) and ``amount``. Lines without a customer or a date are
        left out and a missing amount counts as 0, as ``order_days`` does.

    Returns
    -------
    str
        A query giving ``customer_id``, ``order_id`` (text), ``order_date`` (the order's
        first day, a date) and ``amount`` (sum of the order's line amounts, double).
    """
    return f"""
SELECT CAST(customer_id AS VARCHAR(64)) AS customer_id, CAST(order_id AS VARCHAR(64)) AS order_id,
       MIN(CAST(order_date AS DATE)) AS order_date,
       SUM(COALESCE(CAST(amount AS DOUBLE), 0.0)) AS amount
FROM {lines}
WHERE customer_id IS NOT NULL AND order_date IS NOT NULL
GROUP BY CAST(customer_id AS VARCHAR(64)), CAST(order_id AS VARCHAR(64))
"""


def tidy_orders(frame: pd.DataFrame) -> pd.DataFrame:
    """An engine's order rows with the data layer's dtypes, in a fixed order.

    Returns
    -------
    pandas.DataFrame
        One row per (customer, order), columns ``customer_id``, ``order_id`` (string),
        ``order_date`` (``datetime64[us]`` at midnight, naive), ``amount`` (float64); sorted
        by customer, day and order id.
    """
    out = frame.loc[:, list(ORDER_COLUMNS)].copy()
    for col in (C.CUSTOMER_ID, C.ORDER_ID):
        out[col] = out[col].astype("string")
    days = pd.to_datetime(out[C.ORDER_DATE])
    if days.dt.tz is not None:
        days = days.dt.tz_convert("UTC").dt.tz_localize(None)
    out[C.ORDER_DATE] = days.dt.normalize().astype("datetime64[us]")
    out[C.AMOUNT] = out[C.AMOUNT].astype("float64")
    keys = [C.CUSTOMER_ID, C.ORDER_DATE, C.ORDER_ID]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def orders_duckdb(source: str | Path, *, config: EngineConfig | None = None) -> pd.DataFrame:
    """The per-order table from clean canonical Parquet/CSV (file or folder), by DuckDB.

    Returns
    -------
    pandas.DataFrame
        As :func:`tidy_orders`.
    """
    from crmlib.engines.duckdb_engine import connect, source_sql

    con = connect(config)
    try:
        return tidy_orders(con.sql(orders_sql(source_sql(source))).df())
    finally:
        con.close()


def orders_spark(spark, lines) -> pd.DataFrame:
    """The per-order table from a Spark DataFrame of clean order lines, by Spark SQL.

    Parameters
    ----------
    lines : pyspark.sql.DataFrame
        Canonical order lines (:func:`crmlib.engines.spark.read_lines` or the kept rows of
        :func:`crmlib.engines.spark.clean_spark`).

    Returns
    -------
    pandas.DataFrame
        As :func:`tidy_orders`.
    """
    lines.createOrReplaceTempView("crm_order_lines")
    return tidy_orders(spark.sql(orders_sql("crm_order_lines")).toPandas())
