"""Charts of the lifecycle analysis: stages over time, transitions, cohorts, survival, churn."""

from __future__ import annotations

import altair as alt
import pandas as pd

from crmlib.charts.rules import empty_chart

STAGE_ORDER = ["potential", "new", "active", "reactivated", "quiet", "at_risk", "churned"]


def stage_chart(counts: pd.DataFrame) -> alt.Chart:
    """Stacked bars of customers per stage and period (``stage_counts`` output)."""
    if counts.empty:
        return empty_chart("No stages to show.", title="Customers by lifecycle stage")
    long = (
        counts.drop(columns=["customers"], errors="ignore")
        .reset_index()
        .melt(id_vars="period", var_name="stage", value_name="customers")
    )
    long["period"] = long["period"].astype(str)
    return (
        alt.Chart(long, title="Customers by lifecycle stage", width=560)
        .mark_bar()
        .encode(
            x=alt.X("period:O", title="Period"),
            y=alt.Y("customers:Q", title="Customers", stack="zero"),
            color=alt.Color("stage:N", sort=STAGE_ORDER, scale=alt.Scale(domain=STAGE_ORDER)),
            order=alt.Order("stage_order:Q"),
            tooltip=["period:O", "stage:N", alt.Tooltip("customers:Q", format=",")],
        )
        .transform_calculate(stage_order=f"indexof({STAGE_ORDER}, datum.stage)")
    )


def transition_chart(matrix: pd.DataFrame) -> alt.Chart:
    """Heatmap of moves between stages (``transition_matrix`` output), counts in the cells."""
    if matrix.empty or matrix.to_numpy().sum() == 0:
        return empty_chart("No transitions to show.", title="Stage transitions")
    long = (
        matrix.rename_axis("from_stage")
        .reset_index()
        .melt(id_vars="from_stage", var_name="to_stage", value_name="customers")
    )
    long = long[long["customers"] > 0]
    base = alt.Chart(long, title="Stage transitions between consecutive periods")
    cells = base.mark_rect().encode(
        x=alt.X("to_stage:N", sort=STAGE_ORDER, title="to"),
        y=alt.Y("from_stage:N", sort=STAGE_ORDER, title="from"),
        color=alt.Color("customers:Q", scale=alt.Scale(type="symlog"), title="Customers"),
        tooltip=["from_stage:N", "to_stage:N", alt.Tooltip("customers:Q", format=",")],
    )
    text = base.mark_text(fontSize=11).encode(
        x=alt.X("to_stage:N", sort=STAGE_ORDER),
        y=alt.Y("from_stage:N", sort=STAGE_ORDER),
        text=alt.Text("customers:Q", format=","),
    )
    return (cells + text).properties(width=420, height=260)


def cohort_chart(table: pd.DataFrame) -> alt.Chart:
    """Retention heatmap: acquisition cohort × periods since (``cohort_retention`` output)."""
    if table.empty:
        return empty_chart("No cohorts to show.", title="Cohort retention")
    data = table.assign(cohort=table["cohort"].astype(str))
    return (
        alt.Chart(data, title="Retention by acquisition cohort", width=520)
        .mark_rect()
        .encode(
            x=alt.X("periods_since:O", title="Periods since first order"),
            y=alt.Y("cohort:O", title="Cohort"),
            color=alt.Color("retention:Q", title="Retention", scale=alt.Scale(scheme="blues")),
            tooltip=["cohort:O", "periods_since:O", alt.Tooltip("retention:Q", format=".1%"),
                     alt.Tooltip("customers:Q", format=",")],
        )
    )  # fmt: skip


def survival_chart(curves: pd.DataFrame, *, title: str = "Survival (share still a customer)"):
    """Kaplan–Meier step curves per group with their 95 % band (``kaplan_meier().curves``)."""
    if curves.empty:
        return empty_chart("No survival data.", title=title)
    base = alt.Chart(curves, title=title, width=520)
    band = base.mark_area(opacity=0.15, interpolate="step-after").encode(
        x=alt.X("time:Q", title="Time"), y="ci_lower:Q", y2="ci_upper:Q", color="group:N"
    )
    line = base.mark_line(interpolate="step-after").encode(
        x="time:Q",
        y=alt.Y("survival:Q", title="Survival", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("group:N", title=None),
        tooltip=["group:N", "time:Q", alt.Tooltip("survival:Q", format=".1%"), "at_risk:Q"],
    )
    return band + line


def calibration_chart(table: pd.DataFrame) -> alt.Chart:
    """Predicted against observed churn by decile, with the diagonal of perfect calibration."""
    if table.empty:
        return empty_chart("No calibration data.", title="Calibration")
    pred = next(c for c in table.columns if c.startswith("pred"))
    obs = next(c for c in table.columns if c.startswith("obs"))
    base = alt.Chart(table, title="Calibration of the churn score (by decile)", width=300,
                     height=300)  # fmt: skip
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]}))
        .mark_line(strokeDash=[4, 4], color="#999")
        .encode(x="x:Q", y="y:Q")
    )
    points = base.mark_line(point=True).encode(
        x=alt.X(f"{pred}:Q", title="Predicted churn", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y(f"{obs}:Q", title="Observed churn", scale=alt.Scale(domain=[0, 1])),
    )
    return diagonal + points
