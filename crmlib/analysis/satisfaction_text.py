"""Feedback tables and their comments: canonical columns, text pipeline, driver table.

Input is one row per survey answer or ticket with an optional comment, optional scores (a
1–5 rating, a 0–10 NPS answer, a yes/no "would recommend"), optional date and customer id,
and any segment columns. :func:`prepare_feedback` maps them onto canonical names once;
:func:`analyse_comments` adds language, redacted text, sentiment, complaint category and
topic per comment; :func:`driver_table` joins them into "what drives low ratings".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.analysis.satisfaction import SCALES, valid_scores
from crmlib.config import CUSTOMER_ID
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.privacy import pseudonymise

COMMENT, RATING, NPS_SCORE, RECOMMEND, DATE = "comment", "rating", "nps", "recommend", "date"
TEXT, REDACTED, SENTIMENT, LABEL, LANGUAGE = "text", "redacted", "sentiment", "label", "language"
EXAMPLE_CHARS = 160
_YES = {"1", "yes", "y", "true", "t", "是", "会", "推荐"}
_NO = {"0", "no", "n", "false", "f", "否", "不会", "不推荐"}


def read_feedback(source: str | Path, *, encoding: str = "utf-8") -> tuple[pd.DataFrame, str]:
    """Read a feedback file; a CSV that is not valid UTF-8 is retried as GB18030 (GBK superset).

    Returns
    -------
    (pandas.DataFrame, str)
        The raw table (text columns) and a note ("" unless the encoding was switched).
    """
    from crmlib.io.readers import read_table

    try:
        return read_table(source, encoding=encoding), ""
    except CrmInputError as exc:
        if encoding.lower().replace("-", "") != "utf8" or "decode" not in str(exc):
            raise
    frame = read_table(source, encoding="gb18030")
    note = (
        f"{Path(str(source)).name} is not UTF-8; it was read as GB18030 (GBK), the usual "
        "encoding of Chinese Excel exports. Check that the text looks right."
    )
    return frame, note


def _column(frame: pd.DataFrame, name: str | None, role: str) -> pd.Series | None:
    if name is None:
        return None
    if name not in frame.columns:
        found = ", ".join(map(str, frame.columns[:20]))
        raise CrmInputError(
            f"The feedback table has no column '{name}' (given as {role}). Columns found: {found}."
        )
    return frame[name]


def prepare_feedback(
    frame: pd.DataFrame,
    *,
    comment: str | None = None,
    rating: str | None = None,
    nps: str | None = None,
    recommend: str | None = None,
    date: str | None = None,
    customer_id: str | None = None,
    segments: Sequence[str] = (),
) -> tuple[pd.DataFrame, list[str]]:
    """Map a feedback table onto canonical columns, validating the scores.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per answer; column names as in the source.
    comment, rating, nps, recommend, date, customer_id : str, optional
        Source column for each role (rating 1–5, NPS 0–10, recommend yes/no or 1/0).
    segments : sequence of str
        Segment columns, kept under their own names as text.

    Returns
    -------
    (pandas.DataFrame, list of str)
        Columns ``comment, rating, nps, recommend, date, customer_id`` (those given; ids
        pseudonymised, out-of-range scores blank) plus the segments; and notes for the reader
        (e.g. "12 rating answers outside 1–5 were excluded").
    """
    if comment is None and rating is None and nps is None and recommend is None:
        raise CrmInputError("Give at least one of comment, rating, nps or recommend columns.")
    out = pd.DataFrame(index=frame.index)
    notes: list[str] = []
    if (s := _column(frame, comment, "comment")) is not None:
        out[COMMENT] = s.astype("string").fillna("").astype(object)
    for role, col in ((RATING, rating), (NPS_SCORE, nps)):
        if (s := _column(frame, col, role)) is not None:
            low, high = SCALES[role]
            valid, bad = valid_scores(s, low, high, name=role)
            out[role] = valid.reindex(frame.index)
            if bad:
                notes.append(f"{bad:,} {role} answers outside {low:g}–{high:g} were excluded.")
    if (s := _column(frame, recommend, "recommend")) is not None:
        text = s.astype("string").str.strip().str.lower()
        out[RECOMMEND] = np.where(text.isin(_YES), 1.0, np.where(text.isin(_NO), 0.0, np.nan))
        bad = int((text.notna() & ~text.isin(_YES | _NO)).sum())
        if bad:
            notes.append(f"{bad:,} recommend answers were neither yes nor no and were excluded.")
    if (s := _column(frame, date, "date")) is not None:
        out[DATE] = pd.to_datetime(s, errors="coerce")
    if (s := _column(frame, customer_id, "customer_id")) is not None:
        out[CUSTOMER_ID] = pseudonymise(s)
    for seg in segments:
        out[seg] = segment_labels(_column(frame, seg, "segment"))
    return out.reset_index(drop=True), notes


def segment_labels(values: pd.Series, *, max_levels: int = 12, width: int = 10) -> pd.Series:
    """Segment values as text; a numeric column with many values becomes bands ("30–39").

    Returns
    -------
    pandas.Series of str, same index; blanks become "(missing)".
    """
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().mean() > 0.9 and num.nunique() > max_levels:
        low = (num // width * width).astype("Int64")
        text = low.astype("string") + "–" + (low + width - 1).astype("string")
        return text.fillna("(missing)").astype(object)
    return values.astype("string").fillna("(missing)").astype(object)


@dataclass
class CommentAnalysis:
    """Result of :func:`analyse_comments`: per-comment table and the theme summaries."""

    comments: pd.DataFrame
    topics: pd.DataFrame
    topic_choice: pd.DataFrame
    coverage: float
    notes: list[str] = field(default_factory=list)


def analyse_comments(
    feedback: pd.DataFrame,
    *,
    taxonomy: Mapping[str, Sequence[str]] | None = None,
    n_topics: int | None = None,
    min_df: int = 3,
) -> CommentAnalysis:
    """Language, redacted text, sentiment, category and topic for every non-empty comment.

    Parameters
    ----------
    feedback : pandas.DataFrame
        From :func:`prepare_feedback`, with a ``comment`` column.
    taxonomy : mapping, optional
        Complaint categories (default :data:`crmlib.text.themes.DEFAULT_TAXONOMY`).
    n_topics : int, optional
        Fix the number of NMF topics instead of choosing it by coherence.

    Returns
    -------
    CommentAnalysis
        ``comments``: the feedback rows with words in their comment, plus ``text`` (clean),
        ``redacted``, ``language``, ``sentiment`` (−1..1), ``label``, ``category``, ``topic``.
    """
    from crmlib.text import clean_text, has_words, redact, sentiment
    from crmlib.text.prepare import cut_text
    from crmlib.text.themes import categorise, fit_topics, token_lists

    if COMMENT not in feedback.columns:
        raise CrmInputError("The feedback has no comment column: pass comment='<column>'.")
    # redact the whole text, then cut: a cut must never leave part of a phone number behind
    text, _ = clean_text(feedback[COMMENT], max_chars=None)
    safe, cut = cut_text(redact(text))
    text, _ = cut_text(text)
    keep = has_words(text)
    notes = []
    if (~keep).any():
        notes.append(f"{int((~keep).sum()):,} comments were empty, emoji- or punctuation-only.")
    if cut:
        notes.append(f"{cut:,} very long comments were cut (marked '[…cut]').")
    rows = feedback.loc[keep].copy()
    if rows.empty:
        raise EmptyResultError("No comment holds any words; nothing to analyse.")
    rows[TEXT] = text[keep]
    rows[REDACTED] = safe[keep]
    scored = sentiment(rows[REDACTED])
    rows[LANGUAGE], rows[SENTIMENT], rows[LABEL] = (
        scored["language"],
        scored["score"],
        scored["label"],
    )
    # themes work on redacted text, so no personal data can surface as a keyword or label
    rows["category"], coverage = categorise(rows[REDACTED], taxonomy)
    tokens = token_lists(rows[REDACTED], rows[LANGUAGE])
    rows["topic"], topics, choice = fit_topics(tokens, n_topics=n_topics, min_df=min_df)
    return CommentAnalysis(rows.reset_index(drop=True), topics, choice, coverage, notes)


def driver_table(
    comments: pd.DataFrame,
    *,
    by: str = "category",
    score: str | None = RATING,
    examples: int = 3,
    min_comments: int = 5,
) -> pd.DataFrame:
    """What drives low ratings: per theme, sentiment, score, share and impact, with examples.

    Impact = share of comments × (theme's mean score − overall mean score), on the score's
    scale (or on sentiment when no score is given); the most negative impact comes first.

    Parameters
    ----------
    comments : pandas.DataFrame
        ``CommentAnalysis.comments``.
    by : str
        Theme column ("category" or "topic").
    score : str, optional
        Score column for the gap; None uses sentiment.
    examples : int
        Most negative redacted comments shown per row.

    Returns
    -------
    pandas.DataFrame
        Columns ``theme, comments, share, mean_sentiment, negative_share, mean_score,
        score_gap, impact, examples`` (examples joined by " ‖ ", each cut to 160 characters).
    """
    if by not in comments.columns:
        raise CrmInputError(f"Driver table: no column '{by}'; use 'category' or 'topic'.")
    use = score if score is not None and score in comments.columns else SENTIMENT
    base = comments[use].mean()
    rows = []
    for theme, part in comments.groupby(by, sort=False):
        if len(part) < min_comments:
            continue
        worst = part.nsmallest(examples, SENTIMENT)[REDACTED].map(_shorten)
        mean_score = part[use].mean()
        rows.append({
            "theme": theme, "comments": len(part), "share": len(part) / len(comments),
            "mean_sentiment": part[SENTIMENT].mean(),
            "negative_share": float((part[SENTIMENT] < 0).mean()),
            "mean_score": mean_score, "score_gap": mean_score - base,
            "examples": " ‖ ".join(worst),
        })  # fmt: skip
    if not rows:
        raise EmptyResultError(f"No '{by}' has {min_comments} or more comments.")
    out = pd.DataFrame(rows)
    out["impact"] = out["share"] * out["score_gap"]
    cols = ["theme", "comments", "share", "mean_sentiment", "negative_share", "mean_score",
            "score_gap", "impact", "examples"]  # fmt: skip
    return out[cols].sort_values("impact", ignore_index=True)


def _shorten(text: str) -> str:
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1].rstrip() + "…"


def sentiment_distribution(comments: pd.DataFrame, *, bins: int = 20) -> pd.DataFrame:
    """Histogram of sentiment scores: ``bin_start, bin_end, comments, label``."""
    edges = np.linspace(-1, 1, bins + 1)
    counts, _ = np.histogram(comments[SENTIMENT].clip(-1, 1), bins=edges)
    centre = (edges[:-1] + edges[1:]) / 2
    label = np.where(centre > 0, "positive", "negative")
    return pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:], "comments": counts,
                         "label": label})  # fmt: skip
