"""Each notebook run headless through papermill on small embedded data; recorded values checked."""

from __future__ import annotations

import pandas as pd
import papermill as pm
import pytest

from crmlib.analysis import build_overview
from crmlib.config import EMBEDDED_DATA
from crmlib.io import load_transactions
from tests.conftest import run_notebook

pytestmark = pytest.mark.notebook
SAMPLE = "embedded:online_retail_sample"


def test_every_notebook_documents_its_parameters(built):
    for nb in built.glob("*.ipynb"):
        params = pm.inspect_notebook(str(nb))
        assert "interactive" in params, nb.name
        for name, info in params.items():
            assert info["help"], f"{nb.name}: parameter {name} has no help text"


def test_data_overview_on_sample(built, tmp_path):
    records, _ = run_notebook(built, tmp_path, "data_overview", source=SAMPLE)
    raw = pd.read_csv(EMBEDDED_DATA["online_retail_sample"], dtype=str)
    assert records["rows_in"] == len(raw)
    assert records["cleaning"]["duplicate"] == int(raw.duplicated().sum())
    loaded = load_transactions(SAMPLE, use_cache=False)
    assert records["rows_out"] == loaded.report.rows_out
    expected = build_overview(loaded.data)["headline"]
    assert records["headline"] == pytest.approx(expected)
    kept = raw.drop_duplicates()
    kept = kept[~kept["InvoiceNo"].str.startswith("C")]
    assert records["headline"]["first_date"][:10] == kept["InvoiceDate"].min()[:10]


def test_data_overview_country_filter_changes_the_numbers(built, tmp_path):
    all_rows, _ = run_notebook(built, tmp_path, "data_overview", source=SAMPLE)
    france, _ = run_notebook(built, tmp_path, "data_overview", source=SAMPLE, country="France")
    assert 0 < france["headline"]["revenue"] < all_rows["headline"]["revenue"]
    loaded = load_transactions(SAMPLE)
    expected = build_overview(loaded.data, countries=["France"])["headline"]
    assert france["headline"] == pytest.approx(expected)


def test_filter_leaving_zero_rows_shows_an_empty_state(built, tmp_path):
    records, output = run_notebook(
        built, tmp_path, "data_overview", source=SAMPLE, start="2030-01-01"
    )
    assert records["overview_rows"] == 0
    assert records["headline"] is None
    text = output.read_text(encoding="utf-8")
    assert "Nothing to show." in text and "No transactions match the filter" in text


def test_bad_source_fails_with_the_message_not_a_traceback(built, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as info:
        run_notebook(built, tmp_path, "data_overview", source="no/such/file.csv")
    err = info.value
    assert err.ename == "CrmInputError"
    assert "Data file not found" in err.evalue
    assert len(err.traceback) == 1  # the one-line message, no stack


def test_html_in_product_names_is_shown_as_text(built, tmp_path):
    lines = pd.read_csv(EMBEDDED_DATA["online_retail_sample"], dtype=str).head(400)
    lines.loc[:, "Description"] = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    path = tmp_path / "evil.csv"
    lines.to_csv(path, index=False)
    records, output = run_notebook(built, tmp_path, "data_overview", source=str(path))
    assert records["overview_rows"] > 0
    text = output.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in text
    assert "<script>alert(2)</script>" not in text


def test_basket_analysis_on_groceries_reproduces_r_arules(built, tmp_path):
    records, output = run_notebook(
        built, tmp_path, "basket_analysis", source="embedded:groceries",
        min_support=0.005, min_confidence=0.5, max_len=0,
    )  # fmt: skip
    assert records["baskets"] == 9835 and records["items"] == 169
    assert records["min_count"] == 50  # 0.5 % of 9,835 = 49.2 -> at least 50 baskets
    assert records["rules"] == 120  # R arules' published count
    assert records["funnel"]["mined"] == 120
    assert records["funnel"]["non_redundant"] <= 120
    assert 0 <= records["hit_rate_popular"] <= 1 and records["hit_rate_cases"] > 0
    assert "needs 50" in output.read_text(encoding="utf-8")


def test_basket_analysis_zero_rules_is_explained(built, tmp_path):
    records, output = run_notebook(
        built, tmp_path, "basket_analysis", source="embedded:groceries",
        min_support=0.005, min_confidence=0.99,
    )  # fmt: skip
    assert records["rules"] == 0
    text = output.read_text(encoding="utf-8")
    assert "Nothing to show." in text and "Set min_confidence to" in text


def test_basket_analysis_categories_and_customers(built, tmp_path):
    records, _ = run_notebook(
        built, tmp_path, "basket_analysis", source="embedded:groceries",
        categories="embedded:groceries", min_support=0.02, min_confidence=0.3,
    )  # fmt: skip
    assert records["items"] == 55  # level-2 categories of the Groceries hierarchy
    records, _ = run_notebook(
        built, tmp_path, "basket_analysis", source=SAMPLE, basket_level="customer",
        min_support=0.03, min_confidence=0.5, holdout_days=60,
    )  # fmt: skip
    loaded = load_transactions(SAMPLE)
    assert records["baskets"] == loaded.data["customer_id"].nunique()


def test_basket_analysis_default_run_records_hit_rates(built, tmp_path):
    """Default parameters: full Online Retail, invoices as baskets, last 30 days held out."""
    records, _ = run_notebook(built, tmp_path, "basket_analysis")
    assert records["hit_rate_cases"] > 1000
    assert records["hit_rate_rules"] > records["hit_rate_popular"]
    assert records["rules"] == records["funnel"]["mined"] > 0
    loaded = load_transactions("embedded:online_retail").data
    top = loaded.groupby("description")["order_id"].nunique().idxmax()
    buyers = loaded.loc[loaded["description"] == top, "customer_id"].nunique()
    assert records["who_buys"]["buyers"] == buyers


def test_segmentation_report_and_app_agree(built, tmp_path):
    from crmlib.io import customer_rows
    from widgets import SegmentationApp

    records, _ = run_notebook(built, tmp_path, "segmentation", k=4)
    data = customer_rows(load_transactions("embedded:online_retail").data)
    assert records["customers"] == data["customer_id"].nunique()
    assert records["orders"] == data["order_id"].nunique()
    assert sorted(records["silhouette"]) == [str(k) for k in range(2, 9)]
    assert sum(records["segment_sizes"].values()) == records["customers"]
    assert records["k"] == 4 and sum(records["cluster_sizes"]) == records["customers"]
    # the app, with the same parameters, shows the same clusters (fixed seeds)
    app = SegmentationApp(data, features=["recency_days", "frequency", "monetary_total"], k=4)
    assert app.result.profiles["customers"].tolist() == records["cluster_sizes"]
    silhouettes = app.result.k_table.set_index("k")["silhouette"].round(4)
    assert {str(k): v for k, v in silhouettes.items()} == records["silhouette"]


def test_segmentation_bad_observation_date(built, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as info:
        run_notebook(built, tmp_path, "segmentation", observation_date="2001-01-01")
    assert "2001" in info.value.evalue or "before" in info.value.evalue


def test_segmentation_custom_rules_and_static_sections(built, tmp_path):
    rules = [
        {"name": "Best", "r": [4, 5], "f": [4, 5], "m": [4, 5], "description": "d", "action": "a"},
        {"name": "Everyone else", "description": "d", "action": "a"},
    ]
    records, output = run_notebook(built, tmp_path, "segmentation", k=3, segment_rules=rules)
    assert set(records["segment_sizes"]) == {"Best", "Everyone else"}
    assert sum(records["segment_sizes"].values()) == records["customers"]
    text = output.read_text(encoding="utf-8")
    assert "RFM segments × clusters" in text and "Ward" in text


def test_lifecycle_records(built, tmp_path):
    from crmlib.analysis.lifecycle import customer_stages, stage_counts
    from crmlib.io import customer_rows

    records, _ = run_notebook(built, tmp_path, "lifecycle")
    data = customer_rows(load_transactions("embedded:online_retail").data)
    counts = stage_counts(customer_stages(data)).drop(columns="customers")
    # each transition row holds every customer of that stage in all periods but the last
    expected = counts.iloc[:-1].sum()
    for stage, total in records["transition_rows"].items():
        assert total == expected[stage], stage
    assert sum(records["stage_counts_last"].values()) == 2 * data["customer_id"].nunique()
    assert records["churn_rate"] == pytest.approx(0.265, abs=0.001)
    assert records["best_auc"] >= 0.845
    assert records["logrank_p"] < 0.001
    assert records["median_tenure"]["Month-to-month"] == 35
    assert records["alerts"] > 0
    assert records["alerts_with_p_alive"] == records["alerts"]  # every alert carries P(alive)
    hr = records["cox_hazard_ratios"]
    assert hr["Contract Two year"] < hr["Contract One year"] < 1  # longer contracts stay longer
    # BG/NBD on CDNOW master, 39-week calibration: at least as good as lifetimes' 10–14 %
    assert records["holdout_actual"] > 10_000
    assert abs(records["holdout_relative_error"]) <= 0.14
    assert records["holdout_mae"] < 1.0
