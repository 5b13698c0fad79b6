"""Specs of the lifecycle charts: the stage flow keeps every customer, the P(alive) curve."""

from __future__ import annotations

import pandas as pd

from crmlib.charts.lifecycle import STAGE_ORDER, flow_chart, p_alive_chart


def _matrix(cells: dict[tuple[str, str], int]) -> pd.DataFrame:
    out = pd.DataFrame(0, index=pd.Index(STAGE_ORDER, name="from_stage"), columns=STAGE_ORDER)
    for (src, dst), n in cells.items():
        out.loc[src, dst] = n
    return out


def _layers(chart) -> list[dict]:
    spec = chart.to_dict()
    datasets = spec["datasets"]
    return [(layer, datasets[layer["data"]["name"]]) for layer in spec["layer"]]


def test_flow_bands_add_up_to_the_stage_bars():
    matrix = _matrix({("active", "active"): 30, ("active", "quiet"): 10, ("new", "quiet"): 5,
                      ("at_risk", "churned"): 7})  # fmt: skip
    layers = _layers(flow_chart(matrix, before="2024-01", after="2024-02"))
    (band, links), (bars, nodes) = layers[0], layers[1]
    assert band["mark"]["type"] == "trail" and bars["mark"]["type"] == "rect"
    links = pd.DataFrame(links)
    per_link = links.groupby("link")["customers"].first()
    assert per_link.to_dict() == {"active → active": 30, "active → quiet": 10,
                                  "new → quiet": 5, "at_risk → churned": 7}  # fmt: skip
    nodes = pd.DataFrame(nodes)
    heights = (nodes["y2"] - nodes["y"]).groupby([nodes["side"], nodes["stage"]]).sum()
    assert heights[("2024-01", "active")] == 40 and heights[("2024-02", "quiet")] == 15
    assert heights.groupby(level=0).sum().to_dict() == {"2024-01": 52, "2024-02": 52}
    # bands use the bars' pixels per customer: widths proportional to the counts
    ratio = links["width"] / links["customers"]
    assert ratio.max() - ratio.min() < 1e-9


def test_flow_with_no_moves_is_an_explained_empty_chart():
    spec = flow_chart(_matrix({})).to_dict()
    assert "No customer moved" in str(spec)


def test_p_alive_curve_chart():
    weeks = pd.date_range("2024-01-01", periods=3, freq="7D")
    curve = pd.DataFrame({"week": weeks, "p_alive": [1.0, 0.8, 0.6], "purchase": [1, 0, 0]})
    spec = p_alive_chart(curve).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "point"]
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 1]
