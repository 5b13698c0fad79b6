"""Frequent sequential patterns: a vectorised PrefixSpan over :class:`~crmlib.io.events.Sequences`.

Support of a pattern ``<a, b, c>`` is the number of sequences that contain ``a``, later ``b``,
later ``c`` (gaps allowed; each sequence counts once). Elements are single events, as in click
streams and item-by-item purchase histories.

How it stays fast (see docs/decisions/0011): identical sequences are merged and weighted by
their count (989,818 MSNBC sessions are 169,714 distinct ones); a projected database is two
numpy arrays, the distinct sequence and the position where the prefix's earliest match ends;
a table of each item's last position per distinct sequence tells, for every projected row
at once, which items still follow; and each frequent item's next position comes from
``np.searchsorted`` on that item's sorted positions. With a maximum gap the earliest match is
not enough, so every end position is kept and the next ``max_gap`` events are scanned.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.io.events import Sequences

TABLE_CELLS = 40_000_000  # distinct sequences × items held as a last-position table at most
TABLE_ITEMS = (
    64  # above this many labels the suffix scan is faster (Online Retail: 0.26 s vs 2.5 s)
)
CHUNK_CELLS = 4_000_000  # projected rows × items compared at once
MAX_PATTERNS = 200_000  # mining stops with a message above this many patterns


@dataclass
class _Db:
    """Distinct non-empty sequences, concatenated, with their weights (repeat counts)."""

    codes: np.ndarray  # int32, events of the distinct sequences
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64, exclusive
    weights: np.ndarray  # float64, how many input sequences each stands for
    n_items: int


def _dedupe(seqs: Sequences) -> _Db:
    """Merge identical sequences (integer keys for short ones, bytes for the long rest)."""
    lengths = seqs.lengths()
    k = max(len(seqs.labels), 1)
    base = k + 1
    max_short = max(int(62 * np.log(2) / np.log(base)), 1)
    nonempty = np.flatnonzero(lengths > 0)
    short = nonempty[lengths[nonempty] <= max_short]
    long_ = nonempty[lengths[nonempty] > max_short]
    groups: list[np.ndarray] = []  # representative sequence index
    counts: list[np.ndarray] = []
    if len(short):  # the sequence as a number in base k + 1 (Horner, one column at a time)
        size, begin = lengths[short], seqs.offsets[:-1][short]
        keys = np.zeros(len(short), dtype=np.int64)
        last = max(seqs.n_events - 1, 0)
        for col in range(int(size.max())):
            digit = np.where(size > col, seqs.codes[np.minimum(begin + col, last)] + 1, 0)
            keys = keys * base + digit
        _, first, count = np.unique(keys, return_index=True, return_counts=True)
        groups.append(short[first])
        counts.append(count)
    if len(long_):
        seen: dict[bytes, int] = {}
        reps: list[int] = []
        tally: list[int] = []
        for i in long_:
            key = seqs.codes[seqs.offsets[i] : seqs.offsets[i + 1]].tobytes()
            j = seen.setdefault(key, len(reps))
            if j == len(reps):
                reps.append(int(i))
                tally.append(0)
            tally[j] += 1
        groups.append(np.array(reps, dtype=np.int64))
        counts.append(np.array(tally, dtype=np.int64))
    rep = np.concatenate(groups) if groups else np.zeros(0, np.int64)
    weight = np.concatenate(counts) if counts else np.zeros(0, np.int64)
    rep_len = lengths[rep]
    offsets = np.concatenate([[0], np.cumsum(rep_len)]).astype(np.int64)
    pos = np.repeat(seqs.offsets[:-1][rep] - offsets[:-1], rep_len) + np.arange(offsets[-1])
    return _Db(seqs.codes[pos], offsets[:-1], offsets[1:], weight.astype(np.float64), k)


def _check(seqs: Sequences, min_support: float, max_length: int, max_gap: int | None) -> int:
    if not isinstance(seqs, Sequences):
        raise CrmInputError(
            f"Mining needs Sequences (see crmlib.io.events); got {type(seqs).__name__}."
        )
    if seqs.n_sequences == 0:
        raise EmptyResultError("There are no sequences to mine.")
    if max_length < 1:
        raise CrmInputError(f"max_length must be at least 1, got {max_length}.")
    if max_gap is not None and max_gap < 1:
        raise CrmInputError(
            f"max_gap must be at least 1 (1 = the very next event), got "
            f"{max_gap}; use None for no limit."
        )
    if isinstance(min_support, bool) or not isinstance(min_support, numbers.Real):
        raise CrmInputError(
            f"min_support must be a number, got {min_support!r} ({type(min_support).__name__})."
        )
    if isinstance(min_support, numbers.Integral):
        if min_support >= 1:  # a count of sequences, given as an int
            return int(min_support)
    elif 0 < min_support <= 1:  # a share: 1.0 = every sequence
        return max(int(np.ceil(min_support * seqs.n_sequences - 1e-9)), 1)
    elif min_support > 1:
        raise CrmInputError(
            f"min_support={min_support!r} is ambiguous: a float is a share of sequences in "
            f"(0, 1] (0.01 = 1 %, 1.0 = 100 %). For a count of sequences pass a whole number "
            f"as an int (e.g. {int(min_support)})."
        )
    raise CrmInputError(
        f"min_support must be a share in (0, 1] (a float) or a whole number of "
        f"sequences >= 1 (an int), got {min_support!r}."
    )


class _Limit:
    """Stops mining once more than ``max_patterns`` patterns are found (a support so low
    that the patterns explode would otherwise run for hours and fill the memory)."""

    def __init__(self, max_patterns: int | None, min_count: int, n_sequences: int) -> None:
        self.max_patterns, self.min_count, self.n = max_patterns, min_count, n_sequences

    def check(self, found: list) -> None:
        if self.max_patterns is not None and len(found) > self.max_patterns:
            raise CrmInputError(
                f"More than {self.max_patterns:,} patterns occur in at least "
                f"{self.min_count:,} of the {self.n:,} sequences: raise min_support (or "
                "lower max_length) so the result stays readable."
            )


class _Miner:
    """Depth-first PrefixSpan on a deduplicated database (earliest-match projections).

    Supports come from a table of each item's last position per distinct sequence when there
    are few labels and it fits (``TABLE_ITEMS``, ``TABLE_CELLS``), otherwise from a scan of
    the projected suffixes that counts an event only at its item's first occurrence after the
    prefix.
    """

    def __init__(self, db: _Db, min_count: int, max_length: int, limit: _Limit) -> None:
        self.db, self.min_count, self.max_length, self.limit = db, min_count, max_length, limit
        self.found: list[tuple[tuple[int, ...], float]] = []
        order = np.argsort(db.codes, kind="stable")
        bounds = np.searchsorted(db.codes[order], np.arange(db.n_items + 1))
        self.positions = [order[bounds[c] : bounds[c + 1]] for c in range(db.n_items)]
        n = len(db.starts)
        seq_of = np.repeat(np.arange(n), db.ends - db.starts)
        self.last = None
        if n * db.n_items <= TABLE_CELLS and db.n_items <= TABLE_ITEMS:
            self.last = np.full(
                (n, db.n_items), -1, dtype=np.int32 if len(db.codes) < 2**31 else np.int64
            )
            np.maximum.at(self.last, (seq_of, db.codes), np.arange(len(db.codes)))
        else:  # previous position of the same item in the same sequence (or -1)
            self.prev = np.full(len(db.codes), -1, dtype=np.int64)
            same = (db.codes[order[1:]] == db.codes[order[:-1]]) & (
                seq_of[order[1:]] == seq_of[order[:-1]]
            )
            self.prev[order[1:][same]] = order[:-1][same]

    def _supports(self, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        db, total = self.db, np.zeros(self.db.n_items)
        if self.last is None:
            size = db.ends[rows] - pos - 1
            q = np.repeat(pos + 1 - np.cumsum(size) + size, size) + np.arange(size.sum())
            first = self.prev[q] <= np.repeat(pos, size)
            weight = np.repeat(db.weights[rows], size)[first]
            return np.bincount(db.codes[q[first]], weights=weight, minlength=db.n_items)
        step = max(CHUNK_CELLS // max(db.n_items, 1), 1)
        for i in range(0, len(rows), step):
            r, p = rows[i : i + step], pos[i : i + step]
            total += db.weights[r] @ (self.last[r] > p[:, None])
        return total

    def grow(self, prefix: tuple[int, ...], rows: np.ndarray, pos: np.ndarray) -> None:
        support = self._supports(rows, pos)
        for c in np.flatnonzero(support >= self.min_count):
            pattern = (*prefix, int(c))
            self.found.append((pattern, float(support[c])))
            self.limit.check(self.found)
            if len(pattern) >= self.max_length:
                continue
            where = np.append(self.positions[c], np.iinfo(np.int64).max)
            nxt = where[np.searchsorted(where, pos, side="right")]
            keep = nxt < self.db.ends[rows]
            self.grow(pattern, rows[keep], nxt[keep])


class _GapMiner:
    """PrefixSpan with a maximum gap: every end position of the prefix is kept."""

    def __init__(
        self, db: _Db, min_count: int, max_length: int, max_gap: int, limit: _Limit
    ) -> None:
        self.db, self.min_count, self.max_length, self.max_gap = db, min_count, max_length, max_gap
        self.limit = limit
        self.found: list[tuple[tuple[int, ...], float]] = []
        self.seq_of = np.repeat(np.arange(len(db.starts)), db.ends - db.starts)

    def grow(self, prefix: tuple[int, ...], ends: np.ndarray) -> None:
        db, k = self.db, self.db.n_items
        if prefix:
            seq_end = db.ends[self.seq_of[ends]]
            cand = [ends + g for g in range(1, self.max_gap + 1)]
            cand = np.concatenate([c[c < seq_end] for c in cand])
        else:
            cand = np.arange(len(db.codes))
        if cand.size == 0:
            return
        items = db.codes[cand].astype(np.int64)
        pair = np.unique(self.seq_of[cand] * k + items)
        support = np.bincount(pair % k, weights=db.weights[pair // k], minlength=k)
        for c in np.flatnonzero(support >= self.min_count):
            pattern = (*prefix, int(c))
            self.found.append((pattern, float(support[c])))
            self.limit.check(self.found)
            if len(pattern) < self.max_length:
                self.grow(pattern, np.unique(cand[items == c]))


def mine_sequences(
    seqs: Sequences,
    *,
    min_support: float = 0.01,
    max_length: int = 5,
    max_gap: int | None = None,
    max_patterns: int | None = MAX_PATTERNS,
) -> pd.DataFrame:
    """Frequent sequential patterns (PrefixSpan).

    Parameters
    ----------
    seqs : Sequences
        ``n`` sequences of single events.
    min_support : float or int
        A float is a share of sequences in (0, 1] (at least ``ceil(share × n)`` sequences;
        1.0 = every sequence); an int >= 1 is a number of sequences. Floats above 1 are
        rejected as ambiguous.
    max_length : int
        Most elements in a pattern.
    max_gap : int, optional
        Consecutive pattern elements at most this many events apart (1 = directly next);
        None allows any gap.
    max_patterns : int, optional
        Stop with a :class:`~crmlib.errors.CrmInputError` ("raise min_support") once more
        patterns than this are found; None mines without a limit.

    Returns
    -------
    pandas.DataFrame
        One row per pattern, most supported first (then shorter, then by codes): ``pattern``
        (labels joined by " > "), ``codes`` (tuple of 1-based codes, as in the MSNBC file),
        ``items`` (tuple of labels), ``length``, ``sequences`` (count), ``support`` (share).
        ``attrs`` hold ``n_sequences``, ``min_count`` and the parameters.

    Examples
    --------
    >>> mine_sequences(read_msnbc(path), min_support=0.01, max_length=5).head(2)
    """
    min_count = _check(seqs, min_support, max_length, max_gap)
    db = _dedupe(seqs)
    limit = _Limit(max_patterns, min_count, seqs.n_sequences)
    if max_gap is None:
        miner = _Miner(db, min_count, max_length, limit)
        miner.grow((), np.arange(len(db.starts)), db.starts - 1)
    else:
        miner = _GapMiner(db, min_count, max_length, max_gap, limit)
        miner.grow((), np.zeros(0, np.int64))
    return _patterns_frame(miner.found, seqs, min_count, max_length, max_gap)


def _patterns_frame(found, seqs, min_count, max_length, max_gap) -> pd.DataFrame:
    labels = np.asarray(seqs.labels, dtype=object)
    codes = [tuple(c + 1 for c in p) for p, _ in found]
    items = [tuple(labels[list(p)]) for p, _ in found]
    counts = np.array([s for _, s in found], dtype=np.int64)
    out = pd.DataFrame(
        {
            "pattern": [" > ".join(i) for i in items],
            "codes": codes,
            "items": items,
            "length": np.array([len(p) for p, _ in found], dtype=np.int64),
            "sequences": counts,
            "support": counts / seqs.n_sequences,
        }
    )
    out = out.sort_values(
        ["sequences", "length", "codes"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    out.attrs.update(
        n_sequences=seqs.n_sequences, min_count=min_count, max_length=max_length, max_gap=max_gap
    )
    return out


def contains(sequence: list, pattern: list, max_gap: int | None = None) -> bool:
    """True when ``pattern`` occurs in ``sequence`` in order (gaps allowed, at most
    ``max_gap`` apart when given). Plain Python; for checks and small data."""
    if max_gap is None:
        it = iter(sequence)
        return all(any(x == p for x in it) for p in pattern)
    ends = [i for i, x in enumerate(sequence) if x == pattern[0]] if pattern else []
    for p in pattern[1:]:
        ends = sorted(
            {
                j
                for i in ends
                for j in range(i + 1, min(i + max_gap + 1, len(sequence)))
                if sequence[j] == p
            }
        )
    return bool(ends) or not pattern


__all__ = ["contains", "mine_sequences"]
