# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Customer lifecycle and churn early warning
#
# Where customers are in their life cycle (new, active, quiet, at risk, churned, reactivated),
# how they move between stages, how cohorts retain, who is about to leave and what is at risk;
# and, on contract data (Telco), how long customers stay and what drives churn.

# %% tags=["parameters"]
# fmt: off
source: str = "embedded:online_retail"  # transactions file or embedded:<name>
engine: str = "local"  # where the per-order table is computed: local, duckdb or spark
period: str = "M"  # period of stages and cohorts: M (month) or Q (quarter)
stage_rules: dict = {}  # overrides of the stage rules, e.g. churn_days or at_risk_multiple
alert_threshold: float = 2.0  # alert when the gap exceeds this multiple of the usual gap
contracts: str = "data/telco/Telco-Customer-Churn.csv.gz"  # contract data with tenure and Churn
btyd_source: str = "data/cdnow/CDNOW_master.txt.gz"  # transaction log for BG/NBD (CDNOW layout)
calibration_end: str = "1997-09-30"  # end of the BG/NBD calibration period (39 weeks)
observation_end: str = "1998-06-30"  # end of the holdout period
time_convention: str = "periods"  # periods: distinct purchase weeks; days: days/7
folds: int = 5  # cross-validation folds of the churn models
seed: int = 0  # random seed of the churn models
interactive: bool = True  # widgets for JupyterLab and Voila; reports run with False
# fmt: on

# %%
from crmlib.config import PROJECT_ROOT
from crmlib.notebook import setup
from crmlib.notebook.engine import show_engine, start_engine
from crmlib.notebook.lifecycle import (
    load_orders,
    show_alerts,
    show_alive,
    show_btyd,
    show_cohorts,
    show_stages,
    show_survival_and_churn,
)
from crmlib.record import record

setup(interactive)
timer = start_engine(engine)

# %% [markdown]
# ## Stages and transitions

# %%
data = load_orders(source, timer)
stages = show_stages(data, period, stage_rules)
show_engine(timer)

# %% [markdown]
# ## Cohorts

# %%
cohorts = show_cohorts(data, period)

# %% [markdown]
# ## Early warning
#
# Customers overdue against their own rhythm, ranked by value at risk, with their BG/NBD
# P(alive) and how much it fell in the last 30 days. Pick a customer to see their history.

# %%
alive, alive_fit = show_alive(data)
if interactive:
    from widgets import LifecycleApp

    app = LifecycleApp(data, rules=stage_rules, threshold=alert_threshold, alive=(alive, alive_fit))
    display(app)  # noqa: F821
    alerts = app.current
else:
    alerts = show_alerts(data, alert_threshold, stage_rules, alive)

# %% [markdown]
# ## Value over time: BG/NBD, P(alive) and CLV
#
# Time is counted in distinct purchase weeks by default: on the CDNOW log it under-predicts the
# holdout by 10.5 % against 14.3 % for days/7, with a lower error per customer.

# %%
value = show_btyd(
    str(PROJECT_ROOT / btyd_source), calibration_end, observation_end, time_convention
)

# %% [markdown]
# ## Survival and churn drivers (contract data)

# %%
telco = show_survival_and_churn(str(PROJECT_ROOT / contracts), folds, seed)

# %%
record("engine", timer.engine)
record("stage_counts_last", {k: int(v) for k, v in stages["last"].items()})
record("transition_rows", stages["matrix"].sum(axis=1).to_dict())
record("alerts", len(alerts))
record("alerts_with_p_alive", int(alerts["p_alive"].notna().sum()) if len(alerts) else 0)
record("alive_fit", alive_fit and {k: getattr(alive_fit, k) for k in ("r", "alpha", "a", "b")})
record("holdout_predicted", value["diagnostic"].predicted_total)
record("holdout_actual", value["diagnostic"].actual_total)
record("holdout_relative_error", value["diagnostic"].relative_error)
record("holdout_mae", value["diagnostic"].mae)
record("churn_rate", telco["churn_rate"])
record("best_auc", float(telco["models"].scores["auc_mean"].max()))
record("logrank_p", telco["km"].logrank_p)
record(
    "cox_hazard_ratios",
    {f"{r.covariate} {r.level}".strip(): r.hazard_ratio for r in telco["cox"].itertuples()},
)
record("median_tenure", telco["km"].summary.set_index("group")["median"].to_dict())
