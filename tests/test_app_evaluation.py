"""The evaluation app in a real Voila server and a real Chromium, offline."""

from __future__ import annotations

import pytest

from tests.conftest import assert_offline

pytestmark = pytest.mark.browser


def test_moving_the_intervention_date_changes_the_effect(app_page):
    page = app_page("evaluation")
    page.wait_for_selector("#crm-effect", timeout=180_000)
    before = page.inner_text("#crm-effect")
    assert "[" in before  # effect with its interval
    handle = (
        page.locator(".widget-slider", has_text="intervention date").locator(".noUi-handle").first
    )
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # three weeks later
    page.wait_for_function(
        "t => { const e = document.querySelector('#crm-effect'); return e && e.innerText !== t; }",
        arg=before,
        timeout=90_000,
    )
    after = page.inner_text("#crm-effect")
    assert after != before and "[" in after
    assert "HYPOTHETICAL" in page.inner_text("body")
    page.wait_for_selector("svg .marks, svg.marks", timeout=60_000)
    assert_offline(page)
