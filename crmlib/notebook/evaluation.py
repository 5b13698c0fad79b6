"""Notebook helpers of the evaluation: one computation shared by the report and the app.

The experiment part reads a one-row-per-customer table (Hillstrom by default) and compares
the arms. The before/after part builds weekly metrics per country from Online Retail and
evaluates a *hypothetical* intervention date with a counterfactual series (controls: other
countries) or, as a cross-check, difference-in-differences on a customer × month panel.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from crmlib.analysis.intervention import EvaluationResult, choose_design, parse_date
from crmlib.analysis.intervention_ab import compare_arms
from crmlib.analysis.intervention_did import diff_in_diff
from crmlib.analysis.intervention_metrics import (
    METRIC_DEFINITIONS,
    check_in_range,
    customer_panel,
    default_controls,
    defined_window,
    period_metrics,
    series_table,
    small_groups,
)
from crmlib.analysis.intervention_ts import impact
from crmlib.charts.html import STYLE, notes
from crmlib.charts.intervention import evaluation_chart
from crmlib.config import COUNTRY
from crmlib.errors import CrmInputError
from crmlib.io import read_table
from crmlib.notebook import show, show_table
from crmlib.privacy import DEFAULT_MIN_GROUP

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


def load_experiment(source: str, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Read an experiment table (one row per customer) with the project's reader.

    Parameters
    ----------
    source : str
        ``embedded:<name>`` or a CSV/TSV (optionally .gz), Parquet, Excel or DuckDB path, as
        :func:`crmlib.io.read_table` reads them.
    encoding : str
        Text encoding of a CSV/TSV (e.g. ``gb18030`` for Chinese exports).

    Returns
    -------
    pandas.DataFrame
        One row per unit; columns whose every value reads as a number are numeric, the others
        text as read.
    """
    frame = read_table(source, encoding=encoding)
    for column in frame.columns:
        values = frame[column]
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() == values.notna().sum():
            frame[column] = numbers
    return frame


@dataclass
class BeforeAfter:
    """Inputs of the Online Retail before/after example, computed once per data set."""

    weekly: pd.DataFrame
    transactions: pd.DataFrame
    hidden: list[str] = field(default_factory=list)
    k: int = DEFAULT_MIN_GROUP

    @property
    def note(self) -> str:
        """Which groups are left out as too small ("" when none)."""
        if not self.hidden:
            return ""
        shown = ", ".join(self.hidden[:6]) + (", …" if len(self.hidden) > 6 else "")
        return (
            f"{len(self.hidden)} countries with fewer than {self.k} customers ({shown}) are left "
            "out of the weekly series, the treated-group choices and the controls: their series "
            "would show the purchases of one or two people."
        )

    @property
    def weeks(self) -> list[pd.Timestamp]:
        """Week starts available as intervention dates."""
        return sorted(self.weekly["period"].unique())


def before_after_inputs(transactions: pd.DataFrame, *, k: int = DEFAULT_MIN_GROUP) -> BeforeAfter:
    """Weekly metrics per country from clean canonical transactions.

    Countries with fewer than ``k`` customers are left out of the weekly metrics (listed in
    ``hidden``, explained by ``note``); their customers stay in the transactions, where the
    customer-level design pools them with the other untreated customers.
    """
    weekly = period_metrics(transactions, freq="W", by=COUNTRY)
    hidden = small_groups(transactions, by=COUNTRY, k=k)
    weekly = weekly[~weekly[COUNTRY].astype(str).isin(hidden)].reset_index(drop=True)
    return BeforeAfter(weekly, transactions, hidden, k)


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
    too_small = [g for g in [treated, *(controls or [])] if g in inputs.hidden]
    if too_small:
        raise CrmInputError(
            f"{', '.join(map(repr, too_small))} has fewer than {inputs.k} customers: its weekly "
            "series would show one or two people's purchases, so it is not evaluated. Pick a "
            "larger country."
        )
    start = parse_date(intervention)
    check_in_range(pd.Index(inputs.weeks), start)
    end = start + pd.Timedelta(weeks=post_weeks) if post_weeks else None
    pre_start = start - pd.Timedelta(weeks=pre_weeks) if pre_weeks else None
    weeks = pd.Index(inputs.weeks)
    window = weeks[(weeks >= (pre_start or weeks[0])) & ((weeks < end) if end else True)]
    if not controls:
        controls = default_controls(inputs.weekly, treated, by=COUNTRY, metric=metric,
                                    periods=window)  # fmt: skip
    controls = list(controls)
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
    series, note = defined_window(series[series.index.isin(window)], metric, start)
    result = impact(series, outcome=treated, controls=controls,
                    intervention=start, draws=draws, metric=metric)  # fmt: skip
    return result, reason + f" Controls: weekly {metric} of {', '.join(controls)}." + note


def show_before_after(inputs: BeforeAfter, **choices: object) -> EvaluationResult:
    """Evaluate the before/after example and show it (the static report's section).

    Parameters
    ----------
    inputs : BeforeAfter
        From :func:`before_after_inputs`.
    **choices
        ``intervention``, ``metric``, ``treated``, ``pre_weeks``, ``post_weeks``, ``design``,
        as in :func:`evaluate_before_after`.

    Returns
    -------
    EvaluationResult
        The result shown.
    """
    result, reason = evaluate_before_after(inputs, **choices)
    show_result(result, reason, intervention=choices.get("intervention"))
    return result


RECORDED = ("actual", "counterfactual", "abs_effect", "ci_low", "ci_high", "p_value")


def effect_record(result: EvaluationResult | None, row: int = 0) -> dict[str, float] | None:
    """The headline numbers of one table row, for ``record`` (None without a result).

    Parameters
    ----------
    result : EvaluationResult or None
        Any design's result; None when the app showed an error instead.
    row : int
        Table row.

    Returns
    -------
    dict of str to float, or None
        ``actual``, ``counterfactual``, ``abs_effect``, ``ci_low``, ``ci_high``, ``p_value``.
    """
    if result is None:
        return None
    return {k: float(v) for k, v in result.table.iloc[row][list(RECORDED)].items()}


def effect_records(result: EvaluationResult) -> dict[str, dict[str, float]]:
    """:func:`effect_record` of every row, keyed ``"metric | group"``.

    Parameters
    ----------
    result : EvaluationResult
        E.g. the randomised comparison (one row per metric and arm).

    Returns
    -------
    dict of str to dict
        One entry per table row.
    """
    keys = result.table["metric"].astype(str) + " | " + result.table["group"].astype(str)
    return {key: effect_record(result, i) for i, key in enumerate(keys)}


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


def show_result(
    result: EvaluationResult,
    reason: str,
    *,
    intervention: str | pd.Timestamp | None = None,
) -> None:
    """Display the design and why, the effect table, the chart and the summary.

    Parameters
    ----------
    result : EvaluationResult
        Output of any design (one or more table rows).
    reason : str
        Why the design was chosen (from ``choose_design``).
    intervention : str or Timestamp, optional
        Date marked in the time-series chart.

    Returns
    -------
    None
        Shows its output in the notebook.
    """
    show(notes([f"Design: {reason}"]))
    show_table(effect_table(result), formats=FORMATS)
    show(evaluation_chart(result, intervention=intervention))
    show(summary_html(result))


def show_experiment(frame: pd.DataFrame, *, arm: str, metrics: list[str], control: str,
                    covariate: str, cuped: bool = True, design: str = "auto",
                    static: bool = True) -> EvaluationResult:  # fmt: skip
    """Choose the design, compare the arms and show the SRM check; with ``static`` also the
    table, chart and summary (the app shows those otherwise). ``covariate`` is used for CUPED
    only when ``cuped`` is true."""
    chosen, reason = choose_design(frame, assignment=arm, design=design)
    if chosen != "randomised":
        raise CrmInputError(f"The experiment table fits the randomised design, not {chosen!r}.")
    result = compare_arms(frame, arm=arm, metrics=metrics, control=control,
                          covariate=covariate if cuped else "")  # fmt: skip
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
    "effect_record",
    "effect_records",
    "effect_table",
    "evaluate_before_after",
    "headline_effect",
    "load_experiment",
    "show_before_after",
    "show_experiment",
    "show_result",
    "summary_html",
]
