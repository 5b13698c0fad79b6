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

Summary tables and their time conventions are in :mod:`crmlib.analysis.btyd_summary`;
Gamma-Gamma and CLV in :mod:`crmlib.analysis.spend`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crmlib.analysis.btyd_summary import (
    FREQUENCY_GROUPS,
    FREQUENCY_HOLDOUT,
    check_summary,
    minimize_nll,
    summary_table,
    unique_weights,
)
from crmlib.errors import CrmInputError

__all__ = [
    "BgNbdFit",
    "HoldoutDiagnostic",
    "bgnbd_log_likelihood",
    "expected_purchases",
    "expected_repeat_purchases_new",
    "fit_bgnbd",
    "holdout_diagnostic",
    "p_alive",
    "summary_table",
]

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


def bgnbd_params(params: BgNbdFit | Mapping[str, float]) -> tuple[float, float, float, float]:
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
    r, alpha, a, b = bgnbd_params(params)
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
    x, tx, big_t = check_summary(summary, "fit_bgnbd")
    if not (x > 0).any():
        raise CrmInputError(
            "fit_bgnbd: no customer made a repeat purchase in the calibration period, so the "
            "purchase and drop-out rates cannot be estimated; use a longer calibration period."
        )
    ux, utx, ut, w = unique_weights(x, tx, big_t)
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
    theta, value, ok, tries = minimize_nll(nll, x0s)
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


def conditional_expected(r, alpha, a, b, x, tx, big_t, t):
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
    r, alpha, a, b = bgnbd_params(params)
    if not (isinstance(t, int | float) and math.isfinite(t) and t >= 0):
        raise CrmInputError(f"expected_purchases: t must be a number of periods >= 0; got {t!r}.")
    x, tx, big_t = check_summary(summary, "expected_purchases")
    values = conditional_expected(r, alpha, a, b, x, tx, big_t, float(t))
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
    r, alpha, a, b = bgnbd_params(params)
    x, tx, big_t = check_summary(summary, "p_alive")
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
    r, alpha, a, b = bgnbd_params(params)
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
    r, alpha, a, b = bgnbd_params(params)
    if FREQUENCY_HOLDOUT not in summary.columns:
        raise CrmInputError(
            "holdout_diagnostic: the summary has no 'frequency_holdout'; build it with "
            "summary_table(..., observation_end=...)."
        )
    x, tx, big_t, actual, duration = check_summary(summary, "holdout_diagnostic", holdout=True)
    predicted = conditional_expected(r, alpha, a, b, x, tx, big_t, duration)
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
