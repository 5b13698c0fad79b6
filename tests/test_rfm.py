"""RFM table, scores and segments on a hand-checkable table of 8 customers.

Expected values are worked out by hand from the lines below (observation day 2011-12-10, the day
after the last order), not computed by the code under test.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.rfm import rfm_scores, rfm_table
from crmlib.analysis.segments import DEFAULT_SEGMENTS, assign_segments, segment_summary
from crmlib.errors import CrmInputError, EmptyResultError

LINES = [
    # order, date, customer, amount
    ("1001", "2011-12-09 15:30", "A", 10.0),
    ("1001", "2011-12-09 15:30", "A", 20.0),
    ("1002", "2011-12-01 09:00", "A", 50.0),
    ("1003", "2011-11-30 11:00", "A", 40.0),
    ("1004", "2011-12-05 10:00", "B", 100.0),
    ("1005", "2011-11-20 10:00", "B", 200.0),
    ("1006", "2011-11-10 08:00", "C", 15.0),
    ("1007", "2011-12-08 12:00", "D", 80.0),
    ("1008", "2011-12-07 12:00", "D", 80.0),
    ("1009", "2011-12-06 12:00", "D", 80.0),
    ("1010", "2011-12-05 12:00", "D", 80.0),
    ("1011", "2011-10-31 16:00", "E", 400.0),
    ("1012", "2011-11-30 17:00", "F", 60.0),
    ("1013", "2011-11-25 17:00", "F", 60.0),
    ("1014", "2011-12-09 08:00", "G", 8.0),
    ("1015", "2011-09-11 13:00", "H", 25.0),
    ("1015", "2011-09-11 13:00", "H", 25.0),
    ("1016", "2011-12-03 10:00", None, 999.0),  # no customer: left out
]
IDS = list("ABCDEFGH")
RECENCY = [1, 5, 30, 2, 40, 10, 1, 90]
FREQUENCY = [3, 2, 1, 4, 1, 2, 1, 1]
TOTAL = [120.0, 300.0, 15.0, 320.0, 400.0, 120.0, 8.0, 50.0]
AVERAGE = [40.0, 150.0, 15.0, 80.0, 400.0, 60.0, 8.0, 50.0]
TENURE = [10, 20, 30, 5, 40, 15, 1, 90]
# Scores, ties shared: rank r of n = 8 gives floor((r - 1) * 5 / 8) + 1.
R_SHARED = [4, 3, 2, 4, 1, 2, 4, 1]
F_SHARED = [4, 3, 1, 5, 1, 3, 1, 1]
M_SHARED = [2, 4, 1, 4, 5, 2, 1, 2]
SEGMENTS = [
    "Loyal Customers",  # A 4-4-2
    "Need Attention",  # B 3-3-4
    "Hibernating",  # C 2-1-1
    "Champions",  # D 4-5-4
    "Lost",  # E 1-1-5
    "At Risk",  # F 2-3-2
    "New Customers",  # G 4-1-1
    "Lost",  # H 1-1-2
]


@pytest.fixture
def tx() -> pd.DataFrame:
    frame = pd.DataFrame(LINES, columns=["order_id", "order_date", "customer_id", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame


@pytest.fixture
def rfm(tx) -> pd.DataFrame:
    return rfm_table(tx)


def test_rfm_table_hand_values(tx):
    before = tx.copy()
    out = rfm_table(tx)
    pd.testing.assert_frame_equal(tx, before)
    assert list(out.columns) == [
        "customer_id", "recency_days", "frequency", "monetary_total", "monetary_avg",
        "tenure_days", "first_order", "last_order",
    ]  # fmt: skip
    assert out["customer_id"].tolist() == IDS
    assert out["recency_days"].tolist() == RECENCY
    assert out["frequency"].tolist() == FREQUENCY
    assert out["monetary_total"].tolist() == TOTAL
    assert out["monetary_avg"].tolist() == AVERAGE
    assert out["tenure_days"].tolist() == TENURE
    assert out.loc[0, "first_order"] == pd.Timestamp("2011-11-30 11:00")
    assert out.loc[0, "last_order"] == pd.Timestamp("2011-12-09 15:30")
    assert out.attrs["notes"] == []


def test_earlier_observation_date_shows_customers_as_they_stood(tx):
    out = rfm_table(tx, observation_date="2011-11-30")
    assert out["customer_id"].tolist() == list("ABCEFH")  # D and G had not bought yet
    assert out["recency_days"].tolist() == [0, 10, 20, 30, 0, 80]
    assert out["frequency"].tolist() == [1, 1, 1, 1, 2, 1]
    assert out["monetary_total"].tolist() == [40.0, 200.0, 15.0, 400.0, 120.0, 50.0]
    assert "9 order line(s) after the observation date 2011-11-30" in out.attrs["notes"][0]


def test_observation_date_before_the_data_says_so(tx):
    with pytest.raises(EmptyResultError, match=r"before the first order \(2011-09-11\)"):
        rfm_table(tx, observation_date="2011-01-01")
    with pytest.raises(CrmInputError, match="date like"):
        rfm_table(tx, observation_date="next tuesday")


def test_time_zone_aware_dates(tx):
    aware = tx.assign(order_date=tx["order_date"].dt.tz_localize("America/New_York"))
    out = rfm_table(aware)
    assert out["recency_days"].tolist() == RECENCY  # days counted on the data's own clock
    assert str(out["last_order"].dt.tz) == "America/New_York"
    # 03:00 UTC on the 10th is 22:00 on the 9th in New York: A and G bought that day.
    late = rfm_table(aware, observation_date=pd.Timestamp("2011-12-10 03:00", tz="UTC"))
    assert late["recency_days"].tolist() == [r - 1 for r in RECENCY]
    assert rfm_table(aware, observation_date="2011-12-10")["recency_days"].tolist() == RECENCY
    naive = rfm_table(tx, observation_date=pd.Timestamp("2011-12-10 03:00", tz="UTC"))
    assert naive["recency_days"].tolist() == RECENCY  # its own wall-clock day


def test_negative_and_missing_amounts(tx):
    bad = pd.concat([tx, tx.iloc[[4]].assign(amount=-100.0)], ignore_index=True)
    bad.loc[0, "amount"] = None
    with pytest.raises(CrmInputError, match="1 with a missing amount and 1 with a negative"):
        rfm_table(bad)
    out = rfm_table(bad, invalid="drop")
    assert out.loc[1, "monetary_total"] == 300.0  # B's return line left out
    assert out.loc[0, "monetary_total"] == 110.0  # A's 10.0 line was the missing one
    assert out.attrs["notes"] == [
        "Unusable order lines left out: 1 with a missing amount and 1 with a negative amount "
        "(returns, corrections)."
    ]
    with pytest.raises(CrmInputError, match="invalid must be one of"):
        rfm_table(tx, invalid="ignore")


def test_bad_tables(tx):
    with pytest.raises(CrmInputError, match=r"\['amount'\] not found"):
        rfm_table(tx.drop(columns="amount"))
    with pytest.raises(CrmInputError, match="not dates"):
        rfm_table(tx.assign(order_date=tx["order_date"].astype(str)))
    with pytest.raises(EmptyResultError, match="no order line has a customer id"):
        rfm_table(tx.assign(customer_id=pd.NA))


def test_scores_shared_ties(rfm):
    before = rfm.copy()
    scores, notes = rfm_scores(rfm)
    pd.testing.assert_frame_equal(rfm, before)
    assert scores["r_score"].tolist() == R_SHARED
    assert scores["f_score"].tolist() == F_SHARED
    assert scores["m_score"].tolist() == M_SHARED
    assert scores["rfm_code"].tolist() == ["442", "334", "211", "454", "115", "232", "411", "112"]
    assert notes == [
        "R uses scores 1, 2, 3, 4 of 1–5 only: 25% of customers share recency_days = 1 "
        "(ties score alike).",
        "F uses scores 1, 3, 4, 5 of 1–5 only: frequency has only 4 distinct value(s).",
        "M uses scores 1, 2, 4, 5 of 1–5 only: 25% of customers share monetary_total = 120 "
        "(ties score alike).",
    ]


def test_scores_first_breaks_ties_by_row_order(rfm):
    scores, notes = rfm_scores(rfm, ties="first")
    assert scores["r_score"].tolist() == [4, 3, 2, 4, 1, 2, 5, 1]
    assert scores["f_score"].tolist() == [4, 3, 1, 5, 1, 4, 2, 2]
    assert scores["m_score"].tolist() == [2, 4, 1, 4, 5, 3, 1, 2]
    assert notes == []


def test_scores_degrade_with_few_customers(rfm):
    scores, notes = rfm_scores(rfm.head(2), bins=5)
    assert scores["f_score"].tolist() == [3, 1]  # ranks 2 and 1 of 2
    assert any("only 2 customers" in n for n in notes)
    one, notes = rfm_scores(rfm.head(1))
    assert one[["r_score", "f_score", "m_score"]].iloc[0].tolist() == [1, 1, 1]
    empty, notes = rfm_scores(rfm.iloc[:0])
    assert empty.empty and "r_score" in empty and notes == ["There are no customers to score."]
    with pytest.raises(CrmInputError, match="at least 2"):
        rfm_scores(rfm, bins=1)
    with pytest.raises(CrmInputError, match=r"\['frequency'\] not found"):
        rfm_scores(rfm.drop(columns="frequency"))


def test_segments_by_hand(rfm):
    scores, _ = rfm_scores(rfm)
    out = assign_segments(scores)
    assert out["segment"].astype(str).tolist() == SEGMENTS
    assert list(out["segment"].cat.categories) == [r["name"] for r in DEFAULT_SEGMENTS]
    assert "segment" not in scores


def test_default_rules_cover_the_grid():
    grid = pd.DataFrame(
        [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)],
        columns=["r_score", "f_score", "m_score"],
    )
    named = assign_segments(grid).set_index(["r_score", "f_score", "m_score"])["segment"]
    assert "Unclassified" not in set(named.astype(str))
    assert named[(5, 5, 5)] == "Champions"
    assert named[(5, 5, 3)] == "Loyal Customers"
    assert named[(1, 5, 5)] == "Can't Lose Them"
    assert named[(2, 4, 1)] == "At Risk"
    assert named[(3, 1, 5)] == "About to Sleep"
    assert named[(1, 2, 5)] == "Lost"
    assert set(named[named == "Lost"].index.get_level_values(0)) == {1}


def test_custom_rules_and_bad_rules(rfm):
    scores, _ = rfm_scores(rfm)
    rules = [{"name": "Recent", "r": (4, 5)}, {"name": "Big", "m": (5, 5)}]
    out = assign_segments(scores, rules)
    assert out["segment"].astype(str).tolist() == [
        "Recent", "Unclassified", "Unclassified", "Recent", "Big", "Unclassified", "Recent",
        "Unclassified",
    ]  # fmt: skip
    with pytest.raises(CrmInputError, match="inclusive range"):
        assign_segments(scores, [{"name": "X", "r": (5, 4)}])
    with pytest.raises(CrmInputError, match="needs a 'name'"):
        assign_segments(scores, [{"r": (4, 5)}])
    with pytest.raises(CrmInputError, match="repeated"):
        assign_segments(scores, [{"name": "X"}, {"name": "X"}])
    seven, _ = rfm_scores(rfm, bins=7)
    with pytest.raises(CrmInputError, match="written for scores 1–5"):
        assign_segments(seven)


def test_segment_summary(rfm):
    segmented = assign_segments(rfm_scores(rfm)[0])
    table, note = segment_summary(segmented, k=1)
    assert note == ""
    assert table["segment"].tolist() == [
        "Champions", "Loyal Customers", "At Risk", "New Customers", "Need Attention",
        "Hibernating", "Lost",
    ]  # fmt: skip
    lost = table.set_index("segment").loc["Lost"]
    assert lost["customers"] == 2
    assert lost["customer_share"] == pytest.approx(2 / 8)
    assert lost["revenue"] == pytest.approx(450.0)
    assert lost["revenue_share"] == pytest.approx(450 / 1333)
    assert lost["mean_recency_days"] == pytest.approx(65.0)
    assert lost["mean_frequency"] == pytest.approx(1.0)
    assert lost["action"].startswith("Include only in cheap mass campaigns")
    assert table["customer_share"].sum() == pytest.approx(1.0)


def test_segment_summary_merges_small_segments(rfm):
    segmented = assign_segments(rfm_scores(rfm)[0])
    table, note = segment_summary(segmented)  # k = 5: every segment here is smaller
    assert table["segment"].tolist() == ["Other (small groups)"]
    assert table["customers"].tolist() == [8]
    assert table["revenue"].tolist() == [1333.0]
    assert "7 group(s) with fewer than 5 customers" in note
