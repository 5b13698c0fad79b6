"""The randomised design on the shipped Hillstrom file reproduces the published figures
(DESIGN.md §6, data/hillstrom/SOURCE.md): arm sizes, SRM p = 0.90, visit, conversion, spend."""

from __future__ import annotations

import pytest

from crmlib.analysis.intervention_ab import compare_arms
from crmlib.notebook.evaluation import load_experiment


@pytest.fixture(scope="module")
def result():
    frame = load_experiment("embedded:hillstrom")
    assert frame.shape == (64_000, 12)
    return compare_arms(frame, arm="segment", metrics=["visit", "conversion", "spend"],
                        control="No E-Mail")  # fmt: skip


def _row(result, metric, arm):
    table = result.table
    return table[(table["metric"] == metric) & (table["group"] == arm)].iloc[0]


def test_sample_ratio_check_passes(result):
    srm = result.details["srm"].set_index("arm")
    assert srm["customers"].to_dict() == {"Mens E-Mail": 21307, "No E-Mail": 21306,
                                          "Womens E-Mail": 21387}  # fmt: skip
    assert srm["p_value"].iloc[0] == pytest.approx(0.90, abs=0.005)
    assert not result.warnings


@pytest.mark.parametrize(
    ("arm", "rate", "lift", "low", "high"),
    [("Mens E-Mail", 0.1828, 0.0766, 0.0700, 0.0832),
     ("Womens E-Mail", 0.1514, 0.0452, 0.0389, 0.0516)],
)  # fmt: skip
def test_visit_rate_lift_and_interval(result, arm, rate, lift, low, high):
    row = _row(result, "visit", arm)
    assert row["counterfactual"] == pytest.approx(0.1062, abs=5e-5)
    assert row["actual"] == pytest.approx(rate, abs=5e-5)
    assert row["abs_effect"] == pytest.approx(lift, abs=5e-5)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=5e-5)
    assert row["p_value"] < 1e-40 and row["p_holm"] < 1e-40


@pytest.mark.parametrize(
    ("metric", "arm", "actual", "control"),
    [("conversion", "Mens E-Mail", 0.01253, 0.00573),
     ("conversion", "Womens E-Mail", 0.00884, 0.00573),
     ("spend", "Mens E-Mail", 1.42262, 0.65279),
     ("spend", "Womens E-Mail", 1.07720, 0.65279)],
)  # fmt: skip
def test_conversion_and_spend(result, metric, arm, actual, control):
    row = _row(result, metric, arm)
    assert row["actual"] == pytest.approx(actual, abs=5e-5)
    assert row["counterfactual"] == pytest.approx(control, abs=5e-5)
    assert row["ci_low"] > 0  # both e-mails raise conversion and spend (p < 0.01)
    assert row["p_value"] < 0.01


def test_cuped_with_past_spend_keeps_the_effect_and_narrows_the_interval(result):
    frame = load_experiment("embedded:hillstrom")
    cuped = compare_arms(frame, arm="segment", metrics=["visit"], control="No E-Mail",
                         covariate="history")  # fmt: skip
    plain, adjusted = _row(result, "visit", "Mens E-Mail"), _row(cuped, "visit", "Mens E-Mail")
    assert adjusted["abs_effect"] == pytest.approx(plain["abs_effect"], abs=0.001)
    assert adjusted["se"] < plain["se"]
    assert 0 < adjusted["variance_reduction"] < 0.05  # past spend explains little of a visit
