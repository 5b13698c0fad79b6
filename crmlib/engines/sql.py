"""SQL of the per-customer aggregates, written once for DuckDB and Spark SQL.

The statements reproduce :func:`crmlib.analysis.rfm.rfm_table`, :func:`rfm_scores` (ties
shared: SQL ``RANK()`` is pandas' ``rank(method="min")``) and
:func:`crmlib.analysis.segments.assign_segments`, so an engine returns the same table as the
local engine without bringing order lines into pandas. Only the two date functions differ
between the dialects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from crmlib.analysis.rfm import (
    FIRST_ORDER,
    FREQUENCY,
    LAST_ORDER,
    MONETARY,
    MONETARY_AVG,
    RECENCY,
    RFM_CODE,
    SCORE_COLUMNS,
    TENURE,
)
from crmlib.analysis.segments import DEFAULT_SEGMENTS, DIMENSIONS, SEGMENT, UNMATCHED
from crmlib.errors import CrmInputError

DIALECTS: dict[str, dict[str, str]] = {
    "duckdb": {
        "next_day": "CAST(MAX(d) + INTERVAL 1 DAY AS DATE)",
        "days": "date_diff('day', {start}, {end})",
    },
    "spark": {"next_day": "date_add(MAX(d), 1)", "days": "datediff({end}, {start})"},
}
RFM_COLUMNS = (
    "customer_id", RECENCY, FREQUENCY, MONETARY, MONETARY_AVG, TENURE, FIRST_ORDER, LAST_ORDER,
)  # fmt: skip


def _observation(observation_date: str | pd.Timestamp | None, dialect: str) -> str:
    if observation_date in (None, ""):
        return f"SELECT {DIALECTS[dialect]['next_day']} AS obs_day FROM l"
    try:
        day = pd.Timestamp(observation_date)
    except (ValueError, TypeError):
        day = pd.NaT
    if day is pd.NaT:
        raise CrmInputError(
            f"The observation date must be a date like 2011-12-10; got {observation_date!r}."
        )
    return f"SELECT DATE '{day:%Y-%m-%d}' AS obs_day"


def rfm_sql(lines: str, dialect: str, observation_date: str | pd.Timestamp | None = None) -> str:
    """One row per customer, the columns of ``rfm_table``, from a table of order lines.

    Parameters
    ----------
    lines : str
        Table name or a parenthesised query with canonical ``customer_id``, ``order_id``,
        ``order_date`` (timestamp) and ``amount``; lines without a customer, a date or an
        amount, and negative amounts, are left out (as ``rfm_table(invalid="drop")``).
    dialect : {"duckdb", "spark"}
    observation_date : str, optional
        Default: the day after the last order.

    Returns
    -------
    str
        A query giving ``customer_id``, ``recency_days``, ``frequency``, ``monetary_total``,
        ``monetary_avg``, ``tenure_days``, ``first_order``, ``last_order``.
    """
    days = DIALECTS[dialect]["days"]
    return f"""
WITH l AS (
  SELECT CAST(customer_id AS VARCHAR(64)) AS customer_id, order_id, order_date AS w,
         CAST(order_date AS DATE) AS d, CAST(amount AS DOUBLE) AS a
  FROM {lines}
  WHERE customer_id IS NOT NULL AND order_date IS NOT NULL AND amount IS NOT NULL
    AND amount >= 0
),
obs AS ({_observation(observation_date, dialect)}),
o AS (
  SELECT customer_id, order_id, MIN(w) AS w, MIN(d) AS d, SUM(a) AS a
  FROM l CROSS JOIN obs WHERE d <= obs_day GROUP BY customer_id, order_id
)
SELECT customer_id,
       CAST({days.format(start="MAX(d)", end="MIN(obs_day)")} AS BIGINT) AS {RECENCY},
       CAST(COUNT(*) AS BIGINT) AS {FREQUENCY},
       SUM(a) AS {MONETARY},
       SUM(a) / COUNT(*) AS {MONETARY_AVG},
       CAST({days.format(start="MIN(d)", end="MIN(obs_day)")} AS BIGINT) AS {TENURE},
       MIN(w) AS {FIRST_ORDER}, MAX(w) AS {LAST_ORDER}
FROM o CROSS JOIN obs
GROUP BY customer_id
"""


def scores_sql(rfm: str, bins: int = 5) -> str:
    """Add ``r_score``, ``f_score``, ``m_score`` (1..bins by rank, ties shared) and
    ``rfm_code`` to a table with the columns of :func:`rfm_sql` (same in both dialects)."""
    if not isinstance(bins, int) or isinstance(bins, bool) or not 2 <= bins <= 9:
        raise CrmInputError(f"bins must be a whole number from 2 to 9; got {bins!r}.")
    order = {SCORE_COLUMNS[0]: f"{RECENCY} DESC", SCORE_COLUMNS[1]: FREQUENCY,
             SCORE_COLUMNS[2]: MONETARY}  # fmt: skip
    parts = [
        f"CAST(FLOOR((RANK() OVER (ORDER BY {key}) - 1) * {bins} * 1.0 / COUNT(*) OVER ()) + 1 "
        f"AS BIGINT) AS {name}"
        for name, key in order.items()
    ]
    code = " || ".join(f"CAST({name} AS VARCHAR(1))" for name in SCORE_COLUMNS)
    return f"SELECT *, {code} AS {RFM_CODE} FROM (SELECT *, {', '.join(parts)} FROM {rfm}) AS s"


def segment_case(rules: Sequence[Mapping[str, Any]] | None = None) -> str:
    """``CASE`` expression naming each customer's segment, first matching rule wins."""
    from crmlib.analysis.segments import _check_rules

    rules = _check_rules(DEFAULT_SEGMENTS if rules is None else rules)
    whens = []
    for rule in rules:
        tests = [
            f"{col} BETWEEN {int(rule[key][0])} AND {int(rule[key][1])}"
            for key, col in DIMENSIONS.items()
            if rule.get(key) is not None
        ]
        name = str(rule["name"]).replace("'", "''")
        whens.append(f"WHEN {' AND '.join(tests) or 'TRUE'} THEN '{name}'")
    return f"CASE {' '.join(whens)} ELSE '{UNMATCHED}' END"


def segment_totals_sql(scored: str, rules: Sequence[Mapping[str, Any]] | None = None) -> str:
    """Per segment: ``segment``, ``customers``, ``revenue`` and mean R, F, M (small result)."""
    return f"""
SELECT {SEGMENT}, COUNT(*) AS customers, SUM({MONETARY}) AS revenue,
       AVG({RECENCY}) AS mean_recency_days, AVG({FREQUENCY}) AS mean_frequency,
       AVG({MONETARY}) AS mean_monetary
FROM (SELECT *, {segment_case(rules)} AS {SEGMENT} FROM {scored}) AS g
GROUP BY {SEGMENT}
"""


def tidy_rfm(frame: pd.DataFrame) -> pd.DataFrame:
    """An engine's RFM rows with the local table's order and dtypes (sorted by customer id).

    Returns
    -------
    pandas.DataFrame
        Columns and dtypes of ``rfm_table``: ``customer_id`` string, counts int64, amounts
        float64, order times ``datetime64[us]`` (naive).
    """
    out = frame.loc[:, list(RFM_COLUMNS)].copy()
    out["customer_id"] = out["customer_id"].astype("string")
    for col in (RECENCY, FREQUENCY, TENURE):
        out[col] = out[col].astype("int64")
    for col in (MONETARY, MONETARY_AVG):
        out[col] = out[col].astype("float64")
    for col in (FIRST_ORDER, LAST_ORDER):
        values = pd.to_datetime(out[col])
        if values.dt.tz is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        out[col] = values.astype("datetime64[us]")
    out = out.sort_values("customer_id", kind="stable").reset_index(drop=True)
    out.attrs["notes"] = []
    return out


def summary_from_totals(
    totals: pd.DataFrame,
    rules: Sequence[Mapping[str, Any]] | None = None,
    *,
    k: int = 5,
) -> tuple[pd.DataFrame, str]:
    """The table of ``segment_summary`` from per-segment totals (:func:`segment_totals_sql`).

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        Rows in rule order with shares, descriptions and actions; small segments merged for
        privacy, and the privacy note.
    """
    from crmlib.analysis.segments import _check_rules
    from crmlib.privacy import suppress_small

    rules = _check_rules(DEFAULT_SEGMENTS if rules is None else rules)
    order = {str(r["name"]): i for i, r in enumerate(rules)}
    text = {str(r["name"]): (r.get("description", ""), r.get("action", "")) for r in rules}
    out = totals.copy()
    out[SEGMENT] = out[SEGMENT].astype(str)
    out["customers"] = out["customers"].astype("int64")
    out = out.sort_values(SEGMENT, key=lambda s: s.map(order).fillna(len(order)))
    out = out.reset_index(drop=True)
    total_customers, total_revenue = out["customers"].sum(), float(out["revenue"].sum())
    out.insert(2, "customer_share", out["customers"] / total_customers)
    out.insert(4, "revenue_share", out["revenue"] / total_revenue if total_revenue else 0.0)
    out["description"] = [text.get(s, ("", ""))[0] for s in out[SEGMENT]]
    out["action"] = [text.get(s, ("", ""))[1] for s in out[SEGMENT]]
    return suppress_small(
        out, group=SEGMENT, count="customers", k=k,
        sum_columns=("customer_share", "revenue", "revenue_share"),
    )  # fmt: skip
