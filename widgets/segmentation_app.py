"""Segmentation app: pick features and k; the silhouette table, profiles and chart update.

The app calls :func:`crmlib.notebook.segmentation.segment_customers`, the function the static
report uses, with the same seed, so both show the same clusters for the same parameters.
"""

from __future__ import annotations

import ipywidgets as W
import pandas as pd

from crmlib.charts import cluster_heatmap, download_link, error_box, k_score_chart, notes
from crmlib.errors import CrmInputError
from crmlib.notebook.segmentation import (
    K_ADVICE,
    Segmentation,
    membership_csv,
    profile_table,
    segment_customers,
)
from widgets.common import App, enable_offline_charts, live_chart

FEATURE_CHOICES = ("recency_days", "frequency", "monetary_total", "monetary_avg", "tenure_days")


class SegmentationApp(App):
    """Interactive customer clustering.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean canonical transactions (rows with a customer id are used).
    features : list of str
        Initial features.
    k : int
        Initial number of clusters (0: best silhouette).
    log, min_group, seed, observation_date
        As in :func:`crmlib.notebook.segmentation.segment_customers`.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        features: list[str],
        k: int = 0,
        log: bool = True,
        min_group: int = 5,
        seed: int = 0,
        observation_date: str = "",
    ) -> None:
        enable_offline_charts()
        self.data, self.min_group, self.seed = data, min_group, seed
        self.observation_date = observation_date
        self._tables: dict[tuple, pd.DataFrame] = {}
        self.features = W.SelectMultiple(
            options=FEATURE_CHOICES, value=tuple(features), description="features", rows=5
        )
        self.log = W.Checkbox(value=log, description="log scale (log1p)")
        self.k = W.IntSlider(value=k or 2, min=2, max=8, description="k", continuous_update=False)
        self.status = W.HTML()
        self.k_info = W.HTML()
        self.profiles = W.HTML()
        self.download = W.HTML()
        self.csv_button = W.Button(description="Prepare CSV download", icon="download")
        self.csv_button.on_click(lambda _b: self._prepare_csv())
        self.k_chart, self.profile_chart = live_chart(), live_chart()
        for control in (self.features, self.log, self.k):
            control.observe(lambda _c: self.refresh(), names="value")
        self.widget = W.VBox(
            [
                W.HBox([self.features, W.VBox([self.k, self.log])]),
                self.status,
                self.k_chart,
                self.k_info,
                self.profile_chart,
                self.profiles,
                W.HBox([self.csv_button, self.download]),
            ]
        )
        self.result: Segmentation | None = None
        self.refresh(first_k=k)

    def refresh(self, first_k: int | None = None) -> Segmentation | None:
        """Recompute for the current controls and redraw; returns the result (None on error)."""
        features = list(self.features.value)
        key = (tuple(features), self.log.value)
        try:
            result = segment_customers(
                self.data, observation_date=self.observation_date, features=features,
                log=self.log.value, k=first_k if first_k is not None else self.k.value,
                min_group=self.min_group, seed=self.seed, k_table=self._tables.get(key),
            )  # fmt: skip
        except CrmInputError as exc:
            self.status.value = error_box(str(exc))
            return None
        self._tables[key] = result.k_table
        self.result = result
        self.status.value = ""
        self.download.value = ""
        if self.k.value != result.k:
            self.k.unobserve_all("value")
            self.k.value = result.k
            self.k.observe(lambda _c: self.refresh(), names="value")
        self.k_chart.chart = k_score_chart(result.k_table, best=int(result.k_table.loc[
            result.k_table["silhouette"].idxmax(), "k"]))  # fmt: skip
        self.k_info.value = notes([K_ADVICE, f"Showing k = {result.k}."])
        self.profile_chart.chart = cluster_heatmap(result.profiles)
        table = profile_table(result).to_html(index=False, escape=True, border=0,
                                              float_format=lambda v: f"{v:,.2f}")  # fmt: skip
        self.profiles.value = f"<div id='crm-profiles'>{table}</div>"
        return result

    def _prepare_csv(self) -> None:
        if self.result is None:
            return
        self.download.value = download_link(
            membership_csv(self.result, self.min_group),
            "segments.csv",
            f"Download segment membership ({len(self.result.rfm):,} customers, pseudonymised)",
            "crm-segments-csv",
        )
