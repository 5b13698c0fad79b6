"""The static basket report: its sliders filter the rules in the browser with the network off."""

from __future__ import annotations

import re

import pytest

from crmlib.reporting import run_reports

pytestmark = [pytest.mark.notebook, pytest.mark.browser]


def _shown(page) -> int:
    texts = page.eval_on_selector_all("svg text", "els => els.map(e => e.textContent)")
    counts = [re.match(r"([\d,]+) of ([\d,]+) rules shown", t) for t in texts]
    found = [int(m.group(1).replace(",", "")) for m in counts if m]
    assert found, "the explorer's live rule count is missing"
    return found[0]


def test_report_sliders_filter_offline(tmp_path, chromium_browser):
    result = run_reports(
        ["basket_analysis"],
        {"source": "embedded:groceries", "min_support": 0.001, "min_confidence": 0.5},
        reports_dir=tmp_path / "reports",
        progress=False,
    )
    assert result.ok, result.summary()
    html_path = result.notebooks[0].html
    context = chromium_browser.new_context()
    requests: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            requests.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.goto(html_path.as_uri())
    page.wait_for_selector("input[type=range][name=min_lift]", timeout=60_000)
    before = _shown(page)
    assert before > 0
    page.eval_on_selector(
        "input[type=range][name=min_lift]",
        "el => { el.value = el.max * 0.8; el.dispatchEvent(new Event('input', {bubbles: true})); }",
    )
    page.wait_for_function(
        "n => [...document.querySelectorAll('svg text')].some(t => /rules shown/.test("
        "t.textContent) && Number(t.textContent.split(' of ')[0].replace(/,/g, '')) < n)",
        arg=before,
        timeout=30_000,
    )
    assert _shown(page) < before
    assert requests == [], f"the report asked the network for {requests}"
    context.close()
