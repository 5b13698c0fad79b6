"""Satisfaction app: filter by segment and score band, pick a topic, read example comments."""

from __future__ import annotations

import html
from collections.abc import Mapping

import ipywidgets as W
import pandas as pd

from crmlib.analysis.satisfaction_text import (
    REDACTED,
    SENTIMENT,
    CommentAnalysis,
    driver_table,
    sentiment_distribution,
)
from crmlib.charts import empty_state, error_box
from crmlib.charts.satisfaction import sentiment_histogram
from crmlib.errors import CrmInputError
from widgets.common import App, enable_offline_charts, live_chart

ALL = "(all)"
EXAMPLES_ID = "crm-topic-examples"
COUNT_ID = "crm-satisfaction-count"
DRIVER_COLUMNS = ["theme", "comments", "share", "mean_sentiment", "mean_score", "impact"]


class SatisfactionApp(App):
    """Interactive view of analysed comments, with a switch between corpora when given more.

    Parameters
    ----------
    result : CommentAnalysis
        From :func:`crmlib.analysis.satisfaction_text.analyse_comments`.
    segment : str, optional
        Segment column offered as a filter.
    score : str, optional
        Score column (e.g. ``"rating"``) for the score-band filter and the driver gaps.
    examples : int
        Example comments shown for the picked topic.
    name : str
        Name of this corpus in the corpus switch.
    others : mapping of str to (CommentAnalysis, segment or None, score or None), optional
        Further corpora (e.g. ``{"Chinese reviews": (zh_result, None, "recommend")}``); with
        any, a "corpus" dropdown switches the whole view.
    """

    def __init__(
        self,
        result: CommentAnalysis,
        *,
        segment: str | None = None,
        score: str | None = None,
        examples: int = 5,
        name: str = "English reviews",
        others: Mapping[str, tuple[CommentAnalysis, str | None, str | None]] | None = None,
    ):
        enable_offline_charts()
        self.n_examples = examples
        self.views = {name: (result, segment, score), **(others or {})}
        self.corpus = W.Dropdown(options=list(self.views), value=name, description="corpus",
                                 layout=W.Layout(display="" if others else "none"))  # fmt: skip
        self.seg_picker = W.Dropdown(description="segment")
        self.band = W.FloatRangeSlider(description="score band", continuous_update=False)
        self.topic = W.Dropdown(description="topic", layout=W.Layout(width="520px"))
        self.count, self.examples, self.drivers, self.status = (
            W.HTML(),
            W.HTML(),
            W.HTML(),
            W.HTML(),
        )
        self.histogram = live_chart()
        self._switching = False
        self.use(name)
        self.corpus.observe(lambda c: self.use(c["new"]), names="value")
        self.seg_picker.observe(lambda _c: self._changed(), names="value")
        self.band.observe(lambda _c: self._changed(), names="value")
        self.topic.observe(lambda _c: self.draw_examples(), names="value")
        self.widget = W.VBox([self.corpus, W.HBox([self.seg_picker, self.band]), self.count,
                              self.status, self.histogram, self.topic, self.examples,
                              self.drivers])  # fmt: skip

    def use(self, name: str) -> None:
        """Show the corpus ``name``: reset the segment and score-band filters, then redraw."""
        result, segment, score = self.views[name]
        self.result, c = result, result.comments
        self.segment = segment if segment in c.columns else None
        self.score = score if score in c.columns and c[score].notna().any() else None
        levels = sorted(c[self.segment].astype(str).unique()) if self.segment else []
        low, high = (
            (float(c[self.score].min()), float(c[self.score].max())) if self.score else (0, 1)
        )
        self._switching = True
        try:
            self.seg_picker.options, self.seg_picker.value = [ALL, *levels], ALL
            self.seg_picker.description = self.segment or "segment"
            self.seg_picker.disabled = not levels
            self.band.min, self.band.max = min(low, self.band.min), max(high, self.band.max)
            self.band.value = (low, high)
            self.band.min, self.band.max = low, high
            self.band.step = 1.0 if high - low >= 2 else 0.1
            self.band.description = f"{self.score or 'score'} band"
            self.band.disabled = self.score is None
        finally:
            self._switching = False
        self.refresh()

    def _changed(self) -> None:
        if not self._switching:
            self.refresh()

    def selection(self) -> pd.DataFrame:
        """Comments passing the segment and score-band filters."""
        c = self.result.comments
        keep = pd.Series(True, index=c.index)
        if self.segment and self.seg_picker.value != ALL:
            keep &= c[self.segment].astype(str) == self.seg_picker.value
        if self.score:
            low, high = self.band.value
            keep &= c[self.score].between(low, high)
        return c[keep]

    def refresh(self) -> None:
        """Redraw counts, the sentiment distribution, topics on offer and the driver table."""
        rows = self.selection()
        negative = float((rows[SENTIMENT] < 0).mean()) if len(rows) else 0.0
        self.count.value = (
            f"<b id='{COUNT_ID}'>{len(rows):,}</b> comments selected, {negative:.1%} negative"
        )
        self.histogram.chart = sentiment_histogram(sentiment_distribution(rows))
        counts = rows["topic"].value_counts()
        options = [(f"{t} ({n:,})", t) for t, n in counts.items()]
        current = self.topic.value
        self.topic.options = options
        if options:
            values = [v for _, v in options]
            self.topic.value = current if current in values else values[0]
        self.draw_examples()
        try:
            table = driver_table(rows, by="category", score=self.score, min_comments=3)
            table = table[[*DRIVER_COLUMNS, "examples"]].head(10)
            self.drivers.value = _driver_html(table)
            self.status.value = ""
        except CrmInputError as exc:
            self.drivers.value = empty_state(str(exc))

    def draw_examples(self) -> None:
        """Most negative (redacted, escaped) comments of the picked topic in the selection."""
        rows = self.selection()
        picked = rows[rows["topic"] == self.topic.value]
        if picked.empty:
            self.examples.value = (
                f"<div id='{EXAMPLES_ID}'>{empty_state('No comments here.')}</div>"
            )
            return
        worst = picked.nsmallest(self.n_examples, SENTIMENT)
        items = "".join(
            f"<li><span class='crm-note'>{s:+.2f}</span> {html.escape(t[:400])}</li>"
            for s, t in zip(worst[SENTIMENT], worst[REDACTED], strict=True)
        )
        title = html.escape(str(self.topic.value))
        self.examples.value = (
            f"<div id='{EXAMPLES_ID}'><b>Example comments, topic “{title}” "
            f"(most negative first)</b><ul>{items}</ul></div>"
        )


def _driver_html(table: pd.DataFrame) -> str:
    shown = table.copy()
    for col, fmt in (("share", "{:.1%}"), ("mean_sentiment", "{:+.2f}"),
                     ("mean_score", "{:.2f}"), ("impact", "{:+.3f}")):  # fmt: skip
        shown[col] = shown[col].map(fmt.format)
    return "<b>Drivers (complaint categories)</b>" + shown.to_html(
        index=False, escape=True, border=0
    )


def error_view(message: str) -> W.HTML:
    """An app-sized error box (used when the data cannot be analysed)."""
    return W.HTML(error_box(message))
