"""Lifecycle stages, transitions, cohorts and early warnings on a hand-checkable table.

Expected stages are worked out by hand from the lines below with DEFAULT_STAGE_RULES (churned
after 180 days, at risk after max(2 × usual gap, 30) days, usual gap 60 with one order day) and
as_of 2011-09-01, so the periods are January to August 2011 and each is judged on the first day
of the next month.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.lifecycle import (
    DEFAULT_STAGE_RULES,
    STAGES,
    customer_stages,
    stage_counts,
    transition_matrix,
)
from crmlib.analysis.retention import cohort_retention, early_warning
from crmlib.config import EMBEDDED_DATA
from crmlib.errors import CrmInputError, EmptyResultError

LINES = [
    # order, date, customer, amount
    ("1", "2011-01-05 10:00", "A", 10.0),
    ("2", "2011-01-20 10:00", "A", 20.0),  # gap 15
    ("3", "2011-02-25 10:00", "A", 25.0),  # gap 36: usual gap median(15, 36) = 25.5 -> 51 days
    ("3", "2011-02-25 10:00", "A", 5.0),
    ("4", "2011-01-10 09:00", "B", 40.0),  # one order day: usual 60 -> at risk after 120 days
    ("5", "2011-08-15 09:00", "B", 50.0),  # after 203 days: back from churned
    ("6", "2011-03-15 08:00", "C", 7.0),  # two orders on one day count as one order day
    ("7", "2011-03-15 17:00", "C", 8.0),
    ("8", "2011-08-20 12:00", "D", 99.0),
    ("9", "2011-05-05 12:00", None, 1.0),  # no customer: left out
]
AS_OF = "2011-09-01"
PERIODS = [f"2011-{m:02d}" for m in range(1, 9)]
EXPECTED = {
    # A: Apr 1 is 35 days after Feb 25 (quiet), May 1 65 (> 51: at risk) ... Sep 1 188 (> 180)
    "A": ["new", "active", "quiet", "at_risk", "at_risk", "at_risk", "at_risk", "churned"],
    # B: Mar 1 50, Apr 1 81, May 1 111 days (quiet); Jun 1 142, Jul 1 172 (at risk);
    # Aug 1 203 (churned); orders in August -> reactivated
    "B": ["new", "quiet", "quiet", "quiet", "at_risk", "at_risk", "churned", "reactivated"],
    # C: May 1 47, Jun 1 78, Jul 1 108 (quiet); Aug 1 139, Sep 1 170 (at risk)
    "C": ["new", "quiet", "quiet", "quiet", "at_risk", "at_risk"],
    "D": ["new"],
    "E": ["potential"] * 8,
}


def _table(lines=LINES) -> pd.DataFrame:
    frame = pd.DataFrame(lines, columns=["order_id", "order_date", "customer_id", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame


def test_stages_follow_the_rules_by_hand():
    data = _table()
    before = data.copy()
    stages = customer_stages(data, as_of=AS_OF, customers=["A", "B", "C", "D", "E"])
    pd.testing.assert_frame_equal(data, before)  # input unchanged
    got = {
        cid: group.sort_values("period")["stage"].tolist()
        for cid, group in stages.groupby("customer_id")
    }
    assert got == EXPECTED
    a = stages[stages["customer_id"] == "A"].set_index("period")
    assert a.loc[pd.Period("2011-02", "M"), "revenue"] == 30.0
    assert a.loc[pd.Period("2011-01", "M"), "orders"] == 2
    assert a.loc[pd.Period("2011-04", "M"), "days_since_last_order"] == 65
    assert a.loc[pd.Period("2011-04", "M"), "usual_gap_days"] == 25.5
    assert a.loc[pd.Period("2011-04", "M"), "at_risk_after_days"] == 51
    c = stages[stages["customer_id"] == "C"]
    assert c["usual_gap_days"].eq(60).all()  # one order day: the default rhythm


def test_rules_are_data():
    stages = customer_stages(_table(), as_of=AS_OF, rules={"churn_days": 400})
    assert "churned" not in set(stages["stage"])
    assert DEFAULT_STAGE_RULES["churn_days"] == 180  # the defaults are not changed
    with pytest.raises(CrmInputError, match="Unknown lifecycle rule"):
        customer_stages(_table(), rules={"churn_day": 10})
    with pytest.raises(CrmInputError, match="positive number"):
        customer_stages(_table(), rules={"churn_days": -1})
    with pytest.raises(CrmInputError, match="period"):
        customer_stages(_table(), period="fortnight")


def test_counts_and_transitions_by_hand():
    stages = customer_stages(_table(), as_of=AS_OF)
    counts = stage_counts(stages)
    assert list(counts.columns) == [*STAGES, "customers"]
    aug = counts.loc[pd.Period("2011-08", "M")]
    assert (aug["new"], aug["reactivated"], aug["churned"], aug["at_risk"]) == (1, 1, 1, 1)
    assert aug["customers"] == 4
    moves = transition_matrix(stages)
    assert moves.loc["churned", "reactivated"] == 1
    assert moves.loc["new", "active"] == 1 and moves.loc["new", "quiet"] == 2
    assert moves.loc["at_risk", "churned"] == 2
    earlier = counts.iloc[:-1][list(STAGES)].sum()
    pd.testing.assert_series_equal(moves.sum(axis=1), earlier, check_names=False)
    one = transition_matrix(stages, period="2011-07")
    assert (
        one.sum(axis=1).to_dict() == counts.loc[pd.Period("2011-07", "M"), list(STAGES)].to_dict()
    )
    shares = transition_matrix(stages, shares=True)
    assert shares.loc["new"].sum() == pytest.approx(1.0)


def test_cohort_retention_by_hand():
    table = cohort_retention(_table())
    jan = table[table["cohort"] == pd.Period("2011-01", "M")].set_index("periods_since")
    assert jan.loc[0, "customers"] == 2 and jan.loc[0, "cohort_customers"] == 2
    assert jan.loc[1, "customers"] == 1 and jan.loc[1, "retention"] == 0.5  # A in February
    assert jan.loc[7, "customers"] == 1 and jan.loc[7, "revenue"] == 50.0  # B in August
    assert jan.loc[0, "revenue"] == 70.0


def test_early_warning_reason_value_and_pseudonyms():
    alerts = early_warning(_table(), as_of="2011-05-01", pseudonymise_ids=False)
    assert alerts["customer_id"].tolist() == ["A"]
    row = alerts.iloc[0]
    assert row["reason"] == "no order for 65 days, usually orders every 25.5"
    # 60 spent over 116 days (Jan 5 to May 1) = 3.81 months; 12 months at that pace
    assert row["value_at_risk"] == pytest.approx(60 / (116 / (365.25 / 12)) * 12)
    single = early_warning(_table(), as_of=AS_OF, pseudonymise_ids=False)
    assert single["customer_id"].tolist() == ["C"]  # A is churned by then, B and D are recent
    assert "only order day" in single.iloc[0]["reason"]
    hidden = early_warning(_table(), as_of="2011-05-01", key="test-key")
    assert hidden["customer_id"].iloc[0].startswith("C-") and hidden["customer_id"].iloc[0] != "A"
    assert len(early_warning(_table(), as_of="2011-05-01", threshold=3)) == 0  # 65 < 3 × 25.5
    with pytest.raises(CrmInputError, match="threshold"):
        early_warning(_table(), threshold=0)


def test_bad_input():
    one_day = _table([("1", "2011-03-01 09:00", "A", 5.0), ("2", "2011-03-01 15:00", "B", 6.0)])
    stages = customer_stages(one_day)
    assert stages["stage"].tolist() == ["new", "new"]
    assert transition_matrix(stages).to_numpy().sum() == 0
    assert early_warning(one_day).empty
    singles = _table([("1", "2011-01-03", "A", 5.0), ("2", "2011-09-03", "B", 6.0)])
    got = customer_stages(singles)
    assert got.loc[got["customer_id"] == "A", "stage"].tolist()[-1] == "churned"
    with pytest.raises(CrmInputError, match="columns"):
        customer_stages(one_day.drop(columns="amount"))
    with pytest.raises(CrmInputError, match="not dates"):
        customer_stages(one_day.assign(order_date="2011-03-01"))
    with pytest.raises(EmptyResultError, match="customer id"):
        customer_stages(one_day.assign(customer_id=pd.NA))
    with pytest.raises(EmptyResultError, match="as_of"):
        customer_stages(one_day, as_of="2010-01-01")
    with pytest.raises(CrmInputError, match="as_of"):
        early_warning(one_day, as_of="not a date")


@pytest.mark.skipif(not EMBEDDED_DATA["online_retail"].exists(), reason="embedded file missing")
def test_online_retail_transitions_add_up():
    from crmlib.io import customer_rows, load_transactions

    data = customer_rows(load_transactions("embedded:online_retail", use_cache=False).data)
    stages = customer_stages(data)
    counts = stage_counts(stages)
    assert counts["customers"].iloc[-1] == data["customer_id"].nunique()
    moves = transition_matrix(stages)
    earlier = counts.iloc[:-1][list(STAGES)].sum()
    pd.testing.assert_series_equal(moves.sum(axis=1), earlier, check_names=False)
    for period in counts.index[:-1]:
        rows = transition_matrix(stages, period=period).sum(axis=1)
        assert rows.to_dict() == counts.loc[period, list(STAGES)].to_dict()
    assert moves["new"].sum() == 0  # nobody becomes new again
    assert moves.loc["churned", "active"] == 0  # coming back from churned is "reactivated"
    alerts = early_warning(data)
    assert len(alerts) > 0 and alerts["value_at_risk"].is_monotonic_decreasing
    assert alerts["customer_id"].str.startswith("C-").all()
