"""Coverage and false positives of the time-series (state-space) design, and the cost per fit.

``python bench/intervention_coverage.py [--runs 200] [--pre 40 80]`` simulates weekly series:
a control series (random walk), a treated series ``10 + 0.8 · control + local level (step sd
0.2) + noise (sd 1)``, 8 post-periods, an injected effect of 2 per period. For each pre-period
length it prints how often the 95 % interval of the average effect covers 2, and how often a
series without effect gets a tail probability below 5 % (goal: coverage 0.90–0.99, false
positives ≤ 0.07, as the CI simulation tests check for the randomised and DiD designs).

In the same run it times the randomised design (300 customers) and DiD (30 units × 6 periods)
and prints each design's seconds per evaluation as a ratio to a baseline: one plain numpy
least-squares fit of the same series (``np.linalg.lstsq``), measured here.
Exit status 1 when the goal is missed for the longest pre-period.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crmlib.analysis.intervention_ab import compare_arms  # noqa: E402
from crmlib.analysis.intervention_did import diff_in_diff  # noqa: E402
from crmlib.analysis.intervention_ts import impact  # noqa: E402

EFFECT = 2.0
POST = 8


def series(rng, n_pre: int, effect: float) -> tuple[pd.DataFrame, pd.Timestamp]:
    """One simulated treated series with a control, and the intervention date."""
    n = n_pre + POST
    x = 50 + np.cumsum(rng.normal(0, 1, n))
    y = 10 + 0.8 * x + np.cumsum(rng.normal(0, 0.2, n)) + rng.normal(0, 1, n)
    y[n_pre:] += effect
    index = pd.date_range("2020-01-06", periods=n, freq="W-MON")
    return pd.DataFrame({"y": y, "x": x}, index=index), index[n_pre]


def coverage(runs: int, n_pre: int, draws: int = 500, seed: int = 1) -> tuple[float, float, float]:
    """Coverage, false-positive rate and seconds per fit over ``runs`` pairs of series."""
    rng = np.random.default_rng(seed)
    hits = false = 0
    started = time.perf_counter()
    for i in range(runs):
        frame, start = series(rng, n_pre, EFFECT)
        row = impact(frame, outcome="y", controls=["x"], intervention=start, draws=draws,
                     seed=i).table.iloc[0]  # fmt: skip
        hits += row["ci_low"] <= EFFECT <= row["ci_high"]
        frame, start = series(rng, n_pre, 0.0)
        false += impact(frame, outcome="y", controls=["x"], intervention=start, draws=draws,
                        seed=i).table.iloc[0]["p_value"] < 0.05  # fmt: skip
    return hits / runs, false / runs, (time.perf_counter() - started) / (2 * runs)


def per_call(function, repeat: int = 20) -> float:
    """Median seconds of ``function()`` after one warm-up call."""
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def timings() -> dict[str, float]:
    """Seconds per evaluation of each design and of the least-squares baseline."""
    rng = np.random.default_rng(0)
    frame, start = series(rng, 40, 0.0)
    design = np.column_stack([np.ones(len(frame)), frame["x"]])
    arms = pd.DataFrame({"arm": ["c", "t"] * 150, "y": rng.normal(size=300)})
    unit, period = np.repeat(np.arange(30), 6), np.tile(np.arange(6), 30)
    panel = pd.DataFrame({"unit": unit, "period": period, "y": rng.normal(size=180),
                          "treated": unit < 15})  # fmt: skip
    return {
        "baseline lstsq": per_call(lambda: np.linalg.lstsq(design, frame["y"], rcond=None)),
        "randomised": per_call(lambda: compare_arms(arms, arm="arm", metrics=["y"])),
        "did (+ event study)": per_call(
            lambda: diff_in_diff(
                panel, unit="unit", period="period", outcome="y", treated="treated", intervention=3
            )
        ),
        "time series": per_call(
            lambda: impact(frame, outcome="y", controls=["x"], intervention=start), repeat=5
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--pre", type=int, nargs="+", default=[40, 80])
    parser.add_argument("--draws", type=int, default=500, help="simulated paths per fit")
    args = parser.parse_args()
    cost = timings()
    base = cost["baseline lstsq"]
    print(f"{'design':<22}{'s/evaluation':>14}{'× baseline':>14}")
    for name, seconds in cost.items():
        print(f"{name:<22}{seconds:>14.5f}{seconds / base:>14.0f}")
    print(f"\ntime series, {args.runs} simulated pairs, effect {EFFECT}, {POST} post-periods")
    print(f"{'pre-periods':>12}{'coverage':>10}{'false pos.':>12}{'s/fit':>8}")
    ok = True
    for n_pre in args.pre:
        cov, fp, seconds = coverage(args.runs, n_pre, args.draws)
        print(f"{n_pre:>12}{cov:>10.3f}{fp:>12.3f}{seconds:>8.3f}")
        ok = 0.90 <= cov <= 0.99 and fp <= 0.07  # judged on the last (longest) length
    print("goal (longest pre-period): coverage 0.90–0.99, false positives ≤ 0.07:",
          "met" if ok else "MISSED")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
