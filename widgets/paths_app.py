"""Paths and networks apps: support and length sliders, a start-page picker, a link slider.

Both apps call the functions the static report uses (:mod:`crmlib.notebook.paths`), so they
show the same numbers for the same parameters.
"""

from __future__ import annotations

import html
import numbers

import ipywidgets as W

from crmlib.charts import empty_state, error_box, notes
from crmlib.charts.network import network_graph
from crmlib.charts.paths import path_flow_chart, patterns_chart
from crmlib.errors import CrmInputError
from crmlib.io.events import Sequences
from crmlib.notebook.paths import NetworkView, mine_patterns, start_paths
from widgets.common import App, enable_offline_charts, live_chart

WIDE = {"description_width": "140px"}


def _table(frame, element_id: str, formats: dict | None = None) -> str:
    shown = frame.copy()
    for col, fmt in (formats or {}).items():
        if col in shown:
            shown[col] = shown[col].map(fmt.format)
    return f"<div id='{element_id}'>{shown.to_html(index=False, escape=True, border=0)}</div>"


def _share(min_support: float, n_sequences: int) -> float:
    """A support given as a count of sequences (an int) as the share the slider shows."""
    if isinstance(min_support, numbers.Integral) and not isinstance(min_support, bool):
        return int(min_support) / max(n_sequences, 1)
    return float(min_support)


class PathsApp(App):
    """Frequent paths with support and length sliders, and the paths after a start page.

    Parameters
    ----------
    seqs : Sequences
        Sessions (patterns use every event).
    capped : Sequences
        The same sessions cut to a maximum length (for the start-page flow).
    key : str
        Cache key of the data (see :func:`crmlib.notebook.paths.source_key`).
    min_support, max_length : float, int
        Initial slider values (a share, or an int count of sessions); the sliders' ranges
        widen to hold them, so the app mines what the report mined. Without events the app
        shows an error box instead of its controls.
    start : str
        Initial start page.
    """

    def __init__(
        self,
        seqs: Sequences,
        capped: Sequences,
        *,
        key: str,
        min_support: float = 0.01,
        max_length: int = 5,
        start: str = "",
        depth: int = 4,
    ) -> None:
        enable_offline_charts()
        self.seqs, self.capped, self.key, self.depth = seqs, capped, key, depth
        pages = list(capped.labels)
        if not pages or seqs.n_events == 0:
            self.widget = W.HTML(
                error_box(
                    "The sessions hold no events, so there are no paths to show: check the "
                    "event table's session and event columns."
                )
            )
            return
        share = _share(min_support, seqs.n_sequences)
        self.support = W.FloatSlider(  # the range always holds the notebook's value
            value=share,
            min=min(0.005, share),
            max=max(0.2, share),
            step=min(0.005, share) if share > 0 else 0.005,
            readout_format=".1%" if share >= 0.001 else ".3%",
            description="min support",
            continuous_update=False,
            style=WIDE,
        )
        self.length = W.IntSlider(
            value=max_length,
            min=min(1, max_length),
            max=max(6, max_length),
            description="max length",
            continuous_update=False,
            style=WIDE,
        )
        self.start = W.Dropdown(
            options=pages,
            value=start if start in pages else pages[0],
            description="start page",
            style=WIDE,
        )
        self.count, self.status, self.rules = W.HTML(), W.HTML(), W.HTML()
        self.follow = W.HTML()
        self.pattern_chart, self.flow_chart = live_chart(), live_chart()
        for control in (self.support, self.length):
            control.observe(lambda _c: self.draw_patterns(), names="value")
        self.start.observe(lambda _c: self.draw_start(), names="value")
        self.widget = W.VBox(
            [
                W.HBox([self.support, self.length]),
                self.count,
                self.status,
                self.pattern_chart,
                self.start,
                self.flow_chart,
                self.follow,
            ]
        )
        self.draw_patterns()
        self.draw_start()

    def draw_patterns(self) -> int:
        """Mine (cached) at the slider values and redraw; returns the pattern count."""
        try:
            found, seconds = mine_patterns(
                self.seqs, self.key, min_support=self.support.value, max_length=self.length.value
            )
        except CrmInputError as exc:
            self.status.value = error_box(str(exc))
            return 0
        self.status.value = ""
        self.count.value = (
            f"<b><span id='crm-pattern-count'>{len(found):,}</span></b> "
            f"patterns (mined in {seconds:.1f} s)"
        )
        self.pattern_chart.chart = patterns_chart(found)
        return len(found)

    def draw_start(self) -> None:
        """The flow and the most common continuations of sessions starting at the picked page."""
        try:
            tree, flow, later = start_paths(self.capped, start=self.start.value, depth=self.depth)
        except CrmInputError as exc:
            self.follow.value = empty_state(str(exc))
            self.flow_chart.chart = None
            return
        self.flow_chart.chart = path_flow_chart(*flow)
        self.follow.value = notes(
            [
                f"Sessions starting at {self.start.value}: "
                f"{int(tree['sessions'].iloc[0]):,}; their commonest next "
                "steps:"
            ]
        ) + _table(later, "crm-start-paths", {"continue_share": "{:.0%}"})


class NetworkApp(App):
    """A network chart with a link-weight slider; the number of links drawn is shown in the
    element ``#crm-link-count``.

    Parameters
    ----------
    view : NetworkView
        A measured network (:func:`crmlib.notebook.paths.product_network`).
    min_weight : float
        Initial link weight threshold.
    title : str
        Chart title.
    """

    def __init__(self, view: NetworkView, *, min_weight: float = 0, title: str = "Network"):
        enable_offline_charts()
        self.view, self.title = view, title
        weights = view.network.edges["weight"]
        low, high = int(weights.min()), int(weights.max())
        self.weight = W.IntSlider(
            value=int(min(max(min_weight, low), high)),
            min=low,
            max=high,
            step=max((high - low) // 100, 1),
            description="link weight ≥",
            continuous_update=False,
            style=WIDE,
        )
        self.count, self.chart = W.HTML(), live_chart()
        self.summary = W.HTML(
            _table(view.summary[["community", "nodes", "summary"]], "crm-communities")
        )
        self.weight.observe(lambda _c: self.draw(), names="value")
        self.widget = W.VBox([W.HBox([self.weight, self.count]), self.chart, self.summary])
        self.draw()

    def draw(self) -> int:
        """Redraw with the links at or above the slider; returns the number of links drawn."""
        edges = self.view.edges(self.weight.value)
        self.chart.chart = network_graph(self.view.nodes(), edges, title=self.title)
        self.count.value = (
            f"<b><span id='crm-link-count'>{len(edges):,}</span></b> links drawn of "
            f"{len(self.view.network.edges):,} (weight ≥ "
            f"{html.escape(str(self.weight.value))})"
        )
        return len(edges)
