"""Charts of customer segments, clusters and value: analysis tables in, Altair specs out.

Inputs come from :mod:`crmlib.analysis.segments`, :mod:`crmlib.analysis.clustering` and
:mod:`crmlib.analysis.value`. An empty or missing table gives a chart with a short message,
never an exception. Segment and cluster names reach the page only as data drawn as SVG text.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from crmlib.charts.rules import WIDTH, empty_chart, require_columns

HEIGHT = 300
MAX_POINTS = 3000  # scatter points drawn at most (a seeded sample beyond); counts stay exact
SHARE = alt.Axis(format="%")
MONEY = ",.0f"
LOGLIKE = alt.Scale(type="symlog")  # like log for values above 1, and 0 stays drawable
STEPS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
MONEY_STEPS = [0, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
FEATURE_TEXT = {
    "recency_days": "Recency (days)",
    "frequency": "Orders",
    "monetary_total": "Spend",
    "monetary_avg": "Average order",
    "tenure_days": "Tenure (days)",
}


def _empty(table: pd.DataFrame | None, message: str, title: str) -> alt.Chart | None:
    return empty_chart(message, title=title) if table is None or table.empty else None


def k_score_chart(table: pd.DataFrame, *, best: int | None = None) -> alt.HConcatChart | alt.Chart:
    """Silhouette by k (higher is better) next to the elbow curve of inertia.

    ``table`` comes from :func:`crmlib.analysis.clustering.score_k`; ``best`` marks a chosen k
    (e.g. :func:`~crmlib.analysis.clustering.best_k`) with a dashed rule.
    """
    title = "Choosing the number of clusters"
    if (empty := _empty(table, "No k was scored", title)) is not None:
        return empty
    require_columns(table, ["k", "silhouette", "inertia"], "The k score table")
    base = alt.Chart(table).encode(
        x=alt.X("k:O", title="Clusters (k)", axis=alt.Axis(labelAngle=0)),
        tooltip=[
            "k:O",
            alt.Tooltip("silhouette:Q", format=".3f"),
            alt.Tooltip("inertia:Q", format=",.0f"),
        ],
    )
    panels = []
    for field, text in (
        ("silhouette", "Silhouette (higher = better)"),
        ("inertia", "Inertia (elbow)"),
    ):
        line = base.mark_line(point=True).encode(
            y=alt.Y(f"{field}:Q", title=text, scale=alt.Scale(zero=False))
        )
        if best is not None:
            mark = alt.Chart(pd.DataFrame({"k": [best]})).mark_rule(
                strokeDash=[4, 4], color="#b8483f"
            )
            line = line + mark.encode(x="k:O")
        panels.append(line.properties(width=WIDTH // 2 - 20, height=HEIGHT * 2 // 3))
    return alt.hconcat(*panels, title=title)


def segment_bars(summary: pd.DataFrame) -> alt.Chart:
    """Share of customers and share of revenue per segment, side by side, in rule order.

    ``summary`` comes from :func:`crmlib.analysis.segments.segment_summary` (its first item).
    """
    title = "Segments: share of customers and of revenue"
    if (empty := _empty(summary, "No segments to show", title)) is not None:
        return empty
    require_columns(
        summary, ["segment", "customers", "customer_share", "revenue_share"], "The segment summary"
    )
    tips = [
        "segment:N",
        alt.Tooltip("customers:Q", format=","),
        alt.Tooltip("customer_share:Q", format=".1%"),
        alt.Tooltip("revenue_share:Q", format=".1%"),
    ]
    if "action" in summary:
        tips.append("action:N")
    return (
        alt.Chart(summary, title=title)
        .transform_fold(["customer_share", "revenue_share"], as_=["measure", "share"])
        .transform_calculate(what="datum.measure == 'customer_share' ? 'customers' : 'revenue'")
        .mark_bar()
        .encode(
            y=alt.Y(
                "segment:N",
                sort=list(summary["segment"]),
                title=None,
                axis=alt.Axis(labelLimit=200),
            ),
            yOffset=alt.YOffset("what:N", sort=["customers", "revenue"]),
            x=alt.X("share:Q", title="Share", axis=SHARE),
            color=alt.Color("what:N", title=None, sort=["customers", "revenue"]),
            tooltip=tips,
        )
        .properties(width=WIDTH - 200)
    )


def cluster_heatmap(profiles: pd.DataFrame) -> alt.Chart:
    """Each cluster's median per feature relative to the overall median (1 = typical).

    ``profiles`` comes from :func:`crmlib.analysis.clustering.cluster_profiles`; the features
    are its ``rel_<feature>`` columns. Cells show the median; colour is the ratio on a log
    scale (blue below, orange above the overall median). Blanked small clusters stay grey.
    """
    title = "Cluster profiles (median relative to all customers)"
    if (empty := _empty(profiles, "No clusters to show", title)) is not None:
        return empty
    features = [c[4:] for c in profiles.columns if c.startswith("rel_")]
    require_columns(profiles, ["cluster", "customers", "description"], "The cluster profiles")
    if not features:
        return empty_chart("The profiles have no rel_<feature> columns", title=title)
    label = (
        profiles["cluster"].astype(str)
        + ": "
        + profiles["description"].fillna("(small cluster)").astype(str)
    )
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "cluster": label,
                    "customers": profiles["customers"],
                    "feature": FEATURE_TEXT.get(f, f),
                    "relative": profiles[f"rel_{f}"],
                    "median": profiles.get(f"median_{f}"),
                }
            )
            for f in features
        ],
        ignore_index=True,
    )
    base = alt.Chart(long, title=title).encode(
        x=alt.X(
            "feature:N",
            sort=[FEATURE_TEXT.get(f, f) for f in features],
            title=None,
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("cluster:N", sort=list(label), title=None, axis=alt.Axis(labelLimit=320)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "relative:Q",
            title="× overall median",
            scale=alt.Scale(type="log", scheme="blueorange", domainMid=1),
        ),
        tooltip=[
            "cluster:N",
            alt.Tooltip("customers:Q", format=","),
            "feature:N",
            alt.Tooltip("median:Q", format=",.1f"),
            alt.Tooltip("relative:Q", format=".2f", title="× overall median"),
        ],
    )
    strong = (alt.datum.relative > 3) | (alt.datum.relative < 1 / 3)  # dark cells: white text
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("median:Q", format=",.0f"),
        color=alt.condition(strong, alt.value("white"), alt.value("black")),
    )
    return (cells + text).properties(width=WIDTH - 300, height=max(120, 36 * len(profiles)))


def pareto_chart(curve: pd.DataFrame) -> alt.LayerChart | alt.Chart:
    """Share of revenue against share of customers, best customers first.

    ``curve`` comes from :func:`crmlib.analysis.value.pareto_curve`. The dashed diagonal is an
    even spread (every customer spending the same).
    """
    title = "Revenue concentration (Pareto curve)"
    if (empty := _empty(curve, "No customers to show", title)) is not None:
        return empty
    require_columns(curve, ["customer_share", "revenue_share"], "The Pareto curve")
    line = (
        alt.Chart(curve)
        .mark_line()
        .encode(
            x=alt.X("customer_share:Q", title="Top customers (by spend)", axis=SHARE),
            y=alt.Y("revenue_share:Q", title="Share of revenue", axis=SHARE),
            tooltip=[
                alt.Tooltip("customer_share:Q", format=".1%", title="top customers"),
                alt.Tooltip("revenue_share:Q", format=".1%", title="revenue"),
            ],
        )
    )
    even = alt.Chart(pd.DataFrame({"customer_share": [0.0, 1.0], "revenue_share": [0.0, 1.0]}))
    diagonal = even.mark_line(strokeDash=[4, 4], color="#6b6b6b").encode(
        x="customer_share:Q", y="revenue_share:Q"
    )
    return (diagonal + line).properties(title=title, width=WIDTH - 160, height=HEIGHT)


def quadrant_chart(
    placed: pd.DataFrame, quadrants: pd.DataFrame, *, max_points: int = MAX_POINTS, seed: int = 0
) -> alt.LayerChart | alt.Chart:
    """Customers by orders and spend (log-like axes), coloured by quadrant, split at the medians.

    Parameters
    ----------
    placed : pandas.DataFrame
        From :func:`crmlib.analysis.value.assign_quadrants` (``frequency``, ``monetary_total``,
        ``quadrant``).
    quadrants : pandas.DataFrame
        From :func:`crmlib.analysis.value.frequency_spend_quadrants`: the exact counts shown in
        the legend and the medians drawn as dashed lines.
    max_points, seed : int
        Above ``max_points`` customers a seeded random sample is drawn (the title says so).
    """
    title = "Orders and spend per customer"
    if placed is None or placed.empty or quadrants is None or quadrants.empty:
        return empty_chart("No customers to show", title=title)
    require_columns(placed, ["frequency", "monetary_total", "quadrant"], "The customer table")
    require_columns(
        quadrants,
        ["quadrant", "customers", "frequency_median", "spend_median"],
        "The quadrant table",
    )
    legend = dict(
        zip(
            quadrants["quadrant"],
            quadrants["quadrant"] + " (" + quadrants["customers"].map("{:,}".format) + ")",
            strict=True,
        )
    )
    points = placed[["frequency", "monetary_total", "quadrant"]].astype({"quadrant": str})
    if len(points) > max_points:
        title += f" (random {max_points:,} of {len(points):,} shown)"
        points = points.sample(max_points, random_state=seed)
    points = points.assign(group=points["quadrant"].map(legend))
    dots = (
        alt.Chart(points)
        .mark_circle(size=18, opacity=0.5)
        .encode(
            x=alt.X("frequency:Q", title="Orders", scale=LOGLIKE, axis=alt.Axis(values=STEPS)),
            y=alt.Y(
                "monetary_total:Q",
                title="Spend",
                scale=LOGLIKE,
                axis=alt.Axis(values=MONEY_STEPS, labelExpr="format(datum.value, ',')"),
            ),
            color=alt.Color(
                "group:N",
                title="Quadrant (customers)",
                sort=list(legend.values()),
                legend=alt.Legend(labelLimit=320, orient="bottom", columns=2),
            ),
            tooltip=["quadrant:N", "frequency:Q", alt.Tooltip("monetary_total:Q", format=MONEY)],
        )
    )
    mids = quadrants.iloc[:1][["frequency_median", "spend_median"]]
    dash = {"strokeDash": [4, 4], "color": "#6b6b6b"}
    vertical = alt.Chart(mids).mark_rule(**dash).encode(x="frequency_median:Q")
    horizontal = alt.Chart(mids).mark_rule(**dash).encode(y="spend_median:Q")
    return (dots + vertical + horizontal).properties(title=title, width=WIDTH - 160, height=HEIGHT)


def dendrogram_chart(table: pd.DataFrame) -> alt.LayerChart | alt.Chart:
    """The top of the Ward tree; leaves show how many customers sit under them.

    ``table`` comes from :func:`crmlib.analysis.clustering.dendrogram_table`; its "cut" row,
    when present, is drawn as a dashed line labelled with k.
    """
    title = "Ward tree of customers"
    if (empty := _empty(table, "No tree to show", title)) is not None:
        return empty
    require_columns(table, ["kind", "x", "y", "x2", "y2", "label"], "The dendrogram table")
    customers = table.attrs.get("customers")
    if customers:
        title += f" ({customers:,} customers)"
    base = alt.Chart(table)
    x = alt.X("x:Q", axis=None, scale=alt.Scale(nice=False, padding=8))
    links = (
        base.transform_filter(alt.datum.kind == "link")
        .mark_rule(color="#1f5f8b")
        .encode(x=x, x2="x2:Q", y=alt.Y("y:Q", title="Merge distance (Ward)"), y2="y2:Q")
    )
    leaves = (
        base.transform_filter(alt.datum.kind == "leaf")
        .mark_text(angle=270, align="right", dx=-4, fontSize=10)
        .encode(x=x, y="y:Q", text="label:N")
    )
    cut = base.transform_filter(alt.datum.kind == "cut")
    cut_line = cut.mark_rule(strokeDash=[4, 4], color="#b8483f").encode(x=x, x2="x2:Q", y="y:Q")
    cut_text = cut.mark_text(align="left", dy=-6, color="#b8483f").encode(
        x=x, y="y:Q", text="label:N"
    )
    return (links + leaves + cut_line + cut_text).properties(
        title=title, width=WIDTH, height=HEIGHT
    )
