"""Association rules, raw file → rules: this project vs mlxtend (sparse) vs PyFIM (C).

Every engine × case runs in a fresh Python process (this script with ``--worker``), so the peak
memory of one run (``VmHWM`` of the worker, i.e. peak resident set, interpreter and imports
included) is not mixed with another's. Wall time runs from opening the raw file to having the
rules; imports are timed apart and excluded, as in ../shared/DESIGN.md section 6.

Engines
-------
crmlib (clean)  ``load_transactions(path, use_cache=False)`` (read + map + clean + report: drops
                cancellations, duplicates, postage/fees, non-positive lines...) →
                ``baskets_from_transactions`` → ``mine_rules``. The way the project is used.
crmlib (raw)    Online Retail only: ``pd.read_csv(usecols=[InvoiceNo, StockCode],
                engine="pyarrow")``, drop cancellations (InvoiceNo starting with "C"),
                ``baskets_from_transactions`` → ``mine_rules``. Same baskets as the two
                recipes below, so its rule count must match theirs.
crmlib          FIMI retail: ``read_basket_lines(path, sep=" ")`` → ``mine_rules``.
mlxtend         same read (Online Retail: the raw read above, then ``groupby(...).agg(list)``;
                FIMI: ``[l.split() for l in gzip.open(p, "rt")]``) → ``TransactionEncoder``
                sparse → ``pd.DataFrame.sparse.from_spmatrix`` → ``fpgrowth`` →
                ``association_rules``. Its rules with one consequent item are counted (it also
                makes multi-item consequents, which the other two do not).
PyFIM           same read and grouping → ``fim.arules(supp=-ceil(s·n), conf=100·c, zmin=2,
                report="abhcl", mode="o")``.

Memory is reported as the whole worker's peak RSS and as "work": peak minus the RSS right after
the imports. Support is "at least ceil(s·n) baskets" in all three. Rule sets are compared by
count and by a digest of the (antecedent, consequent) pairs.

Usage: ``python bench/basket.py [--only retail|fimi] [--repeat 1] [--timeout 300] [--profile]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RETAIL = ROOT / "data" / "online_retail.csv.gz"
FIMI = ROOT.parent / "shared" / "data" / "fimi_retail" / "retail.dat.gz"
MARK = "@@RESULT "
GOAL = 1.5

# (data set, label, min support, min confidence)
CASES = [
    ("retail", "Online Retail s=1% c=50%", 0.01, 0.5),
    ("retail", "Online Retail s=0.5% c=50%", 0.005, 0.5),
    ("fimi", "FIMI retail s=0.5% c=50%", 0.005, 0.5),
    ("fimi", "FIMI retail s=0.1% c=50%", 0.001, 0.5),
]
ENGINES = {
    "retail": ["crmlib-clean", "crmlib-raw", "mlxtend", "pyfim"],
    "fimi": ["crmlib", "mlxtend", "pyfim"],
}
NAMES = {
    "crmlib-clean": "crmlib (clean)",
    "crmlib-raw": "crmlib (raw)",
    "crmlib": "crmlib",
    "mlxtend": "mlxtend sparse",
    "pyfim": "PyFIM",
}
PYFIM_MISSING = "PyFIM not installed: pip install pyfim (needs a C compiler)"


# ----------------------------------------------------------------------------- worker side


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _peak_mib() -> float:
    kib = _status_kib("VmHWM")
    if kib is None:  # no /proc: ru_maxrss is KiB on Linux, bytes on macOS
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kib = kib // 1024 if sys.platform == "darwin" else kib
    return kib / 1024


def _rss_mib() -> float:
    kib = _status_kib("VmRSS")
    return kib / 1024 if kib is not None else _peak_mib()


def _min_count(min_support: float, n: int) -> int:
    """The project's rule (crmlib.analysis.mining.min_count_for): at least ceil(s·n)."""
    return max(1, math.ceil(min_support * n - 1e-9))


def _import(engine: str, data: str) -> dict:
    """Import what the recipe needs (timed apart from the run)."""
    mods: dict = {}
    if engine.startswith("crmlib") or engine == "mlxtend" or data == "retail":
        import pandas as pd

        mods["pd"] = pd
    if data == "retail":
        import pyarrow.csv  # noqa: F401  (pandas' pyarrow engine imports it lazily)
    if engine.startswith("crmlib"):
        from crmlib.analysis.baskets import baskets_from_transactions, read_basket_lines
        from crmlib.analysis.rules import mine_rules

        mods.update(
            baskets_from_transactions=baskets_from_transactions,
            read_basket_lines=read_basket_lines,
            mine_rules=mine_rules,
        )
        if engine == "crmlib-clean":
            from crmlib.io import load_transactions

            mods["load_transactions"] = load_transactions
    elif engine == "mlxtend":
        from mlxtend.frequent_patterns import association_rules, fpgrowth
        from mlxtend.preprocessing import TransactionEncoder

        mods.update(
            association_rules=association_rules,
            fpgrowth=fpgrowth,
            TransactionEncoder=TransactionEncoder,
        )
    elif engine == "pyfim":
        import fim

        mods["fim"] = fim
    return mods


def _raw_retail(pd, path: Path):
    """Raw Online Retail lines: two columns read with pyarrow, cancellations dropped."""
    df = pd.read_csv(path, usecols=["InvoiceNo", "StockCode"], dtype=str, engine="pyarrow")
    return df[~df["InvoiceNo"].str.startswith("C")]


def _lists(data: str, path: Path, mods: dict) -> list:
    """Transactions as item lists (the recipe mlxtend and PyFIM users follow)."""
    if data == "retail":
        df = _raw_retail(mods["pd"], path)
        return df.groupby("InvoiceNo", sort=False)["StockCode"].agg(list).tolist()
    import gzip

    with gzip.open(path, "rt") as fh:
        return [line.split() for line in fh]


def _run(engine: str, data: str, path: Path, s: float, c: float, mods: dict, splits: dict):
    """One raw file → rules run. Returns (n_baskets, min_count, rules object)."""
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        splits[name] = now - t
        t = now

    if engine.startswith("crmlib"):
        if engine == "crmlib-clean":
            data_frame = mods["load_transactions"](path, use_cache=False).data
            lap("read+clean")
            baskets = mods["baskets_from_transactions"](data_frame, basket="order")
            lap("baskets")
        elif engine == "crmlib-raw":
            df = _raw_retail(mods["pd"], path)
            df = df.rename(columns={"InvoiceNo": "order_id", "StockCode": "item"})
            lap("read")
            baskets = mods["baskets_from_transactions"](df, basket="order", item="item")
            lap("baskets")
        else:
            baskets = mods["read_basket_lines"](path, sep=" ")
            lap("read+baskets")
        ruleset = mods["mine_rules"](baskets, min_support=s, min_confidence=c)
        splits.update(ruleset.seconds)
        return baskets.n_baskets, ruleset.min_count, ruleset
    lists = _lists(data, path, mods)
    lap("read+group")
    n = len(lists)
    count = _min_count(s, n)
    if engine == "mlxtend":
        pd = mods["pd"]
        te = mods["TransactionEncoder"]()
        matrix = te.fit(lists).transform(lists, sparse=True)
        del lists
        frame = pd.DataFrame.sparse.from_spmatrix(matrix, columns=te.columns_)
        lap("encode")
        itemsets = mods["fpgrowth"](frame, min_support=s, use_colnames=True)
        lap("fpgrowth")
        rules = mods["association_rules"](
            itemsets, num_itemsets=n, metric="confidence", min_threshold=c
        )
        lap("association_rules")
        return n, math.ceil(s * n), rules
    rules = mods["fim"].arules(lists, supp=-count, conf=100 * c, zmin=2, report="abhcl", mode="o")
    lap("arules")
    return n, count, rules


def _rule_keys(engine: str, rules) -> tuple[list[str], int]:
    """Canonical 'a1,a2 -> c' strings of the single-consequent rules, and all rules made."""
    if engine.startswith("crmlib"):
        pairs = zip(rules.rules["antecedent"], rules.rules["consequent"], strict=True)
        total = len(rules.rules)
    elif engine == "mlxtend":
        pairs = zip(rules["antecedents"], rules["consequents"], strict=True)
        total = len(rules)
    else:
        pairs = ((body, (head,)) for head, body, *_ in rules)
        total = len(rules)
    keys = [",".join(sorted(map(str, a))) + " -> " + next(iter(c)) for a, c in pairs if len(c) == 1]
    return keys, total


def worker(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    try:
        mods = _import(args.worker, args.data)
    except ImportError as exc:
        print(MARK + json.dumps({"error": f"import failed: {exc}"}), flush=True)
        return
    import_s = time.perf_counter() - t0
    rss_import = _rss_mib()
    splits: dict[str, float] = {}
    profiler = None
    if args.cprofile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t1 = time.perf_counter()
    n, count, rules = _run(
        args.worker, args.data, args.file, args.support, args.confidence, mods, splits
    )
    seconds = time.perf_counter() - t1
    peak = _peak_mib()
    if profiler is not None:
        import io
        import pstats

        profiler.disable()
        for key in ("tottime", "cumulative"):
            buf = io.StringIO()
            stats = pstats.Stats(profiler, stream=buf).strip_dirs().sort_stats(key)
            stats.print_stats(args.cprofile)
            text = buf.getvalue()
            print(f"--- cProfile, top {args.cprofile} by {key} ---")
            print(text[text.find("   ncalls") :].rstrip())
    keys, total = _rule_keys(args.worker, rules)
    digest = hashlib.sha1("\n".join(sorted(keys)).encode()).hexdigest()[:12]
    result = {
        "seconds": seconds,
        "import_seconds": import_s,
        "rss_import": rss_import,
        "peak": peak,
        "rules": len(keys),
        "rules_all": total,
        "baskets": n,
        "min_count": count,
        "digest": digest,
        "splits": splits,
    }
    print(MARK + json.dumps(result), flush=True)


# ----------------------------------------------------------------------------- parent side


def spawn(engine: str, data: str, path: Path, s: float, c: float, args, cprofile: int = 0):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--data", data]
    cmd += ["--file", str(path), "--support", repr(s), "--confidence", repr(c)]
    if cprofile:
        cmd += ["--cprofile", str(cprofile)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.timeout, env=env, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {"error": f"TIMEOUT after {args.timeout:g} s (worker killed)"}, ""
    head, _, tail = proc.stdout.rpartition(MARK)
    if proc.returncode != 0 or not tail:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        why = "killed (out of memory?)" if proc.returncode == -9 else last[:100]
        return {"error": f"failed, rc {proc.returncode}: {why}"}, head
    return json.loads(tail), head


def aggregate(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    out = dict(ok[-1], failed=len(runs) - len(ok))
    for r in ok:
        r["work"] = r["peak"] - r["rss_import"]
    for key in ("seconds", "import_seconds", "peak", "rss_import", "work"):
        out[key] = statistics.median(r[key] for r in ok)
    out["splits"] = {
        k: statistics.median(r["splits"].get(k, 0.0) for r in ok) for k in ok[0]["splits"]
    }
    return out


def ratio(a: dict | None, b: dict | None, key: str) -> str:
    if not a or not b or "error" in a or "error" in b:
        return "n/a"
    return f"{a[key] / b[key]:.2f}x"


def print_table(results: dict, cases: list) -> None:
    head = (
        f"{'case':27} {'engine':15} {'rules':>7} {'baskets':>7} {'min n':>6} {'seconds':>8} "
        f"{'t/PyFIM':>8} {'t/mlxt':>7} {'peak MiB':>8} {'mem/PyFIM':>9} {'mem/mlxt':>8} "
        f"{'imp MiB':>7} {'work MiB':>8} {'work/PyFIM':>10} {'import s':>8}"
    )
    print(head)
    print("-" * len(head))
    for data, label, _s, _c in cases:
        rows = results[label]
        fim, mlx = rows.get("pyfim"), rows.get("mlxtend")
        for engine in ENGINES[data]:
            r = rows[engine]
            name = NAMES[engine]
            if "error" in r:
                print(f"{label:27} {name:15} {r['error']}")
                label = ""
                continue
            print(
                f"{label:27} {name:15} {r['rules']:7,} {r['baskets']:7,} {r['min_count']:6,} "
                f"{r['seconds']:8.2f} {ratio(r, fim, 'seconds'):>8} "
                f"{ratio(r, mlx, 'seconds'):>7} {r['peak']:8.0f} {ratio(r, fim, 'peak'):>9} "
                f"{ratio(r, mlx, 'peak'):>8} {r['rss_import']:7.0f} {r['work']:8.0f} "
                f"{ratio(r, fim, 'work'):>10} {r['import_seconds']:8.2f}"
            )
            label = ""
    print(
        "seconds: raw file -> rules, imports excluded (median of repeats). peak MiB: peak RSS "
        "of the worker\nprocess (VmHWM), interpreter and imports included. imp MiB: RSS right "
        "after the imports.\nwork MiB: peak - imp MiB, the memory the run itself added. "
        "Ratios are this row / PyFIM or mlxtend."
    )


def print_splits(results: dict, cases: list) -> None:
    print("\nTime splits (s):")
    for data, label, _s, _c in cases:
        for engine in ENGINES[data]:
            r = results[label][engine]
            if "error" in r:
                continue
            parts = "  ".join(f"{k} {v:.2f}" for k, v in r["splits"].items())
            print(f"  {label:27} {NAMES[engine]:15} {parts}")


def check_counts(results: dict, cases: list) -> bool:
    print("\nRule counts (single-item consequent, non-empty antecedent):")
    all_ok = True
    for data, label, _s, _c in cases:
        rows = results[label]
        same = [e for e in ENGINES[data] if e != "crmlib-clean" and "error" not in rows[e]]
        shown = "  ".join(
            f"{NAMES[e]}={rows[e]['rules']:,}" for e in ENGINES[data] if "error" not in rows[e]
        )
        counts = {rows[e]["rules"] for e in same}
        digests = {rows[e]["digest"] for e in same}
        if len(same) < 2:
            verdict = "fewer than two engines on the same baskets: nothing to compare"
        elif len(counts) == 1 and len(digests) == 1:
            verdict = f"OK: {len(same)} engines agree, same rule sets"
        else:
            all_ok = False
            what = "COUNTS" if len(counts) > 1 else "RULE SETS (same counts)"
            mins = ", ".join(f"{NAMES[e]} n≥{rows[e]['min_count']}" for e in same)
            verdict = f"!!! MISMATCH IN {what} !!! min counts: {mins}"
            if len({rows[e]["min_count"] for e in same}) > 1:
                verdict += (
                    " — support rounding differs; the project counts 'at least ceil(s·n)' baskets"
                )
        print(f"  {label:27} {shown}\n  {'':27} -> {verdict}")
        mlx = rows.get("mlxtend")
        if mlx and "error" not in mlx and mlx["rules_all"] != mlx["rules"]:
            extra = f"mlxtend made {mlx['rules_all']:,} rules with any consequent size"
            print(f"  {'':27}    ({extra})")
        clean = rows.get("crmlib-clean")
        if clean and "error" not in clean:
            print(
                f"  {'':27}    crmlib (clean) mines the cleaned baskets ({clean['baskets']:,} "
                "baskets, postage/fees/bad lines dropped), so its count is not compared"
            )
    return all_ok


def check_goal(results: dict, cases: list) -> None:
    print(
        f"\nGoal: within {GOAL}x of PyFIM end to end (reading included) and peak memory within "
        f"{GOAL}x of PyFIM's:"
    )
    for data, label, _s, _c in cases:
        rows = results[label]
        fim = rows.get("pyfim")
        for engine in ENGINES[data]:
            if not engine.startswith("crmlib"):
                continue
            r = rows[engine]
            if "error" in r:
                verdict = f"cannot tell ({r['error']})"
            elif not fim or "error" in fim:
                verdict = "cannot tell: " + (fim["error"] if fim else "PyFIM not run")
            else:
                t, m = r["seconds"] / fim["seconds"], r["peak"] / fim["peak"]
                w = r["work"] / fim["work"]
                ok = t <= GOAL and m <= GOAL
                verdict = (
                    f"{'met' if ok else 'NOT met'}: time {t:.2f}x, peak memory {m:.2f}x "
                    f"(memory added after imports {w:.2f}x)"
                )
            print(f"  {label:27} {NAMES[engine]:15} {verdict}")
    print(
        "  'peak memory' compares whole processes: each worker imports only what its recipe "
        "needs\n  (PyFIM on FIMI: gzip + fim, no pandas). crmlib (raw) and PyFIM mine the same "
        "baskets;\n  crmlib (clean) also cleans (the project's own load path)."
    )


def profile(results: dict, cases: list, files: dict, args: argparse.Namespace) -> None:
    """cProfile our engine on its slowest case and on its worst case against PyFIM."""
    ours = []
    for data, label, s, c in cases:
        fim = results[label].get("pyfim")
        for engine, r in results[label].items():
            if engine.startswith("crmlib") and "error" not in r:
                vs_fim = r["seconds"] / fim["seconds"] if fim and "error" not in fim else 0.0
                ours.append((r["seconds"], vs_fim, data, label, s, c, engine))
    if not ours:
        return
    picks = {"slowest case": max(ours), "worst time ratio to PyFIM": max(ours, key=lambda o: o[1])}
    if picks["slowest case"] == picks["worst time ratio to PyFIM"]:
        picks = {"slowest case and worst time ratio to PyFIM": picks["slowest case"]}
    for why, (_sec, _ratio, data, label, s, c, engine) in picks.items():
        print(f"\nProfile of {NAMES[engine]}, {why}: {label} (in a fresh process, under cProfile)")
        r, text = spawn(engine, data, files[data], s, c, args, cprofile=25)
        print(text.rstrip())
        if "error" in r:
            print(r["error"])
        else:
            parts = "  ".join(f"{k} {v:.2f}" for k, v in r["splits"].items())
            print(f"splits under the profiler (s): {parts}; total {r['seconds']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["retail", "fimi"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per worker run")
    parser.add_argument("--retail-file", type=Path, default=RETAIL)
    parser.add_argument("--fimi-file", type=Path, default=FIMI)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then cProfile our engine on its slowest and worst-vs-PyFIM cases",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--support", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--confidence", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    files = {"retail": args.retail_file, "fimi": args.fimi_file}
    cases = [c for c in CASES if args.only in (None, c[0])]
    for data in ("retail", "fimi"):
        if any(c[0] == data for c in cases) and not files[data].exists():
            print(f"SKIPPED {data}: {files[data]} not found, so its cases are not run.")
            cases = [c for c in cases if c[0] != data]
    if not cases:
        return
    has_fim = subprocess.run([sys.executable, "-c", "import fim"], capture_output=True)
    if has_fim.returncode != 0:
        print(PYFIM_MISSING)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; each run in a fresh process, "
        f"timeout {args.timeout:g} s, median of {args.repeat}",
        flush=True,
    )
    results: dict[str, dict] = {}
    for data, label, s, c in cases:
        results[label] = {}
        for engine in ENGINES[data]:
            if engine == "pyfim" and has_fim.returncode != 0:
                results[label][engine] = {"error": PYFIM_MISSING}
                continue
            runs = [spawn(engine, data, files[data], s, c, args)[0] for _ in range(args.repeat)]
            r = results[label][engine] = aggregate(runs)
            done = r.get("error") or f"{r['seconds']:.2f} s, {r['peak']:.0f} MiB"
            if r.get("failed"):
                done += f" ({r['failed']} of {args.repeat} runs failed)"
            print(f"  ran {label:27} {NAMES[engine]:15} {done}", file=sys.stderr, flush=True)
    print()
    print_table(results, cases)
    print_splits(results, cases)
    check_counts(results, cases)
    check_goal(results, cases)
    if args.profile:
        profile(results, cases, files, args)


if __name__ == "__main__":
    main()
