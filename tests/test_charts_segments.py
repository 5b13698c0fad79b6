"""Segment, cluster and value charts: specs checked through to_dict(), empty input as text."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.charts.segments import (
    cluster_heatmap,
    dendrogram_chart,
    k_score_chart,
    pareto_chart,
    quadrant_chart,
    segment_bars,
)


def _marks(spec: dict) -> list[str]:
    """Mark types of a spec and its layers / concatenated views, in order."""
    views = spec.get("layer") or spec.get("hconcat") or [spec]
    out = []
    for view in views:
        if "layer" in view:
            out += _marks(view)
        else:
            mark = view["mark"]
            out.append(mark if isinstance(mark, str) else mark["type"])
    return out


def _is_text_message(spec: dict, message: str) -> bool:
    return spec["mark"]["type"] == "text" and any(
        row.get("message") == message for rows in spec["datasets"].values() for row in rows
    )


def test_k_score_chart():
    table = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.43, 0.34, 0.33], "inertia": [9, 6, 4]})
    spec = k_score_chart(table, best=2).to_dict()
    assert len(spec["hconcat"]) == 2
    left, right = spec["hconcat"]
    assert _marks(left) == ["line", "rule"]
    assert left["layer"][0]["encoding"]["y"]["field"] == "silhouette"
    assert right["layer"][0]["encoding"]["y"]["field"] == "inertia"
    assert left["layer"][0]["encoding"]["x"] == {
        "axis": {"labelAngle": 0},
        "field": "k",
        "title": "Clusters (k)",
        "type": "ordinal",
    }
    plain = k_score_chart(table).to_dict()
    assert _marks(plain["hconcat"][0]) == ["line"]


def test_segment_bars_keep_rule_order():
    summary = pd.DataFrame(
        {
            "segment": ["Champions", "Lost"],
            "customers": [10, 30],
            "customer_share": [0.25, 0.75],
            "revenue_share": [0.8, 0.2],
            "action": ["Reward", "Let go"],
        }
    )
    spec = segment_bars(summary).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["sort"] == ["Champions", "Lost"]
    assert spec["encoding"]["x"]["field"] == "share"
    assert spec["transform"][0] == {
        "fold": ["customer_share", "revenue_share"],
        "as": ["measure", "share"],
    }
    assert {"field": "action", "type": "nominal"} in spec["encoding"]["tooltip"]


def test_cluster_heatmap():
    profiles = pd.DataFrame(
        {
            "cluster": [0, 1],
            "customers": [40, 10],
            "median_frequency": [1.0, 6.0],
            "rel_frequency": [0.5, 3.0],
            "median_monetary_total": [100.0, 900.0],
            "rel_monetary_total": [0.4, 3.6],
            "description": ["infrequent, low-spend", "frequent, high-spend"],
        }
    )
    spec = cluster_heatmap(profiles).to_dict()
    assert _marks(spec) == ["rect", "text"]
    cells = spec["layer"][0]["encoding"]
    assert cells["color"]["field"] == "relative"
    assert cells["color"]["scale"] == {"domainMid": 1, "scheme": "blueorange", "type": "log"}
    assert cells["x"]["sort"] == ["Orders", "Spend"]
    assert cells["y"]["sort"] == ["0: infrequent, low-spend", "1: frequent, high-spend"]
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 4 and {r["feature"] for r in rows} == {"Orders", "Spend"}


def test_pareto_chart():
    curve = pd.DataFrame(
        {"customers": [0, 1, 2], "customer_share": [0, 0.5, 1], "revenue_share": [0, 0.9, 1]}
    )
    spec = pareto_chart(curve).to_dict()
    assert _marks(spec) == ["line", "line"]
    line = spec["layer"][1]["encoding"]
    assert (line["x"]["field"], line["y"]["field"]) == ("customer_share", "revenue_share")
    assert line["x"]["axis"] == {"format": "%"}
    assert spec["layer"][0]["mark"]["strokeDash"] == [4, 4]


def test_quadrant_chart_counts_in_legend_and_sampling():
    placed = pd.DataFrame(
        {
            "frequency": [1, 5, 1, 6],
            "monetary_total": [10.0, 500.0, 300.0, 20.0],
            "quadrant": [
                "Occasional small spenders", "Frequent big spenders", "Occasional big spenders",
                "Frequent small spenders",
            ],
        }
    )  # fmt: skip
    quadrants = pd.DataFrame(
        {
            "quadrant": [
                "Frequent big spenders", "Frequent small spenders", "Occasional big spenders",
                "Occasional small spenders",
            ],
            "customers": [1200, 1, 1, 1],
            "frequency_median": 3.0,
            "spend_median": 100.0,
        }
    )  # fmt: skip
    spec = quadrant_chart(placed, quadrants).to_dict()
    assert _marks(spec) == ["circle", "rule", "rule"]
    dots = spec["layer"][0]["encoding"]
    assert dots["color"]["sort"][0] == "Frequent big spenders (1,200)"
    assert dots["x"]["scale"] == {"type": "symlog"}
    assert spec["layer"][1]["encoding"]["x"]["field"] == "frequency_median"
    sampled = quadrant_chart(placed, quadrants, max_points=2).to_dict()
    assert "random 2 of 4 shown" in sampled["title"]
    assert len(sampled["datasets"][sampled["layer"][0]["data"]["name"]]) == 2


def test_dendrogram_chart():
    table = pd.DataFrame(
        {
            "kind": ["link", "link", "link", "leaf", "leaf", "cut"],
            "x": [5.0, 5.0, 15.0, 5.0, 15.0, 0.0],
            "y": [0.0, 2.0, 2.0, 0.0, 0.0, 1.0],
            "x2": [5.0, 15.0, 15.0, 5.0, 15.0, 20.0],
            "y2": [2.0, 2.0, 0.0, 0.0, 0.0, 1.0],
            "label": ["", "", "", "(3)", "(4)", "k = 2"],
        }
    )
    table.attrs["customers"] = 7
    spec = dendrogram_chart(table).to_dict()
    assert _marks(spec) == ["rule", "text", "rule", "text"]
    assert spec["title"] == "Ward tree of customers (7 customers)"
    assert spec["layer"][0]["transform"] == [{"filter": "(datum.kind === 'link')"}]
    assert spec["layer"][0]["encoding"]["y2"] == {"field": "y2"}


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda: k_score_chart(pd.DataFrame()), "No k was scored"),
        (lambda: segment_bars(pd.DataFrame()), "No segments to show"),
        (lambda: cluster_heatmap(pd.DataFrame()), "No clusters to show"),
        (lambda: pareto_chart(None), "No customers to show"),
        (lambda: quadrant_chart(pd.DataFrame(), pd.DataFrame()), "No customers to show"),
        (lambda: dendrogram_chart(pd.DataFrame()), "No tree to show"),
    ],
)
def test_empty_input_gives_a_text_chart(draw, message):
    assert _is_text_message(draw().to_dict(), message)
