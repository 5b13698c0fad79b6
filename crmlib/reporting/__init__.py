"""Running notebooks headless (papermill) into self-contained HTML reports."""

from crmlib.reporting.build import build_notebooks, notebook_sources
from crmlib.reporting.html import export_html
from crmlib.reporting.index import latest_report, list_runs
from crmlib.reporting.runner import NotebookResult, RunResult, run_reports

__all__ = [
    "NotebookResult",
    "RunResult",
    "build_notebooks",
    "export_html",
    "latest_report",
    "list_runs",
    "notebook_sources",
    "run_reports",
]
