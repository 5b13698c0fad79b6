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
# # Basket analysis
#
# Which products are bought together: association rules with counts a manager can read, the
# co-occurrence web, cross-sell coverage between products, and recommendations checked on
# held-out baskets. Support is counted as "at least" (as R arules counts it), and every rule
# carries its lift, significance and the number of baskets that could still be cross-sold.

# %% tags=["parameters"]
# fmt: off
source: str = "embedded:online_retail"  # data file, or embedded:online_retail / embedded:groceries
layout: str = "auto"  # transactions, lines (one basket per line), wide (flag table) or auto
basket_level: str = "order"  # one basket per order, or per customer
item_label: str = "description"  # item column used as label (description or item)
categories: str = ""  # optional item-to-category CSV (embedded:groceries for its hierarchy)
category_level: str = "category"  # categories file column (Groceries: category, department)
min_support: float = 0.01  # fraction of baskets (0.01 is 1 %), or a basket count of 1 or more
min_confidence: float = 0.5  # smallest confidence of a rule (rules exactly at it are kept)
min_lift: float = 0.0  # smallest lift of a rule
max_len: int = 4  # most items in a rule (0 for no limit)
max_consequent: int = 1  # items on the right-hand side (1 is the arules convention)
exclude: list = []  # items left out of mining
antecedent_only: list = []  # items allowed only on the left-hand side
consequent_only: list = []  # items allowed only on the right-hand side
correction: str = "holm"  # multiple-testing correction (holm, bonferroni, fdr_bh, none)
top_n: int = 10  # rules spelled out in words
cross_sell_products: list = []  # products compared for cross-sell (empty picks from the top rules)
cross_sell_target: float = 0.0  # target share of B among holders of A (0 uses B's overall share)
holdout_days: int = 30  # last days of orders held out to test recommendations
hit_rate_n: int = 5  # recommendations per held-out basket
who_buys_item: str = ""  # product profiled in "who buys it" (empty: the most frequent one)
engine: str = "local"  # where heavy steps run: local, duckdb (out of core) or spark
interactive: bool = True  # widgets for JupyterLab and Voila; reports run with False
# fmt: on

# %%
import pandas as pd

from crmlib.analysis import evaluate_hit_rate
from crmlib.charts import empty_state
from crmlib.io import load_transactions
from crmlib.notebook import setup, show, show_table
from crmlib.notebook.basket import (
    show_baskets,
    show_cross_sell,
    show_recommendations,
    show_rules,
    show_webs,
    show_who_buys,
)
from crmlib.notebook.engine import engine_baskets, engine_rules, show_engine, start_engine
from crmlib.record import record

setup(interactive)
timer = start_engine(engine)
unit = "customers" if basket_level == "customer" else "baskets"
load = dict(layout=layout, basket=basket_level, item=item_label, categories=categories,
            category_level=category_level)  # fmt: skip
options = dict(min_support=min_support, min_confidence=min_confidence, min_lift=min_lift,
               max_len=max_len or None, max_consequent=max_consequent, exclude=exclude,
               antecedent_only=antecedent_only, consequent_only=consequent_only,
               correction=correction)  # fmt: skip

# %% [markdown]
# ## Baskets and rules

# %%
baskets = engine_baskets(source, load, timer)
result = engine_rules(baskets, source, load, options, timer)
show_baskets(baskets, result, unit)
show_engine(timer)

# %% [markdown]
# ## Rule explorer

# %%
if interactive:
    from widgets import RuleExplorerApp

    app = RuleExplorerApp(baskets, result, unit=unit, mine_options=options)
    display(app)  # noqa: F821
else:
    show_rules(result, baskets, unit, top_n)

# %% [markdown]
# ## Co-occurrence web

# %%
best = result.rules.sort_values("lift", ascending=False)
target = best["consequent"].iloc[0][0] if len(best) else None
web = show_webs(baskets, target)

# %% [markdown]
# ## Cross-sell coverage

# %%
in_top_rules = [i for r in best.head(3).itertuples() for i in r.antecedent + r.consequent]
picked = cross_sell_products or list(dict.fromkeys(in_top_rules))[:4]
coverage = show_cross_sell(baskets, picked, cross_sell_target)

# %% [markdown]
# ## Recommendations and their hit rate on held-out baskets

# %%
tested = (
    load_transactions(source)
    if layout in ("auto", "transactions") and source != "embedded:groceries"
    else None
)
hits = evaluate_hit_rate(
    tested.data if tested is not None else baskets, n=hit_rate_n,
    holdout=pd.Timedelta(days=holdout_days) if tested is not None else 0.2, basket=basket_level,
    item=item_label, min_support=min_support, min_confidence=0.1, max_len=max_len or None,
)  # fmt: skip
show_table(hits.table(), formats={"hit_rate": "{:.1%}"})
show_recommendations(result, baskets, hit_rate_n)

# %% [markdown]
# ## Who buys it: customer attributes and a small decision tree

# %%
if tested is not None:
    wanted = who_buys_item or str(baskets.item_counts().index[0])
    who = show_who_buys(tested.data, wanted, item_label, top_n)
else:
    who = {}
    show(empty_state("Customer attributes need a transaction table with customer ids."))

# %%
record("who_buys", who)
record("baskets", baskets.n_baskets)
record("items", baskets.n_items)
record("min_count", result.min_count)
record("rules", len(result.rules))
record("engine", timer.engine)
record("engine_seconds", timer.as_dict())
record("funnel", result.funnel)
record("hit_rate_rules", hits.hit_rate_rules)
record("hit_rate_popular", hits.hit_rate_popular)
record("hit_rate_cases", hits.cases)
record("web_links", web["links"])
