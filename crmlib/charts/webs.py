"""Item charts: frequency bars, the co-occurrence web and the directed web.

Analysis tables in (:mod:`crmlib.analysis.cooccurrence`), Altair specs out. Like the rule
charts (:mod:`crmlib.charts.rules`, whose layout helpers these share), item names reach the page
only as data drawn as SVG text, and an empty input gives a chart with a short message.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from crmlib.charts.rules import (
    TIP,
    empty_chart,
    layout_xy,
    link_lines,
    network_chart,
    range_slider,
    require_columns,
    support_size,
)

STRENGTHS = ["weak", "medium", "strong"]
MEASURE_TEXT = {
    "count": "baskets with both items",
    "pct_all": "share of all baskets",
    "pct_smaller": "share of the rarer item's baskets",
    "pct_larger": "share of the more frequent item's baskets",
}
PCT_TIPS = [alt.Tooltip(f"{m}:Q", format=".1%") for m in ("pct_all", "pct_smaller", "pct_larger")]


def item_frequency_chart(
    counts: pd.DataFrame | pd.Series,
    *,
    top_n: int = 25,
    relative: bool = True,
    n_baskets: int | None = None,
) -> alt.Chart:
    """Bars of the most frequent items.

    Parameters
    ----------
    counts : pandas.DataFrame or pandas.Series
        :func:`crmlib.analysis.item_nodes` output (``item``, ``baskets``, ``support``), or
        ``Baskets.item_counts()`` (index = item, values = baskets).
    top_n : int
        Bars drawn (most frequent first).
    relative : bool
        Share of baskets instead of basket counts (a Series then needs ``n_baskets``).
    """
    if isinstance(counts, pd.Series):
        counts = counts.rename("baskets").rename_axis("item").reset_index()
        if n_baskets:
            counts["support"] = counts["baskets"] / n_baskets
    if counts.empty:
        return empty_chart("No items to show", title="Item frequency")
    require_columns(counts, ["item", "baskets", *(["support"] if relative else [])], "Item counts")
    data = counts.sort_values("baskets", ascending=False, kind="stable").head(top_n)
    field, title, fmt = (
        ("support", "Share of baskets", "%") if relative else ("baskets", "Baskets", ",")
    )
    return (
        alt.Chart(data, title=f"Top {len(data):,} items by frequency")
        .mark_bar()
        .encode(
            y=alt.Y("item:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X(f"{field}:Q", title=title, axis=alt.Axis(format=fmt)),
            tooltip=["item:N", TIP["baskets"], *([TIP["support"]] if "support" in data else [])],
        )
    )


def _placed(frame: pd.DataFrame, layout: pd.DataFrame, key: str, suffix: str = "") -> pd.DataFrame:
    where = layout.set_index("item")[["x", "y"]].add_suffix(suffix)
    return frame.join(where, on=key, how="inner")


def _node_layers(nodes: pd.DataFrame, color: alt.Color | alt.ColorValue) -> list[alt.Chart]:
    x, y = layout_xy()
    base = alt.Chart(nodes)
    dots = base.mark_circle(opacity=0.9, stroke="white", strokeWidth=1).encode(
        x=x,
        y=y,
        color=color,
        size=support_size(60, 1200),
        tooltip=["item:N", TIP["baskets"], TIP["support"]],
    )
    labels = base.mark_text(align="left", dx=9, dy=-8, fontSize=11).encode(x=x, y=y, text="item:N")
    return [dots, labels]


def cooccurrence_web(
    nodes: pd.DataFrame, links: pd.DataFrame, layout: pd.DataFrame, *, slider: bool = False
) -> alt.LayerChart | alt.Chart:
    """Web of items that share baskets.

    Parameters
    ----------
    nodes : pandas.DataFrame
        :func:`crmlib.analysis.item_nodes` output (``item``, ``baskets``, ``support``).
    links : pandas.DataFrame
        :func:`crmlib.analysis.cooccurrence_links` output (one row per pair).
    layout : pandas.DataFrame
        :func:`crmlib.analysis.web_layout` output (``item``, ``x``, ``y``).
    slider : bool
        Add a "minimum link strength" range slider that hides weaker links in the browser.

    Returns
    -------
    altair.LayerChart
        Links (width and opacity by ``value``, colour and dash by ``strength``), node circles
        sized by support, node labels.
    """
    if links.empty or nodes.empty:
        return empty_chart("No item pairs at these thresholds", title="Item web")
    require_columns(links, ["item_a", "item_b", "count", "value", "strength"], "Links table")
    require_columns(nodes, ["item", "baskets", "support"], "Nodes table")
    measure = links.attrs.get("measure", "value")
    edges = _placed(_placed(links, layout, "item_a"), layout, "item_b", "2")
    lines = link_lines(
        edges,
        size=alt.Size("value:Q", scale=alt.Scale(range=[0.5, 7], zero=False), legend=None),
        opacity=alt.Opacity("value:Q", scale=alt.Scale(range=[0.25, 0.9]), legend=None),
        color=alt.Color(
            "strength:N",
            title="Link",
            scale=alt.Scale(domain=STRENGTHS, range=["#b7c3cd", "#6f95b4", "#1f5f8b"]),
        ),
        strokeDash=alt.StrokeDash(
            "strength:N",
            scale=alt.Scale(domain=STRENGTHS, range=[[2, 3], [6, 3], [1, 0]]),
            legend=None,
        ),
        tooltip=["item_a:N", "item_b:N", TIP["count"], *PCT_TIPS, "strength:N"],
    )
    min_link = None
    if slider:
        min_link = range_slider(edges["value"], "min_link", "Minimum link strength ")
        lines = lines.transform_filter(alt.datum.value >= min_link)
    layers = [lines, *_node_layers(_placed(nodes, layout, "item"), alt.value("#e07b39"))]
    note = f"{len(edges):,} links; strength = {MEASURE_TEXT.get(measure, measure)}"
    chart = network_chart(layers, alt.Title("Items bought together", subtitle=note))
    return chart.add_params(min_link) if min_link is not None else chart


def directed_web(
    links: pd.DataFrame, layout: pd.DataFrame, nodes: pd.DataFrame | None = None
) -> alt.LayerChart | alt.Chart:
    """Links from source items towards one target, line width by confidence.

    Parameters
    ----------
    links : pandas.DataFrame
        :func:`crmlib.analysis.directed_links` output (one row per source).
    layout : pandas.DataFrame
        :func:`crmlib.analysis.web_layout` output (``item``, ``x``, ``y``), e.g. with
        ``center=target``.
    nodes : pandas.DataFrame, optional
        :func:`crmlib.analysis.item_nodes` output to size nodes by support; default equal sizes.
    """
    if links.empty:
        return empty_chart("No items lead to this target at these thresholds", title="Directed web")
    require_columns(links, ["source", "target", "count", "confidence", "lift"], "Links table")
    target = str(links["target"].iloc[0])
    edges = _placed(_placed(links, layout, "source"), layout, "target", "2")
    width = alt.Scale(range=[1, 9], zero=False)
    lines = link_lines(
        edges,
        size=alt.Size("confidence:Q", scale=width, legend=alt.Legend(format="%")),
        color=alt.Color("lift:Q", title="Lift", scale=alt.Scale(scheme="orangered")),
        tooltip=["source:N", "target:N", TIP["count"], TIP["confidence"], TIP["lift"]],
    )
    placed = layout.assign(role=(layout["item"] == target).map({True: "target", False: "source"}))
    if nodes is not None:
        placed = placed.merge(nodes[["item", "baskets", "support"]], on="item", how="left")
    else:
        placed = placed.assign(baskets=pd.NA, support=1.0)
    color = alt.Color(
        "role:N",
        title=None,
        scale=alt.Scale(domain=["source", "target"], range=["#6f95b4", "#b8483f"]),
    )
    title = alt.Title(f"What leads to {target}", subtitle=f"{len(edges):,} source items")
    return network_chart([lines, *_node_layers(placed, color)], title)
