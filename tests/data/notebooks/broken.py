# %% [markdown]
# # Broken report
#
# A fixture notebook whose third cell raises, for the report runner's failure path.

# %% tags=["parameters"]
threshold: float = 0.5  # a value the failing cell complains about
interactive: bool = True  # widgets when True; the report runner sets it to False

# %%
print("broken started")

# %%
raise ValueError(f"threshold {threshold} is out of range")

# %%
print("never reached")
