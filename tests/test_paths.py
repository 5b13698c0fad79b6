"""Path analysis on hand-checkable sessions, and the path charts' specs."""

from __future__ import annotations

import pandas as pd
import pytest

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
    sequence_rules,
    transitions,
)
from crmlib.charts.paths import (
    exit_step_chart,
    funnel_chart,
    path_flow_chart,
    patterns_chart,
    transition_heatmap,
)
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.io.events import sequences_from_lists

SESSIONS = [["a", "b", "c"], ["a", "c"], ["b"], ["a", "b", "b", "c"]]


@pytest.fixture
def seqs():
    return sequences_from_lists(SESSIONS)


def test_transitions_with_entry_and_exit(seqs):
    t = transitions(seqs).set_index(["from", "to"])
    assert t.loc[("(start)", "a"), "count"] == 3
    assert t.loc[("(start)", "b"), "probability"] == pytest.approx(0.25)
    assert t.loc[("a", "b"), "probability"] == pytest.approx(2 / 3)
    assert t.loc[("b", "(exit)"), "count"] == 1  # the one-page session
    assert t.loc[("b", "b"), "count"] == 1
    assert t.loc[("c", "(exit)"), "probability"] == 1.0
    assert t["count"].sum() == sum(len(s) + 1 for s in SESSIONS)


def test_exit_by_step(seqs):
    e = exit_by_step(seqs, max_step=3)
    assert e["sessions"].tolist() == [4, 3, 2]
    assert e["exits"].tolist() == [1, 1, 1]  # the 4-step session is still going after step 3
    assert e["exit_probability"].tolist() == pytest.approx([0.25, 1 / 3, 0.5])


def test_path_tree_drop_off_and_start_page(seqs):
    tree = path_tree(seqs, depth=2).set_index("path")
    assert tree.loc["a", ["sessions", "exits"]].tolist() == [3, 0]
    assert tree.loc["b", ["sessions", "exits"]].tolist() == [1, 1]
    assert tree.loc["a > c", ["sessions", "exits", "parent"]].tolist() == [1, 1, "a"]
    started = path_tree(seqs, depth=3, start="a")
    assert set(started["path"]) == {"a", "a > b", "a > c", "a > b > c", "a > b > b"}
    with pytest.raises(CrmInputError, match="Unknown start page"):
        path_tree(seqs, start="zzz")


def test_top_paths_and_funnel(seqs):
    top = top_paths(sequences_from_lists([*SESSIONS, ["b"]]))
    assert top.iloc[0].tolist() == ["b", 1, 2, 0.4, "b"]
    f = funnel(seqs, ["a", "b", "c"])
    assert f["sessions"].tolist() == [3, 2, 2]
    assert f["share_of_previous"].tolist() == pytest.approx([1, 2 / 3, 1])
    assert funnel(seqs, ["c", "a"])["sessions"].tolist() == [3, 0]  # order matters
    with pytest.raises(CrmInputError, match="Unknown funnel step"):
        funnel(seqs, ["a", "nope"])


def test_sequence_rules_confidence_and_lift(seqs):
    rules = sequence_rules(mine_sequences(seqs, min_support=2, max_length=3)).set_index("rule")
    assert rules.loc["a then b", "confidence"] == pytest.approx(2 / 3)
    assert rules.loc["a then b", "lift"] == pytest.approx((2 / 3) / (3 / 4))
    assert rules.loc["a > b then c", "confidence"] == 1.0


def test_cap_cuts_long_sessions_with_a_note():
    capped = cap_sessions(sequences_from_lists([["x"] * 3000, ["y"]]), 10)
    assert capped.lengths().tolist() == [10, 1]
    assert "longer than 10 events" in capped.notes[-1]


def test_single_category_and_no_events():
    one = sequences_from_lists([["home"], ["home", "home"]])
    t = transitions(one).set_index(["from", "to"])["count"].to_dict()
    assert t == {("(start)", "home"): 2, ("home", "(exit)"): 2, ("home", "home"): 1}
    with pytest.raises(EmptyResultError):
        transitions(sequences_from_lists([[]]))


def test_flow_ranks_and_pools_other_pages(seqs):
    nodes, links = path_flow(path_tree(seqs, depth=3), top_pages=1)
    step1 = nodes[nodes["step"] == 1].set_index("page")
    assert step1.loc["a", "rank"] == 0 and step1.loc["(other)", "sessions"] == 1
    assert links[(links["step"] == 1) & (links["target"] == "b")]["sessions"].item() == 2


def test_chart_specs(seqs):
    tree = path_tree(seqs, depth=3)
    flow = path_flow_chart(*path_flow(tree)).to_dict()
    assert [layer["mark"]["type"] for layer in flow["layer"]] == ["rule", "circle", "text"]
    heat = transition_heatmap(transitions(seqs)).to_dict()
    assert heat["layer"][0]["encoding"]["color"]["field"] == "probability"
    patterns = mine_sequences(seqs, min_support=2)
    spec = patterns_chart(patterns, sliders=True).to_dict()
    assert {p["name"] for p in spec["params"]} == {"min_support", "max_length"}
    assert exit_step_chart(exit_by_step(seqs)).to_dict()["mark"]["type"] == "bar"
    assert funnel_chart(funnel(seqs, ["a", "c"])).to_dict()["encoding"]["y"]["sort"] is None
    empty = patterns_chart(patterns.iloc[0:0]).to_dict()
    assert "No patterns" in str(empty["datasets"])
    with pytest.raises(CrmInputError, match="no column"):
        transition_heatmap(pd.DataFrame({"from": ["a"]}))


def test_small_paths_and_prefixes_are_hidden(seqs):
    """Issue 9 review item 2: paths of fewer than k sequences are dropped, and counted."""
    tree = path_tree(seqs, depth=2, min_sessions=2)
    assert tree["path"].tolist() == ["a", "a > b"]  # b (1 session) and a > c (1) are hidden
    assert tree.attrs["hidden"] == 2
    assert path_tree(seqs, depth=2).attrs["hidden"] == 0
    top = top_paths(sequences_from_lists([*SESSIONS, ["b"]]), min_sessions=2)
    assert top["path"].tolist() == ["b"]
    assert (top.attrs["hidden"], top.attrs["hidden_sequences"]) == (3, 3)
    nodes, links = path_flow(path_tree(seqs, depth=2, min_sessions=9))
    assert nodes.empty and links.empty
    with pytest.raises(CrmInputError, match="min_sessions"):
        top_paths(seqs, min_sessions=0)


def test_purchase_paths_hide_histories_of_fewer_than_five_customers(tmp_path, monkeypatch):
    from crmlib.notebook.paths import purchase_paths

    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path))
    # five customers buy tea then a mug; one customer alone buys cake, tea, jam
    lists = [["tea", "mug"]] * 5 + [["cake", "tea", "jam"]]
    buys = pd.DataFrame(
        {
            "customer_id": [str(c) for c, seq in enumerate(lists) for _ in seq],
            "order_date": pd.to_datetime(
                [f"2011-01-0{i + 1}" for seq in lists for i in range(len(seq))]
            ),
            "description": [x for seq in lists for x in seq],
        }
    )
    view = purchase_paths(buys, "inline-five", min_support=0.5, max_length=2)
    assert view.top[["path", "sessions"]].values.tolist() == [["tea > mug", 5]]
    assert view.tree["path"].tolist() == ["tea", "tea > mug"]
    assert view.privacy == (
        "1 complete path(s) (1 customers) and 3 path prefix(es) followed by fewer than 5 "
        "customers are hidden to protect privacy."
    )
    assert "cake" not in " ".join(view.flow[0]["page"]) + " ".join(view.flow[1]["target"])


def test_start_page_paths_and_network_records_are_helpers(seqs, monkeypatch):
    """Issue 9 review item 19: what the notebook did inline, as tested helpers."""
    import crmlib.notebook.paths as helpers
    from crmlib.analysis.network import describe_communities, network_layout, network_metrics
    from crmlib.notebook.paths import NetworkView, record_networks, start_paths

    recorded = {}
    monkeypatch.setattr(helpers, "record", lambda name, value: recorded.update({name: value}))
    tree, (nodes, links), later = start_paths(seqs, start="a", depth=3)
    assert later.values.tolist() == [
        ["a > b", 2, 0, 1.0],
        ["a > c", 1, 1, 0.0],
        ["a > b > b", 1, 0, 1.0],
        ["a > b > c", 1, 1, 0.0],
    ]
    assert tree["sessions"].iloc[0] == 3 and nodes["step"].max() == 3 and len(links) == 4
    edges = pd.DataFrame({"source": ["a", "b", "x"], "target": ["b", "c", "y"], "weight": 2})
    net = network_metrics(edges, seed=0)
    found = record_networks(
        NetworkView(net, network_layout(net), describe_communities(net), "products"),
        NetworkView(None, pd.DataFrame(), pd.DataFrame(), "customers", "No network: none."),
    )
    assert (found["product_links"], found["product_nodes"], found["customer_links"]) == (3, 5, 0)
    assert found["product_communities"] == 2
    assert recorded == found and "product_top_pagerank" in recorded  # each figure was recorded
