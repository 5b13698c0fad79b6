"""Path analysis of event sequences: rules, Markov transitions, exits, top paths, funnels.

Input is :class:`~crmlib.io.events.Sequences` (click-streams, ordered purchase histories);
pattern mining itself is :func:`crmlib.analysis.prefixspan.mine_sequences`. Everything here
is vectorised over the concatenated event array.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def _prefix_matrix(seqs: Sequences, depth: int) -> np.ndarray:
    """(n_sessions, depth) codes of each session's first events, -1 past its end."""
    lengths = seqs.lengths()
    out = np.full((seqs.n_sequences, depth), -1, dtype=np.int64)
    for k in range(depth):
        has = lengths > k
        out[has, k] = seqs.codes[seqs.offsets[:-1][has] + k]
    return out


def path_tree(seqs: Sequences, *, depth: int = 4, start: str | None = None) -> pd.DataFrame:
    """Every path prefix up to ``depth`` steps: sessions reaching it and where they drop off.

    Parameters
    ----------
    start : str, optional
        Only sessions whose first event is ``start`` (the start-page view).

    Returns
    -------
    pandas.DataFrame
        ``step`` (1..depth), ``path`` (" > "-joined prefix), ``page`` (last event), ``parent``
        (prefix without it, "" at step 1), ``sessions`` (reaching the prefix), ``exits``
        (ending exactly there), ``continue_share``; most sessions first within a step.
    """
    if depth < 1 or (len(seqs.labels) + 1.0) ** depth >= 2.0**62:
        raise CrmInputError(
            f"depth must be at least 1 and small enough for "
            f"{len(seqs.labels):,} events; got {depth}."
        )
    prefix = _prefix_matrix(seqs, depth + 1)
    if start is not None:
        if start not in seqs.labels:
            raise CrmInputError(f"Unknown start page {start!r}; pages are {seqs.labels[:20]}.")
        prefix = prefix[prefix[:, 0] == seqs.labels.index(start)]
        if len(prefix) == 0:
            raise EmptyResultError(f"No session starts with {start!r}.")
    labels = np.asarray(seqs.labels, dtype=object)
    base = len(seqs.labels) + 1
    key = np.zeros(len(prefix), dtype=np.int64)  # the prefix as a number in base k + 1
    rows = []
    for k in range(1, depth + 1):
        live = prefix[:, k - 1] >= 0
        prefix, key = prefix[live], key[live] * base + prefix[live, k - 1] + 1
        uniq, first, inverse, count = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        exits = np.bincount(inverse, weights=prefix[:, k] < 0, minlength=len(uniq))
        heads = prefix[first, :k]
        paths = [" > ".join(labels[row]) for row in heads]
        parents = [" > ".join(labels[row[:-1]]) for row in heads]
        rows.append(
            pd.DataFrame(
                {
                    "step": k,
                    "path": paths,
                    "page": labels[heads[:, -1]],
                    "parent": parents,
                    "sessions": count,
                    "exits": exits.astype(np.int64),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out["continue_share"] = 1 - out["exits"] / out["sessions"]
    return out.sort_values(
        ["step", "sessions", "path"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)


def top_paths(seqs: Sequences, *, top_n: int = 20) -> pd.DataFrame:
    """The most common complete sessions and the page each one ends on.

    Returns
    -------
    pandas.DataFrame
        ``path``, ``steps``, ``sessions``, ``share`` (of all sessions), ``exit_page``.
    """
    lengths = seqs.lengths()
    keys = pd.Series(
        [
            seqs.codes[a:b].tobytes()
            for a, b in zip(seqs.offsets[:-1], seqs.offsets[1:], strict=True)
        ]
    )
    counts = keys[lengths > 0].value_counts().head(top_n)
    labels = np.asarray(seqs.labels, dtype=object)
    decoded = [labels[np.frombuffer(k, dtype=seqs.codes.dtype)] for k in counts.index]
    return pd.DataFrame(
        {
            "path": [" > ".join(d) for d in decoded],
            "steps": [len(d) for d in decoded],
            "sessions": counts.to_numpy(),
            "share": counts.to_numpy() / seqs.n_sequences,
            "exit_page": [d[-1] for d in decoded],
        }
    )


def funnel(seqs: Sequences, steps: Sequence[str]) -> pd.DataFrame:
    """Sessions that pass each step of a funnel in order (other events may come between).

    Parameters
    ----------
    steps : sequence of str
        Event labels, e.g. ``["frontpage", "news", "business"]``.

    Returns
    -------
    pandas.DataFrame
        ``stage`` (1..), ``step``, ``sessions`` reaching it, ``share_of_start`` and
        ``share_of_previous``.
    """
    if not steps:
        raise CrmInputError("A funnel needs at least one step.")
    unknown = [s for s in steps if s not in seqs.labels]
    if unknown:
        raise CrmInputError(f"Unknown funnel step(s) {unknown}; events are {seqs.labels[:20]}.")
    rows = np.flatnonzero(seqs.lengths() > 0)
    pos = seqs.offsets[:-1][rows] - 1
    ends = seqs.offsets[1:][rows]
    reached = []
    for step in steps:
        where = np.append(
            np.flatnonzero(seqs.codes == seqs.labels.index(step)), np.iinfo(np.int64).max
        )
        nxt = where[np.searchsorted(where, pos, side="right")]
        keep = nxt < ends
        pos, ends = nxt[keep], ends[keep]
        reached.append(int(keep.sum()))
    out = pd.DataFrame(
        {"stage": np.arange(1, len(steps) + 1), "step": list(steps), "sessions": reached}
    )
    first = out["sessions"].iloc[0]
    out["share_of_start"] = out["sessions"] / first if first else 0.0
    out["share_of_previous"] = out["sessions"] / out["sessions"].shift(1).fillna(first)
    out["share_of_previous"] = out["share_of_previous"].fillna(0.0)
    return out


def purchase_sequences(data: pd.DataFrame, *, item: str = "item") -> Sequences:
    """Each customer's items in order of purchase (canonical transactions with a customer id;
    items of one order share a timestamp and keep their order in the file)."""
    from crmlib.io.events import sequences_from_events

    return sequences_from_events(data, session="customer_id", event=item, time="order_date")


def path_flow(tree: pd.DataFrame, *, top_pages: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step-by-step flow between pages (a Sankey-like view) from :func:`path_tree` output.

    Pages outside the ``top_pages`` busiest of a step are pooled as "(other)".

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        Nodes: ``step``, ``page``, ``sessions``, ``exits``, ``exit_share``, ``rank`` (0 =
        busiest of its step). Links: ``step`` (of the source), ``source``, ``target``,
        ``sessions``, with ``rank_source`` and ``rank_target`` for drawing.
    """
    need = {"step", "page", "parent", "sessions", "exits"}
    if not need <= set(tree.columns):
        raise CrmInputError(
            f"A path tree needs columns {sorted(need)}; found {list(tree.columns)}."
        )
    frame = tree.copy()
    busy = frame.groupby(["step", "page"], as_index=False)["sessions"].sum()
    busy = busy.sort_values(
        ["step", "sessions", "page"], ascending=[True, False, True], kind="stable"
    )
    busy["rank"] = busy.groupby("step").cumcount()
    keep = set(
        zip(
            busy.loc[busy["rank"] < top_pages, "step"],
            busy.loc[busy["rank"] < top_pages, "page"],
            strict=True,
        )
    )
    frame["shown"] = [
        p if (k, p) in keep else "(other)"
        for k, p in zip(frame["step"], frame["page"], strict=True)
    ]
    nodes = frame.groupby(["step", "shown"], as_index=False)[["sessions", "exits"]].sum()
    nodes = nodes.rename(columns={"shown": "page"})
    nodes["pooled"] = nodes["page"] == "(other)"  # drawn last in its step
    nodes = nodes.sort_values(
        ["step", "pooled", "sessions", "page"], ascending=[True, True, False, True], kind="stable"
    )
    nodes = nodes.drop(columns="pooled").reset_index(drop=True)
    nodes["rank"] = nodes.groupby("step").cumcount()
    nodes["exit_share"] = nodes["exits"] / nodes["sessions"]
    shown_of = dict(
        zip(zip(frame["step"], frame["path"], strict=True), frame["shown"], strict=True)
    )
    child = frame[frame["step"] > 1]
    src = [
        shown_of.get((k - 1, parent), "(other)")
        for k, parent in zip(child["step"], child["parent"], strict=True)
    ]
    links = pd.DataFrame(
        {
            "step": child["step"].to_numpy() - 1,
            "source": src,
            "target": child["shown"].to_numpy(),
            "sessions": child["sessions"].to_numpy(),
        }
    )
    links = links.groupby(["step", "source", "target"], as_index=False)["sessions"].sum()
    rank = nodes.set_index(["step", "page"])["rank"]
    links["rank_source"] = [
        rank[(k, p)] for k, p in zip(links["step"], links["source"], strict=True)
    ]
    links["rank_target"] = [
        rank[(k + 1, p)] for k, p in zip(links["step"], links["target"], strict=True)
    ]
    links = links.sort_values(["step", "sessions"], ascending=[True, False], kind="stable")
    return nodes, links.reset_index(drop=True)


__all__ = [
    "EXIT",
    "START",
    "cap_sessions",
    "exit_by_step",
    "funnel",
    "path_flow",
    "path_tree",
    "purchase_sequences",
    "sequence_rules",
    "top_paths",
    "top_transitions",
    "transitions",
]
