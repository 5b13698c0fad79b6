"""Frequent itemsets by depth-first search over packed bitsets (numpy only, no compiler).

Items are ordered by increasing support. All frequent pairs come from the sparse product
``Xᵀ X``, computed a block of items at a time. Below each frequent item ``i`` the search keeps,
for the baskets that hold ``i``, one bit row per candidate item, packed 64 baskets to a word
and filled straight from those baskets' CSR rows; a deeper level ANDs the prefix's row with
its candidates' rows and counts bits with ``np.bitwise_count``. Words where the prefix has
no basket left are dropped as the search goes down, so deep levels touch few words.

Support is counted as "at least": a fraction ``s`` of ``n`` baskets means at least
``ceil(s·n)`` baskets (0.5 % of 9,835 = 49.2 → 50), as R arules, mlxtend and PyFIM count it.

:func:`hypergeom_upper_tail` gives the rules' one-sided Fisher p-values from the same counts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from crmlib.errors import CrmInputError

DEFAULT_MAX_ITEMSETS = 2_000_000
DEFAULT_TIME_LIMIT = 120.0
PAIR_BLOCK = 1 << 18  # items × frequent items per block of pair counts


class MiningLimitError(CrmInputError):
    """Mining stopped at the itemset cap or the time limit."""


def min_count_for(min_support: float | int, n_baskets: int) -> int:
    """Absolute basket count for a support given as a fraction (0 < s ≤ 1) or a count (≥ 1).

    Raises
    ------
    CrmInputError
        Support out of range.
    """
    if isinstance(min_support, bool) or not isinstance(min_support, int | float):
        raise CrmInputError(f"min_support must be a number; got {min_support!r}.")
    if isinstance(min_support, int) or (min_support > 1 and float(min_support).is_integer()):
        count = int(min_support)
        if not 1 <= count <= n_baskets:
            raise CrmInputError(
                f"min_support as a count must be between 1 and the {n_baskets:,} baskets; "
                f"got {count:,}."
            )
        return count
    if not 0 < min_support <= 1:
        raise CrmInputError(
            f"min_support must be a fraction in (0, 1] or a basket count; got {min_support}."
        )
    return max(1, math.ceil(min_support * n_baskets - 1e-9))


@dataclass
class Itemsets:
    """Frequent itemsets as item-code tuples (sorted by code) with their basket counts."""

    itemsets: list[tuple[int, ...]]
    counts: np.ndarray
    min_count: int
    n_baskets: int
    seconds: float = 0.0
    lookup: dict[tuple[int, ...], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.lookup:
            self.lookup = dict(zip(self.itemsets, self.counts.tolist(), strict=True))


def _item_counts(matrix: sparse.csr_matrix, step: int = 1 << 18) -> np.ndarray:
    """Baskets per item (stored True entries per column), a slice of entries at a time.

    ``matrix.sum(axis=0)`` would make an int64 copy of all entries first.
    """
    counts = np.zeros(matrix.shape[1], dtype=np.float64)
    for lo in range(0, int(matrix.indptr[-1]), step):
        cols = matrix.indices[lo : lo + step]
        weights = matrix.data[lo : lo + step].astype(np.float64)
        counts += np.bincount(cols, weights=weights, minlength=matrix.shape[1])
    return counts.astype(np.int64)


def _pack_bits(slots: np.ndarray, rows: np.ndarray, n_slots: int, n_rows: int) -> np.ndarray:
    """One bit row per slot, packed into uint64 words over ``n_rows`` rows.

    ``(slots[i], rows[i])`` are the set bits, each pair at most once. Bytes are filled with a
    weighted ``bincount`` (distinct bit weights of one byte add up to at most 255) and then
    viewed as words.
    """
    n_bytes = ((n_rows + 63) // 64) * 8
    flat = slots.astype(np.int64) * n_bytes + (rows >> 3)
    weights = np.left_shift(1, rows & 7).astype(np.float64)
    packed = np.bincount(flat, weights=weights, minlength=n_slots * n_bytes).astype(np.uint8)
    return packed.reshape(n_slots, n_bytes).view(np.uint64)


def _gather_rows(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray):
    """Column indices of the CSR rows ``rows``, with each entry's position in ``rows``.

    Positions are kept in the matrix's own index type (int32 for all but huge matrices).
    """
    begin = indptr[rows]
    lengths = indptr[rows + 1] - begin
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    owner = np.repeat(np.arange(len(rows), dtype=indptr.dtype), lengths)
    where = np.arange(total, dtype=indptr.dtype)
    where += (begin - (ends - lengths)).astype(indptr.dtype, copy=False)[owner]
    return indices[where], owner


class _Search:
    def __init__(self, min_count: int, max_len: int, cap: int, deadline: float) -> None:
        self.min_count, self.max_len, self.cap, self.deadline = min_count, max_len, cap, deadline
        self.found: list[tuple[int, ...]] = []
        self.counts: list[int] = []

    def add(self, itemset: tuple[int, ...], count: int) -> None:
        self.found.append(itemset)
        self.counts.append(count)
        if len(self.found) > self.cap:
            raise MiningLimitError(f"more than {self.cap:,} frequent itemsets")
        if len(self.found) % 4096 == 0 and time.monotonic() > self.deadline:
            raise MiningLimitError("the time limit was reached")

    def grow(self, prefix: tuple[int, ...], cand_ids: np.ndarray, cand_bits: np.ndarray) -> None:
        """``cand_bits`` already holds prefix ∧ candidate for every candidate."""
        if len(prefix) + 1 > self.max_len:
            return
        counts = np.bitwise_count(cand_bits).sum(axis=1, dtype=np.int64)
        keep = np.flatnonzero(counts >= self.min_count)
        if keep.size == 0:
            return
        ids, bits, counts = cand_ids[keep], cand_bits[keep], counts[keep]
        for t in range(len(ids)):
            itemset = (*prefix, int(ids[t]))
            self.add(itemset, int(counts[t]))
            if t + 1 < len(ids) and len(itemset) < self.max_len:
                row = bits[t]
                words = np.flatnonzero(row)
                if words.size * 2 < row.size:
                    row, rest = row[words], bits[t + 1 :, words]
                else:
                    rest = bits[t + 1 :]
                self.grow(itemset, ids[t + 1 :], rest & row)


def frequent_itemsets_codes(
    matrix: sparse.csr_matrix,
    min_count: int,
    *,
    max_len: int | None = None,
    max_itemsets: int = DEFAULT_MAX_ITEMSETS,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Itemsets:
    """All itemsets held by at least ``min_count`` baskets.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix of bool, shape (n_baskets, n_items)
    min_count : int
        Smallest basket count of a frequent itemset.
    max_len : int, optional
        Longest itemset.
    max_itemsets, time_limit : int, float
        Stop with :class:`MiningLimitError` past this many itemsets or seconds.

    Returns
    -------
    Itemsets
        Item codes are column positions of ``matrix``.
    """
    started = time.monotonic()
    matrix = sparse.csr_matrix(matrix)  # no copy when it already is one
    n_baskets = matrix.shape[0]
    max_len = max_len or matrix.shape[1]
    search = _Search(min_count, max_len, max_itemsets, started + time_limit)
    counts = _item_counts(matrix)
    frequent = np.flatnonzero(counts >= min_count)
    order = frequent[np.argsort(counts[frequent], kind="stable")]  # rarest first
    for code in order:
        search.add((int(code),), int(counts[code]))
    if max_len >= 2 and len(order) > 1:
        x = matrix[:, order].astype(np.int32).tocsr()
        x.eliminate_zeros()
        by_item = x.tocsc()
        n_freq = len(order)
        # pair counts (Xᵀ X) for a block of items at a time, so the product's memory stays
        # bounded by PAIR_BLOCK entries
        block = max(1, PAIR_BLOCK // n_freq)
        # slot[c] is the position of column c among the current item's candidates, else -1
        slot = np.full(n_freq, -1, dtype=np.int32)
        for p0 in range(0, n_freq - 1, block):
            p1 = min(p0 + block, n_freq - 1)
            pairs = (by_item[:, p0:p1].T @ x).tocsr()
            for pos in range(p0, p1):
                lo, hi = pairs.indptr[pos - p0], pairs.indptr[pos - p0 + 1]
                cols, vals = pairs.indices[lo:hi], pairs.data[lo:hi]
                sel = (cols > pos) & (vals >= min_count)
                if not sel.any():
                    continue
                cand, cand_counts = cols[sel], vals[sel]
                srt = np.argsort(cand, kind="stable")
                cand, cand_counts = cand[srt], cand_counts[srt]
                first = int(order[pos])
                for c, n in zip(cand.tolist(), cand_counts.tolist(), strict=True):
                    search.add((first, int(order[c])), int(n))
                if max_len < 3 or len(cand) < 2:
                    continue
                # the item's baskets straight from the CSR rows, their items mapped to bits
                rows = by_item.indices[by_item.indptr[pos] : by_item.indptr[pos + 1]]
                items, owner = _gather_rows(x.indptr, x.indices, rows)
                slot[cand] = np.arange(len(cand), dtype=np.int32)
                where = slot[items]
                hit = where >= 0
                bits = _pack_bits(where[hit], owner[hit], len(cand), len(rows))
                slot[cand] = -1
                for t in range(len(cand) - 1):
                    pair = (first, int(order[cand[t]]))
                    search.grow(pair, order[cand[t + 1 :]], bits[t + 1 :] & bits[t])
    seconds = time.monotonic() - started
    return Itemsets(
        [tuple(sorted(s)) for s in search.found],
        np.asarray(search.counts, dtype=np.int64),
        min_count,
        n_baskets,
        seconds,
    )


_LOG_2PI = math.log(2 * math.pi)
TAIL_CHUNK = 1 << 16  # terms summed at once: about 0.5 MB per temporary array
# log(m!) − log(√(2πm)·(m/e)^m) for m = 0..15 (0 at m = 0): small values, no cancellation
_STIRLING_SMALL = np.array(
    [0.0]
    + [math.lgamma(m + 1) - (m + 0.5) * math.log(m) + m - 0.5 * _LOG_2PI for m in range(1, 16)]
)


def _stirling_rest(m: np.ndarray) -> np.ndarray:
    """log(m!) minus Stirling's log(√(2πm)·(m/e)^m) for whole numbers m ≥ 0.

    A table below 16, else the asymptotic series 1/(12m) − 1/(360m³) + 1/(1260m⁵) −
    1/(1680m⁷) + 1/(1188m⁹), exact to double precision from m = 16 on.
    """
    small = m < 16
    table = _STIRLING_SMALL[np.where(small, m, 0).astype(np.int64)]
    mb = np.where(small, 16.0, m)
    w = 1.0 / (mb * mb)
    series = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - w / 1188) * w) * w) * w) / mb
    return np.where(small, table, series)


def _deviance(x: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """x·log(x/mu) + mu − x, by a series in v = (x − mu)/(x + mu) when x is near mu."""
    diff, total = x - mu, x + mu
    near = np.abs(diff) < 0.1 * total  # |v| < 0.1: 14 series terms reach 1e-28 relative
    v = np.where(near, diff / np.where(total > 0, total, 1.0), 0.0)
    v2 = v * v
    power = 2 * x * v
    series = diff * v
    for j in range(1, 15):
        power = power * v2
        series = series + power / (2 * j + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.where(x > 0, x * np.log(x / mu), 0.0) + mu - x
    return np.where(near, series, direct)


def _log_binomial_pmf(x: np.ndarray, m: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """log P(X = x) for X ~ Binomial(m, p) with q = 1 − p, in Loader's saddle-point form.

    Written with Stirling remainders and deviances instead of log-factorials, it keeps full
    relative precision for any m (log-factorial sums lose about m·log(m)·1e-16).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = (
            _stirling_rest(m)
            - _stirling_rest(x)
            - _stirling_rest(m - x)
            - _deviance(x, m * p)
            - _deviance(m - x, m * q)
            - 0.5 * (_LOG_2PI + np.log(x) + np.log1p(-x / m))
        )
    at_zero = -_deviance(m, m * q) - m * p  # m·log(q)
    at_m = -_deviance(m, m * p) - m * q  # m·log(p)
    out = np.where(x == 0, at_zero, np.where(x == m, at_m, inside))
    return np.where(m == 0, 0.0, out)


def hypergeom_upper_tail(n_ab, n_a, n_b, n: int, chunk: int = TAIL_CHUNK) -> np.ndarray:
    """P(X ≥ n_ab) for X ~ Hypergeometric(n baskets, n_a with A, n_b drawn): Fisher's one-sided
    exact test of a positive association, the same as ``scipy.stats.hypergeom.sf(n_ab - 1, n,
    n_a, n_b)``.

    The tail is summed exactly, every term from ``n_ab`` to ``min(n_a, n_b)``. The first
    term's log-probability comes from three binomial probabilities (Loader's form, precise for
    any ``n``); each next term is the previous one times the ratio
    (n_a − k + 1)(n_b − k + 1) / (k·(n − n_a − n_b + k)). Terms of all rules are laid end to
    end and summed per rule in log space (``np.add.reduceat`` after subtracting each rule's
    largest term), about ``chunk`` terms at a time so memory stays bounded.

    Parameters
    ----------
    n_ab, n_a, n_b : array-like of int
        Baskets with A and B, with A, with B, per rule.
    n : int
        Baskets in all.

    Returns
    -------
    numpy.ndarray of float
        p-values in [0, 1]; 1 where ``n_ab`` is at most its smallest possible value.
    """
    n_ab, n_a, n_b = (np.asarray(v, dtype=np.float64).ravel() for v in (n_ab, n_a, n_b))
    n = float(n)
    out = np.zeros(n_ab.shape)
    lowest = np.maximum(n_a + n_b - n, 0.0)
    highest = np.minimum(n_a, n_b)
    out[n_ab <= lowest] = 1.0
    todo = np.flatnonzero((n_ab > lowest) & (n_ab <= highest))
    if todo.size == 0:
        return out
    k0, a, b = n_ab[todo], n_a[todo], n_b[todo]
    p, q = b / n, (n - b) / n
    first = (
        _log_binomial_pmf(k0, a, p, q)
        + _log_binomial_pmf(b - k0, n - a, p, q)
        - _log_binomial_pmf(b, np.full_like(b, n), p, q)
    )
    terms = (highest[todo] - k0 + 1).astype(np.int64)
    ends = np.cumsum(terms)
    lo = 0
    while lo < todo.size:
        before = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, before + chunk, side="right")))
        size = terms[lo:hi]
        starts = np.zeros(hi - lo, dtype=np.int64)
        np.cumsum(size[:-1], out=starts[1:])
        rule = np.repeat(np.arange(hi - lo), size)
        k = np.arange(rule.size) - starts[rule] + k0[lo:hi][rule]
        ak, bk = a[lo:hi][rule], b[lo:hi][rule]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.log((ak - k + 1) * (bk - k + 1) / (k * (n - ak - bk + k)))
        # log(term / first term) by a running sum; each rule's first slot cancels the sum of
        # the rule before, so the running sum restarts near 0 and keeps its precision
        step[starts] = 0.0
        step[starts[1:]] = -np.add.reduceat(step, starts)[:-1]
        rel = np.cumsum(step)
        rel -= rel[starts][rule]
        peak = np.maximum.reduceat(rel, starts)
        sums = np.add.reduceat(np.exp(rel - peak[rule]), starts)
        out[todo[lo:hi]] = np.exp(first[lo:hi] + peak + np.log(sums))
        lo = hi
    return np.minimum(out, 1.0)


def closed_maximal_flags(found: Itemsets) -> tuple[np.ndarray, np.ndarray]:
    """Closed (no superset with the same count) and maximal (no frequent superset) flags.

    Every frequent superset has a frequent superset one item larger, so checking the
    (k−1)-subsets of each k-itemset is enough.
    """
    closed = np.ones(len(found.itemsets), dtype=bool)
    maximal = np.ones(len(found.itemsets), dtype=bool)
    position = {s: i for i, s in enumerate(found.itemsets)}
    counts = found.counts
    for itemset, count in zip(found.itemsets, counts.tolist(), strict=True):
        if len(itemset) < 2:
            continue
        for drop in range(len(itemset)):
            sub = itemset[:drop] + itemset[drop + 1 :]
            i = position[sub]
            maximal[i] = False
            if counts[i] == count:
                closed[i] = False
    return closed, maximal


def estimate_blowup(matrix: sparse.csr_matrix, min_count: int) -> dict[str, int]:
    """Cheap look-ahead before mining: frequent items and pairs at ``min_count``.

    Returns
    -------
    dict
        ``items``, ``pairs`` (frequent 2-itemsets), ``largest_basket`` and ``bound``: an upper
        estimate of itemsets, 2^(frequent items of the largest basket) capped at 10^12.
    """
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    frequent = np.flatnonzero(counts >= min_count)
    if len(frequent) < 2:
        return {"items": len(frequent), "pairs": 0, "largest_basket": 0, "bound": len(frequent)}
    x = matrix[:, frequent].astype(np.int32)
    pairs = x.T @ x
    n_pairs = int(
        ((pairs >= min_count).sum() - (np.asarray(pairs.diagonal()) >= min_count).sum()) // 2
    )
    largest = int(np.diff(x.tocsr().indptr).max())
    return {
        "items": len(frequent),
        "pairs": n_pairs,
        "largest_basket": largest,
        "bound": int(min(2.0 ** min(largest, 40), 1e12)),
    }


def mlxtend_itemsets_codes(
    matrix: sparse.csr_matrix, min_count: int, *, max_len: int | None = None
) -> Itemsets:
    """The same itemsets as :func:`frequent_itemsets_codes`, found by mlxtend's fpgrowth.

    The reference engine: slower and hungrier, kept so that tests can check the default engine
    against an independent implementation. The sparse frame is built column by column, never a
    dense item matrix.
    """
    import pandas as pd
    from mlxtend.frequent_patterns import fpgrowth

    started = time.monotonic()
    n = matrix.shape[0]
    frame = pd.DataFrame.sparse.from_spmatrix(matrix.astype(bool).tocsc())
    # mlxtend compares support >= min_support; a fraction just under min_count / n keeps
    # exactly the itemsets with at least min_count baskets
    found = fpgrowth(frame, min_support=(min_count - 0.5) / n, max_len=max_len)
    itemsets = [tuple(sorted(int(i) for i in s)) for s in found["itemsets"]]
    counts = np.rint(found["support"].to_numpy() * n).astype(np.int64)
    return Itemsets(itemsets, counts, min_count, n, time.monotonic() - started)
