"""P(alive) for every customer of a transaction table, its change, and one customer's curve.

Bridges the canonical order lines (:mod:`crmlib.io`) and the BG/NBD model of
:mod:`crmlib.analysis.btyd`: the model is fitted on every customer's history up to ``as_of``
(weeks as days/7 between distinct purchase days, the papers' convention),
then P(alive) is evaluated now and one comparison window earlier with the same parameters,
so a falling probability can raise an early warning.

On Online Retail (one year of mostly wholesale buyers) the fit finds almost no dropout
(a ≈ 0.003, b ≈ 7.7 in days/7; Pareto/NBD likewise drives its dropout rate to zero with
the same likelihood), so P(alive) stays near 1 there and the gap rule of
:func:`crmlib.analysis.retention.early_warning` carries the warning; on CDNOW's longer
history the probabilities spread out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crmlib import config as C
from crmlib.analysis.attributes import check_columns
from crmlib.analysis.btyd import BgNbdFit, expected_purchases, fit_bgnbd, p_alive
from crmlib.analysis.btyd_summary import (
    FREQUENCY,
    RECENCY,
    T,
    parse_day,
    summary_table,
)
from crmlib.errors import CrmInputError

P_ALIVE = "p_alive"
P_BEFORE = "p_alive_before"
P_DROP = "p_alive_drop"
EXPECTED = "expected_purchases_13w"


def _summary(data: pd.DataFrame, end: pd.Timestamp, customer: str, date: str) -> pd.DataFrame:
    before = data[data[date].dt.normalize() <= end]
    if before.empty:
        raise CrmInputError(
            f"alive_table: no order on or before {end.date()}; choose a later as_of date."
        )
    last = before[date].max().normalize()
    table = summary_table(
        before, customer=customer, date=date, calibration_end=min(end, last), freq="W",
        convention="days",
    )  # fmt: skip
    # summary_table stops at the last order day; a quiet stretch after it adds to every T
    table[T] = table[T] + max((end - last).days, 0) / 7.0
    return table.set_index(table[customer].astype(str)).drop(columns=customer)


def alive_table(
    data: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    compare_days: int = 30,
    customer: str = C.CUSTOMER_ID,
    date: str = C.ORDER_DATE,
) -> tuple[pd.DataFrame, BgNbdFit]:
    """Fit BG/NBD on all history up to ``as_of``; P(alive) now and ``compare_days`` earlier.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean order lines with ``customer`` and ``date`` columns (other columns ignored).
    as_of : str or Timestamp, optional
        The last day counted; default the last order day.
    compare_days : int
        The earlier check is ``compare_days`` before ``as_of`` (default 30), with the same
        parameters; customers who had not bought by then get no earlier value.
    customer, date : str
        Column names, canonical by default.

    Returns
    -------
    (pandas.DataFrame, BgNbdFit)
        One row per customer (index: raw customer id, so keep it private), columns
        ``p_alive``, ``p_alive_before`` (NaN for customers new since), ``p_alive_drop``
        (before − now, NaN likewise) and ``expected_purchases_13w``; and the fit.
    """
    check_columns(data, [customer, date], "alive_table: column(s)")
    if not isinstance(compare_days, int) or compare_days < 1:
        raise CrmInputError(f"alive_table: compare_days must be a whole number >= 1; got "
                            f"{compare_days!r}.")  # fmt: skip
    rows = data[[customer, date]].dropna()
    if rows.empty:
        raise CrmInputError("alive_table: no order has both a customer and a date.")
    end = rows[date].max().normalize() if as_of is None else parse_day(as_of, "alive_table as_of")
    now = _summary(rows, end, customer, date)
    fit = fit_bgnbd(now)
    out = pd.DataFrame(index=now.index)
    out[P_ALIVE] = p_alive(now, fit)
    earlier = end - pd.Timedelta(days=compare_days)
    if (rows[date].dt.normalize() <= earlier).any():
        out[P_BEFORE] = p_alive(_summary(rows, earlier, customer, date), fit)
    else:
        out[P_BEFORE] = np.nan
    out[P_DROP] = out[P_BEFORE] - out[P_ALIVE]
    out[EXPECTED] = expected_purchases(now, fit, 13.0)
    out.attrs["as_of"] = end
    out.attrs["compare_days"] = compare_days
    return out, fit


def p_alive_curve(
    dates: pd.Series | list,
    fit: BgNbdFit | Mapping[str, float],
    *,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Week-by-week P(alive) of one customer from their first purchase to ``end``.

    Parameters
    ----------
    dates : Series or list of dates
        The customer's order dates (any order, repeats allowed).
    fit : BgNbdFit
        Parameters fitted in weeks as days/7 (as :func:`alive_table`).
    end : str or Timestamp, optional
        Last week shown; default the last order date.

    Returns
    -------
    pandas.DataFrame, shape (weeks, 3)
        ``week`` (every 7th day from the first order), ``p_alive`` at that day and
        ``purchase`` (True when an order fell in the 7 days up to it).
    """
    days = pd.to_datetime(pd.Series(dates), errors="coerce", format="mixed").dropna().dt.normalize()
    if days.empty:
        raise CrmInputError("p_alive_curve: the customer has no dated order.")
    buys = np.sort(days.unique())
    last = buys[-1] if end is None else parse_day(end, "p_alive_curve end").to_datetime64()
    if last < buys[0]:
        raise CrmInputError("p_alive_curve: end lies before the customer's first order.")
    grid = pd.date_range(buys[0], last, freq="7D").to_numpy()
    seen = np.searchsorted(buys, grid, side="right")  # purchase days up to each grid day
    week = np.timedelta64(7, "D")
    table = pd.DataFrame(
        {
            FREQUENCY: seen - 1,
            RECENCY: (buys[seen - 1] - buys[0]) / week,
            T: np.maximum((grid - buys[0]) / week, 1e-9),
        }
    )
    previous = np.concatenate([[0], seen[:-1]])
    return pd.DataFrame(
        {"week": grid, P_ALIVE: p_alive(table, fit).to_numpy(), "purchase": seen > previous}
    )
