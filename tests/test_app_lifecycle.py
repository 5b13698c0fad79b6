"""The lifecycle app in a real Voila server and a real Chromium, offline."""

from __future__ import annotations

import pytest

from tests.conftest import assert_offline

pytestmark = pytest.mark.browser


def _alerts(page) -> int:
    return int(page.inner_text("#crm-alert-count").replace(",", ""))


def test_alert_threshold_changes_the_alerted_customers(app_page):
    page = app_page("lifecycle")
    page.wait_for_selector("#crm-alert-count", timeout=120_000)
    before = _alerts(page)
    assert before > 0
    handle = page.locator(".widget-slider", has_text="alert at").locator(".noUi-handle").first
    handle.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # a higher threshold alerts fewer customers
    page.wait_for_function(
        "n => Number(document.querySelector('#crm-alert-count').innerText.replace(/,/g, '')) < n",
        arg=before,
        timeout=60_000,
    )
    assert 0 <= _alerts(page) < before
    text = page.inner_text("body")
    assert "C-" in text  # the alert list shows pseudonyms
    assert_offline(page)


def test_customer_picker_draws_that_customers_p_alive_curve(app_page):
    page = app_page("lifecycle")
    page.wait_for_selector("#crm-alert-count", timeout=120_000)
    select = page.locator(".widget-dropdown", has_text="customer").locator("select")
    second = select.locator("option").nth(1).inner_text()
    assert second.startswith("C-")
    select.select_option(label=second)
    page.wait_for_function(
        "name => document.body.textContent.includes('P(alive) of ' + name)",
        arg=second,
        timeout=60_000,
    )
    assert page.locator("svg").count() >= 3  # stages, history and the curve are drawn
