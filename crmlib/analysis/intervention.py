"""Evaluation of an intervention: the shared output contract, the design choice and the prose.

Three designs answer "what did the measure change?", each in its own module:

- randomised arms (:func:`crmlib.analysis.intervention_ab.compare_arms`),
- difference-in-differences on a unit × period panel
  (:func:`crmlib.analysis.intervention_did.diff_in_diff`),
- a counterfactual time series for one treated series
  (:func:`crmlib.analysis.intervention_ts.impact`).

Every design returns an :class:`EvaluationResult`: one table with the columns of
:data:`EFFECT_COLUMNS`, detail tables for its chart, warnings, and a short summary in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmlib.errors import CrmInputError

DESIGNS = ("randomised", "did", "time_series")
DESIGN_NAMES = {
    "randomised": "randomised comparison of arms",
    "did": "difference-in-differences",
    "time_series": "counterfactual time series",
}
# The contract: one row per (metric, group); "counterfactual" is the control arm's mean, the
# DiD counterfactual or the time-series forecast; p_value is a p-value (randomised, DiD) or the
# two-sided tail probability of the simulated counterfactual (time series).
EFFECT_COLUMNS = [
    "metric",
    "group",
    "actual",
    "counterfactual",
    "abs_effect",
    "rel_effect",
    "ci_low",
    "ci_high",
    "p_value",
]
ARM_COLUMN_NAMES = ("arm", "segment", "variant", "treatment", "assignment", "group")
MAX_ARMS = 12


@dataclass
class EvaluationResult:
    """What every design returns.

    Attributes
    ----------
    design : str
        One of :data:`DESIGNS`.
    table : pandas.DataFrame
        One row per metric and group, columns :data:`EFFECT_COLUMNS` first, then design extras.
    summary : str
        Plain-words summary: the effect, its uncertainty and the main caveat.
    warnings : list of str
        Problems the reader must see (sample-ratio mismatch, no controls, pre-trends, ...).
    details : dict of str to DataFrame
        Tables behind the chart (``series``, ``events``, ``srm``, ``placebo``, ...).
    """

    design: str
    table: pd.DataFrame
    summary: str = ""
    warnings: list[str] = field(default_factory=list)
    details: dict[str, pd.DataFrame] = field(default_factory=dict)
    alpha: float = 0.05


def check_alpha(alpha: float) -> float:
    """Return ``alpha`` when it lies in (0, 0.5), else raise a :class:`CrmInputError`."""
    if not 0 < float(alpha) < 0.5:
        raise CrmInputError(
            f"The significance level alpha must lie between 0 and 0.5; got {alpha}."
        )
    return float(alpha)


def parse_date(value: object, what: str = "intervention date") -> pd.Timestamp:
    """``value`` as a Timestamp; a :class:`CrmInputError` naming ``what`` when unreadable.

    Parameters
    ----------
    value : str, date or Timestamp
        E.g. ``"2011-06-06"``.
    what : str
        Name of the parameter, for the message.

    Returns
    -------
    pandas.Timestamp

    Examples
    --------
    >>> parse_date("2011-06-06").day_name()
    'Monday'
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise CrmInputError(f"Cannot read the {what} {value!r}; use YYYY-MM-DD.") from exc
    if pd.isna(stamp):
        raise CrmInputError(f"The {what} is empty; use YYYY-MM-DD.")
    return stamp


def require_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise a :class:`CrmInputError` naming the missing columns and the ones found."""
    missing = [c for c in columns if c and c not in frame.columns]
    if missing:
        raise CrmInputError(
            f"The {table} has no column {', '.join(map(repr, missing))}; "
            f"found: {', '.join(map(str, frame.columns))}."
        )


def numeric_column(frame: pd.DataFrame, column: str, table: str) -> np.ndarray:
    """Column as float array; a clear message when values are not numbers or missing."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = int(values.isna().sum())
    if bad:
        raise CrmInputError(
            f"Column {column!r} of the {table} has {bad:,} missing or non-numeric values; "
            "fill or drop them before evaluating."
        )
    return values.to_numpy(dtype=float)


def choose_design(
    frame: pd.DataFrame,
    *,
    assignment: str = "",
    unit: str = "",
    period: str = "",
    design: str = "auto",
) -> tuple[str, str]:
    """Pick the evaluation design from the data's shape, and say why.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data to evaluate: one row per customer (randomised), per unit and period (panel),
        or per period (single series; a DatetimeIndex counts as the period).
    assignment, unit, period : str
        Names of the assignment (arm) column, the unit column and the period column; empty
        names are looked for (an arm column among :data:`ARM_COLUMN_NAMES`).
    design : str
        ``"auto"`` or one of :data:`DESIGNS` to override the choice.

    Returns
    -------
    tuple of (str, str)
        The design and one sentence saying why it fits.

    Examples
    --------
    >>> choose_design(pd.DataFrame({"segment": ["a", "b"], "visit": [0, 1]}))[0]
    'randomised'
    """
    if design != "auto":
        if design not in DESIGNS:
            raise CrmInputError(
                f"Unknown design {design!r}; use 'auto' or one of {', '.join(DESIGNS)}."
            )
        return design, f"Design set by the parameter: {DESIGN_NAMES[design]}."
    has_period = bool(period and period in frame.columns) or isinstance(
        frame.index, pd.DatetimeIndex
    )
    arm = assignment or next((c for c in frame.columns if str(c).lower() in ARM_COLUMN_NAMES), "")
    if arm and arm in frame.columns and not has_period:
        levels = frame[arm].nunique()
        if 2 <= levels <= MAX_ARMS:
            return "randomised", (
                f"The data has an assignment column {arm!r} with {levels} arms and no time "
                "axis: arms are compared directly, as in an A/B test."
            )
    if has_period and unit and unit in frame.columns and frame[unit].nunique() > 1:
        return "did", (
            f"The data is a panel ({frame[unit].nunique():,} units × periods): treated units "
            "are compared with untreated ones before and after (difference-in-differences)."
        )
    if has_period:
        return "time_series", (
            "The data is one series over time: the pre-period is used to forecast what would "
            "have happened without the intervention."
        )
    raise CrmInputError(
        "Cannot tell the design from the data: give an assignment column (randomised arms), "
        "unit and period columns (panel), or a period column (single series)."
    )


def fmt_value(value: float, *, percent: bool = False, digits: int = 2) -> str:
    """A number for prose: percentage points for rates, else grouped digits."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if percent:
        return f"{value * 100:.{digits}f} %"
    return f"{value:,.{digits}f}"


def fmt_effect(value: float, *, percent: bool = False, digits: int = 2) -> str:
    """A signed effect: ``+7.66 points`` for rates, ``+0.77`` otherwise."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if percent:
        return f"{value * 100:+.{digits}f} points"
    return f"{value:+,.{digits}f}"


def effect_sentence(row: pd.Series, *, alpha: float, percent: bool = False) -> str:
    """One sentence on a table row: effect, interval, and whether chance explains it."""
    level = round((1 - alpha) * 100)
    low, high = row["ci_low"], row["ci_high"]
    verdict = (
        "clearly different from no effect"
        if row["p_value"] < alpha
        else "not distinguishable from no effect"
    )
    rel = row["rel_effect"]
    rel_text = f" ({rel:+.1%})" if np.isfinite(rel) else ""
    return (
        f"{row['group']}: {row['metric']} {fmt_value(row['actual'], percent=percent)} against "
        f"{fmt_value(row['counterfactual'], percent=percent)}, an effect of "
        f"{fmt_effect(row['abs_effect'], percent=percent)}{rel_text}; {level} % interval "
        f"{fmt_effect(low, percent=percent)} to {fmt_effect(high, percent=percent)}, "
        f"p = {row['p_value']:.3g}: {verdict}."
    )


def relative(effect: np.ndarray | float, base: np.ndarray | float) -> np.ndarray | float:
    """``effect / base``, NaN where the base is zero."""
    base_arr = np.asarray(base, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(base_arr != 0, np.asarray(effect, dtype=float) / base_arr, np.nan)
    return out if out.ndim else float(out)


__all__ = [
    "DESIGNS",
    "EFFECT_COLUMNS",
    "EvaluationResult",
    "choose_design",
    "effect_sentence",
]
