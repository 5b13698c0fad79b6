"""Networks: two triangles joined by one bridge, co-purchase and customer links, the chart."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis import baskets_from_lists
from crmlib.analysis.network import (
    copurchase_edges,
    customer_edges,
    describe_communities,
    network_layout,
    network_metrics,
    placed_edges,
    relation_edges,
)
from crmlib.charts.network import network_graph
from crmlib.errors import CrmInputError, EmptyResultError

# a-b-c and x-y-z are triangles; c-x is the only link between them
BRIDGED = pd.DataFrame(
    {
        "source": ["a", "a", "b", "x", "x", "y", "c"],
        "target": ["b", "c", "c", "y", "z", "z", "x"],
        "weight": [5, 5, 5, 5, 5, 5, 1],
    }
)


def test_communities_bridges_and_key_nodes():
    net = network_metrics(BRIDGED, seed=0)
    nodes = net.nodes.set_index("node")
    groups = nodes.groupby("community").groups
    assert sorted(sorted(g) for g in groups.values()) == [["a", "b", "c"], ["x", "y", "z"]]
    bridge = net.edges[net.edges["bridge"]]
    assert bridge[["source", "target"]].values.tolist() == [["c", "x"]]
    assert bridge["community"].item() == 0  # between communities
    # c and x carry every path between the triangles: betweenness 9 / 15 pairs
    assert nodes.loc["c", "betweenness"] == pytest.approx(9 / 15)
    assert nodes.loc["a", "betweenness"] == 0
    assert nodes.loc["c", "degree"] == 3 and nodes.loc["c", "weighted_degree"] == 11
    assert nodes["pagerank"].sum() == pytest.approx(1)
    assert "bridge" in nodes.loc["c", "role"]
    summary = describe_communities(net)
    assert summary["summary"].iloc[0].startswith("community 1: 3 products around ")


def test_threshold_without_links_is_an_empty_result():
    with pytest.raises(EmptyResultError, match="lower the link threshold"):
        network_metrics(BRIDGED, min_weight=10)
    with pytest.raises(CrmInputError, match="Edges need"):
        network_metrics(BRIDGED.rename(columns={"weight": "w"}))


def test_copurchase_edges_count_shared_baskets():
    baskets = baskets_from_lists([["tea", "cup"], ["tea", "cup", "milk"], ["tea"], ["milk"]])
    edges = copurchase_edges(baskets, top_items=None).set_index(["source", "target"])
    assert edges.loc[("tea", "cup"), "weight"] == 2
    assert edges.loc[("tea", "milk"), "weight"] == 1
    assert edges.loc[("tea", "cup"), "size_source"] == 3


def test_customer_edges_are_pseudonymised_and_capped():
    data = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3, 3, 4],
            "order_id": ["o1", "o1", "o2", "o3", "o4", "o4", "o5"],
            "description": ["tea", "cup", "tea", "cup", "tea", "<b>jam</b>", "jam"],
        }
    )
    edges, profile = customer_edges(data, max_customers=3, min_shared=1, max_item_share=1.0)
    assert set(edges["source"]) | set(edges["target"]) <= set(profile["node"])
    assert all(str(n).startswith("C-") for n in profile["node"])
    assert profile["node"].nunique() == 3  # customer 4 (one order) is outside the top 3
    assert edges["weight"].max() == 2  # customers 1 and 2 share tea and cup
    net = network_metrics(edges, seed=0)
    words = describe_communities(net, kind="customers", profile=profile)["summary"]
    assert words.str.contains("customers buying mostly").all()


def test_relation_table_is_undirected_and_summed():
    rel = pd.DataFrame({"referrer": ["a", "b", "a", "c"], "referred": ["b", "a", "c", "c"]})
    edges = relation_edges(rel, source="referrer", target="referred", pseudonymise_ids=False)
    assert edges.values.tolist() == [["a", "b", 2.0], ["a", "c", 1.0]]  # self-link dropped


def test_network_chart_draws_only_links_above_the_threshold():
    net = network_metrics(BRIDGED, seed=0)
    layout = network_layout(net, seed=0)
    nodes = net.nodes.merge(layout, on="node")
    spec = network_graph(nodes, placed_edges(net, layout, 2), slider=True).to_dict()
    assert "6 links drawn" in spec["title"]["subtitle"]
    assert spec["params"][0]["name"] == "min_weight"
    empty = network_graph(nodes, placed_edges(net, layout, 99)).to_dict()
    assert "No links at this weight" in str(empty["datasets"])
