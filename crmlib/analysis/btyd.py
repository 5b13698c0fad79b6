"""Transaction models for non-contractual customers: BG/NBD, Gamma-Gamma spend and CLV.

The workflow is::

    summary = summary_table(tx, customer="id", date="date", amount="value",
                            calibration_end="1997-09-30", observation_end="1998-06-30")
    fit = fit_bgnbd(summary)                  # r, alpha, a, b, log_likelihood
    holdout_diagnostic(summary, fit).table    # predicted vs actual repeat purchases
    gg = fit_gamma_gamma(summary)             # p, q, v
    clv(summary, fit, gg, horizon=12, discount_rate=0.01, period_length=4)

Models (likelihoods written from the papers, maximised with :mod:`scipy.optimize`):

* BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative
  to the Pareto/NBD model", Marketing Science 24(2). Equations (6) likelihood, (9) expected
  purchases of a new customer, (10) conditional expectation; P(alive) from Fader, Hardie &
  Lee's note "Computing P(alive) using the BG/NBD model".
* Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer
  base analysis", JMR 42(4), and Fader & Hardie's note "The Gamma-Gamma model of monetary
  value" (2013).

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

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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


def _parse_day(value: Any, name: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise CrmInputError(f"{name} must be a date like 1997-09-30; got {value!r}.") from None
    if pd.isna(day):
        raise CrmInputError(f"{name} must be a date like 1997-09-30; got {value!r}.")
    if day.tzinfo is not None:
        day = day.tz_localize(None)
    return day.normalize()


def _check_columns(data: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise CrmInputError(
            f"{what}: column(s) {missing} not found; the table has {list(data.columns)}. "
            "Pass the right column names."
        )


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
    _check_columns(transactions, columns, "summary_table")
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
    cal_end = _parse_day(calibration_end, "calibration_end")
    if not first_day <= cal_end <= last_day:
        raise CrmInputError(
            f"summary_table: calibration_end {cal_end.date()} is outside the data, which runs "
            f"from {first_day.date()} to {last_day.date()}; choose a day in that range (the "
            "last day itself to score customers as of the end of the data)."
        )
    obs_end = None
    if observation_end is not None:
        obs_end = _parse_day(observation_end, "observation_end")
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


def _columns(summary: pd.DataFrame, what: str, holdout: bool = False) -> tuple[np.ndarray, ...]:
    need = [FREQUENCY, RECENCY, T] + ([FREQUENCY_HOLDOUT, DURATION_HOLDOUT] if holdout else [])
    _check_columns(summary, need, what)
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


def _minimize(nll, starts: list[np.ndarray]) -> tuple[np.ndarray, float, bool, int]:
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


def _weights(*cols: np.ndarray) -> tuple[np.ndarray, ...]:
    """Unique rows of the given columns and how often each occurs (speeds up the likelihood)."""
    stacked = np.column_stack(cols)
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return (*uniq.T, counts.astype("float64"))


# --------------------------------------------------------------------------- BG/NBD


@dataclass(frozen=True)
class BgNbdFit:
    """Fitted BG/NBD model.

    Attributes
    ----------
    r, alpha : float
        Gamma heterogeneity of the purchase rate (shape, scale in model periods).
    a, b : float
        Beta heterogeneity of the drop-out probability after each purchase.
    log_likelihood : float
        Maximised log-likelihood (sum over customers).
    n_customers : int
    converged : bool
        Whether the best optimiser run reported success.
    starts : int
        Number of starting points tried.
    seconds : float
        Fit time.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    converged: bool = True
    starts: int = 1
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def params(self) -> dict[str, float]:
        """``{"r", "alpha", "a", "b"}``."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """See :func:`expected_purchases`."""
        return expected_purchases(summary, self, t)

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """See :func:`p_alive`."""
        return p_alive(summary, self)

    def expected_repeat_purchases_new(self, t: float | np.ndarray) -> float | np.ndarray:
        """See :func:`expected_repeat_purchases_new`."""
        return expected_repeat_purchases_new(self, t)


def _bgnbd_params(params: BgNbdFit | Mapping[str, float]) -> tuple[float, float, float, float]:
    if isinstance(params, BgNbdFit):
        values = (params.r, params.alpha, params.a, params.b)
    else:
        try:
            values = tuple(float(params[k]) for k in ("r", "alpha", "a", "b"))
        except (KeyError, TypeError, ValueError):
            raise CrmInputError(
                "BG/NBD parameters must be a fit_bgnbd result or a mapping with r, alpha, a, b."
            ) from None
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise CrmInputError(f"BG/NBD parameters must all be positive; got {values}.")
    return values  # type: ignore[return-value]


def bgnbd_log_likelihood(
    params: BgNbdFit | Mapping[str, float], x: np.ndarray, tx: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """Log-likelihood of each customer under BG/NBD (Fader, Hardie & Lee 2005, eq. 6).

    Parameters
    ----------
    params : BgNbdFit or mapping with r, alpha, a, b
    x, tx, big_t : numpy.ndarray, shape (n,)
        Frequency, recency and T.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    r, alpha, a, b = _bgnbd_params(params)
    return _bgnbd_ll(r, alpha, a, b, x, tx, big_t)


def _bgnbd_ll(r, alpha, a, b, x, tx, big_t):
    from scipy.special import betaln, gammaln

    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    term1 = betaln(a, b + x) - (r + x) * np.log(alpha + big_t)
    with np.errstate(all="ignore"):
        term2 = np.where(
            x > 0,
            betaln(a + 1, np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
            -np.inf,
        )
    return common + np.logaddexp(term1, term2)


def fit_bgnbd(
    summary: pd.DataFrame,
    *,
    starts: list[Mapping[str, float]] | None = None,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD fit (Fader, Hardie & Lee 2005).

    Parameters
    ----------
    summary : pandas.DataFrame, shape (n_customers, >=3)
        From :func:`summary_table`: ``frequency``, ``recency``, ``T`` in model periods.
    starts : list of mappings r, alpha, a, b, optional
        Starting points; the default tries four spread-out ones and keeps the best. The
        optimiser works on log-parameters, so all four stay positive.

    Returns
    -------
    BgNbdFit
        r, alpha, a, b, log_likelihood and helpers (expected purchases, P(alive), expected
        repeat purchases of a new customer).

    Raises
    ------
    CrmInputError
        Missing or inconsistent columns, no customers, or no repeat purchases at all (the
        model is then not identified).
    """
    x, tx, big_t = _columns(summary, "fit_bgnbd")
    if not (x > 0).any():
        raise CrmInputError(
            "fit_bgnbd: no customer made a repeat purchase in the calibration period, so the "
            "purchase and drop-out rates cannot be estimated; use a longer calibration period."
        )
    ux, utx, ut, w = _weights(x, tx, big_t)
    n = float(w.sum())
    mean_t = float(np.mean(big_t)) or 1.0

    def nll(theta: np.ndarray) -> float:
        r, alpha, a, b = np.exp(theta)
        value = -float(np.dot(w, _bgnbd_ll(r, alpha, a, b, ux, utx, ut))) / n
        return value if np.isfinite(value) else 1e10

    if starts is None:
        guesses = [
            (1.0, 1.0, 1.0, 1.0),
            (0.5, mean_t / 4, 0.5, 2.0),
            (0.25, mean_t / 10, 1.0, 3.0),
            (2.0, mean_t, 2.0, 10.0),
        ]
    else:
        guesses = [tuple(float(s[k]) for k in ("r", "alpha", "a", "b")) for s in starts]
    x0s = [np.log(np.asarray(g, dtype=float)) for g in guesses]
    began = time.perf_counter()
    theta, value, ok, tries = _minimize(nll, x0s)
    seconds = time.perf_counter() - began
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    return BgNbdFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=-value * n,
        n_customers=int(n),
        converged=ok,
        starts=tries,
        seconds=seconds,
        info=dict(summary.attrs.get("btyd", {})),
    )


def _hyp2f1(a, b, c, z):
    from scipy.special import hyp2f1

    return hyp2f1(a, b, c, z)


def _conditional_expected(r, alpha, a, b, x, tx, big_t, t):
    """E[Y(t) | x, t_x, T] (eq. 10); t may be an array broadcast against x."""
    t = np.asarray(t, dtype=float)
    z = t / (alpha + big_t + t)
    with np.errstate(all="ignore"):
        hyp = _hyp2f1(r + x, b + x, a + b + x - 1, z)
        num = (
            (a + b + x - 1)
            / (a - 1)
            * (1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp)
        )
        odds = np.where(
            x > 0,
            a / np.maximum(b + x - 1, 1e-300) * ((alpha + big_t) / (alpha + tx)) ** (r + x),
            0.0,
        )
    return np.where(t > 0, num / (1 + odds), 0.0)


def expected_purchases(
    summary: pd.DataFrame, params: BgNbdFit | Mapping[str, float], t: float
) -> pd.Series:
    """Expected purchases of each customer in the next ``t`` periods, given their history.

    Parameters
    ----------
    summary : pandas.DataFrame, shape (n_customers, >=3)
        ``frequency``, ``recency``, ``T`` (see :func:`summary_table`).
    params : BgNbdFit or mapping with r, alpha, a, b
    t : float
        Horizon in model periods, 0 or more.

    Returns
    -------
    pandas.Series, shape (n_customers,)
        Named ``expected_purchases``, index of ``summary``.
    """
    r, alpha, a, b = _bgnbd_params(params)
    if not (isinstance(t, int | float) and math.isfinite(t) and t >= 0):
        raise CrmInputError(f"expected_purchases: t must be a number of periods >= 0; got {t!r}.")
    x, tx, big_t = _columns(summary, "expected_purchases")
    values = _conditional_expected(r, alpha, a, b, x, tx, big_t, float(t))
    return pd.Series(values, index=summary.index, name="expected_purchases")


def p_alive(summary: pd.DataFrame, params: BgNbdFit | Mapping[str, float]) -> pd.Series:
    """Probability that each customer is still active at the end of calibration.

    ``1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))``. In
    BG/NBD a customer can only drop out right after a repeat purchase, so customers with
    frequency 0 have P(alive) = 1 exactly.

    Returns
    -------
    pandas.Series, shape (n_customers,)
        Named ``p_alive``, values in [0, 1], index of ``summary``.
    """
    r, alpha, a, b = _bgnbd_params(params)
    x, tx, big_t = _columns(summary, "p_alive")
    with np.errstate(all="ignore"):
        log_odds = np.where(
            x > 0,
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + big_t) - np.log(alpha + tx)),
            -np.inf,
        )
    values = np.exp(-np.logaddexp(0.0, log_odds))
    return pd.Series(values, index=summary.index, name="p_alive")


def expected_repeat_purchases_new(
    params: BgNbdFit | Mapping[str, float], t: float | np.ndarray
) -> float | np.ndarray:
    """Expected repeat purchases of a new customer in ``t`` periods after the first (eq. 9).

    ``(a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t)) ** r * 2F1(r, b; a + b - 1;
    t / (alpha + t))]``.

    Parameters
    ----------
    params : BgNbdFit or mapping with r, alpha, a, b
    t : float or numpy.ndarray, shape (k,)

    Returns
    -------
    float or numpy.ndarray, shape (k,)
    """
    r, alpha, a, b = _bgnbd_params(params)
    tt = np.asarray(t, dtype=float)
    if (tt < 0).any() or not np.isfinite(tt).all():
        raise CrmInputError("expected_repeat_purchases_new: t must be periods >= 0.")
    with np.errstate(all="ignore"):
        value = (
            (a + b - 1)
            / (a - 1)
            * (1 - (alpha / (alpha + tt)) ** r * _hyp2f1(r, b, a + b - 1, tt / (alpha + tt)))
        )
    value = np.where(tt > 0, value, 0.0)
    return float(value) if np.ndim(value) == 0 else value


@dataclass(frozen=True)
class HoldoutDiagnostic:
    """Predicted vs actual holdout purchases.

    Attributes
    ----------
    table : pandas.DataFrame, shape (9, 6)
        One row per calibration frequency group ``"0"`` .. ``"6"``, ``"7+"`` and a ``"total"``
        row; columns ``customers``, ``actual_mean``, ``predicted_mean`` (per customer),
        ``actual_total``, ``predicted_total``, ``relative_error`` ((predicted - actual) /
        actual of the totals; NaN when actual is 0).
    actual_total, predicted_total : float
        Holdout repeat purchases over all customers.
    relative_error : float
        ``(predicted_total - actual_total) / actual_total``; negative = under-prediction.
    mae : float
        Mean over customers of ``|predicted - actual|`` holdout purchases.
    """

    table: pd.DataFrame
    actual_total: float
    predicted_total: float
    relative_error: float
    mae: float


def holdout_diagnostic(
    summary: pd.DataFrame, params: BgNbdFit | Mapping[str, float]
) -> HoldoutDiagnostic:
    """Compare BG/NBD holdout predictions with what customers actually did.

    Each customer's prediction is the conditional expectation over their holdout length
    (``duration_holdout``) given calibration (x, t_x, T) - the check of Fader, Hardie & Lee
    (2005), figure 4.

    Parameters
    ----------
    summary : pandas.DataFrame, shape (n_customers, >=5)
        From :func:`summary_table` with ``observation_end``.
    params : BgNbdFit or mapping with r, alpha, a, b

    Returns
    -------
    HoldoutDiagnostic
    """
    r, alpha, a, b = _bgnbd_params(params)
    if FREQUENCY_HOLDOUT not in summary.columns:
        raise CrmInputError(
            "holdout_diagnostic: the summary has no 'frequency_holdout'; build it with "
            "summary_table(..., observation_end=...)."
        )
    x, tx, big_t, actual, duration = _columns(summary, "holdout_diagnostic", holdout=True)
    predicted = _conditional_expected(r, alpha, a, b, x, tx, big_t, duration)
    top = FREQUENCY_GROUPS - 1
    labels = [str(i) for i in range(top)] + [f"{top}+"]
    group = np.minimum(x, top).astype(int)
    frame = pd.DataFrame({"group": group, "actual": actual, "predicted": predicted})
    agg = (
        frame.groupby("group")
        .agg(
            customers=("actual", "size"),
            actual_total=("actual", "sum"),
            predicted_total=("predicted", "sum"),
        )
        .reindex(range(FREQUENCY_GROUPS), fill_value=0)
    )
    agg.loc[FREQUENCY_GROUPS] = [len(frame), actual.sum(), predicted.sum()]
    agg.index = [*labels, "total"]
    agg.index.name = "calibration_frequency"
    agg["customers"] = agg["customers"].astype("int64")
    with np.errstate(all="ignore"):
        agg["actual_mean"] = agg["actual_total"] / agg["customers"]
        agg["predicted_mean"] = agg["predicted_total"] / agg["customers"]
        agg["relative_error"] = (agg["predicted_total"] - agg["actual_total"]) / agg[
            "actual_total"
        ].where(agg["actual_total"] > 0)
    table = agg[
        [
            "customers",
            "actual_mean",
            "predicted_mean",
            "actual_total",
            "predicted_total",
            "relative_error",
        ]
    ]
    act, pred = float(actual.sum()), float(predicted.sum())
    return HoldoutDiagnostic(
        table=table,
        actual_total=act,
        predicted_total=pred,
        relative_error=(pred - act) / act if act > 0 else float("nan"),
        mae=float(np.mean(np.abs(predicted - actual))),
    )


# --------------------------------------------------------------------------- Gamma-Gamma


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma spend model.

    Attributes
    ----------
    p : float
        Shape of each transaction's value (given the customer's scale).
    q, v : float
        Shape and scale of the gamma heterogeneity of that scale across customers. The
        population mean transaction value is ``p * v / (q - 1)`` (finite when q > 1).
    log_likelihood : float
    n_customers : int
        Customers used: frequency > 0 and monetary_value > 0.
    n_dropped : int
        Repeat buyers left out because their mean value was 0.
    """

    p: float
    q: float
    v: float
    log_likelihood: float
    n_customers: int
    n_dropped: int = 0
    converged: bool = True
    seconds: float = 0.0

    @property
    def params(self) -> dict[str, float]:
        """``{"p", "q", "v"}``."""
        return {"p": self.p, "q": self.q, "v": self.v}

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """See :func:`expected_spend`."""
        return expected_spend(summary, self)


def _gg_ll(p, q, v, x, m):
    from scipy.special import gammaln

    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + m * x)
    )


def _spend_columns(summary: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    _check_columns(summary, [FREQUENCY, MONETARY], what)
    x = pd.to_numeric(summary[FREQUENCY], errors="coerce").to_numpy(dtype="float64")
    m = pd.to_numeric(summary[MONETARY], errors="coerce").to_numpy(dtype="float64")
    if (x < 0).any() or not np.isfinite(x).all():
        raise CrmInputError(f"{what}: '{FREQUENCY}' must be whole numbers of 0 or more.")
    bad = (x > 0) & ~(np.isfinite(m) & (m >= 0))
    if bad.any():
        raise CrmInputError(
            f"{what}: {int(bad.sum())} repeat buyers have no valid '{MONETARY}'; build the "
            "table with summary_table(..., amount=...)."
        )
    return x, m


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

    Fitted on customers with at least one repeat purchase, using ``monetary_value`` = mean
    value of their *repeat* calibration purchases (same-day orders merged), as in the papers;
    customers whose mean is 0 are left out (the gamma density needs positive values).

    Parameters
    ----------
    summary : pandas.DataFrame, shape (n_customers, >=2)
        ``frequency`` and ``monetary_value`` (see :func:`summary_table` with ``amount``).

    Returns
    -------
    GammaGammaFit
        p, q, v and the log-likelihood.
    """
    x, m = _spend_columns(summary, "fit_gamma_gamma")
    use = (x > 0) & (m > 0)
    dropped = int(((x > 0) & (m == 0)).sum())
    if use.sum() < 3:
        raise CrmInputError(
            f"fit_gamma_gamma: only {int(use.sum())} customers with a repeat purchase of "
            "positive value; the spend model needs more (use a longer calibration period)."
        )
    xs, ms = x[use], m[use]
    n = float(len(xs))
    mean_m = float(np.mean(ms))

    def nll(theta: np.ndarray) -> float:
        p, q, v = np.exp(theta)
        value = -float(np.sum(_gg_ll(p, q, v, xs, ms))) / n
        return value if np.isfinite(value) else 1e10

    guesses = [(1.0, 1.0, 1.0), (2.0, 3.0, mean_m), (6.0, 4.0, mean_m / 2), (10.0, 2.0, 5.0)]
    began = time.perf_counter()
    theta, value, ok, _ = _minimize(nll, [np.log(np.asarray(g)) for g in guesses])
    p, q, v = (float(t) for t in np.exp(theta))
    return GammaGammaFit(
        p=p,
        q=q,
        v=v,
        log_likelihood=-value * n,
        n_customers=int(n),
        n_dropped=dropped,
        converged=ok,
        seconds=time.perf_counter() - began,
    )


def expected_spend(summary: pd.DataFrame, gg: GammaGammaFit | Mapping[str, float]) -> pd.Series:
    """Expected value of each customer's future transactions.

    ``(p * v + p * x * m) / (p * x + q - 1)``: a weighted mean of the population mean
    ``p v / (q - 1)`` and the customer's own mean ``m``; frequency-0 customers get the
    population mean.

    Returns
    -------
    pandas.Series, shape (n_customers,)
        Named ``expected_spend``, index of ``summary``.
    """
    p, q, v = _gg_params(gg)
    x, m = _spend_columns(summary, "expected_spend")
    m = np.where(x > 0, np.nan_to_num(m), 0.0)
    values = (p * v + p * x * m) / (p * x + q - 1)
    return pd.Series(values, index=summary.index, name="expected_spend")


def _gg_params(gg: GammaGammaFit | Mapping[str, float]) -> tuple[float, float, float]:
    if isinstance(gg, GammaGammaFit):
        values = (gg.p, gg.q, gg.v)
    else:
        try:
            values = tuple(float(gg[k]) for k in ("p", "q", "v"))
        except (KeyError, TypeError, ValueError):
            raise CrmInputError(
                "Gamma-Gamma parameters must be a fit_gamma_gamma result or a mapping with p, q, v."
            ) from None
    if not all(math.isfinite(x) and x > 0 for x in values):
        raise CrmInputError(f"Gamma-Gamma parameters must be positive; got {values}.")
    if values[1] <= 1:
        raise CrmInputError(
            f"Gamma-Gamma q = {values[1]:.3g} <= 1: the mean spend is infinite, so no value "
            "can be predicted; check the spend data for extreme values."
        )
    return values  # type: ignore[return-value]


# --------------------------------------------------------------------------- CLV


def clv(
    summary: pd.DataFrame,
    bgnbd: BgNbdFit | Mapping[str, float],
    gg: GammaGammaFit | Mapping[str, float],
    horizon: int,
    discount_rate: float,
    *,
    period_length: float = 1.0,
    by_period: bool = False,
) -> pd.DataFrame:
    """Discounted expected customer value over a horizon (BG/NBD purchases x Gamma-Gamma spend).

    ``CLV = sum_{k=1..horizon} (E[Y(k L)] - E[Y((k-1) L)]) * E[spend] / (1 + d) ** k`` with L =
    ``period_length`` model periods and d = ``discount_rate`` per such period; purchases in
    period k are discounted to the end of that period.

    Parameters
    ----------
    summary : pandas.DataFrame, shape (n_customers, >=4)
        ``frequency``, ``recency``, ``T``, ``monetary_value``.
    bgnbd : BgNbdFit or mapping r, alpha, a, b
    gg : GammaGammaFit or mapping p, q, v
    horizon : int
        Number of discounting periods, 1 or more.
    discount_rate : float
        Per discounting period, >= 0 (e.g. 0.01 a month).
    period_length : float
        Length of one discounting period in model periods (e.g. 4.345 weeks for months).
    by_period : bool
        Also return ``value_1`` .. ``value_<horizon>``: discounted value of each period.

    Returns
    -------
    pandas.DataFrame, shape (n_customers, 4 [+ horizon])
        Index of ``summary``; the customer column if the summary has a first non-model
        column, then ``expected_purchases`` (undiscounted, over the whole horizon),
        ``expected_spend`` (per purchase), ``clv``.
    """
    if not (isinstance(horizon, int | np.integer) and horizon >= 1):
        raise CrmInputError(
            f"clv: horizon must be a whole number of periods >= 1; got {horizon!r}."
        )
    if not (isinstance(discount_rate, int | float) and 0 <= discount_rate < 10):
        raise CrmInputError(
            f"clv: discount_rate must be a rate per period such as 0.01 (>= 0); got "
            f"{discount_rate!r}."
        )
    if not (isinstance(period_length, int | float) and period_length > 0):
        raise CrmInputError(f"clv: period_length must be > 0; got {period_length!r}.")
    r, alpha, a, b = _bgnbd_params(bgnbd)
    x, tx, big_t = _columns(summary, "clv")
    spend = expected_spend(summary, gg).to_numpy()
    ends = period_length * np.arange(0, horizon + 1, dtype=float)
    cum = np.column_stack([_conditional_expected(r, alpha, a, b, x, tx, big_t, e) for e in ends])
    per = np.diff(cum, axis=1)
    factors = (1.0 + discount_rate) ** -np.arange(1, horizon + 1, dtype=float)
    values = per * spend[:, None] * factors[None, :]
    out = pd.DataFrame(index=summary.index)
    others = [
        c
        for c in summary.columns
        if c not in (FREQUENCY, RECENCY, T, MONETARY, FREQUENCY_HOLDOUT, DURATION_HOLDOUT)
    ]
    if others:
        out[others[0]] = summary[others[0]].to_numpy()
    out["expected_purchases"] = cum[:, -1]
    out["expected_spend"] = spend
    out["clv"] = values.sum(axis=1)
    if by_period:
        for k in range(horizon):
            out[f"value_{k + 1}"] = values[:, k]
    return out
