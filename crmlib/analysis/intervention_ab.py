"""Randomised arms: differences in means or proportions, SRM check, CUPED, multiple testing, MDE.

The effect of each treatment arm on each metric is the difference of its mean and the control
arm's mean, with a Welch (unequal variances) standard error; for a 0/1 metric that is the
difference of proportions with the unpooled Wald interval. With a pre-period covariate ``x``
(CUPED, Deng et al. 2013) each outcome is first replaced by ``y - θ (x - mean x)`` with
``θ = cov(y, x) / var(x)`` over all customers, which keeps the effect unbiased and removes the
variance that the covariate explains.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlib.analysis.intervention import (
    EFFECT_COLUMNS,
    EvaluationResult,
    check_alpha,
    effect_sentence,
    numeric_column,
    relative,
    require_columns,
)
from crmlib.errors import CrmInputError, EmptyResultError

SRM_THRESHOLD = 0.001  # p below this flags a sample-ratio mismatch (the usual A/B-tool default)


def srm_check(
    counts: pd.Series, expected_ratios: Sequence[float] | None = None
) -> tuple[pd.DataFrame, float]:
    """Sample-ratio-mismatch test: do the arm sizes match the planned split?

    Parameters
    ----------
    counts : pandas.Series
        Customers per arm (index = arm).
    expected_ratios : sequence of float, optional
        Planned shares in the order of ``counts`` (default: equal).

    Returns
    -------
    tuple of (DataFrame, float)
        Rows = arms with ``customers``, ``expected``, ``share``; and the χ² p-value.
    """
    from scipy import stats

    observed = counts.to_numpy(dtype=float)
    ratios = np.ones(len(observed)) if expected_ratios is None else np.asarray(expected_ratios)
    if len(ratios) != len(observed) or (ratios <= 0).any():
        raise CrmInputError(
            f"expected_ratios needs one positive share per arm ({len(observed)} arms: "
            f"{', '.join(map(str, counts.index))}); got {list(ratios)}."
        )
    expected = observed.sum() * ratios / ratios.sum()
    p = float(stats.chisquare(observed, expected).pvalue)
    table = pd.DataFrame(
        {"arm": counts.index.astype(str), "customers": observed.astype(int),
         "expected": expected, "share": observed / observed.sum()}
    )  # fmt: skip
    return table, p


def cuped_adjust(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Return ``y - θ (x - mean x)`` and the share of variance removed (0 when x is constant)."""
    vx = x.var()
    if vx == 0:
        return y, 0.0
    theta = np.cov(y, x, ddof=0)[0, 1] / vx
    adjusted = y - theta * (x - x.mean())
    vy = y.var()
    return adjusted, float(1 - adjusted.var() / vy) if vy > 0 else 0.0


def adjust_pvalues(p: np.ndarray, method: str) -> np.ndarray:
    """Holm (``"holm"``) or Benjamini–Hochberg (``"fdr_bh"``) adjusted p-values.

    Written out (a few lines of numpy) because statsmodels' ``multipletests`` runs a full
    garbage collection on every call, 40 ms here, which dominated simulations.
    """
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    ranked = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "fdr_bh":
        adjusted = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    else:
        raise CrmInputError(f"Unknown correction {method!r}; use 'holm' or 'fdr_bh'.")
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def _welch(m1, v1, n1, m0, v0, n0, alpha, power):
    from scipy import stats

    se = np.sqrt(v1 / n1 + v0 / n0)
    df = se**4 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    diff = m1 - m0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / se
    p = 2 * stats.t.sf(np.abs(t), df)
    q = stats.t.ppf(1 - alpha / 2, df)
    mde = (q + stats.norm.ppf(power)) * se
    return diff, diff - q * se, diff + q * se, p, mde, se


def compare_arms(
    frame: pd.DataFrame,
    *,
    arm: str,
    metrics: Sequence[str],
    control: str | None = None,
    covariate: str = "",
    alpha: float = 0.05,
    power: float = 0.8,
    expected_ratios: Sequence[float] | None = None,
) -> EvaluationResult:
    """Compare each treatment arm with the control arm on each metric.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per randomised unit (customer): the arm column and numeric metric columns.
    arm : str
        Assignment column.
    metrics : sequence of str
        Outcome columns (0/1 for rates, amounts for means).
    control : str, optional
        Control arm label; default the first arm in sorted order.
    covariate : str
        Pre-period column for CUPED (empty: none).
    alpha, power : float
        Two-sided significance level; power used for the minimum detectable effect.
    expected_ratios : sequence of float, optional
        Planned split in sorted arm order (default equal), for the SRM check.

    Returns
    -------
    EvaluationResult
        ``table``: one row per (metric, treatment arm), :data:`EFFECT_COLUMNS` plus ``n``,
        ``n_control``, ``se``, ``mde``, ``p_holm``, ``p_bh``, ``variance_reduction``, ``rate``;
        ``details["srm"]``: arm sizes.

    Examples
    --------
    >>> f = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4, "y": [0, 1, 0, 1, 1, 1, 0, 1]})
    >>> round(compare_arms(f, arm="arm", metrics=["y"]).table["abs_effect"].iloc[0], 2)
    0.25
    """
    alpha = check_alpha(alpha)
    metrics = list(metrics)
    if not metrics:
        raise CrmInputError("No metric given: name at least one outcome column to compare.")
    require_columns(frame, [arm, *metrics, covariate], "experiment table")
    if frame.empty:
        raise EmptyResultError(
            "The experiment table has no rows: load the table with one row per unit (customer) "
            "and its arm, or check the filter that emptied it."
        )
    labels = frame[arm].astype("string")
    if labels.isna().any():
        raise CrmInputError(
            f"{int(labels.isna().sum()):,} rows have no arm in column {arm!r}; drop them first."
        )
    counts = labels.value_counts().sort_index()
    if len(counts) < 2:
        raise CrmInputError(
            f"Only one arm ({counts.index[0]!r}) in column {arm!r}: an experiment needs a "
            "control arm and at least one treatment arm."
        )
    control = str(control) if control else str(counts.index[0])
    if control not in counts.index:
        raise CrmInputError(
            f"Control arm {control!r} is not in column {arm!r}; arms: {', '.join(counts.index)}."
        )
    if (counts < 2).any():
        raise CrmInputError(f"Every arm needs at least 2 units; sizes: {counts.to_dict()}.")
    srm, srm_p = srm_check(counts, expected_ratios)
    warnings: list[str] = []
    if srm_p < SRM_THRESHOLD:
        sizes = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        warnings.append(
            f"SAMPLE-RATIO MISMATCH: the arm sizes ({sizes}) "
            f"differ from the planned split far more than chance allows (χ² p = {srm_p:.2g}). "
            "Assignment or logging is broken; the effects below are not trustworthy until the "
            "cause is found."
        )
    codes = labels.to_numpy()
    x = numeric_column(frame, covariate, "experiment table") if covariate else None
    arms = [a for a in counts.index if a != control]
    rows = []
    for metric in metrics:
        y = numeric_column(frame, metric, "experiment table")
        if np.all(y == y[0]):
            raise CrmInputError(
                f"Metric {metric!r} has the same value ({y[0]:g}) for every unit: it has no "
                "variance, so no effect can be estimated. Drop it or check the column."
            )
        reduction = 0.0
        if x is not None:
            y, reduction = cuped_adjust(y, x)
        stats_by_arm = (
            pd.DataFrame({"arm": codes, "y": y}).groupby("arm")["y"].agg(["mean", "var", "count"])
        )
        c = stats_by_arm.loc[control]
        t = stats_by_arm.loc[arms]
        diff, low, high, p, mde, se = _welch(
            t["mean"].to_numpy(), t["var"].to_numpy(), t["count"].to_numpy(),
            c["mean"], c["var"], c["count"], alpha, power,
        )  # fmt: skip
        rate = bool(np.isin(frame[metric].to_numpy(dtype=float), (0.0, 1.0)).all())
        rows.append(
            pd.DataFrame(
                {"metric": metric, "group": arms, "actual": t["mean"].to_numpy(),
                 "counterfactual": c["mean"], "abs_effect": diff,
                 "rel_effect": relative(diff, c["mean"]), "ci_low": low, "ci_high": high,
                 "p_value": p, "n": t["count"].to_numpy().astype(int),
                 "n_control": int(c["count"]), "se": se, "mde": mde,
                 "variance_reduction": reduction, "rate": rate}
            )
        )  # fmt: skip
    table = pd.concat(rows, ignore_index=True)
    table["p_holm"] = adjust_pvalues(table["p_value"], "holm")
    table["p_bh"] = adjust_pvalues(table["p_value"], "fdr_bh")
    table = table[[*EFFECT_COLUMNS, *[c for c in table.columns if c not in EFFECT_COLUMNS]]]
    result = EvaluationResult("randomised", table, warnings=warnings, alpha=alpha)
    result.details["srm"] = srm.assign(p_value=srm_p)
    result.summary = summarise_arms(result, control=control, covariate=covariate, srm_p=srm_p)
    return result


def summarise_arms(result: EvaluationResult, *, control: str, covariate: str, srm_p: float) -> str:
    """Plain-words summary of a randomised comparison."""
    table = result.table
    lines = list(result.warnings)
    lines.append(
        f"Each arm is compared with the control arm {control!r} "
        f"({int(table['n_control'].iloc[0]):,} units); the sample-ratio check "
        f"{'passes' if srm_p >= SRM_THRESHOLD else 'FAILS'} (χ² p = {srm_p:.2f})."
    )
    for _, row in table.iterrows():
        lines.append(effect_sentence(row, alpha=result.alpha, percent=bool(row["rate"])))
    if covariate:
        lines.append(
            f"CUPED used {covariate!r} from before the test to remove noise; it removed "
            f"{table['variance_reduction'].max():.1%} of the variance at most."
        )
    if len(table) > 1:
        kept = int((table["p_holm"] < result.alpha).sum())
        lines.append(
            f"With {len(table)} comparisons, {kept} stay significant after Holm's correction "
            "(columns p_holm and p_bh hold the adjusted p-values)."
        )
    lines.append(
        "Caveat: random assignment makes the arms comparable, so the differences are effects "
        "of the treatment, but only for the period measured and customers like these."
    )
    return "\n".join(lines)


__all__ = ["adjust_pvalues", "compare_arms", "cuped_adjust", "srm_check"]
