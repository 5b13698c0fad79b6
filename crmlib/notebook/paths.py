"""Notebook helpers of paths and networks: one computation shared by the report and the app.

Heavy steps (reading the click-stream, mining patterns, network metrics) are cached on disk
keyed by the data file and the parameters, so an app kernel loads what a report run stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from crmlib.analysis import baskets_from_transactions
from crmlib.analysis.network import (
    Network,
    copurchase_edges,
    customer_edges,
    describe_communities,
    network_layout,
    network_metrics,
    placed_edges,
    relation_edges,
)
from crmlib.analysis.paths import (
    funnel,
    path_flow,
    path_tree,
    top_paths,
)
from crmlib.analysis.prefixspan import mine_sequences
from crmlib.analysis.sequences import (
    cap_sessions,
    exit_by_step,
    purchase_sequences,
    sequence_rules,
    top_transitions,
    transitions,
)
from crmlib.cache import cached, file_fingerprint, fingerprint
from crmlib.charts import cards, empty_state, notes
from crmlib.charts.network import network_graph
from crmlib.charts.paths import (
    exit_step_chart,
    funnel_chart,
    path_flow_chart,
    patterns_chart,
    transition_heatmap,
)
from crmlib.engines import EngineError, StepTimer
from crmlib.errors import CrmInputError
from crmlib.io import read_table, resolve_source
from crmlib.io.events import Sequences, read_msnbc, sequences_from_events
from crmlib.notebook import show, show_table
from crmlib.privacy import DEFAULT_MIN_GROUP, privacy_note
from crmlib.record import record

MAX_LINKS = 1500  # links drawn at most (a browser draws more slowly, and nobody reads them)
RULE_COLUMNS = ["rule", "sequences", "support", "confidence", "lift"]
FORMATS = {
    "support": "{:.2%}",
    "confidence": "{:.1%}",
    "lift": "{:.2f}",
    "share": "{:.2%}",
    "sequences": "{:,}",
    "sessions": "{:,}",
    "pagerank": "{:.4f}",
    "betweenness": "{:.3f}",
    "weighted_degree": "{:,.0f}",
}


def load_clickstream(
    source: str = "embedded:msnbc",
    *,
    session: str = "session",
    event: str = "page",
    time_column: str = "",
) -> Sequences:
    """Sessions from an MSNBC-format file (``.seq``/``.seq.xz``) or an event table (CSV,
    Parquet, ...: columns ``session``, ``event`` and optionally ``time_column``); cached."""
    path = resolve_source(source)
    key = fingerprint(file_fingerprint(path), session, event, time_column)

    def compute() -> Sequences:
        if path.name.endswith((".seq", ".seq.xz")):
            return read_msnbc(path)
        table = read_table(path)
        return sequences_from_events(table, session=session, event=event, time=time_column or None)

    return cached("clickstream", key, compute)


@dataclass
class PathView:
    """Everything the path section shows, for one parameter choice."""

    seqs: Sequences
    patterns: pd.DataFrame
    rules: pd.DataFrame
    transitions: pd.DataFrame
    exits: pd.DataFrame
    tree: pd.DataFrame
    flow: tuple[pd.DataFrame, pd.DataFrame]
    top: pd.DataFrame
    funnel: pd.DataFrame | None
    seconds: float
    notes: list[str] = field(default_factory=list)
    privacy: str = ""  # what ``min_sessions`` hid from the tree and the top paths


def mine_patterns(
    seqs: Sequences,
    key: str,
    *,
    min_support: float,
    max_length: int,
    max_gap: int = 0,
    timer: StepTimer | None = None,
) -> tuple[pd.DataFrame, float]:
    """Cached :func:`mine_sequences` (``key`` identifies the data); returns the patterns and
    the seconds the mining took (the stored time when loaded from the cache). With a Spark
    ``timer`` the patterns come from Spark's PrefixSpan (same table), timed as a step.

    Raises
    ------
    EngineError
        ``max_gap`` with the Spark engine (PrefixSpan has no gap constraint).
    """
    spark = timer is not None and timer.engine == "spark"
    if spark and max_gap:
        raise EngineError(
            f"engine='spark' mines with Spark's PrefixSpan, which has no gap limit; "
            f"max_gap={max_gap} is not supported there. Set max_gap=0 or use engine='local'."
        )

    def compute() -> tuple[pd.DataFrame, float]:
        started = time.perf_counter()
        if spark:
            from crmlib.engines.spark import mine_sequences_spark, spark_session

            session = spark_session(timer.config)
            found = mine_sequences_spark(
                session, seqs, min_support=min_support, max_length=max_length
            )
        else:
            found = mine_sequences(
                seqs, min_support=min_support, max_length=max_length, max_gap=max_gap or None
            )
        return found, time.perf_counter() - started

    params = fingerprint(key, min_support, max_length, max_gap, *(["spark"] if spark else []))
    if timer is None:
        return cached("sequence_patterns", params, compute)
    with timer.step(f"mine patterns ({'spark' if spark else 'local'})"):
        return cached("sequence_patterns", params, compute)


def analyse_paths(
    seqs: Sequences,
    *,
    key: str,
    min_support: float = 0.01,
    max_length: int = 5,
    max_gap: int = 0,
    depth: int = 4,
    cap: int = 100,
    funnel_steps: list | None = None,
    start: str = "",
    top_pages: int = 6,
    min_sessions: int = 1,
    unit: str = "sessions",
    timer: StepTimer | None = None,
) -> PathView:
    """Patterns (on every event), rules, transitions, exits, path tree and flow (on sessions
    cut to ``cap`` events), top paths and an optional funnel. Path prefixes and complete
    paths followed by fewer than ``min_sessions`` sequences (``unit``, e.g. "customers")
    are left out, with a note saying how many. ``timer`` (from
    :func:`crmlib.notebook.engine.start_engine`) picks the pattern miner and times it."""
    patterns, seconds = mine_patterns(
        seqs, key, min_support=min_support, max_length=max_length, max_gap=max_gap, timer=timer
    )
    steps = list(funnel_steps or [])

    def compute() -> tuple:
        capped = cap_sessions(seqs, cap or None)
        tree = path_tree(capped, depth=depth, start=start or None, min_sessions=min_sessions)
        top = top_paths(capped, min_sessions=min_sessions)
        return (
            sequence_rules(patterns), transitions(capped), exit_by_step(capped), tree,
            path_flow(tree, top_pages=top_pages), top, funnel(seqs, steps) if steps else None,
            list(capped.notes), _hidden_note(tree, top, min_sessions, unit),
        )  # fmt: skip

    params = fingerprint(
        key, min_support, max_length, max_gap, depth, cap, steps, start, top_pages, min_sessions
    )
    rules, trans, exits, tree, flow, top, stages, notes_, hidden = cached("paths", params, compute)
    return PathView(
        seqs, patterns, rules, trans, exits, tree, flow, top, stages, seconds, notes_, hidden
    )


def _hidden_note(tree: pd.DataFrame, top: pd.DataFrame, k: int, unit: str) -> str:
    paths, prefixes = top.attrs.get("hidden", 0), tree.attrs.get("hidden", 0)
    if not paths and not prefixes:
        return ""
    return (
        f"{paths:,} complete path(s) ({top.attrs.get('hidden_sequences', 0):,} {unit}) and "
        f"{prefixes:,} path prefix(es) followed by fewer than {k} {unit} are hidden to "
        "protect privacy."
    )


def show_paths(view: PathView, *, static: bool = True) -> None:
    """Cards, frequent patterns and rules, the flow, the transition heatmap, exits, top paths
    and the funnel (static report: browser-side sliders on the pattern chart)."""
    lengths = view.seqs.lengths()
    show(
        cards(
            {
                "Sessions": f"{view.seqs.n_sequences:,}",
                "Events": f"{view.seqs.n_events:,}",
                "Pages / events": f"{len(view.seqs.labels):,}",
                "Mean length": f"{lengths.mean():.2f}",
                "Patterns": f"{len(view.patterns):,}",
            }
        ),
        notes(
            [
                *view.notes,
                f"Support counts sessions containing the pattern in order, gaps "
                f"allowed (at least {view.patterns.attrs.get('min_count', 0):,} sessions).",
            ]
        ),
    )
    show(patterns_chart(view.patterns, sliders=static))
    if view.rules.empty:
        show(empty_state("No sequence rules: no pattern of two or more steps is frequent."))
    else:
        show(
            notes(
                [
                    "Sequence rules, strongest lift first (A then B: confidence = sessions "
                    "with A then B / sessions with A):"
                ]
            )
        )
        show_table(view.rules[RULE_COLUMNS].head(15), formats=FORMATS)
    show(path_flow_chart(*view.flow))
    show(transition_heatmap(top_transitions(view.transitions)))
    show(exit_step_chart(view.exits))
    show(notes(["The most common complete sessions and where they end:"]))
    if view.privacy:
        show(notes([view.privacy]))
    if view.top.empty:
        show(empty_state("No complete path is shared by enough sessions to be shown."))
    else:
        show_table(view.top, formats=FORMATS)
    if view.funnel is not None:
        show(funnel_chart(view.funnel))
        show_table(
            view.funnel,
            formats={"share_of_start": "{:.1%}", "share_of_previous": "{:.1%}", "sessions": "{:,}"},
        )


@dataclass
class NetworkView:
    """A measured network with its layout and plain-words community summaries."""

    network: Network | None  # None: no link reached the threshold (see ``message``)
    layout: pd.DataFrame
    summary: pd.DataFrame
    kind: str
    message: str = ""

    def records(self, prefix: str) -> dict:
        """Key figures to record: communities, nodes, links, top PageRank and betweenness."""
        if self.network is None:
            return {f"{prefix}_communities": 0, f"{prefix}_nodes": 0, f"{prefix}_links": 0}
        nodes = self.network.nodes
        top = nodes.nlargest(5, "betweenness")[["node", "betweenness"]]
        return {
            f"{prefix}_communities": len(self.network.communities),
            f"{prefix}_nodes": len(nodes),
            f"{prefix}_links": len(self.network.edges),
            f"{prefix}_top_pagerank": nodes.head(5)[["node", "pagerank"]].round(4).values.tolist(),
            f"{prefix}_top_betweenness": top.round(4).values.tolist(),
            f"{prefix}_summaries": self.summary["summary"].tolist(),
        }

    def nodes(self) -> pd.DataFrame:
        """Node metrics with their positions."""
        return self.network.nodes.merge(self.layout, on="node", how="left")

    def edges(self, min_weight: float = 0) -> pd.DataFrame:
        """Placed edges at or above ``min_weight`` (at most ``MAX_LINKS``, the heaviest)."""
        return placed_edges(self.network, self.layout, min_weight, top=MAX_LINKS)


def _no_links(kind: str, why: str) -> NetworkView:
    return NetworkView(None, pd.DataFrame(), pd.DataFrame(), kind, f"No network: {why}.")


def product_network(
    data: pd.DataFrame, key: str, *, top_items: int = 60, min_baskets: int = 200, seed: int = 0
) -> NetworkView:
    """Co-purchase network of the ``top_items`` most frequent products (orders as baskets;
    links = orders holding both, at least ``min_baskets``); cached under ``key``."""

    def compute() -> NetworkView:
        baskets = baskets_from_transactions(data, item="description")
        edges = copurchase_edges(baskets, top_items=top_items, min_baskets=min_baskets)
        if edges.empty:
            return _no_links("products", f"no two of the {top_items} most frequent products "
                             f"share {min_baskets:,} orders; lower min_baskets")  # fmt: skip
        net = network_metrics(edges, seed=seed)
        return NetworkView(
            net, network_layout(net, seed=seed), describe_communities(net), "products"
        )

    return cached("network", fingerprint(key, "products", top_items, min_baskets, seed), compute)


def customer_network(
    data: pd.DataFrame, key: str, *, max_customers: int = 200, min_shared: int = 30, seed: int = 0
) -> NetworkView:
    """Customers (the ``max_customers`` with most orders) linked by distinct products both
    bought (at least ``min_shared``); ids pseudonymised; cached under ``key``."""

    def compute() -> NetworkView:
        edges, profile = customer_edges(data, max_customers=max_customers, min_shared=min_shared)
        if edges.empty:
            return _no_links("customers", f"no two of the {max_customers} most active customers "
                             f"share {min_shared} products; lower min_shared")  # fmt: skip
        net = network_metrics(edges, seed=seed)
        summary = describe_communities(net, kind="customers", profile=profile)
        return NetworkView(net, network_layout(net, seed=seed), summary, "customers")

    return cached(
        "network", fingerprint(key, "customers", max_customers, min_shared, seed), compute
    )


def relation_network(source: str, *, seed: int = 0) -> NetworkView:
    """Customer network from an explicit relation table (e.g. referrals): a file with columns
    ``source`` and ``target`` (customer ids, pseudonymised here) and optionally ``weight``."""
    path = resolve_source(source)

    def compute() -> NetworkView:
        table = read_table(path)
        weight = "weight" if "weight" in table.columns else None
        edges = relation_edges(table, source="source", target="target", weight=weight)
        if edges.empty:
            return _no_links("customers", f"the relation table {path.name} holds no links")
        net = network_metrics(edges, seed=seed)
        summary = describe_communities(net, kind="customers")
        return NetworkView(net, network_layout(net, seed=seed), summary, "customers")

    return cached("network", fingerprint(file_fingerprint(path), "relations", seed), compute)


def show_network(
    view: NetworkView, *, title: str, min_weight: float = 0, static: bool = True, chart: bool = True
) -> None:
    """Network chart (with a browser-side link slider in the report; ``chart=False`` when an
    app draws it), communities in words, and the key nodes; the empty state without links."""
    if view.network is None:
        show(empty_state(view.message))
        return
    if chart:
        show(network_graph(view.nodes(), view.edges(min_weight), title=title, slider=static))
    show(notes([*view.network.notes, *([privacy_note()] if view.kind == "customers" else [])]))
    show_table(view.summary[["community", "nodes", "links_inside", "summary"]])
    key = view.network.nodes[view.network.nodes["role"] != ""]
    show_table(
        key[["node", "role", "community", "degree", "weighted_degree", "pagerank", "betweenness"]],
        formats=FORMATS,
    )


def purchase_paths(
    data: pd.DataFrame, key: str, *, min_support: float, max_length: int
) -> PathView:
    """Patterns and paths of customers' purchase sequences (products in order bought); ids
    are pseudonymised, and paths or prefixes of fewer than ``DEFAULT_MIN_GROUP`` customers
    are hidden."""
    seqs = cached(
        "purchase_sequences", fingerprint(key), lambda: purchase_sequences(data, item="description")
    )
    return analyse_paths(
        seqs,
        key=key + ":purchases",
        min_support=min_support,
        max_length=max_length,
        depth=3,
        top_pages=6,
        min_sessions=DEFAULT_MIN_GROUP,
        unit="customers",
    )


def start_paths(
    capped: Sequences, *, start: str, depth: int = 4
) -> tuple[pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame], pd.DataFrame]:
    """Paths of the sessions that start at ``start``: the path tree, its flow (nodes, links)
    and the 15 commonest continuations (``path``, ``sessions``, ``exits``,
    ``continue_share``); the report and the app both show these."""
    tree = path_tree(capped, depth=depth, start=start)
    later = tree[tree["step"] > 1].head(15)[["path", "sessions", "exits", "continue_share"]]
    return tree, path_flow(tree), later.reset_index(drop=True)


def show_start_paths(capped: Sequences, *, start: str, depth: int = 4) -> None:
    """The flow and the commonest continuations of sessions starting at ``start`` (report)."""
    tree, flow, later = start_paths(capped, start=start, depth=depth)
    show(path_flow_chart(*flow))
    show(notes([f"Sessions starting at {start}: {int(tree['sessions'].iloc[0]):,}; their "
                "commonest next steps:"]))  # fmt: skip
    show_table(later, formats={"continue_share": "{:.0%}", "sessions": "{:,}"})


def record_networks(products: NetworkView, customers: NetworkView) -> dict:
    """Record the key figures of both networks (``product_*`` and ``customer_*``, see
    :meth:`NetworkView.records`) in the running notebook; returns what was recorded."""
    found = {**products.records("product"), **customers.records("customer")}
    for name, value in found.items():
        record(name, value)
    return found


def source_key(source: str) -> str:
    """A cache key part for a data source: the file's identity, or the text itself."""
    try:
        return fingerprint(file_fingerprint(resolve_source(source)))
    except CrmInputError:
        return str(Path(source))


__all__ = [
    "NetworkView",
    "PathView",
    "analyse_paths",
    "customer_network",
    "load_clickstream",
    "mine_patterns",
    "product_network",
    "purchase_paths",
    "record_networks",
    "relation_network",
    "show_network",
    "show_paths",
    "show_start_paths",
    "source_key",
    "start_paths",
]
