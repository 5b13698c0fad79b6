"""Export an executed notebook to one self-contained HTML file that opens offline.

The page is nbconvert's ``lab`` look through the small ``crm_report`` template in
``crmlib/templates``, which leaves out the four things the lab template fetches from CDNs:
require.js, MathJax, Mermaid and the Jupyter widget manager (``embed-amd.js`` from unpkg).
Before export, a copy of the notebook is tidied for readers:

- code inputs and prompts are hidden, the ``parameters`` / ``injected-parameters`` cells are
  dropped and replaced by one line listing the values the run used;
- cells tagged ``remove-cell`` disappear, outputs of cells tagged ``hide`` / ``remove-output``
  are dropped;
- widget state and widget views are dropped (reports take the ``interactive=False`` path), and
  so are ``crmlib.record`` payloads (they go to ``run.json``);
- Altair's inline renderer (``template="inline"``) puts a ~0.9 MB Vega bundle and a top-level
  ``const spec = ...`` script in every chart output. On one page the second ``const spec``
  would be a redeclaration error and the second chart would stay blank, so each chart script is
  wrapped in its own block, and the bundle is kept once, at its first appearance.

A last pass strips any remaining ``<script src>`` or ``<link href>`` pointing off the machine.
"""

from __future__ import annotations

import copy
import html
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter

from crmlib.reporting.index import atomic_write_text

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_NAME = "crm_report"

RECORD_MIMETYPE = "application/vnd.crm.record+json"
REMOVE_CELL_TAGS = frozenset({"remove-cell", "remove_cell"})
HIDE_OUTPUT_TAGS = frozenset({"hide", "hide-output", "remove-output", "remove_output"})
PARAMETER_TAGS = frozenset({"parameters", "injected-parameters"})
_WIDGET_MIMETYPES = (
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
)

_VEGA_BUNDLE = re.compile(
    r"<script[^>]*>\s*// vega-embed\.js bundle.*?</script>", re.DOTALL | re.IGNORECASE
)
_VEGA_CALL = re.compile(
    r"(<script[^>]*>)(\s*const spec = .*?vegaEmbed\(.*?)(</script>)", re.DOTALL | re.IGNORECASE
)
# Tags that make a browser fetch something: script/img/iframe/... src and link href, with an
# absolute (http:, https:) or protocol-relative (//host) address.
_REMOTE = r"""["']?\s*(?:https?:)?//"""
_REMOTE_SCRIPT = re.compile(
    rf"<script\b[^>]*\bsrc\s*=\s*{_REMOTE}[^>]*>.*?</script\s*>", re.DOTALL | re.IGNORECASE
)
_REMOTE_LINK = re.compile(rf"<link\b[^>]*\bhref\s*=\s*{_REMOTE}[^>]*>", re.IGNORECASE)
_REMOTE_LOAD = re.compile(
    rf"<(?:script|img|iframe|embed|source|audio|video|link|input)\b[^>]*"
    rf"\b(?:src|href)\s*=\s*{_REMOTE}[^>]*>",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """Return the text of the notebook's first markdown heading.

    Parameters
    ----------
    nb : NotebookNode
        A notebook.
    default : str
        Title used when no markdown cell has a heading (usually the notebook's name).

    Returns
    -------
    str
        The heading text without the leading ``#`` marks.
    """
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                return match.group(1)
    return default


def notebook_records(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Collect the values a notebook recorded with ``crmlib.record(name, value)``.

    Parameters
    ----------
    nb : NotebookNode
        An executed notebook.

    Returns
    -------
    dict
        ``{name: value}`` in recording order; a later record of the same name wins.
    """
    records: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(RECORD_MIMETYPE)
            if isinstance(payload, Mapping) and "name" in payload:
                records[str(payload["name"])] = payload.get("value")
    return records


def external_references(page: str) -> list[str]:
    """List the tags of an HTML page that would load something from another host.

    Parameters
    ----------
    page : str
        HTML text.

    Returns
    -------
    list of str
        The offending tags (``<script src="https://...">``, ``<link href="//...">``,
        ``<img src="http://...">``, ...); empty for a self-contained page. Plain ``<a href>``
        links are not loads and are not listed.
    """
    return _REMOTE_LOAD.findall(page)


def export_html(
    notebook: nbformat.NotebookNode | str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    title: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Path:
    """Write an executed notebook as a self-contained HTML report.

    Parameters
    ----------
    notebook : NotebookNode or path
        The executed notebook (not modified).
    output_path : path
        Where the ``.html`` goes. It is written to a temporary name first and renamed into
        place, so the path holds either nothing or the complete page.
    title : str, optional
        Page title; default the notebook's first markdown heading, else the file name.
    parameters : mapping, optional
        Parameter values to show at the top of the report (usually those the run used).

    Returns
    -------
    Path
        ``output_path``.

    Examples
    --------
    >>> export_html("reports/run/tiny.ipynb", "reports/run/tiny.html")  # doctest: +SKIP
    """
    output_path = Path(output_path)
    if isinstance(notebook, nbformat.NotebookNode):
        nb = copy.deepcopy(notebook)
    else:
        nb = nbformat.read(os.fspath(notebook), as_version=4)
    nb.metadata["title"] = title or notebook_title(nb, output_path.stem)
    _prepare(nb, parameters)
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    with warnings.catch_warnings():
        # Outputs with only unknown mimetypes are skipped on purpose; don't warn about them.
        warnings.filterwarnings("ignore", message=".*is not able to be represented")
        resources = {"metadata": {"name": output_path.stem}}
        page, _ = exporter.from_notebook_node(nb, resources=resources)
    page = _REMOTE_LINK.sub("", _REMOTE_SCRIPT.sub("", page))
    return atomic_write_text(output_path, page)


def _prepare(nb: nbformat.NotebookNode, parameters: Mapping[str, Any] | None) -> None:
    """Tidy a notebook copy for readers, in place (see the module docstring)."""
    nb.metadata.pop("widgets", None)
    seen_bundles: set[str] = set()
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & (REMOVE_CELL_TAGS | PARAMETER_TAGS):
            continue
        if cell.cell_type == "code":
            cell.outputs = [] if tags & HIDE_OUTPUT_TAGS else _reader_outputs(cell.outputs)
            for output in cell.outputs:
                data = output.get("data", {})
                if isinstance(data.get("text/html"), str | list):
                    data["text/html"] = _fix_altair_html(_joined(data["text/html"]), seen_bundles)
        cells.append(cell)
    if parameters:
        position = 1 if cells and cells[0].cell_type == "markdown" else 0
        cells.insert(position, nbformat.v4.new_markdown_cell(_parameter_line(parameters)))
    nb.cells = cells


def _reader_outputs(outputs: list[Any]) -> list[Any]:
    """Drop widget views (with their text fallback) and record payloads from cell outputs."""
    kept = []
    for output in outputs:
        data = output.get("data")
        if data is not None:
            if any(mimetype in data for mimetype in _WIDGET_MIMETYPES):
                continue
            data.pop(RECORD_MIMETYPE, None)
            if not data:
                continue
        kept.append(output)
    return kept


def _joined(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def _fix_altair_html(text: str, seen_bundles: set[str]) -> str:
    """Keep each inline Vega bundle once per page and scope each chart's script in a block."""

    def bundle(match: re.Match[str]) -> str:
        script = match.group(0)
        if script in seen_bundles:
            return ""
        seen_bundles.add(script)
        return script

    text = _VEGA_BUNDLE.sub(bundle, text)
    return _VEGA_CALL.sub(lambda m: f"{m.group(1)}{{{m.group(2)}}}{m.group(3)}", text)


def _parameter_line(parameters: Mapping[str, Any]) -> str:
    """One HTML line ``Parameters: n = 5 · label = 'x'`` for the top of the report."""
    items = " · ".join(
        f"<code>{html.escape(str(name))}</code> = <code>{html.escape(repr(value))}</code>"
        for name, value in parameters.items()
    )
    return f'<p class="crm-report-parameters">Parameters: {items}</p>'
