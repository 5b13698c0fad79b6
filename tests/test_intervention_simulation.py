"""Simulation check of the randomised and DiD designs: 95 % intervals cover a known injected
effect 90–99 % of the time over 200 data sets, and without an effect at most 7 % of the tests
are significant at 5 %. (The state-space design runs in ``bench/intervention_coverage.py``.)

Data sets are small (a few hundred rows) so the whole file runs in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.analysis.intervention_ab import compare_arms
from crmlib.analysis.intervention_did import diff_in_diff

RUNS = 200


def _randomised(rng, effect):
    n = 150
    control = rng.exponential(2.0, n)  # skewed, like spend
    treated = rng.exponential(2.0, n) + effect
    x = rng.normal(0, 1, 2 * n)
    frame = pd.DataFrame({"arm": ["control"] * n + ["treated"] * n,
                          "y": np.r_[control, treated] + x, "x": x})  # fmt: skip
    return compare_arms(frame, arm="arm", metrics=["y"], control="control",
                        covariate="x").table.iloc[0]  # fmt: skip


def _did(rng, effect, units=30, periods=6, start=3):
    unit = np.repeat(np.arange(units), periods)
    period = np.tile(np.arange(periods), units)
    treated = unit < units // 2
    # unit effects, a common trend, and errors correlated within a unit (AR(1), rho 0.5)
    errors = np.zeros((units, periods))
    errors[:, 0] = rng.normal(0, 1, units)
    for t in range(1, periods):
        errors[:, t] = 0.5 * errors[:, t - 1] + rng.normal(0, np.sqrt(0.75), units)
    y = rng.normal(0, 2, units)[unit] + 0.3 * period + errors.ravel()
    y = y + effect * (treated & (period >= start))
    frame = pd.DataFrame({"unit": unit, "period": period, "y": y, "treated": treated})
    return diff_in_diff(frame, unit="unit", period="period", outcome="y", treated="treated",
                        intervention=start, event_study=False).table.iloc[0]  # fmt: skip


def _coverage_and_false_positives(simulate, effect):
    rng = np.random.default_rng(20261129)
    hits = [(r["ci_low"] <= effect <= r["ci_high"]) for r in (simulate(rng, effect)
                                                              for _ in range(RUNS))]  # fmt: skip
    false = [simulate(rng, 0.0)["p_value"] < 0.05 for _ in range(RUNS)]
    return float(np.mean(hits)), float(np.mean(false))


def test_randomised_intervals_cover_and_false_positives_are_rare():
    coverage, false_rate = _coverage_and_false_positives(_randomised, 0.5)
    assert 0.90 <= coverage <= 0.99, coverage
    assert false_rate <= 0.07, false_rate


def test_did_intervals_cover_and_false_positives_are_rare():
    coverage, false_rate = _coverage_and_false_positives(_did, 0.8)
    assert 0.90 <= coverage <= 0.99, coverage
    assert false_rate <= 0.07, false_rate
