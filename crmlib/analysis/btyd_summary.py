"""Summary tables (frequency, recency, T, spend) for the transaction models in :mod:`btyd`.

Time convention
---------------
Every time in a summary table is in model periods: weeks (``freq="W"``) or days (``"D"``).
Two ways to turn dates into periods are offered (``convention``):

``"days"`` (default, the papers' convention)
    Purchases are counted on distinct days (same-day orders merged, see ``merge_same_day``),
    and times are exact day differences divided by the period length: ``recency = (last
    purchase - first purchase).days / 7``, ``T = (calibration_end - first purchase).days / 7``
    (calibration_end is the last day of the calibration period, so a customer whose first
    purchase is on 1997-01-01 has T = 272 / 7 = 38.86 weeks with calibration_end 1997-09-30,
    as in Hardie's CDNOW data sets).
    Fractional weeks; this reproduces the published parameters.
``"periods"`` (the ``lifetimes`` package's convention)
    Dates are first mapped to calendar periods (``Timestamp.to_period("W")``); frequency is
    the number of distinct purchase periods minus one, recency and T are whole numbers of
    periods between the first purchase period and the last purchase / calibration-end
    period. Several purchases in one week count once. Orders are split into calibration
    and holdout on their *day* first, so in a week that straddles calibration_end the days
    after it count in the holdout only (as lifetimes does).

Frequency is the number of *repeat* purchases (the first purchase is not counted), so a
customer with one order has frequency 0, recency 0. Only customers whose first purchase falls
on or before ``calibration_end`` are in the table.

Every function returns new objects; none changes its input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlib.analysis.attributes import check_columns
from crmlib.errors import CrmInputError, EmptyResultError

FREQUENCY = "frequency"
RECENCY = "recency"
T = "T"
MONETARY = "monetary_value"
FREQUENCY_HOLDOUT = "frequency_holdout"
DURATION_HOLDOUT = "duration_holdout"

_PERIOD_DAYS = {"W": 7.0, "D": 1.0}
_CONVENTIONS = ("days", "periods")
FREQUENCY_GROUPS = 8  # 0, 1, ..., 6, "7+"


# --------------------------------------------------------------------------- summary table


def parse_day(value: Any, name: str) -> pd.Timestamp:
    """``value`` as a day (midnight, no time zone), or a CrmInputError naming ``name``."""
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise CrmInputError(f"{name} must be a date like 1997-09-30; got {value!r}.") from None
    if pd.isna(day):
        raise CrmInputError(f"{name} must be a date like 1997-09-30; got {value!r}.")
    if day.tzinfo is not None:
        day = day.tz_localize(None)
    return day.normalize()


def summary_table(
    transactions: pd.DataFrame,
    *,
    customer: str,
    date: str,
    amount: str | None = None,
    calibration_end: str | pd.Timestamp,
    observation_end: str | pd.Timestamp | None = None,
    freq: str = "W",
    merge_same_day: bool = True,
    convention: str = "days",
) -> pd.DataFrame:
    """Per-customer repeat-purchase summary (x, t_x, T) for BG/NBD and Gamma-Gamma.

    Parameters
    ----------
    transactions : pandas.DataFrame, shape (n_rows, >=2)
        One row per order (or order line); needs a customer column and a date column
        (datetime, or strings pandas can parse, e.g. ``19970101`` or ``1997-01-01``).
        Rows without a customer or a date raise.
    customer, date : str
        Column names of the customer id and the order date (time of day is ignored).
    amount : str, optional
        Column of order value; gives ``monetary_value``. Must be numeric and not negative.
    calibration_end : str or Timestamp
        Last day of the calibration period (inclusive). Must lie within the data's dates;
        the last day of the data scores every customer as of today (no holdout possible).
    observation_end : str or Timestamp, optional
        Last day of the holdout period (inclusive); adds ``frequency_holdout`` and
        ``duration_holdout``. Must be after ``calibration_end`` with orders in between.
    freq : {"W", "D"}
        Model period: weeks or days.
    merge_same_day : bool
        With ``convention="days"``: count all orders of a customer on one day as one
        purchase (their amounts summed). The BTYD models assume this; ``False`` counts rows.
        Ignored with ``convention="periods"`` (one purchase per period by construction).
    convention : {"days", "periods"}
        How dates become times, see the module docstring: exact ``days / 7`` (papers) or
        distinct calendar purchase weeks (lifetimes).

    Returns
    -------
    pandas.DataFrame, shape (n_customers, 5..7)
        Sorted by customer, default integer index. Columns: the customer column,
        ``frequency`` (int, repeat purchases in calibration), ``recency`` (t_x, time from the
        first to the last calibration purchase; 0 when frequency is 0), ``T`` (time from the
        first purchase to the end of calibration), ``monetary_value`` (with ``amount``: mean
        value of the *repeat* calibration purchases, the first purchase excluded, as the
        Gamma-Gamma model needs; NaN when frequency is 0), and with ``observation_end``:
        ``frequency_holdout`` (purchases in the holdout, int) and ``duration_holdout`` (its
        length in periods). ``attrs["btyd"]`` records the settings.

    Raises
    ------
    CrmInputError
        Missing columns, unparseable or missing dates, bad amounts, unknown freq or
        convention, calibration end outside the data, an empty holdout, or no time to learn
        from (every order on one day).
    """
    if freq not in _PERIOD_DAYS:
        raise CrmInputError(f"freq must be 'W' (weeks) or 'D' (days); got {freq!r}.")
    if convention not in _CONVENTIONS:
        raise CrmInputError(
            f"convention must be 'days' (exact days / 7) or 'periods' (distinct calendar "
            f"periods, as lifetimes); got {convention!r}."
        )
    columns = [customer, date] + ([amount] if amount is not None else [])
    check_columns(transactions, columns, "summary_table: column(s)")
    if transactions.empty:
        raise EmptyResultError("summary_table: the transaction table has no rows.")
    df = transactions[columns].copy()
    if df[customer].isna().any():
        raise CrmInputError(
            f"summary_table: {int(df[customer].isna().sum())} rows have no customer id in "
            f"column '{customer}'; drop them first."
        )
    days = df[date]
    if not pd.api.types.is_datetime64_any_dtype(days):
        text = days.astype("string")
        parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
        if parsed.isna().any():
            parsed = pd.to_datetime(text, errors="coerce")
        days = parsed
    if days.isna().any():
        raise CrmInputError(
            f"summary_table: {int(days.isna().sum())} rows have a missing or unreadable date "
            f"in column '{date}' (e.g. {df.loc[days.isna(), date].iloc[0]!r}); fix or drop them."
        )
    if getattr(days.dt, "tz", None) is not None:
        days = days.dt.tz_localize(None)
    df["_day"] = days.dt.normalize()
    if amount is not None:
        values = pd.to_numeric(df[amount], errors="coerce")
        if values.isna().any() or (values < 0).any():
            raise CrmInputError(
                f"summary_table: column '{amount}' must hold an order value of 0 or more on "
                "every row; drop returns and rows without a value first."
            )
        df["_amount"] = values.astype("float64")
    else:
        df["_amount"] = 0.0

    first_day, last_day = df["_day"].min(), df["_day"].max()
    if first_day == last_day:
        raise CrmInputError(
            f"summary_table: every order is on {first_day.date()}; repeat-purchase models need "
            "orders spread over time."
        )
    cal_end = parse_day(calibration_end, "calibration_end")
    if not first_day <= cal_end <= last_day:
        raise CrmInputError(
            f"summary_table: calibration_end {cal_end.date()} is outside the data, which runs "
            f"from {first_day.date()} to {last_day.date()}; choose a day in that range (the "
            "last day itself to score customers as of the end of the data)."
        )
    obs_end = None
    if observation_end is not None:
        obs_end = parse_day(observation_end, "observation_end")
        if obs_end <= cal_end:
            raise CrmInputError(
                f"summary_table: observation_end {obs_end.date()} must be after calibration_end "
                f"{cal_end.date()}."
            )
        in_holdout = (df["_day"] > cal_end) & (df["_day"] <= obs_end)
        if not in_holdout.any():
            raise CrmInputError(
                f"summary_table: there are no orders between {cal_end.date()} (calibration end) "
                f"and {obs_end.date()} (observation end); the holdout is empty. The data ends on "
                f"{last_day.date()}."
            )

    # Integer time keys: period ordinals (lifetimes-style) or days since 1970 (exact days).
    unit = _PERIOD_DAYS[freq]
    epoch = pd.Timestamp("1970-01-01")
    if convention == "periods":
        df["_key"] = pd.PeriodIndex(df["_day"], freq=freq).asi8
        cal_key = cal_end.to_period(freq).ordinal
        obs_key = obs_end.to_period(freq).ordinal if obs_end is not None else None
        divisor, merge = 1.0, True
    else:
        df["_key"] = (df["_day"] - epoch).dt.days.astype("int64")
        cal_key = (cal_end - epoch).days
        obs_key = (obs_end - epoch).days if obs_end is not None else None
        divisor, merge = unit, merge_same_day
    # Calibration / holdout are split on the day, before merging into periods, so a week that
    # straddles calibration_end never moves holdout purchases into calibration.
    df["_part"] = np.where(df["_day"] <= cal_end, 0, 1)
    if obs_end is not None:
        df.loc[df["_day"] > obs_end, "_part"] = 2
    if merge:
        events = df.groupby([customer, "_part", "_key"], sort=True, observed=True).agg(
            _amount=("_amount", "sum")
        )
        events = events.reset_index()
    else:
        events = df[[customer, "_part", "_key", "_amount"]].sort_values(
            [customer, "_key"], kind="stable"
        )

    in_cal = events["_part"] == 0
    firsts = events[in_cal].groupby(customer, sort=True, observed=True)["_key"].min()
    events = events[events[customer].isin(firsts.index)]
    events = events.assign(_first=events[customer].map(firsts))

    def span(later: Any, earlier: Any) -> np.ndarray:
        return np.asarray(later - earlier, dtype="float64") / divisor

    if events.empty:  # pragma: no cover - guarded by the calibration check above
        raise EmptyResultError("summary_table: no customer bought before calibration_end.")
    cal = events[events["_part"] == 0]
    grouped = cal.groupby(customer, sort=True, observed=True)
    out = pd.DataFrame({FREQUENCY: grouped.size() - 1})
    first = grouped["_key"].min()
    last = grouped["_key"].max()
    out[RECENCY] = span(last, first)
    out[T] = span(cal_key, first)
    if amount is not None:
        repeat = (
            cal[cal["_key"] > cal["_first"]]
            if merge
            else cal.iloc[
                np.flatnonzero(cal.groupby(customer, sort=False).cumcount().to_numpy() > 0)
            ]
        )
        means = repeat.groupby(customer, sort=True, observed=True)["_amount"].mean()
        out[MONETARY] = means.reindex(out.index)
    if obs_end is not None:
        hold = events[events["_part"] == 1]
        counts = hold.groupby(customer, sort=True, observed=True).size()
        out[FREQUENCY_HOLDOUT] = counts.reindex(out.index, fill_value=0).astype("int64")
        out[DURATION_HOLDOUT] = float(obs_key - cal_key) / divisor
    out[FREQUENCY] = out[FREQUENCY].astype("int64")
    out = out.rename_axis(customer).reset_index()
    out.attrs["btyd"] = {
        "freq": freq,
        "convention": convention,
        "merge_same_day": bool(merge),
        "calibration_end": str(cal_end.date()),
        "observation_end": None if obs_end is None else str(obs_end.date()),
    }
    return out


# --------------------------------------------------------------------------- helpers


def check_summary(
    summary: pd.DataFrame, what: str, holdout: bool = False
) -> tuple[np.ndarray, ...]:
    need = [FREQUENCY, RECENCY, T] + ([FREQUENCY_HOLDOUT, DURATION_HOLDOUT] if holdout else [])
    check_columns(summary, need, f"{what}: column(s)")
    if summary.empty:
        raise EmptyResultError(f"{what}: the summary table has no customers.")
    arrays = [pd.to_numeric(summary[c], errors="coerce").to_numpy(dtype="float64") for c in need]
    x, tx, big_t = arrays[:3]
    if not all(np.isfinite(a).all() for a in arrays):
        raise CrmInputError(
            f"{what}: columns {need} must be numbers on every row; build the table with "
            "summary_table."
        )
    if (x < 0).any() or (x != np.round(x)).any():
        raise CrmInputError(f"{what}: '{FREQUENCY}' must be whole numbers of 0 or more.")
    if (tx < 0).any() or (tx > big_t + 1e-9).any():
        raise CrmInputError(
            f"{what}: need 0 <= recency <= T on every row; build the table with summary_table."
        )
    if (big_t <= 0).all():
        raise CrmInputError(
            f"{what}: every customer has T = 0 (first purchase on the calibration end); "
            "choose a later calibration_end."
        )
    return tuple(arrays)


def minimize_nll(nll, starts: list[np.ndarray]) -> tuple[np.ndarray, float, bool, int]:
    """Best of several L-BFGS-B runs (polished by Nelder-Mead) on log-parameters."""
    from scipy import optimize

    best = None
    for x0 in starts:
        with np.errstate(all="ignore"):
            res = optimize.minimize(nll, x0, method="L-BFGS-B", bounds=[(-15, 15)] * len(x0))
            res2 = optimize.minimize(
                nll,
                res.x,
                method="Nelder-Mead",
                options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 20000, "maxfev": 40000},
            )
        if res2.fun <= res.fun:
            res = res2
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise CrmInputError(
            "The model could not be fitted (the likelihood was not finite from any start); "
            "check the summary table."
        )
    return best.x, float(best.fun), bool(best.success), len(starts)


def unique_weights(*cols: np.ndarray) -> tuple[np.ndarray, ...]:
    """Unique rows of the given columns and how often each occurs (speeds up the likelihood)."""
    stacked = np.column_stack(cols)
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return (*uniq.T, counts.astype("float64"))
