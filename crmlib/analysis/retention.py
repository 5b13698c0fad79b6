"""Cohort retention tables and the early-warning list of customers about to lapse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crmlib import config as C
from crmlib.analysis.lifecycle import (
    CUSTOMER,
    DAYS_SINCE,
    USUAL_GAP,
    as_of_day,
    days_text,
    order_days,
    period_freq,
    resolve_rules,
    usual_gaps,
)
from crmlib.errors import CrmInputError


def cohort_retention(
    data: pd.DataFrame,
    period: str = "M",
    *,
    customer: str = C.CUSTOMER_ID,
    order: str = C.ORDER_ID,
    date: str = C.ORDER_DATE,
    amount: str = C.AMOUNT,
) -> pd.DataFrame:
    """Acquisition cohorts followed over the periods since their first order.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean order lines, as for :func:`customer_stages`.
    period : str
        Pandas period code of cohorts and steps: ``"M"`` (default), ``"Q"``, ``"W"``.
    customer, order, date, amount : str
        Column names, canonical by default.

    Returns
    -------
    pandas.DataFrame
        Long table, one row per cohort × periods since acquisition with at least one order,
        shape (rows, 6): ``cohort`` (Period of the first order), ``periods_since`` (0 = the
        acquisition period), ``customers`` (who ordered in that period), ``revenue``,
        ``cohort_customers`` (cohort size) and ``retention`` (customers / cohort size).
        Pivot with ``table.pivot(index="cohort", columns="periods_since", values="retention")``.
    """
    freq = period_freq(period)
    orders = order_days(data, customer, order, date, amount, "cohort_retention")
    orders = orders.assign(_period=orders["_day"].dt.to_period(freq))
    cohort = orders.groupby(CUSTOMER, observed=True)["_period"].transform("min")
    orders = orders.assign(
        cohort=cohort,
        periods_since=(orders["_period"] - cohort).map(lambda off: off.n).astype("int64"),
    )
    table = (
        orders.groupby(["cohort", "periods_since"], observed=True)
        .agg(customers=(CUSTOMER, "nunique"), revenue=("_amount", "sum"))
        .reset_index()
    )
    size = table.loc[table["periods_since"] == 0].set_index("cohort")["customers"]
    table["cohort_customers"] = table["cohort"].map(size).astype("int64")
    table["customers"] = table["customers"].astype("int64")
    table["retention"] = table["customers"] / table["cohort_customers"]
    return table.sort_values(["cohort", "periods_since"]).reset_index(drop=True)


def early_warning(
    data: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    threshold: float | None = None,
    rules: Mapping[str, Any] | None = None,
    alive: pd.DataFrame | None = None,
    pseudonymise_ids: bool = True,
    key: str | None = None,
    customer: str = C.CUSTOMER_ID,
    order: str = C.ORDER_ID,
    date: str = C.ORDER_DATE,
    amount: str = C.AMOUNT,
) -> pd.DataFrame:
    """Customers overdue compared with their own rhythm, ranked by the value at risk.

    A customer is listed when, at ``as_of``, the days since their last order exceed
    ``threshold`` × their usual (median) gap between order days and the rules' floor
    (``at_risk_floor_days``), and they are not yet churned (at most ``churn_days`` days).

    Parameters
    ----------
    data : pandas.DataFrame
        Clean order lines, as for :func:`customer_stages`.
    as_of : str or Timestamp, optional
        The day of the check; orders from this day on are ignored. Default: the day after the
        last order.
    threshold : float, optional
        Overdue multiple of the usual gap; default the rules' ``at_risk_multiple`` (2).
    rules : mapping, optional
        Overrides of :data:`DEFAULT_STAGE_RULES`.
    alive : pandas.DataFrame, optional
        Output of :func:`crmlib.analysis.alive.alive_table` (index: raw customer id). When
        given, each alert gets ``p_alive`` and ``p_alive_drop`` and the reason names them.
    pseudonymise_ids : bool
        Replace customer ids by keyed pseudonyms (:func:`crmlib.privacy.pseudonymise`,
        default True); ``key`` is passed on.
    customer, order, date, amount : str
        Column names, canonical by default.

    Returns
    -------
    pandas.DataFrame
        One row per alert, shape (alerts, 9), highest value at risk first: ``customer_id``,
        ``days_since_last_order``, ``usual_gap_days``, ``overdue_ratio`` (days since / usual
        gap), ``order_days`` (distinct days with an order), ``total_spend``,
        ``monthly_spend`` (total / months since the first order, at least 1),
        ``value_at_risk`` (monthly spend × ``value_horizon_months``) and ``reason`` in plain
        words, e.g. "no order for 94 days, usually orders every 21".
    """
    rule = resolve_rules(rules)
    if threshold is None:
        threshold = rule["at_risk_multiple"]
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or threshold <= 0:
        raise CrmInputError(
            f"early_warning: threshold must be a positive number (a multiple of the usual gap, "
            f"e.g. 2); got {threshold!r}."
        )
    orders = order_days(data, customer, order, date, amount, "early_warning")
    day = as_of_day(orders, as_of, "early_warning")
    orders = orders[orders["_day"] < day]
    usual = usual_gaps(orders, rule["default_gap_days"])
    last = usual.groupby(CUSTOMER, sort=True).tail(1).set_index(CUSTOMER)
    per = orders.groupby(CUSTOMER, sort=True, observed=True).agg(
        first=("_day", "min"), total=("_amount", "sum")
    )
    per["order_days"] = usual.groupby(CUSTOMER).size()
    per["last"] = last["_day"]
    per["usual"] = last["_usual"]
    per["since"] = (day - per["last"]).dt.days
    months = ((day - per["first"]).dt.days / (365.25 / 12)).clip(lower=1.0)
    per["monthly"] = per["total"] / months
    limit = np.maximum(threshold * per["usual"], rule["at_risk_floor_days"])
    alert = per[(per["since"] > limit) & (per["since"] <= rule["churn_days"])].copy()
    if alive is not None:
        scores = alive.reindex(alert.index.astype(str))
        alert["p_alive"] = scores["p_alive"].to_numpy()
        alert["p_alive_drop"] = scores["p_alive_drop"].to_numpy()

    window = None if alive is None else alive.attrs.get("compare_days", 30)

    def reason(row) -> str:
        if row["order_days"] < 2:
            text = (
                f"no order for {row['since']:.0f} days since their only order day "
                f"(assumed rhythm {days_text(row['usual'])} days)"
            )
        else:
            usual = days_text(row["usual"])
            text = f"no order for {row['since']:.0f} days, usually orders every {usual}"
        if pd.notna(row.get("p_alive")):
            text += f"; P(alive) {row['p_alive']:.2f}"
            if pd.notna(row.get("p_alive_drop")) and row["p_alive_drop"] > 0.005:
                text += f", down {row['p_alive_drop']:.2f} in {window} days"
        return text

    out = pd.DataFrame(
        {
            CUSTOMER: alert.index.astype("string"),
            DAYS_SINCE: alert["since"].astype("int64").to_numpy(),
            USUAL_GAP: alert["usual"].astype("float64").to_numpy(),
            "overdue_ratio": (alert["since"] / alert["usual"]).to_numpy(),
            "order_days": alert["order_days"].astype("int64").to_numpy(),
            "total_spend": alert["total"].to_numpy(),
            "monthly_spend": alert["monthly"].to_numpy(),
            "value_at_risk": (alert["monthly"] * rule["value_horizon_months"]).to_numpy(),
            "reason": [reason(r) for _, r in alert.iterrows()],
        }
    )
    if alive is not None:
        out["p_alive"] = alert["p_alive"].to_numpy()
        out["p_alive_drop"] = alert["p_alive_drop"].to_numpy()
    out = out.sort_values(
        ["value_at_risk", DAYS_SINCE], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    if pseudonymise_ids:
        from crmlib.privacy import pseudonymise

        out[CUSTOMER] = pseudonymise(out[CUSTOMER], key=key)
    out.attrs["as_of"] = day
    out.attrs["threshold"] = float(threshold)
    return out
