"""Lifecycle app: stage rules, an alert threshold slider and a customer picker."""

from __future__ import annotations

import altair as alt
import ipywidgets as W
import pandas as pd

from crmlib import config as C
from crmlib.analysis.alive import p_alive_curve
from crmlib.analysis.lifecycle import customer_stages, stage_counts
from crmlib.analysis.retention import early_warning
from crmlib.charts import download_link, empty_state, error_box
from crmlib.charts.lifecycle import p_alive_chart, stage_chart
from crmlib.errors import CrmInputError
from crmlib.privacy import pseudonymise
from widgets.common import App, enable_offline_charts, live_chart

ALERT_COLUMNS = ["customer_id", "reason", "days_since_last_order", "value_at_risk"]


class LifecycleApp(App):
    """Interactive lifecycle view.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean canonical transactions with customer ids.
    rules : dict, optional
        Stage rules (see :data:`crmlib.analysis.lifecycle.DEFAULT_STAGE_RULES`).
    threshold : float
        Initial alert threshold (multiple of the customer's usual gap).
    alive : (pandas.DataFrame, BgNbdFit), optional
        Output of :func:`crmlib.analysis.alive.alive_table`: alerts then carry P(alive) and
        the customer picker draws the customer's P(alive) curve.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        rules: dict | None = None,
        threshold: float = 2.0,
        alive: tuple[pd.DataFrame, object] | None = None,
    ):
        enable_offline_charts()
        self.data, self.rules = data, dict(rules or {})
        self.current = pd.DataFrame()
        self.alive, self.fit = alive if alive is not None else (None, None)
        self.period = W.Dropdown(options=[("month", "M"), ("quarter", "Q")], description="period")
        wide = {"description_width": "150px"}
        self.churn_days = W.IntSlider(
            value=self.rules.get("churn_days", 180), min=60, max=365, step=15,
            description="churned after (days)", continuous_update=False, style=wide,
        )  # fmt: skip
        self.at_risk = W.FloatSlider(
            value=self.rules.get("at_risk_multiple", 2.0), min=1.0, max=6.0, step=0.25,
            description="at risk at × usual gap", continuous_update=False, style=wide,
        )  # fmt: skip
        self.threshold = W.FloatSlider(
            value=threshold, min=1.0, max=6.0, step=0.25, description="alert at × usual gap",
            continuous_update=False, style=wide,
        )  # fmt: skip
        self.alert_count = W.HTML()
        self.alerts = W.HTML()
        self.download = W.HTML()
        self.csv_button = W.Button(description="Prepare CSV download", icon="download")
        self.csv_button.on_click(lambda _b: self._prepare_csv())
        self.status = W.HTML()
        self.picker = W.Dropdown(description="customer", layout=W.Layout(width="420px"))
        self.history, self.stages, self.curve = live_chart(), live_chart(), live_chart()
        self.period.observe(lambda _c: self.draw_stages(), names="value")
        self.churn_days.observe(lambda _c: (self.draw_stages(), self.draw_alerts()), names="value")
        self.at_risk.observe(lambda _c: self.draw_stages(), names="value")
        self.threshold.observe(lambda _c: self.draw_alerts(), names="value")
        self.picker.observe(lambda _c: self.draw_history(), names="value")
        self.widget = W.VBox(
            [
                W.HBox([self.period, self.churn_days, self.at_risk]),
                self.stages,
                W.HBox([self.threshold, self.alert_count]),
                self.status,
                self.alerts,
                W.HBox([self.csv_button, self.download]),
                self.picker,
                self.history,
                self.curve,
            ]
        )
        self._ids = pseudonymise(pd.Series(sorted(data[C.CUSTOMER_ID].dropna().unique())))
        self._raw = dict(zip(self._ids, sorted(data[C.CUSTOMER_ID].dropna().unique()), strict=True))
        self.draw_stages()
        self.draw_alerts()

    def _rules(self) -> dict:
        return {
            **self.rules,
            "churn_days": self.churn_days.value,
            "at_risk_multiple": self.at_risk.value,
        }

    def draw_stages(self) -> None:
        """Recompute stages with the current period and rules."""
        try:
            counts = stage_counts(
                customer_stages(self.data, period=self.period.value, rules=self._rules())
            )
            self.stages.chart = stage_chart(counts)
            self.status.value = ""
        except CrmInputError as exc:
            self.status.value = error_box(str(exc))

    def draw_alerts(self) -> pd.DataFrame:
        """Recompute the alert list for the threshold; returns it."""
        try:
            alerts = early_warning(
                self.data, threshold=self.threshold.value, rules=self._rules(), alive=self.alive
            )
        except CrmInputError as exc:
            self.status.value = error_box(str(exc))
            return pd.DataFrame()
        self.current = alerts
        self.download.value = ""
        value = alerts["value_at_risk"].sum() if len(alerts) else 0.0
        self.alert_count.value = (
            f"<b id='crm-alert-count'>{len(alerts):,}</b> customers alerted, "
            f"value at risk {value:,.0f}"
        )
        if alerts.empty:
            self.alerts.value = empty_state("No customer crosses this threshold; lower it.")
            self.picker.options = []
            return alerts
        columns = ALERT_COLUMNS + (["p_alive"] if "p_alive" in alerts.columns else [])
        table = alerts[columns].head(20).copy()
        table["value_at_risk"] = table["value_at_risk"].map("{:,.0f}".format)
        if "p_alive" in table.columns:
            table["p_alive"] = table["p_alive"].map("{:.2f}".format)
        self.alerts.value = table.to_html(index=False, escape=True, border=0)
        self.picker.options = list(alerts["customer_id"].head(50))
        return alerts

    def _prepare_csv(self) -> None:
        if self.current.empty:
            self.download.value = empty_state("No alerted customer to download.")
            return
        self.download.value = download_link(
            self.current.to_csv(index=False),
            "alerts.csv",
            f"Download the {len(self.current):,} alerts (pseudonymised ids)",
            "crm-alerts-csv",
        )

    def draw_history(self) -> None:
        """Monthly spend and P(alive) of the picked customer (pseudonym shown, raw id never)."""
        pseudonym = self.picker.value
        if not pseudonym:
            return
        rows = self.data[self.data[C.CUSTOMER_ID] == self._raw.get(pseudonym)]
        months = (
            rows.assign(month=rows[C.ORDER_DATE].dt.to_period("M").dt.to_timestamp())
            .groupby("month")[C.AMOUNT]
            .sum()
            .rename("spend")
            .reset_index()
        )
        self.history.chart = (
            alt.Chart(months, title=f"Spend per month of {pseudonym}", width=520)
            .mark_bar()
            .encode(x=alt.X("yearmonth(month):O", title="Month"), y=alt.Y("spend:Q"))
        )
        if self.fit is not None and not rows.empty:
            end = self.alive.attrs.get("as_of") if self.alive is not None else None
            curve = p_alive_curve(rows[C.ORDER_DATE], self.fit, end=end)
            self.curve.chart = p_alive_chart(curve, title=f"P(alive) of {pseudonym}, week by week")
