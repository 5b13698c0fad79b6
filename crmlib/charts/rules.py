"""Charts of association rules and item webs: analysis tables in, Altair specs out.

Threshold sliders are Vega-Lite params bound to range inputs and applied with
``transform_filter``: they filter in the browser, so they keep working in a static HTML report
with no kernel. Item names reach the page only as data that Vega draws as SVG text; no HTML is
built from them here. An empty input gives a chart with a short message instead of an error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import altair as alt
import pandas as pd

from crmlib.analysis.cooccurrence import RuleGraph, rule_graph_layout, top_rules
from crmlib.errors import CrmInputError

NO_RULES = "No rules at these thresholds"
WIDTH, HEIGHT = 560, 360
STRENGTHS = ["weak", "medium", "strong"]
MEASURE_TEXT = {
    "count": "baskets with both items",
    "pct_all": "share of all baskets",
    "pct_smaller": "share of the rarer item's baskets",
    "pct_larger": "share of the more frequent item's baskets",
}
INDEPENDENT = {"color": "independent", "size": "independent", "opacity": "independent"}
PCT_TIPS = [alt.Tooltip(f"{m}:Q", format=".1%") for m in ("pct_all", "pct_smaller", "pct_larger")]
BARE = alt.ViewBackground(stroke=None)  # no frame around text-only views
RULE_COLUMNS = ["rank", "rule", "lhs", "rhs", "count", "support", "confidence", "lift"]
TIP = {
    "count": alt.Tooltip("count:Q", format=","),
    "baskets": alt.Tooltip("baskets:Q", format=","),
    "support": alt.Tooltip("support:Q", format=".2%"),
    "confidence": alt.Tooltip("confidence:Q", format=".1%"),
    "lift": alt.Tooltip("lift:Q", format=".2f"),
}
RULE_TIPS = ["rule:N", TIP["count"], TIP["support"], TIP["confidence"], TIP["lift"]]


class RuleSliders(NamedTuple):
    """The three threshold params (range sliders) shared by the rule charts."""

    support: alt.Parameter
    confidence: alt.Parameter
    lift: alt.Parameter

    def passes(self) -> alt.expr.core.Expression:
        """Vega expression: the rule meets every threshold."""
        d = alt.datum
        return (
            (d.support >= self.support) & (d.confidence >= self.confidence) & (d.lift >= self.lift)
        )


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CrmInputError(f"{what} has no column {missing}; found {list(frame.columns)}.")


def empty_chart(message: str = NO_RULES, *, title: str | None = None) -> alt.Chart:
    """A chart holding only ``message`` (drawn when there is nothing to plot)."""
    chart = alt.Chart(pd.DataFrame({"message": [message]}), title=title or "")
    return (
        chart.mark_text(fontSize=14, color="#7a2e28")
        .encode(text="message:N")
        .properties(width=WIDTH, height=60, view=BARE)
    )


def _range(values: pd.Series) -> tuple[float, float, float]:
    """Slider min, max and step around the data, on round numbers."""
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    step = 10.0 ** math.floor(math.log10(span / 100))
    digits = max(0, -math.floor(math.log10(step)))
    low = round(math.floor(lo / step) * step, digits)
    if low > lo:  # float rounding must never hide the weakest rule at the start
        low = round(low - step, digits)
    high = round(math.ceil(hi / step) * step, digits)
    return low, max(high, low + step), step


def rule_sliders(rules: pd.DataFrame) -> RuleSliders:
    """Range sliders for minimum support, confidence and lift, spanning the rules given.

    Each starts at its lowest value, so every rule shows until a reader moves it.
    """
    _require(rules, ["support", "confidence", "lift"], "Rules table")
    made = []
    for field, label in (
        ("support", "Min support "),
        ("confidence", "Min confidence "),
        ("lift", "Min lift "),
    ):
        low, high, step = _range(rules[field])
        bind = alt.binding_range(min=low, max=high, step=step, name=label)
        made.append(alt.param(name=f"min_{field}", value=low, bind=bind))
    return RuleSliders(*made)


def _shown_note(shown: int, total: int, what: str = "rules") -> str:
    if shown >= total:
        return f"{total:,} {what}"
    return f"showing {shown:,} of {total:,} {what} by lift"


def _fixed(values: pd.Series, **options) -> alt.Scale:
    """A scale over the whole data, so axes stay put while sliders hide points."""
    return alt.Scale(domain=[float(values.min()), float(values.max())], zero=False, **options)


def _scatter_layers(data: pd.DataFrame, sliders: RuleSliders | None) -> list[alt.Chart]:
    base = alt.Chart(data)
    points = base.transform_filter(sliders.passes()) if sliders else base
    points = points.mark_circle(size=60, opacity=0.8).encode(
        x=alt.X(
            "support:Q",
            title="Support (share of baskets)",
            axis=alt.Axis(format="%"),
            scale=_fixed(data["support"]),
        ),
        y=alt.Y(
            "confidence:Q",
            title="Confidence",
            axis=alt.Axis(format="%"),
            scale=_fixed(data["confidence"]),
        ),
        color=alt.Color("lift:Q", title="Lift", scale=_fixed(data["lift"], scheme="viridis")),
        tooltip=RULE_TIPS,
    )
    if sliders is None:
        return [points]
    count = (
        base.transform_calculate(passes=alt.expr.if_(sliders.passes(), 1, 0))
        .transform_aggregate(shown="sum(passes)", total="count()")
        .transform_calculate(
            label="format(datum.shown, ',') + ' of ' + format(datum.total, ',') + ' rules shown'"
        )
        .mark_text(align="right", baseline="top", fontSize=13, fontWeight="bold")
        .encode(text="label:N", x=alt.value(WIDTH - 4), y=alt.value(4))
    )
    return [points, count]


def rules_scatter(
    rules: pd.DataFrame,
    *,
    top_n: int = 1000,
    sliders: bool | RuleSliders = False,
) -> alt.Chart | alt.LayerChart:
    """Support × confidence scatter of rules, coloured by lift.

    Parameters
    ----------
    rules : pandas.DataFrame
        ``RuleSet.rules`` (one row per rule) or a filtered view.
    top_n : int
        Most rules drawn; beyond it the ``top_n`` best by lift are kept and the subtitle says so.
    sliders : bool or RuleSliders
        True adds range sliders (min support, confidence, lift) that filter in the browser and a
        live "n of m rules shown" count. A :func:`rule_sliders` result filters by those sliders
        without defining them: add them once to the combined chart,
        ``alt.vconcat(a, b).add_params(*sliders)`` (what :func:`rules_explorer` does).

    Returns
    -------
    altair.Chart or altair.LayerChart
    """
    if rules.empty:
        return empty_chart(title="Rules: support and confidence")
    data = top_rules(rules, top_n=top_n)[RULE_COLUMNS]
    title = alt.Title("Rules: support and confidence", subtitle=_shown_note(len(data), len(rules)))
    own = rule_sliders(data) if sliders is True else None
    layers = _scatter_layers(data, own or (sliders or None))
    if len(layers) == 1:
        return layers[0].properties(title=title, width=WIDTH, height=HEIGHT)
    chart = alt.layer(*layers).properties(title=title, width=WIDTH, height=HEIGHT)
    return chart.add_params(*own) if own else chart


def _table_parts(
    data: pd.DataFrame, top_n: int, sliders: RuleSliders | None
) -> tuple[alt.Chart, alt.HConcatChart]:
    base = alt.Chart(data)
    rows = base.transform_filter(sliders.passes()) if sliders else base
    rows = rows.transform_window(
        row="row_number()", sort=[alt.SortField("lift", order="descending")]
    ).transform_filter(alt.datum.row <= top_n)
    y = alt.Y("row:O", axis=None)
    columns = [  # field, header, number format, width; text columns left, numbers right
        ("row:O", "#", None, 28),
        ("rule:N", "Rule", None, 400),
        ("support:Q", "Support", ".2%", 64),
        ("confidence:Q", "Confidence", ".1%", 76),
        ("lift:Q", "Lift", ".2f", 48),
    ]
    cells = []
    for field, name, fmt, width in columns:
        left = field == "rule:N"
        cell = rows.mark_text(align="left" if left else "right", baseline="middle", limit=width)
        text = alt.Text(field, format=fmt) if fmt else alt.Text(field)
        cell = cell.encode(y=y, text=text, x=alt.value(0 if left else width - 2))
        header = alt.Title(name, anchor="start" if left else "end", fontSize=12)
        cells.append(cell.properties(title=header, width=width, height=alt.Step(18), view=BARE))
    if sliders is None:
        text = f"Top {min(top_n, len(data)):,} of {len(data):,} rules by lift"
        head = alt.Chart(pd.DataFrame({"label": [text]}))
    else:
        head = base.transform_calculate(passes=alt.expr.if_(sliders.passes(), 1, 0))
        head = head.transform_aggregate(shown="sum(passes)").transform_calculate(
            label=f"format(datum.shown, ',') + ' rules pass the thresholds; "
            f"the best {top_n:,} by lift are listed'"
        )
    head = (
        head.mark_text(align="left", fontSize=13)
        .encode(text="label:N", x=alt.value(0), y=alt.value(8))
        .properties(width=WIDTH, height=18, view=BARE)
    )
    return head, alt.hconcat(*cells, spacing=4).resolve_scale(y="shared")


def rules_table_chart(
    rules: pd.DataFrame,
    *,
    top_n: int = 50,
    sliders: bool | RuleSliders = True,
    max_rules: int = 1000,
) -> alt.VConcatChart | alt.Chart:
    """A table of the best rules by lift, drawn with Altair text marks.

    Parameters
    ----------
    rules : pandas.DataFrame
        ``RuleSet.rules`` or a filtered view.
    top_n : int
        Table rows (the best rules by lift that pass the sliders).
    sliders : bool or RuleSliders
        Threshold sliders that filter in the browser (static report); a :func:`rule_sliders`
        result shares them with other charts, as in :func:`rules_scatter`.
    max_rules : int
        Rules embedded in the chart (the best by lift); the sliders choose among these.

    Returns
    -------
    altair.VConcatChart
        A count line above columns rule, support, confidence, lift.
    """
    if rules.empty:
        return empty_chart(title="Top rules by lift")
    data = top_rules(rules, top_n=max_rules)[RULE_COLUMNS]
    own = rule_sliders(data) if sliders is True else None
    head, table = _table_parts(data, top_n, own or (sliders or None))
    title = alt.Title("Top rules by lift", subtitle=_shown_note(len(data), len(rules)))
    chart = alt.vconcat(head, table, title=title, spacing=6)
    return chart.add_params(*own) if own else chart


def rules_explorer(
    rules: pd.DataFrame, *, top_n: int = 1000, table_rows: int = 50
) -> alt.VConcatChart | alt.Chart:
    """Scatter and table of rules under one set of browser-side threshold sliders.

    ``rules`` as for :func:`rules_scatter`; the ``top_n`` best rules by lift are embedded.
    """
    if rules.empty:
        return empty_chart(title="Rules")
    data = top_rules(rules, top_n=top_n)[RULE_COLUMNS]
    sliders = rule_sliders(data)
    scatter = alt.layer(*_scatter_layers(data, sliders)).properties(
        title=alt.Title(
            "Rules: support and confidence", subtitle=_shown_note(len(data), len(rules))
        ),
        width=WIDTH,
        height=HEIGHT,
    )
    head, table = _table_parts(data, table_rows, sliders)
    return alt.vconcat(scatter, head, table, spacing=12).add_params(*sliders)


def rules_matrix(rules: pd.DataFrame, *, top_n: int = 30) -> alt.Chart:
    """Heatmap of antecedent (joined text) × consequent, coloured by lift, for the top rules."""
    if rules.empty:
        return empty_chart(title="Rule matrix")
    data = top_rules(rules, top_n=top_n)[RULE_COLUMNS]
    by_lift = alt.EncodingSortField(field="lift", op="max", order="descending")
    return (
        alt.Chart(data, title=alt.Title("Rule matrix", subtitle=_shown_note(len(data), len(rules))))
        .mark_rect()
        .encode(
            x=alt.X(
                "rhs:N",
                title="Then (consequent)",
                sort=by_lift,
                axis=alt.Axis(labelAngle=-40, labelLimit=160),
            ),
            y=alt.Y("lhs:N", title="If (antecedent)", sort=by_lift, axis=alt.Axis(labelLimit=260)),
            color=alt.Color("lift:Q", title="Lift", scale=alt.Scale(scheme="orangered")),
            tooltip=RULE_TIPS,
        )
        .properties(width=alt.Step(22), height=alt.Step(16))
    )


def _xy() -> tuple[alt.X, alt.Y]:
    """Position channels for layouts: no axes, a little room around the nodes."""
    scale = {"axis": None, "title": None, "scale": alt.Scale(zero=False, nice=False, padding=40)}
    return alt.X("x:Q", **scale), alt.Y("y:Q", **scale)


def _support_size(smallest: float, largest: float) -> alt.Size:
    """Circle area by support (share of baskets)."""
    scale = alt.Scale(range=[smallest, largest])
    return alt.Size("support:Q", title="Support", scale=scale, legend=alt.Legend(format="%"))


def _lines(data: pd.DataFrame, **channels) -> alt.Chart:
    """Straight links from (x, y) to (x2, y2)."""
    x, y = _xy()
    return alt.Chart(data).mark_rule().encode(x=x, y=y, x2="x2:Q", y2="y2:Q", **channels)


def _network(layers: list, title: alt.Title) -> alt.LayerChart:
    chart = alt.layer(*layers).resolve_scale(**INDEPENDENT)
    return chart.properties(title=title, width=WIDTH, height=460, view=BARE)


def rules_graph(
    rules: pd.DataFrame, *, top_n: int = 30, layout: str | RuleGraph = "spring", seed: int = 0
) -> alt.LayerChart | alt.Chart:
    """Rule graph: items and rules as nodes, edges item → rule (antecedent) → item (consequent).

    Parameters
    ----------
    rules : pandas.DataFrame
        ``RuleSet.rules`` or a filtered view; the ``top_n`` best by lift are drawn.
    layout : {"spring", "circle"} or RuleGraph
        Layout kind for :func:`crmlib.analysis.rule_graph_layout`, or its precomputed result.

    Returns
    -------
    altair.LayerChart
        Edges (rules), rule nodes (circles sized by support, coloured by lift), item nodes and
        item labels.
    """
    if rules.empty and not isinstance(layout, RuleGraph):
        return empty_chart(title="Rule graph")
    graph = (
        layout
        if isinstance(layout, RuleGraph)
        else rule_graph_layout(rules, top_n, kind=layout, seed=seed)
    )
    if graph.nodes.empty:
        return empty_chart(title="Rule graph")
    x, y = _xy()
    roles = alt.Scale(domain=["antecedent", "consequent"], range=["#9aa7b3", "#e07b39"])
    edges = _lines(
        graph.edges,
        color=alt.Color("role:N", title="Edge", scale=roles),
        opacity=alt.value(0.6),
        tooltip=["rule:N", TIP["lift"]],
    )
    rule_nodes = alt.Chart(graph.nodes[graph.nodes["kind"] == "rule"]).mark_circle(opacity=0.9)
    rule_nodes = rule_nodes.encode(
        x=x,
        y=y,
        size=_support_size(40, 400),
        color=alt.Color("lift:Q", title="Lift", scale=alt.Scale(scheme="orangered")),
        tooltip=[alt.Tooltip("label:N", title="rule"), *RULE_TIPS[2:]],
    )
    items = alt.Chart(graph.nodes[graph.nodes["kind"] == "item"])
    item_dots = items.mark_square(size=70, color="#1f5f8b").encode(
        x=x, y=y, tooltip=[alt.Tooltip("label:N", title="item"), alt.Tooltip("rules:Q")]
    )
    labels = items.mark_text(align="left", dx=7, fontSize=11).encode(x=x, y=y, text="label:N")
    title = alt.Title(
        "Rule graph",
        subtitle=_shown_note(int((graph.nodes["kind"] == "rule").sum()), max(len(rules), 1)),
    )
    return _network([edges, rule_nodes, item_dots, labels], title)


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
    _require(counts, ["item", "baskets", *(["support"] if relative else [])], "Item counts")
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
    x, y = _xy()
    base = alt.Chart(nodes)
    dots = base.mark_circle(opacity=0.9, stroke="white", strokeWidth=1).encode(
        x=x,
        y=y,
        color=color,
        size=_support_size(60, 1200),
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
    _require(links, ["item_a", "item_b", "count", "value", "strength"], "Links table")
    _require(nodes, ["item", "baskets", "support"], "Nodes table")
    measure = links.attrs.get("measure", "value")
    edges = _placed(_placed(links, layout, "item_a"), layout, "item_b", "2")
    lines = _lines(
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
        low, high, step = _range(edges["value"])
        bind = alt.binding_range(min=low, max=high, step=step, name="Minimum link strength ")
        min_link = alt.param(name="min_link", value=low, bind=bind)
        lines = lines.transform_filter(alt.datum.value >= min_link)
    layers = [lines, *_node_layers(_placed(nodes, layout, "item"), alt.value("#e07b39"))]
    note = f"{len(edges):,} links; strength = {MEASURE_TEXT.get(measure, measure)}"
    chart = _network(layers, alt.Title("Items bought together", subtitle=note))
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
    _require(links, ["source", "target", "count", "confidence", "lift"], "Links table")
    target = str(links["target"].iloc[0])
    edges = _placed(_placed(links, layout, "source"), layout, "target", "2")
    width = alt.Scale(range=[1, 9], zero=False)
    lines = _lines(
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
    return _network([lines, *_node_layers(placed, color)], title)
