"""NPS, CSAT and mean rating with intervals on hand-checkable data; segments and comparisons."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crmlib.analysis.satisfaction import (
    MERGED,
    compare_segments,
    csat,
    mean_rating,
    nps,
    score_by,
    score_over_time,
    valid_scores,
    wilson,
)
from crmlib.errors import CrmInputError, EmptyResultError


def test_nps_shares_and_multinomial_interval():
    # 10 answers: promoters 9,10,10,9 (0.4); passives 7,8 (0.2); detractors 0,5,6,3 (0.4)
    r = nps([9, 10, 10, 9, 7, 8, 0, 5, 6, 3])
    assert (r["promoters"], r["passives"], r["detractors"]) == (0.4, pytest.approx(0.2), 0.4)
    assert r["nps"] == 0.0
    # Var(P - D) = (P + D - (P - D)^2) / n = 0.8 / 10 -> se = 100 * sqrt(0.08) = 28.28
    assert r["se"] == pytest.approx(28.2843, abs=1e-4)
    assert (r["ci_low"], r["ci_high"]) == (
        pytest.approx(-55.437, abs=1e-3),
        pytest.approx(55.437, abs=1e-3),
    )


def test_nps_all_promoters_has_zero_width_interval_clipped_at_100():
    r = nps([10] * 7)
    assert r["nps"] == 100.0 and r["se"] == 0.0 and r["ci_high"] == 100.0


def test_csat_wilson_interval_matches_hand_computation():
    r = csat([5, 4, 2, 1])  # 2 of 4 in the top two boxes
    assert r["csat"] == 0.5
    # Wilson for p = 1/2 is symmetric: 0.5 ± 1.96 * sqrt(1/16 + 1.96^2/64) / (1 + 1.96^2/4)
    z = 1.959963984540054
    half = z * math.sqrt(0.25 / 4 + z * z / 64) / (1 + z * z / 4)
    assert r["ci_low"] == pytest.approx(0.5 - half) and r["ci_high"] == pytest.approx(0.5 + half)
    assert round(r["ci_low"], 4) == 0.15


def test_wilson_known_value_and_edges():
    low, high = wilson(0, 10)  # no successes: lower bound 0, upper 0.2775 (published tables)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-4)
    assert all(math.isnan(v) for v in wilson(0, 0))


def test_mean_rating_t_interval():
    r = mean_rating([1, 2, 3, 4, 5])  # s = sqrt(2.5), t(0.975, 4) = 2.776445
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert r["mean"] == 3.0 and r["ci_high"] == pytest.approx(3 + half, abs=1e-5)


def test_valid_scores_excludes_and_counts_out_of_range():
    s, bad = valid_scores(pd.Series(["5", "6", "0", "x", None, "", "3"]), 1, 5, name="rating")
    assert s.tolist() == [5.0, 3.0] and bad == 3


def test_empty_answers_raise_clear_error():
    with pytest.raises(EmptyResultError, match="No NPS answers"):
        nps([])


def test_score_by_merges_small_groups_and_hides_if_still_small():
    df = pd.DataFrame({"s": [5, 4, 4, 2, 1, 5, 5, 5, 3, 4, 1, 2], "g": list("aaaaaabbbbbc")})
    table, note = score_by(df, "s", metric="csat", by="g", k=5)
    a = table.set_index("group").loc["a"]
    assert a["n"] == 6 and a["value"] == pytest.approx(4 / 6)
    merged = table.set_index("group").loc[MERGED]
    assert merged["n"] == 1 and np.isnan(merged["value"])
    assert "merged" in note and "hidden" in note


def test_score_by_rejects_unknown_metric():
    with pytest.raises(CrmInputError, match="metric must be one of"):
        score_by(pd.DataFrame({"s": [1]}), "s", metric="ces")


def test_compare_segments_flags_a_clear_difference():
    df = pd.DataFrame({"s": [5] * 40 + [1] * 40, "g": ["good"] * 40 + ["bad"] * 40})
    out = compare_segments(df, "s", "g", metric="csat").set_index("group")
    assert out.loc["bad", "note"] == "significantly lower"
    assert out.loc["good", "difference"] == pytest.approx(1.0)


def test_compare_segments_no_difference_note():
    df = pd.DataFrame({"s": [5, 1] * 20, "g": ["x", "x", "y", "y"] * 10})
    out = compare_segments(df, "s", "g", metric="rating")
    assert set(out["note"]) == {"no significant difference"}


def test_score_over_time_by_month():
    df = pd.DataFrame({
        "s": [10, 9, 0, 10, 10, 10, 10, 10, 10],
        "d": ["2024-01-03"] * 3 + ["2024-02-01"] * 6,
    })  # fmt: skip
    out = score_over_time(df, "s", "d", metric="nps")
    assert out["period"].tolist() == ["2024-01", "2024-02"]
    assert np.isnan(out.loc[0, "value"])  # 3 answers: hidden
    assert out.loc[1, "value"] == 100.0


def test_score_over_time_hides_nps_shares_of_small_periods():
    # January: one answer (10) would show promoters = 1.0, i.e. that person's answer
    df = pd.DataFrame({"s": [10, 9, 8, 3, 10, 0], "d": ["2024-01-09"] + ["2024-02-01"] * 5})
    out = score_over_time(df, "s", "d", metric="nps").set_index("period")
    jan = out.loc["2024-01"]
    assert jan["n"] == 1
    shown = jan.drop("n")
    assert shown.isna().all(), shown[shown.notna()]
    assert out.loc["2024-02", "promoters"] == pytest.approx(0.4)  # 2 of 5 kept visible


@pytest.mark.parametrize("call", [score_by, compare_segments])
def test_missing_score_or_segment_column_names_the_columns_found(call):
    df = pd.DataFrame({"rating": [5, 4], "channel": ["a", "b"]})
    with pytest.raises(CrmInputError, match=r"No score column 'Rating'.*rating, channel"):
        call(df, "Rating", by="channel")
    with pytest.raises(CrmInputError, match=r"No segment column 'Channel'.*rating, channel"):
        call(df, "rating", by="Channel")


def test_compare_segments_rejects_unknown_metric():
    df = pd.DataFrame({"s": [5, 1] * 20, "g": ["x", "x", "y", "y"] * 10})
    with pytest.raises(CrmInputError, match="metric must be one of"):
        compare_segments(df, "s", "g", metric="mean")


def test_compare_segments_single_segment_says_why():
    df = pd.DataFrame({"s": [5, 4] * 20, "ch": ["app"] * 40})  # one group of 40
    with pytest.raises(EmptyResultError, match=r"same 'ch' \(app, 40 responses\)"):
        compare_segments(df, "s", "ch", k=5)
    two = pd.DataFrame({"s": [5] * 12, "ch": ["app"] * 10 + ["web"] * 2})
    with pytest.raises(EmptyResultError, match="largest segment 10 of 12"):
        compare_segments(two, "s", "ch", k=5)
