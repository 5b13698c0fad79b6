"""Scale test: Online Retail replicated N× (default 50) as Parquet, through DuckDB and Spark.

``python bench/scale.py`` writes the clean canonical Online Retail table (519,812 lines) N
times into a Parquet folder under /tmp, each copy with its own order and customer ids
(``<id>/<copy>``; same dates, amounts and items), so 50 copies are 26.0 million clean lines
(27.1 million raw lines). Then, each in a fresh Python process, it computes the RFM table,
the per-segment table and the basket rules (orders, item descriptions, support 1 %,
confidence 50 %):

- ``local``  on the 1× file (the baseline: data layer read + clean, pandas, bitset miner);
- ``duckdb`` on the N× folder (DuckDB reads the folder, spills past its memory limit; rules
  mined locally from a sparse matrix of the frequent items only);
- ``spark``  on the N× folder (Spark local mode, ``local[2]``; FPGrowth counts).

It prints seconds per step and each process's peak resident memory (the Python process;
Spark's JVM is a separate process with its own heap, ``--spark-memory``), with ratios to the
local baseline, and checks the results: every copy of a customer has the local RFM row, each
segment holds N× the local customers, and the rules equal the local rules (counts N×).
Exit status 1 when a check fails or a Python process passes 2 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMIT_MB = 2048
SUPPORT, CONFIDENCE = 0.01, 0.5


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def replicate(copies: int, folder: Path) -> dict:
    """Write ``copies`` shifted copies of the clean Online Retail table under ``folder``."""
    import duckdb

    from crmlib.engines.duckdb_engine import write_canonical

    base = write_canonical("embedded:online_retail", folder / "base")
    out = folder / f"x{copies}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'; SET threads = 2; SET preserve_insertion_order = false")
    start = time.perf_counter()
    con.execute(
        f"""COPY (SELECT * REPLACE (order_id || '/' || r AS order_id,
                                    customer_id || '/' || r AS customer_id)
                  FROM read_parquet('{base}') CROSS JOIN (SELECT range AS r FROM range({copies})))
            TO '{out}' (FORMAT parquet, PER_THREAD_OUTPUT true, ROW_GROUP_SIZE 500000)"""
    )
    rows = con.execute(f"SELECT COUNT(*) FROM read_parquet('{out}/*.parquet')").fetchone()[0]
    size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    return {"base": str(base), "folder": str(out), "rows": rows, "bytes": size,
            "seconds": time.perf_counter() - start}  # fmt: skip


def worker(engine: str, source: str, spark_memory: str) -> dict:
    """Run the three steps on one engine; return seconds per step, results and peak memory."""
    from crmlib.engines import StepTimer, engine_config

    timer = StepTimer(engine)
    result: dict = {}
    if engine == "local":
        from crmlib.analysis import load_baskets
        from crmlib.analysis.rfm import rfm_scores, rfm_table
        from crmlib.analysis.rules import mine_rules
        from crmlib.analysis.segments import assign_segments, segment_summary
        from crmlib.io import customer_rows, load_transactions

        with timer.step("read + clean"):
            data = load_transactions("embedded:online_retail", use_cache=False).data
        with timer.step("RFM table"):
            rfm = rfm_table(customer_rows(data))
        with timer.step("segments"):
            summary, _ = segment_summary(assign_segments(rfm_scores(rfm)[0]))
        with timer.step("basket rules"):
            rules = mine_rules(load_baskets("embedded:online_retail"), min_support=SUPPORT,
                               min_confidence=CONFIDENCE).rules  # fmt: skip
    elif engine == "duckdb":
        from crmlib.analysis.rules import mine_rules
        from crmlib.engines.duckdb_engine import baskets_duckdb, rfm_duckdb, segments_duckdb

        with timer.step("RFM table"):
            rfm = rfm_duckdb(source)
        with timer.step("segments"):
            summary, _ = segments_duckdb(source)
        with timer.step("basket rules"):
            baskets = baskets_duckdb(source, min_support=SUPPORT)
            rules = mine_rules(baskets, min_support=SUPPORT, min_confidence=CONFIDENCE).rules
    else:
        from crmlib.engines import spark as S

        config = engine_config("spark", conf={"spark.driver.memory": spark_memory})
        with timer.step("start Spark"):
            session = S.spark_session(config)
        lines = S.read_lines(session, source)
        with timer.step("RFM table"):
            rfm = S.rfm_spark(session, lines)
        with timer.step("segments"):
            summary, _ = S.segments_spark(session, lines)
        with timer.step("basket rules"):
            frame = S.baskets_from_lines(lines)
            rules = S.mine_rules_spark(frame, min_support=SUPPORT, min_confidence=CONFIDENCE).rules
        S.stop_session()
    timer_customers = len(rfm)
    result["steps"] = timer.steps
    result["peak_mb"] = _peak_mb()
    rfm["base_id"] = rfm["customer_id"].str.split("/").str[0]
    # one row per base customer when every copy has the same recency, frequency, tenure and
    # order times (a copy that differed would add a row and fail the check)
    same = ["base_id", "recency_days", "frequency", "tenure_days", "first_order", "last_order"]
    rfm = rfm.drop_duplicates(same).sort_values("base_id")
    result["rfm"] = {c: rfm[c].astype(str if "order" in c or c == "base_id" else float).tolist()
                     for c in [*same, "monetary_total"]}  # fmt: skip
    result["customers"] = int(timer_customers)
    result["segments"] = summary.set_index("segment")["customers"].astype(int).to_dict()
    result["rules"] = sorted(
        [list(a), list(c), int(n)]
        for a, c, n in zip(rules["antecedent"], rules["consequent"], rules["count"], strict=True)
    )
    return result


def _run_worker(engine: str, source: str, spark_memory: str) -> dict:
    cmd = [sys.executable, __file__, "--worker", engine, "--source", source,
           "--spark-memory", spark_memory]  # fmt: skip
    start = time.perf_counter()
    print(f"[{time.strftime('%H:%M:%S')}] {engine} on {source} ...", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{engine} worker failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall"] = time.perf_counter() - start
    return out


def _check(local: dict, other: dict, copies: int) -> list[str]:
    problems = []
    if other["customers"] != copies * local["customers"]:
        problems.append(f"customers {other['customers']:,} != {copies} × {local['customers']:,}")
    a, b = local["rfm"], other["rfm"]
    exact = [c for c in a if c != "monetary_total"]
    money = zip(a["monetary_total"], b["monetary_total"], strict=False)
    if any(a[c] != b[c] for c in exact) or any(
        abs(x - y) > 1e-9 * max(1.0, abs(x)) for x, y in money
    ):
        problems.append("RFM rows differ from the 1× table")
    if other["segments"] != {k: copies * v for k, v in local["segments"].items()}:
        problems.append(f"segments {other['segments']} != {copies} × {local['segments']}")
    if other["rules"] != [[x, y, copies * n] for x, y, n in local["rules"]]:
        problems.append("rules differ from the local rules")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--folder", default=str(Path(tempfile.gettempdir()) / "crm-scale"))
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--spark-memory", default="3g")
    parser.add_argument("--keep", action="store_true", help="keep the Parquet folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--source", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.source, args.spark_memory), default=str))
        return 0
    folder = Path(args.folder)
    free = shutil.disk_usage(folder.parent).free / 2**30
    print(f"Free disk under {folder.parent}: {free:.1f} GiB")
    made = replicate(args.copies, folder)
    print(f"{args.copies}× Online Retail: {made['rows']:,} clean lines, "
          f"{made['bytes'] / 2**20:,.0f} MiB of Parquet in {made['folder']} "
          f"(written in {made['seconds']:.1f} s)\n")  # fmt: skip
    runs = {"local 1×": _run_worker("local", made["base"], args.spark_memory)}
    for engine in args.engines.split(","):
        runs[f"{engine} {args.copies}×"] = _run_worker(engine, made["folder"], args.spark_memory)
    base = dict(runs["local 1×"]["steps"])
    names = ["start Spark", "read + clean", "RFM table", "segments", "basket rules"]
    print(f"{'step':<14}" + "".join(f"{name:>22}" for name in runs))
    for step in names:
        cells = []
        for run in runs.values():
            got = dict(run["steps"]).get(step)
            ratio = f" ({got / base[step]:.0f}×)" if got is not None and step in base else ""
            cells.append(f"{got:.1f} s{ratio}" if got is not None else "-")
        print(f"{step:<14}" + "".join(f"{c:>22}" for c in cells))
    print(f"{'process wall':<14}" + "".join(f"{r['wall']:>20.1f} s" for r in runs.values()))
    print(f"{'peak RSS':<14}" + "".join(f"{r['peak_mb']:>19,.0f} MB" for r in runs.values()))
    print(f"{'customers':<14}" + "".join(f"{r['customers']:>22,}" for r in runs.values()))
    print(f"{'rules':<14}" + "".join(f"{len(r['rules']):>22,}" for r in runs.values()))
    status = 0
    for name, run in runs.items():
        if name == "local 1×":
            continue
        problems = _check(runs["local 1×"], run, args.copies)
        if run["peak_mb"] > LIMIT_MB:
            problems.append(f"peak RSS {run['peak_mb']:,.0f} MB over {LIMIT_MB:,} MB")
        print(f"{name}: " + ("results equal the local ones (counts × copies)" if not problems
                             else "; ".join(problems)))  # fmt: skip
        status |= bool(problems)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
