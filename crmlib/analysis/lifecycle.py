"""Customer lifecycle: a stage per customer and period, transitions, cohorts and early warnings.

:func:`customer_stages` turns order lines into one row per customer × period (from the
customer's first order to the end of the data) with a lifecycle stage decided by
:data:`DEFAULT_STAGE_RULES`. :func:`stage_counts` and :func:`transition_matrix` summarise those
rows; :func:`cohort_retention` follows acquisition cohorts; :func:`early_warning` lists the
customers who are overdue compared with their own rhythm, with the value at risk. No function
changes its input; notes for the reader are kept in ``attrs["notes"]``.

Stages are decided at the *end* of each period (the last period ends at the as-of day), only
from orders placed until then, so a stage never depends on the future.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmlib import config as C
from crmlib.analysis.attributes import check_columns
from crmlib.errors import CrmInputError, EmptyResultError

STAGES = ("potential", "new", "active", "reactivated", "quiet", "at_risk", "churned")
"""Stage names, in reading order."""

DEFAULT_STAGE_RULES: dict[str, Any] = {
    # A customer is churned when their last order is more than this many days before the end
    # of the period.
    "churn_days": 180,
    # At risk: no order for longer than multiple × the customer's usual (median) gap between
    # order days, and longer than the floor, but not yet churned.
    "at_risk_multiple": 2.0,
    "at_risk_floor_days": 30,
    # Usual gap assumed for customers with a single order day so far.
    "default_gap_days": 60,
    # Value at risk in early_warning: average spend per month of tenure × these months.
    "value_horizon_months": 12,
}
"""Business rules of the lifecycle stages (copy and change a value to use other rules).

Stages, checked in this order for every customer at the end of every period:

``new``
    The customer's first order is in the period.
``reactivated``
    Ordered in the period, and the stage at the end of the previous period was ``churned``.
``active``
    Ordered in the period (otherwise).
``churned``
    No order in the period and the last order is more than ``churn_days`` (180) days before the
    end of the period.
``at_risk``
    No order in the period and the days since the last order exceed both
    ``at_risk_multiple`` (2) × the customer's usual gap and ``at_risk_floor_days`` (30). The
    usual gap is the median number of days between the customer's distinct order days so far
    (several orders on one day count as one); with one order day so far it is
    ``default_gap_days`` (60).
``quiet``
    No order in the period, still within the customer's usual rhythm.
``potential``
    Known customers without any order (only when ``customers=`` lists them).

``value_horizon_months`` (12) is used by :func:`early_warning` only.
"""

CUSTOMER = C.CUSTOMER_ID
PERIOD = "period"
STAGE = "stage"
ORDERS = "orders"
REVENUE = "revenue"
DAYS_SINCE = "days_since_last_order"
USUAL_GAP = "usual_gap_days"
RISK_AFTER = "at_risk_after_days"


def resolve_rules(rules: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(DEFAULT_STAGE_RULES)
    if rules:
        unknown = sorted(set(rules) - set(DEFAULT_STAGE_RULES))
        if unknown:
            raise CrmInputError(
                f"Unknown lifecycle rule(s) {unknown}; the rules are "
                f"{sorted(DEFAULT_STAGE_RULES)} (see DEFAULT_STAGE_RULES)."
            )
        merged.update(rules)
    for name, value in merged.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise CrmInputError(
                f"Lifecycle rule '{name}' must be a positive number; got {value!r}."
            )
    return merged


def period_freq(period: str) -> str:
    try:
        pd.Period("2011-01-15", freq=period)
    except (ValueError, TypeError):
        raise CrmInputError(
            f"period must be a pandas period code such as 'M' (month), 'Q' (quarter) or "
            f"'W' (week); got {period!r}."
        ) from None
    return period


def order_days(
    data: pd.DataFrame, customer: str, order: str, date: str, amount: str, name: str
) -> pd.DataFrame:
    """One row per (customer, order): its day and its amount. Raises on unusable input."""
    check_columns(data, [customer, order, date, amount], f"{name}: columns")
    if not pd.api.types.is_datetime64_any_dtype(data[date]):
        raise CrmInputError(
            f"{name}: column '{date}' holds {data[date].dtype} values, not dates. Read the data "
            "with crmlib.io.load_transactions or convert it with pandas.to_datetime."
        )
    lines = data.loc[data[customer].notna() & data[date].notna(), [customer, order, date, amount]]
    if lines.empty:
        raise EmptyResultError(
            f"{name}: no order line has both a customer id ('{customer}') and a date, so there "
            "is no lifecycle to follow. Map the customer column when reading the data."
        )
    dates = lines[date]
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    frame = pd.DataFrame(
        {
            CUSTOMER: lines[customer].astype("string"),
            "_order": lines[order].astype("string"),
            "_day": dates.dt.normalize(),
            "_amount": pd.to_numeric(lines[amount], errors="coerce").fillna(0.0),
        }
    )
    return (
        frame.groupby([CUSTOMER, "_order"], sort=False, observed=True)
        .agg(_day=("_day", "min"), _amount=("_amount", "sum"))
        .reset_index()
    )


def as_of_day(orders: pd.DataFrame, as_of, name: str) -> pd.Timestamp:
    if as_of is None:
        return orders["_day"].max() + pd.Timedelta(days=1)
    try:
        day = pd.Timestamp(as_of)
    except (ValueError, TypeError):
        day = pd.NaT
    if day is pd.NaT:
        raise CrmInputError(f"{name}: as_of must be a date like 2011-12-10; got {as_of!r}.")
    if day.tz is not None:
        day = day.tz_localize(None)
    day = day.normalize()
    if day <= orders["_day"].min():
        raise EmptyResultError(
            f"{name}: as_of {day:%Y-%m-%d} is not after the first order "
            f"({orders['_day'].min():%Y-%m-%d}); pick a later day or leave it empty."
        )
    return day


def usual_gaps(orders: pd.DataFrame, default_gap: float) -> pd.DataFrame:
    """Per customer and distinct order day: the median gap between order days so far."""
    days = orders[[CUSTOMER, "_day"]].drop_duplicates().sort_values([CUSTOMER, "_day"])
    gaps = days.groupby(CUSTOMER, sort=False)["_day"].diff().dt.days
    days = days.assign(_gap=gaps)
    median = (
        days.groupby(CUSTOMER, sort=False)["_gap"]
        .expanding()
        .median()
        .reset_index(level=0, drop=True)
    )
    days["_usual"] = median.reindex(days.index).fillna(float(default_gap))
    return days[[CUSTOMER, "_day", "_usual"]].reset_index(drop=True)


def customer_stages(
    data: pd.DataFrame,
    *,
    period: str = "M",
    rules: Mapping[str, Any] | None = None,
    as_of: str | pd.Timestamp | None = None,
    customers: Sequence | pd.Series | None = None,
    customer: str = C.CUSTOMER_ID,
    order: str = C.ORDER_ID,
    date: str = C.ORDER_DATE,
    amount: str = C.AMOUNT,
) -> pd.DataFrame:
    """Lifecycle stage of every customer in every period from their first order to the end.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean order lines (rows = lines), e.g. ``customer_rows(load_transactions(...).data)``;
        needs customer id, order id, datetime order date and amount columns. Lines without a
        customer id or date are left out.
    period : str
        Pandas period code: ``"M"`` months (default), ``"Q"`` quarters, ``"W"`` weeks.
    rules : mapping, optional
        Overrides of :data:`DEFAULT_STAGE_RULES` (only the keys given change).
    as_of : str or Timestamp, optional
        End of the last period (exclusive day). Default: the day after the last order. Orders
        from this day on are left out (with a note).
    customers : sequence, optional
        All known customer ids; those without orders appear as ``potential`` in every period.
    customer, order, date, amount : str
        Column names, canonical by default.

    Returns
    -------
    pandas.DataFrame
        One row per customer × period, shape (sum over customers of their periods, 8), sorted by
        customer and period: ``customer_id`` (str); ``period`` (pandas Period); ``stage`` (one of
        :data:`STAGES`); ``orders`` and ``revenue`` in the period; ``days_since_last_order`` at
        the end of the period (NaN for potential customers); ``usual_gap_days`` (median gap so
        far) and ``at_risk_after_days`` (the days without order after which the customer is at
        risk). ``attrs["notes"]`` lists what was left out, ``attrs["rules"]`` the rules used.

    Raises
    ------
    CrmInputError
        Missing columns, dates that are not datetimes, a bad period code or rule;
        EmptyResultError when no line has a customer and a date.

    Examples
    --------
    >>> stages = customer_stages(customer_rows(load_transactions("embedded:online_retail").data))
    >>> stage_counts(stages).tail(1)
    """
    rule = resolve_rules(rules)
    freq = period_freq(period)
    orders = order_days(data, customer, order, date, amount, "customer_stages")
    end_day = as_of_day(orders, as_of, "customer_stages")
    notes: list[str] = []
    late = orders["_day"] >= end_day
    if late.any():
        notes.append(
            f"{int(late.sum()):,} order(s) on or after the as-of day {end_day:%Y-%m-%d} were "
            "left out."
        )
        orders = orders[~late]
    orders = orders.assign(_period=orders["_day"].dt.to_period(freq))
    last_period = (end_day - pd.Timedelta(days=1)).to_period(freq)
    all_periods = pd.period_range(orders["_period"].min(), last_period, freq=freq)
    # Reference day of each period: the start of the next one, or the as-of day for the last.
    ref = pd.Series(
        [min((p + 1).start_time.normalize(), end_day) for p in all_periods], index=all_periods
    )

    per = (
        orders.groupby([CUSTOMER, "_period"], observed=True)
        .agg(orders=("_day", "size"), revenue=("_amount", "sum"), _last=("_day", "max"))
        .reset_index()
    )
    first = orders.groupby(CUSTOMER, observed=True)["_period"].min()
    ids = first.index.to_numpy()
    pos = {p: i for i, p in enumerate(all_periods)}
    start = np.array([pos[p] for p in first.to_numpy()])
    counts = len(all_periods) - start
    grid = pd.DataFrame(
        {
            CUSTOMER: np.repeat(ids, counts),
            "_pos": np.concatenate([np.arange(s, len(all_periods)) for s in start]),
        }
    )
    grid["_period"] = all_periods[grid["_pos"].to_numpy()]
    grid["_ref"] = ref.to_numpy()[grid["_pos"].to_numpy()]
    grid = grid.merge(per, on=[CUSTOMER, "_period"], how="left")
    grid[ORDERS] = grid[ORDERS].fillna(0).astype("int64")
    grid[REVENUE] = grid[REVENUE].fillna(0.0).astype("float64")

    # Last order day at or before each period end, and the usual gap known at that day.
    grid["_last"] = grid.groupby(CUSTOMER, sort=False)["_last"].ffill()
    usual = usual_gaps(orders, rule["default_gap_days"])
    grid = grid.merge(usual.rename(columns={"_day": "_last"}), on=[CUSTOMER, "_last"], how="left")
    days_since = (grid["_ref"] - grid["_last"]).dt.days.astype("int64")
    risk_after = np.maximum(rule["at_risk_multiple"] * grid["_usual"], rule["at_risk_floor_days"])
    ordered = grid[ORDERS].to_numpy() > 0
    is_new = grid["_pos"].to_numpy() == np.repeat(start, counts)
    churned = days_since.to_numpy() > rule["churn_days"]
    at_risk = days_since.to_numpy() > risk_after.to_numpy()
    no_order_stage = np.where(churned, "churned", np.where(at_risk, "at_risk", "quiet"))
    prev_churned = np.zeros(len(grid), dtype=bool)
    prev_churned[1:] = no_order_stage[:-1] == "churned"
    prev_churned &= ~is_new  # the previous row belongs to another customer
    stage = np.where(
        is_new,
        "new",
        np.where(ordered, np.where(prev_churned, "reactivated", "active"), no_order_stage),
    )
    out = pd.DataFrame(
        {
            CUSTOMER: grid[CUSTOMER].astype("string"),
            PERIOD: grid["_period"],
            STAGE: stage,
            ORDERS: grid[ORDERS],
            REVENUE: grid[REVENUE],
            DAYS_SINCE: days_since.astype("float64"),
            USUAL_GAP: grid["_usual"].astype("float64"),
            RISK_AFTER: risk_after.astype("float64"),
        }
    )
    if customers is not None:
        known = pd.Series(pd.unique(pd.Series(customers).dropna().astype("string")))
        missing = known[~known.isin(set(ids))]
        if len(missing):
            potential = pd.DataFrame(
                {
                    CUSTOMER: np.repeat(missing.to_numpy(), len(all_periods)),
                    PERIOD: np.tile(all_periods, len(missing)),
                    STAGE: "potential",
                    ORDERS: 0,
                    REVENUE: 0.0,
                    DAYS_SINCE: np.nan,
                    USUAL_GAP: np.nan,
                    RISK_AFTER: np.nan,
                }
            )
            potential[CUSTOMER] = potential[CUSTOMER].astype("string")
            out = pd.concat([out, potential], ignore_index=True)
    out = out.sort_values([CUSTOMER, PERIOD], kind="stable").reset_index(drop=True)
    out.attrs["notes"] = notes
    out.attrs["rules"] = rule
    return out


def days_text(value: float) -> str:
    """Days in words: 21 or 12.5."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _check_stages(stages: pd.DataFrame, name: str) -> None:
    check_columns(stages, [CUSTOMER, PERIOD, STAGE], f"{name}: columns")
    unknown = sorted(set(stages[STAGE].dropna().unique()) - set(STAGES))
    if unknown:
        raise CrmInputError(
            f"{name}: unknown stage(s) {unknown}; pass the table made by customer_stages."
        )


def stage_counts(stages: pd.DataFrame) -> pd.DataFrame:
    """Customers in each stage per period.

    Parameters
    ----------
    stages : pandas.DataFrame
        The table of :func:`customer_stages`.

    Returns
    -------
    pandas.DataFrame
        Shape (periods, stages + 1): index ``period``, one column per stage in :data:`STAGES`
        order (0 when nobody), and ``customers`` (the row total).
    """
    _check_stages(stages, "stage_counts")
    table = pd.crosstab(stages[PERIOD], stages[STAGE]).reindex(columns=list(STAGES), fill_value=0)
    table = table.astype("int64")
    table.columns.name = None
    table.index.name = PERIOD
    table["customers"] = table.sum(axis=1)
    return table


def transition_matrix(
    stages: pd.DataFrame, *, period: str | pd.Period | None = None, shares: bool = False
) -> pd.DataFrame:
    """Customers moving from each stage to each stage between consecutive periods.

    Parameters
    ----------
    stages : pandas.DataFrame
        The table of :func:`customer_stages`.
    period : str or Period, optional
        Only the move from this period to the next (e.g. ``"2011-10"``). Default: all moves
        between consecutive periods, added up.
    shares : bool
        False (default) gives customer counts; True divides each row by its total.

    Returns
    -------
    pandas.DataFrame
        Shape (stages, stages): index ``from_stage``, columns = stage in the next period, both
        in :data:`STAGES` order. Each row adds up to the customers in that stage in the earlier
        period(s) (all periods but the last when ``period`` is not given).
    """
    _check_stages(stages, "transition_matrix")
    frame = stages[[CUSTOMER, PERIOD, STAGE]].sort_values([CUSTOMER, PERIOD], kind="stable")
    nxt = frame.groupby(CUSTOMER, sort=False, observed=True)[[PERIOD, STAGE]].shift(-1)
    pairs = pd.DataFrame(
        {"from_stage": frame[STAGE], "to_stage": nxt[STAGE], PERIOD: frame[PERIOD]}
    ).dropna(subset=["to_stage"])
    if period is not None:
        try:
            wanted = pd.Period(period, freq=frame[PERIOD].iloc[0].freq)
        except (ValueError, TypeError, IndexError):
            raise CrmInputError(
                f"transition_matrix: period must be a period like '2011-10'; got {period!r}."
            ) from None
        pairs = pairs[pairs[PERIOD] == wanted]
    table = pd.crosstab(pairs["from_stage"], pairs["to_stage"])
    table = table.reindex(index=list(STAGES), columns=list(STAGES), fill_value=0).astype("int64")
    table.index.name, table.columns.name = "from_stage", None
    if shares:
        total = table.sum(axis=1)
        table = table.div(total.where(total > 0), axis=0)
    return table
