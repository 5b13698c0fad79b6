"""Fixes from the review of the evaluation analysis (issue 8), on hand-checkable inline data."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.intervention_ab import compare_arms
from crmlib.analysis.intervention_ts import impact
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.notebook.evaluation import before_after_inputs, evaluate_before_after


def _lines(weeks: int = 20, countries: dict[str, int] | None = None) -> pd.DataFrame:
    """Order lines from Monday 2021-01-04: customer ``i`` of a country orders once a week, on
    Tuesday, for ``10 + i`` plus 0 to 6; ``countries`` maps country to number of customers."""
    countries = countries or {"A": 5, "B": 5, "C": 5}
    rows = [
        {"order_id": f"{c}{i}-{w}", "customer_id": f"{c}{i}", "country": c,
         "order_date": pd.Timestamp("2021-01-05") + pd.Timedelta(weeks=w),
         "amount": 10.0 + i + (w * w + ord(c[0]) * w + i * i) % 7}
        for c, n in countries.items() for i in range(n) for w in range(weeks)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_empty_experiment_table_is_a_clear_message():
    empty = pd.DataFrame({"arm": pd.Series([], dtype=str), "y": pd.Series([], dtype=float)})
    with pytest.raises(EmptyResultError, match="experiment table has no rows"):
        compare_arms(empty, arm="arm", metrics=["y"])


@pytest.mark.parametrize("where", ["notebook", "impact"])
def test_unreadable_intervention_date_is_a_clear_message(where):
    with pytest.raises(CrmInputError, match="use YYYY-MM-DD"):
        if where == "notebook":
            evaluate_before_after(before_after_inputs(_lines()), intervention="not a date")
        else:
            frame = pd.DataFrame({"y": range(10)}, index=pd.date_range("2021-01-04", periods=10))
            impact(frame, outcome="y", intervention="not a date")


def test_time_series_table_names_the_metric_and_the_treated_group():
    result, _ = evaluate_before_after(before_after_inputs(_lines()), intervention="2021-04-12",
                                      treated="A", metric="revenue", draws=50)  # fmt: skip
    assert list(result.table["metric"]) == ["revenue (average per period)", "revenue (cumulative)"]
    assert set(result.table["group"]) == {"A"}
    assert "revenue of A averaged" in result.summary
