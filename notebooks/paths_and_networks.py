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
# # Paths and networks
#
# In which order visitors browse and customers buy: frequent sequences (gaps allowed), rules
# "after A comes B", where visitors go next and where they leave, the commonest paths, a
# funnel; then who and what is connected: the product co-purchase network and a customer
# network, with their communities, hubs and bridges. Click-stream: MSNBC.com, 28 Sep 1999
# (989,818 sessions, 17 page categories, shipped whole); purchases: Online Retail.

# %% tags=["parameters"]
# fmt: off
source: str = "embedded:msnbc"  # click-stream: MSNBC .seq(.xz) file or event table
session_column: str = "session"  # event table only: session column
event_column: str = "page"  # event table only: event column
time_column: str = ""  # event table only: timestamp column (empty: row order)
min_support: float = 0.01  # share of sessions a pattern must occur in
max_length: int = 5  # most elements in a pattern
max_gap: int = 0  # most steps between pattern elements (0: any)
cap: int = 100  # events per session kept for paths and transitions (robot sessions)
depth: int = 4  # steps drawn in the path flow
start_page: str = "frontpage"  # start page whose following paths are shown
funnel_steps: list = ["frontpage", "news", "business"]  # funnel steps in order
purchases: str = "embedded:online_retail"  # transactions for purchase sequences and networks
purchase_support: float = 0.05  # share of customers for purchase patterns
purchase_length: int = 3  # most elements in a purchase pattern
top_products: int = 60  # products in the co-purchase network
min_baskets: int = 200  # orders holding both products that link them (metrics use these)
link_weight: int = 250  # link weight drawn first (the slider goes down to min_baskets)
max_customers: int = 200  # most active customers in the customer network
min_shared: int = 30  # distinct products two customers share to be linked
relations: str = ""  # optional relation table (columns source, target, weight) for customers
seed: int = 0  # seed of Louvain, layouts and betweenness samples
engine: str = "local"  # where pattern mining runs: local or spark (duckdb mines locally)
interactive: bool = True  # widgets for JupyterLab and Voila; reports run with False
# fmt: on

# %%
from crmlib.analysis.sequences import cap_sessions
from crmlib.io import customer_rows, load_transactions
from crmlib.notebook import setup
from crmlib.notebook.engine import show_engine, start_engine
from crmlib.notebook.paths import (
    analyse_paths,
    customer_network,
    load_clickstream,
    product_network,
    purchase_paths,
    record_networks,
    relation_network,
    show_network,
    show_paths,
    show_start_paths,
    source_key,
)
from crmlib.record import record

setup(interactive)
timer = start_engine(engine)

# %% [markdown]
# ## Click-stream: frequent paths, transitions and exits

# %%
seqs = load_clickstream(source, session=session_column, event=event_column, time_column=time_column)
key = source_key(source)
paths = analyse_paths(
    seqs, key=key, min_support=min_support, max_length=max_length, max_gap=max_gap, depth=depth,
    cap=cap, funnel_steps=funnel_steps, start="", timer=timer,
)  # fmt: skip
show_paths(paths, static=not interactive)
show_engine(timer)

# %% [markdown]
# ## Paths after a start page

# %%
capped = cap_sessions(seqs, cap or None)
if interactive:
    from widgets import PathsApp

    display(PathsApp(seqs, capped, key=key, min_support=min_support, max_length=max_length,  # noqa: F821
                     start=start_page, depth=depth))  # fmt: skip
else:
    show_start_paths(capped, start=start_page, depth=depth)

# %% [markdown]
# ## Purchase sequences (products in the order customers bought them)

# %%
loaded = load_transactions(purchases)
buyers = customer_rows(loaded.data)
bought = purchase_paths(buyers, source_key(purchases), min_support=purchase_support,
                        max_length=purchase_length)  # fmt: skip
show_paths(bought, static=not interactive)

# %% [markdown]
# ## Product co-purchase network

# %%
products = product_network(loaded.data, source_key(purchases), top_items=top_products,
                           min_baskets=min_baskets, seed=seed)  # fmt: skip
if interactive and products.network is not None:
    from widgets import NetworkApp

    display(NetworkApp(products, min_weight=link_weight, title="Products bought together"))  # noqa: F821
show_network(products, title="Products bought together", min_weight=min_baskets,
             static=not interactive, chart=not interactive)  # fmt: skip

# %% [markdown]
# ## Customer network (who buys the same products, or a relation table when given)

# %%
if relations:
    customers = relation_network(relations, seed=seed)
else:
    customers = customer_network(
        buyers, source_key(purchases), max_customers=max_customers, min_shared=min_shared,
        seed=seed,
    )  # fmt: skip
show_network(customers, title="Customer network", static=not interactive)

# %%
top = paths.patterns.head(4)
record("sessions", seqs.n_sequences)
record("patterns", len(paths.patterns))
record(
    "top_patterns", [[list(c), int(n)] for c, n in zip(top["codes"], top["sequences"], strict=True)]
)
record("mining_seconds", round(paths.seconds, 2))
record("engine", timer.engine)
record("engine_seconds", timer.as_dict())
record("purchase_patterns", len(bought.patterns))
record_networks(products, customers)
