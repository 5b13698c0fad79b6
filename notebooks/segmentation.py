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
# # Customer segmentation and value
#
# Who the customers are by recency, frequency and spend: RFM scores 1–5 with ten named segments
# and a recommended action each, k-means clusters described in plain words (k chosen by
# silhouette, or by you), and where the revenue comes from (Pareto curve, value tiers,
# frequency × spend quadrants). Only rows with a customer id are used, after the data layer's
# cleaning (cancellations, reversed sales, non-products and non-positive lines removed).

# %% tags=["parameters"]
# fmt: off
source: str = "embedded:online_retail"  # transactions file or embedded:<name>
observation_date: str = ""  # date recency is measured at, e.g. 2011-12-10 (empty: day after last)
features: list = ["recency_days", "frequency", "monetary_total"]  # features clustered
log: bool = True  # log1p before standardising (RFM values are skewed)
k: int = 0  # number of clusters (0: best silhouette over k_min..k_max)
k_min: int = 2  # smallest k scored
k_max: int = 8  # largest k scored
min_group: int = 5  # smallest group shown on its own (privacy)
seed: int = 0  # random seed of k-means and of the silhouette sample
segment_rules: list = []  # named segment rules (name, r/f/m ranges, action); empty: the ten classic
engine: str = "local"  # where heavy steps run: local, duckdb (out of core) or spark
interactive: bool = True  # widgets for JupyterLab and Voila; reports run with False
# fmt: on

# %%
from crmlib.io import customer_rows, load_transactions
from crmlib.notebook import setup, show_cleaning
from crmlib.notebook.engine import engine_rfm, show_engine, start_engine
from crmlib.notebook.segmentation import (
    segment_customers,
    show_clusters,
    show_rfm,
    show_value,
)
from crmlib.record import record

setup(interactive)
timer = start_engine(engine)

# %% [markdown]
# ## Customers and RFM segments

# %%
with timer.step("read and clean"):
    loaded = load_transactions(source)
show_cleaning(loaded.report, customer_analysis=True)
data = customer_rows(loaded.data)
rfm = engine_rfm(source, timer, observation_date=observation_date)
with timer.step("scores, segments and clusters"):
    result = segment_customers(
        data, observation_date=observation_date, features=features, log=log, k=k,
        k_range=range(k_min, k_max + 1), min_group=min_group, seed=seed,
        segment_rules=segment_rules, rfm=rfm,
    )  # fmt: skip
show_rfm(result, min_group)
show_engine(timer)

# %% [markdown]
# ## Clusters

# %%
if interactive:
    from widgets import SegmentationApp

    app = SegmentationApp(
        data, features=features, k=k, log=log, min_group=min_group, seed=seed,
        observation_date=observation_date,
    )  # fmt: skip
    display(app)  # noqa: F821
else:
    show_clusters(result, min_group)

# %% [markdown]
# ## High-value customers

# %%
value = show_value(result)

# %%
record("customers", len(result.rfm))
record("orders", int(result.rfm["frequency"].sum()))
record("segment_sizes", result.summary.set_index("segment")["customers"].to_dict())
record("silhouette", result.k_table.set_index("k")["silhouette"].round(4).to_dict())
record("k", result.k)
record("cluster_sizes", result.profiles["customers"].tolist())
record("engine", timer.engine)
record("engine_seconds", timer.as_dict())
record("top_tier_share", float(value["tiers"]["revenue_share"].iloc[0]))
