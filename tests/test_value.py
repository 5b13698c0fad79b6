"""Pareto curve, value tiers and quadrants on a hand-written RFM table of 8 customers.

Spend from high to low: E 400, D 320, B 300, A 120, F 120, H 50, C 15, G 8 (total 1,333).
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.value import (
    QUADRANTS,
    assign_quadrants,
    frequency_spend_quadrants,
    pareto_curve,
    value_tiers,
)
from crmlib.errors import CrmInputError, EmptyResultError

TOTAL = 1333.0


@pytest.fixture
def rfm() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": list("ABCDEFGH"),
            "recency_days": [1, 5, 30, 2, 40, 10, 1, 90],
            "frequency": [3, 2, 1, 4, 1, 2, 1, 1],
            "monetary_total": [120.0, 300.0, 15.0, 320.0, 400.0, 120.0, 8.0, 50.0],
        }
    )


def test_pareto_curve_every_customer(rfm):
    before = rfm.copy()
    curve = pareto_curve(rfm, points=None)
    pd.testing.assert_frame_equal(rfm, before)
    assert curve["customers"].tolist() == list(range(9))
    assert curve["customer_share"].tolist() == pytest.approx([i / 8 for i in range(9)])
    running = [0, 400, 720, 1020, 1140, 1260, 1310, 1325, 1333]
    assert curve["revenue_share"].tolist() == pytest.approx([r / TOTAL for r in running])


def test_pareto_curve_at_even_points(rfm):
    curve = pareto_curve(rfm, points=5)
    assert curve["customers"].tolist() == [0, 2, 4, 6, 8]
    assert curve["revenue_share"].tolist() == pytest.approx(
        [0, 720 / TOTAL, 1140 / TOTAL, 1310 / TOTAL, 1.0]
    )
    with pytest.raises(CrmInputError, match="points must be 2 or more"):
        pareto_curve(rfm, points=1)


def test_value_tiers_default(rfm):
    tiers = value_tiers(rfm)
    # ceil(0.01 * 8) = 1, ceil(0.05 * 8) = 1, ceil(0.2 * 8) = 2 top customers.
    assert tiers["tier"].tolist() == ["Top 1%", "Top 1%–5%", "Top 5%–20%", "Other 80%"]
    assert tiers["customers"].tolist() == [1, 0, 1, 6]
    assert tiers["revenue"].tolist() == [400.0, 0.0, 320.0, 613.0]
    assert tiers["cumulative_revenue_share"].tolist() == pytest.approx(
        [400 / TOTAL, 400 / TOTAL, 720 / TOTAL, 1.0]
    )
    assert tiers["min_spend"].tolist()[2:] == [320.0, 8.0]
    assert pd.isna(tiers.loc[1, "max_spend"])


def test_value_tiers_custom_and_bad(rfm):
    tiers = value_tiers(rfm, tiers=(0.25, 0.5))
    assert tiers["tier"].tolist() == ["Top 25%", "Top 25%–50%", "Other 50%"]
    assert tiers["customers"].tolist() == [2, 2, 2 + 2]
    assert tiers["revenue"].tolist() == [720.0, 420.0, 193.0]
    for bad in [(0.2, 0.1), (0.0, 0.5), (0.5, 1.0), ()]:
        with pytest.raises(CrmInputError, match="increasing shares"):
            value_tiers(rfm, tiers=bad)


def test_quadrants_by_hand(rfm):
    # Medians: frequency 1.5, spend 120; "high" is strictly above the median.
    placed = assign_quadrants(rfm)
    assert placed["quadrant"].astype(str).tolist() == [
        "Frequent small spenders",  # A 3 orders, 120
        "Frequent big spenders",  # B 2, 300
        "Occasional small spenders",  # C 1, 15
        "Frequent big spenders",  # D 4, 320
        "Occasional big spenders",  # E 1, 400
        "Frequent small spenders",  # F 2, 120
        "Occasional small spenders",  # G 1, 8
        "Occasional small spenders",  # H 1, 50
    ]
    table = frequency_spend_quadrants(rfm)
    assert table["quadrant"].tolist() == list(QUADRANTS.values())
    assert table["customers"].tolist() == [2, 2, 1, 3]
    assert table["revenue"].tolist() == [620.0, 240.0, 400.0, 73.0]
    assert table["revenue_share"].sum() == pytest.approx(1.0)
    assert table[["frequency_median", "spend_median"]].iloc[0].tolist() == [1.5, 120.0]
    assert table[["frequency", "spend"]].iloc[1].tolist() == ["high", "low"]


def test_empty_quadrant_is_listed(rfm):
    table = frequency_spend_quadrants(rfm.assign(frequency=1))
    assert table["customers"].tolist() == [0, 0, 3, 5]


def test_bad_spend(rfm):
    with pytest.raises(EmptyResultError, match="no customers"):
        pareto_curve(rfm.iloc[:0])
    with pytest.raises(CrmInputError, match="spend of 0 or more"):
        value_tiers(rfm.assign(monetary_total=-1.0))
    with pytest.raises(CrmInputError, match="total spend is 0"):
        frequency_spend_quadrants(rfm.assign(monetary_total=0.0))
    with pytest.raises(CrmInputError, match=r"\['monetary_total'\] not found"):
        pareto_curve(rfm.drop(columns="monetary_total"))
