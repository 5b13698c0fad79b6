"""Co-occurrence tables, layouts and the rule/web charts (asserted on the Vega-Lite spec)."""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

from crmlib.analysis import (
    RuleGraph,
    cooccurrence_links,
    directed_links,
    item_nodes,
    rule_graph_layout,
    top_rules,
    web_layout,
)
from crmlib.analysis.baskets import baskets_from_lists, read_basket_lines
from crmlib.analysis.rules import mine_rules
from crmlib.charts import (
    cooccurrence_web,
    directed_web,
    item_frequency_chart,
    rule_sliders,
    rules_explorer,
    rules_graph,
    rules_matrix,
    rules_scatter,
    rules_table_chart,
)
from crmlib.config import DATA_DIR
from crmlib.errors import CrmInputError

# a: 4 baskets, b: 3, c: 2, d: 1; pairs a-b 2, a-c 2, b-c 1, b-d 1 (of 5 baskets)
SMALL = [["a", "b", "c"], ["a", "b"], ["a", "c"], ["b", "d"], ["a"]]
SLIDERS = {"min_support", "min_confidence", "min_lift"}


@pytest.fixture(autouse=True)
def _all_rows():
    with alt.data_transformers.disable_max_rows():
        yield


@pytest.fixture(scope="module")
def small():
    return baskets_from_lists(SMALL)


@pytest.fixture(scope="module")
def groceries():
    return read_basket_lines(DATA_DIR / "groceries" / "groceries.csv.gz")


@pytest.fixture(scope="module")
def rules_120(groceries):
    return mine_rules(groceries, min_support=0.005, min_confidence=0.5).rules


@pytest.fixture(scope="module")
def rules_many(groceries):
    return mine_rules(groceries, min_support=0.001, min_confidence=0.5).rules


# --- helpers over chart.to_dict() -----------------------------------------------------------


def _units(spec: dict) -> list[dict]:
    """Every unit (single-mark) view of a spec, depth first."""
    if "mark" in spec:
        return [spec]
    return [
        u
        for key in ("layer", "hconcat", "vconcat", "concat")
        for s in spec.get(key, [])
        for u in _units(s)
    ]


def _mark(unit: dict) -> str:
    return unit["mark"] if isinstance(unit["mark"], str) else unit["mark"]["type"]


def _rows(spec: dict, unit: dict) -> list[dict]:
    data = unit.get("data") or spec.get("data")
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def _filters(unit: dict) -> list[str]:
    return [json.dumps(t["filter"]) for t in unit.get("transform", []) if "filter" in t]


def _subtitle(spec: dict) -> str:
    return spec["title"]["subtitle"]


def _svg(spec: dict) -> str:
    vlc = pytest.importorskip("vl_convert")
    return vlc.vegalite_to_svg(spec)


# --- analysis tables on hand-checkable baskets ----------------------------------------------


def test_links_counts_and_shares(small):
    links = cooccurrence_links(small, top_items=None, measure="pct_smaller")
    expected = pd.DataFrame(
        {
            "item_a": ["a", "b", "a", "b"],
            "item_b": ["c", "d", "b", "c"],
            "baskets_a": [4, 3, 4, 3],
            "baskets_b": [2, 1, 3, 2],
            "count": [2, 1, 2, 1],
            "pct_all": [0.4, 0.2, 0.4, 0.2],
            "pct_smaller": [1.0, 1.0, 2 / 3, 0.5],
            "pct_larger": [0.5, 1 / 3, 0.5, 1 / 3],
            "value": [1.0, 1.0, 2 / 3, 0.5],
            "strength": ["strong", "strong", "medium", "weak"],
        }
    )
    pd.testing.assert_frame_equal(links, expected, check_dtype=False)
    assert links.attrs["measure"] == "pct_smaller"


def test_links_filters_and_choices(small):
    assert cooccurrence_links(small, top_items=2)[
        ["item_a", "item_b", "count"]
    ].values.tolist() == [["a", "b", 2]]
    picked = cooccurrence_links(small, items=["d", "c", "b"])
    assert sorted(zip(picked.item_a, picked.item_b, strict=True)) == [("b", "c"), ("b", "d")]
    strong = cooccurrence_links(small, top_items=None, min_value=2)
    assert strong["count"].tolist() == [2, 2]
    assert len(cooccurrence_links(small, top_items=None, top_n=1)) == 1
    cut = cooccurrence_links(small, top_items=None, measure="pct_all", strength_cuts=(0.3, 0.4))
    assert dict(zip(cut["count"], cut["strength"], strict=False)) == {2: "strong", 1: "weak"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"measure": "share"},
        {"items": ["a", "zzz"]},
        {"top_items": 0},
        {"top_n": 0},
        {"strength_cuts": (0.9, 0.1)},
    ],
)
def test_links_bad_input_says_what_to_fix(small, kwargs):
    with pytest.raises(CrmInputError):
        cooccurrence_links(small, **kwargs)


def test_links_on_groceries_match_basket_counts(groceries):
    links = cooccurrence_links(groceries, top_items=12)
    assert len(links) == 12 * 11 // 2  # the most frequent items all meet each other
    for row in links.head(5).itertuples():
        assert row.count == groceries.holding([row.item_a, row.item_b]).sum()
    smaller = links["count"] / np.minimum(links["baskets_a"], links["baskets_b"])
    larger = links["count"] / np.maximum(links["baskets_a"], links["baskets_b"])
    np.testing.assert_allclose(links["pct_smaller"], smaller)
    np.testing.assert_allclose(links["pct_larger"], larger)
    np.testing.assert_allclose(links["pct_all"], links["count"] / 9835)
    assert set(links["strength"]) == {"weak", "medium", "strong"}


def test_item_nodes(small):
    nodes = item_nodes(small, ["c", "a"])
    assert nodes.to_dict("list") == {"item": ["a", "c"], "baskets": [4, 2], "support": [0.8, 0.4]}
    assert item_nodes(small)["item"].tolist() == ["a", "b", "c", "d"]


def test_directed_links_towards_a_target(small):
    links = directed_links(small, "b")
    assert links[["source", "count", "source_baskets"]].values.tolist() == [
        ["d", 1, 1],
        ["a", 2, 4],
        ["c", 1, 2],
    ]
    np.testing.assert_allclose(links["confidence"], links["count"] / links["source_baskets"])
    np.testing.assert_allclose(links["lift"], links["confidence"] / (3 / 5))
    assert set(links["target"]) == {"b"}
    assert directed_links(small, "b", min_count=2)["source"].tolist() == ["a"]
    assert directed_links(small, "b", sources=["a", "b"])["source"].tolist() == ["a"]
    assert directed_links(small, "b", by="count", top_n=1)["source"].tolist() == ["a"]
    with pytest.raises(CrmInputError, match="Unknown items"):
        directed_links(small, "nope")


def test_web_layouts_are_deterministic(small):
    nodes = item_nodes(small)
    links = cooccurrence_links(small, top_items=None)
    circle = web_layout(nodes, links)
    assert circle["item"].tolist() == ["a", "b", "c", "d"]
    assert circle[["x", "y"]].values.tolist() == [[0, 1], [1, 0], [0, -1], [-1, 0]]
    spring = web_layout(nodes, links, kind="spring", seed=3)
    pd.testing.assert_frame_equal(spring, web_layout(nodes, links, kind="spring", seed=3))
    centred = web_layout(nodes, directed_links(small, "b"), kind="spring", center="b")
    assert centred.set_index("item").loc["b"].tolist() == [0.0, 0.0]
    with pytest.raises(CrmInputError):
        web_layout(nodes, links, kind="grid")


def test_rule_graph_layout_nodes_and_edges(small):
    rules = mine_rules(small, min_support=1, min_confidence=0.5).rules
    graph = rule_graph_layout(rules, top_n=50)
    assert isinstance(graph, RuleGraph)
    assert (graph.nodes["kind"] == "rule").sum() == len(rules)
    assert len(graph.edges) == rules["length"].sum()
    per_item = pd.Series([i for r in rules.antecedent + rules.consequent for i in r]).value_counts()
    items = graph.nodes[graph.nodes["kind"] == "item"].set_index("label")["rules"]
    pd.testing.assert_series_equal(items.sort_index(), per_item.sort_index(), check_names=False)
    where = graph.nodes.set_index("id")
    first = graph.edges.iloc[0]
    assert (first.x, first.y) == tuple(where.loc[first.source, ["x", "y"]])
    assert (first.x2, first.y2) == tuple(where.loc[first.target, ["x", "y"]])


def test_top_rules_text(rules_120):
    top = top_rules(rules_120, top_n=3)
    assert top["rank"].tolist() == [1, 2, 3]
    assert top["lift"].is_monotonic_decreasing
    first = rules_120.sort_values("lift", ascending=False).iloc[0]
    assert top["rule"][0] == f"{', '.join(first.antecedent)} → {', '.join(first.consequent)}"
    assert "antecedent" not in top.columns


# --- charts -------------------------------------------------------------------------------


def test_scatter_encodes_support_confidence_lift(rules_120):
    assert len(rules_120) == 120
    spec = rules_scatter(rules_120).to_dict()
    assert _mark(spec) == "circle"
    enc = spec["encoding"]
    assert (enc["x"]["field"], enc["y"]["field"], enc["color"]["field"]) == (
        "support",
        "confidence",
        "lift",
    )
    assert "rule" in [t["field"] for t in enc["tooltip"]]
    assert _subtitle(spec) == "120 rules"
    assert "params" not in spec
    assert len(_rows(spec, spec)) == 120


def test_scatter_keeps_top_n_by_lift_and_says_so(rules_many):
    assert len(rules_many) == 5668
    spec = rules_scatter(rules_many).to_dict()
    assert _subtitle(spec) == "showing 1,000 of 5,668 rules by lift"
    rows = _rows(spec, spec)
    assert len(rows) == 1000
    assert min(r["lift"] for r in rows) >= rules_many["lift"].nlargest(1000).min()


def test_scatter_sliders_filter_in_the_browser(rules_many):
    spec = rules_scatter(rules_many, sliders=True).to_dict()
    params = {p["name"]: p for p in spec["params"]}
    assert set(params) == SLIDERS
    rows = _rows(spec, _units(spec)[0])
    for name, p in params.items():
        field = name.removeprefix("min_")
        assert p["bind"]["input"] == "range"
        assert p["bind"]["min"] <= p["value"] <= min(r[field] for r in rows)
        assert p["bind"]["max"] >= max(r[field] for r in rows)
    points, count = _units(spec)
    assert _mark(points) == "circle" and _mark(count) == "text"
    assert all(name in _filters(points)[0] for name in SLIDERS)
    assert any("aggregate" in t for t in count["transform"])
    svg = _svg(spec)
    assert "1,000 of 1,000 rules shown" in svg
    params["min_lift"]["value"] = 1000  # a reader drags "Min lift" past every rule
    assert "0 of 1,000 rules shown" in _svg(spec)


def test_table_chart_obeys_the_sliders(rules_many):
    spec = rules_table_chart(rules_many, top_n=50).to_dict()
    assert {p["name"] for p in spec["params"]} == SLIDERS
    assert all(p["bind"]["input"] == "range" for p in spec["params"])
    head, *cells = _units(spec)
    assert _mark(head) == "text"
    assert [c["encoding"]["text"]["field"] for c in cells] == [
        "row",
        "rule",
        "support",
        "confidence",
        "lift",
    ]
    for cell in cells:
        filters = _filters(cell)
        assert all(name in filters[0] for name in SLIDERS)
        assert "50" in filters[1]  # only the best 50 rows after the thresholds
        assert any(t.get("window", [{}])[0].get("op") == "row_number" for t in cell["transform"])
    plain = rules_table_chart(rules_many, top_n=10, sliders=False).to_dict()
    assert "params" not in plain
    assert "Top 10 of 1,000 rules by lift" in json.dumps(plain)
    params = {p["name"]: p for p in spec["params"]}
    params["min_lift"]["value"] = 12
    assert "8 rules pass the thresholds" in _svg(spec)


def test_explorer_shares_one_set_of_sliders(rules_many):
    spec = rules_explorer(rules_many, top_n=500).to_dict()
    assert {p["name"] for p in spec["params"]} == SLIDERS
    units = _units(spec)
    assert sum("params" in u for u in units) == 0  # defined once, at the top
    assert sum(bool(_filters(u)) for u in units) == 6  # points + the five table columns
    assert len(spec["datasets"]) == 1


def test_shared_sliders_object(rules_120):
    sliders = rule_sliders(rules_120)
    spec = (
        alt.vconcat(
            rules_scatter(rules_120, sliders=sliders), rules_table_chart(rules_120, sliders=sliders)
        )
        .add_params(*sliders)
        .to_dict()
    )
    assert {p["name"] for p in spec["params"]} == SLIDERS


def test_matrix_and_graph(rules_120):
    spec = rules_matrix(rules_120, top_n=30).to_dict()
    assert _mark(spec) == "rect"
    assert [spec["encoding"][c]["field"] for c in ("x", "y", "color")] == ["rhs", "lhs", "lift"]
    assert len(_rows(spec, spec)) == 30 and _subtitle(spec) == "showing 30 of 120 rules by lift"
    graph = rules_graph(rules_120, top_n=10, layout="circle").to_dict()
    units = _units(graph)
    assert [_mark(u) for u in units] == ["rule", "circle", "square", "text"]
    assert {"x", "y", "x2", "y2"} <= set(units[0]["encoding"])
    assert len(_rows(graph, units[1])) == 10


def test_item_frequency_chart(groceries):
    spec = item_frequency_chart(item_nodes(groceries)).to_dict()
    assert _mark(spec) == "bar" and spec["encoding"]["x"]["field"] == "support"
    assert len(_rows(spec, spec)) == 25 and _rows(spec, spec)[0]["item"] == "whole milk"
    counts = item_frequency_chart(groceries.item_counts(), top_n=5, relative=False).to_dict()
    assert counts["encoding"]["x"]["field"] == "baskets" and len(_rows(counts, counts)) == 5
    with pytest.raises(CrmInputError, match="support"):
        item_frequency_chart(groceries.item_counts())


def test_cooccurrence_web_with_slider(groceries):
    links = cooccurrence_links(groceries, top_items=15, measure="pct_smaller", top_n=30)
    nodes = item_nodes(groceries, pd.unique(links[["item_a", "item_b"]].to_numpy().ravel()))
    spec = cooccurrence_web(nodes, links, web_layout(nodes, links), slider=True).to_dict()
    (param,) = spec["params"]
    assert param["name"] == "min_link" and param["bind"]["input"] == "range"
    assert param["bind"]["min"] <= links["value"].min() and param["value"] <= links["value"].min()
    lines, dots, labels = _units(spec)
    assert [_mark(u) for u in (lines, dots, labels)] == ["rule", "circle", "text"]
    assert "min_link" in _filters(lines)[0]
    assert lines["encoding"]["strokeDash"]["field"] == "strength"
    assert dots["encoding"]["size"]["field"] == "support"
    assert len(_rows(spec, lines)) == 30
    assert "params" not in cooccurrence_web(nodes, links, web_layout(nodes, links)).to_dict()


def test_directed_web(groceries):
    links = directed_links(groceries, "whole milk", min_count=20, top_n=10)
    nodes = item_nodes(groceries, ["whole milk", *links["source"]])
    spec = directed_web(links, web_layout(nodes, links, center="whole milk"), nodes).to_dict()
    lines = _units(spec)[0]
    assert _mark(lines) == "rule" and lines["encoding"]["size"]["field"] == "confidence"
    assert spec["title"]["text"] == "What leads to whole milk"


def test_empty_inputs_give_a_message_not_an_error(rules_120, small):
    none = rules_120.iloc[:0]
    for chart in (
        rules_scatter(none, sliders=True),
        rules_table_chart(none),
        rules_explorer(none),
        rules_matrix(none),
        rules_graph(none),
    ):
        spec = chart.to_dict()
        assert _mark(spec) == "text"
        assert _rows(spec, spec) == [{"message": "No rules at these thresholds"}]
    links = cooccurrence_links(small, top_items=None, min_value=99)
    nodes = item_nodes(small, [])
    assert _mark(cooccurrence_web(nodes, links, web_layout(nodes, links)).to_dict()) == "text"
    far = directed_links(small, "b", min_count=99)
    assert _mark(directed_web(far, web_layout(item_nodes(small), far)).to_dict()) == "text"
    assert _mark(item_frequency_chart(item_nodes(small).iloc[:0]).to_dict()) == "text"


def test_item_names_stay_data():
    odd = "<img src=x onerror=alert(1)>"
    baskets = baskets_from_lists([[odd, "b"], [odd, "b"], ["b"]])
    rules = mine_rules(baskets, min_support=1, min_confidence=0.5).rules
    spec = rules_scatter(rules, sliders=True).to_dict()
    assert odd in {r["rule"].split(" → ")[0] for r in _rows(spec, _units(spec)[0])}
    assert odd not in json.dumps({k: v for k, v in spec.items() if k != "datasets"})
