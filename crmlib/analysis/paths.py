"""Path views of event sessions: the path tree with drop-off, the step flow, the commonest
complete paths and funnels.

Input is :class:`~crmlib.io.events.Sequences`; everything is vectorised over the
concatenated event array.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlib.analysis.sequences import OTHER
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.io.events import Sequences


def _prefix_matrix(seqs: Sequences, depth: int) -> np.ndarray:
    """(n_sessions, depth) codes of each session's first events, -1 past its end."""
    lengths = seqs.lengths()
    out = np.full((seqs.n_sequences, depth), -1, dtype=np.int64)
    for k in range(depth):
        has = lengths > k
        out[has, k] = seqs.codes[seqs.offsets[:-1][has] + k]
    return out


def _check_min_sessions(min_sessions: int) -> None:
    if isinstance(min_sessions, bool) or not isinstance(min_sessions, int) or min_sessions < 1:
        raise CrmInputError(f"min_sessions must be a whole number >= 1, got {min_sessions!r}.")


def path_tree(
    seqs: Sequences, *, depth: int = 4, start: str | None = None, min_sessions: int = 1
) -> pd.DataFrame:
    """Every path prefix up to ``depth`` steps: sessions reaching it and where they drop off.

    Parameters
    ----------
    start : str, optional
        Only sessions whose first event is ``start`` (the start-page view).
    min_sessions : int
        Prefixes reached by fewer sequences are dropped (use
        :data:`crmlib.privacy.DEFAULT_MIN_GROUP` for customers' purchase histories, so no
        one's history is singled out). A prefix never has more sequences than its parent,
        so every kept prefix keeps its parent.

    Returns
    -------
    pandas.DataFrame
        ``step`` (1..depth), ``path`` (" > "-joined prefix), ``page`` (last event), ``parent``
        (prefix without it, "" at step 1), ``sessions`` (reaching the prefix), ``exits``
        (ending exactly there), ``continue_share``; most sessions first within a step.
        ``attrs["hidden"]`` counts the prefixes dropped by ``min_sessions``.
    """
    _check_min_sessions(min_sessions)
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
    small = out["sessions"] < min_sessions
    out = out[~small].copy()
    out["continue_share"] = 1 - out["exits"] / out["sessions"]
    out = out.sort_values(
        ["step", "sessions", "path"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
    out.attrs["hidden"] = int(small.sum())
    return out


def top_paths(seqs: Sequences, *, top_n: int = 20, min_sessions: int = 1) -> pd.DataFrame:
    """The most common complete sessions and the page each one ends on.

    Parameters
    ----------
    min_sessions : int
        Complete paths followed by fewer sequences are dropped (for customers' purchase
        histories use :data:`crmlib.privacy.DEFAULT_MIN_GROUP`: a history nobody else shares
        would single its customer out).

    Returns
    -------
    pandas.DataFrame
        ``path``, ``steps``, ``sessions``, ``share`` (of all sessions), ``exit_page``.
        ``attrs["hidden"]`` and ``attrs["hidden_sequences"]`` count the distinct paths and
        the sequences dropped by ``min_sessions``.
    """
    _check_min_sessions(min_sessions)
    lengths = seqs.lengths()
    keys = pd.Series(
        [
            seqs.codes[a:b].tobytes()
            for a, b in zip(seqs.offsets[:-1], seqs.offsets[1:], strict=True)
        ]
    )
    counts = keys[lengths > 0].value_counts()
    small = counts < min_sessions
    hidden = {"hidden": int(small.sum()), "hidden_sequences": int(counts[small].sum())}
    counts = counts[~small].head(top_n)
    labels = np.asarray(seqs.labels, dtype=object)
    decoded = [labels[np.frombuffer(k, dtype=seqs.codes.dtype)] for k in counts.index]
    out = pd.DataFrame(
        {
            "path": [" > ".join(d) for d in decoded],
            "steps": [len(d) for d in decoded],
            "sessions": counts.to_numpy(),
            "share": counts.to_numpy() / seqs.n_sequences,
            "exit_page": [d[-1] for d in decoded],
        }
    )
    out.attrs.update(hidden)
    return out


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
        p if (k, p) in keep else OTHER for k, p in zip(frame["step"], frame["page"], strict=True)
    ]
    nodes = frame.groupby(["step", "shown"], as_index=False)[["sessions", "exits"]].sum()
    nodes = nodes.rename(columns={"shown": "page"})
    nodes["pooled"] = nodes["page"] == OTHER  # drawn last in its step
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
        shown_of.get((k - 1, parent), OTHER)
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


__all__ = ["funnel", "path_flow", "path_tree", "top_paths"]
