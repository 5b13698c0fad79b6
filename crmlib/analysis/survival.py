"""Survival analysis on contract data: Kaplan-Meier curves with log-rank test, Cox hazards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.analysis.attributes import check_columns
from crmlib.analysis.churn import check_durations, event_values, split_columns
from crmlib.errors import CrmInputError, EmptyResultError


@dataclass
class KaplanMeier:
    """Result of :func:`kaplan_meier`.

    Attributes
    ----------
    curves : pandas.DataFrame
        One row per group × event time, shape (rows, 8): ``group``, ``time``, ``at_risk``,
        ``events``, ``censored``, ``survival``, ``ci_lower``, ``ci_upper`` (95 %).
    summary : pandas.DataFrame
        One row per group, shape (groups, 4): ``group``, ``customers``, ``events`` and
        ``median`` (time at which survival drops to 50 %; inf when it never does).
    logrank_p : float
        p-value of the multivariate log-rank test across groups (NaN for one group).
    """

    curves: pd.DataFrame
    summary: pd.DataFrame
    logrank_p: float


def stats_norm_sf(z: np.ndarray) -> np.ndarray:
    """Upper tail of the standard normal (for two-sided Wald p-values)."""
    from scipy.special import ndtr

    return ndtr(-np.asarray(z, dtype="float64"))


def _survival_frame(frame, duration, event, extra, name):
    check_columns(frame, [duration, event, *extra], f"{name}: column(s)")
    t = check_durations(frame[duration], duration)
    e = event_values(frame[event], event)
    if len(t) == 0:
        raise EmptyResultError(f"{name}: the table has no rows.")
    return t, e


def _km_table(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Kaplan–Meier estimate at every distinct time, with Greenwood's variance and a 95 %
    interval on the log(−log) scale (it stays inside [0, 1])."""
    times, inverse = np.unique(time, return_inverse=True)
    events = np.bincount(inverse, weights=event, minlength=len(times)).astype(np.int64)
    leaving = np.bincount(inverse, minlength=len(times)).astype(np.int64)
    at_risk = len(time) - np.concatenate([[0], np.cumsum(leaving)[:-1]])
    survival = np.cumprod(1.0 - events / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0)
        greenwood = np.cumsum(terms)
        log_s = np.log(survival)
        spread = 1.959964 * np.sqrt(greenwood) / np.abs(log_s)
        theta = np.log(-log_s)
        lower = np.exp(-np.exp(theta + spread))
        upper = np.exp(-np.exp(theta - spread))
    defined = (survival > 0) & (survival < 1)
    return pd.DataFrame(
        {
            "time": times,
            "at_risk": at_risk,
            "events": events,
            "censored": leaving - events,
            "survival": survival,
            "ci_lower": np.where(defined, lower, survival),
            "ci_upper": np.where(defined, upper, survival),
        }
    )


def kaplan_meier(
    frame: pd.DataFrame, duration: str, event: str, group: str | None = None
) -> KaplanMeier:
    """Kaplan-Meier survival curves per group, with at-risk counts and a log-rank test.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer.
    duration : str
        Time observed (e.g. ``"tenure"`` months); numbers, 0 or more.
    event : str
        1/Yes = the customer churned at that time, 0/No = still a customer (censored).
    group : str, optional
        Column whose values split the customers (e.g. ``"Contract"``); None = one curve.

    Returns
    -------
    KaplanMeier
        Curves, per-group summary (median time to churn) and the log-rank p-value.

    Raises
    ------
    CrmInputError
        Missing columns, negative or missing durations, an event that is not 0/1 or Yes/No.
    """
    from statsmodels.duration.survfunc import survdiff

    t, e = _survival_frame(frame, duration, event, [group] if group else [], "kaplan_meier")
    labels = (
        frame[group].astype("string").fillna("(missing)")
        if group
        else pd.Series("all", index=frame.index, dtype="string")
    )
    curves, summary = [], []
    for label in sorted(labels.unique()):
        mask = (labels == label).to_numpy()
        curve = _km_table(t[mask].to_numpy(dtype="float64"), e[mask].to_numpy(dtype="int64"))
        curves.append(curve.assign(group=str(label))[["group", *curve.columns]])
        below = curve.loc[curve["survival"] <= 0.5, "time"]
        summary.append(
            {
                "group": str(label),
                "customers": int(mask.sum()),
                "events": int(e[mask].sum()),
                "median": float(below.iloc[0]) if len(below) else float("inf"),
            }
        )
    p = float("nan")
    if labels.nunique() > 1:
        codes = pd.factorize(labels)[0]
        p = float(survdiff(t.to_numpy(dtype="float64"), e.to_numpy(dtype="int64"), codes)[1])
    return KaplanMeier(
        curves=pd.concat(curves, ignore_index=True),
        summary=pd.DataFrame(summary),
        logrank_p=p,
    )


def cox_model(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    *,
    penalizer: float = 0.01,
) -> pd.DataFrame:
    """Cox proportional-hazards model: hazard ratio of each covariate with its 95 % CI.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer.
    duration, event : str
        As for :func:`kaplan_meier`.
    covariates : sequence of str
        Columns to model. Text/category/bool columns are one-hot coded against their commonest
        level; numbers are used as they are (hazard ratio per unit).
    penalizer : float
        Ridge penalty used to find a stable start when covariates repeat each other (0 = plain
        partial likelihood); estimates and standard errors come from statsmodels' PHReg.

    Returns
    -------
    pandas.DataFrame
        One row per model term, shape (terms, 7), largest effect first: ``covariate``,
        ``level`` (empty for numbers), ``compared_with``, ``hazard_ratio``, ``ci_lower``,
        ``ci_upper``, ``p``.
    """
    from statsmodels.duration.hazard_regression import PHReg

    covariates = list(covariates)
    if not covariates:
        raise CrmInputError("cox_model: give at least one covariate column.")
    t, e = _survival_frame(frame, duration, event, covariates, "cox_model")
    x = frame[covariates]
    categorical, numeric = split_columns(x)
    if numeric and x[numeric].isna().any().any():
        bad = [c for c in numeric if x[c].isna().any()]
        raise CrmInputError(
            f"cox_model: covariate(s) {bad} have missing values; fill or drop them."
        )
    parts = [x[numeric].astype("float64")] if numeric else []
    meta: dict[str, tuple[str, str, str]] = {c: (c, "", "1 unit less") for c in numeric}
    for c in categorical:
        values = x[c].astype("string").fillna("(missing)")
        ref = str(values.value_counts().idxmax())
        for level in sorted(values.unique()):
            if level == ref:
                continue
            term = f"{c}={level}"
            parts.append(pd.DataFrame({term: (values == level).astype("float64")}))
            meta[term] = (c, str(level), f"{c} = {ref}")
    design = pd.concat(parts, axis=1)
    model = PHReg(t.to_numpy(dtype="float64"), design.to_numpy(), status=e.to_numpy(), ties="efron")
    if penalizer:
        fit = model.fit_regularized(alpha=penalizer, L1_wt=0.0)
        fit = model.fit(start_params=fit.params)  # standard errors at the ridge solution
    else:
        fit = model.fit()
    coef, se = np.asarray(fit.params), np.asarray(fit.bse)
    z = coef / se
    out = pd.DataFrame(
        {
            "covariate": [meta[k][0] for k in design.columns],
            "level": [meta[k][1] for k in design.columns],
            "compared_with": [meta[k][2] for k in design.columns],
            "hazard_ratio": np.exp(coef),
            "ci_lower": np.exp(coef - 1.959964 * se),
            "ci_upper": np.exp(coef + 1.959964 * se),
            "p": 2 * stats_norm_sf(np.abs(z)),
        }
    )
    order = np.argsort(-np.abs(np.log(out["hazard_ratio"].to_numpy())), kind="stable")
    return out.iloc[order].reset_index(drop=True)
