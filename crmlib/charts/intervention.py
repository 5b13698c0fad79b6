"""Charts of an intervention evaluation: arm effects, event study, CausalImpact-style panels."""

from __future__ import annotations

import altair as alt
import pandas as pd

from crmlib.analysis.intervention import EvaluationResult

INTERVAL = "95 % interval"


def arm_effects_chart(table: pd.DataFrame, *, metric: str | None = None) -> alt.Chart:
    """Effect of each arm against control with its interval, one row per metric and arm.

    ``table`` is the randomised design's effect table (``metric``, ``group``, ``abs_effect``,
    ``ci_low``, ``ci_high``); ``metric`` keeps one metric.
    """
    data = table if metric is None else table[table["metric"] == metric]
    data = data[["metric", "group", "abs_effect", "ci_low", "ci_high", "p_value"]].assign(
        label=lambda f: f["metric"] + " · " + f["group"].astype(str)
    )
    base = alt.Chart(data).encode(y=alt.Y("label:N", title=None, sort=None))
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("ci_low:Q", title="effect against control (difference in means)"),
        x2="ci_high:Q",
    )
    points = base.mark_point(filled=True, size=80).encode(
        x="abs_effect:Q",
        tooltip=["metric", "group", alt.Tooltip("abs_effect:Q", format=".4f"),
                 alt.Tooltip("ci_low:Q", format=".4f"), alt.Tooltip("ci_high:Q", format=".4f"),
                 alt.Tooltip("p_value:Q", format=".3g")],
    )  # fmt: skip
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#888").encode(x="x:Q")
    return (zero + bars + points).properties(
        title=f"Effect of each arm with its {INTERVAL}", height=max(80, 34 * len(data))
    )


def event_study_chart(events: pd.DataFrame) -> alt.Chart:
    """Treated-minus-control difference per period relative to the last pre-period.

    ``events`` has ``period``, ``relative``, ``coef``, ``ci_low``, ``ci_high``, ``post``.
    Pre-period points near zero support parallel trends.
    """
    base = alt.Chart(events).encode(
        x=alt.X("period:T", title="period"),
        color=alt.Color("post:N", title="after intervention"),
    )
    rules = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y("ci_low:Q", title="difference vs. reference period"), y2="ci_high:Q"
    )
    points = base.mark_point(filled=True, size=60).encode(
        y="coef:Q", tooltip=["period:T", "relative:Q", alt.Tooltip("coef:Q", format=",.2f")]
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888").encode(y="y:Q")
    return (zero + rules + points).properties(
        title=f"Event study: treated minus untreated, per period ({INTERVAL})"
    )


def _panel(frame: pd.DataFrame, value: str, low: str | None, high: str | None, title: str):
    base = alt.Chart(frame).encode(x=alt.X("period:T", title=None))
    layers = []
    if low and high:
        layers.append(base.mark_area(opacity=0.25, color="#1f5f8b").encode(
            y=alt.Y(f"{low}:Q", title=title), y2=f"{high}:Q"))  # fmt: skip
    layers.append(base.mark_line(color="#1f5f8b", strokeDash=[5, 3] if low is None else [1, 0])
                  .encode(y=alt.Y(f"{value}:Q", title=title)))  # fmt: skip
    return layers


def impact_chart(series: pd.DataFrame, *, intervention: str | pd.Timestamp) -> alt.VConcatChart:
    """Three panels: actual vs. counterfactual, pointwise effect, cumulative effect.

    ``series`` is ``details["series"]`` of the time-series design (``period``, ``actual``,
    ``predicted``, ``lower``/``upper``, ``effect`` (+ ``_lower``/``_upper``), ``cumulative``
    (+ ``_lower``/``_upper``)); the dashed rule marks the intervention.
    """
    rule = (
        alt.Chart(pd.DataFrame({"period": [pd.Timestamp(intervention)]}))
        .mark_rule(strokeDash=[4, 4], color="#b8483f")
        .encode(x="period:T")
    )
    top_base = alt.Chart(series).encode(x=alt.X("period:T", title=None))
    top = alt.layer(
        top_base.mark_area(opacity=0.25, color="#e07b39").encode(
            y=alt.Y("lower:Q", title="actual vs. counterfactual"), y2="upper:Q"
        ),
        top_base.mark_line(color="#e07b39", strokeDash=[5, 3]).encode(y="predicted:Q"),
        top_base.mark_line(color="#222").encode(y="actual:Q"),
        rule,
    ).properties(height=180, title="Actual (black) and counterfactual (orange, with interval)")
    post = series[series["post"]]
    point = alt.layer(
        *_panel(post, "effect", "effect_lower", "effect_upper", "pointwise effect"), rule
    ).properties(height=130)
    cumulative = alt.layer(
        *_panel(post, "cumulative", "cumulative_lower", "cumulative_upper", "cumulative effect"),
        rule,
    ).properties(height=130)
    return alt.vconcat(top, point, cumulative).resolve_scale(x="shared")


def evaluation_chart(
    result: EvaluationResult,
    *,
    intervention: str | pd.Timestamp | None = None,
    metric: str | None = None,
) -> alt.TopLevelMixin:
    """The chart of an evaluation result, by design.

    Parameters
    ----------
    result : EvaluationResult
        Output of ``compare_arms`` (randomised), ``diff_in_diff`` (needs ``details["events"]``)
        or ``impact`` (needs ``details["series"]``).
    intervention : str or Timestamp, optional
        Date marked by a rule in the time-series chart.
    metric : str, optional
        Metric shown in the randomised chart (default: as :func:`arm_effects_chart`).

    Returns
    -------
    altair chart
        Arm effects with intervals, the event study, or actual vs. counterfactual panels.
    """
    if result.design == "randomised":
        return arm_effects_chart(result.table, metric=metric)
    if result.design == "did":
        return event_study_chart(result.details["events"])
    return impact_chart(result.details["series"], intervention=intervention)


__all__ = ["arm_effects_chart", "evaluation_chart", "event_study_chart", "impact_chart"]
