# %% [markdown]
# # Slow report
#
# A fixture notebook with a cell that outlasts a short per-cell timeout.

# %% tags=["parameters"]
seconds: float = 60.0  # how long the slow cell sleeps

# %%
import time

time.sleep(seconds)
