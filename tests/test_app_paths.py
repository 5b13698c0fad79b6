"""The paths_and_networks app in a real Voila server and a real Chromium, offline."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.network import describe_communities, network_layout, network_metrics
from crmlib.io.events import sequences_from_lists
from crmlib.notebook.paths import NetworkView
from tests.conftest import assert_offline
from widgets.paths_app import NetworkApp, PathsApp

# links drawn in the network app's own chart (the box that holds the link count)
DRAWN = """() => document.querySelector('#crm-link-count').closest('.widget-vbox')
    .querySelectorAll('svg g.mark-rule line').length"""


def _links(page) -> int:
    return int(page.inner_text("#crm-link-count").replace(",", ""))


def test_network_app_counts_links_and_escapes_names():
    edges = pd.DataFrame({"source": ["<img src=x onerror=alert(1)>", "a", "b"],
                          "target": ["a", "b", "c"], "weight": [1, 5, 9]})  # fmt: skip
    net = network_metrics(edges, seed=0)
    summary = describe_communities(net)
    app = NetworkApp(NetworkView(net, network_layout(net), summary, "products"), min_weight=5)
    assert "<span id='crm-link-count'>2</span>" in app.count.value
    assert "<img" not in app.summary.value and "&lt;img" in app.summary.value
    app.weight.value = 9
    assert "<span id='crm-link-count'>1</span>" in app.count.value
    assert app.draw() == 1


def test_paths_app_sliders_and_start_page(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path))
    seqs = sequences_from_lists([["a", "b", "c"], ["a", "c"], ["b"], ["a", "b", "b", "c"]])
    app = PathsApp(seqs, seqs, key="inline-test", min_support=0.5, max_length=3, start="a")
    assert "<span id='crm-pattern-count'>7</span>" in app.count.value
    app.length.value = 1
    assert "<span id='crm-pattern-count'>3</span>" in app.count.value
    assert "a &gt; b" in app.follow.value and "Sessions starting at a: 3" in app.follow.value
    app.start.value = "b"
    assert "Sessions starting at b: 1" in app.follow.value


def test_paths_app_keeps_notebook_values_outside_the_default_slider_range(tmp_path, monkeypatch):
    """Issue 9 review item 16: no silent clamping to 0.5 % and 6 steps."""
    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path))
    # 1,000 sessions: at 0.1 % (1 session) the robot session's x, x > x, ... x^8 are frequent
    seqs = sequences_from_lists([["a"]] * 999 + [["x"] * 8])
    app = PathsApp(seqs, seqs, key="inline-range", min_support=0.001, max_length=8)
    assert app.support.value == 0.001 and app.length.value == 8
    assert "<span id='crm-pattern-count'>9</span>" in app.count.value  # a, then x^1..x^8
    counted = PathsApp(seqs, seqs, key="inline-range", min_support=1, max_length=8)
    assert counted.support.value == 0.001  # an int is a count of sessions
    assert "<span id='crm-pattern-count'>9</span>" in counted.count.value


def test_paths_app_without_events_shows_the_error_view():
    empty = sequences_from_lists([])
    app = PathsApp(empty, empty, key="inline-empty")
    assert "no events" in app.widget.value and "crm-pattern-count" not in app.widget.value


@pytest.mark.browser
def test_link_weight_slider_changes_the_links_drawn(app_page):
    page = app_page("paths_and_networks")
    page.wait_for_selector("#crm-link-count", timeout=180_000)
    page.wait_for_function(f"({DRAWN})() > 0", timeout=120_000)
    before = _links(page)
    assert before > 0 and page.evaluate(DRAWN) == before
    handle = page.locator(".widget-slider", has_text="link weight").locator(".noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")  # a higher weight keeps fewer links
    page.wait_for_function(
        "n => Number(document.querySelector('#crm-link-count').innerText.replace(/,/g, '')) < n",
        arg=before,
        timeout=120_000,
    )
    after = _links(page)
    page.wait_for_function(f"n => ({DRAWN})() === n", arg=after, timeout=120_000)
    assert 0 < after < before
    assert page.inner_text("#crm-pattern-count") == "243"
    assert_offline(page)
