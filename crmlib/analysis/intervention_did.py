"""Difference-in-differences on a balanced unit × period panel, with clustered standard errors.

The effect is the coefficient of ``treated × post`` in a two-way fixed-effects regression
(unit and period effects). On a balanced panel the fixed effects are removed exactly by
two-way demeaning, so the regression runs on one column however many units there are, and the
coefficient equals the 2 × 2 difference of means. Standard errors are clustered by unit
(statsmodels OLS, ``cov_type="cluster"``), which allows any correlation within a unit's periods.

The event study replaces ``treated × post`` by one ``treated × period`` column per period (the
last pre-period is the reference): pre-period coefficients near zero support parallel trends,
and a joint Wald test of them is the pre-trend check. The placebo re-runs the estimate on the
pre-period only, with a fake intervention date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.analysis.intervention import (
    EFFECT_COLUMNS,
    EvaluationResult,
    check_alpha,
    fmt_effect,
    fmt_value,
    numeric_column,
    relative,
    require_columns,
)
from crmlib.errors import CrmInputError

MIN_PERIODS_BEFORE = 2
MIN_CLUSTERS = 10  # per group; below it clustered standard errors are unreliable


def _demean(values: np.ndarray, units: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Two-way demeaning of a balanced panel: ``v - mean_unit - mean_period + mean``."""
    frame = pd.DataFrame(values)
    by_unit = frame.groupby(units).transform("mean").to_numpy()
    by_period = frame.groupby(periods).transform("mean").to_numpy()
    return values - by_unit - by_period + values.mean(axis=0)


def _ols_cluster(y: np.ndarray, x: np.ndarray, clusters: np.ndarray):
    import statsmodels.api as sm

    # t with G - 1 degrees of freedom: cluster-robust errors are too small with few clusters
    return sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)


def _prepare(panel, unit, period, outcome, treated):
    require_columns(panel, [unit, period, outcome, treated], "panel")
    y = numeric_column(panel, outcome, "panel")
    units, unit_codes = np.unique(panel[unit].astype(str).to_numpy(), return_inverse=True)
    periods = pd.to_datetime(panel[period]) if not np.issubdtype(
        panel[period].dtype, np.number) else panel[period]  # fmt: skip
    period_values, period_codes = np.unique(periods.to_numpy(), return_inverse=True)
    counts = np.bincount(unit_codes * len(period_values) + period_codes,
                         minlength=len(units) * len(period_values))  # fmt: skip
    if (counts != 1).any():
        gaps = int((counts == 0).sum())
        dupes = int((counts > 1).sum())
        raise CrmInputError(
            f"The panel must have exactly one row per {unit} and {period}: {gaps:,} "
            f"unit-periods are missing and {dupes:,} are repeated. Fill missing periods (e.g. "
            "with 0 revenue for a customer who did not buy) or aggregate repeats first."
        )
    flag = panel[treated].astype(bool).to_numpy()
    per_unit = pd.Series(flag).groupby(unit_codes).agg(["min", "max"])
    if (per_unit["min"] != per_unit["max"]).any():
        raise CrmInputError(
            f"Column {treated!r} must be constant within each {unit} (treated units are "
            "treated in every period; the intervention date says when)."
        )
    if flag.all() or not flag.any():
        raise CrmInputError(
            "Difference-in-differences needs treated and untreated units; column "
            f"{treated!r} is {'all true' if flag.all() else 'all false'}."
        )
    if np.all(y == y[0]):
        raise CrmInputError(f"Metric {outcome!r} has no variance in the panel.")
    return y, unit_codes, period_codes, period_values, flag


def _did_core(y, unit_codes, period_codes, post, flag, alpha):
    d = (flag & post).astype(float)
    stacked = _demean(np.column_stack([y, d]), unit_codes, period_codes)
    fit = _ols_cluster(stacked[:, 0], stacked[:, 1:], unit_codes)
    low, high = fit.conf_int(alpha)[0]
    return float(fit.params[0]), float(low), float(high), float(fit.pvalues[0])


def diff_in_diff(
    panel: pd.DataFrame,
    *,
    unit: str,
    period: str,
    outcome: str,
    treated: str,
    intervention: str | pd.Timestamp,
    placebo: str | pd.Timestamp | None = None,
    alpha: float = 0.05,
    event_study: bool = True,
) -> EvaluationResult:
    """Difference-in-differences of ``outcome`` between treated and untreated units.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (balanced): ``unit``, ``period`` (dates or numbers),
        numeric ``outcome`` and a boolean ``treated`` constant within each unit.
    intervention : str or Timestamp
        First period of the post-period.
    placebo : str or Timestamp, optional
        Fake intervention date inside the pre-period (default: its middle period).
    alpha : float
        Two-sided level of the intervals.
    event_study : bool
        Also estimate one coefficient per period (pre-trend check and event-study chart).

    Returns
    -------
    EvaluationResult
        ``table``: one row, :data:`EFFECT_COLUMNS` plus ``units``, ``treated_units``;
        ``details``: ``means`` (group × pre/post means), ``events`` (period, coefficient,
        interval; the reference period is 0), ``placebo`` (one row).
    """
    alpha = check_alpha(alpha)
    y, unit_codes, period_codes, period_values, flag = _prepare(
        panel, unit, period, outcome, treated
    )
    start = _as_period(intervention, period_values)
    post = period_values[period_codes] >= start
    n_before = int((period_values < start).sum())
    if n_before < MIN_PERIODS_BEFORE or n_before == len(period_values):
        raise CrmInputError(
            f"The intervention date {intervention} leaves {n_before} of {len(period_values)} "
            f"periods before it; difference-in-differences needs at least {MIN_PERIODS_BEFORE} "
            "periods before and one after. Pick a date inside the data."
        )
    effect, low, high, p = _did_core(y, unit_codes, period_codes, post, flag, alpha)
    means = (
        pd.DataFrame({"treated": flag, "post": post, "y": y})
        .groupby(["treated", "post"])["y"].mean()
    )  # fmt: skip
    actual = float(means.loc[(True, True)])
    counterfactual = actual - effect
    table = pd.DataFrame(
        [{"metric": outcome, "group": "treated units", "actual": actual,
          "counterfactual": counterfactual, "abs_effect": effect,
          "rel_effect": relative(effect, counterfactual), "ci_low": low, "ci_high": high,
          "p_value": p, "units": len(np.unique(unit_codes)),
          "treated_units": len(np.unique(unit_codes[flag]))}]
    )[[*EFFECT_COLUMNS, "units", "treated_units"]]  # fmt: skip
    result = EvaluationResult("did", table, alpha=alpha)
    result.details["means"] = means.rename("mean").reset_index()
    warnings = result.warnings
    n_treated = int(table["treated_units"].iloc[0])
    n_control = int(table["units"].iloc[0]) - n_treated
    if min(n_treated, n_control) < MIN_CLUSTERS:
        warnings.append(
            f"FEW CLUSTERS: only {n_treated} treated and {n_control} untreated units ({unit!r}). "
            f"Standard errors clustered by {unit} are unreliable with fewer than about "
            f"{MIN_CLUSTERS} clusters per group: the interval is likely too narrow and p too "
            "small. Treat them as rough; compare with the placebo and event-study checks, or "
            "evaluate at a finer unit (e.g. customers instead of countries)."
        )
    if event_study:
        events, pre_p = _event_study_table(
            y, unit_codes, period_codes, period_values, flag, start, alpha
        )
        result.details["events"] = events
        if pre_p < alpha:
            warnings.append(
                f"PRE-TRENDS: before the intervention the treated and untreated units already "
                f"drifted apart (joint test p = {pre_p:.3g}); parallel trends are doubtful and "
                "the estimate may mix the effect with that drift."
            )
    else:
        pre_p = float("nan")
    result.details["placebo"] = _placebo_table(
        y, unit_codes, period_codes, period_values, flag, start, placebo, alpha
    )
    plac = result.details["placebo"].iloc[0]
    if plac["p_value"] < alpha:
        warnings.append(
            f"PLACEBO: a fake intervention on {plac['date']} already shows an 'effect' of "
            f"{plac['abs_effect']:+.3g} (p = {plac['p_value']:.3g}); something besides the "
            "intervention moves the groups apart."
        )
    row = table.iloc[0]
    level = round((1 - alpha) * 100)
    lines = [
        *warnings,
        f"After the intervention the treated units averaged {fmt_value(actual)} of {outcome} "
        f"per unit and period; had they moved like the untreated units they would have "
        f"averaged {fmt_value(counterfactual)}. Effect: {fmt_effect(effect)} "
        f"({row['rel_effect']:+.1%}), {level} % interval {fmt_effect(low)} to "
        f"{fmt_effect(high)}, p = {p:.3g} (standard errors clustered by {unit}).",
        f"Pre-trend check: p = {pre_p:.2f}; placebo on {plac['date']}: "
        f"{plac['abs_effect']:+.3g} (p = {plac['p_value']:.2f}).",
        "Caveat: the estimate assumes both groups would have moved in parallel without the "
        "intervention, and that nothing else changed for the treated group at the same time.",
    ]
    result.summary = "\n".join(lines)
    return result


def _as_period(value, period_values: np.ndarray):
    if np.issubdtype(period_values.dtype, np.number):
        return float(value)
    try:
        return np.datetime64(pd.Timestamp(value))
    except (ValueError, TypeError) as exc:
        raise CrmInputError(f"Cannot read the date {value!r}; use YYYY-MM-DD.") from exc


def _event_study_table(y, unit_codes, period_codes, period_values, flag, start, alpha):
    """Coefficients of treated × period (reference: last pre-period) and the pre-trend p."""
    n_periods = len(period_values)
    reference = int((period_values < start).sum()) - 1
    keep = [k for k in range(n_periods) if k != reference]
    dummies = np.zeros((len(y), len(keep)))
    for j, k in enumerate(keep):
        dummies[:, j] = flag & (period_codes == k)
    stacked = _demean(np.column_stack([y, dummies]), unit_codes, period_codes)
    fit = _ols_cluster(stacked[:, 0], stacked[:, 1:], unit_codes)
    ci = fit.conf_int(alpha)
    pre = [j for j, k in enumerate(keep) if k < reference]
    pre_p = float("nan")
    if pre:
        restriction = np.eye(len(keep))[pre]
        pre_p = float(fit.wald_test(restriction, scalar=True).pvalue)
    events = pd.DataFrame(
        {"period": period_values[keep], "relative": np.array(keep) - reference - 1,
         "coef": fit.params, "ci_low": ci[:, 0], "ci_high": ci[:, 1]}
    )  # fmt: skip
    ref = pd.DataFrame({"period": [period_values[reference]], "relative": [-1], "coef": [0.0],
                        "ci_low": [0.0], "ci_high": [0.0]})  # fmt: skip
    events = pd.concat([events, ref]).sort_values("relative", ignore_index=True)
    events["post"] = events["relative"] >= 0
    return events, pre_p


def _placebo_table(y, unit_codes, period_codes, period_values, flag, start, placebo, alpha):
    """DiD on the pre-period only, with a fake date (default: the middle pre-period)."""
    before = period_values < start
    n_before = int(before.sum())
    if placebo is None:
        fake = period_values[n_before // 2] if n_before >= 2 else None
    else:
        fake = _as_period(placebo, period_values)
        if not (period_values[0] < fake < start):
            raise CrmInputError(
                f"The placebo date {placebo} must lie strictly inside the pre-period."
            )
    if fake is None:
        return pd.DataFrame([{"date": "", "abs_effect": np.nan, "p_value": np.nan}])
    rows = before[period_codes]
    post = period_values[period_codes[rows]] >= fake
    effect, low, high, p = _did_core(
        y[rows], unit_codes[rows], period_codes[rows], post, flag[rows], alpha
    )
    label = str(pd.Timestamp(fake).date()) if not np.issubdtype(
        period_values.dtype, np.number) else str(fake)  # fmt: skip
    return pd.DataFrame(
        [{"date": label, "abs_effect": effect, "ci_low": low, "ci_high": high, "p_value": p}]
    )


__all__ = ["diff_in_diff"]
