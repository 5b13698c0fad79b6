"""Notebook helpers of the evaluation: one computation shared by the report and the app.

The experiment part reads a one-row-per-customer table (Hillstrom by default) and compares
the arms. The before/after part builds weekly metrics per country from Online Retail and
evaluates a *hypothetical* intervention date with a counterfactual series (controls: other
countries) or, as a cross-check, difference-in-differences on a customer × month panel.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from crmlib.analysis.intervention import EvaluationResult, choose_design, parse_date
from crmlib.analysis.intervention_ab import compare_arms
from crmlib.analysis.intervention_did import diff_in_diff
from crmlib.analysis.intervention_metrics import (
    METRIC_DEFINITIONS,
    customer_panel,
    period_metrics,
    series_table,
)
from crmlib.analysis.intervention_ts import impact
from crmlib.charts.html import STYLE, notes
from crmlib.charts.intervention import evaluation_chart
from crmlib.config import COUNTRY
from crmlib.errors import CrmInputError
from crmlib.io import resolve_source
from crmlib.notebook import show, show_table

HYPOTHETICAL = (
    "HYPOTHETICAL intervention date: nothing is known to have happened to these customers "
    "on {date}. The example shows the method; an 'effect' here is seasonality or chance that "
    "the model did not explain, which is exactly what the intervals are for."
)


def _plain(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _signed(value: float) -> str:
    return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+,.4g}"


FORMATS = {"actual": _plain, "counterfactual": _plain, "abs_effect": _signed,
           "rel_effect": "{:+.1%}", "ci_low": _signed, "ci_high": _signed,
           "p_value": "{:.3g}", "p_holm": "{:.3g}", "p_bh": "{:.3g}", "mde": _plain,
           "se": _plain, "variance_reduction": "{:.2%}"}  # fmt: skip
SHOWN = ["metric", "group", "actual", "counterfactual", "abs_effect", "rel_effect", "ci_low",
         "ci_high", "p_value", "p_holm", "p_bh", "mde", "n", "variance_reduction"]  # fmt: skip


def load_experiment(source: str) -> pd.DataFrame:
    """Read an experiment table (one row per customer), e.g. ``embedded:hillstrom``."""
    path = resolve_source(source)
    try:
        return pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise CrmInputError(f"Cannot read the experiment table {path}: {exc}") from exc


def default_controls(metrics: pd.DataFrame, treated: str, count: int = 3) -> list[str]:
    """The ``count`` groups with the most revenue, other than the treated one."""
    ranked = metrics.groupby(COUNTRY)["revenue"].sum().sort_values(ascending=False)
    return [g for g in ranked.index if g != treated][:count]


@dataclass
class BeforeAfter:
    """Inputs of the Online Retail before/after example, computed once per data set."""

    weekly: pd.DataFrame
    transactions: pd.DataFrame

    @property
    def weeks(self) -> list[pd.Timestamp]:
        """Week starts available as intervention dates."""
        return sorted(self.weekly["period"].unique())


def before_after_inputs(transactions: pd.DataFrame) -> BeforeAfter:
    """Weekly metrics per country from clean canonical transactions."""
    return BeforeAfter(period_metrics(transactions, freq="W", by=COUNTRY), transactions)


def evaluate_before_after(
    inputs: BeforeAfter,
    *,
    intervention: str,
    metric: str = "revenue",
    treated: str = "United Kingdom",
    controls: list[str] | None = None,
    pre_weeks: int = 0,
    post_weeks: int = 0,
    design: str = "auto",
    draws: int = 1000,
) -> tuple[EvaluationResult, str]:
    """Evaluate the (hypothetical) intervention on Online Retail; returns result and reason.

    ``design="auto"`` sees one weekly series per country and picks the time-series design;
    ``"did"`` compares treated customers with the others month by month. ``pre_weeks`` and
    ``post_weeks`` limit the periods before and after the date (0: all).
    """
    if metric not in METRIC_DEFINITIONS or metric == "satisfaction":
        raise CrmInputError(f"Unknown metric {metric!r}; use revenue, orders, active_customers, "
                            "aov, repeat_rate or retention.")  # fmt: skip
    start = parse_date(intervention)
    end = start + pd.Timedelta(weeks=post_weeks) if post_weeks else None
    controls = list(controls) if controls else default_controls(inputs.weekly, treated)
    series = series_table(
        inputs.weekly, metric=metric, by=COUNTRY, treated=treated, controls=controls
    )
    chosen, reason = choose_design(series, design=design)
    if chosen == "did":
        if metric not in ("revenue", "orders"):
            raise CrmInputError("The customer panel (DiD) is built for revenue or orders.")
        lines = inputs.transactions
        if end is not None:
            lines = lines[lines["order_date"] < end]
        panel = customer_panel(lines, freq="M", metric=metric,
                               treated=[treated], first_seen_before=start)  # fmt: skip
        result = diff_in_diff(panel, unit="customer_id", period="period", outcome=metric,
                              treated="treated", intervention=start)  # fmt: skip
        return result, reason + f" Units: customers; treated: customers in {treated}."
    if chosen != "time_series":
        raise CrmInputError("The before/after example supports the designs time_series and did.")
    pre_start = start - pd.Timedelta(weeks=pre_weeks) if pre_weeks else None
    series = series.dropna()  # ratios are undefined in periods without orders / predecessors
    if end is not None:
        series = series[series.index < end]
    result = impact(series, outcome=treated, controls=controls,
                    intervention=start, pre_start=pre_start, draws=draws,
                    metric=metric)  # fmt: skip
    return result, reason + f" Controls: weekly {metric} of {', '.join(controls)}."


def summary_html(result: EvaluationResult, element_id: str = "crm-summary") -> str:
    """The prose summary as escaped paragraphs, warnings in a red box."""
    warn = "".join(f"<div class='crm-error'>{html.escape(w)}</div>" for w in result.warnings)
    rest = [line for line in result.summary.splitlines() if line not in result.warnings]
    body = "".join(f"<p>{html.escape(line)}</p>" for line in rest)
    return f"{STYLE}<div id='{element_id}'>{warn}{body}</div>"


def headline_effect(result: EvaluationResult, row: int = 0) -> str:
    """The headline effect of one table row as short text, e.g. ``+7.66 points [7.00, 8.32]``."""
    r = result.table.iloc[row]
    if bool(r.get("rate", False)):
        return (f"{r['abs_effect'] * 100:+.2f} points [{r['ci_low'] * 100:+.2f}, "
                f"{r['ci_high'] * 100:+.2f}]")  # fmt: skip
    return f"{_signed(r['abs_effect'])} [{_signed(r['ci_low'])}, {_signed(r['ci_high'])}]"


def effect_table(result: EvaluationResult) -> pd.DataFrame:
    """The contract columns plus the design's most useful extras, for display."""
    return result.table[[c for c in SHOWN if c in result.table.columns]]


def show_result(result: EvaluationResult, reason: str, *, intervention=None) -> None:
    """Design and why, the table, the chart and the summary."""
    show(notes([f"Design: {reason}"]))
    show_table(effect_table(result), formats=FORMATS)
    show(evaluation_chart(result, intervention=intervention))
    show(summary_html(result))


def show_experiment(frame: pd.DataFrame, *, arm: str, metrics: list[str], control: str,
                    covariate: str, design: str = "auto", static: bool = True,
                    ) -> EvaluationResult:  # fmt: skip
    """Choose the design, compare the arms and show the SRM check; with ``static`` also the
    table, chart and summary (the app shows those otherwise)."""
    chosen, reason = choose_design(frame, assignment=arm, design=design)
    if chosen != "randomised":
        raise CrmInputError(f"The experiment table fits the randomised design, not {chosen!r}.")
    result = compare_arms(frame, arm=arm, metrics=metrics, control=control, covariate=covariate)
    if static:
        show_result(result, reason)
    else:
        show(notes([f"Design: {reason}"]))
    show_table(result.details["srm"], formats={"expected": "{:,.0f}", "share": "{:.2%}",
                                               "p_value": "{:.3f}"})  # fmt: skip
    return result


__all__ = [
    "BeforeAfter",
    "before_after_inputs",
    "effect_table",
    "evaluate_before_after",
    "headline_effect",
    "load_experiment",
    "show_experiment",
    "show_result",
    "summary_html",
]
