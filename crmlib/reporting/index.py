"""Index pages and pointers for the report runs under ``reports/``.

Layout (every file is written to a temporary name and renamed into place)::

    reports/
      index.html              all runs, newest first
      latest.json             newest successful run, and newest good HTML per notebook
      2024-05-01_101500/      one run
        run.json              machine-readable record of the run
        index.html            the run's notebooks, parameters, status, durations, links
        tiny.ipynb tiny.html  executed notebook and its report
        broken.failed.ipynb   executed notebook of a failed notebook (no HTML)

The reports-wide files are rebuilt from the runs' ``run.json`` files every time, so they
repair themselves and never lose a run that is on disk.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from crmlib.config import REPORTS_DIR
from crmlib.errors import CrmInputError

try:  # POSIX only; elsewhere concurrent runs simply are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

RUN_FILE = "run.json"
LATEST_FILE = "latest.json"
INDEX_FILE = "index.html"
LOCK_FILE = ".lock"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.6rem;
         border-bottom: 1px solid #ddd; }
th { background: #f4f4f4; }
.ok { color: #17692b; font-weight: 600; }
.failed { color: #b00020; font-weight: 600; }
.error { color: #b00020; white-space: pre-wrap; font-family: monospace; font-size: 0.9em; }
code { font-size: 0.9em; }
"""


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write text so that readers see the old file or the new one, never a partial one.

    Parameters
    ----------
    path : path
        Target file; its folder must exist.
    text : str
        Content, written as UTF-8.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


@contextlib.contextmanager
def reports_lock(reports_dir: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on ``reports_dir`` (naming a run folder, rebuilding indexes)."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(reports_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def reserve_run_folder(
    reports_dir: str | os.PathLike[str], started: datetime, label: str | None = None
) -> tuple[str, Path]:
    """Pick an unused run name and create its hidden work folder.

    Parameters
    ----------
    reports_dir : path
        The reports folder (created if missing).
    started : datetime
        Start of the run; gives the name ``YYYY-mm-dd_HHMMSS``.
    label : str, optional
        Run name, appended as ``_<label>`` after replacing characters unsafe in a folder name.

    Returns
    -------
    tuple of (str, Path)
        The run name (with ``-2``, ``-3``, ... when taken, e.g. by a run started in the same
        second) and the work folder ``.<name>.partial`` that reserves it.

    Raises
    ------
    CrmInputError
        A label without a single letter or digit.
    """
    reports_dir = Path(reports_dir)
    base = started.strftime("%Y-%m-%d_%H%M%S")
    if label is not None:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-.")[:60]
        if not re.search(r"[A-Za-z0-9]", slug):
            raise CrmInputError(f"The run name {label!r} needs a letter or digit to name a folder.")
        base = f"{base}_{slug}"
    with reports_lock(reports_dir):
        for n in range(1, 10_000):
            run_id = base if n == 1 else f"{base}-{n}"
            if (reports_dir / run_id).exists():
                continue
            with contextlib.suppress(FileExistsError):
                (reports_dir / f".{run_id}.partial").mkdir()
                return run_id, reports_dir / f".{run_id}.partial"
    raise RuntimeError(f"no free run folder name for {base} in {reports_dir}")  # pragma: no cover


def publish_run_folder(
    work: str | os.PathLike[str], reports_dir: str | os.PathLike[str], record: dict[str, Any]
) -> Path:
    """Write a run's files, rename its work folder into place and rebuild the indexes.

    Parameters
    ----------
    work : path
        The work folder from ``reserve_run_folder``.
    reports_dir : path
        The reports folder.
    record : dict
        The run's record (``RunResult.to_dict()``); its ``run_id`` is updated when the name had
        to be bumped because a folder of that name appeared meanwhile.

    Returns
    -------
    Path
        The published run folder.
    """
    work, reports_dir = Path(work), Path(reports_dir)
    run_id = record["run_id"]
    with reports_lock(reports_dir):
        for n in range(1, 10_000):
            final = reports_dir / (run_id if n == 1 else f"{run_id}-{n}")
            reserved = n > 1 and (reports_dir / f".{final.name}.partial").exists()
            if final.exists() or reserved:
                continue
            record["run_id"] = final.name
            write_run_files(work, record)
            try:
                work.rename(final)
            except OSError:
                continue
            update_reports_index(reports_dir)
            return final
    raise RuntimeError(f"could not publish {work}")  # pragma: no cover


def list_runs(reports_dir: str | os.PathLike[str] = REPORTS_DIR) -> list[dict[str, Any]]:
    """Read every finished run's ``run.json``, newest first.

    Parameters
    ----------
    reports_dir : path
        The reports folder.

    Returns
    -------
    list of dict
        The runs' records (see ``RunResult.to_dict``); unreadable ones are skipped.
    """
    runs = []
    for run_file in Path(reports_dir).glob(f"*/{RUN_FILE}"):
        if run_file.parent.name.startswith("."):
            continue
        try:
            record = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and isinstance(record.get("notebooks"), list):
            record["run_id"] = run_file.parent.name
            runs.append(record)
    runs.sort(key=lambda r: (str(r.get("started", "")), r["run_id"]), reverse=True)
    return runs


def latest_report(
    name: str | None = None, reports_dir: str | os.PathLike[str] = REPORTS_DIR
) -> Path | None:
    """Return the newest good static report, for an app to link to.

    Parameters
    ----------
    name : str, optional
        A notebook name: return its newest successfully rendered HTML report. Without a name,
        return the ``index.html`` of the newest run in which every notebook succeeded.
    reports_dir : path
        The reports folder.

    Returns
    -------
    Path or None
        The file, or None when there is no such report yet.
    """
    latest = latest_pointer(list_runs(reports_dir))
    relative = latest["index"] if name is None else latest["notebooks"].get(name, {}).get("html")
    return Path(reports_dir) / relative if relative else None


def latest_pointer(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Build the content of ``latest.json`` from runs listed newest first."""
    complete = next((r for r in runs if r.get("status") == "ok"), None)
    notebooks: dict[str, Any] = {}
    for run in runs:
        for nb in run["notebooks"]:
            if nb.get("status") == "ok" and nb.get("html") and nb["name"] not in notebooks:
                notebooks[nb["name"]] = {
                    "run_id": run["run_id"],
                    "html": f"{run['run_id']}/{nb['html']}",
                    "finished": run.get("finished"),
                }
    return {
        "run_id": complete["run_id"] if complete else None,
        "index": f"{complete['run_id']}/{INDEX_FILE}" if complete else None,
        "finished": complete.get("finished") if complete else None,
        "notebooks": notebooks,
    }


def write_run_files(folder: str | os.PathLike[str], record: Mapping[str, Any]) -> None:
    """Write a run's ``run.json`` and ``index.html`` into its folder.

    Parameters
    ----------
    folder : path
        The run folder (or its temporary stand-in before it is renamed into place).
    record : mapping
        The run's record (``RunResult.to_dict()``).
    """
    folder = Path(folder)
    atomic_write_text(folder / RUN_FILE, json.dumps(record, indent=2, default=str) + "\n")
    atomic_write_text(folder / INDEX_FILE, _run_page(record))


def update_reports_index(reports_dir: str | os.PathLike[str] = REPORTS_DIR) -> list[dict]:
    """Rebuild ``reports/index.html`` and ``reports/latest.json`` from the runs on disk.

    Parameters
    ----------
    reports_dir : path
        The reports folder. Call this while holding ``reports_lock(reports_dir)``.

    Returns
    -------
    list of dict
        The runs, newest first, as listed by ``list_runs``.
    """
    reports_dir = Path(reports_dir)
    runs = list_runs(reports_dir)
    pointer = latest_pointer(runs)
    atomic_write_text(reports_dir / LATEST_FILE, json.dumps(pointer, indent=2) + "\n")
    atomic_write_text(reports_dir / INDEX_FILE, _reports_page(runs))
    return runs


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _status(status: str) -> str:
    css = "ok" if status == "ok" else "failed"
    return f'<span class="{css}">{html.escape(status)}</span>'


def _parameters(parameters: Mapping[str, Any] | None) -> str:
    if not parameters:
        return "<em>defaults</em>"
    return "<br>".join(
        f"<code>{html.escape(str(k))} = {html.escape(repr(v))}</code>"
        for k, v in parameters.items()
    )


def _error(text: str | None) -> str:
    return f'<div class="error">{html.escape(text)}</div>' if text else ""


def _seconds(value: Any) -> str:
    return f"{float(value):.1f} s" if isinstance(value, int | float) else ""


def _link(href: str | None, text: str) -> str:
    if not href:
        return html.escape(text)
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def _run_page(record: Mapping[str, Any]) -> str:
    run_id = str(record.get("run_id", ""))
    rows = []
    for nb in record.get("notebooks", []):
        error = _error(nb.get("error"))
        records = _parameters(nb.get("records")) if nb.get("records") else ""
        rows.append(
            "<tr>"
            f"<td>{_link(nb.get('html'), nb.get('title') or nb['name'])}<br>"
            f"<code>{html.escape(nb['name'])}</code></td>"
            f"<td>{_status(nb.get('status', '?'))}{error}</td>"
            f"<td>{_seconds(nb.get('duration'))}</td>"
            f"<td>{_parameters(nb.get('parameters'))}</td>"
            f"<td>{records}</td>"
            f"<td>{_link(nb.get('notebook'), 'notebook')}</td>"
            "</tr>"
        )
    label = f" — {html.escape(record['run_name'])}" if record.get("run_name") else ""
    body = (
        f"<h1>Report run {html.escape(run_id)}{label}</h1>\n"
        f"<p>Status {_status(record.get('status', '?'))} · started "
        f"{html.escape(str(record.get('started', '')))} · {_seconds(record.get('duration'))} · "
        f'<a href="../{INDEX_FILE}">all runs</a> · <a href="{RUN_FILE}">{RUN_FILE}</a></p>\n'
        "<table>\n<tr><th>Notebook</th><th>Status</th><th>Duration</th><th>Parameters</th>"
        "<th>Recorded results</th><th>Executed</th></tr>\n" + "\n".join(rows) + "\n</table>"
    )
    return _page(f"Report run {run_id}", body)


def _reports_page(runs: list[dict[str, Any]]) -> str:
    rows = []
    for run in runs:
        run_id = run["run_id"]
        notebooks = []
        for nb in run["notebooks"]:
            href = f"{run_id}/{nb['html']}" if nb.get("html") else None
            error = _error(nb.get("error"))
            notebooks.append(f"{_link(href, nb['name'])} {_status(nb.get('status', '?'))}{error}")
        label = f"<br>{html.escape(run['run_name'])}" if run.get("run_name") else ""
        rows.append(
            "<tr>"
            f"<td>{_link(f'{run_id}/{INDEX_FILE}', run_id)}{label}</td>"
            f"<td>{_status(run.get('status', '?'))}</td>"
            f"<td>{'<br>'.join(notebooks)}</td>"
            f"<td>{_parameters(run.get('parameters'))}</td>"
            f"<td>{_seconds(run.get('duration'))}</td>"
            "</tr>"
        )
    body = (
        "<h1>Reports</h1>\n"
        + (f"<p>{len(runs)} run(s), newest first.</p>\n" if runs else "<p>No runs yet.</p>\n")
        + "<table>\n<tr><th>Run</th><th>Status</th><th>Notebooks</th><th>Parameters</th>"
        "<th>Duration</th></tr>\n" + "\n".join(rows) + "\n</table>"
    )
    return _page("Reports", body)
