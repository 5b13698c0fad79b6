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


def _stack(totals: pd.Series, gap: float) -> pd.DataFrame:
    """Bottom and top of each stage's bar in a column of stacked bars with gaps between."""
    top = totals.cumsum() + gap * pd.Series(range(len(totals)), index=totals.index)
    return pd.DataFrame({"y": top - totals, "y2": top})


def flow_chart(matrix: pd.DataFrame, *, before: str = "before", after: str = "after") -> alt.Chart:
    """Sankey-like flow of customers between the stages of two consecutive periods.

    Parameters
    ----------
    matrix : pandas.DataFrame, shape (stages, stages)
        Counts from :func:`crmlib.analysis.lifecycle.transition_matrix` for one period
        (rows: stage before, columns: stage after).
    before, after : str
        Labels of the two periods.

    Returns
    -------
    altair.LayerChart
        Bars for the stages on each side, bands as thick as the customers who moved.
    """
    rows = [s for s in STAGE_ORDER if s in matrix.index]
    cols = [s for s in STAGE_ORDER if s in matrix.columns]
    counts = matrix.reindex(index=rows, columns=cols).fillna(0)
    total = float(counts.to_numpy().sum())
    if total <= 0:
        return empty_chart("No customer moved between these periods.", title="Stage flow")
    gap = total * 0.02
    left = _stack(counts.sum(axis=1)[lambda s: s > 0], gap)
    right = _stack(counts.sum(axis=0)[lambda s: s > 0], gap)
    height = 320
    px = height / (total + gap * max(len(left), len(right)))
    links, out_used, in_used = [], dict.fromkeys(left.index, 0.0), dict.fromkeys(right.index, 0.0)
    for src in left.index:
        for dst in right.index:
            n = float(counts.loc[src, dst])
            if n <= 0:
                continue
            y0 = left.loc[src, "y"] + out_used[src] + n / 2
            y1 = right.loc[dst, "y"] + in_used[dst] + n / 2
            out_used[src] += n
            in_used[dst] += n
            for step in range(11):
                t = step / 10
                ease = t * t * (3 - 2 * t)
                y = y0 + (y1 - y0) * ease
                link = {"link": f"{src} → {dst}", "from_stage": src, "customers": n}
                links.append({**link, "x": t, "y": y, "width": n * px})
    nodes = (
        pd.concat(
            [left.assign(side=before, x=-0.04, x2=0.0), right.assign(side=after, x=1.0, x2=1.04)]
        )
        .rename_axis("stage")
        .reset_index()
    )
    nodes["customers"] = nodes["y2"] - nodes["y"]
    nodes["label"] = nodes["stage"] + " " + nodes["customers"].map("{:,.0f}".format)
    y_scale = alt.Scale(domain=[0, total + gap * max(len(left), len(right))], reverse=True)
    color = alt.Color("stage:N", scale=alt.Scale(domain=STAGE_ORDER), title="Stage")
    band = (
        alt.Chart(pd.DataFrame(links))
        .mark_trail(opacity=0.45)
        .encode(
            x=alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-0.3, 1.3])),
            y=alt.Y("y:Q", axis=None, scale=y_scale),
            size=alt.Size("width:Q", scale=None, legend=None),
            detail="link:N",
            color=alt.Color("from_stage:N", scale=alt.Scale(domain=STAGE_ORDER), legend=None),
            tooltip=["link:N", alt.Tooltip("customers:Q", format=",")],
        )
    )
    bars = alt.Chart(nodes).mark_rect().encode(
        x="x:Q", x2="x2:Q", y=alt.Y("y:Q", scale=y_scale), y2="y2:Q", color=color,
        tooltip=["side:N", "stage:N", alt.Tooltip("customers:Q", format=",")],
    )  # fmt: skip

    def labels(side: str, align: str, dx: int) -> alt.Chart:
        return (
            alt.Chart(nodes[nodes["side"] == side])
            .transform_calculate(mid="(datum.y + datum.y2) / 2")
            .mark_text(fontSize=11, align=align, dx=dx)
            .encode(x="x:Q" if dx < 0 else "x2:Q", y=alt.Y("mid:Q", scale=y_scale), text="label:N")
        )

    return (band + bars + labels(before, "right", -4) + labels(after, "left", 4)).properties(
        width=560, height=height, title=f"Stage moves from {before} to {after}"
    )


def p_alive_chart(curve: pd.DataFrame, *, title: str = "P(alive)") -> alt.Chart:
    """P(alive) week by week (:func:`crmlib.analysis.alive.p_alive_curve`), orders as dots."""
    if curve.empty:
        return empty_chart("No orders to draw.", title=title)
    base = alt.Chart(curve).encode(
        x=alt.X("week:T", title="Week"),
        y=alt.Y("p_alive:Q", title="P(alive)", scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("week:T"), alt.Tooltip("p_alive:Q", format=".2f")],
    )
    line = base.mark_line(interpolate="step-after")
    dots = base.transform_filter("datum.purchase").mark_point(filled=True, size=40)
    return (line + dots).properties(width=520, height=160, title=title)
