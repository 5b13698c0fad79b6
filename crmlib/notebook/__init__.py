"""Helpers that keep notebooks thin: set up the output mode, show results, handle errors.

A notebook calls :func:`setup` once with its ``interactive`` parameter. Interactive (JupyterLab,
Voila) leaves charts to the widget layer; static (papermill report) renders Altair charts as
HTML with Vega inline, so the saved report draws offline. A :class:`CrmInputError` raised in a
cell is shown as a short message box instead of a traceback; the cell still fails, so a
report run stops and reports the message.
"""

from __future__ import annotations

from typing import Any

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


def setup(interactive: bool) -> None:
    """Prepare the kernel for this notebook's output mode (call once, first)."""
    from IPython import get_ipython

    if interactive:
        use_theme()
    else:
        use_static_renderer()
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((CrmInputError,), _show_user_error)


def show(*items: Any) -> None:
    """Display HTML strings as HTML and anything else (charts, frames) as itself."""
    from IPython.display import HTML, display

    for item in items:
        display(HTML(item) if isinstance(item, str) else item)


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


__all__ = ["error_box", "setup", "show", "show_cleaning", "show_overview", "show_table"]
