"""Helpers that keep notebooks thin: set up the output mode, show results, handle errors.

A notebook calls :func:`setup` once with its ``interactive`` parameter. Interactive (JupyterLab,
Voila) leaves charts to the widget layer; static (papermill report) renders Altair charts as
HTML with Vega inline, so the saved report draws offline. A :class:`CrmInputError` raised in a
cell is shown as a short message box instead of a traceback; the cell still fails, so a
report run stops and reports the message.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import altair as alt
import pandas as pd

from crmlib.charts import (
    country_chart,
    empty_state,
    error_box,
    headline_cards,
    monthly_chart,
    new_returning_chart,
    notes,
    top_products_chart,
    use_static_renderer,
    use_theme,
)
from crmlib.config import cache_dir
from crmlib.errors import CrmInputError
from crmlib.io import CleaningReport
from crmlib.privacy import privacy_note


def _show_user_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None):
    from IPython.display import HTML, display

    display(HTML(error_box(str(value))))
    short = [f"{etype.__name__}: {value}"]
    # An error output with a one-line traceback: papermill and the report runner read the
    # message from it, and the cell still counts as failed.
    shell._showtraceback(etype, value, short)
    return short


_mode = {"interactive": False}


def setup(interactive: bool) -> None:
    """Prepare the kernel for this notebook's output mode (call once, first)."""
    from IPython import get_ipython

    _mode["interactive"] = bool(interactive)
    if interactive:
        enable_offline_charts()
    else:
        use_static_renderer()
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((CrmInputError,), _show_user_error)


def show(*items: Any) -> None:
    """Display HTML strings as HTML and anything else (charts, frames) as itself.

    In interactive mode Altair charts are shown through ``alt.JupyterChart`` with the
    offline bundle (the plain HTML renderer would fetch Vega from a CDN).
    """
    from IPython.display import HTML, display

    for item in items:
        if isinstance(item, str):
            item = HTML(item)
        elif _mode["interactive"] and isinstance(item, alt.TopLevelMixin):
            item = live_chart(item)
        display(item)


def show_cleaning(report: CleaningReport, *, customer_analysis: bool = False) -> None:
    """Show the cleaning report and which rows the notebook's analyses use."""
    rule = (
        "Customer analyses below use only rows with a customer id "
        f"({report.customer_rows:,} of {report.rows_out:,} kept rows)."
        if customer_analysis
        else f"All {report.rows_out:,} kept rows are used; rows without a customer id count in "
        "orders, products and revenue, but not in customer counts."
    )
    show(report, notes([rule, privacy_note()]))


def show_table(frame: pd.DataFrame, *, formats: dict[str, str] | None = None) -> None:
    """Display a table as escaped HTML without the index (values are never run as HTML)."""
    styler = frame.style.hide(axis="index").format(formats or {}, escape="html", na_rep="")
    show(styler)


def show_overview(result: dict[str, Any]) -> None:
    """Static data overview: cards, then one chart per section (or the empty state)."""
    if result["rows"] == 0:
        show(empty_state(result["message"]))
        return
    show(headline_cards(result["headline"]))
    show(monthly_chart(result["monthly"]), monthly_chart(result["monthly"], measure="orders"))
    show(new_returning_chart(result["new_returning"]))
    show(top_products_chart(result["top"]))
    show_table(
        result["top"],
        formats={"revenue": "{:,.0f}", "quantity": "{:,.0f}", "orders": "{:,}"},
    )
    show(country_chart(result["countries"]), notes([result["country_note"]]))


LIVE_EMBED = {"renderer": "svg", "actions": False}


def live_chart(chart: alt.TopLevelMixin | None = None) -> alt.JupyterChart:
    """An ``alt.JupyterChart`` drawn as SVG without the action menu (which links to external
    editors); a blank placeholder when ``chart`` is None. Call :func:`enable_offline_charts`
    first so it loads Vega from the installed package."""
    blank = alt.Chart(pd.DataFrame()).mark_point()
    return alt.JupyterChart(chart if chart is not None else blank, embed_options=LIVE_EMBED)


def _bundle_path():
    from importlib.metadata import version

    key = f"altair-{alt.__version__}-vlc-{version('vl-convert-python')}"
    return cache_dir() / "js" / f"jupyterchart-{key}.js"


def enable_offline_charts() -> None:
    """Make ``alt.JupyterChart`` load Vega from the installed package, not from a CDN.

    Altair 6 ignores ``JupyterChart(..., offline=True)``; the class-level
    ``enable_offline()`` works but bundles 0.9 MB of JavaScript with vl-convert on every call
    (about 1–3 s per kernel). The bundle depends only on the Altair and vl-convert versions,
    so it is stored in the cache folder and reused by every later kernel (a few ms).
    """
    use_theme()
    cls = alt.JupyterChart
    if getattr(cls, "_is_offline", False):
        return
    path = _bundle_path()
    if path.is_file() and hasattr(cls, "_is_offline"):
        cls._esm = path.read_text(encoding="utf-8")
        cls._is_offline = True
        return
    cls.enable_offline()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(cls._esm)
        os.replace(tmp, path)
    except OSError:
        pass  # no cache folder: each kernel bundles for itself


__all__ = [
    "enable_offline_charts",
    "error_box",
    "live_chart",
    "setup",
    "show",
    "show_cleaning",
    "show_overview",
    "show_table",
]
