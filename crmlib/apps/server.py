"""Serve the generated analysis notebooks as Voila apps, with a kernel cap and a busy page.

``serve(notebook_dir)`` runs Voila 0.5's standalone app in tree mode (classic list page, which
also links to ``/reports/``) on 127.0.0.1, with preheated kernels, idle culling, kernels on
``ipc`` transport (sockets beside the connection files in Voila's temporary folder, so no TCP
port can collide) and the static reports folder served read-only at ``/reports/``.

Configuration is passed as traitlets config (`build_app_config`); no ``voila.json`` is read
(``config_file_paths`` is emptied). ``VoilaConfiguration.preheat_kernel``/``default_pool_size``
set this way do preheat, measured here: at start-up each pool kernel runs the notebook, the log
says "Using pre-heated kernel" when a viewer takes one, and a viewer sees the widgets in Chromium
after 1.3-1.4 s instead of 2.8-3.0 s cold (demo notebook with a 1 s sleep). The pool is per
notebook. A request that finds the pool empty waits for the pool's refill (Voila counts starting
pool kernels as available), so the refill starts at once (``fill_delay`` 0, not 1 s).

Kernel cap. A *viewer kernel* is a live kernel that is not idle in a pool: a pooled kernel
handed to a request (or, with preheating off, one started for it). An admitted render request
that has no kernel yet also counts, so a burst cannot slip past the cap while kernels start.
When viewer kernels >= ``max_kernels - pool_size``, ``/voila/render/<name>.ipynb`` is answered
at once with HTTP 503 and a page linking to the notebook's newest static report (else to
``/reports/index.html``). With one app, at most ``max_kernels`` kernels run: the viewers' and
the pool's (a pool kernel counts as a viewer's while it starts, which errs on the safe side).
``GET /crm/api/status`` gives the counts; ``GET /api/kernels`` lists the kernels.

Fixes to Voila 0.5.13:

* A pooled kernel keeps the ``last_activity`` of its pre-execution, so the culler shut it down
  just after it was handed out (page without widgets, 404 on ``/api/kernels/<id>``; reproduced
  here). It is now stamped with the current time when the pool hands it out.
* Closing the page: Voila's widget manager (``widgets-manager8``) posts a beacon to
  ``/voila/api/shutdown/<kernel_id>`` on ``beforeunload``, with the ``_xsrf`` cookie. Only the
  tree page sets that cookie, so a page opened by its URL got 403 and its kernel lived on; the
  render page now sets it, and the kernel is shut down within seconds of the page closing.
  Nothing is sent if the page closes before its scripts ran, if the browser dies, or when a tab
  is discarded without unload handlers (Playwright's ``page.close()`` default): the culler
  removes those kernels after ``cull_idle_timeout``, so the server gets back to its pool alone.
* A page closed mid-connect can leave a connection count of -1 that the culler reads as
  "connected"; it is clamped to 0. Idle kernels are culled even when a page is still connected
  (``cull_connected``), so a forgotten tab cannot hold one of the few sessions for ever.
"""

from __future__ import annotations

import contextvars
import functools
import html
import json
import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.services.kernels.handlers import MainKernelHandler, json_default
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop
from traitlets import Integer, Unicode
from traitlets.config import Config
from voila import app as voila_app
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from crmlib.config import REPORTS_DIR
from crmlib.reporting import latest_report

BUSY_TEMPLATE = Path(__file__).parent / "templates" / "busy.html"
DENIED_LAB_EXTENSIONS = ["jupyterlab-jupytext"]  # fails to load inside Voila


def build_app_config(
    notebook_dir: Path,
    *,
    ip: str = "127.0.0.1",
    port: int = 8866,
    token: str | None = None,
    pool_size: int = 2,
    max_kernels: int = 6,
    cull_idle_timeout: int = 300,
    cull_interval: int = 60,
    reports_dir: Path = REPORTS_DIR,
    open_browser: bool = False,
) -> dict[str, dict[str, Any]]:
    """Return the traitlets configuration of the app server, without starting anything.

    Parameters
    ----------
    notebook_dir : Path
        Folder of generated ``.ipynb`` notebooks, one app each.
    ip, port : str, int
        Address to listen on; the port is not changed if it is taken (the server exits).
    token : str, optional
        When given, every page (apps, reports, kernel API) requires it.
    pool_size : int
        Preheated kernels kept ready per notebook; 0 turns preheating off.
    max_kernels : int
        Kernel budget; ``max_kernels - pool_size`` viewers are served at the same time.
    cull_idle_timeout, cull_interval : int
        Seconds of inactivity after which a kernel is shut down, and seconds between checks.
    reports_dir : Path
        Folder served read-only at ``/reports/``.
    open_browser : bool
        Open the landing page in the default browser at start.

    Returns
    -------
    dict
        Nested ``{section: {trait: value}}`` mapping, ready for ``traitlets.config.Config``.

    Examples
    --------
    >>> cfg = build_app_config(Path("build/notebooks"), pool_size=1, max_kernels=3)
    >>> cfg["VoilaConfiguration"]["default_pool_size"], cfg["CrmVoila"]["max_kernels"]
    (1, 3)
    """
    checks = {
        "pool_size": (pool_size, pool_size >= 0, "an int >= 0"),
        "max_kernels": (max_kernels, max_kernels > pool_size, f"an int > pool_size ({pool_size})"),
        "cull_idle_timeout": (cull_idle_timeout, cull_idle_timeout > 0, "an int > 0"),
        "cull_interval": (cull_interval, cull_interval > 0, "an int > 0"),
    }
    for name, (value, ok, expected) in checks.items():
        if not ok:
            raise ValueError(
                f"The '{name}' parameter of build_app_config must be {expected}. Got {value!r}."
            )
    voila: dict[str, Any] = {
        "root_dir": str(Path(notebook_dir).resolve()),
        "ip": ip,
        "port": port,
        "port_retries": 0,
        "open_browser": open_browser,
        "config_file_paths": [],
    }
    if token:
        voila["token"] = token
    return {
        "Voila": voila,
        "CrmVoila": {"max_kernels": max_kernels, "reports_dir": str(Path(reports_dir).resolve())},
        "VoilaConfiguration": {
            "preheat_kernel": pool_size > 0,
            "default_pool_size": pool_size,
            "classic_tree": True,
            "extension_denylist": list(DENIED_LAB_EXTENSIONS),
            "show_tracebacks": False,
        },
        "MappingKernelManager": {
            "cull_idle_timeout": cull_idle_timeout,
            "cull_interval": cull_interval,
            "cull_connected": True,
            "cull_busy": False,
        },
        "KernelManager": {"transport": "ipc"},
        # Requests beyond the pool wait for the refill, so start it at once (Voila waits 1 s).
        "VoilaKernelManager": {"fill_delay": 0},
    }


@dataclass(eq=False)
class _Ticket:
    """An admitted render request; it learns its kernel id once it has one."""

    notebook: str = ""
    kernel_id: str | None = None


_TICKET: contextvars.ContextVar[_Ticket | None] = contextvars.ContextVar("crm_ticket", default=None)


class _KernelManagerMixin:
    """Put in front of Voila's pooled kernel manager: pool fix, slot counting, safer culling."""

    def __init__(self, **kwargs: Any) -> None:
        self.open_tickets: set[_Ticket] = set()
        super().__init__(**kwargs)

    def _claim(self, kernel_id: str) -> None:
        ticket = _TICKET.get()
        if ticket is not None and ticket.kernel_id is None:
            ticket.kernel_id = kernel_id

    def _pool_results(self) -> list[dict[str, Any]]:
        tasks = [task for pool in getattr(self, "_pools", {}).values() for task in pool]
        return [t.result() for t in tasks if t.done() and not t.cancelled() and not t.exception()]

    def pooled_kernel_ids(self) -> set[str]:
        """Kernels started for a pool and not handed out yet."""
        return {item["kernel_id"] for item in self._pool_results()}

    def warm_kernel_count(self, notebook: str | None = None) -> int:
        """Pooled kernels that have finished running their notebook (or ``notebook`` only)."""
        pools = getattr(self, "_pools", {})
        names = [n for n in pools if notebook is None or n == notebook or n.endswith(notebook)]
        tasks = [t for n in names for t in pools[n]]
        done = [t.result() for t in tasks if t.done() and not t.cancelled() and not t.exception()]
        return sum(item["task"].done() for item in done)

    def waiting_tickets(self, notebook: str) -> int:
        """Admitted requests for ``notebook`` that have not got their kernel yet."""
        return sum(t.kernel_id is None and t.notebook == notebook for t in self.open_tickets)

    def viewer_count(self) -> int:
        """Admitted render requests plus live kernels that are neither pooled nor claimed."""
        live = set(self.list_kernel_ids())
        claimed = {t.kernel_id for t in self.open_tickets}
        return len(live - self.pooled_kernel_ids() - claimed) + len(self.open_tickets)

    async def get_rendered_notebook(self, *args: Any, **kwargs: Any) -> Any:
        render_task, rendered_cache, kernel_id = await super().get_rendered_notebook(
            *args, **kwargs
        )
        # The pooled kernel's last activity dates from its pre-execution: restart the idle clock.
        self.get_kernel(kernel_id).last_activity = datetime.now(UTC)
        self._claim(kernel_id)
        return render_task, rendered_cache, kernel_id

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        # Pools start kernels past this method; it serves requests that bypass the pool.
        kernel_id = await super().start_kernel(*args, **kwargs)
        self._claim(kernel_id)
        return kernel_id

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        if self._kernel_connections.get(kernel_id, 0) < 0:
            self._kernel_connections[kernel_id] = 0
        await super().cull_kernel_if_idle(kernel_id)


def _crm_kernel_manager_factory(voila_factory: Any, *args: Any, **kwargs: Any) -> type:
    return type("CrmKernelManager", (_KernelManagerMixin, voila_factory(*args, **kwargs)), {})


def latest_report_url(reports_dir: Path, notebook: str, base_url: str = "/") -> str | None:
    """URL of the notebook's newest good static report, else of the report index, else None."""
    report = latest_report(Path(notebook).stem, reports_dir)
    if report is not None and report.is_file():
        relative = report.relative_to(reports_dir).as_posix()
        return url_path_join(base_url, "reports", quote(relative))
    if (Path(reports_dir) / "index.html").is_file():
        return url_path_join(base_url, "reports", "index.html")
    return None


def render_busy_page(
    sessions: int, report_url: str | None, *, warming: bool = False, retry: int = 60
) -> str:
    """HTML of the 503 page: why there is no session now, and where the static report is.

    The page reloads itself after ``retry`` seconds, so a viewer is served once a session is
    free or warm, without having to press anything.
    """
    if report_url is None:
        report_url, label = "#", "none has been published yet"
    elif report_url.endswith("/reports/index.html"):
        label = "all static reports"
    else:
        label = "latest static report"
    if warming:
        headline = "A fresh app session is being prepared."
    else:
        headline = f"All {sessions} app {'session is' if sessions == 1 else 'sessions are'} in use."
    return string.Template(BUSY_TEMPLATE.read_text(encoding="utf-8")).substitute(
        headline=headline,
        report_url=html.escape(report_url),
        report_label=label,
        retry=int(retry),
    )


class _CappedRenderHandler(TornadoVoilaHandler):
    """``/voila/render/<name>``: admit the request, or answer 503 with the busy page."""

    def initialize(self, **kwargs: Any) -> None:
        self.viewer_slots: int = kwargs.pop("viewer_slots")
        self.warm_only: bool = kwargs.pop("warm_only", True)
        self.reports_dir = Path(kwargs.pop("reports_dir"))
        super().initialize(**kwargs)

    @web.authenticated
    async def get(self, path: str | None = None) -> None:
        if not path or not path.endswith(".ipynb"):
            await super().get(path=path)
            return
        km = self.kernel_manager
        full = km.viewer_count() >= self.viewer_slots
        # Serve only from a warm pooled kernel: a viewer who would wait for a fresh kernel to
        # run the whole notebook (tens of seconds under load) is told so at once instead.
        cold = self.warm_only and km.warm_kernel_count(path) <= km.waiting_tickets(path)
        if full or cold:
            why = "full" if full else "warming"
            self.log.warning("App sessions %s (%d slots): 503 for %s", why, self.viewer_slots, path)
            retry = 60 if full else 10
            self.set_status(503)
            self.set_header("Retry-After", str(retry))
            self.set_header("Cache-Control", "no-store")
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            url = latest_report_url(self.reports_dir, path, self.base_url)
            self.finish(render_busy_page(self.viewer_slots, url, warming=not full, retry=retry))
            return
        # Voila's page posts its kernel shutdown on unload with the `_xsrf` cookie, which only
        # the tree page sets: a viewer who opened the app's URL directly got a 403 instead.
        _ = self.xsrf_token
        ticket = _Ticket(notebook=path)
        km.open_tickets.add(ticket)
        token = _TICKET.set(ticket)
        try:
            await super().get(path=path)
        finally:
            _TICKET.reset(token)
            km.open_tickets.discard(ticket)

    def write(self, chunk: Any) -> None:
        super().write(strip_external_links(chunk))


_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref=[\"'](?:https?:)?//[^>]*>", re.IGNORECASE)


def strip_external_links(chunk: Any) -> Any:
    """Drop ``<link href="https://...">`` tags (Voila's pages ask a CDN for Font Awesome).

    Offline the request only fails, after a wait; without it the page loads nothing from
    outside this server (a few icons fall back to plain text).
    """
    if isinstance(chunk, bytes) and b"//" in chunk and b"<link" in chunk:
        return strip_external_links(chunk.decode("utf-8")).encode("utf-8")
    if isinstance(chunk, str) and "<link" in chunk:
        return _EXTERNAL_LINK.sub("", chunk)
    return chunk


class _TreeHandler(TornadoVoilaTreeHandler):
    """Voila's classic notebook list, plus one entry that leads to the static reports."""

    def write(self, chunk: Any) -> None:
        chunk = strip_external_links(chunk)
        if isinstance(chunk, str) and 'class="voila-notebooks"' in chunk:
            href = url_path_join(self.base_url, "reports", "index.html")
            entry = (
                f'<li><a href="{href}" id="crm-reports">Static reports (no session needed)</a></li>'
            )
            cut = chunk.rfind("</ul>")
            chunk = chunk[:cut] + entry + chunk[cut:]
        super().write(chunk)


class _ReportsHandler(JupyterHandler, web.StaticFileHandler):
    """Read-only static files under ``reports_dir``, behind the same login as the apps."""

    @web.authenticated
    def get(self, path: str, include_body: bool = True) -> Any:
        return web.StaticFileHandler.get(self, path, include_body)

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")


class _KernelListHandler(MainKernelHandler):
    """``GET /api/kernels`` (list only); starting kernels through the API stays disabled."""

    @web.authenticated
    async def get(self) -> None:
        # Listing calls kernel_model() per id; a kernel still starting (pool refill) or just
        # culled can vanish in between and made the stock handler answer 500 under load.
        km = self.kernel_manager
        models = []
        for kernel_id in list(km.list_kernel_ids()):
            try:
                models.append(km.kernel_model(kernel_id))
            except (KeyError, web.HTTPError):
                continue
        self.finish(json.dumps(models, default=json_default))

    async def post(self) -> None:
        raise web.HTTPError(405, "Kernels are started by opening an app.")


class _StatusHandler(APIHandler):
    """``GET /crm/api/status``: kernel, pool and session counts as JSON."""

    def initialize(self, viewer_slots: int) -> None:
        self.viewer_slots = viewer_slots

    @web.authenticated
    def get(self) -> None:
        km = self.kernel_manager
        counts = {"kernels": len(km.list_kernel_ids()), "pooled": len(km.pooled_kernel_ids())}
        counts |= {"warm": km.warm_kernel_count(), "viewers": km.viewer_count()}
        self.finish({**counts, "viewer_slots": self.viewer_slots})


class CrmVoila(voila_app.Voila):
    """Voila's standalone app with the kernel cap, the pool fix and the reports folder."""

    max_kernels = Integer(6, config=True, help="Kernel budget: viewers plus one pool.")
    reports_dir = Unicode(str(REPORTS_DIR), config=True, help="Folder served at /reports/.")

    @property
    def viewer_slots(self) -> int:
        """How many viewers may hold a kernel at the same time."""
        vc = self.voila_configuration
        return self.max_kernels - (max(vc.default_pool_size, 0) if vc.preheat_kernel else 0)

    def init_settings(self) -> dict:
        original = voila_app.voila_kernel_manager_factory
        voila_app.voila_kernel_manager_factory = functools.partial(
            _crm_kernel_manager_factory, original
        )
        try:
            return super().init_settings()
        finally:
            voila_app.voila_kernel_manager_factory = original

    def init_handlers(self) -> list:
        handlers = []
        for pattern, handler, *options in super().init_handlers():
            if handler is TornadoVoilaHandler:
                vc = self.voila_configuration
                extra = {
                    "viewer_slots": self.viewer_slots,
                    "reports_dir": self.reports_dir,
                    "warm_only": bool(vc.preheat_kernel and vc.default_pool_size > 0),
                }
                handlers.append((pattern, _CappedRenderHandler, {**options[0], **extra}))
            elif handler is TornadoVoilaTreeHandler:
                handlers.append((pattern, _TreeHandler, *options))
            else:
                handlers.append((pattern, handler, *options))
        root = self.server_url
        reports = {"path": self.reports_dir, "default_filename": "index.html"}
        slots = {"viewer_slots": self.viewer_slots}
        return [
            (url_path_join(root, "/reports"), web.RedirectHandler, {"url": root + "reports/"}),
            (url_path_join(root, "/reports/(.*)"), _ReportsHandler, reports),
            (url_path_join(root, "/api/kernels"), _KernelListHandler),
            (url_path_join(root, "/crm/api/status"), _StatusHandler, slots),
            *handlers,
        ]

    def start(self) -> None:
        IOLoop.current().add_callback(self._announce)
        super().start()

    def _announce(self) -> None:
        apps = list(Path(self.root_dir).glob("*.ipynb"))
        query = f"?token={self.token}" if self.token else ""
        print(f"Serving {len(apps)} apps at {self.connection_url}{query}", flush=True)
        self.log.info("App sessions: %d (kernel budget %d)", self.viewer_slots, self.max_kernels)


def serve(
    notebook_dir: Path,
    *,
    ip: str = "127.0.0.1",
    port: int = 8866,
    token: str | None = None,
    pool_size: int = 2,
    max_kernels: int = 6,
    cull_idle_timeout: int = 300,
    cull_interval: int = 60,
    reports_dir: Path = REPORTS_DIR,
    open_browser: bool = False,
) -> None:
    """Serve every notebook in ``notebook_dir`` as a Voila app; blocks until stopped.

    Parameters are those of `build_app_config`. SIGTERM or Ctrl-C stops the server and shuts
    its kernels down.

    Examples
    --------
    >>> serve(Path("build/notebooks"), pool_size=1, max_kernels=4)  # doctest: +SKIP
    Serving 3 apps at http://127.0.0.1:8866/
    """
    config = build_app_config(**locals())  # exactly this function's parameters
    if not Path(notebook_dir).is_dir():
        raise FileNotFoundError(f"Notebook folder {notebook_dir} does not exist; build it first.")
    app = CrmVoila(config=Config(config))
    app.initialize([])
    app.start()
