"""Evaluation apps.

:class:`ExperimentApp` (randomised arms): metric and arm pickers and a CUPED switch; the effect
headline has the element id ``crm-ab-effect``. :class:`EvaluationApp` (before/after): metric,
treated group, design, intervention date and pre-period pickers; every change re-runs
:func:`crmlib.notebook.evaluation.evaluate_before_after`, the function the static report uses,
and redraws the effect headline (element id ``crm-effect``), the table, chart and summary.
"""

from __future__ import annotations

import html

import ipywidgets as W
import pandas as pd

from crmlib.analysis.intervention import EvaluationResult, parse_date
from crmlib.analysis.intervention_ab import compare_arms
from crmlib.charts import error_box
from crmlib.charts.intervention import arm_effects_chart, evaluation_chart
from crmlib.config import COUNTRY
from crmlib.errors import CrmInputError
from crmlib.notebook.evaluation import (
    FORMATS,
    BeforeAfter,
    effect_table,
    evaluate_before_after,
    headline_effect,
    summary_html,
)
from widgets.common import App, enable_offline_charts, live_chart

METRIC_CHOICES = ("revenue", "orders", "active_customers", "aov", "repeat_rate", "retention")
DESIGN_CHOICES = (("auto (from the data)", "auto"), ("time series", "time_series"),
                  ("difference-in-differences", "did"))  # fmt: skip
MIN_WEEKS = 8  # weeks before the earliest intervention date the slider offers
DRAWS = 400  # simulated paths per redraw: enough for a stable interval, fast to recompute


def _table_html(result: EvaluationResult) -> str:
    table = effect_table(result)
    styled = table.style.hide(axis="index").format(
        {k: v for k, v in FORMATS.items() if k in table.columns}, escape="html", na_rep=""
    )
    return f"<div id='crm-effect-table'>{styled.to_html()}</div>"


def _check_choices(inputs: BeforeAfter, *, metric: str, treated: str, design: str) -> list[str]:
    """The treated-group choices; a :class:`CrmInputError` for a value no picker offers."""
    if metric not in METRIC_CHOICES:
        raise CrmInputError(f"Unknown metric {metric!r}; use one of {', '.join(METRIC_CHOICES)}.")
    designs = [value for _, value in DESIGN_CHOICES]
    if design not in designs:
        raise CrmInputError(f"Unknown design {design!r}; use one of {', '.join(designs)}.")
    weeks = len(inputs.weeks)
    if weeks <= MIN_WEEKS:
        raise CrmInputError(
            f"The data covers {weeks} complete week(s); the before/after evaluation needs at "
            f"least {MIN_WEEKS + 1} ({MIN_WEEKS} to fit before the earliest intervention date). "
            "Load a longer period."
        )
    groups = sorted(map(str, inputs.weekly[COUNTRY].unique()))
    if treated not in groups:
        small = (
            f" ({treated!r} has fewer than {inputs.k} customers)"
            if treated in inputs.hidden
            else ""
        )
        raise CrmInputError(
            f"The treated group {treated!r} is not a country of the data{small}; choose one of "
            f"{', '.join(groups[:8])}{', …' if len(groups) > 8 else ''}."
        )
    return groups


class EvaluationApp(App):
    """Interactive before/after evaluation of a (hypothetical) intervention.

    Parameters
    ----------
    inputs : BeforeAfter
        Weekly metrics per country and the transactions (see
        :func:`crmlib.notebook.evaluation.before_after_inputs`).
    intervention : str
        Initial intervention date (snapped to the nearest week start).
    metric, treated, pre_weeks, post_weeks, design
        Initial choices, as in :func:`crmlib.notebook.evaluation.evaluate_before_after`.

    Raises
    ------
    CrmInputError
        A metric, design or treated group the pickers do not offer, an unreadable date, or
        data with fewer than nine complete weeks.
    """

    def __init__(
        self,
        inputs: BeforeAfter,
        *,
        intervention: str,
        metric: str = "revenue",
        treated: str = "United Kingdom",
        pre_weeks: int = 0,
        post_weeks: int = 0,
        design: str = "auto",
    ) -> None:
        groups = _check_choices(inputs, metric=metric, treated=treated, design=design)
        start = parse_date(intervention)
        enable_offline_charts()
        self.inputs = inputs
        weeks = inputs.weeks
        options = [(f"{pd.Timestamp(w):%Y-%m-%d}", pd.Timestamp(w)) for w in weeks[MIN_WEEKS:]]
        initial = min(options, key=lambda o: abs(o[1] - start))[1]
        wide = {"description_width": "130px"}
        self.date = W.SelectionSlider(
            options=options, value=initial, description="intervention date",
            continuous_update=False, style=wide, layout=W.Layout(width="520px"),
        )  # fmt: skip
        self.pre_weeks = W.IntSlider(
            value=pre_weeks, min=0, max=len(weeks), description="pre-period weeks (0: all)",
            continuous_update=False, style=wide, layout=W.Layout(width="520px"),
        )  # fmt: skip
        self.post_weeks = W.IntSlider(
            value=post_weeks, min=0, max=26, description="post-period weeks (0: all)",
            continuous_update=False, style=wide, layout=W.Layout(width="520px"),
        )  # fmt: skip
        self.metric = W.Dropdown(options=METRIC_CHOICES, value=metric, description="metric")
        self.treated = W.Dropdown(options=groups, value=treated, description="treated group")
        self.design = W.Dropdown(options=DESIGN_CHOICES, value=design, description="design")
        self.effect = W.HTML()
        self.status = W.HTML()
        self.table = W.HTML()
        self.summary = W.HTML()
        self.chart = live_chart()
        controls = (self.date, self.pre_weeks, self.post_weeks, self.metric, self.treated,
                    self.design)  # fmt: skip
        for control in controls:
            control.observe(lambda _c: self.refresh(), names="value")
        self.widget = W.VBox(
            [
                W.HBox([self.metric, self.treated, self.design]),
                self.date,
                self.pre_weeks,
                self.post_weeks,
                self.status,
                self.effect,
                self.table,
                self.chart,
                self.summary,
            ]
        )
        self.result: EvaluationResult | None = None
        self.refresh()

    def refresh(self) -> EvaluationResult | None:
        """Re-evaluate with the current controls and redraw; None (and a message) on bad input."""
        date = self.date.value
        try:
            result, reason = evaluate_before_after(
                self.inputs, intervention=str(date.date()), metric=self.metric.value,
                treated=self.treated.value, pre_weeks=self.pre_weeks.value,
                post_weeks=self.post_weeks.value, design=self.design.value, draws=DRAWS,
            )  # fmt: skip
        except CrmInputError as exc:
            self.status.value = error_box(str(exc))
            self.effect.value = "<span id='crm-effect'>n/a</span>"
            self.result = None
            return None
        self.result = result
        self.status.value = f"<p class='crm-note'>Design: {html.escape(reason)}</p>"
        row = result.table.iloc[0]
        label = html.escape(f"{row['metric']} in {self.treated.value}")
        self.effect.value = (
            f"<p>Effect on {label} from {date:%Y-%m-%d}: "
            f"<b id='crm-effect'>{html.escape(headline_effect(result))}</b></p>"
        )
        self.table.value = _table_html(result)
        self.chart.chart = evaluation_chart(result, intervention=date)
        self.summary.value = summary_html(result)
        return result


class ExperimentApp(App):
    """Interactive comparison of randomised arms.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer: the arm column, metric columns, optional covariate.
    arm, control, metrics, covariate
        As in :func:`crmlib.analysis.intervention_ab.compare_arms`; ``covariate`` is what the
        CUPED switch uses (the switch is off and disabled without one).
    """

    def __init__(self, frame: pd.DataFrame, *, arm: str, control: str, metrics: list[str],
                 covariate: str = "", cuped: bool = False) -> None:  # fmt: skip
        enable_offline_charts()
        self.frame, self.arm, self.control = frame, arm, control
        self.metrics, self.covariate = list(metrics), covariate
        self.metric = W.Dropdown(options=self.metrics, description="metric")
        self.arm_picker = W.Dropdown(description="arm")
        label = f"CUPED on {covariate or '(no covariate given)'}"
        self.cuped = W.Checkbox(value=bool(cuped and covariate), disabled=not covariate,
                                description=label)  # fmt: skip
        self.effect, self.status, self.table, self.summary = W.HTML(), W.HTML(), W.HTML(), W.HTML()
        self.chart = live_chart()
        self.metric.observe(lambda _c: self.draw(), names="value")
        self.arm_picker.observe(lambda _c: self.draw(), names="value")
        self.cuped.observe(lambda _c: self.refresh(), names="value")
        self.widget = W.VBox([W.HBox([self.metric, self.arm_picker, self.cuped]), self.status,
                              self.effect, self.chart, self.table, self.summary])  # fmt: skip
        self.result: EvaluationResult | None = None
        self.refresh()

    def refresh(self) -> EvaluationResult | None:
        """Compare the arms on every metric (with or without CUPED) and redraw."""
        try:
            self.result = compare_arms(
                self.frame, arm=self.arm, metrics=self.metrics, control=self.control,
                covariate=self.covariate if self.cuped.value else "",
            )  # fmt: skip
        except CrmInputError as exc:
            self.status.value = error_box(str(exc))
            self.result = None
            return None
        arms = list(dict.fromkeys(self.result.table["group"]))
        if list(self.arm_picker.options) != arms:
            self.arm_picker.options = arms
        if self.arm_picker.value is None:
            self.arm_picker.value = arms[0]
        self.table.value = _table_html(self.result)
        self.summary.value = summary_html(self.result, "crm-ab-summary")
        self.draw()
        return self.result

    def draw(self) -> None:
        """Headline and chart of the picked metric and arm."""
        if self.result is None or self.arm_picker.value is None:
            return
        table = self.result.table
        row = table.index[(table["metric"] == self.metric.value)
                          & (table["group"] == self.arm_picker.value)][0]  # fmt: skip
        self.status.value = ""
        self.effect.value = (
            f"<p>{html.escape(self.arm_picker.value)} vs. {html.escape(self.control)} on "
            f"{html.escape(self.metric.value)}: <b id='crm-ab-effect'>"
            f"{html.escape(headline_effect(self.result, row))}</b></p>"
        )
        self.chart.chart = arm_effects_chart(table, metric=self.metric.value)
