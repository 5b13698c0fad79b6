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
# # Data overview
#
# What the transaction data holds after cleaning: how many customers, orders and products,
# revenue per month, new against returning customers, the top products and the country split.
# Start here before any other analysis: the cleaning report says which rows every later
# notebook uses.

# %% tags=["parameters"]
source: str = "embedded:online_retail"  # CSV/.gz, Parquet, Excel or DuckDB file, or embedded:<name>
sql: str = ""  # optional DuckDB query; a non-DuckDB source file is the table `data` in it
columns: dict = {}  # map of your column to canonical name; leave empty to recognise common names
start: str = ""  # first day shown, e.g. 2011-01-01 (empty: from the first order)
end: str = ""  # last day shown, e.g. 2011-06-30 (empty: to the last order)
country: str = ""  # one country to show (empty: all countries)
top_n: int = 10  # number of top products
min_group: int = 5  # smallest customer group shown on its own (privacy)
engine: str = "local"  # local; duckdb or spark also clean the raw file in SQL as a cross-check
interactive: bool = True  # widgets for JupyterLab and Voila; reports run with False

# %%
from crmlib.analysis import build_overview
from crmlib.io import load_transactions
from crmlib.notebook import setup, show_cleaning, show_overview
from crmlib.notebook.engine import engine_cleaning, show_engine, start_engine
from crmlib.record import record

setup(interactive)
timer = start_engine(engine)

# %% [markdown]
# ## Data and cleaning

# %%
with timer.step("read and clean (local)"):
    loaded = load_transactions(source, sql=sql or None, columns=columns)
show_cleaning(loaded.report)
engine_check = engine_cleaning(source, loaded.report, timer, sql=sql, columns=columns)

# %% [markdown]
# ## Overview

# %%
if interactive:
    from widgets import OverviewApp

    app = OverviewApp(loaded.data, top_n=top_n, k=min_group, start=start, end=end, country=country)
    display(app)  # noqa: F821
    overview = app.last
else:
    overview = build_overview(
        loaded.data, start=start, end=end, countries=[country] if country else [], top_n=top_n,
        k=min_group, monthly_by_country=True,
    )  # fmt: skip
    show_overview(overview)
show_engine(timer)

# %%
record("rows_in", loaded.report.rows_in)
record("rows_out", loaded.report.rows_out)
record("cleaning", {r: loaded.report.count(r) for r in loaded.report.table["reason"]})
record("overview_rows", overview["rows"])
record("headline", overview.get("headline"))
record("engine", timer.engine)
record("engine_seconds", timer.as_dict())
record("engine_cleaning", engine_check)
