"""The data overview app in a real Voila server and a real Chromium, offline."""

from __future__ import annotations

import time

import pytest

from tests.conftest import assert_offline

pytestmark = pytest.mark.browser


def _card(page, label: str) -> str:
    return page.locator(".crm-card", has_text=label).locator(".v").inner_text()


def test_overview_app_renders_charts_and_filters(app_page):
    page = app_page("data_overview")  # retries while the pool is warming
    t0 = time.perf_counter()
    page.wait_for_selector(".vega-embed svg, .vega-embed canvas", timeout=90_000)
    page.wait_for_selector(".crm-card", timeout=30_000)
    render = page.response_seconds + time.perf_counter() - t0
    print(f"first render after the (served) page request: {render:.2f} s")
    assert page.locator(".vega-embed").count() >= 4

    customers_all = _card(page, "Customers")
    revenue_all = _card(page, "Revenue")
    page.locator(".widget-dropdown select").select_option("France")
    page.wait_for_function(
        "v => [...document.querySelectorAll('.crm-card')].some("
        "c => c.innerText.includes('Customers') && !c.innerText.includes(v))",
        arg=customers_all,
        timeout=30_000,
    )
    assert _card(page, "Customers") != customers_all
    assert _card(page, "Revenue") != revenue_all
    assert int(_card(page, "Customers").replace(",", "")) < int(customers_all.replace(",", ""))

    assert_offline(page)
    page.goto(page.base_url)
    assert "data_overview" in page.content()  # the landing page lists the app
