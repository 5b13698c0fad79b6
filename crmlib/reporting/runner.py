"""Run notebooks headless with papermill into a dated folder of self-contained HTML reports.

``run_reports`` (behind ``crm report``) checks notebook and parameter names before anything
runs, converts the jupytext sources in a throw-away build folder, runs each notebook with
``interactive=False`` and only the parameters it declares, exports each success to offline HTML
(``html.py``), then publishes the hidden work folder as ``reports/<YYYY-mm-dd_HHMMSS>/`` and
rebuilds the indexes (``index.py``). A failing notebook does not stop the others: it keeps
``<name>.failed.ipynb`` and gets no HTML. Earlier runs are never touched.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import papermill
import yaml

from crmlib import __version__
from crmlib.config import NOTEBOOK_DIR, REPORTS_DIR
from crmlib.errors import CrmInputError
from crmlib.reporting.build import build_notebooks, notebook_sources
from crmlib.reporting.html import export_html, notebook_records, notebook_title
from crmlib.reporting.index import publish_run_folder, reserve_run_folder

RUNNER_PARAMETERS = ("interactive",)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


@dataclass
class NotebookResult:
    """Outcome of one notebook in a report run.

    Attributes
    ----------
    name : str
        Notebook name (source file stem).
    title : str
        First markdown heading of the notebook.
    status : str
        ``"ok"`` or ``"failed"``.
    duration : float
        Seconds spent executing and exporting.
    parameters : dict
        Values injected into the notebook (including ``interactive=False``).
    notebook : Path or None
        Executed notebook: ``<name>.ipynb``, or ``<name>.failed.ipynb`` after a failure.
    html : Path or None
        The HTML report; None when the notebook failed.
    error : str or None
        ``"<name> failed in cell 7: ValueError: <message>"`` for a failure.
    records : dict
        Values the notebook recorded with ``crmlib.record``.
    """

    name: str
    title: str
    status: str
    duration: float
    parameters: dict[str, Any]
    notebook: Path | None = None
    html: Path | None = None
    error: str | None = None
    records: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the notebook ran and its report was written."""
        return self.status == "ok"


@dataclass
class RunResult:
    """Outcome of one ``run_reports`` call.

    Attributes
    ----------
    run_id : str
        Name of the run folder, ``YYYY-mm-dd_HHMMSS`` (plus ``-2``, ... or ``_<run_name>``).
    folder : Path
        The run folder.
    started, finished : datetime
        Local, timezone-aware start and end times.
    parameters : dict
        Parameter values as requested (after type conversion).
    notebooks : list of NotebookResult
        One result per notebook, in run order.
    run_name : str or None
        Optional label of the run.
    """

    run_id: str
    folder: Path
    started: datetime
    finished: datetime
    parameters: dict[str, Any]
    notebooks: list[NotebookResult]
    run_name: str | None = None

    @property
    def ok(self) -> bool:
        """True when every notebook succeeded."""
        return all(nb.ok for nb in self.notebooks)

    @property
    def failed(self) -> list[NotebookResult]:
        """The notebooks that failed."""
        return [nb for nb in self.notebooks if not nb.ok]

    @property
    def duration(self) -> float:
        """Wall-clock seconds of the whole run."""
        return (self.finished - self.started).total_seconds()

    @property
    def index(self) -> Path:
        """The run's ``index.html``."""
        return self.folder / "index.html"

    def summary(self) -> str:
        """A few lines for a terminal: one per notebook, then where the report is."""
        lines = []
        for nb in self.notebooks:
            where = nb.html if nb.ok else nb.error
            lines.append(f"{nb.name}: {nb.status} in {nb.duration:.1f} s — {where}")
        lines.append(f"run {self.run_id}: {'ok' if self.ok else 'FAILED'}; see {self.index}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The content of ``run.json`` (paths relative to the run folder)."""
        return {
            "run_id": self.run_id,
            "run_name": self.run_name,
            "status": "ok" if self.ok else "failed",
            "started": self.started.isoformat(timespec="seconds"),
            "finished": self.finished.isoformat(timespec="seconds"),
            "duration": round(self.duration, 3),
            "parameters": self.parameters,
            "crmlib_version": __version__,
            "notebooks": [
                asdict(nb)
                | {
                    "duration": round(nb.duration, 3),
                    "notebook": nb.notebook.name if nb.notebook else None,
                    "html": nb.html.name if nb.html else None,
                }
                for nb in self.notebooks
            ],
        }


def run_reports(
    names: list[str] | None,
    parameters: Mapping[str, Any] | None = None,
    *,
    src: str | os.PathLike[str] = NOTEBOOK_DIR,
    reports_dir: str | os.PathLike[str] = REPORTS_DIR,
    timeout: float = 600,
    progress: bool = True,
    run_name: str | None = None,
) -> RunResult:
    """Execute notebooks with papermill and write a dated folder of offline HTML reports.

    Parameters
    ----------
    names : list of str or None
        Notebook names (file stems in ``src``); None runs every notebook.
    parameters : mapping, optional
        ``{name: value}``. Each name must be declared by at least one selected notebook; each
        notebook receives only the ones it declares. String values are converted to the
        declared ``int`` / ``float`` / ``bool`` type. ``interactive`` is always False.
    src : path
        Folder of jupytext percent-format notebooks; also the kernels' working folder.
    reports_dir : path
        Where run folders, ``index.html`` and ``latest.json`` go.
    timeout : float
        Limit in seconds for each cell.
    progress : bool
        Print a line per notebook and papermill's progress bar (to stderr).
    run_name : str, optional
        Label appended to the run folder name and shown in the indexes.

    Returns
    -------
    RunResult
        Per-notebook status, duration, output paths and error text. Check ``.ok``.

    Raises
    ------
    CrmInputError
        Unknown notebook or parameter, or a value that does not fit the declared type. Raised
        before anything is executed or written.

    Examples
    --------
    >>> result = run_reports(["data_overview"], {"min_support": 0.01})  # doctest: +SKIP
    >>> result.ok, result.index  # doctest: +SKIP
    (True, PosixPath('reports/2024-05-01_101500/index.html'))
    """
    src, reports_dir = Path(src), Path(reports_dir)
    selected = _select(names, src)
    with tempfile.TemporaryDirectory(prefix="crm-report-build-") as build:
        built = {p.stem: p for p in build_notebooks(src, Path(build))}
        declared = {name: papermill.inspect_notebook(str(built[name])) for name in selected}
        requested, per_notebook = _check_parameters(dict(parameters or {}), declared)
        started = datetime.now().astimezone()
        run_id, work = reserve_run_folder(reports_dir, started, run_name)
        try:
            results = []
            for i, name in enumerate(selected, start=1):
                if progress:
                    _say(f"running {name} ({i}/{len(selected)})…")
                nb_params = per_notebook[name]
                results.append(_run_one(name, built[name], nb_params, work, src, timeout, progress))
            finished = datetime.now().astimezone()
            result = RunResult(run_id, work, started, finished, requested, results, run_name)
            final = publish_run_folder(work, reports_dir, result.to_dict())
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    result.run_id, result.folder = final.name, final
    for nb in result.notebooks:
        nb.notebook = final / nb.notebook.name if nb.notebook else None
        nb.html = final / nb.html.name if nb.html else None
    if progress:
        _say(f"report run {result.run_id}: {'ok' if result.ok else 'FAILED'} → {result.index}")
    return result


def _select(names: list[str] | None, src: Path) -> list[str]:
    """Check the requested notebook names against the sources; None selects all."""
    available = [p.stem for p in notebook_sources(src)]
    if not available:
        raise CrmInputError(f"No notebooks (*.py) found in {src}.")
    if names is None:
        return available
    if isinstance(names, str):
        names = [names]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise CrmInputError(
            f"Unknown notebook {', '.join(repr(n) for n in unknown)}. "
            f"Available notebooks in {src}: {', '.join(available)}."
        )
    if not names:
        raise CrmInputError(f"No notebook selected. Available: {', '.join(available)}.")
    return list(dict.fromkeys(names))


def _check_parameters(
    parameters: dict[str, Any], declared: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Validate parameter names and values; return the requested and per-notebook values."""
    for name in parameters:
        if name in RUNNER_PARAMETERS:
            raise CrmInputError(
                f"The {name!r} parameter is set by the report runner (static reports use "
                f"{name}=False); leave it out."
            )
        if not any(name in params for params in declared.values()):
            known = sorted({p for ps in declared.values() for p in ps} - set(RUNNER_PARAMETERS))
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise CrmInputError(
                f"Unknown parameter {name!r}: no selected notebook declares it.{hint}\n"
                f"{describe_parameters(declared)}"
            )
    requested: dict[str, Any] = {}
    per_notebook: dict[str, dict[str, Any]] = {}
    for nb_name, params in declared.items():
        values = {}
        for name, value in parameters.items():
            if name in params:
                values[name] = _convert(value, params[name], nb_name)
                requested.setdefault(name, values[name])
        if "interactive" in params:
            values["interactive"] = False
        per_notebook[nb_name] = values
    return requested, per_notebook


def describe_parameters(declared: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """Describe the parameters of notebooks, one ``name: type = default  # help`` a line.

    Parameters
    ----------
    declared : mapping
        ``{notebook name: papermill.inspect_notebook(path)}``.

    Returns
    -------
    str
        A block of text for error messages and ``--help``.
    """
    lines = []
    for nb_name, params in declared.items():
        shown = [p for name, p in params.items() if name not in RUNNER_PARAMETERS]
        lines.append(f"Parameters of {nb_name}:" if shown else f"{nb_name} takes no parameters.")
        for p in shown:
            help_text = f"  # {p['help']}" if p.get("help") else ""
            lines.append(
                f"  {p['name']}: {p.get('inferred_type_name', 'None')} = {p.get('default')}"
                f"{help_text}"
            )
    return "\n".join(lines)


def _convert(value: Any, spec: Mapping[str, Any], nb_name: str) -> Any:
    """Convert a text value (from a command line) to the declared int/float/bool type."""
    kind = spec.get("inferred_type_name")
    if isinstance(value, str) and kind in {"dict", "list"}:
        try:
            parsed = yaml.safe_load(value) if value.strip() else {"dict": {}, "list": []}[kind]
        except yaml.YAMLError:
            parsed = None
        if not isinstance(parsed, {"dict": dict, "list": list}[kind]):
            example = '\'{"Invoice": "order_id"}\'' if kind == "dict" else "'[a, b]'"
            raise CrmInputError(
                f"The {spec['name']!r} parameter of {nb_name} must be a {kind} written as "
                f"JSON or YAML, e.g. {example}; got {value!r} instead."
            )
        return parsed
    if not isinstance(value, str) or kind not in {"int", "float", "bool"}:
        return value
    text = value.strip()
    try:
        if kind == "bool" and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        return {"int": int, "float": float}[kind](text)
    except (KeyError, ValueError):
        raise CrmInputError(
            f"The {spec['name']!r} parameter of {nb_name} must be {kind}; got {value!r} instead."
        ) from None


def _run_one(
    name: str,
    notebook: Path,
    parameters: dict[str, Any],
    work: Path,
    cwd: Path,
    timeout: float,
    progress: bool,
) -> NotebookResult:
    """Execute one notebook into the work folder and export its HTML report."""
    executed = work / f"{name}.ipynb"
    start = time.perf_counter()
    title = notebook_title(nbformat.read(notebook, as_version=4), name)
    result = NotebookResult(name, title, "failed", 0.0, parameters, notebook=executed)
    try:
        nb = papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name="python3",
            execution_timeout=timeout,
            cwd=str(cwd),
            progress_bar=progress,
        )
    except Exception as exc:  # the notebook's own failure, reported, not raised
        result.error = _describe_failure(name, exc, executed)
        if executed.exists():
            result.notebook = executed.rename(work / f"{name}.failed.ipynb")
            result.records = notebook_records(nbformat.read(result.notebook, as_version=4))
        else:
            result.notebook = None
    else:
        result.records = notebook_records(nb)
        try:
            shown = {k: v for k, v in parameters.items() if k not in RUNNER_PARAMETERS}
            result.html = export_html(nb, work / f"{name}.html", title=title, parameters=shown)
            result.status = "ok"
        except Exception as exc:
            result.error = f"{name}: HTML export failed: {type(exc).__name__}: {exc}"
    result.duration = time.perf_counter() - start
    if progress:
        outcome = "ok" if result.ok else f"FAILED: {result.error}"
        _say(f"  {name} {outcome} ({result.duration:.1f} s)")
    return result


def _describe_failure(name: str, exc: Exception, executed: Path) -> str:
    """``"<name> failed in cell 7: ValueError: <message>"`` from papermill's exception."""
    if isinstance(exc, papermill.PapermillExecutionError):
        cell = exc.exec_count if exc.exec_count is not None else exc.cell_index + 1
        where, ename, message = f" in cell {cell}", exc.ename, str(exc.evalue)
    else:  # a timeout or a dead kernel: name the last cell papermill started
        where, ename, message = "", type(exc).__name__, str(exc)
        with contextlib.suppress(Exception):
            for index, cell in enumerate(nbformat.read(executed, as_version=4).cells):
                if cell.get("metadata", {}).get("papermill", {}).get("status") != "pending":
                    where = f" in cell {cell.get('execution_count') or index + 1}"
    lines = _ANSI.sub("", message).strip().splitlines()
    return f"{name} failed{where}: {ename}" + (f": {lines[0]}" if lines else "")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
