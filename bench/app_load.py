"""Load benchmark of the Voila app server: a burst of viewers, then recovery, then one viewer.

``python bench/app_load.py --viewers 20`` writes a tiny widget notebook into a temporary folder
(``--notebooks`` serves ``build/notebooks`` or a given folder instead), starts the app server on
a free 127.0.0.1 port with a token and a short cull timeout, waits for the kernel pool to be
warm, then opens all viewers at once in Debian's Chromium (one fresh context each, requests not
to 127.0.0.1 aborted). Each viewer either sees the app's widgets or the busy page; the time to
that answer is recorded. All pages are then closed (``--close unload`` runs their unload
handlers like a closed tab; ``--close abrupt`` closes the contexts, like a crashed browser, and
leaves the rest to the culler), the script waits until ``/api/kernels`` is back to the pool
size, and times one more viewer. Every wait is bounded; the whole run stays under 5 minutes.

Goal: every viewer served or told "busy" within 10 s; afterwards a single viewer renders
normally and the kernel count is back to the pool size. Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

# The server-process and browser helpers are shared with the browser tests.
from conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    is_local,
    start_app_server,
    stop_process_group,
    write_widget_notebook,
)

from crmlib.config import BUILD_DIR  # noqa: E402

GOAL_SECONDS = 10.0


@dataclass
class Viewer:
    """Outcome of one viewer: served, busy or failed, and the seconds until that answer."""

    index: int
    outcome: str = "failed"
    status: int | None = None
    seconds: float | None = None
    detail: str = ""


class Server:
    """JSON queries to the running app server, authenticated with its token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url, token

    def get(self, path: str) -> Any:
        request = urllib.request.Request(
            self.base_url + path, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def status(self) -> dict[str, int]:
        return self.get("crm/api/status")

    def kernel_count(self) -> int:
        return len(self.get("api/kernels"))

    async def wait_until(self, ready: Any, timeout: float) -> tuple[bool, float]:
        """Poll the status until ``ready(status)``; returns (reached, seconds waited)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if ready(await asyncio.to_thread(self.status)):
                return True, time.monotonic() - start
            await asyncio.sleep(0.5)
        return False, time.monotonic() - start


async def new_page(browser: Any) -> tuple[Any, Any]:
    """A fresh context (one simulated user) whose non-local requests are aborted."""
    context = await browser.new_context()

    async def route(route: Any) -> None:
        await (route.continue_() if is_local(route.request.url) else route.abort())

    await context.route("**/*", route)
    return context, await context.new_page()


async def open_viewer(page: Any, url: str, selector: str, timeout: float, viewer: Viewer) -> None:
    """Load the app once; record whether it served widgets or the busy page, and how fast."""
    start = time.monotonic()
    try:
        response = await page.goto(url, wait_until="commit", timeout=timeout * 1000)
        viewer.status = response.status if response else None
        viewer.detail = f"headers after {time.monotonic() - start:.2f} s"
        left = max(timeout - (time.monotonic() - start), 1) * 1000
        if viewer.status == 503:
            await page.wait_for_selector("#crm-busy", timeout=left)
            viewer.outcome = "busy"
        elif viewer.status == 200:
            await page.wait_for_selector(selector, timeout=left)
            viewer.outcome = "served"
        else:
            viewer.detail = f"HTTP {viewer.status}"
            return
        viewer.seconds = time.monotonic() - start
    except Exception as exc:  # a timeout or a closed page is a result here, not a crash
        viewer.detail = type(exc).__name__
        viewer.seconds = time.monotonic() - start


async def burst(browser: Any, url: str, args: argparse.Namespace, server: Server) -> dict:
    """Open every viewer at once; return the viewers, their pages, peak kernels and API lag."""
    pages = [await new_page(browser) for _ in range(args.viewers)]
    viewers = [Viewer(i + 1) for i in range(args.viewers)]
    peak = {"kernels": 0, "lag": 0.0}
    done = asyncio.Event()

    async def watch() -> None:  # peak kernel count, and the slowest answer of the status API
        while not done.is_set():
            asked = time.monotonic()
            status = await asyncio.to_thread(server.status)
            peak["lag"] = max(peak["lag"], time.monotonic() - asked)
            peak["kernels"] = max(peak["kernels"], status["kernels"])
            await asyncio.sleep(0.5)

    watcher = asyncio.create_task(watch())
    jobs = [
        open_viewer(p, url, args.selector, args.timeout, v)
        for (_, p), v in zip(pages, viewers, strict=True)
    ]
    await asyncio.gather(*jobs)
    done.set()
    await watcher
    return {"viewers": viewers, "pages": pages, "peak_kernels": peak["kernels"], "lag": peak["lag"]}


async def close_all(pages: list[tuple[Any, Any]], mode: str, server: Server) -> None:
    """Close every viewer; ``unload`` runs the pages' unload handlers first (Voila's beacon)."""
    if mode == "unload":
        for _, page in pages:
            await page.close(run_before_unload=True)
        # The beacons leave with the pages; keep the contexts until the server saw them.
        await server.wait_until(lambda s: s["viewers"] == 0, timeout=10)
    for context, _ in pages:
        await context.close()


async def run(args: argparse.Namespace, notebook_dir: Path, app: str) -> int:
    from playwright.async_api import async_playwright

    token = secrets.token_hex(8)
    pool = args.pool_size * len(list(notebook_dir.glob("*.ipynb")))
    process, base = start_app_server(
        notebook_dir,
        token=token,
        pool_size=args.pool_size,
        max_kernels=args.max_kernels,
        cull_idle_timeout=args.cull_idle_timeout,
        cull_interval=args.cull_interval,
        log_path=args.log,
        timeout=30,
    )
    server = Server(base, token)
    url = f"{base}voila/render/{app}?token={token}"
    try:
        warm, waited = await server.wait_until(lambda s: s["warm"] >= pool, timeout=60)
        print(f"server {base}: pool of {pool} kernel(s) warm: {warm} after {waited:.1f} s")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            result = await burst(browser, url, args, server)
            closed_at = time.monotonic()
            await close_all(result["pages"], args.close, server)
            limit = args.cull_idle_timeout + args.cull_interval + 30
            back, _ = await server.wait_until(
                lambda s: s["kernels"] == pool and s["warm"] >= pool, timeout=limit
            )
            recovery = time.monotonic() - closed_at
            kernels_after = await asyncio.to_thread(server.kernel_count)
            single = Viewer(0)
            context, page = await new_page(browser)
            await open_viewer(page, url, args.selector, args.timeout, single)
            await context.close()
            await browser.close()
    finally:
        stop_process_group(process)
    return report(args, result, back, recovery, kernels_after, pool, single)


def report(
    args: argparse.Namespace,
    result: dict,
    back: bool,
    recovery: float,
    kernels_after: int,
    pool: int,
    single: Viewer,
) -> int:
    viewers: list[Viewer] = result["viewers"]
    print(f"\n{'viewer':>6}  {'outcome':<7} {'HTTP':>4}  {'seconds':>7}  detail")
    for v in viewers:
        seconds = f"{v.seconds:7.2f}" if v.seconds is not None else "      -"
        print(f"{v.index:>6}  {v.outcome:<7} {v.status or '-':>4}  {seconds}  {v.detail}")
    counts = {
        name: sum(v.outcome == name for v in viewers) for name in ("served", "busy", "failed")
    }
    answered = [v.seconds for v in viewers if v.outcome != "failed" and v.seconds is not None]
    slowest = max(answered, default=float("nan"))
    single_text = f"{single.seconds:.2f} s" if single.outcome == "served" else single.outcome
    print(
        f"\nviewers {args.viewers}: served {counts['served']}, busy {counts['busy']}, "
        f"failed {counts['failed']}; max time to answer {slowest:.2f} s; "
        f"peak kernels {result['peak_kernels']} (cap {args.max_kernels}); "
        f"slowest status API answer {result['lag']:.2f} s"
    )
    print(
        f"after closing ({args.close}): kernels {kernels_after} (pool {pool}), back to the pool "
        f"in {recovery:.1f} s: {back}; single viewer rendered: {single_text}"
    )
    goals = {
        f"every viewer answered within {GOAL_SECONDS:.0f} s": counts["failed"] == 0
        and slowest <= GOAL_SECONDS,
        "kernel count back to the pool size": back and kernels_after == pool,
        "single viewer renders after the burst": single.outcome == "served",
    }
    for goal, met in goals.items():
        print(f"  [{'x' if met else ' '}] {goal}")
    return 0 if all(goals.values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument(
        "--notebooks",
        nargs="?",
        type=Path,
        const=BUILD_DIR / "notebooks",
        help="serve this folder of .ipynb (default when given: build/notebooks)",
    )
    parser.add_argument("--app", help="notebook to open (default: the first one)")
    parser.add_argument("--selector", default=".jupyter-widgets", help="element of a served app")
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--max-kernels", type=int, default=6)
    parser.add_argument("--cull-idle-timeout", type=int, default=30)
    parser.add_argument("--cull-interval", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60, help="seconds allowed per viewer")
    parser.add_argument("--close", choices=["unload", "abrupt"], default="unload")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        parser.error(f"{CHROMIUM} is missing (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="crm-app-load-") as tmp:
        notebook_dir = args.notebooks or Path(tmp) / "notebooks"
        if args.notebooks is None:
            write_widget_notebook(notebook_dir, name="demo", sleep=1.0)
        apps = sorted(p.name for p in Path(notebook_dir).glob("*.ipynb"))
        if not apps:
            parser.error(f"no .ipynb in {notebook_dir} (build them with `crm app` or --notebooks)")
        args.log = Path(tmp) / "server.log"
        job = run(args, Path(notebook_dir), args.app or apps[0])
        try:
            return asyncio.run(asyncio.wait_for(job, timeout=290))
        except TimeoutError:
            print("the benchmark did not finish within 290 s (server stopped)")
            return 1
        finally:
            if args.log.exists():
                kept = Path(tempfile.gettempdir()) / "crm-app-load-server.log"
                kept.write_bytes(args.log.read_bytes())
                print(f"server log kept at {kept}")


if __name__ == "__main__":
    sys.exit(main())
