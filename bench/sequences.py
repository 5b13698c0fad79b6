"""Sequential patterns on the full MSNBC click-stream: this project vs plain Python PrefixSpan.

Every miner runs in a fresh Python process (this script with ``--worker``), so the peak memory
of one run (``VmHWM``: peak resident set of the worker, interpreter and imports included) is
not mixed with another's. Wall time runs from opening the ``.seq.xz`` file to having the
patterns; imports are excluded. Case: 989,818 sessions, support 1 % (at least 9,899
sessions), at most 5 elements; the answer is 243 patterns (issue 9).

Miners
------
crmlib        ``read_msnbc`` (vectorised byte parser) → ``mine_sequences`` (deduplicated
              sessions, numpy pseudo-projections; docs/decisions/0011).
prefixspan    the ``prefixspan`` PyPI package (plain Python PrefixSpan, 0.5.2), when installed
              (``pip install prefixspan``: bench-only, not a project dependency); same read as
              ``plain``, then ``PrefixSpan(db).frequent(9899)`` with ``maxlen = 5``.
plain         a textbook PrefixSpan written here in plain Python (lists of lists, pseudo-
              projection by (sequence, position) pairs), reading the file line by line.

The pattern sets are compared by count and by a digest of the (pattern, support) pairs.

Usage: ``python bench/sequences.py [--only crmlib,plain] [--timeout 300]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "data" / "msnbc" / "msnbc990928.seq.xz"
SUPPORT, MAX_LENGTH, EXPECTED = 0.01, 5, 243
MARK = "@@RESULT "
GOAL_SECONDS, GOAL_MB = 10.0, 500.0


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _read_lists() -> list[list[int]]:
    with lzma.open(DATA, "rt") as fh:
        lines = fh.read().splitlines()[7:]
    return [[int(x) for x in line.split()] for line in lines if line.strip()]


def _plain_prefixspan(db: list[list[int]], min_count: int, max_length: int) -> list:
    """Textbook PrefixSpan: projected databases as (sequence, start) pairs."""
    found = []

    def grow(prefix: list[int], projected: list[tuple[int, int]]) -> None:
        counts: dict[int, int] = {}
        for i, start in projected:
            for item in set(db[i][start:]):
                counts[item] = counts.get(item, 0) + 1
        for item, count in counts.items():
            if count < min_count:
                continue
            pattern = [*prefix, item]
            found.append((tuple(pattern), count))
            if len(pattern) < max_length:
                nxt = []
                for i, start in projected:
                    seq = db[i]
                    for j in range(start, len(seq)):
                        if seq[j] == item:
                            nxt.append((i, j + 1))
                            break
                grow(pattern, nxt)

    grow([], [(i, 0) for i in range(len(db))])
    return found


def worker(miner: str) -> dict:
    """Run one miner in this process; return patterns digest, timings and peak memory."""
    if miner == "crmlib":
        from crmlib.analysis.prefixspan import mine_sequences
        from crmlib.io.events import read_msnbc
    elif miner == "prefixspan":
        from prefixspan import PrefixSpan
    base_mb = _peak_mb()
    started = time.perf_counter()
    if miner == "crmlib":
        seqs = read_msnbc(DATA)
        read_s = time.perf_counter() - started
        n = seqs.n_sequences
        frame = mine_sequences(seqs, min_support=SUPPORT, max_length=MAX_LENGTH)
        pairs = list(zip(frame["codes"], frame["sequences"].astype(int), strict=True))
    else:
        db = _read_lists()
        read_s = time.perf_counter() - started
        n = len(db)
        min_count = math.ceil(SUPPORT * n)
        if miner == "prefixspan":
            ps = PrefixSpan(db)
            ps.maxlen = MAX_LENGTH
            pairs = [(tuple(p), c) for c, p in ps.frequent(min_count)]
        else:
            pairs = _plain_prefixspan(db, min_count, MAX_LENGTH)
    total_s = time.perf_counter() - started
    pairs = sorted((tuple(int(x) for x in p), int(c)) for p, c in pairs)
    digest = hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:12]
    top = sorted(pairs, key=lambda pc: (-pc[1], len(pc[0]), pc[0]))[:4]
    return {"miner": miner, "sessions": n, "patterns": len(pairs), "digest": digest,
            "top": top, "read_s": read_s, "total_s": total_s, "peak_mb": _peak_mb(),
            "base_mb": base_mb}  # fmt: skip


def run(miner: str, timeout: float) -> dict | None:
    cmd = [sys.executable, __file__, "--worker", miner]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        print(f"{miner}: no answer in {timeout:.0f} s")
        return None
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    print(f"{miner}: failed\n{out.stderr.strip()[-800:]}")
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker")
    parser.add_argument("--only", default="crmlib,prefixspan,plain")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if args.worker:
        print(MARK + json.dumps(worker(args.worker)))
        return
    if not DATA.exists():
        print(f"{DATA} is missing: the bench needs the shipped MSNBC file.")
        return
    miners = [m for m in args.only.split(",") if m]
    if "prefixspan" in miners:
        try:
            import prefixspan  # noqa: F401
        except ImportError:
            print("prefixspan is not installed (pip install prefixspan): skipped")
            miners.remove("prefixspan")
    results = [r for r in (run(m, args.timeout) for m in miners) if r]
    if not results:
        return
    print(f"MSNBC full: support {SUPPORT:.0%}, at most {MAX_LENGTH} elements "
          f"(expected {EXPECTED} patterns)\n")  # fmt: skip
    print(f"{'miner':<11}{'sessions':>10}{'patterns':>9}  {'digest':<13}{'read s':>7}"
          f"{'total s':>9}{'peak MB':>9}{'work MB':>9}")  # fmt: skip
    for r in results:
        print(f"{r['miner']:<11}{r['sessions']:>10,}{r['patterns']:>9}  {r['digest']:<13}"
              f"{r['read_s']:>7.2f}{r['total_s']:>9.2f}{r['peak_mb']:>9.0f}"
              f"{r['peak_mb'] - r['base_mb']:>9.0f}")  # fmt: skip
    ours = next((r for r in results if r["miner"] == "crmlib"), None)
    if ours is None:
        return
    print(f"\ncrmlib top 4: {ours['top']}")
    for r in results:
        if r is not ours:
            same = "same patterns" if r["digest"] == ours["digest"] else "DIFFERENT patterns"
            print(f"crmlib / {r['miner']}: {ours['total_s'] / r['total_s']:.2f}x time, "
                  f"{ours['peak_mb'] / r['peak_mb']:.2f}x peak memory, {same}")  # fmt: skip
    goal = ours["total_s"] < GOAL_SECONDS and ours["peak_mb"] < GOAL_MB
    print(f"goal (< {GOAL_SECONDS:.0f} s and < {GOAL_MB:.0f} MB): {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
