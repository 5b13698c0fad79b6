# %% [markdown]
# # Tiny report
#
# A fixture notebook for the report runner tests: one parameter cell, a printed line, a recorded
# value and two Altair charts (a second chart on the page must render too).

# %% tags=["parameters"]
n: int = 3  # number of bars in the chart
label: str = "demo"  # text echoed in the output
interactive: bool = True  # widgets when True; the report runner sets it to False

# %%
import altair as alt
import pandas as pd
from IPython.display import display

_ = alt.renderers.enable("html", template="inline")

# %%
print(f"tiny ran with n={n}, label={label}, interactive={interactive}")

# %% tags=["remove-cell"]
print("this line is for the analyst only")

# %% [markdown]
# ## Squares

# %%
frame = pd.DataFrame({"x": list(range(n)), "y": [v * v for v in range(n)]})
alt.Chart(frame, title="squares").mark_bar().encode(x="x:O", y="y:Q")

# %%
display({"application/vnd.crm.record+json": {"name": "bars", "value": n}}, raw=True)

# %%
alt.Chart(frame, title="growth").mark_line(point=True).encode(x="x:Q", y="y:Q")
