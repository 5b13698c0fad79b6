"""Network chart: nodes placed by a layout, coloured by community, sized by PageRank.

Input from :mod:`crmlib.analysis.network` (``Network.nodes`` merged with a layout, and
:func:`~crmlib.analysis.network.placed_edges`); node names are drawn as SVG text only.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from crmlib.charts.rules import empty_chart, layout_xy, link_lines, network_chart, range_slider

LABELLED = 12  # nodes with a visible name (highest PageRank); the rest in tooltips


def network_graph(
    nodes: pd.DataFrame, edges: pd.DataFrame, *, title: str = "Network", slider: bool = False
) -> alt.LayerChart | alt.Chart:
    """Node-link chart of a network.

    Parameters
    ----------
    nodes : pandas.DataFrame
        ``node``, ``x``, ``y``, ``community``, ``pagerank``, ``degree``, ``betweenness``,
        ``role``.
    edges : pandas.DataFrame
        ``source``, ``target``, ``weight``, ``x``, ``y``, ``x2``, ``y2`` (placed_edges output).
    title : str
        Chart title; the subtitle counts the links drawn.
    slider : bool
        Add a browser-side "minimum link weight" slider (for the static report).

    Returns
    -------
    altair.LayerChart
    """
    if nodes.empty:
        return empty_chart("No nodes to draw", title=title)
    if edges.empty:
        return empty_chart("No links at this weight: lower the link threshold", title=title)
    lines = link_lines(
        edges,
        size=alt.Size("weight:Q", scale=alt.Scale(range=[0.4, 5]), legend=None),
        opacity=alt.Opacity("weight:Q", scale=alt.Scale(range=[0.15, 0.7]), legend=None),
        color=alt.value("#8aa4ba"),
        tooltip=["source:N", "target:N", alt.Tooltip("weight:Q", format=",")],
    )
    weight = None
    if slider:
        weight = range_slider(edges["weight"], "min_weight", "Minimum link weight ")
        lines = lines.transform_filter(alt.datum.weight >= weight)
    x, y = layout_xy()
    tips = [
        "node:N",
        "community:N",
        "degree:Q",
        alt.Tooltip("pagerank:Q", format=".4f"),
        alt.Tooltip("betweenness:Q", format=".3f"),
        "role:N",
    ]
    dots = (
        alt.Chart(nodes)
        .mark_circle(opacity=0.9, stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color("community:N", title="Community"),
            size=alt.Size("pagerank:Q", scale=alt.Scale(range=[30, 700]), legend=None),
            tooltip=tips,
        )
    )
    named = nodes.nlargest(LABELLED, "pagerank")
    labels = (
        alt.Chart(named)
        .mark_text(align="left", dx=8, dy=-6, fontSize=10)
        .encode(x=x, y=y, text="node:N")
    )
    total = edges.attrs.get("total", len(edges))
    drawn = (
        f"{len(edges):,} links drawn"
        if total == len(edges)
        else (f"the {len(edges):,} strongest of {total:,} links drawn")
    )
    note = f"{drawn}; colour = community, size = PageRank"
    chart = network_chart([lines, dots, labels], alt.Title(title, subtitle=note))
    return chart.add_params(weight) if weight is not None else chart


__all__ = ["network_graph"]
