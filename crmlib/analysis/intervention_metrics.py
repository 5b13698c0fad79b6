"""CRM metrics for evaluating an intervention, defined once, from the canonical tables.

:data:`METRIC_DEFINITIONS` is the single place where each metric is defined; every table below
(per period and group, per customer and period) computes them the same way. Periods with no
orders are kept with zero revenue, orders and customers, so series and panels have no gaps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import config as C
from crmlib.analysis.intervention import require_columns
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.privacy import DEFAULT_MIN_GROUP

METRIC_DEFINITIONS: dict[str, str] = {
    "revenue": "sum of the order-line amounts in the period",
    "orders": "number of distinct orders in the period",
    "active_customers": "number of distinct customers with at least one order in the period",
    "aov": "average order value: revenue / orders (undefined without orders)",
    "repeat_rate": "share of the period's active customers with two or more orders in it",
    "retention": "share of the previous period's active customers who are active again",
    "satisfaction": "mean satisfaction score of the responses in the period (survey table)",
}
TRANSACTION_METRICS = ("revenue", "orders", "active_customers", "aov", "repeat_rate", "retention")
FREQUENCIES = {"D": "D", "W": "W-MON", "M": "MS", "Q": "QS"}


def _period_start(dates: pd.Series, freq: str) -> pd.Series:
    if freq not in FREQUENCIES:
        raise CrmInputError(f"Unknown period {freq!r}; use one of {', '.join(FREQUENCIES)}.")
    if freq == "W":  # weeks start on Monday
        day = dates.dt.normalize()
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return dates.dt.to_period(freq).dt.start_time


def _complete_periods(dates: pd.Series, freq: str) -> pd.DatetimeIndex:
    """Starts of the periods the data covers completely (a partial first or last period,
    e.g. a week the data starts on a Wednesday, would look like a drop)."""
    starts = pd.date_range(
        _period_start(pd.Series([dates.min()]), freq).iloc[0], dates.max(), freq=FREQUENCIES[freq]
    )
    ends = starts + pd.tseries.frequencies.to_offset(FREQUENCIES[freq])
    keep = (starts >= dates.min().normalize()) & (
        ends <= dates.max().normalize() + pd.Timedelta(days=1)
    )
    return starts[keep]


def period_metrics(transactions: pd.DataFrame, *, freq: str = "W", by: str = "") -> pd.DataFrame:
    """Transaction metrics per period (and group) from canonical transactions.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Clean canonical order lines: ``order_id``, ``order_date``, ``amount`` and, for the
        customer metrics, ``customer_id`` (rows without one count in revenue and orders only).
    freq : str
        ``D``, ``W`` (weeks from Monday), ``M`` or ``Q``.
    by : str
        Optional group column (e.g. ``country``).

    Returns
    -------
    pandas.DataFrame
        One row per (group,) complete period of the data's range, columns ``period`` (start
        date), the group column when given, and :data:`TRANSACTION_METRICS`.
    """
    require_columns(transactions, [C.ORDER_ID, C.ORDER_DATE, C.AMOUNT, by], "transactions")
    if transactions.empty:
        raise EmptyResultError("No transactions to compute metrics from.")
    lines = transactions.assign(period=_period_start(transactions[C.ORDER_DATE], freq))
    keys = [by, "period"] if by else ["period"]
    orders = lines.groupby([*keys, C.ORDER_ID], observed=True).agg(
        revenue=(C.AMOUNT, "sum"), customer=(C.CUSTOMER_ID, "first")
    ) if C.CUSTOMER_ID in lines else lines.groupby([*keys, C.ORDER_ID], observed=True).agg(
        revenue=(C.AMOUNT, "sum")).assign(customer=pd.NA)  # fmt: skip
    orders = orders.reset_index()
    table = orders.groupby(keys, observed=True).agg(
        revenue=("revenue", "sum"), orders=(C.ORDER_ID, "nunique"),
        active_customers=("customer", "nunique"),
    )  # fmt: skip
    per_customer = orders.dropna(subset=["customer"]).groupby([*keys, "customer"]).size()
    table["repeat_rate"] = (per_customer >= 2).groupby(level=keys).mean()
    full = _complete_periods(lines[C.ORDER_DATE], freq)
    if by:
        index = pd.MultiIndex.from_product([sorted(lines[by].dropna().unique()), full],
                                           names=keys)  # fmt: skip
    else:
        index = pd.Index(full, name="period")
    table = table.reindex(index)  # drops partial edge periods, adds empty ones
    counts = ["revenue", "orders", "active_customers"]
    table[counts] = table[counts].fillna(0)
    table["repeat_rate"] = table["repeat_rate"].fillna(0.0)
    table["aov"] = table["revenue"] / table["orders"].where(table["orders"] > 0)
    table["retention"] = _retention(orders, keys, by, table.index)
    return table.reset_index()[[*keys, *TRANSACTION_METRICS]]


def _retention(orders: pd.DataFrame, keys: list[str], by: str, index: pd.Index) -> pd.Series:
    active = orders.dropna(subset=["customer"])[[*keys, "customer"]].drop_duplicates()
    sets = active.groupby(keys)["customer"].agg(frozenset).reindex(index)
    out = []
    for position, key in enumerate(index):
        previous = index[position - 1] if position else None
        same_group = previous is not None and (not by or previous[0] == key[0])
        before = sets.iloc[position - 1] if same_group else None
        now = sets.iloc[position]
        if not isinstance(before, frozenset) or not before:
            out.append(np.nan)
        else:
            out.append(len(before & (now if isinstance(now, frozenset) else frozenset()))
                       / len(before))  # fmt: skip
    return pd.Series(out, index=index)


def small_groups(transactions: pd.DataFrame, *, by: str, k: int = DEFAULT_MIN_GROUP) -> list[str]:
    """Groups with fewer than ``k`` distinct customers, whose series would show a few people.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical order lines with ``customer_id`` and the ``by`` column.
    k : int
        Smallest group kept (default 5, as :func:`crmlib.privacy.suppress_small`).

    Returns
    -------
    list of str
        Sorted group names (lines without a customer do not count as customers).

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": ["a", "b", "b"], "country": ["X", "Y", "Y"]})
    >>> small_groups(t, by="country", k=2)
    ['X', 'Y']
    """
    require_columns(transactions, [C.CUSTOMER_ID, by], "transactions")
    customers = transactions.groupby(by, observed=True)[C.CUSTOMER_ID].nunique()
    groups = transactions[by].dropna().unique()
    return sorted(str(g) for g in groups if customers.get(g, 0) < k)


def series_table(
    metrics: pd.DataFrame, *, metric: str, by: str, treated: str, controls: list[str]
) -> pd.DataFrame:
    """Wide table for the time-series design: the treated group's metric and the controls'.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`period_metrics` with ``by`` set.
    treated : str
        Group whose series is evaluated; ``controls``: groups used as control series.

    Returns
    -------
    pandas.DataFrame
        Index = period; one column per group (treated first), the metric's values.
    """
    groups = set(metrics[by].unique())
    unknown = [g for g in [treated, *controls] if g not in groups]
    if unknown:
        raise CrmInputError(
            f"Unknown {by} {', '.join(map(repr, unknown))}; found e.g. "
            f"{', '.join(sorted(map(str, groups))[:8])}."
        )
    if treated in controls:
        raise CrmInputError(f"{treated!r} cannot be its own control.")
    wide = metrics.pivot(index="period", columns=by, values=metric)
    return wide[[treated, *controls]].rename_axis(columns=None)


def default_controls(
    metrics: pd.DataFrame,
    treated: str,
    count: int = 3,
    *,
    by: str,
    metric: str = "revenue",
    periods: pd.Index | None = None,
) -> list[str]:
    """The ``count`` groups with the most revenue, other than the treated one.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`period_metrics` with group column ``by``.
    metric : str
        Metric to evaluate. Ratio metrics (aov, retention) are undefined in some periods of
        small groups, so only groups with the metric defined in every one of ``periods`` (from
        the treated series' first defined one on) are chosen; all groups when none is.
    by : str
        Group column.
    periods : pandas.Index, optional
        Periods the model will see (default: all).

    Returns
    -------
    list of str
        At most ``count`` group names, most revenue first.
    """
    ranked = metrics.groupby(by)["revenue"].sum().sort_values(ascending=False)
    candidates = [g for g in ranked.index if g != treated]
    wide = metrics.pivot(index="period", columns=by, values=metric)
    if periods is not None:
        wide = wide[wide.index.isin(periods)]
    if treated in wide and wide[treated].notna().any():
        wide = wide.loc[wide[treated].first_valid_index() :]
    complete = [g for g in candidates if wide[g].notna().all()]
    return (complete or candidates)[:count]


def check_in_range(periods: pd.Index, start: pd.Timestamp) -> None:
    """Raise a :class:`CrmInputError` unless ``start`` is after the first period and no later
    than the last, naming the data's range."""
    first, last = periods.min(), periods.max()
    if not first < start <= last:
        raise CrmInputError(
            f"The intervention date {start.date()} is outside the data ({first.date()} to "
            f"{last.date()}); it must fall after the first week and no later than the last."
        )


def defined_window(
    series: pd.DataFrame, metric: str, start: pd.Timestamp
) -> tuple[pd.DataFrame, str]:
    """Wide series (index = week) without undefined leading weeks, and a note on them.

    Drop the leading periods where a ratio metric is undefined (e.g. retention in the first
    week: no previous week) and say so; refuse undefined periods inside the window, which the
    model would otherwise treat as adjacent to their neighbours."""
    defined = series.notna().all(axis=1)
    if not defined.any():
        raise CrmInputError(f"{metric} is undefined in every week of these series.")
    first = defined.idxmax()
    trimmed = series.loc[first:]
    note = ""
    if first > series.index[0]:
        dropped = int((series.index < first).sum())
        note = (f" The first {dropped} week(s) are left out: {metric} is undefined there "
                "(no orders, or no active customers the week before).")  # fmt: skip
    gaps = trimmed.index[~trimmed.notna().all(axis=1)]
    if len(gaps):
        who = trimmed.columns[trimmed.loc[gaps].isna().any()].tolist()
        shown = ", ".join(f"{g:%Y-%m-%d}" for g in gaps[:4]) + (" …" if len(gaps) > 4 else "")
        hint = ""
        before = gaps[gaps < start]
        if len(before):
            weeks = int(((start - before.max()) / pd.Timedelta(weeks=1)) - 1)
            hint = (f" set pre-period weeks to at most {weeks} (the fit then starts after "
                    f"{before.max():%Y-%m-%d}),")  # fmt: skip
        raise CrmInputError(
            f"{metric} is undefined in {len(gaps)} week(s) inside the evaluated span ({shown}) "
            f"for {', '.join(map(str, who))}: no orders, or nobody active the week before. The "
            f"model needs consecutive weeks:{hint} pick other controls, or use revenue, orders "
            "or active_customers, which are 0 in such weeks."
        )
    return trimmed, note


def customer_panel(
    transactions: pd.DataFrame,
    *,
    freq: str = "M",
    metric: str = "revenue",
    group: str = C.COUNTRY,
    treated: list[str] | tuple[str, ...] = (),
    first_seen_before: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Balanced customer × period panel of one metric, for difference-in-differences.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Clean canonical order lines with ``customer_id`` and the ``group`` column.
    metric : str
        ``revenue`` or ``orders`` per customer and period (zero when the customer did not buy).
    treated : sequence of str
        Values of ``group`` whose customers are treated (a customer's group is the one of
        their first order).
    first_seen_before : date, optional
        Keep only customers whose first order is before this date (usually the intervention),
        so the panel compares the same customers before and after.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``period``, ``group``, the metric, ``treated`` (bool);
        one row per customer and period.
    """
    if metric not in ("revenue", "orders"):
        raise CrmInputError(f"Customer panels are built for revenue or orders, not {metric!r}.")
    require_columns(transactions, [C.CUSTOMER_ID, C.ORDER_ID, C.ORDER_DATE, C.AMOUNT, group],
                    "transactions")  # fmt: skip
    lines = transactions.dropna(subset=[C.CUSTOMER_ID])
    lines = lines.assign(period=_period_start(lines[C.ORDER_DATE], freq))
    first = lines.sort_values(C.ORDER_DATE).groupby(C.CUSTOMER_ID).agg(
        first=(C.ORDER_DATE, "first"), group=(group, "first"))  # fmt: skip
    if first_seen_before is not None:
        first = first[first["first"] < pd.Timestamp(first_seen_before)]
    if first.empty:
        raise EmptyResultError("No customers with an order before the intervention date.")
    how = {"revenue": (C.AMOUNT, "sum"), "orders": (C.ORDER_ID, "nunique")}[metric]
    values = lines.groupby([C.CUSTOMER_ID, "period"]).agg(value=how)["value"]
    periods = _complete_periods(lines[C.ORDER_DATE], freq)
    if len(periods) < 2:
        raise EmptyResultError("The data covers fewer than two complete periods.")
    index = pd.MultiIndex.from_product([first.index, periods], names=[C.CUSTOMER_ID, "period"])
    panel = values.reindex(index, fill_value=0).rename(metric).reset_index()
    panel["group"] = panel[C.CUSTOMER_ID].map(first["group"])
    panel["treated"] = panel["group"].isin(list(treated))
    return panel


def satisfaction_metrics(
    responses: pd.DataFrame, *, score: str, date: str, freq: str = "M", by: str = ""
) -> pd.DataFrame:
    """Mean satisfaction score and number of responses per (group,) period.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per survey response with a numeric ``score`` and a ``date`` column.

    Returns
    -------
    pandas.DataFrame
        Columns (group,) ``period``, ``satisfaction`` (mean), ``responses``.
    """
    require_columns(responses, [score, date, by], "survey responses")
    frame = responses.assign(
        period=_period_start(pd.to_datetime(responses[date], errors="coerce"), freq),
        _score=pd.to_numeric(responses[score], errors="coerce"),
    ).dropna(subset=["period", "_score"])
    if frame.empty:
        raise EmptyResultError(f"No response has both a date ({date!r}) and a score ({score!r}).")
    keys = [by, "period"] if by else ["period"]
    return frame.groupby(keys).agg(satisfaction=("_score", "mean"),
                                   responses=("_score", "size")).reset_index()  # fmt: skip


__all__ = [
    "METRIC_DEFINITIONS",
    "check_in_range",
    "customer_panel",
    "default_controls",
    "defined_window",
    "period_metrics",
    "satisfaction_metrics",
    "series_table",
    "small_groups",
]
