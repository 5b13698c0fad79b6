"""Item co-occurrence, directed links towards a target, and node positions for web charts.

Pair counts come from one sparse product ``Xᵀ X`` restricted to the chosen item columns, so the
baskets are never densified. Layouts are plain tables of ``x``/``y`` positions, computed here
so that chart functions only encode.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse

from crmlib.analysis.baskets import Baskets
from crmlib.analysis.rule_text import rule_label
from crmlib.errors import CrmInputError

MEASURES = ("count", "pct_all", "pct_smaller", "pct_larger")
RANK_BY = ("confidence", "lift", "count")
LAYOUTS = ("circle", "spring")


def _check_count(name: str, value: int | None, *, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise CrmInputError(f"{name} must be a whole number of 1 or more; got {value!r}.")


def _choose(name: str, value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise CrmInputError(f"{name} must be one of {options}; got {value!r}.")


def _selected_codes(baskets: Baskets, items: Iterable[str] | None, top_items: int | None) -> list:
    if items is not None:
        return baskets.codes(pd.unique(pd.Index(list(items), dtype=object)))
    _check_count("top_items", top_items)
    counts = baskets.item_counts()
    chosen = counts.index if top_items is None else counts.index[:top_items]
    return baskets.codes(chosen)


def _column_counts(matrix: sparse.spmatrix) -> np.ndarray:
    return np.asarray(matrix.sum(axis=0)).ravel().astype(np.int64)


def _strength(value: pd.Series, cuts: tuple[float, float] | None) -> pd.Series:
    if cuts is None:
        score = value.rank(method="average", pct=True)
        low, high = 1 / 3, 2 / 3
        labels = np.where(score <= low, "weak", np.where(score > high, "strong", "medium"))
    else:
        low, high = cuts
        if low > high:
            raise CrmInputError(f"strength_cuts must be (low, high) with low ≤ high; got {cuts}.")
        labels = np.where(value < low, "weak", np.where(value >= high, "strong", "medium"))
    return pd.Series(labels, index=value.index, dtype=object)


def cooccurrence_links(
    baskets: Baskets,
    *,
    items: Iterable[str] | None = None,
    top_items: int | None = 30,
    measure: str = "count",
    min_value: float | None = None,
    top_n: int | None = None,
    strength_cuts: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Baskets shared by each pair of items.

    Parameters
    ----------
    baskets : Baskets
        ``n`` baskets × items, sparse.
    items : iterable of str, optional
        Items to pair; default the ``top_items`` most frequent.
    top_items : int or None
        How many of the most frequent items to pair when ``items`` is not given (None = all).
    measure : {"count", "pct_all", "pct_smaller", "pct_larger"}
        Column copied into ``value``.
    min_value : float, optional
        Drop pairs whose ``value`` is below this.
    top_n : int, optional
        Keep the ``top_n`` pairs with the highest ``value``.
    strength_cuts : (float, float), optional
        ``value`` below the first cut is "weak", at or above the second "strong". Default:
        tertiles of the rank of ``value`` among the returned pairs (ties share a class).

    Returns
    -------
    pandas.DataFrame
        One row per unordered pair sharing at least one basket, highest ``value`` first:
        ``item_a`` (the more frequent item), ``item_b``, ``baskets_a``, ``baskets_b``,
        ``count`` (baskets with both), ``pct_all`` (count / n), ``pct_smaller`` (count /
        baskets_b), ``pct_larger`` (count / baskets_a), ``value``, ``strength``.
        ``attrs["measure"]`` names the measure.

    Examples
    --------
    >>> links = cooccurrence_links(baskets, top_items=20, measure="pct_smaller", top_n=40)
    """
    _choose("measure", measure, MEASURES)
    _check_count("top_n", top_n)
    codes = _selected_codes(baskets, items, top_items)
    sub = baskets.matrix[:, codes].astype(np.int64)
    totals = _column_counts(sub)
    pairs = sparse.triu(sub.T @ sub, k=1).tocoo()
    keep = pairs.data > 0
    i, j, both = pairs.row[keep], pairs.col[keep], pairs.data[keep].astype(np.int64)
    labels = baskets.items.to_numpy()[codes]
    first = (totals[i] > totals[j]) | ((totals[i] == totals[j]) & (labels[i] <= labels[j]))
    a, b = np.where(first, i, j), np.where(first, j, i)
    links = pd.DataFrame(
        {
            "item_a": labels[a].astype(object),
            "item_b": labels[b].astype(object),
            "baskets_a": totals[a],
            "baskets_b": totals[b],
            "count": both,
            "pct_all": both / baskets.n_baskets,
            "pct_smaller": both / totals[b],
            "pct_larger": both / totals[a],
        }
    )
    links["value"] = links[measure].astype(np.float64)
    if min_value is not None:
        links = links[links["value"] >= min_value - 1e-12]
    links = links.sort_values(
        ["value", "count", "item_a", "item_b"], ascending=[False, False, True, True], kind="stable"
    )
    if top_n is not None:
        links = links.head(top_n)
    links = links.reset_index(drop=True)
    links["strength"] = _strength(links["value"], strength_cuts)
    links.attrs["measure"] = measure
    return links


def item_nodes(baskets: Baskets, items: Iterable[str] | None = None) -> pd.DataFrame:
    """Basket counts of items, most frequent first.

    Parameters
    ----------
    baskets : Baskets
    items : iterable of str, optional
        Default every item. For a web chart pass the items of the links, e.g.
        ``pd.unique(links[["item_a", "item_b"]].to_numpy().ravel())``.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item``, ``baskets`` (baskets holding it), ``support`` (share of
        baskets).
    """
    codes = (
        list(range(baskets.n_items))
        if items is None
        else baskets.codes(pd.unique(pd.Index(list(items), dtype=object)))
    )
    nodes = pd.DataFrame(
        {
            "item": baskets.items.to_numpy()[codes].astype(object),
            "baskets": _column_counts(baskets.matrix[:, codes]),
        }
    )
    nodes["support"] = nodes["baskets"] / baskets.n_baskets
    nodes = nodes.sort_values(["baskets", "item"], ascending=[False, True], kind="stable")
    return nodes.reset_index(drop=True)


def directed_links(
    baskets: Baskets,
    target: str,
    *,
    sources: Iterable[str] | None = None,
    top_n: int | None = 20,
    by: str = "confidence",
    min_count: int = 1,
) -> pd.DataFrame:
    """Links from source items towards one target item (the "directed web").

    Parameters
    ----------
    baskets : Baskets
    target : str
        Item (or flag field) the links point to.
    sources : iterable of str, optional
        Candidate sources; default every other item. The target itself is left out.
    top_n : int or None
        Keep the best ``top_n`` sources by ``by``.
    by : {"confidence", "lift", "count"}
        Ranking measure (ties: higher count, then name).
    min_count : int
        Sources must share at least this many baskets with the target.

    Returns
    -------
    pandas.DataFrame
        One row per source: ``source``, ``target``, ``source_baskets``, ``count`` (baskets
        with both), ``support`` (count / n), ``confidence`` (count / source_baskets) and
        ``lift`` (confidence / target support).
    """
    _choose("by", by, RANK_BY)
    _check_count("top_n", top_n)
    _check_count("min_count", min_count, allow_none=False)
    target_code = baskets.codes([target])[0]
    if sources is None:
        src = [c for c in range(baskets.n_items) if c != target_code]
    else:
        src = [c for c in _selected_codes(baskets, sources, None) if c != target_code]
    matrix = baskets.matrix
    sub = matrix[:, src].astype(np.int64)
    hit = matrix[:, [target_code]].astype(np.int64)
    both = np.asarray((sub.T @ hit).todense()).ravel().astype(np.int64)
    src_totals = _column_counts(sub)
    target_support = _column_counts(hit)[0] / baskets.n_baskets
    links = pd.DataFrame(
        {
            "source": baskets.items.to_numpy()[src].astype(object),
            "target": str(baskets.items[target_code]),
            "source_baskets": src_totals,
            "count": both,
        }
    )
    links = links[links["count"] >= min_count].copy()
    links["support"] = links["count"] / baskets.n_baskets
    links["confidence"] = links["count"] / links["source_baskets"]
    links["lift"] = links["confidence"] / target_support
    order = [by, "count", "source"] if by != "count" else ["count", "confidence", "source"]
    links = links.sort_values(order, ascending=[False, False, True], kind="stable")
    if top_n is not None:
        links = links.head(top_n)
    return links.reset_index(drop=True)


def _edge_columns(links: pd.DataFrame) -> tuple[str, str]:
    for pair in (("item_a", "item_b"), ("source", "target")):
        if set(pair) <= set(links.columns):
            return pair
    raise CrmInputError(
        "Links need item_a/item_b (cooccurrence_links) or source/target (directed_links) "
        f"columns; found {list(links.columns)}."
    )


def _circle(names: list, radius: float = 1.0) -> dict:
    angles = np.pi / 2 - 2 * np.pi * np.arange(len(names)) / max(len(names), 1)
    return {n: (radius * np.cos(t), radius * np.sin(t)) for n, t in zip(names, angles, strict=True)}


def _positions(
    graph: Any, kind: str, seed: int, circle: dict, names: list, center: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """x and y of ``names``: the circle, or a spring layout started from it; ``center`` at 0, 0."""
    pos = circle
    if kind == "spring" and graph.number_of_nodes() >= 3:
        import networkx as nx  # only layouts need it: keep `import crmlib.analysis` light

        pos = nx.spring_layout(graph, pos=circle, seed=seed, weight="weight")
    xy = np.array([pos[n] for n in names], dtype=np.float64).reshape(-1, 2)
    if center is not None and center in pos:
        xy = xy - np.asarray(pos[center])
    xy = xy.round(4) + 0.0  # + 0.0 turns -0.0 into 0.0
    return xy[:, 0], xy[:, 1]


def web_layout(
    nodes: pd.DataFrame,
    links: pd.DataFrame,
    *,
    kind: str = "circle",
    seed: int = 0,
    center: str | None = None,
) -> pd.DataFrame:
    """Positions of the nodes of a web chart (deterministic for a given input and seed).

    Parameters
    ----------
    nodes : pandas.DataFrame
        With an ``item`` column (e.g. from :func:`item_nodes`); its order is the circle order.
    links : pandas.DataFrame
        From :func:`cooccurrence_links` or :func:`directed_links`; ``value`` (or
        ``confidence``) weighs the springs.
    kind : {"circle", "spring"}
        Nodes evenly on a circle, or a force-directed layout (networkx) started from it.
    seed : int
        Seed of the spring layout.
    center : str, optional
        Node placed at the centre, the others around it (for a directed web: the target).

    Returns
    -------
    pandas.DataFrame
        One row per node: ``item``, ``x``, ``y`` (roughly within -1..1).
    """
    _choose("kind", kind, LAYOUTS)
    if "item" not in nodes.columns:
        raise CrmInputError(f"Nodes need an 'item' column; found {list(nodes.columns)}.")
    names = list(pd.unique(nodes["item"]))
    around = [n for n in names if n != center]
    circle = _circle(around)
    if center is not None and center in names:
        circle[center] = (0.0, 0.0)
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(names)
    if len(links):
        a, b = _edge_columns(links)
        weight_col = next((c for c in ("value", "confidence") if c in links.columns), None)
        weights = links[weight_col] if weight_col else pd.Series(1.0, index=links.index)
        top = float(weights.max()) or 1.0
        edges = zip(links[a], links[b], (weights / top).clip(lower=0.05), strict=True)
        graph.add_weighted_edges_from((u, v, w) for u, v, w in edges if u in circle and v in circle)
    x, y = _positions(graph, kind, seed, circle, names, center)
    return pd.DataFrame({"item": names, "x": x, "y": y})


def top_rules(rules: pd.DataFrame, *, top_n: int | None = None, by: str = "lift") -> pd.DataFrame:
    """The best rules by one measure, with text columns ready for charts.

    Parameters
    ----------
    rules : pandas.DataFrame
        ``RuleSet.rules`` or a filtered view of it.
    top_n : int, optional
        Rows kept; default all.
    by : str
        Ranking column (descending; ties keep the input order).

    Returns
    -------
    pandas.DataFrame
        The kept rows without the tuple columns, plus ``rank`` (1 = best), ``rule``,
        ``lhs`` and ``rhs`` (joined item text).
    """
    _check_count("top_n", top_n)
    missing = [c for c in ("antecedent", "consequent", by) if c not in rules.columns]
    if missing:
        raise CrmInputError(f"Rules table has no column {missing}; found {list(rules.columns)}.")
    best = rules.sort_values(by, ascending=False, kind="stable")
    if top_n is not None:
        best = best.head(top_n)
    out = best.drop(columns=["antecedent", "consequent"]).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    pairs = zip(best["antecedent"], best["consequent"], strict=True)
    out.insert(1, "rule", [rule_label(a, c) for a, c in pairs])
    out.insert(2, "lhs", best["antecedent"].map(", ".join).to_numpy())
    out.insert(3, "rhs", best["consequent"].map(", ".join).to_numpy())
    return out


class RuleGraph(NamedTuple):
    """Nodes and edges of a rule graph, with coordinates.

    ``nodes``: ``id``, ``kind`` ("item" or "rule"), ``label``, ``x``, ``y``, ``rules`` (rules
    touching an item; 1 for a rule node), ``support``, ``confidence``, ``lift`` (NaN for items).
    ``edges``: ``source``, ``target`` (node ids), ``role`` ("antecedent": item → rule,
    "consequent": rule → item), ``rule``, ``lift``, ``x``, ``y``, ``x2``, ``y2``.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame


def rule_graph_layout(
    rules: pd.DataFrame, top_n: int = 30, *, kind: str = "spring", seed: int = 0
) -> RuleGraph:
    """Lay out the ``top_n`` rules by lift as a graph: item → rule → item.

    Parameters
    ----------
    rules : pandas.DataFrame
        ``RuleSet.rules`` (n_rules rows) or a filtered view.
    top_n : int
        Rules drawn.
    kind : {"spring", "circle"}
        Force-directed, or items on an outer circle and rules on an inner one.
    seed : int
        Seed of the spring layout.

    Returns
    -------
    RuleGraph
        ``nodes`` (items + min(top_n, n_rules) rules) and ``edges`` (one per item of each rule).
    """
    _choose("kind", kind, LAYOUTS)
    best = top_rules(rules, top_n=top_n)
    chosen = rules.sort_values("lift", ascending=False, kind="stable").head(len(best))
    rule_ids = [f"rule:{r}" for r in best["rank"]]
    rows = []
    for rid, lhs, rhs in zip(rule_ids, chosen["antecedent"], chosen["consequent"], strict=True):
        rows += [(f"item:{i}", rid, "antecedent", i, rid) for i in lhs]
        rows += [(rid, f"item:{i}", "consequent", i, rid) for i in rhs]
    edges = pd.DataFrame(rows, columns=["source", "target", "role", "item", "rule_id"])
    item_id = np.where(edges["role"] == "antecedent", edges["source"], edges["target"])
    items = edges.groupby(item_id, sort=False).agg(label=("item", "first"), rules=("item", "size"))
    item_part = pd.DataFrame(
        {"id": items.index, "kind": "item", "label": items["label"], "rules": items["rules"]}
    ).reset_index(drop=True)
    rule_part = best[["rule", "support", "confidence", "lift"]].rename(columns={"rule": "label"})
    rule_part.insert(0, "id", rule_ids)
    rule_part.insert(1, "kind", "rule")
    rule_part.insert(3, "rules", 1)
    nodes = pd.concat([item_part, rule_part], ignore_index=True)
    circle = _circle(list(item_part["id"])) | _circle(rule_ids, radius=0.55)
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(nodes["id"])
    graph.add_edges_from(zip(edges["source"], edges["target"], strict=True), weight=1.0)
    nodes["x"], nodes["y"] = _positions(graph, kind, seed, circle, list(nodes["id"]))
    where = nodes.set_index("id")[["x", "y"]]
    by_rule = rule_part.set_index("id")
    edges["rule"] = by_rule["label"].reindex(edges["rule_id"]).to_numpy()
    edges["lift"] = by_rule["lift"].reindex(edges["rule_id"]).to_numpy()
    edges[["x", "y"]] = where.reindex(edges["source"]).to_numpy()
    edges[["x2", "y2"]] = where.reindex(edges["target"]).to_numpy()
    edges = edges.drop(columns=["item", "rule_id"])
    return RuleGraph(nodes, edges.reset_index(drop=True))
