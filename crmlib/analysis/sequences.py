"""Sequence analysis of event sessions: rules, Markov transitions, exits, session caps.

Path views (path tree, flow, top paths, funnel) are in :mod:`crmlib.analysis.paths`.

Input is :class:`~crmlib.io.events.Sequences` (click-streams, ordered purchase histories);
pattern mining itself is :func:`crmlib.analysis.prefixspan.mine_sequences`. Everything here
is vectorised over the concatenated event array.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.io.events import Sequences

START, EXIT, OTHER = "(start)", "(exit)", "(other)"


def cap_sessions(seqs: Sequences, max_events: int | None = 100) -> Sequences:
    """Keep at most the first ``max_events`` events of each session (robot-like sessions of
    thousands of clicks otherwise dominate transitions); ``notes`` says how many were cut.

    Returns
    -------
    Sequences
        Same sessions, each at most ``max_events`` long.
    """
    if max_events is None:
        return seqs
    if max_events < 1:
        raise CrmInputError(f"max_events must be at least 1 or None, got {max_events}.")
    lengths = seqs.lengths()
    long_ = int((lengths > max_events).sum())
    if not long_:
        return seqs
    kept = np.minimum(lengths, max_events)
    offsets = np.concatenate([[0], np.cumsum(kept)]).astype(np.int64)
    pos = np.repeat(seqs.offsets[:-1] - offsets[:-1], kept) + np.arange(offsets[-1])
    note = (
        f"{long_:,} session(s) longer than {max_events:,} events (longest "
        f"{int(lengths.max()):,}) are cut to their first {max_events:,} for paths and "
        "transitions."
    )
    return Sequences(seqs.codes[pos], offsets, list(seqs.labels), seqs.ids, [*seqs.notes, note])


def sequence_rules(patterns: pd.DataFrame, *, min_confidence: float = 0.0) -> pd.DataFrame:
    """Rules "after A comes B" from frequent patterns (A = all but the last element).

    Parameters
    ----------
    patterns : pandas.DataFrame
        :func:`~crmlib.analysis.prefixspan.mine_sequences` output.
    min_confidence : float
        Keep rules at or above this confidence.

    Returns
    -------
    pandas.DataFrame
        One row per pattern of two or more elements, highest lift first: ``rule``
        ("A > B then C"), ``antecedent``, ``consequent``, ``sequences`` (containing A then
        C), ``support``, ``confidence`` (= sequences / sequences with A), ``lift`` (=
        confidence / share of sequences with C anywhere).
    """
    need = {"items", "sequences", "length"}
    if not need <= set(patterns.columns):
        raise CrmInputError(
            f"Patterns need columns {sorted(need)}; found {list(patterns.columns)}."
        )
    n = patterns.attrs.get("n_sequences")
    if not n:
        raise CrmInputError("Patterns have no n_sequences attribute: pass mine_sequences output.")
    count = dict(zip(patterns["items"], patterns["sequences"], strict=True))
    long_ = patterns[patterns["length"] >= 2]
    ante = long_["items"].map(lambda t: t[:-1])
    cons = long_["items"].map(lambda t: t[-1])
    ante_n = ante.map(count).astype(float)
    cons_n = cons.map(lambda c: count.get((c,))).astype(float)
    conf = long_["sequences"] / ante_n
    out = pd.DataFrame(
        {
            "rule": ante.map(" > ".join) + " then " + cons,
            "antecedent": ante.map(" > ".join),
            "consequent": cons,
            "sequences": long_["sequences"],
            "support": long_["support"],
            "confidence": conf,
            "lift": conf / (cons_n / n),
        }
    )
    out = out[out["confidence"] >= min_confidence - 1e-12]
    return out.sort_values(["lift", "sequences"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def _pairs(seqs: Sequences) -> tuple[np.ndarray, np.ndarray]:
    """(from, to) codes of every step, with start = -1 and exit = -2."""
    if seqs.n_events == 0:
        raise EmptyResultError("The sessions hold no events.")
    lengths = seqs.lengths()
    nonempty = lengths > 0
    starts, lasts = seqs.offsets[:-1][nonempty], seqs.offsets[1:][nonempty] - 1
    inner = np.ones(seqs.n_events, dtype=bool)
    inner[lasts] = False  # the last event of a session goes to the exit, not to the next one
    src = np.concatenate([np.full(len(starts), -1), seqs.codes[:-1][inner[:-1]], seqs.codes[lasts]])
    dst = np.concatenate([seqs.codes[starts], seqs.codes[1:][inner[:-1]], np.full(len(lasts), -2)])
    return src, dst


def _label(codes: np.ndarray, labels: list[str]) -> np.ndarray:
    names = np.asarray([*labels, EXIT, START], dtype=object)
    return names[codes]  # -1 -> START, -2 -> EXIT


def transitions(seqs: Sequences) -> pd.DataFrame:
    """First-order Markov transitions between events, with entry and exit.

    Returns
    -------
    pandas.DataFrame
        One row per observed (from, to) pair: ``from`` (an event or "(start)"), ``to`` (an
        event or "(exit)"), ``count``, ``probability`` (count / all steps out of ``from``);
        the row ``page → (exit)`` is the probability of leaving after that page.
    """
    src, dst = _pairs(seqs)
    k = len(seqs.labels) + 2
    key = (src + 2) * k + (dst + 2)
    counts = np.bincount(key, minlength=k * k).reshape(k, k)
    i, j = np.nonzero(counts)
    out = pd.DataFrame(
        {
            "from": _label(i - 2, seqs.labels),
            "to": _label(j - 2, seqs.labels),
            "count": counts[i, j],
        }
    )
    out["probability"] = out["count"] / out.groupby("from")["count"].transform("sum")
    return out.sort_values(["from", "count"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )


def top_transitions(trans: pd.DataFrame, *, top: int = 16) -> pd.DataFrame:
    """Transitions among the ``top`` busiest events; the rest pooled as "(other)".

    Parameters
    ----------
    trans : pandas.DataFrame
        :func:`transitions` output.

    Returns
    -------
    pandas.DataFrame
        Same columns, probabilities recomputed over the pooled rows (so a heatmap of thousands
        of products stays readable).
    """
    busy = trans[~trans["from"].isin([START])].groupby("from")["count"].sum()
    keep = set(busy.nlargest(top).index) | {START, EXIT}
    if len(keep) >= len(busy) + 2:
        return trans
    pooled = trans.assign(**{c: trans[c].where(trans[c].isin(keep), OTHER) for c in ("from", "to")})
    out = pooled.groupby(["from", "to"], as_index=False)["count"].sum()
    out["probability"] = out["count"] / out.groupby("from")["count"].transform("sum")
    return out


def exit_by_step(seqs: Sequences, *, max_step: int = 20) -> pd.DataFrame:
    """How many sessions reach each step and the share that leaves right after it.

    Returns
    -------
    pandas.DataFrame
        ``step`` 1..max_step, ``sessions`` (reaching the step), ``exits`` (ending there),
        ``exit_probability``; the last row counts every session longer than ``max_step``
        as still going.
    """
    lengths = seqs.lengths()
    lengths = lengths[lengths > 0]
    if lengths.size == 0:
        raise EmptyResultError("The sessions hold no events.")
    steps = np.arange(1, max_step + 1)
    ending = np.bincount(np.minimum(lengths, max_step + 1), minlength=max_step + 2)
    reach = len(lengths) - np.concatenate([[0], np.cumsum(ending[1:])])[:max_step]
    out = pd.DataFrame({"step": steps, "sessions": reach, "exits": ending[1 : max_step + 1]})
    out = out[out["sessions"] > 0].reset_index(drop=True)
    out["exit_probability"] = out["exits"] / out["sessions"]
    return out


def purchase_sequences(data: pd.DataFrame, *, item: str = "item") -> Sequences:
    """Each customer's items in order of purchase (canonical transactions with a customer id;
    items of one order share a timestamp and keep their order in the file). ``ids`` hold
    pseudonyms (:func:`crmlib.privacy.pseudonymise`), never the raw customer ids."""
    from crmlib.io.events import sequences_from_events

    return sequences_from_events(data, session="customer_id", event=item, time="order_date")


__all__ = [
    "EXIT",
    "START",
    "cap_sessions",
    "exit_by_step",
    "purchase_sequences",
    "sequence_rules",
    "top_transitions",
    "transitions",
]
