"""Path charts: step-by-step flow, transition heatmap, exits per step, funnel, top patterns.

Tables from :mod:`crmlib.analysis.sequences` and :mod:`crmlib.analysis.prefixspan` in,
Altair specs out. Labels reach the page only as data drawn as SVG text.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from crmlib.charts.rules import BARE, empty_chart, require_columns

FLOW_WIDTH, FLOW_HEIGHT = 620, 360


def path_flow_chart(nodes: pd.DataFrame, links: pd.DataFrame) -> alt.LayerChart | alt.Chart:
    """Sankey-like flow: one column per step, pages ranked by sessions, links by volume.

    Parameters
    ----------
    nodes, links : pandas.DataFrame
        :func:`crmlib.analysis.sequences.path_flow` output.

    Returns
    -------
    altair.LayerChart
        Links (width = sessions moving on), page circles (size = sessions, colour = share
        leaving after that page) and page labels.
    """
    if nodes.empty:
        return empty_chart("No paths to draw", title="Path flow")
    require_columns(nodes, ["step", "page", "sessions", "exit_share", "rank"], "Flow nodes")
    require_columns(
        links, ["step", "source", "target", "sessions", "rank_source", "rank_target"], "Flow links"
    )
    x = alt.X(
        "step:Q",
        title="Step",
        axis=alt.Axis(tickMinStep=1, format="d", grid=False),
        scale=alt.Scale(zero=False, padding=30),
    )
    rank_scale = alt.Scale(reverse=True, padding=20)
    y = alt.Y("rank:Q", axis=None, scale=rank_scale)
    edges = links.assign(step2=links["step"] + 1)
    lines = (
        alt.Chart(edges)
        .mark_rule(color="#1f5f8b", strokeCap="round")
        .encode(
            x=x,
            x2="step2:Q",
            y=alt.Y("rank_source:Q", axis=None, scale=rank_scale),
            y2="rank_target:Q",
            strokeWidth=alt.StrokeWidth(
                "sessions:Q", scale=alt.Scale(range=[0.5, 18]), legend=None
            ),
            opacity=alt.Opacity("sessions:Q", scale=alt.Scale(range=[0.15, 0.6]), legend=None),
            tooltip=["source:N", "target:N", alt.Tooltip("sessions:Q", format=",")],
        )
    )
    tips = [
        "step:Q",
        "page:N",
        alt.Tooltip("sessions:Q", format=","),
        alt.Tooltip("exits:Q", format=","),
        alt.Tooltip("exit_share:Q", format=".0%"),
    ]
    dots = (
        alt.Chart(nodes)
        .mark_circle(stroke="white", strokeWidth=1, opacity=1)
        .encode(
            x=x,
            y=y,
            size=alt.Size("sessions:Q", scale=alt.Scale(range=[40, 1400]), legend=None),
            color=alt.Color(
                "exit_share:Q",
                title="Leave after",
                scale=alt.Scale(scheme="orangered", domain=[0, 1]),
                legend=alt.Legend(format=".0%"),
            ),
            tooltip=tips,
        )
    )
    text = (
        alt.Chart(nodes).mark_text(align="left", dx=12, fontSize=11).encode(x=x, y=y, text="page:N")
    )
    chart = alt.layer(lines, dots, text).resolve_scale(size="independent", opacity="independent")
    return chart.properties(
        title=alt.Title(
            "How sessions move on, step by step",
            subtitle="Line width = sessions moving on; colour = share leaving there",
        ),
        width=FLOW_WIDTH,
        height=FLOW_HEIGHT,
        view=BARE,
    )


def transition_heatmap(trans: pd.DataFrame) -> alt.LayerChart | alt.Chart:
    """Heatmap of the Markov transition probabilities (rows = from, columns = to).

    Parameters
    ----------
    trans : pandas.DataFrame
        :func:`crmlib.analysis.sequences.transitions` output.
    """
    if trans.empty:
        return empty_chart("No transitions", title="Transitions")
    require_columns(trans, ["from", "to", "count", "probability"], "Transitions")
    order = sorted(set(trans["from"]) | set(trans["to"]))
    rows = [p for p in order if p not in ("(start)", "(exit)")]
    base = alt.Chart(trans).encode(
        x=alt.X("to:N", sort=[*rows, "(exit)"], title="to", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("from:N", sort=["(start)", *rows], title="from"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "probability:Q",
            scale=alt.Scale(scheme="blues"),
            title="P(next)",
            legend=alt.Legend(format=".0%"),
        ),
        tooltip=[
            "from:N",
            "to:N",
            alt.Tooltip("count:Q", format=","),
            alt.Tooltip("probability:Q", format=".1%"),
        ],
    )
    text = base.mark_text(fontSize=9).encode(
        text=alt.Text("probability:Q", format=".0%"),
        color=alt.condition(alt.datum.probability > 0.5, alt.value("white"), alt.value("#333")),
    )
    return alt.layer(cells, text).properties(
        title=alt.Title("Where visitors go next", subtitle="Row = current page; (exit) = leave"),
        width=max(18 * (len(rows) + 1), 200),
        height=max(18 * (len(rows) + 1), 200),
    )


def exit_step_chart(exits: pd.DataFrame) -> alt.Chart:
    """Bars of the share of sessions leaving right after each step (exit_by_step output)."""
    if exits.empty:
        return empty_chart("No sessions", title="Exits by step")
    require_columns(exits, ["step", "sessions", "exits", "exit_probability"], "Exits by step")
    return (
        alt.Chart(exits, title="Share of sessions that leave after each step")
        .mark_bar()
        .encode(
            x=alt.X("step:O", title="Step"),
            y=alt.Y("exit_probability:Q", title="Leave after this step", axis=alt.Axis(format="%")),
            tooltip=[
                "step:O",
                alt.Tooltip("sessions:Q", format=","),
                alt.Tooltip("exits:Q", format=","),
                alt.Tooltip("exit_probability:Q", format=".1%"),
            ],
        )
    )


def funnel_chart(stages: pd.DataFrame) -> alt.Chart:
    """Horizontal bars of sessions reaching each funnel step (funnel output)."""
    if stages.empty:
        return empty_chart("No funnel steps", title="Funnel")
    require_columns(stages, ["stage", "step", "sessions", "share_of_start"], "Funnel")
    data = stages.assign(label=stages["stage"].astype(str) + ". " + stages["step"].astype(str))
    return (
        alt.Chart(data, title="Funnel: sessions passing each step in order")
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=None, title=None),
            x=alt.X("sessions:Q", title="Sessions"),
            tooltip=[
                "step:N",
                alt.Tooltip("sessions:Q", format=","),
                alt.Tooltip("share_of_start:Q", format=".1%"),
                alt.Tooltip("share_of_previous:Q", format=".1%"),
            ],
        )
    )


def patterns_chart(patterns: pd.DataFrame, *, top_n: int = 25, sliders: bool = False) -> alt.Chart:
    """Bars of the most supported sequential patterns.

    Parameters
    ----------
    patterns : pandas.DataFrame
        :func:`crmlib.analysis.prefixspan.mine_sequences` output.
    top_n : int
        Bars drawn.
    sliders : bool
        Add browser-side sliders (minimum support, maximum length) for the static report; the
        ``top_n`` best patterns passing them are drawn.
    """
    if patterns.empty:
        return empty_chart("No patterns at this support", title="Frequent paths")
    require_columns(patterns, ["pattern", "length", "sequences", "support"], "Patterns")
    data = patterns[["pattern", "length", "sequences", "support"]]
    chart = alt.Chart(data, title="Most frequent page sequences (gaps allowed)")
    if sliders:
        low, high = float(data["support"].min()), float(data["support"].max())
        sup = alt.param(
            name="min_support",
            value=low,
            bind=alt.binding_range(
                min=low, max=high, step=(high - low) / 200 or 0.001, name="Minimum support "
            ),
        )
        most = int(data["length"].max())
        length = alt.param(
            name="max_length",
            value=most,
            bind=alt.binding_range(min=1, max=most, step=1, name="Maximum length "),
        )
        chart = (
            chart.add_params(sup, length)
            .transform_filter((alt.datum.support >= sup) & (alt.datum.length <= length))
            .transform_window(rank="row_number()", sort=[alt.SortField("sequences", "descending")])
            .transform_filter(alt.datum.rank <= top_n)
        )
    else:
        chart = alt.Chart(data.head(top_n), title="Most frequent page sequences (gaps allowed)")
    return chart.mark_bar().encode(
        y=alt.Y("pattern:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("support:Q", title="Share of sessions", axis=alt.Axis(format="%")),
        color=alt.Color("length:O", title="Elements"),
        tooltip=[
            "pattern:N",
            alt.Tooltip("sequences:Q", format=","),
            alt.Tooltip("support:Q", format=".2%"),
            "length:Q",
        ],
    )


__all__ = [
    "exit_step_chart",
    "funnel_chart",
    "path_flow_chart",
    "patterns_chart",
    "transition_heatmap",
]
