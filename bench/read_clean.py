"""Time reading + cleaning the full Online Retail file (541,909 lines).

Prints this project's time (cold, cache off; and warm, from the on-disk cache) against a
baseline measured in the same run: the usual notebook recipe, ``pd.read_csv`` with default
options followed by ``drop_duplicates`` and boolean filters (which gives no report). Goal of
issue 3: well under 5 s for the cold path on a 2-core machine.

Usage: ``python bench/read_clean.py [--repeat 3] [--file PATH]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crmlib.config import EMBEDDED_DATA  # noqa: E402
from crmlib.io import load_transactions  # noqa: E402


def baseline(path: Path) -> int:
    df = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    df = df.drop_duplicates()
    df = df[~df["InvoiceNo"].str.startswith("C")]
    df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0)]
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    df["amount"] = df["Quantity"] * df["UnitPrice"]
    return len(df)


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", type=Path, default=EMBEDDED_DATA["online_retail"])
    args = parser.parse_args()
    t_base, rows_base = timed(lambda: baseline(args.file), args.repeat)
    t_cold, result = timed(lambda: load_transactions(args.file, use_cache=False), args.repeat)
    load_transactions(args.file)  # fill the cache
    t_warm, _ = timed(lambda: load_transactions(args.file), args.repeat)
    r = result.report
    print(f"file: {args.file} ({r.rows_in:,} lines), median of {args.repeat}")
    print(f"{'path':44} {'seconds':>8} {'vs baseline':>12}")
    print(f"{'baseline: read_csv + drop_duplicates/filters':44} {t_base:8.2f} {1.0:12.2f}")
    print(f"{'crmlib read + map + clean + report (cold)':44} {t_cold:8.2f} {t_cold / t_base:12.2f}")
    print(f"{'crmlib from the on-disk cache (warm)':44} {t_warm:8.3f} {t_warm / t_base:12.3f}")
    print(
        f"rows kept: crmlib {r.rows_out:,} (report: {r.rows_dropped:,} dropped by reason); "
        f"baseline {rows_base:,} (no report, postage and fees kept)"
    )
    print(f"goal: cold path well under 5 s -> {'met' if t_cold < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
