"""BG/NBD on the full CDNOW log: fit time, parameters and the 39-week holdout check.

Data: ``data/cdnow/CDNOW_master.txt.gz`` (23,570 customers, 1997-01-01 .. 1998-06-30), same-day
rows merged, calibration 1997-01-01 .. 1997-09-30 (39 weeks), holdout 1997-10-01 .. 1998-06-30
(39 weeks), time in weeks. Both time conventions of :func:`crmlib.analysis.btyd.summary_table`
are run:

days     exact ``days / 7`` times, purchases on distinct days (Fader, Hardie & Lee 2005)
periods  distinct calendar purchase weeks, integer week differences (the lifetimes package)

For each: summary time, fit time, r, alpha, a, b, log-likelihood, holdout predicted vs actual
total repeat purchases, relative error of the total, MAE per customer, the by-frequency table
and a Gamma-Gamma fit. If ``lifetimes`` is importable (it is not a dependency; do not install
it for this) its ``BetaGeoFitter`` is run on the same summary for comparison.

Usage: ``python bench/btyd.py [--sample] [--table]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MASTER = ROOT / "data" / "cdnow" / "CDNOW_master.txt.gz"
SAMPLE = ROOT / "data" / "cdnow" / "CDNOW_sample.txt"


def read(path: Path):
    import pandas as pd

    if path == SAMPLE:  # no header: master id, sample id, date, CDs, dollars
        names = ["customer_id", "sample_id", "date", "number_of_cds", "dollar_value"]
        return pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype=str).astype(
            {"dollar_value": float}
        )
    return pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})


def run_lifetimes(summary) -> str:
    try:
        from lifetimes import BetaGeoFitter
    except ImportError:
        return "lifetimes not installed: no comparison"
    began = time.perf_counter()
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    seconds = time.perf_counter() - began
    pred = bgf.conditional_expected_number_of_purchases_up_to_time(
        summary["duration_holdout"], summary["frequency"], summary["recency"], summary["T"]
    )
    actual = summary["frequency_holdout"].sum()
    return (
        f"lifetimes: fit {seconds:.2f} s, params {dict(bgf.params_.round(4))}, predicted "
        f"{pred.sum():.1f} vs actual {actual}, relative error {(pred.sum() - actual) / actual:+.2%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="use the 1/10 sample instead")
    parser.add_argument("--table", action="store_true", help="print the by-frequency tables")
    args = parser.parse_args()

    import pandas as pd

    from crmlib.analysis import btyd, spend

    path = SAMPLE if args.sample else MASTER
    began = time.perf_counter()
    tx = read(path)
    print(f"data {path.name}: {len(tx):,} rows, read in {time.perf_counter() - began:.2f} s")
    results = {}
    for convention in ("days", "periods"):
        began = time.perf_counter()
        summary = btyd.summary_table(
            tx,
            customer="customer_id",
            date="date",
            amount="dollar_value",
            calibration_end="1997-09-30",
            observation_end="1998-06-30",
            freq="W",
            merge_same_day=True,
            convention=convention,
        )
        t_summary = time.perf_counter() - began
        fit = btyd.fit_bgnbd(summary)
        diag = btyd.holdout_diagnostic(summary, fit)
        gg = spend.fit_gamma_gamma(summary)
        results[convention] = diag
        print(f"\n== convention {convention!r} ==")
        print(
            f"customers {len(summary):,}, calibration repeat purchases "
            f"{int(summary['frequency'].sum()):,}, summary {t_summary:.2f} s"
        )
        print(
            f"BG/NBD fit {fit.seconds:.2f} s ({fit.starts} starts, converged {fit.converged}): "
            f"r={fit.r:.4f} alpha={fit.alpha:.4f} a={fit.a:.4f} b={fit.b:.4f} "
            f"LL={fit.log_likelihood:.2f}"
        )
        print(
            f"holdout repeat purchases: predicted {diag.predicted_total:,.1f} vs actual "
            f"{diag.actual_total:,.0f}, relative error {diag.relative_error:+.2%}, "
            f"MAE per customer {diag.mae:.4f}"
        )
        print(
            f"Gamma-Gamma ({gg.n_customers:,} repeat buyers, {gg.n_dropped} with mean 0 left "
            f"out): p={gg.p:.4f} q={gg.q:.4f} v={gg.v:.4f}"
        )
        if args.table:
            with pd.option_context(
                "display.width", 140, "display.max_columns", 10, "display.precision", 3
            ):
                print(diag.table)
        print(run_lifetimes(summary))
    best = min(results, key=lambda k: abs(results[k].relative_error))
    print(
        f"\ncloser holdout total: {best!r} "
        + ", ".join(f"{k} {v.relative_error:+.2%} (MAE {v.mae:.4f})" for k, v in results.items())
    )


if __name__ == "__main__":
    main()
