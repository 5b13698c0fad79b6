"""Feedback preparation, comment pipeline, driver table and charts on inline data."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.satisfaction import score_by
from crmlib.analysis.satisfaction_text import (
    analyse_comments,
    driver_table,
    prepare_feedback,
    read_feedback,
    segment_labels,
    sentiment_distribution,
)
from crmlib.charts.satisfaction import driver_chart, score_interval_chart, sentiment_histogram
from crmlib.errors import CrmInputError


def test_prepare_feedback_maps_validates_and_counts():
    raw = pd.DataFrame({
        "txt": ["ok", None, "bad"], "stars": ["5", "9", "2"], "rec": ["Yes", "no", "maybe"],
        "cust": ["a", "b", "a"], "age": [23, 35, 47],
    })  # fmt: skip
    out, notes = prepare_feedback(raw, comment="txt", rating="stars", recommend="rec",
                                  customer_id="cust", segments=["age"])  # fmt: skip
    assert out["comment"].tolist() == ["ok", "", "bad"]
    assert out["rating"].tolist()[0] == 5.0 and pd.isna(out["rating"][1])
    assert out["recommend"].tolist()[:2] == [1.0, 0.0] and pd.isna(out["recommend"][2])
    assert out["customer_id"][0] == out["customer_id"][2] != "a"  # pseudonymised, stable
    assert out["age"].tolist() == ["23", "35", "47"]  # few values: kept as they are
    assert any("1 rating answers outside 1–5" in n for n in notes)
    assert any("neither yes nor no" in n for n in notes)


def test_numeric_segment_with_many_values_becomes_bands():
    bands = segment_labels(pd.Series(range(18, 48)))
    assert bands.iloc[0] == "10–19" and bands.iloc[-1] == "40–49" and bands.nunique() == 4


def test_missing_column_names_the_columns_found():
    with pytest.raises(CrmInputError, match=r"no column 'Comment'.*Columns found: a"):
        prepare_feedback(pd.DataFrame({"a": [1]}), comment="Comment")


def test_gbk_file_is_read_with_a_note(tmp_path):
    path = tmp_path / "gbk.csv"
    pd.DataFrame({"意见": ["质量很好", "太慢了"]}).to_csv(path, index=False, encoding="gbk")
    frame, note = read_feedback(str(path))
    assert frame["意见"].tolist() == ["质量很好", "太慢了"] and "GB18030" in note


def _comments() -> pd.DataFrame:
    late = "Delivery was late again, call 0123 456 7890 {}"
    soft = "Lovely soft fabric, great quality and colour {}"
    texts = [late.format(i) for i in range(12)] + [soft.format(i) for i in range(12)]
    texts += ["", "👍👍", "<script>alert(1)</script> fine"]
    ratings = [1] * 12 + [5] * 12 + [3, 4, 4]
    return pd.DataFrame({"comment": texts, "rating": ratings})


def test_analyse_comments_redacts_skips_empties_and_finds_themes():
    result = analyse_comments(_comments(), n_topics=2, min_df=2)
    c = result.comments
    assert len(c) == 25  # the empty and the emoji-only comments are skipped
    assert any("emoji" in n for n in result.notes)
    assert not c["redacted"].str.contains("7890").any()
    assert c.loc[0, "category"] == "delivery"
    assert (c.loc[:11, "sentiment"] < 0).all() and (c.loc[12:23, "sentiment"] > 0).all()
    assert "<script>" not in c.loc[24, "text"]
    assert len(result.topics) == 2 and 0 < result.coverage <= 1


def test_long_comment_is_redacted_before_it_is_cut():
    frame = _comments()
    # 1,993 characters, then a phone number across the 2,000-character cut (7 digits before it)
    frame.loc[len(frame)] = {"comment": "slow " * 397 + "call me 13812345678 now", "rating": 1}
    c = analyse_comments(frame, n_topics=2, min_df=2).comments
    long = c.loc[c["redacted"].str.len() > 1900, "redacted"]
    assert len(long) == 1 and "call me [phone]" in long.iloc[0]
    assert not c["redacted"].str.contains("13812").any()


def test_driver_table_sorts_by_impact_with_redacted_examples():
    c = analyse_comments(_comments(), n_topics=2, min_df=2).comments
    table = driver_table(c, by="category", score="rating", examples=2, min_comments=2)
    top = table.iloc[0]
    assert top["theme"] == "delivery" and top["mean_score"] == 1.0
    # overall mean rating of the 25 scored comments = (12*1 + 12*5 + 4) / 25
    assert top["score_gap"] == pytest.approx(1.0 - 76 / 25)
    assert top["impact"] == pytest.approx(12 / 25 * (1.0 - 76 / 25))
    assert table["impact"].is_monotonic_increasing
    assert "[phone]" in top["examples"] and "7890" not in top["examples"]


def test_charts_encode_the_tables():
    df = pd.DataFrame({"s": [5, 4, 1, 2, 5, 5], "g": list("aaabbb")})
    table, _ = score_by(df, "s", by="g", k=1)
    spec = score_interval_chart(table, title="t", value_title="v").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rule", "point"]
    c = analyse_comments(_comments(), n_topics=2, min_df=2).comments
    hist = sentiment_histogram(sentiment_distribution(c)).to_dict()
    assert hist["encoding"]["x"]["field"] == "bin_start"
    assert sum(r["comments"] for r in hist["datasets"][next(iter(hist["datasets"]))]) == 25
    drivers = driver_chart(driver_table(c, min_comments=2)).to_dict()
    assert drivers["encoding"]["y"]["sort"]["field"] == "impact"
