"""The satisfaction app in a real Voila server and a real Chromium, offline."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.satisfaction_text import analyse_comments
from tests.conftest import assert_offline
from widgets.satisfaction_app import SatisfactionApp

EXAMPLES = "#crm-topic-examples"
COUNT = "#crm-satisfaction-count"


def _count_after_choosing(page, dropdown: str, **option) -> tuple[str, str]:
    """Selection count before and after choosing ``option`` in the dropdown named ``dropdown``."""
    page.wait_for_selector(COUNT, timeout=180_000)
    before = page.inner_text(COUNT)
    picker = page.locator(".widget-dropdown", has_text=dropdown).locator("select").first
    picker.select_option(**option)
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel).innerText !== old",
        arg=[COUNT, before],
        timeout=60_000,
    )
    return before, page.inner_text(COUNT)


def _two_corpora():
    en = pd.DataFrame({
        "comment": [f"Delivery late, courier slow {i}" for i in range(8)]
        + [f"Lovely soft fabric, great quality {i}" for i in range(8)],
        "rating": [1.0] * 8 + [5.0] * 8,
        "channel": ["app", "web"] * 8,
    })  # fmt: skip
    zh = pd.DataFrame({
        "comment": [f"送餐太慢了，等了两个小时，饭都凉了 第{i}单" for i in range(6)]
        + [f"味道不错，包装很好，分量很足 第{i}次" for i in range(6)],
        "recommend": [0.0] * 6 + [1.0] * 6,
    })  # fmt: skip
    return analyse_comments(en, n_topics=2, min_df=2), analyse_comments(zh, n_topics=2, min_df=2)


def test_corpus_switch_shows_the_other_corpus_and_back():
    en, zh = _two_corpora()
    app = SatisfactionApp(en, segment="channel", score="rating",
                          others={"Chinese reviews": (zh, None, "recommend")})  # fmt: skip
    assert app.corpus.options == ("English reviews", "Chinese reviews")
    assert app.corpus.layout.display != "none" and ">16<" in app.count.value
    app.corpus.value = "Chinese reviews"
    assert ">12<" in app.count.value and "送餐太慢了" in app.examples.value
    assert app.seg_picker.disabled and app.band.value == (0.0, 1.0)
    app.band.value = (0.5, 1.0)  # would recommend only
    assert ">6<" in app.count.value
    app.corpus.value = "English reviews"
    assert ">16<" in app.count.value and app.band.value == (1.0, 5.0)
    app.seg_picker.value = "web"
    assert ">8<" in app.count.value


def test_single_corpus_hides_the_switch():
    en, _ = _two_corpora()
    app = SatisfactionApp(en, segment="channel", score="rating")
    assert app.corpus.layout.display == "none" and ">16<" in app.count.value


@pytest.mark.browser
def test_choosing_a_topic_changes_the_example_comments(app_page):
    page = app_page("satisfaction")
    page.wait_for_selector(EXAMPLES, timeout=180_000)
    before = page.inner_text(EXAMPLES)
    assert "Example comments" in before
    picker = page.locator(".widget-dropdown", has_text="topic").locator("select").first
    # the browser shows option spaces as no-break spaces
    options = [o.replace("\xa0", " ") for o in picker.locator("option").all_inner_texts()]
    assert len(options) >= 2, options
    picker.select_option(index=1)
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel).innerText !== old",
        arg=[EXAMPLES, before],
        timeout=60_000,
    )
    after = page.inner_text(EXAMPLES)
    title = options[1].rsplit(" (", 1)[0]
    assert title in after and after != before
    assert_offline(page)


@pytest.mark.browser
def test_segment_filter_changes_the_selection_count(app_page):
    before, after = _count_after_choosing(app_page("satisfaction"), "Department", index=1)
    assert int(after.replace(",", "")) < int(before.replace(",", ""))


@pytest.mark.browser
def test_corpus_switch_shows_the_chinese_reviews(app_page):
    page = app_page("satisfaction")
    _, after = _count_after_choosing(page, "corpus", label="Chinese reviews")
    assert after == "11,987"  # waimai_10k comments with words (the notebook test's count)
    page.wait_for_function(  # the example comments follow: Chinese text
        "sel => /[\\u4e00-\\u9fff]/.test(document.querySelector(sel).innerText)",
        arg=EXAMPLES,
        timeout=60_000,
    )
    assert_offline(page)
