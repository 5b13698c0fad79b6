"""Shared helpers for browser tests: Debian's Chromium through Playwright, app server processes.

``chromium_browser`` is a session-wide Playwright browser (skipped when Chromium or Playwright is
missing); ``local_context(browser)`` opens a fresh context that aborts every request not sent to
127.0.0.1. ``start_app_server(notebook_dir, **options)`` starts ``crmlib.apps.server`` in its own
process group on a free port and returns ``(process, base_url)`` once the port answers;
``stop_process_group(process)`` ends it (SIGTERM, then SIGKILL). The ``app_server`` fixture wraps
both and always stops what it started. ``write_widget_notebook(folder)`` writes a tiny app.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import nbformat
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def free_port() -> int:
    """Ask the kernel for a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_local(url: str) -> bool:
    """True for http(s) URLs on this machine, and for data/blob URLs."""
    parsed = urlparse(url)
    return parsed.scheme in {"data", "blob"} or parsed.hostname in LOCAL_HOSTS


def local_context(browser: Any, **options: Any) -> Any:
    """A fresh browser context in which every request not to 127.0.0.1 is aborted."""
    context = browser.new_context(**options)
    context.route(
        "**/*", lambda route: route.continue_() if is_local(route.request.url) else route.abort()
    )
    return context


def write_widget_notebook(folder: Path, name: str = "demo", sleep: float = 0.5) -> Path:
    """Write a tiny Voila app: a sleep (simulated work), an IntSlider and an HTML echo of it.

    The slider starts at 3; the HTML widget shows ``value <n>`` and follows the slider through
    a Python callback, so a browser test can check the round trip to the kernel.
    """
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {name}"),
        nbformat.v4.new_code_cell(
            f"import time\nimport ipywidgets as widgets\ntime.sleep({sleep})"
        ),
        nbformat.v4.new_code_cell(
            "slider = widgets.IntSlider(value=3, min=0, max=10, description='n')\n"
            "out = widgets.HTML(value='value 3')\n"
            "slider.observe(lambda change: setattr(out, 'value', f\"value {change['new']}\"), "
            "names='value')\n"
            "widgets.VBox([slider, out])"
        ),
    ]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app server exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    stop_process_group(process)
    raise TimeoutError(f"app server did not open port {port} in {timeout} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_app_server(
    notebook_dir: Path, *, timeout: float = 60, log_path: Path | None = None, **options: Any
) -> tuple[subprocess.Popen, str]:
    """Start ``crmlib.apps.server`` in a new process group and wait until its port answers.

    Parameters
    ----------
    notebook_dir : Path
        Folder of ``.ipynb`` notebooks to serve.
    timeout : float
        Seconds to wait for the port.
    log_path : Path, optional
        File for the server's stdout and stderr; a temporary file by default. The path is kept
        on the returned process as ``process.log_path``.
    **options
        Options of `crmlib.apps.serve` (``pool_size=1``, ``token="x"``, ...); ``port`` defaults
        to a free port.

    Returns
    -------
    tuple of (subprocess.Popen, str)
        The server process and its base URL, e.g. ``http://127.0.0.1:40123/``.
    """
    port = options.pop("port", None) or free_port()
    options = {k: str(v) if isinstance(v, Path) else v for k, v in options.items()}
    options.update(notebook_dir=str(notebook_dir), port=port)
    if log_path is None:
        handle, name = tempfile.mkstemp(prefix="crm-app-server-", suffix=".log")
        os.close(handle)
        log_path = Path(name)
    pythonpath = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1"}
    code = "import json, sys; from crmlib.apps import serve; serve(**json.loads(sys.argv[1]))"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", code, json.dumps(options)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=PROJECT_ROOT,
            start_new_session=True,
        )
    process.log_path = log_path  # type: ignore[attr-defined]
    _wait_for_port(port, process, log_path, timeout)
    return process, f"http://127.0.0.1:{port}/"


def stop_process_group(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the process group (Voila then shuts its kernels down), SIGKILL after timeout."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """Session-wide headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright."""
    missing = f"{CHROMIUM} is not installed (apt-get install chromium; `make test` does it as root)"
    if os.environ.get("CI"):
        # in CI a browser test must run: a missing browser is a failure, not a skip
        from playwright import sync_api

        assert CHROMIUM.exists(), missing
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
        if not CHROMIUM.exists():
            pytest.skip(missing)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def app_server(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen, str]]]:
    """Factory fixture: ``app_server(notebook_dir, **options)``; stops every server it started.

    Each server logs to ``tmp_path/app-server-<n>.log`` (``process.log_path``).
    """
    started: list[subprocess.Popen] = []

    def start(notebook_dir: Path, **options: Any) -> tuple[subprocess.Popen, str]:
        options.setdefault("log_path", tmp_path / f"app-server-{len(started)}.log")
        process, url = start_app_server(notebook_dir, **options)
        started.append(process)
        return process, url

    yield start
    for process in started:
        stop_process_group(process)


def build_apps(folder: Path, only: str | None = None) -> Path:
    """Generate the project's notebooks into ``folder`` (as ``crm app`` does) and return it.

    With ``only``, keep just that app: every served notebook preheats kernels, and warming all
    of them at once on two cores delays the one under test by minutes.
    """
    from crmlib.config import NOTEBOOK_DIR
    from crmlib.reporting import build_notebooks

    for built in build_notebooks(NOTEBOOK_DIR, folder):
        if only is not None and built.stem != only:
            built.unlink()
    return folder


def open_app(page: Any, base_url: str, name: str, *, tries: int = 80) -> float:
    """Open ``/voila/render/<name>.ipynb``, retrying while the server answers 503 (warming or
    busy), and return the seconds from the successful request to the response."""
    url = base_url + f"voila/render/{name}.ipynb"
    for _ in range(tries):
        started = time.perf_counter()
        response = page.goto(url, wait_until="domcontentloaded", timeout=120_000)
        if response is not None and response.status == 200:
            return time.perf_counter() - started
        page.wait_for_timeout(3000)
    raise AssertionError(f"{url} was never served (last status {response.status})")


@pytest.fixture
def app_page(tmp_path: Path, app_server, chromium_browser) -> Iterator[Callable[[str], Any]]:
    """Factory: ``app_page(name)`` serves the project's notebooks (pool 1, cap 3), opens
    ``name`` in a fresh offline context and returns the page. ``page.blocked`` collects failed
    requests, ``page.response_seconds`` the time to the served response, ``page.base_url`` the
    server's URL."""
    contexts: list[Any] = []

    def open_(name: str) -> Any:
        folder = build_apps(tmp_path / f"apps-{name}", only=name)
        _, base = app_server(folder, pool_size=1, max_kernels=3, timeout=120)
        context = local_context(chromium_browser)
        contexts.append(context)
        page = context.new_page()
        page.blocked = []
        page.on("requestfailed", lambda r: page.blocked.append(r.url))
        page.base_url = base
        page.response_seconds = open_app(page, base, name)
        return page

    yield open_
    for context in contexts:
        context.close()


def assert_offline(page: Any) -> None:
    """The page asked nothing of any host but this machine."""
    offline = [u for u in page.blocked if "127.0.0.1" not in u]
    assert not offline, f"the app asked for external resources: {offline}"


# --- notebooks run headless through papermill ------------------------------------------------


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The analysis notebooks converted to ``.ipynb`` once per test session."""
    from crmlib.config import NOTEBOOK_DIR
    from crmlib.reporting import build_notebooks

    out = tmp_path_factory.mktemp("built")
    build_notebooks(NOTEBOOK_DIR, out)
    return out


def run_notebook(built: Path, tmp_path: Path, name: str, **params: Any) -> tuple[dict, Path]:
    """Execute notebook ``name`` with ``interactive=False`` and ``params``; return its records."""
    import papermill as pm

    from crmlib.config import NOTEBOOK_DIR
    from crmlib.record import read_records

    output = tmp_path / f"{name}.out.ipynb"
    pm.execute_notebook(
        built / f"{name}.ipynb",
        output,
        parameters={"interactive": False, **params},
        kernel_name="python3",
        cwd=str(NOTEBOOK_DIR),
        progress_bar=False,
        execution_timeout=600,
    )
    return read_records(output), output
