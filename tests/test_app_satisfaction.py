"""The satisfaction app in a real Voila server and a real Chromium, offline."""

from __future__ import annotations

import pytest

from tests.conftest import assert_offline

pytestmark = pytest.mark.browser
EXAMPLES = "#crm-topic-examples"


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


def test_segment_filter_changes_the_selection_count(app_page):
    page = app_page("satisfaction")
    page.wait_for_selector("#crm-satisfaction-count", timeout=180_000)
    before = page.inner_text("#crm-satisfaction-count")
    picker = page.locator(".widget-dropdown", has_text="Department").locator("select").first
    picker.select_option(index=1)
    page.wait_for_function(
        "old => document.querySelector('#crm-satisfaction-count').innerText !== old",
        arg=before,
        timeout=60_000,
    )
    assert int(page.inner_text("#crm-satisfaction-count").replace(",", "")) < int(
        before.replace(",", "")
    )
