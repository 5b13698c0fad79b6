"""The segmentation app in a real Voila server and a real Chromium, offline."""

from __future__ import annotations

import pytest

from tests.conftest import build_apps, local_context, open_app

pytestmark = pytest.mark.browser


def test_changing_k_changes_profiles_and_chart(tmp_path, app_server, chromium_browser):
    _, base = app_server(build_apps(tmp_path / "apps"), pool_size=1, max_kernels=3, timeout=120)
    context = local_context(chromium_browser)
    page = context.new_page()
    blocked: list[str] = []
    page.on("requestfailed", lambda r: blocked.append(r.url))
    open_app(page, base, "segmentation")
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
    offline = [u for u in blocked if "127.0.0.1" not in u]
    assert not offline, f"the app asked for external resources: {offline}"
    context.close()
