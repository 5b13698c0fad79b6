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
# # Evaluation of an intervention
#
# Did a CRM measure change anything? A naive before/after difference confuses the measure with
# season and trend, so the design is chosen from the data's shape: randomised arms are compared
# directly (A/B test), a treated and an untreated group observed before and after are compared by
# difference-in-differences, and a single treated series is compared with a forecast of itself
# from the pre-period (with control series). Every design gives the same table (actual,
# counterfactual, effect, interval, p), a chart and a summary in plain words.

# %% tags=["parameters"]
# fmt: off
experiment: str = "embedded:hillstrom"  # randomised experiment table, one row per customer
arm_column: str = "segment"  # column with the arm of each customer
control_arm: str = "No E-Mail"  # label of the control arm
metrics: list = ["visit", "conversion", "spend"]  # outcome columns compared between arms
covariate: str = "history"  # pre-period column for CUPED variance reduction (empty: none)
cuped: bool = False  # apply CUPED with the covariate (the published figures are without)
source: str = "embedded:online_retail"  # transactions for the before/after example
intervention_date: str = "2011-06-06"  # HYPOTHETICAL date of the before/after example (a Monday)
treated_group: str = "United Kingdom"  # country treated in the before/after example
retail_metric: str = "revenue"  # revenue, orders, active_customers, aov, repeat_rate or retention
pre_weeks: int = 0  # weeks before the date used to fit (0: all)
post_weeks: int = 8  # weeks after the date evaluated (0: to the end; autumn peak follows)
design: str = "auto"  # design of the before/after example: auto, time_series or did
interactive: bool = True  # widgets for JupyterLab and Voila; reports run with False
# fmt: on

# %%
from crmlib.charts import notes
from crmlib.io import load_transactions
from crmlib.notebook import setup, show, show_cleaning
from crmlib.notebook.evaluation import (
    HYPOTHETICAL,
    before_after_inputs,
    effect_record,
    effect_records,
    load_experiment,
    show_before_after,
    show_experiment,
)
from crmlib.record import record

setup(interactive)

# %% [markdown]
# ## Randomised experiment: the Hillstrom e-mail test
#
# 64,000 customers were split at random into a men's e-mail, a women's e-mail and no e-mail;
# visits, conversions and spend were measured for two weeks. Random assignment makes the arms
# comparable, so the difference of means is the effect. Published figures: visit rate 10.62 %
# without e-mail, 18.28 % men's (+7.66 points, 95 % CI 7.00–8.32), 15.14 % women's (+4.52,
# CI 3.89–5.16); the sample-ratio check gives p = 0.90.

# %%
frame = load_experiment(experiment)
ab = show_experiment(frame, arm=arm_column, metrics=metrics, control=control_arm,
                     covariate=covariate, cuped=cuped, static=not interactive)  # fmt: skip
if interactive:
    from widgets import ExperimentApp

    display(ExperimentApp(frame, arm=arm_column, control=control_arm, metrics=metrics,  # noqa: F821
                          covariate=covariate, cuped=cuped))  # fmt: skip

# %% [markdown]
# ## Before and after on Online Retail (hypothetical date)
#
# Weekly metrics per country; the treated country's series is forecast from its own past and
# the weekly series of the three largest other countries (controls). The post-period is limited
# to a few weeks by default: over a longer one the autumn peak of this wholesaler, which the
# controls follow only partly, would be counted as an "effect".

# %%
loaded = load_transactions(source)
show_cleaning(loaded.report)
inputs = before_after_inputs(loaded.data)
show(notes([HYPOTHETICAL.format(date=intervention_date), inputs.note]))
if interactive:
    from widgets import EvaluationApp

    app = EvaluationApp(inputs, intervention=intervention_date, metric=retail_metric,
                        treated=treated_group, pre_weeks=pre_weeks, post_weeks=post_weeks,
                        design=design)  # fmt: skip
    display(app)  # noqa: F821
    before_after = app.result
else:
    before_after = show_before_after(inputs, intervention=intervention_date, metric=retail_metric,
                                     treated=treated_group, pre_weeks=pre_weeks,
                                     post_weeks=post_weeks, design=design)  # fmt: skip

# %%
record("srm_p", float(ab.details["srm"]["p_value"].iloc[0]))
record("arm_sizes", ab.details["srm"].set_index("arm")["customers"].to_dict())
record("effects", effect_records(ab))
record("before_after_design", getattr(before_after, "design", None))
record("before_after", effect_record(before_after))
