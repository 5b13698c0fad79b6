"""Charts of association rules: analysis tables in, Altair specs out.

Threshold sliders are Vega-Lite params bound to range inputs and applied with
``transform_filter``: they filter in the browser, so they keep working in a static HTML report
with no kernel. Item names reach the page only as data that Vega draws as SVG text; no HTML is
built from them here. An empty input gives a chart with a short message instead of an error.
The helpers without an underscore (``require_columns``, ``range_slider``, ``layout_xy``, ...)
are shared with :mod:`crmlib.charts.webs`.
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
INDEPENDENT = {"color": "independent", "size": "independent", "opacity": "independent"}
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


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
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


def range_slider(values: pd.Series, name: str, label: str) -> alt.Parameter:
    """A param ``name`` bound to a range slider over ``values``, starting at its lowest value."""
    low, high, step = _range(values)
    bind = alt.binding_range(min=low, max=high, step=step, name=label)
    return alt.param(name=name, value=low, bind=bind)


def rule_sliders(rules: pd.DataFrame) -> RuleSliders:
    """Range sliders for minimum support, confidence and lift, spanning the rules given.

    Each starts at its lowest value, so every rule shows until a reader moves it.
    """
    require_columns(rules, ["support", "confidence", "lift"], "Rules table")
    return RuleSliders(
        range_slider(rules["support"], "min_support", "Min support "),
        range_slider(rules["confidence"], "min_confidence", "Min confidence "),
        range_slider(rules["lift"], "min_lift", "Min lift "),
    )


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


def layout_xy() -> tuple[alt.X, alt.Y]:
    """Position channels for layouts: no axes, a little room around the nodes."""
    scale = {"axis": None, "title": None, "scale": alt.Scale(zero=False, nice=False, padding=40)}
    return alt.X("x:Q", **scale), alt.Y("y:Q", **scale)


def support_size(smallest: float, largest: float) -> alt.Size:
    """Circle area by support (share of baskets)."""
    scale = alt.Scale(range=[smallest, largest])
    return alt.Size("support:Q", title="Support", scale=scale, legend=alt.Legend(format="%"))


def link_lines(data: pd.DataFrame, **channels) -> alt.Chart:
    """Straight links from (x, y) to (x2, y2)."""
    x, y = layout_xy()
    return alt.Chart(data).mark_rule().encode(x=x, y=y, x2="x2:Q", y2="y2:Q", **channels)


def network_chart(layers: list, title: alt.Title) -> alt.LayerChart:
    """Layers of a node-link chart, each with its own scales, on a frameless view."""
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
    x, y = layout_xy()
    roles = alt.Scale(domain=["antecedent", "consequent"], range=["#9aa7b3", "#e07b39"])
    edges = link_lines(
        graph.edges,
        color=alt.Color("role:N", title="Edge", scale=roles),
        opacity=alt.value(0.6),
        tooltip=["rule:N", TIP["lift"]],
    )
    rule_nodes = alt.Chart(graph.nodes[graph.nodes["kind"] == "rule"]).mark_circle(opacity=0.9)
    rule_nodes = rule_nodes.encode(
        x=x,
        y=y,
        size=support_size(40, 400),
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
    return network_chart([edges, rule_nodes, item_dots, labels], title)
