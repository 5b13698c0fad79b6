"""The rule explorer app in a real Voila server and a real Chromium, offline."""

from __future__ import annotations

import pytest

from tests.conftest import assert_offline

pytestmark = pytest.mark.browser


def _count(page) -> int:
    return int(page.inner_text("#crm-rule-count").replace(",", ""))


def _press(page, label: str, key: str, times: int) -> None:
    slider = page.locator(".widget-slider", has_text=label).locator(".noUi-handle").first
    slider.focus()
    for _ in range(times):
        page.keyboard.press(key)


def test_rule_explorer_sliders_web_and_drill_down(app_page):
    page = app_page("basket_analysis")
    page.wait_for_selector("#crm-rule-count", timeout=120_000)
    page.get_by_role("tab", name="Scatter").click()
    page.wait_for_selector(".vega-embed svg .mark-symbol path", timeout=60_000)
    before = _count(page)
    points_before = page.locator(".vega-embed svg .mark-symbol path").count()
    assert before > 0

    # raising min confidence filters the stored rules: fewer rules, fewer points
    _press(page, "min confidence", "ArrowRight", 25)
    page.wait_for_function(
        "n => Number(document.querySelector('#crm-rule-count').innerText.replace(/,/g, '')) < n",
        arg=before,
        timeout=30_000,
    )
    after = _count(page)
    assert 0 <= after < before
    page.wait_for_function(
        "n => document.querySelectorAll('.vega-embed svg .mark-symbol path').length !== n",
        arg=points_before,
        timeout=30_000,
    )

    # the web's link slider changes the links
    page.get_by_role("tab", name="Web").click()
    links_before = int(page.inner_text("#crm-web-links").replace(",", ""))
    _press(page, "min link", "ArrowRight", 10)
    page.wait_for_function(
        "n => Number(document.querySelector('#crm-web-links').innerText.replace(/,/g, '')) !== n",
        arg=links_before,
        timeout=30_000,
    )
    assert int(page.inner_text("#crm-web-links").replace(",", "")) < links_before

    # a drill-down shows the supporting baskets
    page.get_by_role("tab", name="Drill-down").click()
    page.wait_for_selector("#crm-drill-sample table tbody tr", timeout=30_000)
    assert page.locator("#crm-drill-sample table tbody tr").count() >= 1
    assert page.locator("#crm-drill-sample").inner_text().count("C-") >= 1  # pseudonyms

    assert_offline(page)
