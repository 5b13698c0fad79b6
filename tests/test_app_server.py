"""Tests of the Voila app server: configuration, kernel bookkeeping, busy page, and a real server.

The ``browser`` tests start ``crmlib.apps.server`` on a free port with a tiny widget notebook and
drive Debian's Chromium through Playwright; they wait for concrete elements (bounded waits) and
never assert on durations.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from conftest import local_context, write_widget_notebook
from traitlets.config import Config
from voila.configuration import VoilaConfiguration

from crmlib.apps import build_app_config
from crmlib.apps.server import (
    _TICKET,
    CrmVoila,
    _crm_kernel_manager_factory,
    _Ticket,
    latest_report_url,
    render_busy_page,
    strip_external_links,
)

# --------------------------------------------------------------------------- configuration


def test_config_defaults_are_local_and_preheated(tmp_path: Path) -> None:
    cfg = build_app_config(tmp_path)
    assert cfg["Voila"]["ip"] == "127.0.0.1"
    assert cfg["Voila"]["port"] == 8866
    assert cfg["Voila"]["root_dir"] == str(tmp_path.resolve())
    assert cfg["Voila"]["open_browser"] is False
    assert cfg["Voila"]["config_file_paths"] == []  # no stray voila.json can change the setup
    assert "token" not in cfg["Voila"]
    assert cfg["VoilaConfiguration"]["preheat_kernel"] is True
    assert cfg["VoilaConfiguration"]["default_pool_size"] == 2
    assert cfg["VoilaConfiguration"]["extension_denylist"] == ["jupyterlab-jupytext"]
    assert cfg["MappingKernelManager"]["cull_idle_timeout"] == 300
    assert cfg["MappingKernelManager"]["cull_interval"] == 60
    assert cfg["KernelManager"]["transport"] == "ipc"
    assert cfg["VoilaKernelManager"]["fill_delay"] == 0
    assert cfg["CrmVoila"]["max_kernels"] == 6


def test_config_carries_token_pool_and_culling(tmp_path: Path) -> None:
    cfg = build_app_config(
        tmp_path, token="s3cret", pool_size=1, max_kernels=3, cull_idle_timeout=90, cull_interval=7
    )
    assert cfg["Voila"]["token"] == "s3cret"
    assert cfg["VoilaConfiguration"]["default_pool_size"] == 1
    assert cfg["MappingKernelManager"]["cull_idle_timeout"] == 90
    assert cfg["MappingKernelManager"]["cull_interval"] == 7
    assert cfg["CrmVoila"]["max_kernels"] == 3


def test_pool_size_zero_turns_preheating_off(tmp_path: Path) -> None:
    cfg = build_app_config(tmp_path, pool_size=0, max_kernels=2)
    assert cfg["VoilaConfiguration"]["preheat_kernel"] is False


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"pool_size": -1}, "pool_size"),
        ({"pool_size": 2, "max_kernels": 2}, "max_kernels"),
        ({"cull_idle_timeout": 0}, "cull_idle_timeout"),
        ({"cull_interval": 0}, "cull_interval"),
    ],
)
def test_config_rejects_bad_values_with_their_name(
    tmp_path: Path, options: dict[str, int], name: str
) -> None:
    with pytest.raises(ValueError, match=f"'{name}' parameter of build_app_config"):
        build_app_config(tmp_path, **options)


def test_config_reaches_the_app_traits(tmp_path: Path) -> None:
    app = CrmVoila(config=Config(build_app_config(tmp_path, pool_size=1, max_kernels=4)))
    assert (app.ip, app.port, app.max_kernels, app.port_retries) == ("127.0.0.1", 8866, 4, 0)
    voila_cfg = VoilaConfiguration(parent=app)
    assert voila_cfg.preheat_kernel and voila_cfg.default_pool_size == 1
    assert voila_cfg.classic_tree
    app.voila_configuration = voila_cfg
    assert app.viewer_slots == 3


# --------------------------------------------------------------------------- kernel bookkeeping


class _FakeKernel:
    def __init__(self) -> None:
        self.last_activity = datetime(2000, 1, 1, tzinfo=UTC)


class _FakeVoilaManager:
    """Stands in for Voila's pooled kernel manager: one pooled kernel "p1", one handed out "k1"."""

    def __init__(self, **kwargs: Any) -> None:
        self.kernels = {"p1": _FakeKernel(), "k1": _FakeKernel()}
        self._kernel_connections = {"k1": -1}
        self._pools: dict[str, list[Future]] = {}
        self.culled: list[tuple[str, int]] = []

    def list_kernel_ids(self) -> list[str]:
        return list(self.kernels)

    def get_kernel(self, kernel_id: str) -> _FakeKernel:
        return self.kernels[kernel_id]

    async def get_rendered_notebook(self, notebook_name: str) -> tuple[str, list, str]:
        return "render-task", [], "k1"

    async def start_kernel(self, **kwargs: Any) -> str:
        self.kernels["k2"] = _FakeKernel()
        return "k2"

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        self.culled.append((kernel_id, self._kernel_connections[kernel_id]))


def _manager() -> Any:
    manager = _crm_kernel_manager_factory(lambda *a, **k: _FakeVoilaManager)()
    pooled, rendered = Future(), Future()  # same done/result/exception interface as a Task
    rendered.set_result(None)
    pooled.set_result({"kernel_id": "p1", "task": rendered})
    manager._pools["nb.ipynb"] = [pooled, Future()]  # one ready, one still starting
    return manager


def _run(coroutine: Any) -> Any:
    """Run a coroutine on a fresh loop in a worker thread.

    The session-wide sync Playwright browser keeps an event loop running in the main thread,
    where ``asyncio.run`` would refuse to start.
    """
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=30)


def test_handout_restarts_the_idle_clock_and_claims_the_kernel() -> None:
    manager = _manager()
    ticket = _Ticket()

    async def take() -> None:
        token = _TICKET.set(ticket)
        try:
            await manager.get_rendered_notebook("nb.ipynb")
        finally:
            _TICKET.reset(token)

    _run(take())
    assert manager.kernels["k1"].last_activity > datetime(2020, 1, 1, tzinfo=UTC)
    assert manager.kernels["p1"].last_activity == datetime(2000, 1, 1, tzinfo=UTC)
    assert ticket.kernel_id == "k1"


def test_viewer_count_excludes_pool_and_counts_each_request_once() -> None:
    manager = _manager()
    assert manager.pooled_kernel_ids() == {"p1"}
    assert manager.warm_kernel_count() == 1
    assert manager.viewer_count() == 1  # k1
    waiting = _Ticket()  # admitted, kernel still starting
    manager.open_tickets.add(waiting)
    assert manager.viewer_count() == 2
    manager.open_tickets.add(_Ticket(kernel_id="k1"))  # k1's own request still streaming
    assert manager.viewer_count() == 2


def test_kernel_started_for_a_request_is_claimed() -> None:
    manager = _manager()
    ticket = _Ticket()

    async def start() -> str:
        token = _TICKET.set(ticket)
        try:
            return await manager.start_kernel(kernel_name="python3")
        finally:
            _TICKET.reset(token)

    assert _run(start()) == "k2"
    assert ticket.kernel_id == "k2"


def test_negative_connection_count_is_reset_before_culling() -> None:
    manager = _manager()
    _run(manager.cull_kernel_if_idle("k1"))
    assert manager.culled == [("k1", 0)]


# --------------------------------------------------------------------------- busy page


def _write_reports(reports: Path) -> None:
    run = reports / "2024-05-01_101500"
    run.mkdir(parents=True)
    (reports / "index.html").write_text("<html><body>all runs</body></html>", encoding="utf-8")
    (run / "demo.html").write_text("<html><body>demo report</body></html>", encoding="utf-8")
    record = {
        "started": "2024-05-01T10:15:00",
        "status": "ok",
        "notebooks": [{"name": "demo", "status": "ok", "html": "demo.html"}],
    }
    (run / "run.json").write_text(json.dumps(record), encoding="utf-8")


def test_busy_link_prefers_the_notebooks_newest_report(tmp_path: Path) -> None:
    assert latest_report_url(tmp_path, "demo.ipynb") is None
    (tmp_path / "index.html").write_text("runs", encoding="utf-8")
    assert latest_report_url(tmp_path, "demo.ipynb") == "/reports/index.html"
    (tmp_path / "index.html").unlink()
    _write_reports(tmp_path)
    assert latest_report_url(tmp_path, "demo.ipynb") == "/reports/2024-05-01_101500/demo.html"
    assert latest_report_url(tmp_path, "other.ipynb") == "/reports/index.html"


def test_busy_page_names_the_sessions_and_the_report() -> None:
    page = render_busy_page(4, "/reports/r1/demo.html")
    assert "All 4 app sessions are in use." in page
    assert 'href="/reports/r1/demo.html"' in page
    assert "tries again by itself in 60 seconds" in page
    assert '<meta http-equiv="refresh" content="60">' in page
    assert "none has been published yet" in render_busy_page(4, None)
    warming = render_busy_page(4, None, warming=True, retry=10)
    assert "A fresh app session is being prepared." in warming
    assert 'content="10"' in warming


# --------------------------------------------------------------------------- real server


def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, str]:
    """One request, redirects not followed."""
    parts = urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _wait_for_status(base_url: str, ready: Any, timeout: float = 60, **headers: str) -> dict:
    deadline = time.monotonic() + timeout
    status: dict = {}
    while time.monotonic() < deadline:
        code, body = _get(base_url + "crm/api/status", headers)
        status = json.loads(body) if code == 200 else {}
        if status and ready(status):
            return status
        time.sleep(0.5)
    raise AssertionError(f"server status never reached the expected state: {status}")


@pytest.mark.browser
def test_cap_busy_page_reports_and_recovery(
    tmp_path: Path, app_server: Any, chromium_browser: Any
) -> None:
    write_widget_notebook(tmp_path / "nb")
    _write_reports(tmp_path / "reports")
    process, base = app_server(
        tmp_path / "nb", pool_size=1, max_kernels=2, reports_dir=tmp_path / "reports"
    )
    _wait_for_status(base, lambda s: s["warm"] >= 1 and s["viewer_slots"] == 1)
    app_url = base + "voila/render/demo.ipynb"

    first = local_context(chromium_browser)
    page = first.new_page()
    page.goto(app_url, timeout=60_000)
    page.wait_for_selector(".widget-slider .noUi-handle", timeout=60_000)
    page.focus(".widget-slider .noUi-handle")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("text=value 4", timeout=30_000)  # the Python callback answered

    second = local_context(chromium_browser)
    busy = second.new_page()
    response = busy.goto(app_url, timeout=30_000)
    assert response is not None and response.status == 503
    assert busy.inner_text("#crm-busy") == "All 1 app session is in use."
    link = busy.locator("#crm-report-link")
    assert link.get_attribute("href") == "/reports/2024-05-01_101500/demo.html"
    link.click()
    busy.wait_for_selector("text=demo report", timeout=30_000)
    second.close()

    index = first.new_page()
    response = index.goto(base + "reports/index.html", timeout=30_000)
    assert response is not None and response.status == 200
    assert "all runs" in index.content()
    index.goto(base, timeout=30_000)
    assert index.locator("#crm-reports").get_attribute("href") == "/reports/index.html"
    assert index.locator("a[href*='voila/render/demo.ipynb']").count() == 1
    index.close()

    # Closing the page posts Voila's shutdown beacon; the session frees up and serves again.
    page.close(run_before_unload=True)  # returns at once; keep the context until the beacon
    _wait_for_status(base, lambda s: s["viewers"] == 0 and s["warm"] >= 1)
    first.close()
    third = local_context(chromium_browser)
    again = third.new_page()
    response = again.goto(app_url, timeout=60_000)
    assert response is not None and response.status == 200
    again.wait_for_selector(".widget-slider", timeout=60_000)
    third.close()
    assert "Using pre-heated kernel" in Path(process.log_path).read_text()


@pytest.mark.browser
def test_token_is_required_everywhere(tmp_path: Path, app_server: Any) -> None:
    write_widget_notebook(tmp_path / "nb")
    _write_reports(tmp_path / "reports")
    _, base = app_server(
        tmp_path / "nb", pool_size=1, max_kernels=2, token="t0k", reports_dir=tmp_path / "reports"
    )
    auth = {"Authorization": "token t0k"}
    for path in ("", "reports/index.html", "voila/render/demo.ipynb", "api/kernels"):
        code, _ = _get(base + path)
        assert code in (302, 403), path
    code, body = _get(base + "reports/index.html?token=t0k")
    assert (code, "all runs" in body) == (200, True)
    code, body = _get(base + "api/kernels", auth)
    assert code == 200 and isinstance(json.loads(body), list)
    code, _ = _get(base + "api/kernels", auth, method="POST")
    assert code == 405  # kernels are started only by opening an app
    _wait_for_status(base, lambda s: s["warm"] >= 1, **auth)


@pytest.mark.browser
def test_viewer_waiting_for_a_cold_kernel_is_told_and_served_on_retry(
    tmp_path: Path, app_server: Any, chromium_browser: Any
) -> None:
    write_widget_notebook(tmp_path / "nb", sleep=4)  # a refill takes several seconds
    _, base = app_server(tmp_path / "nb", pool_size=1, max_kernels=3)
    _wait_for_status(base, lambda s: s["warm"] >= 1 and s["viewer_slots"] == 2)
    app_url = base + "voila/render/demo.ipynb"
    first = local_context(chromium_browser)
    page = first.new_page()
    assert page.goto(app_url, timeout=60_000).status == 200
    # the pool's next kernel is still running the notebook: the second viewer is told at once
    second = local_context(chromium_browser)
    waiting = second.new_page()
    t0 = time.monotonic()
    response = waiting.goto(app_url, timeout=30_000)
    answered = time.monotonic() - t0
    assert response is not None and response.status == 503
    assert waiting.inner_text("#crm-busy") == "A fresh app session is being prepared."
    print(f"second viewer told 'warming' in {answered:.2f} s")
    # once the refill is warm, the same page (it reloads itself) is served
    _wait_for_status(base, lambda s: s["warm"] >= 1)
    assert waiting.goto(app_url, timeout=60_000).status == 200
    waiting.wait_for_selector(".widget-slider", timeout=60_000)
    first.close()
    second.close()


def test_external_stylesheets_are_stripped_from_pages() -> None:
    head = (
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/fa.css">'
        "<link rel='stylesheet' href='//cdn.example/x.css'>"
        '<link rel="stylesheet" href="/voila/static/index.css">'
    )
    assert strip_external_links(head) == '<link rel="stylesheet" href="/voila/static/index.css">'
    assert (
        strip_external_links(head.encode())
        == b'<link rel="stylesheet" href="/voila/static/index.css">'
    )
    assert strip_external_links(b"\x00binary") == b"\x00binary"
