"""The data overview as a click-through app: a month-range slider and a country picker that
update every number and chart."""

from __future__ import annotations

import ipywidgets as W
import pandas as pd

from crmlib import config as C
from crmlib.analysis import build_overview, first_purchase
from crmlib.charts import (
    country_chart,
    empty_state,
    error_box,
    headline_cards,
    monthly_chart,
    new_returning_chart,
    notes,
    top_products_chart,
)
from crmlib.errors import CrmInputError
from widgets.common import App, enable_offline_charts, live_chart

ALL = "All countries"


class OverviewApp(App):
    """Interactive data overview over cleaned transactions.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean canonical transactions (full history).
    top_n : int
        Number of top products.
    k : int
        Smallest customer group shown on its own.
    start, end : str, optional
        Initial date range (whole months are offered by the slider).
    country : str, optional
        Initial country.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        top_n: int = 10,
        k: int = 5,
        start: str | None = None,
        end: str | None = None,
        country: str | None = None,
    ) -> None:
        enable_offline_charts()
        self.data = data
        self.top_n = top_n
        self.k = k
        self.first = first_purchase(data)
        months = pd.period_range(data[C.ORDER_DATE].min(), data[C.ORDER_DATE].max(), freq="M")
        self.months = [m.strftime("%Y-%m") for m in months]
        lo = self.months.index(start[:7]) if start and start[:7] in self.months else 0
        hi = self.months.index(end[:7]) if end and end[:7] in self.months else len(months) - 1
        self.period = W.SelectionRangeSlider(
            options=self.months,
            index=(lo, hi),
            description="Months",
            continuous_update=False,
            layout=W.Layout(width="560px"),
        )
        countries = sorted(data[C.COUNTRY].dropna().unique()) if C.COUNTRY in data else []
        self.country = W.Dropdown(
            options=[ALL, *countries],
            value=country if country in countries else ALL,
            description="Country",
        )
        self.headline = W.HTML()
        self.message = W.HTML()
        self.footnote = W.HTML()
        self.charts = {
            name: live_chart() for name in ("monthly", "new_returning", "top", "countries")
        }
        self.chart_box = W.VBox(list(self.charts.values()))
        self.period.observe(self._on_change, names="value")
        self.country.observe(self._on_change, names="value")
        self.widget = W.VBox(
            [
                W.HBox([self.period, self.country]),
                self.message,
                self.headline,
                self.chart_box,
                self.footnote,
            ]
        )
        self.refresh()

    def _filters(self) -> dict:
        lo, hi = self.period.value
        end = (pd.Period(hi, freq="M").end_time).strftime("%Y-%m-%d")
        countries = [] if self.country.value == ALL else [self.country.value]
        return {"start": f"{lo}-01", "end": end, "countries": countries}

    def _on_change(self, _change: dict) -> None:
        self.refresh()

    def refresh(self) -> dict:
        """Recompute the overview for the current filters and update every output.

        Returns
        -------
        dict
            The overview tables (see :func:`crmlib.analysis.build_overview`).
        """
        error = None
        try:
            result = build_overview(
                self.data, top_n=self.top_n, k=self.k, first=self.first, **self._filters()
            )
        except CrmInputError as exc:
            error = str(exc)
            result = {"rows": 0, "message": error}
        self.last = result
        if result["rows"] == 0:
            self.message.value = error_box(error) if error else empty_state(result["message"])
            self.headline.value = ""
            self.footnote.value = ""
            self.chart_box.layout.display = "none"
            return result
        self.message.value = ""
        self.chart_box.layout.display = ""
        self.headline.value = headline_cards(result["headline"])
        self.charts["monthly"].chart = monthly_chart(result["monthly"])
        self.charts["new_returning"].chart = new_returning_chart(result["new_returning"])
        self.charts["top"].chart = top_products_chart(result["top"])
        self.charts["countries"].chart = country_chart(result["countries"])
        self.footnote.value = notes([result["country_note"]])
        return result
