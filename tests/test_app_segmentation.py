"""The segmentation app in a real Voila server and a real Chromium, offline."""

from __future__ import annotations

import pytest

from tests.conftest import assert_offline

pytestmark = pytest.mark.browser


def test_changing_k_changes_profiles_and_chart(app_page):
    page = app_page("segmentation")
    page.wait_for_selector("#crm-profiles table tbody tr", timeout=120_000)
    page.wait_for_selector(".vega-embed svg .mark-rect path", timeout=60_000)
    rows_before = page.locator("#crm-profiles table tbody tr").count()
    cells_before = page.locator(".vega-embed svg .mark-rect path").count()
    handle = page.locator(".widget-slider", has_text="k").locator(".noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "n => document.querySelectorAll('#crm-profiles table tbody tr').length === n + 2",
        arg=rows_before,
        timeout=60_000,
    )
    page.wait_for_function(
        "n => document.querySelectorAll('.vega-embed svg .mark-rect path').length > n",
        arg=cells_before,
        timeout=60_000,
    )
    page.locator("button", has_text="Prepare CSV download").click()
    page.wait_for_selector("#crm-segments-csv", timeout=30_000)
    assert_offline(page)
