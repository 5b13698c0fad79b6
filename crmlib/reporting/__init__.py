"""Running notebooks headless (papermill) into self-contained HTML reports."""

from crmlib.reporting.build import build_notebooks, notebook_sources

__all__ = ["build_notebooks", "notebook_sources"]
