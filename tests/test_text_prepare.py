"""Language detection, cleaning, redaction, segmentation and themes on inline data."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.errors import CrmInputError
from crmlib.text import clean_text, detect_language, has_words, redact, tokenize
from crmlib.text.themes import categorise, fit_topics, keywords_by_group


def test_language_detection_zh_en_other_and_mixed():
    s = pd.Series(["很好吃", "Runs small", "👍👍", "!!!", "", "OK 不错", "great but 有点贵 haha",
                   "Really great quality and fast shipping 好"])  # fmt: skip
    expected = ["zh", "en", "other", "other", "other", "zh", "zh", "en"]
    assert detect_language(s).tolist() == expected


def test_clean_text_strips_html_and_cuts_long_text():
    s, cut = clean_text(
        pd.Series(["<b>nice</b> &amp; <script>x</script>soft", None, "a" * 50]), max_chars=20
    )
    assert s.iloc[0] == "nice & x soft"
    assert s.iloc[1] == ""
    assert s.iloc[2].startswith("a" * 20) and s.iloc[2].endswith("[…cut]") and cut == 1


def test_redaction_of_phones_emails_and_id_numbers():
    s = pd.Series([
        "call me on 13812345678 please",
        "mail: jane.doe+x@example.co.uk",
        "身份证110101199003077516号",
        "tel +44 20 7946 0958",
        "size 8, order of 12345 items",
        "电话13812345678第3单，邮箱abc@qq.com谢谢",
    ])  # fmt: skip
    out = redact(s).tolist()
    assert out[0] == "call me on [phone] please"
    assert out[1] == "mail: [email]"
    assert out[2] == "身份证[id-number]号"
    assert out[3] == "tel [phone]"
    assert out[4] == "size 8, order of 12345 items"  # short numbers are kept
    assert out[5] == "电话[phone]第3单，邮箱[email]谢谢"  # no spaces around them in Chinese


def test_has_words_rejects_emoji_and_punctuation():
    assert has_words(pd.Series(["!!", "😀😀", "ok", "好", "123"])).tolist() == [
        False,
        False,
        True,
        True,
        False,
    ]


def test_tokenize_chinese_segments_and_drops_stop_words():
    words = tokenize("虽然送餐很慢但是味道不错", "zh")
    assert "送餐" in words and "味道" in words and "不错" in words
    assert "但是" not in words  # a stop word
    assert tokenize("The delivery was really slow", "en") == ["delivery", "slow"]


def test_categorise_with_custom_taxonomy_and_coverage():
    cats, cov = categorise(pd.Series(["late parcel", "too pricey", "hello"]),
                           {"delivery": ("late",), "price": ("pric",)})  # fmt: skip
    assert cats.tolist() == ["delivery", "price", "(uncategorised)"] and cov == pytest.approx(2 / 3)
    with pytest.raises(CrmInputError, match="taxonomy is empty"):
        categorise(pd.Series(["x"]), {})


def test_topics_separate_two_clear_themes_and_respect_override():
    docs = [["delivery", "late", "courier", "slow"]] * 10 + [
        ["fabric", "soft", "quality", "thin"]
    ] * 10
    assigned, topics, choice = fit_topics(docs, n_topics=2, min_df=2)
    assert len(topics) == 2 and choice["chosen"].tolist() == [True]
    assert len(set(assigned[:10])) == 1 and assigned[0] != assigned[-1]
    _, _, choice = fit_topics(docs, candidates=(2, 3), min_df=2)
    assert choice["n_topics"].tolist() == [2, 3] and choice["chosen"].sum() == 1


def test_keywords_by_group():
    docs = [["delivery", "late"]] * 5 + [["fabric", "soft"]] * 5
    out = keywords_by_group(docs, pd.Series(["a"] * 5 + ["b"] * 5), top=1, min_df=2)
    assert dict(zip(out["group"], out["keywords"], strict=True))["b"] in {"fabric", "soft"}


def test_keywords_by_group_merges_and_hides_small_groups():
    docs = [["delivery", "late"]] * 6 + [["fabric", "soft"]] * 6 + [["secret", "late"]]
    groups = pd.Series(["a"] * 6 + ["b"] * 3 + ["c"] * 3 + ["d"])
    out = keywords_by_group(docs, groups, top=2, min_df=2, k=5).set_index("group")
    assert out["comments"].to_dict() == {"a": 6, "Other (small groups)": 7}
    assert out.loc["Other (small groups)", "keywords"] != ""  # 7 comments: shown
    alone = keywords_by_group(docs, pd.Series(["a"] * 12 + ["d"]), min_df=2, k=5)
    assert alone.set_index("group").loc["Other (small groups)", "keywords"] == ""  # 1 comment


def test_fit_topics_too_many_topics_names_the_limit():
    docs = [["delivery", "late", "courier"]] * 4 + [["fabric", "soft", "thin"]] * 4
    with pytest.raises(CrmInputError, match=r"below 6 \(8 comments and 6 terms.*got 6"):
        fit_topics(docs, n_topics=6, min_df=2)
    with pytest.raises(CrmInputError, match=r"candidate.*\[6, 7\].*below 6"):
        fit_topics(docs, candidates=(6, 7), min_df=2)


def test_categorise_rejects_a_category_without_keywords():
    with pytest.raises(CrmInputError, match=r"\['price'\] have no keywords"):
        categorise(pd.Series(["late parcel", "hello"]), {"delivery": ["late"], "price": []})


def test_dates_are_not_phone_numbers_but_a_phone_after_a_date_is():
    out = redact(pd.Series(["ordered 2024-01-05, again 2024.02.06", "2024-01-05 13812345678"]))
    assert out.tolist() == ["ordered 2024-01-05, again 2024.02.06", "2024-01-05 [phone]"]
