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


def _msnbc_sample(folder: Path, sessions: int) -> Path:
    """The first ``sessions`` sessions of the shipped MSNBC file, in its own format."""
    import lzma

    from crmlib.config import EMBEDDED_DATA

    with lzma.open(EMBEDDED_DATA["msnbc"], "rt") as handle:
        lines = handle.read().splitlines()
    body = lines.index("% Sequences:") + 2
    target = folder / "msnbc_sample.seq"
    target.write_text("\n".join(lines[: body + sessions]) + "\n")
    return target


def test_spark_engine_mines_the_same_patterns(built, tmp_path):
    """engine='spark': PrefixSpan on Spark gives the local miner's patterns, and the
    notebook says which engine ran and times the step."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[test]'")
    from crmlib.analysis.prefixspan import mine_sequences
    from crmlib.engines.spark import find_java
    from crmlib.io.events import read_msnbc

    if find_java() is None:
        pytest.skip("the Spark engine needs Java 17 (.ci/run installs a headless JRE)")
    sample = _msnbc_sample(tmp_path, 20_000)
    local = mine_sequences(read_msnbc(sample), min_support=0.01, max_length=4)
    records, output = run_notebook(
        built, tmp_path, "paths_and_networks", source=str(sample), max_length=4,
        engine="spark", purchases="embedded:online_retail_sample",
    )  # fmt: skip
    assert records["engine"] == "spark"
    assert "mine patterns (spark)" in records["engine_seconds"]
    assert records["sessions"] == 20_000
    assert records["patterns"] == len(local) > 20
    top = local.head(4)
    pairs = zip(top["codes"], top["sequences"], strict=True)
    assert records["top_patterns"] == [[list(c), int(n)] for c, n in pairs]
    assert "Engine: <b>spark</b>" in output.read_text(encoding="utf-8")


def test_spark_engine_refuses_a_gap_limit(built, tmp_path):
    import papermill as pm

    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[test]'")
    sample = _msnbc_sample(tmp_path, 500)
    with pytest.raises(pm.PapermillExecutionError, match="no gap limit"):
        run_notebook(built, tmp_path, "paths_and_networks", source=str(sample), max_gap=2,
                     engine="spark")  # fmt: skip
