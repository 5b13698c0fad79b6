"""Notebook helpers of the lifecycle analysis (static report sections)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crmlib.analysis.churn import (
    churn_models,
    kaplan_meier,
    prepare_churn_table,
    read_telco,
)
from crmlib.analysis.lifecycle import (
    cohort_retention,
    customer_stages,
    early_warning,
    stage_counts,
    transition_matrix,
)
from crmlib.charts import empty_state, notes
from crmlib.charts.lifecycle import (
    calibration_chart,
    cohort_chart,
    stage_chart,
    survival_chart,
    transition_chart,
)
from crmlib.notebook import show, show_table

STRATEGIES = {
    "new": "Welcome series; a second-order incentive within the usual gap.",
    "active": "Cross-sell from basket rules; loyalty perks for the most valuable.",
    "reactivated": "Confirm the comeback: personal thanks and a reason to stay.",
    "quiet": "Nothing special: they are within their usual rhythm.",
    "at_risk": "Win-back contact now, ranked by value at risk (alert list below).",
    "churned": "Low-cost reactivation campaigns only; learn why they left.",
}


def show_stages(data: pd.DataFrame, period: str, rules: dict | None) -> dict[str, Any]:
    """Stage counts over time, the transition matrix and the strategy per stage."""
    stages = customer_stages(data, period=period, rules=rules or None)
    counts = stage_counts(stages)
    matrix = transition_matrix(stages)
    show(stage_chart(counts), transition_chart(matrix))
    last = counts.iloc[-1]
    table = pd.DataFrame(
        {
            "stage": list(STRATEGIES),
            "customers now": [int(last.get(s, 0)) for s in STRATEGIES],
            "strategy": list(STRATEGIES.values()),
        }
    )
    show_table(table)
    return {"counts": counts, "matrix": matrix, "last": last}


def show_cohorts(data: pd.DataFrame, period: str) -> pd.DataFrame:
    """Retention heatmap by acquisition cohort."""
    table = cohort_retention(data, period=period)
    show(cohort_chart(table))
    return table


def show_alerts(data: pd.DataFrame, threshold: float, rules: dict | None) -> pd.DataFrame:
    """The ranked early-warning list (pseudonymised), or the empty state."""
    alerts = early_warning(data, threshold=threshold, rules=rules or None)
    if alerts.empty:
        show(empty_state("No customer crosses the alert threshold."))
        return alerts
    show(notes([f"{len(alerts):,} customers alerted; value at risk "
                f"{alerts['value_at_risk'].sum():,.0f}."]))  # fmt: skip
    cols = ["customer_id", "reason", "days_since_last_order", "value_at_risk"]
    show_table(alerts[cols].head(25), formats={"value_at_risk": "{:,.0f}"})
    return alerts


def show_survival_and_churn(path: str, folds: int, seed: int) -> dict[str, Any]:
    """Telco: Kaplan–Meier by contract with the log-rank test, churn models, drivers."""
    frame = prepare_churn_table(read_telco(path))
    km = kaplan_meier(frame, "tenure", "Churn", "Contract")
    show(survival_chart(km.curves, title="Customers still subscribed, by contract (months)"))
    show(notes([f"Log-rank test across contracts: p = {km.logrank_p:.2g}.",
                *frame.attrs.get("notes", [])]))  # fmt: skip
    show_table(km.summary)
    models = churn_models(frame, "Churn", folds=folds, seed=seed)
    show_table(models.scores, formats={"auc_mean": "{:.3f}", "auc_sd": "{:.3f}"})
    show(calibration_chart(models.calibration))
    show(notes(list(models.drivers["sentence"].head(6))))
    return {"km": km, "models": models, "churn_rate": float(frame["Churn"].mean())}
