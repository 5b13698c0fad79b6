"""Gamma-Gamma spend model and customer lifetime value on top of a BG/NBD fit."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.analysis.attributes import check_columns
from crmlib.analysis.btyd import BgNbdFit, bgnbd_params, conditional_expected
from crmlib.analysis.btyd_summary import (
    DURATION_HOLDOUT,
    FREQUENCY,
    FREQUENCY_HOLDOUT,
    MONETARY,
    RECENCY,
    T,
    check_summary,
    minimize_nll,
)
from crmlib.errors import CrmInputError

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
    check_columns(summary, [FREQUENCY, MONETARY], f"{what}: column(s)")
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
    theta, value, ok, _ = minimize_nll(nll, [np.log(np.asarray(g)) for g in guesses])
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
    r, alpha, a, b = bgnbd_params(bgnbd)
    x, tx, big_t = check_summary(summary, "clv")
    spend = expected_spend(summary, gg).to_numpy()
    ends = period_length * np.arange(0, horizon + 1, dtype=float)
    cum = np.column_stack([conditional_expected(r, alpha, a, b, x, tx, big_t, e) for e in ends])
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
