"""Charts of satisfaction: scores with intervals, sentiment distribution, drivers, topics.

Inputs come from :mod:`crmlib.analysis.satisfaction` and
:mod:`crmlib.analysis.satisfaction_text`; an empty table gives a chart with a message.
Comment text never enters a chart spec (only counts and theme labels, drawn as SVG text).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from crmlib.charts.rules import WIDTH, empty_chart, require_columns

SENTIMENT_COLOURS = alt.Scale(domain=["negative", "positive"], range=["#c0392b", "#2e86c1"])


def score_interval_chart(
    table: pd.DataFrame, *, title: str, value_title: str, sort: str = "-x"
) -> alt.Chart:
    """Point per group with its 95 % interval as a rule (from :func:`score_by`); ``sort``
    orders the groups ("-x": best first; "ascending": by label, e.g. periods)."""
    data = table.dropna(subset=["value"]) if "value" in table.columns else table
    if data.empty:
        return empty_chart("No group is large enough to show", title=title)
    require_columns(data, ["group", "n", "value", "ci_low", "ci_high"], "The score table")
    base = alt.Chart(data, title=title, width=WIDTH).encode(
        y=alt.Y("group:N", sort=sort, title=None),
        tooltip=["group:N", "n:Q", alt.Tooltip("value:Q", format=".3f"),
                 alt.Tooltip("ci_low:Q", format=".3f"), alt.Tooltip("ci_high:Q", format=".3f")],
    )  # fmt: skip
    rule = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title=value_title, scale=alt.Scale(zero=False)), x2="ci_high:Q"
    )
    point = base.mark_point(filled=True, size=70).encode(x="value:Q")
    return rule + point


def sentiment_histogram(table: pd.DataFrame, *, title: str = "Comment sentiment") -> alt.Chart:
    """Bars of comments per sentiment bin (from :func:`sentiment_distribution`)."""
    if table.empty or table["comments"].sum() == 0:
        return empty_chart("No comments to score", title=title)
    require_columns(table, ["bin_start", "bin_end", "comments", "label"], "The histogram")
    return (
        alt.Chart(table, title=title, width=WIDTH, height=220)
        .mark_bar()
        .encode(
            x=alt.X("bin_start:Q", bin="binned", title="Sentiment (−1 negative … +1 positive)"),
            x2="bin_end:Q",
            y=alt.Y("comments:Q", title="Comments"),
            color=alt.Color("label:N", scale=SENTIMENT_COLOURS, title=None),
            tooltip=[alt.Tooltip("bin_start:Q", format=".1f"), "comments:Q"],
        )
    )


def driver_chart(table: pd.DataFrame, *, title: str = "What drives low ratings") -> alt.Chart:
    """Impact (share × score gap) per theme, most negative first (from :func:`driver_table`)."""
    if table.empty:
        return empty_chart("No theme has enough comments", title=title)
    require_columns(table, ["theme", "impact", "share", "mean_sentiment"], "The driver table")
    data = table[["theme", "impact", "share", "mean_sentiment", "comments"]]
    return (
        alt.Chart(data, title=title, width=WIDTH)
        .mark_bar()
        .encode(
            y=alt.Y("theme:N", sort=alt.EncodingSortField("impact", order="ascending"), title=None),
            x=alt.X("impact:Q", title="Impact on the mean score (share × gap)"),
            color=alt.Color("mean_sentiment:Q", scale=alt.Scale(scheme="redblue", domain=[-1, 1]),
                            title="Mean sentiment"),
            tooltip=["theme:N", "comments:Q", alt.Tooltip("share:Q", format=".1%"),
                     alt.Tooltip("impact:Q", format=".3f"),
                     alt.Tooltip("mean_sentiment:Q", format=".2f")],
        )
    )  # fmt: skip


def topic_chart(topics: pd.DataFrame, *, title: str = "Topics (NMF)") -> alt.Chart:
    """Comments per topic, labelled by its top terms (from :func:`fit_topics`)."""
    if topics.empty:
        return empty_chart("No topics", title=title)
    require_columns(topics, ["topic", "comments"], "The topic table")
    return (
        alt.Chart(topics[["topic", "comments", "coherence"]], title=title, width=WIDTH)
        .mark_bar()
        .encode(
            y=alt.Y("topic:N", sort="-x", title=None),
            x=alt.X("comments:Q", title="Comments"),
            tooltip=["topic:N", "comments:Q", alt.Tooltip("coherence:Q", format=".2f")],
        )
    )


def coherence_chart(choice: pd.DataFrame) -> alt.Chart:
    """Mean topic coherence by number of topics, the chosen one highlighted."""
    if choice.empty:
        return empty_chart("No topic numbers tried", title="Choosing the number of topics")
    return (
        alt.Chart(choice, title="Choosing the number of topics (UMass coherence)", width=WIDTH // 2)
        .mark_line(point=True)
        .encode(
            x=alt.X("n_topics:O", title="Topics", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("coherence:Q", title="Mean coherence (higher = better)",
                    scale=alt.Scale(zero=False)),
            tooltip=["n_topics:O", alt.Tooltip("coherence:Q", format=".3f"), "chosen:N"],
        )
    )  # fmt: skip
