"""Tests of the report runner: real papermill runs of the fixture notebooks in tests/data.

``tiny`` takes ``n`` and ``label``, prints them, records ``bars`` and draws two Altair charts;
``broken`` raises in its third cell; ``slow`` sleeps longer than a short cell timeout.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from crmlib.errors import CrmInputError
from crmlib.reporting import latest_report, list_runs, run_reports
from crmlib.reporting.html import external_references
from crmlib.reporting.index import (
    atomic_write_text,
    publish_run_folder,
    reserve_run_folder,
    update_reports_index,
)

NOTEBOOKS = Path(__file__).parent / "data" / "notebooks"
RUN_ID = re.compile(r"^\d{4}-\d{2}-\d{2}_\d{6}(-\d+)?$")
REMOTE_ATTR = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """File name -> (size, mtime) of everything in a folder."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def tiny_run(reports_dir: Path):
    return run_reports(
        ["tiny"],
        {"n": "5", "label": "hello-report"},
        src=NOTEBOOKS,
        reports_dir=reports_dir,
        progress=False,
    )


@pytest.fixture(scope="module")
def broken_run(tiny_run, reports_dir: Path):
    before = _snapshot(tiny_run.folder)
    result = run_reports(["broken"], src=NOTEBOOKS, reports_dir=reports_dir, progress=False)
    return result, before


@pytest.mark.notebook
def test_run_writes_dated_folder_with_notebook_html_and_indexes(tiny_run, reports_dir):
    assert tiny_run.ok, tiny_run.summary()
    folder = tiny_run.folder
    assert folder.parent == reports_dir and RUN_ID.match(folder.name)
    assert {p.name for p in folder.iterdir()} == {
        "tiny.ipynb",
        "tiny.html",
        "index.html",
        "run.json",
    }
    [nb] = tiny_run.notebooks
    assert (nb.notebook, nb.html, nb.title) == (
        folder / "tiny.ipynb",
        folder / "tiny.html",
        "Tiny report",
    )
    assert nb.duration > 0 and nb.error is None
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "ok" and record["parameters"] == {"n": 5, "label": "hello-report"}
    assert record["notebooks"][0]["html"] == "tiny.html"
    assert record["notebooks"][0]["records"] == {"bars": 5}
    assert 'href="tiny.html"' in (folder / "index.html").read_text()
    assert f'href="{folder.name}/index.html"' in (reports_dir / "index.html").read_text()
    latest = json.loads((reports_dir / "latest.json").read_text())
    assert latest["notebooks"]["tiny"]["html"] == f"{folder.name}/tiny.html"
    assert not [p for p in reports_dir.iterdir() if p.name.endswith(".partial")]


@pytest.mark.notebook
def test_parameter_values_reach_the_notebook(tiny_run):
    nb = nbformat.read(tiny_run.folder / "tiny.ipynb", as_version=4)
    printed = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    assert "tiny ran with n=5, label=hello-report, interactive=False" in printed
    assert tiny_run.notebooks[0].records == {"bars": 5}
    assert tiny_run.notebooks[0].parameters == {
        "n": 5,
        "label": "hello-report",
        "interactive": False,
    }


@pytest.mark.notebook
def test_html_is_self_contained_and_has_the_chart(tiny_run):
    page = (tiny_run.folder / "tiny.html").read_text(encoding="utf-8")
    assert external_references(page) == []
    assert REMOTE_ATTR.findall(page) == []
    assert re.findall(r"<script\b[^>]*\bsrc\s*=", page, re.IGNORECASE) == []
    for cdn_file in ("require.min.js", "MathJax", "embed-amd.js", "mermaid.esm"):
        assert cdn_file not in page
    assert "<title>Tiny report</title>" in page
    assert '"mark": {"type": "bar"}' in page and '"title": "squares"' in page
    assert '"datasets"' in page and '{"x": 4, "y": 16}' in page  # n=5 bars made it to the spec
    assert page.count("// vega-embed.js bundle") == 1  # one inline Vega bundle for two charts
    assert "tiny ran with n=5, label=hello-report" in page
    assert "import altair" not in page  # code cells are hidden
    assert "for the analyst only" not in page  # remove-cell
    assert "Parameters: <code>n</code> = <code>5</code>" in page


@pytest.mark.notebook
def test_broken_notebook_fails_cleanly_and_keeps_previous_runs(broken_run, tiny_run, reports_dir):
    result, before = broken_run
    assert not result.ok and result.failed == result.notebooks
    [nb] = result.notebooks
    assert nb.status == "failed" and nb.html is None
    assert re.fullmatch(
        r"broken failed in cell \d+: ValueError: threshold 0\.5 is out of range", nb.error
    )
    assert nb.notebook == result.folder / "broken.failed.ipynb" and nb.notebook.exists()
    assert not (result.folder / "broken.html").exists()
    assert sorted(p.name for p in result.folder.glob("*.html*")) == ["index.html"]
    assert _snapshot(tiny_run.folder) == before  # the earlier run is untouched
    page = (reports_dir / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert result.folder.name in page and tiny_run.folder.name in page
    assert "threshold 0.5 is out of range" in page
    assert page.index(result.folder.name) < page.index(tiny_run.folder.name)  # newest first
    run_page = (result.folder / "index.html").read_text(encoding="utf-8")
    assert 'class="failed"' in run_page and "broken.failed.ipynb" in run_page
    assert [r["status"] for r in list_runs(reports_dir)] == ["failed", "ok"]
    # The newest *successful* run stays the one an app links to.
    assert latest_report(reports_dir=reports_dir) == tiny_run.folder / "index.html"
    assert latest_report("tiny", reports_dir) == tiny_run.folder / "tiny.html"
    assert latest_report("broken", reports_dir) is None


@pytest.mark.notebook
def test_cell_timeout_is_reported_as_a_failure(tmp_path):
    result = run_reports(
        ["slow"], {"seconds": 30}, src=NOTEBOOKS, reports_dir=tmp_path, timeout=2, progress=False
    )
    [nb] = result.notebooks
    assert nb.status == "failed" and nb.duration < 25
    assert re.match(r"slow failed in cell \d+: CellTimeoutError: .*2 seconds", nb.error)
    assert (result.folder / "slow.failed.ipynb").exists()


def test_unknown_parameter_is_rejected_before_anything_runs(tmp_path):
    reports = tmp_path / "reports"
    with pytest.raises(CrmInputError) as info:
        run_reports(["tiny", "broken"], {"nn": 4}, src=NOTEBOOKS, reports_dir=reports)
    message = str(info.value)
    assert "'nn'" in message and "Did you mean 'n'?" in message
    assert "n: int = 3  # number of bars in the chart" in message
    assert "threshold: float = 0.5" in message
    assert "interactive" not in message  # set by the runner, not offered to users
    assert not reports.exists()


def test_parameter_of_an_unselected_notebook_is_rejected(tmp_path):
    with pytest.raises(CrmInputError, match="'threshold'"):
        run_reports(["tiny"], {"threshold": 1}, src=NOTEBOOKS, reports_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("parameters", "pattern"),
    [
        ({"n": "three"}, r"'n' parameter of tiny must be int; got 'three'"),
        ({"interactive": True}, r"'interactive' parameter is set by the report runner"),
    ],
)
def test_bad_parameter_values_are_rejected(tmp_path, parameters, pattern):
    with pytest.raises(CrmInputError, match=pattern):
        run_reports(["tiny"], parameters, src=NOTEBOOKS, reports_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_unknown_notebook_lists_the_available_ones(tmp_path):
    with pytest.raises(CrmInputError) as info:
        run_reports(["data_overveiw"], src=NOTEBOOKS, reports_dir=tmp_path / "r")
    assert "'data_overveiw'" in str(info.value)
    assert "broken, slow, tiny" in str(info.value)
    assert not (tmp_path / "r").exists()


def test_runs_started_in_the_same_second_get_distinct_folders(tmp_path):
    started = datetime(2024, 5, 1, 10, 15, 0)
    first, work1 = reserve_run_folder(tmp_path, started)
    second, work2 = reserve_run_folder(tmp_path, started)
    assert (first, second) == ("2024-05-01_101500", "2024-05-01_101500-2")
    assert work1.name.startswith(".") and work2.name.startswith(".")
    (tmp_path / first).mkdir()  # someone took the final name meanwhile
    record = {"run_id": first, "status": "ok", "notebooks": []}
    assert publish_run_folder(work1, tmp_path, record).name == "2024-05-01_101500-3"
    assert record["run_id"] == "2024-05-01_101500-3"
    assert json.loads((tmp_path / record["run_id"] / "run.json").read_text()) == record
    published = publish_run_folder(work2, tmp_path, {"run_id": second, "notebooks": []})
    assert published.name == second and not work2.exists()
    assert (
        reserve_run_folder(tmp_path, started, "nightly run!")[0] == "2024-05-01_101500_nightly-run"
    )
    with pytest.raises(CrmInputError, match="needs a letter or digit"):
        reserve_run_folder(tmp_path, started, "../..")
    assert [r["run_id"] for r in list_runs(tmp_path)] == [
        "2024-05-01_101500-3",
        "2024-05-01_101500-2",
    ]


def test_reports_index_skips_unreadable_runs_and_hidden_work_folders(tmp_path):
    good = {
        "status": "ok",
        "started": "2024-05-01T10:00:00",
        "duration": 1.5,
        "parameters": {"n": 2},
        "notebooks": [{"name": "tiny", "status": "ok", "html": "tiny.html", "duration": 1.0}],
    }
    for name, text in [
        ("2024-05-01_100000", json.dumps(good)),
        ("2024-05-02_100000", "{oops"),
        (".2024-05-03_100000.partial", json.dumps(good)),
    ]:
        (tmp_path / name).mkdir()
        atomic_write_text(tmp_path / name / "run.json", text)
    runs = update_reports_index(tmp_path)
    assert [r["run_id"] for r in runs] == ["2024-05-01_100000"]
    assert json.loads((tmp_path / "latest.json").read_text())["index"] == (
        "2024-05-01_100000/index.html"
    )
    assert "n = 2" in (tmp_path / "index.html").read_text()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".partial") and "json" in p]


# --- browser ---------------------------------------------------------------------------------


@pytest.mark.notebook
@pytest.mark.browser
def test_html_report_renders_offline_in_chromium(tiny_run, chromium_browser):
    context = chromium_browser.new_context()
    requested: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []

    def only_local(route) -> None:
        url = route.request.url
        requested.append(url)
        if url.split(":", 1)[0] in {"file", "data", "blob"}:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto((tiny_run.folder / "tiny.html").as_uri())
        page.wait_for_selector("svg.marks, .vega-embed canvas", timeout=20_000)
        page.wait_for_function(
            "document.querySelectorAll('svg.marks, .vega-embed canvas').length >= 2",
            timeout=20_000,
        )
        assert page.title() == "Tiny report"
        assert page.locator("svg.marks path, svg.marks rect").count() > 0
    finally:
        context.close()
    assert errors == []
    assert blocked == []
    assert [u for u in requested if u.split(":", 1)[0] not in {"file", "data", "blob"}] == []
