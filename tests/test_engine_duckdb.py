"""DuckDB engine: the local engine's RFM table, segments and rules from clean canonical
Parquet/CSV, without the order lines in pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis import load_baskets
from crmlib.analysis.rfm import rfm_scores, rfm_table
from crmlib.analysis.rules import mine_rules
from crmlib.analysis.segments import assign_segments, segment_summary
from crmlib.engines import EngineError, engine_config
from crmlib.engines.duckdb_engine import (
    baskets_duckdb,
    rfm_duckdb,
    segments_duckdb,
    write_canonical,
)
from crmlib.io import customer_rows, load_transactions
from tests.conftest import run_notebook

RULE_KEY = ["antecedent", "consequent"]


@pytest.fixture(scope="module")
def retail():
    return load_transactions("embedded:online_retail").data


@pytest.fixture(scope="module")
def canonical(tmp_path_factory):
    return write_canonical("embedded:online_retail", tmp_path_factory.mktemp("canonical"))


def _small() -> pd.DataFrame:
    # customer a: orders 1 (two lines, 10 + 5) and 2 (20); b: order 3 (7.5); a line without
    # a customer (left out)
    return pd.DataFrame(
        {
            "customer_id": pd.array(["a", "a", "a", "b", None], dtype="string"),
            "order_id": pd.array(["1", "1", "2", "3", "4"], dtype="string"),
            "order_date": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 09:00",
                                          "2024-01-05 18:30", "2024-01-03 12:00",
                                          "2024-01-06 10:00"]).astype("datetime64[us]"),
            "amount": [10.0, 5.0, 20.0, 7.5, 3.0],
            "description": ["x", "y", "x", "y", "z"],
        }
    )  # fmt: skip


@pytest.mark.parametrize("observation_date", [None, "2024-01-04"])
def test_rfm_on_hand_checked_lines(tmp_path, observation_date):
    frame = _small()
    frame.to_parquet(tmp_path / "lines.parquet", index=False)
    got = rfm_duckdb(tmp_path / "lines.parquet", observation_date=observation_date)
    pd.testing.assert_frame_equal(got, rfm_table(frame, observation_date=observation_date))
    if observation_date is None:  # day after the last order with a customer: 01-06
        a = got.set_index("customer_id").loc["a"]
        assert (a["recency_days"], a["frequency"], a["monetary_total"]) == (1, 2, 35.0)
        assert a["monetary_avg"] == 17.5 and a["tenure_days"] == 5
    # a CSV folder gives the same table as the Parquet file
    (tmp_path / "csv").mkdir()
    frame.to_csv(tmp_path / "csv" / "part-0.csv", index=False)
    pd.testing.assert_frame_equal(
        rfm_duckdb(tmp_path / "csv", observation_date=observation_date), got
    )


def test_rfm_table_identical_on_online_retail(retail, canonical):
    local = rfm_table(customer_rows(retail))
    got = rfm_duckdb(canonical)
    assert len(got) == len(local) == 4_324
    exact = ["customer_id", "recency_days", "frequency", "tenure_days", "first_order",
             "last_order"]  # fmt: skip
    pd.testing.assert_frame_equal(got[exact], local[exact])
    # sums in another order: equal to the last few bits of a double
    pd.testing.assert_frame_equal(got, local, rtol=1e-12)


def test_segments_identical_on_online_retail(retail, canonical):
    local, local_note = segment_summary(
        assign_segments(rfm_scores(rfm_table(customer_rows(retail)))[0])
    )
    got, note = segments_duckdb(canonical)
    assert got.set_index("segment")["customers"]["Champions"] == 888
    pd.testing.assert_frame_equal(got, local, rtol=1e-12, check_dtype=False)
    assert note == local_note


def test_baskets_give_identical_rules(canonical):
    local = mine_rules(load_baskets("embedded:online_retail"), min_support=0.01,
                       min_confidence=0.5).rules  # fmt: skip
    baskets = baskets_duckdb(canonical, min_support=0.01)
    assert baskets.n_baskets == load_baskets("embedded:online_retail").n_baskets
    got = mine_rules(baskets, min_support=0.01, min_confidence=0.5).rules
    assert len(got) == len(local) > 0
    pd.testing.assert_frame_equal(
        got.sort_values(RULE_KEY).reset_index(drop=True),
        local.sort_values(RULE_KEY).reset_index(drop=True),
    )


def test_bad_inputs_say_what_to_fix(tmp_path, canonical):
    with pytest.raises(EngineError, match="memory limit 'lots' is not valid"):
        rfm_duckdb(canonical, config=engine_config("duckdb", duckdb_memory="lots"))
    with pytest.raises(EngineError, match="does not exist"):
        rfm_duckdb(tmp_path / "nowhere")
    with pytest.raises(EngineError, match=r"holds no \.parquet or \.csv files"):
        rfm_duckdb(tmp_path)
    # the local engine is untouched
    assert len(rfm_table(_small())) == 2


@pytest.mark.notebook
def test_segmentation_notebook_on_duckdb(built, tmp_path):
    records, output = run_notebook(built, tmp_path, "segmentation", engine="duckdb")
    assert records["engine"] == "duckdb"
    assert records["customers"] == 4_324
    assert records["segment_sizes"]["Champions"] == 888
    assert "RFM table (duckdb)" in records["engine_seconds"]
    assert "Engine: <b>duckdb</b>" in output.read_text(encoding="utf-8")


def test_notebook_helpers_read_baskets_through_duckdb(tmp_path, monkeypatch):
    from crmlib.notebook.engine import engine_baskets, engine_note, engine_rfm, start_engine

    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path))
    timer = start_engine("duckdb")
    load = {"layout": "auto", "basket": "order", "item": "description"}
    got = engine_baskets("embedded:online_retail", load, timer)
    local = load_baskets("embedded:online_retail")
    assert got.n_baskets == local.n_baskets and list(got.items) == list(local.items)
    assert got.matrix.nnz == local.matrix.nnz
    assert engine_rfm("embedded:online_retail", timer)["frequency"].sum() == 18_280
    assert [s for s, _ in timer.steps][-1] == "RFM table (duckdb)"
    note = engine_note(timer)
    assert "Engine: <b>duckdb</b> (memory limit 1GB)" in note and "read baskets" in note
    assert engine_rfm("embedded:online_retail", start_engine("local")) is None
