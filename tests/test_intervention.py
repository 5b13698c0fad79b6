"""Intervention evaluation on hand-checkable inline data: each design, the contract, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.analysis.intervention import EFFECT_COLUMNS, choose_design
from crmlib.analysis.intervention_ab import adjust_pvalues, compare_arms, cuped_adjust
from crmlib.analysis.intervention_did import diff_in_diff
from crmlib.analysis.intervention_metrics import period_metrics
from crmlib.analysis.intervention_ts import NO_CONTROLS_WARNING, impact
from crmlib.errors import CrmInputError


def _arms(control, treated):
    return pd.DataFrame({"arm": ["c"] * len(control) + ["t"] * len(treated),
                         "y": [*control, *treated]})  # fmt: skip


def test_difference_in_means_by_hand():
    frame = _arms([1, 2, 3, 4], [3, 4, 5, 6])
    row = compare_arms(frame, arm="arm", metrics=["y"], control="c").table.iloc[0]
    # means 2.5 and 4.5, both variances 5/3: se = sqrt(2 * 5/3 / 4), Welch df = 6
    se = np.sqrt(2 * (5 / 3) / 4)
    assert list(row.index[: len(EFFECT_COLUMNS)]) == EFFECT_COLUMNS
    assert row["abs_effect"] == pytest.approx(2.0)
    assert row["rel_effect"] == pytest.approx(0.8)
    assert row["ci_high"] - row["abs_effect"] == pytest.approx(2.446912 * se, rel=1e-5)
    assert row["p_value"] == pytest.approx(0.0714, abs=5e-4)  # two-sided t(6) at t = 2.191


def test_holm_and_bh_by_hand():
    p = np.array([0.01, 0.04, 0.03])
    assert adjust_pvalues(p, "holm") == pytest.approx([0.03, 0.06, 0.06])
    assert adjust_pvalues(p, "fdr_bh") == pytest.approx([0.03, 0.04, 0.04])


def test_cuped_removes_the_covariate_variance():
    x = np.array([1.0, 2, 3, 4, 5, 6])
    y = 2 * x + np.array([0.1, -0.1, 0.1, -0.1, 0.1, -0.1])
    adjusted, reduction = cuped_adjust(y, x)
    assert reduction > 0.99
    assert adjusted.mean() == pytest.approx(y.mean())


def test_srm_is_flagged_loudly():
    frame = _arms([0, 1] * 500, [0, 1] * 400)
    result = compare_arms(frame, arm="arm", metrics=["y"])
    assert result.warnings and "SAMPLE-RATIO MISMATCH" in result.warnings[0]
    assert result.summary.startswith("SAMPLE-RATIO MISMATCH")
    planned = compare_arms(frame, arm="arm", metrics=["y"], expected_ratios=[5, 4])
    assert not planned.warnings


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (_arms([0, 1, 0], []), {}, "Only one arm"),
        (_arms([1, 1, 1], [1, 1, 1]), {}, "no variance"),
        (_arms([0, 1, 0], [1, 1, 0]), {"control": "x"}, "Control arm 'x'"),
        (_arms([0, 1, 0], [1, 1, 0]), {"metrics": ["spend"]}, "no column 'spend'"),
    ],
)
def test_bad_experiments_have_clear_messages(frame, kwargs, message):
    with pytest.raises(CrmInputError, match=message):
        compare_arms(frame, **{"arm": "arm", "metrics": ["y"], **kwargs})


def _panel(effect=3.0):
    rows = []
    for unit, treated in (("a", True), ("b", True), ("c", False), ("d", False)):
        for period in range(4):
            base = {"a": 10, "b": 12, "c": 5, "d": 7}[unit] + period  # common trend
            y = base + (effect if treated and period >= 2 else 0) + (0.5 if unit in "ac" else 0)
            rows.append({"unit": unit, "period": period, "y": y, "treated": treated})
    return pd.DataFrame(rows)


def test_did_equals_the_two_by_two_difference():
    result = diff_in_diff(_panel(3.0).assign(y=lambda f: f["y"] + np.r_[[0.1, -0.1] * 8]),
                          unit="unit", period="period", outcome="y", treated="treated",
                          intervention=2)  # fmt: skip
    row = result.table.iloc[0]
    means = _panel(3.0).assign(post=lambda f: f["period"] >= 2)
    means["y"] += np.r_[[0.1, -0.1] * 8]
    m = means.groupby(["treated", "post"])["y"].mean()
    by_hand = (m[(True, True)] - m[(True, False)]) - (m[(False, True)] - m[(False, False)])
    assert row["abs_effect"] == pytest.approx(by_hand)
    assert row["actual"] - row["counterfactual"] == pytest.approx(by_hand)
    events = result.details["events"]
    assert events.loc[events["relative"] == -1, "coef"].item() == 0.0


def test_did_bad_input():
    panel = _panel()
    with pytest.raises(CrmInputError, match="missing"):
        diff_in_diff(panel.iloc[1:], unit="unit", period="period", outcome="y",
                     treated="treated", intervention=2)  # fmt: skip
    with pytest.raises(CrmInputError, match="Pick a date inside the data"):
        diff_in_diff(panel, unit="unit", period="period", outcome="y", treated="treated",
                     intervention=9)  # fmt: skip
    with pytest.raises(CrmInputError, match="treated and untreated"):
        diff_in_diff(panel.assign(treated=True), unit="unit", period="period", outcome="y",
                     treated="treated", intervention=2)  # fmt: skip


def _series(n=40, effect=0.0, seed=0):
    rng = np.random.default_rng(seed)
    x = 50 + np.cumsum(rng.normal(0, 1, n))
    y = 10 + 0.8 * x + rng.normal(0, 0.5, n)
    y[30:] += effect
    index = pd.date_range("2021-01-04", periods=n, freq="W-MON")
    return pd.DataFrame({"y": y, "x": x}, index=index), index[30]


def test_impact_finds_a_clear_effect_and_warns_without_controls():
    frame, start = _series(effect=10.0)
    result = impact(frame, outcome="y", controls=["x"], intervention=start, draws=400)
    avg = result.table.iloc[0]
    assert avg["ci_low"] < 10 < avg["ci_high"] and avg["p_value"] < 0.01
    assert result.table.iloc[1]["abs_effect"] == pytest.approx(avg["abs_effect"] * 10)
    assert not result.warnings
    bare = impact(frame, outcome="y", intervention=start, draws=200)
    assert bare.warnings == [NO_CONTROLS_WARNING]
    series = result.details["series"]
    assert series["post"].sum() == 10 and series["cumulative"].notna().sum() == 10


def test_impact_bad_input():
    frame, start = _series()
    with pytest.raises(CrmInputError, match="outside the data"):
        impact(frame, outcome="y", intervention="2030-01-01")
    with pytest.raises(CrmInputError, match="pre-period has 4 periods"):
        impact(frame, outcome="y", intervention=frame.index[4])
    gappy = frame.copy()
    gappy.iloc[5, 0] = np.nan
    with pytest.raises(CrmInputError, match="missing periods"):
        impact(gappy, outcome="y", intervention=start)


def test_design_is_chosen_from_the_shape():
    arms = pd.DataFrame({"segment": ["a", "b", "a"], "visit": [0, 1, 1]})
    assert choose_design(arms)[0] == "randomised"
    panel = _panel()
    assert choose_design(panel, unit="unit", period="period")[0] == "did"
    frame, _ = _series()
    assert choose_design(frame)[0] == "time_series"
    assert choose_design(frame, design="did")[0] == "did"
    with pytest.raises(CrmInputError, match="Cannot tell the design"):
        choose_design(pd.DataFrame({"y": [1, 2]}))


def test_period_metrics_by_hand():
    lines = pd.DataFrame(
        {"order_id": ["1", "1", "2", "3", "4", "5"],
         "order_date": pd.to_datetime(["2021-01-04", "2021-01-04", "2021-01-05", "2021-01-12",
                                       "2021-01-13", "2021-01-24"]),
         "amount": [10.0, 5.0, 20.0, 8.0, 2.0, 4.0],
         "customer_id": ["a", "a", "a", "a", "b", "b"]}
    )  # fmt: skip
    m = period_metrics(lines, freq="W").set_index("period")
    first, second = m.loc["2021-01-04"], m.loc["2021-01-11"]
    assert (first["revenue"], first["orders"], first["active_customers"]) == (35, 2, 1)
    assert first["aov"] == pytest.approx(17.5) and first["repeat_rate"] == 1.0
    assert (second["revenue"], second["active_customers"], second["retention"]) == (10, 2, 1.0)
    assert m.loc["2021-01-18", "retention"] == pytest.approx(0.5)  # b of a, b came back


def test_charts_follow_the_design():
    from crmlib.charts.intervention import evaluation_chart

    frame, start = _series(effect=5.0)
    spec = evaluation_chart(impact(frame, outcome="y", controls=["x"], intervention=start,
                                   draws=200), intervention=start).to_dict()  # fmt: skip
    assert len(spec["vconcat"]) == 3  # actual vs counterfactual, pointwise, cumulative
    top = spec["vconcat"][0]["layer"]
    assert [layer["mark"]["type"] for layer in top] == ["area", "line", "line", "rule"]
    did = diff_in_diff(_panel(), unit="unit", period="period", outcome="y", treated="treated",
                       intervention=2)  # fmt: skip
    layers = evaluation_chart(did).to_dict()["layer"]
    assert layers[2]["encoding"]["y"]["field"] == "coef"
    arms = compare_arms(_arms([0, 1, 0, 1], [1, 1, 0, 1]), arm="arm", metrics=["y"])
    layers = evaluation_chart(arms).to_dict()["layer"]
    assert layers[1]["encoding"]["x2"]["field"] == "ci_high"


def test_customer_panel_is_balanced_with_zeros_and_satisfaction_is_a_mean():
    from crmlib.analysis.intervention_metrics import customer_panel, satisfaction_metrics

    lines = pd.DataFrame(
        {"order_id": ["1", "2", "3", "4"],
         "order_date": pd.to_datetime(["2021-01-01", "2021-02-10", "2021-03-03", "2021-03-31"]),
         "amount": [10.0, 20.0, 5.0, 7.0], "customer_id": ["a", "b", "a", "b"],
         "country": ["UK", "FR", "UK", "FR"]}
    )  # fmt: skip
    panel = customer_panel(lines, freq="M", treated=["UK"], first_seen_before="2021-03-01")
    assert len(panel) == 6  # 2 customers × Jan-Mar (a month the data covers only in part is out)
    a = panel[panel["customer_id"] == "a"].set_index("period")["revenue"]
    assert a.tolist() == [10.0, 0.0, 5.0]
    assert panel.groupby("customer_id")["treated"].first().to_dict() == {"a": True, "b": False}
    dates = ["2021-01-02", "2021-01-20", "2021-02-01", "2021-02-02"]
    survey = pd.DataFrame({"score": [4, 5, 2, "n/a"], "date": dates})
    sat = satisfaction_metrics(survey, score="score", date="date")
    assert sat["satisfaction"].tolist() == [4.5, 2.0] and sat["responses"].tolist() == [2, 1]
