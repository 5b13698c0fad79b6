"""Notebook helpers of the lifecycle analysis (static report sections)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crmlib import config as C
from crmlib.analysis.churn import churn_models, prepare_churn_table, read_telco
from crmlib.analysis.lifecycle import customer_stages, stage_counts, transition_matrix
from crmlib.analysis.retention import cohort_retention, early_warning
from crmlib.analysis.survival import cox_model, kaplan_meier
from crmlib.cache import cached, file_fingerprint, fingerprint
from crmlib.charts import download_link, empty_state, error_box, notes
from crmlib.charts.lifecycle import (
    calibration_chart,
    cohort_chart,
    flow_chart,
    stage_chart,
    survival_chart,
    transition_chart,
)
from crmlib.engines import StepTimer
from crmlib.errors import CrmInputError
from crmlib.notebook import show, show_table

STRATEGIES = {
    "new": "Welcome series; a second-order incentive within the usual gap.",
    "active": "Cross-sell from basket rules; loyalty perks for the most valuable.",
    "reactivated": "Confirm the comeback: personal thanks and a reason to stay.",
    "quiet": "Nothing special: they are within their usual rhythm.",
    "at_risk": "Win-back contact now, ranked by value at risk (alert list below).",
    "churned": "Low-cost reactivation campaigns only; learn why they left.",
}


def load_orders(source: str, timer: StepTimer) -> pd.DataFrame:
    """The transactions the lifecycle sections start from.

    Local engine: the clean order lines with a customer (the data layer reads and cleans
    ``source`` and its cleaning report is shown). DuckDB or Spark: one row per (customer,
    order) with ``order_date`` the order's first day and ``amount`` its total, computed by
    the engine (:func:`crmlib.notebook.engine.engine_orders`); the stages, cohorts and
    alerts computed from it are those of the order lines.

    Returns
    -------
    pandas.DataFrame
        Canonical columns ``customer_id``, ``order_id``, ``order_date``, ``amount`` (the
        local engine keeps the other line columns too).
    """
    from crmlib.io import customer_rows, load_transactions
    from crmlib.notebook import show_cleaning

    if timer.engine == "local":
        with timer.step("read and clean"):
            loaded = load_transactions(source)
        show_cleaning(loaded.report, customer_analysis=True)
        return customer_rows(loaded.data)
    from crmlib.notebook.engine import engine_orders

    orders = engine_orders(source, timer)
    show(notes([f"{timer.engine} read and cleaned the order lines with the data layer's rules "
                f"and returned {len(orders):,} orders of "
                f"{orders[C.CUSTOMER_ID].nunique():,} customers (one row per order); the "
                "stages below are computed from them."]))  # fmt: skip
    return orders


def show_stages(data: pd.DataFrame, period: str, rules: dict | None) -> dict[str, Any]:
    """Stage counts over time, the transition matrix and the strategy per stage."""
    stages = customer_stages(data, period=period, rules=rules or None)
    counts = stage_counts(stages)
    matrix = transition_matrix(stages)
    show(stage_chart(counts), transition_chart(matrix))
    periods = sorted(stages["period"].unique())
    if len(periods) >= 2:
        before, after = periods[-2], periods[-1]
        show(flow_chart(transition_matrix(stages, period=before), before=str(before),
                        after=str(after)))  # fmt: skip
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


def alive_scores(data: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """BG/NBD P(alive) of every customer (cached on disk by a hash of the orders)."""
    from crmlib.analysis.alive import alive_table

    cols = data[[C.CUSTOMER_ID, C.ORDER_DATE]]
    key = fingerprint("alive", int(pd.util.hash_pandas_object(cols, index=False).sum()))
    return cached("alive", key, lambda: alive_table(data))


def show_alive(data: pd.DataFrame) -> tuple[pd.DataFrame | None, Any]:
    """Fit BG/NBD on all customers; say what it found and how P(alive) is spread.

    When the data cannot carry the model (e.g. every order on one day) the reason is shown and
    ``(None, None)`` returned, so the alerts still run on the gap rule alone.
    """
    try:
        table, fit = alive_scores(data)
    except CrmInputError as exc:
        show(error_box(f"P(alive) not computed, alerts use the gap rule only: {exc}"))
        return None, None
    dropout = fit.a / (fit.a + fit.b)
    low = int((table["p_alive"] < 0.5).sum())
    show(notes([
        f"BG/NBD on {fit.n_customers:,} customers (weeks): r = {fit.r:.3f}, α = {fit.alpha:.3f}, "
        f"a = {fit.a:.4f}, b = {fit.b:.3f}; chance of dropping out after a purchase "
        f"{dropout:.2%}.",
        f"{low:,} customers have P(alive) below 0.5; "
        f"{int((table['p_alive_drop'] > 0.05).sum()):,} lost more than 0.05 in 30 days.",
        *(["The model sees almost no dropout in this history, so P(alive) stays near 1; "
           "the gap rule below carries the warning."] if dropout < 0.01 else []),
    ]))  # fmt: skip
    return table, fit


def show_alerts(
    data: pd.DataFrame, threshold: float, rules: dict | None, alive: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The ranked early-warning list (pseudonymised), or the empty state."""
    alerts = early_warning(data, threshold=threshold, rules=rules or None, alive=alive)
    if alerts.empty:
        show(empty_state("No customer crosses the alert threshold."))
        return alerts
    show(notes([f"{len(alerts):,} customers alerted; value at risk "
                f"{alerts['value_at_risk'].sum():,.0f}."]))  # fmt: skip
    cols = ["customer_id", "reason", "days_since_last_order", "value_at_risk"]
    cols += ["p_alive"] if "p_alive" in alerts.columns else []
    show_table(alerts[cols].head(25), formats={"value_at_risk": "{:,.0f}", "p_alive": "{:.2f}"})
    show(download_link(alerts.to_csv(index=False), "alerts.csv",
                       f"Download all {len(alerts):,} alerts as CSV (pseudonymised ids)",
                       "crm-alerts-csv"))  # fmt: skip
    return alerts


def show_survival_and_churn(path: str, folds: int, seed: int) -> dict[str, Any]:
    """Telco: Kaplan–Meier by contract with the log-rank test, churn models, drivers."""

    def compute():
        frame = prepare_churn_table(read_telco(path))
        km = kaplan_meier(frame, "tenure", "Churn", "Contract")
        models = churn_models(frame, "Churn", folds=folds, seed=seed)
        covariates = ["Contract", "InternetService", "MonthlyCharges"]
        return frame, km, models, cox_model(frame, "tenure", "Churn", covariates)

    key = fingerprint("telco", file_fingerprint(path), folds, seed)
    frame, km, models, cox = cached("telco", key, compute)
    show(survival_chart(km.curves, title="Customers still subscribed, by contract (months)"))
    show(notes([f"Log-rank test across contracts: p = {km.logrank_p:.2g}.",
                *frame.attrs.get("notes", [])]))  # fmt: skip
    show_table(km.summary)
    show_table(models.scores, formats={"auc_mean": "{:.3f}", "auc_sd": "{:.3f}"})
    show(calibration_chart(models.calibration))
    show(notes(list(models.drivers["sentence"].head(6))))
    show(notes(["Cox proportional hazards (hazard ratio > 1: leaves sooner), 95 % intervals:"]))
    show_table(cox, formats={c: "{:.3f}" for c in ("hazard_ratio", "ci_lower", "ci_upper")}
               | {"p": "{:.2g}"})  # fmt: skip
    return {"km": km, "models": models, "cox": cox, "churn_rate": float(frame["Churn"].mean())}


def show_btyd(
    path: str, calibration_end: str, observation_end: str, convention: str
) -> dict[str, Any]:
    """BG/NBD on a whitespace-separated log (CDNOW layout): parameters, holdout check by
    frequency group, Gamma-Gamma spend and the customers with the highest 52-week CLV."""
    import altair as alt

    from crmlib.analysis import btyd, spend
    from crmlib.privacy import pseudonymise

    def compute():
        tx = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
        summary = btyd.summary_table(
            tx, customer="customer_id", date="date", amount="dollar_value",
            calibration_end=calibration_end, observation_end=observation_end, freq="W",
            merge_same_day=True, convention=convention,
        )  # fmt: skip
        fit = btyd.fit_bgnbd(summary)
        return summary, fit, btyd.holdout_diagnostic(summary, fit)

    key = fingerprint("btyd", file_fingerprint(path), calibration_end, observation_end, convention)
    summary, fit, diag = cached("btyd", key, compute)
    clock = "distinct purchase weeks" if convention == "periods" else "days/7"
    show(notes([
        f"BG/NBD (weeks, time as {clock}): r = {fit.r:.3f}, α = {fit.alpha:.3f}, "
        f"a = {fit.a:.3f}, b = {fit.b:.3f}.",
        f"Holdout repeat purchases: predicted {diag.predicted_total:,.0f}, actual "
        f"{diag.actual_total:,.0f} ({diag.relative_error:+.1%}); mean absolute error per "
        f"customer {diag.mae:.3f}.",
    ]))  # fmt: skip
    table = diag.table.rename_axis("group").reset_index()
    if "group" not in table.columns or table.columns[0] != "group":
        table = table.rename(columns={table.columns[0]: "group"})
    show_table(table)
    long = table[table.iloc[:, 0].astype(str) != "total"].melt(
        id_vars=table.columns[0], value_vars=[c for c in table.columns if "mean" in c],
        var_name="series", value_name="repeat purchases",
    )  # fmt: skip
    first = table.columns[0]
    show(
        alt.Chart(long, title="Holdout: actual vs predicted repeat purchases by group", width=420)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{first}:O", title="Calibration purchases"),
            y="repeat purchases:Q",
            color="series:N",
        )
    )
    gg = spend.fit_gamma_gamma(summary)
    value = spend.clv(summary, fit, gg, horizon=52, discount_rate=0.0019)
    top = value.nlargest(10, "clv").copy()
    if "customer_id" in top.columns:
        top["customer_id"] = pseudonymise(top["customer_id"]).to_numpy()
    show_table(top, formats={"expected_purchases": "{:.2f}", "expected_spend": "{:,.2f}",
                             "clv": "{:,.2f}"})  # fmt: skip
    return {"fit": fit, "diagnostic": diag}
