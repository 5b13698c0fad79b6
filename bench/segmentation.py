"""Benchmark of customer segmentation on the full Online Retail data.

``python bench/segmentation.py`` times, in one process: RFM table → 1–5 scores → segments →
features (log1p, standardised) → k-means and silhouette for k = 2..8 (``score_k``, silhouette
on a seeded sample of at most 5,000 customers). In the same run it times a naive baseline: the
same k-means, then scikit-learn's silhouette on all points without sampling. It prints the
silhouette per k of both and the time of each step (k-means steps: median of ``--repeat``
alternating runs after a warm-up that imports scikit-learn).

``--copies N`` stacks N slightly jittered copies of the customers (seeded) to show where the
sampling starts to matter: the data has about 4,300 customers, under the 5,000 sample, so at
N = 1 both silhouettes use every point and must agree.

Goal: RFM + scores + k-means over k = 2..8 well under 30 s. Exit status 1 when missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crmlib.analysis.clustering import N_INIT, cluster_features, score_k  # noqa: E402
from crmlib.analysis.rfm import rfm_scores, rfm_table  # noqa: E402
from crmlib.analysis.segments import assign_segments, segment_summary  # noqa: E402
from crmlib.io import customer_rows, load_transactions  # noqa: E402

GOAL_SECONDS = 30.0
K_RANGE = range(2, 9)


def baseline(X: pd.DataFrame, seed: int) -> pd.DataFrame:
    """k-means as in score_k, then the silhouette on every point (no sampling)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rows = []
    values = X.to_numpy()
    for k in K_RANGE:
        model = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(values)
        rows.append((k, silhouette_score(values, model.labels_), model.inertia_))
    return pd.DataFrame(rows, columns=["k", "silhouette", "inertia"])


def warm_up() -> None:
    """Import scikit-learn and start its thread pools once, outside the timed steps."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    tiny = np.random.default_rng(0).normal(size=(50, 3))
    silhouette_score(tiny, KMeans(n_clusters=2, n_init=1, random_state=0).fit(tiny).labels_)


def stacked(X: pd.DataFrame, copies: int, seed: int) -> pd.DataFrame:
    """``copies`` copies of X, each but the first moved by a little seeded noise."""
    if copies <= 1:
        return X
    rng = np.random.default_rng(seed)
    parts = [X.to_numpy()] + [X.to_numpy() + rng.normal(0, 0.01, X.shape) for _ in range(1, copies)]
    return pd.DataFrame(np.vstack(parts), columns=X.columns)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1, help="stack the customers N times")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=5000, help="silhouette sample size")
    parser.add_argument("--repeat", type=int, default=3, help="median of N timed runs")
    args = parser.parse_args()

    runs: dict[str, list[float]] = defaultdict(list)  # step -> seconds of each run
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        clock.append(time.perf_counter())
        runs[name].append(clock[-1] - clock[-2])

    data = load_transactions("embedded:online_retail").data
    lap("load (cached)")
    rfm = rfm_table(data)
    lap("rfm_table")
    scores, notes = rfm_scores(rfm)
    lap("rfm_scores")
    summary, _ = segment_summary(assign_segments(scores))
    lap("segments")
    X = stacked(cluster_features(rfm), args.copies, args.seed)
    lap("cluster_features")
    warm_up()
    lap("warm-up (imports)")
    for _ in range(args.repeat):  # alternate, so neither side gets the warmer caches
        ours = score_k(X, K_RANGE, seed=args.seed, sample_size=args.sample)
        lap("score_k k=2..8")
        naive = baseline(X, args.seed)
        lap("baseline k=2..8")
    times = {name: statistics.median(values) for name, values in runs.items()}

    customers = customer_rows(data)
    print(
        f"Online Retail: {len(rfm):,} customers (customer_rows: "
        f"{customers['customer_id'].nunique():,}), {customers['order_id'].nunique():,} orders "
        f"with a customer; clustering {len(X):,} rows (copies = {args.copies})."
    )
    for note in notes + ours.attrs["notes"]:
        print(f"  note: {note}")
    print("\nSegments:")
    print(
        summary[["segment", "customers", "customer_share", "revenue_share"]].to_string(index=False)
    )
    table = ours.merge(naive, on="k", suffixes=("", "_all_points"))
    table["difference"] = table["silhouette"] - table["silhouette_all_points"]
    print(
        f"\nk-means (n_init={N_INIT}, seed={args.seed}); silhouette on "
        f"{ours.attrs['silhouette_points']:,} points vs all {len(X):,}:"
    )
    print(table[["k", "silhouette", "silhouette_all_points", "difference", "inertia"]]
          .to_string(index=False, float_format=lambda v: f"{v:.4f}"))  # fmt: skip

    print(f"\nSeconds (k-means steps: median of {args.repeat} runs, after a warm-up):")
    for name, seconds in times.items():
        print(f"  {name:20} {seconds:7.2f}")
    ours_total = sum(times[s] for s in ("rfm_table", "rfm_scores", "segments", "cluster_features"))
    ours_total += times["score_k k=2..8"]
    base_total = ours_total - times["score_k k=2..8"] + times["baseline k=2..8"]
    print(f"  {'ours, end to end':20} {ours_total:7.2f}")
    print(f"  {'ours + warm-up':20} {ours_total + times['warm-up (imports)']:7.2f}  (cold)")
    print(f"  {'baseline, same steps':20} {base_total:7.2f}  (silhouette on every point)")
    met = ours_total < GOAL_SECONDS
    print(f"\nGoal (< {GOAL_SECONDS:.0f} s for RFM + scores + k-means k=2..8): "
          f"{'met' if met else 'NOT met'} ({ours_total:.2f} s).")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
