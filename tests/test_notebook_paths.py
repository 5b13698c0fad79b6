"""The paths_and_networks notebook, headless on the shipped data, records the key figures."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import run_notebook

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "paths_and_networks.py"

pytestmark = pytest.mark.notebook


def test_paths_and_networks_report_records(built, tmp_path):
    records, output = run_notebook(built, tmp_path, "paths_and_networks")
    # full MSNBC, support 1 %, at most 5 elements (issue 9 acceptance)
    assert records["sessions"] == 989_818
    assert records["patterns"] == 243
    assert records["top_patterns"] == [[[1], 313_181], [[6], 217_101], [[1, 1], 183_510],
                                       [[2], 175_286]]  # fmt: skip
    assert records["purchase_patterns"] > 0
    # Online Retail co-purchase network: communities and centralities are recorded
    assert records["product_communities"] >= 2
    assert records["product_nodes"] > 30
    names = [name for name, _ in records["product_top_pagerank"]]
    assert len(names) == 5 and all(isinstance(n, str) for n in names)
    assert all(0 < score < 1 for _, score in records["product_top_pagerank"])
    assert records["customer_communities"] >= 2
    assert all("customers buying mostly" in s for s in records["customer_summaries"])
    html = output.read_text(encoding="utf-8")
    assert "How sessions move on, step by step" in html and "Where visitors go next" in html
    assert "min_weight" in html  # the report's browser-side link slider


def test_unknown_start_page_stops_with_a_message(built, tmp_path):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError, match="Unknown start page"):
        run_notebook(built, tmp_path, "paths_and_networks", start_page="nowhere")


def test_empty_product_network_and_a_relation_table(built, tmp_path):
    relations = tmp_path / "referrals.csv"
    # two triangles of customers joined by one referral
    relations.write_text("source,target\n1,2\n2,3\n3,1\n3,4\n4,5\n5,6\n6,4\n")
    records, output = run_notebook(
        built, tmp_path, "paths_and_networks", min_baskets=10**6, relations=str(relations)
    )
    assert records["product_communities"] == 0 and records["product_links"] == 0
    text = output.read_text(encoding="utf-8")
    assert "No network: no two of the 60 most frequent products share 1,000,000 orders" in text
    assert records["customer_communities"] == 2 and records["customer_links"] == 7
    assert all(s.startswith("community ") for s in records["customer_summaries"])
    assert all("C-" in node for node, _ in records["customer_top_pagerank"])


def test_notebook_leaves_analysis_and_loops_to_helpers():
    """Issue 9 review item 19: one call per section, no loops or path computations inline."""
    tree = ast.parse(NOTEBOOK.read_text(encoding="utf-8"))
    loops = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.For | ast.While)]
    assert not loops, f"loops on lines {loops}"
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not modules & {"crmlib.analysis.paths", "crmlib.charts.paths"}
