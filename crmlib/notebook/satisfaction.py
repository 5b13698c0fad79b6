"""Notebook helpers of the satisfaction analysis: load, score, evaluate, themes, drivers.

Heavy steps (comment pipeline, baseline comparison) are cached on disk by a fingerprint of the
input file and the parameters, so an app kernel loads them instead of recomputing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from crmlib.analysis.satisfaction import (
    compare_segments,
    csat,
    mean_rating,
    nps,
    score_by,
    score_over_time,
)
from crmlib.analysis.satisfaction_text import (
    DATE,
    NPS_SCORE,
    RATING,
    RECOMMEND,
    CommentAnalysis,
    analyse_comments,
    driver_table,
    prepare_feedback,
    read_feedback,
    sentiment_distribution,
)
from crmlib.cache import cached, file_fingerprint, fingerprint
from crmlib.charts import cards, empty_state, notes
from crmlib.charts.satisfaction import (
    coherence_chart,
    driver_chart,
    score_interval_chart,
    sentiment_histogram,
    topic_chart,
)
from crmlib.errors import EmptyResultError
from crmlib.notebook import show, show_table
from crmlib.privacy import DEFAULT_MIN_GROUP, privacy_note

PCT = "{:.1%}"
DRIVER_FORMATS = {"share": PCT, "mean_sentiment": "{:+.2f}", "negative_share": PCT,
                  "mean_score": "{:.2f}", "score_gap": "{:+.2f}", "impact": "{:+.3f}"}  # fmt: skip


def load_feedback(source: str, columns: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Read and map a feedback file (``columns``: keyword arguments of ``prepare_feedback``;
    empty strings mean "no such column")."""
    raw, note = read_feedback(source)
    given = {k: (v or None) for k, v in columns.items() if k != "segments"}
    segments = [s for s in columns.get("segments", []) if s]
    frame, messages = prepare_feedback(raw, segments=segments, **given)
    return frame, [note, *messages] if note else messages


def driver_score(columns: dict[str, Any]) -> str | None:
    """Canonical score column the drivers are measured on: the rating if one was mapped,
    else the NPS answer, else would-recommend; None (sentiment) when no score was mapped.

    Examples
    --------
    >>> driver_score({"rating": "", "nps": "score", "recommend": "rec"})
    'nps'
    """
    for role in (RATING, NPS_SCORE, RECOMMEND):
        if columns.get(role):
            return role
    return None


def show_second_corpus(
    source: str, columns: dict[str, Any], params: dict[str, Any], k: int
) -> tuple[CommentAnalysis | None, dict[str, Any]]:
    """Scores, comments, themes and drivers of a second feedback file (e.g. Chinese reviews).

    Returns
    -------
    (CommentAnalysis or None, dict)
        The comment analysis (for the app) and the key figures for the record
        (``zh_comments, zh_coverage, zh_top_driver``); ``(None, {})`` when ``source`` is empty.
    """
    if not source:
        return None, {}
    feedback, feedback_notes = load_feedback(source, columns)
    show_scores(feedback, [], k)
    result = comment_analysis(feedback, source, params, columns)
    show_comments(result, feedback_notes)
    show_themes(result, [], k)
    drivers = show_drivers(result, driver_score(columns))
    return result, {
        "zh_comments": len(result.comments),
        "zh_coverage": result.coverage,
        "zh_top_driver": str(drivers["category"]["theme"].iloc[0]),
    }


def _source_key(source: str) -> Any:
    from crmlib.io.readers import resolve_source

    return file_fingerprint(resolve_source(source))


def comment_analysis(
    feedback: pd.DataFrame,
    source: str,
    params: dict[str, Any],
    columns: dict[str, Any] | None = None,
) -> CommentAnalysis:
    """:func:`analyse_comments` on the feedback, cached by file, column mapping, parameters
    and a hash of the mapped table's content (so another comment or rating column of the
    same file is never answered from the cache of the first)."""
    content = int(pd.util.hash_pandas_object(feedback, index=True).sum())
    key = fingerprint("satisfaction-comments", _source_key(source), columns, params,
                      list(feedback.columns), len(feedback), content)  # fmt: skip
    return cached("satisfaction", key, lambda: analyse_comments(feedback, **params))


def show_scores(feedback: pd.DataFrame, segments: Sequence[str], k: int) -> dict[str, Any]:
    """Headline NPS / CSAT / mean rating / recommend share with intervals, then by segment."""
    out: dict[str, Any] = {}
    head = {}
    if RATING in feedback.columns and feedback[RATING].notna().any():
        r, m = csat(feedback[RATING].dropna()), mean_rating(feedback[RATING].dropna())
        out["csat"], out["mean_rating"] = r, m
        head["CSAT (4–5 of 5)"] = f"{r['csat']:.1%} ({r['ci_low']:.1%}–{r['ci_high']:.1%})"
        head["Mean rating"] = f"{m['mean']:.2f} ({m['ci_low']:.2f}–{m['ci_high']:.2f})"
    if NPS_SCORE in feedback.columns and feedback[NPS_SCORE].notna().any():
        r = nps(feedback[NPS_SCORE].dropna())
        out["nps"] = r
        head["NPS"] = f"{r['nps']:+.0f} ({r['ci_low']:+.0f} to {r['ci_high']:+.0f})"
    if RECOMMEND in feedback.columns and feedback[RECOMMEND].notna().any():
        r = csat(feedback[RECOMMEND].dropna(), top=1)
        out["recommend"] = r
        head["Would recommend"] = f"{r['csat']:.1%} ({r['ci_low']:.1%}–{r['ci_high']:.1%})"
    head["Responses"] = f"{len(feedback):,}"
    show(cards(head), notes(["Figures in brackets are 95 % confidence intervals."]))
    metric, column = ("csat", RATING) if RATING in feedback.columns else ("nps", NPS_SCORE)
    if column not in feedback.columns:
        return out
    if DATE in feedback.columns and feedback[DATE].notna().any():
        trend = score_over_time(feedback, column, DATE, metric=metric)
        show(score_interval_chart(trend.rename(columns={"period": "group"}),
                                  title=f"{metric.upper()} by month", sort="ascending",
                                  value_title=f"{metric.upper()} with 95 % interval"))  # fmt: skip
        out["over_time"] = trend
    for seg in segments:
        table, note = score_by(feedback, column, metric=metric, by=seg, k=k)
        show(score_interval_chart(table, title=f"{metric.upper()} by {seg}",
                                  value_title=f"{metric.upper()} with 95 % interval"))  # fmt: skip
        out[f"by_{seg}"] = table
        try:
            comparison = compare_segments(feedback, column, seg, metric=metric, k=k)
        except EmptyResultError as exc:  # one segment only, or all too small: say so, go on
            show(empty_state(f"No comparison by {seg}: {exc}"), notes([note]))
            continue
        show_table(comparison[["group", "n", "value", "rest", "difference", "ci_low", "ci_high",
                               "p_adjusted", "note"]],
                   formats={c: "{:.3f}" for c in ("value", "rest", "difference", "ci_low",
                                                  "ci_high", "p_adjusted")})  # fmt: skip
        show(notes([note, "Each segment is compared with all other responses; p-values are "
                    "Holm-adjusted over the segments."]))  # fmt: skip
    return out


def sentiment_accuracy(limit: int) -> pd.DataFrame:
    """Our sentiment vs VADER / SnowNLP on the held-out rows of the development corpora."""
    from crmlib.text.evaluate import compare
    from crmlib.text.train import clothing_corpus, waimai_corpus

    def run() -> pd.DataFrame:
        return pd.concat([
            compare(clothing_corpus(), "en", name="Women's Clothing (rating 4–5 vs 1–2)",
                    limit=limit),
            compare(waimai_corpus(), "zh", name="waimai_10k (label)", limit=limit),
        ], ignore_index=True)  # fmt: skip

    return cached("satisfaction", fingerprint("sentiment-accuracy", limit), run)


def show_sentiment_accuracy(limit: int) -> pd.DataFrame:
    """Table of accuracy / macro-F1 / ROC AUC with the split used."""
    table = sentiment_accuracy(limit)
    cols = ["corpus", "method", "rows", "accuracy", "macro_f1", "auc", "predicted_positive",
            "actual_positive"]  # fmt: skip
    show_table(table[[c for c in cols if c in table.columns]],
               formats={c: "{:.3f}" for c in cols[3:]})  # fmt: skip
    show(notes([
        "Split: " + str(table["split"].iloc[0]) + ". The models were trained on the other 70 % "
        "of Women's Clothing + VADER's Amazon snippets (English) and of waimai_10k + SnowNLP's "
        "shopping reviews (Chinese), each corpus and class weighted equally.",
        "Positive = score above 0 for ours, compound above 0.05 for VADER, above 0.5 for "
        "SnowNLP. Macro-F1 and AUC matter more than accuracy: the corpora are imbalanced.",
    ]))  # fmt: skip
    return table


def accuracy_records(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """``{"<corpus> | <method>": {accuracy, macro_f1, auc}}`` for the notebook's record."""
    metrics = table.dropna(subset=["auc"]) if "auc" in table.columns else table.iloc[:0]
    return {
        f"{r.corpus} | {r.method}": {m: round(float(getattr(r, m)), 4)
                                     for m in ("accuracy", "macro_f1", "auc")}
        for r in metrics.itertuples()
    }  # fmt: skip


def show_comments(result: CommentAnalysis, feedback_notes: Sequence[str]) -> None:
    """Sentiment distribution, languages, and the notes about skipped or cut comments."""
    c = result.comments
    show(sentiment_histogram(sentiment_distribution(c)))
    langs = c["language"].value_counts().to_dict()
    show(notes([
        *feedback_notes, *result.notes,
        f"{len(c):,} comments scored: " + ", ".join(f"{k} {v:,}" for k, v in langs.items()) + ".",
        f"{(c['label'] == 'negative').mean():.1%} negative. Phone numbers, e-mail addresses and "
        "ID-card-like numbers are replaced before anything is shown. " + privacy_note(),
    ]))  # fmt: skip


def show_themes(
    result: CommentAnalysis, segments: Sequence[str], k: int = DEFAULT_MIN_GROUP
) -> None:
    """Topics with the coherence choice, keywords per segment (groups of fewer than ``k``
    comments merged or hidden), and category coverage."""
    from crmlib.text.themes import SMALL_GROUPS, keywords_by_group, token_lists

    show(topic_chart(result.topics), coherence_chart(result.topic_choice))
    show_table(result.topics, formats={"coherence": "{:.2f}"})
    c = result.comments
    if segments:
        tokens = token_lists(c["redacted"], c["language"])
        show_table(keywords_by_group(tokens, c[segments[0]], k=k))
        show(notes([f"Groups with fewer than {k} comments are merged into '{SMALL_GROUPS}', "
                    "whose keywords stay blank while it is still that small."]))  # fmt: skip
    cats = c["category"].value_counts().rename_axis("category").reset_index(name="comments")
    show_table(cats)
    show(notes([f"Complaint categories cover {result.coverage:.1%} of comments "
                "(keyword taxonomy; override it with the taxonomy parameter)."]))  # fmt: skip


def show_drivers(result: CommentAnalysis, score: str | None) -> dict[str, pd.DataFrame]:
    """Driver tables by category and by topic, with redacted example comments."""
    out = {}
    for by in ("category", "topic"):
        table = driver_table(result.comments, by=by, score=score, examples=2)
        show(driver_chart(table, title=f"What drives low scores, by {by}"))
        show_table(table, formats=DRIVER_FORMATS)
        out[by] = table
    return out
