"""Networks of products and customers: links, centralities, communities, bridges, summaries.

Edges come from baskets (products bought together), from shared purchases (customers who buy
the same products) or from an explicit relation table (referrals: who brought whom). The
metrics use networkx, imported inside the functions so ``import crmlib.analysis`` stays light.
Customer identifiers are pseudonymised before they leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from crmlib import config as C
from crmlib.analysis.baskets import Baskets
from crmlib.analysis.cooccurrence import cooccurrence_links
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.privacy import pseudonymise

EXACT_BETWEENNESS_NODES = 600  # above this, betweenness is estimated from k sampled sources
BETWEENNESS_SAMPLES = 200


@dataclass
class Network:
    """A weighted undirected network and what was measured on it.

    Attributes
    ----------
    nodes : pandas.DataFrame
        One row per node: ``node``, ``degree``, ``weighted_degree``, ``betweenness``,
        ``pagerank``, ``community`` (1 = largest), ``role`` ("hub", "bridge", "hub and
        bridge" or ""), plus ``size`` when given (baskets or orders).
    edges : pandas.DataFrame
        ``source``, ``target``, ``weight``, ``bridge`` (removing it splits the network),
        ``community`` (shared by both ends, else 0).
    communities : pandas.DataFrame
        ``community``, ``nodes``, ``links_inside``, ``key_nodes`` (top by PageRank).
    notes : list of str
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    communities: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def copurchase_edges(
    baskets: Baskets, *, top_items: int = 60, min_baskets: int = 1
) -> pd.DataFrame:
    """Products linked by the number of baskets that hold both.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``target``, ``weight`` (baskets with both), ``size_source``,
        ``size_target`` (baskets with each), among the ``top_items`` most frequent products.
    """
    links = cooccurrence_links(baskets, top_items=top_items, measure="count", min_value=min_baskets)
    return links.rename(
        columns={
            "item_a": "source",
            "item_b": "target",
            "count": "weight",
            "baskets_a": "size_source",
            "baskets_b": "size_target",
        }
    )[["source", "target", "weight", "size_source", "size_target"]].reset_index(drop=True)


def customer_edges(
    data: pd.DataFrame,
    *,
    max_customers: int = 300,
    min_shared: int = 2,
    max_item_share: float = 0.2,
    item: str = C.DESCRIPTION,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers linked by the number of distinct products both bought.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical transactions with ``customer_id``, ``order_id`` and ``item``.
    max_customers : int
        Keep the most active customers (by distinct orders) so the network stays readable and
        tractable (pairs grow with the square of customers).
    min_shared : int
        Smallest number of shared products that makes a link.
    max_item_share : float
        Products bought by more than this share of the kept customers are ignored: they would
        link nearly everyone and hide the communities.
    item : str
        Item label column.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        Edges (``source``, ``target``: pseudonyms; ``weight``) and the purchase profile
        (``node``, ``item``: one row per customer and product, for community summaries).
    """
    missing = [c for c in (C.CUSTOMER_ID, C.ORDER_ID, item) if c not in data.columns]
    if missing:
        raise CrmInputError(f"Transactions have no column {missing}; found {list(data.columns)}.")
    rows = data.dropna(subset=[C.CUSTOMER_ID, item])
    if rows.empty:
        raise EmptyResultError("No transactions with a customer id: a customer network needs them.")
    orders = rows.groupby(C.CUSTOMER_ID)[C.ORDER_ID].nunique()
    top = orders.sort_values(ascending=False, kind="stable").head(max_customers).index
    pairs = rows.loc[rows[C.CUSTOMER_ID].isin(top), [C.CUSTOMER_ID, item]].drop_duplicates()
    reach = pairs.groupby(item)[C.CUSTOMER_ID].transform("size")
    pairs = pairs[reach <= max(max_item_share * len(top), 1)]
    cust, ids = pd.factorize(pairs[C.CUSTOMER_ID])
    prod, _ = pd.factorize(pairs[item])
    matrix = sparse.csr_matrix((np.ones(len(pairs), np.int32), (cust, prod)))
    shared = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    keep = shared.data >= min_shared
    names = pseudonymise(pd.Series(ids)).to_numpy()
    edges = pd.DataFrame(
        {
            "source": names[shared.row[keep]],
            "target": names[shared.col[keep]],
            "weight": shared.data[keep].astype(np.int64),
        }
    )
    profile = pd.DataFrame({"node": names[cust], "item": pairs[item].astype(str).to_numpy()})
    edges = edges.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
    return edges, profile


def relation_edges(
    relations: pd.DataFrame,
    *,
    source: str,
    target: str,
    weight: str | None = None,
    pseudonymise_ids: bool = True,
) -> pd.DataFrame:
    """Edges from an explicit relation table (e.g. referrer → referred customer).

    Returns
    -------
    pandas.DataFrame
        ``source``, ``target``, ``weight`` (summed over repeated pairs; 1 per row without a
        weight column); direction is dropped, self-links are removed.
    """
    need = [c for c in (source, target, weight) if c]
    missing = [c for c in need if c not in relations.columns]
    if missing:
        raise CrmInputError(
            f"The relation table has no column {missing}; found {list(relations.columns)}."
        )
    frame = relations.dropna(subset=[source, target])
    a, b = frame[source].astype(str), frame[target].astype(str)
    if pseudonymise_ids:
        a, b = pseudonymise(a), pseudonymise(b)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    w = frame[weight].astype(float) if weight else pd.Series(1.0, index=frame.index)
    edges = pd.DataFrame({"source": lo.to_numpy(), "target": hi.to_numpy(), "weight": w.to_numpy()})
    edges = edges[edges["source"] != edges["target"]]
    return edges.groupby(["source", "target"], as_index=False)["weight"].sum()


def network_metrics(
    edges: pd.DataFrame,
    *,
    min_weight: float = 0,
    sizes: pd.Series | None = None,
    seed: int = 0,
    top_key: int = 5,
) -> Network:
    """Degree, betweenness, PageRank, Louvain communities, bridges and key nodes.

    Parameters
    ----------
    edges : pandas.DataFrame
        ``source``, ``target``, ``weight``.
    min_weight : float
        Links below this weight are left out first.
    sizes : pandas.Series, optional
        A size per node (index = node), copied into ``nodes["size"]``.
    seed : int
        Seed of Louvain and of the betweenness sample (used above
        ``EXACT_BETWEENNESS_NODES`` nodes).
    top_key : int
        Nodes called "hub" (highest PageRank) and "bridge" (highest betweenness).

    Returns
    -------
    Network
    """
    import networkx as nx

    need = {"source", "target", "weight"}
    if not need <= set(edges.columns):
        raise CrmInputError(f"Edges need columns {sorted(need)}; found {list(edges.columns)}.")
    kept = edges[edges["weight"] >= min_weight]
    if kept.empty:
        raise EmptyResultError(
            f"No links have a weight of at least {min_weight:g}; lower the link threshold."
        )
    graph = nx.Graph()
    graph.add_weighted_edges_from(kept[["source", "target", "weight"]].itertuples(index=False))
    n = graph.number_of_nodes()
    notes = []
    if n > EXACT_BETWEENNESS_NODES:
        between = nx.betweenness_centrality(graph, k=BETWEENNESS_SAMPLES, seed=seed)
        notes.append(
            f"Betweenness is estimated from {BETWEENNESS_SAMPLES} sampled nodes "
            f"({n:,} nodes in all)."
        )
    else:
        between = nx.betweenness_centrality(graph)
    pagerank = nx.pagerank(graph, weight="weight")
    groups = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    groups = sorted(groups, key=lambda g: (-len(g), min(map(str, g))))
    community = {node: i + 1 for i, g in enumerate(groups) for node in g}
    nodes = pd.DataFrame({"node": list(graph.nodes)})
    nodes["degree"] = [graph.degree(v) for v in nodes["node"]]
    nodes["weighted_degree"] = [graph.degree(v, weight="weight") for v in nodes["node"]]
    nodes["betweenness"] = nodes["node"].map(between)
    nodes["pagerank"] = nodes["node"].map(pagerank)
    nodes["community"] = nodes["node"].map(community).astype(np.int64)
    hubs = set(nodes.nlargest(top_key, "pagerank")["node"])
    brokers = set(nodes[nodes["betweenness"] > 0].nlargest(top_key, "betweenness")["node"])
    nodes["role"] = [
        (
            "hub and bridge"
            if v in hubs and v in brokers
            else "hub"
            if v in hubs
            else "bridge"
            if v in brokers
            else ""
        )
        for v in nodes["node"]
    ]
    if sizes is not None:
        nodes["size"] = nodes["node"].map(sizes)
    nodes = nodes.sort_values(["pagerank", "node"], ascending=[False, True], kind="stable")
    bridge_set = {frozenset(e) for e in nx.bridges(graph)}
    out_edges = kept.reset_index(drop=True).copy()
    out_edges["bridge"] = [
        frozenset((a, b)) in bridge_set
        for a, b in zip(out_edges["source"], out_edges["target"], strict=True)
    ]
    ca, cb = out_edges["source"].map(community), out_edges["target"].map(community)
    out_edges["community"] = np.where(ca == cb, ca, 0)
    communities = _communities(nodes, out_edges)
    notes.append(
        f"{n:,} nodes, {len(out_edges):,} links, {len(groups):,} communities (Louvain, "
        f"seed {seed}); {len(bridge_set):,} bridge link(s)."
    )
    return Network(nodes.reset_index(drop=True), out_edges, communities, notes)


def _communities(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    inside = edges[edges["community"] > 0].groupby("community").size()
    rows = []
    for cid, members in nodes.groupby("community", sort=True):
        key = members.nlargest(3, "pagerank")["node"].astype(str).tolist()
        rows.append(
            {
                "community": int(cid),
                "nodes": len(members),
                "links_inside": int(inside.get(cid, 0)),
                "key_nodes": ", ".join(key),
            }
        )
    return pd.DataFrame(rows)


def describe_communities(
    network: Network,
    *,
    kind: str = "products",
    profile: pd.DataFrame | None = None,
    top: int = 3,
) -> pd.DataFrame:
    """One plain-words sentence per community.

    Parameters
    ----------
    kind : {"products", "customers"}
        What the nodes are.
    profile : pandas.DataFrame, optional
        For customers: ``node`` and ``item`` pairs (from :func:`customer_edges`); the
        community is described by the products whose share of buyers is most above the
        share among all customers of the network.

    Returns
    -------
    pandas.DataFrame
        ``network.communities`` with a ``summary`` column, e.g. "community 3: 54 customers
        buying mostly A, B and C".
    """
    out = network.communities.copy()
    texts = []
    members = network.nodes.groupby("community")["node"].apply(list)
    for cid, n in zip(out["community"], out["nodes"], strict=True):
        if kind == "customers" and profile is not None:
            inside = profile[profile["node"].isin(members[cid])]
            share_in = inside["item"].value_counts() / max(len(members[cid]), 1)
            share_all = profile["item"].value_counts() / max(profile["node"].nunique(), 1)
            lead = (share_in - share_all.reindex(share_in.index)).sort_values(
                ascending=False, kind="stable"
            )  # more common here than among all customers
            words = _join(lead.head(top).index.tolist())
            texts.append(f"community {cid}: {n:,} customers buying mostly {words}")
        else:
            key = network.nodes[network.nodes["community"] == cid].head(top)["node"]
            texts.append(f"community {cid}: {n:,} {kind} around {_join(list(map(str, key)))}")
    out["summary"] = texts
    return out


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words) or "(nothing in common)"
    return ", ".join(words[:-1]) + " and " + words[-1]


def network_layout(network: Network, *, seed: int = 0) -> pd.DataFrame:
    """Spring layout of the network's nodes (deterministic for a seed).

    Returns
    -------
    pandas.DataFrame
        ``node``, ``x``, ``y`` (roughly within -1..1).
    """
    from crmlib.analysis.cooccurrence import web_layout

    nodes = network.nodes.rename(columns={"node": "item"})
    links = network.edges.assign(value=network.edges["weight"])
    layout = web_layout(nodes[["item"]], links, kind="spring", seed=seed)
    return layout.rename(columns={"item": "node"})


def placed_edges(
    network: Network, layout: pd.DataFrame, min_weight: float = 0, top: int | None = None
) -> pd.DataFrame:
    """Edges at or above ``min_weight`` (the ``top`` heaviest when given) with both ends'
    positions (``x``, ``y``, ``x2``, ``y2``), heaviest first: what a network chart draws.
    ``attrs["total"]`` counts the edges at or above ``min_weight`` before ``top``."""
    where = layout.set_index("node")[["x", "y"]]
    edges = network.edges[network.edges["weight"] >= min_weight]
    edges = edges.join(where, on="source").join(where.add_suffix("2"), on="target")
    edges = edges.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
    total = len(edges)
    edges = edges.head(top) if top is not None else edges
    edges.attrs["total"] = total
    return edges


__all__ = [
    "Network",
    "copurchase_edges",
    "customer_edges",
    "describe_communities",
    "network_layout",
    "network_metrics",
    "placed_edges",
    "relation_edges",
]
