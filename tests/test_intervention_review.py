"""Fixes from the review of the evaluation analysis (issue 8), each on hand-checkable inline data."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.intervention_ab import compare_arms
from crmlib.errors import EmptyResultError


def test_empty_experiment_table_is_a_clear_message():
    empty = pd.DataFrame({"arm": pd.Series([], dtype=str), "y": pd.Series([], dtype=float)})
    with pytest.raises(EmptyResultError, match="experiment table has no rows"):
        compare_arms(empty, arm="arm", metrics=["y"])
