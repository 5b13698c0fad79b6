"""The satisfaction notebook run headless: default corpora, and a small hostile GBK file."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.notebook.satisfaction import (
    comment_analysis,
    driver_score,
    load_feedback,
    show_scores,
    show_second_corpus,
    show_themes,
)
from tests.conftest import run_notebook

pytestmark = pytest.mark.notebook


def test_satisfaction_defaults_record_accuracy_against_baselines(built, tmp_path):
    records, _ = run_notebook(built, tmp_path, "satisfaction", eval_rows=1500)
    metrics = records["sentiment_metrics"]
    en = metrics["Women's Clothing (rating 4–5 vs 1–2) | crmlib"]
    zh = metrics["waimai_10k (label) | crmlib"]
    assert en["macro_f1"] > 0.78 and en["auc"] > 0.95
    assert zh["macro_f1"] > 0.82 and zh["auc"] > 0.90
    assert "MD5" in records["split"] and "1,500 rows" in records["split"]
    # the test extra installs vaderSentiment and snownlp: their rows must be recorded
    vader = metrics.get("Women's Clothing (rating 4–5 vs 1–2) | VADER")
    snow = metrics.get("waimai_10k (label) | SnowNLP")
    assert vader and snow, f"baseline rows missing: {sorted(metrics)}"
    assert en["macro_f1"] > vader["macro_f1"] and en["auc"] > vader["auc"]
    assert zh["macro_f1"] > snow["macro_f1"] and zh["auc"] > snow["auc"]
    # scores: Women's Clothing ratings 4-5 are 18,208 of 23,486 (SOURCE.md counts)
    assert records["scores"]["csat"]["csat"] == pytest.approx(18_208 / 23_486)
    assert (
        records["scores"]["csat"]["ci_low"] < 18_208 / 23_486 < records["scores"]["csat"]["ci_high"]
    )
    assert records["comments"] == 23_486 - 845  # 845 reviews without text
    assert records["zh_comments"] == 11_987
    assert 0.5 < records["coverage"] <= 1 and records["n_topics"] >= 2
    assert len(records["topics"]) == records["n_topics"]


def test_satisfaction_on_gbk_file_with_bad_rows(built, tmp_path):
    rows = []
    for i in range(40):
        rows.append({"意见": f"送餐太慢了，等了两个小时，电话13812345678 第{i}单", "评分": 2,
                     "渠道": "app", "日期": "2024-01-05"})  # fmt: skip
        rows.append({"意见": f"味道不错，包装很好，下次还来 <b>赞</b> 第{i}次", "评分": 10,
                     "渠道": "web", "日期": "2024-02-05"})  # fmt: skip
    rows += [
        {"意见": "★★★", "评分": 9, "渠道": "web", "日期": "2024-02-06"},
        {"意见": "!!!", "评分": 11, "渠道": "web", "日期": "2024-02-06"},  # out of range
        {"意见": "good food but slow delivery " * 200, "评分": 7, "渠道": "tiny", "日期": ""},
    ]
    path = tmp_path / "feedback_gbk.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gbk")
    records, output = run_notebook(
        built, tmp_path, "satisfaction", source=str(path), comment_column="意见",
        rating_column="", nps_column="评分", recommend_column="", date_column="日期",
        segment_columns=["渠道"], chinese_source="", eval_rows=200, n_topics=2,
    )  # fmt: skip
    nps = records["scores"]["nps"]
    assert nps["n"] == 82  # 83 answers, the 11 excluded
    # 41 promoters (10 x40 + one 9), 40 detractors (2), 1 passive (7)
    assert nps["nps"] == pytest.approx(100 * (41 - 40) / 82)
    assert records["comments"] == 81  # symbol-only and punctuation-only comments skipped
    assert records["n_topics"] == 2
    text = output.read_text(encoding="utf-8")
    assert "GB18030" in text  # the encoding note
    assert "excluded" in text  # the out-of-range note
    assert "13812345678" not in text  # redacted everywhere it is shown
    assert "very long comments were cut" in text
    assert "<b>赞</b>" not in text  # HTML in comments never reaches the page as markup


def _shown(fn, *args, **kwargs):
    """Run a display helper in an IPython shell; return its result and the HTML it showed."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as cap:
        result = fn(*args, **kwargs)
    return result, "".join(str(o.data.get("text/html", "")) for o in cap.outputs)


def _feedback_file(tmp_path):
    late, soft = "Delivery late again, courier slow {}", "Lovely soft fabric, great quality {}"
    frame = pd.DataFrame({
        "Review Text": [late.format(i) for i in range(10)] + [soft.format(i) for i in range(10)],
        "Title": [f"Expensive price, poor value {i}" for i in range(10)]
        + [f"Pretty colour, nice style {i}" for i in range(10)],
        "Rating": [1] * 10 + [5] * 10,
        "Stars": [5] * 10 + [1] * 10,
        "ch": ["app"] * 19 + ["vip"],
    })  # fmt: skip
    path = tmp_path / "feedback.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_comment_cache_follows_the_mapped_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path / "cache"))
    source, params = _feedback_file(tmp_path), {"n_topics": 2, "taxonomy": None}
    seen = {}
    for comment, rating in (("Review Text", "Rating"), ("Title", "Rating"), ("Title", "Stars")):
        columns = {"comment": comment, "rating": rating}
        feedback, _ = load_feedback(source, columns)
        c = comment_analysis(feedback, source, params, columns).comments
        seen[comment, rating] = (c["text"].iloc[0], c["rating"].iloc[0])
    assert seen["Review Text", "Rating"] == ("Delivery late again, courier slow 0", 1.0)
    assert seen["Title", "Rating"] == ("Expensive price, poor value 0", 1.0)
    assert seen["Title", "Stars"] == ("Expensive price, poor value 0", 5.0)


def test_single_segment_shows_an_empty_state_not_an_error(tmp_path):
    frame = pd.DataFrame({"rating": [5.0, 4.0] * 20, "ch": ["app"] * 40})
    out, page = _shown(show_scores, frame, ["ch"], 5)
    assert out["by_ch"]["n"].tolist() == [40]
    assert "Nothing to show" in page and "same &#x27;ch&#x27; (app, 40 responses)" in page
    assert "has 5 or more responses" not in page


def test_keywords_per_segment_hide_a_single_comment_group(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path / "cache"))
    source = _feedback_file(tmp_path)
    columns = {"comment": "Review Text", "rating": "Rating", "segments": ["ch"]}
    feedback, _ = load_feedback(source, columns)
    result = comment_analysis(feedback, source, {"n_topics": 2}, columns)
    _, page = _shown(show_themes, result, ["ch"], 5)
    assert ">app<" in page and ">Other (small groups)<" in page
    assert ">vip<" not in page  # one comment: merged, its keywords hidden


def test_driver_score_prefers_rating_then_nps_then_recommend():
    assert driver_score({"rating": "Rating", "nps": "x", "recommend": "y"}) == "rating"
    assert driver_score({"rating": "", "nps": "评分", "recommend": ""}) == "nps"
    assert driver_score({"comment": "c", "recommend": "label"}) == "recommend"
    assert driver_score({"comment": "c"}) is None


def test_second_corpus_helper_shows_and_returns_its_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path / "cache"))
    assert show_second_corpus("", {}, {}, 5) == (None, {})
    source = _feedback_file(tmp_path)
    columns = {"comment": "Title", "rating": "Rating"}
    (result, figures), page = _shown(show_second_corpus, source, columns, {"n_topics": 2}, 5)
    assert figures["zh_comments"] == 20 == len(result.comments)
    assert figures["zh_top_driver"] == "price"  # the ten rating-1 titles are about price
    assert "CSAT" in page and "What drives low scores" in page
