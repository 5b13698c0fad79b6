"""Lifecycle stages on DuckDB and Spark: the engine's per-order table gives the local engine's
stage counts, transition matrix and cohort retention exactly (Online Retail sample and full)."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.lifecycle import customer_stages, stage_counts, transition_matrix
from crmlib.analysis.retention import cohort_retention
from crmlib.engines import engine_config
from crmlib.engines.duckdb_engine import clean_duckdb
from crmlib.engines.orders import orders_duckdb, orders_spark
from crmlib.engines.spark import find_java
from crmlib.io import customer_rows, load_transactions
from tests.conftest import run_notebook

SOURCES = ["embedded:online_retail_sample", "embedded:online_retail"]


def _local(source: str) -> pd.DataFrame:
    return customer_rows(load_transactions(source).data)


def _same_lifecycle(local: pd.DataFrame, engine: pd.DataFrame, period: str = "M") -> None:
    here, there = customer_stages(local, period=period), customer_stages(engine, period=period)
    pd.testing.assert_frame_equal(stage_counts(here), stage_counts(there), check_exact=True)
    pd.testing.assert_frame_equal(
        transition_matrix(here), transition_matrix(there), check_exact=True
    )
    # counts exactly; revenue is summed in another order (last-digit differences)
    pd.testing.assert_frame_equal(
        cohort_retention(local, period=period), cohort_retention(engine, period=period),
        rtol=1e-12,
    )  # fmt: skip
    pd.testing.assert_frame_equal(here, there, rtol=1e-12)  # every customer × period row


def test_orders_table_by_hand(tmp_path):
    # customer a: order 1 (two lines on one day at different times, 10 + 5; a missing amount
    # counts 0) and order 2 (20); b: order 3 (7.5); a line without a customer is left out
    lines = pd.DataFrame(
        {
            "order_id": ["1", "1", "1", "2", "3", "4"],
            "order_date": pd.to_datetime(["2011-01-03 09:00", "2011-01-03 17:30",
                                          "2011-01-03 18:00", "2011-02-01 08:00",
                                          "2011-01-15 12:00", "2011-01-20 10:00"]),
            "amount": [10.0, 5.0, None, 20.0, 7.5, 99.0],
            "customer_id": pd.array(["a", "a", "a", "a", "b", None], dtype="string"),
        }
    )  # fmt: skip
    lines.to_parquet(tmp_path / "lines.parquet", index=False)
    got = orders_duckdb(tmp_path / "lines.parquet")
    expected = pd.DataFrame(
        {
            "customer_id": pd.array(["a", "a", "b"], dtype="string"),
            "order_id": pd.array(["1", "2", "3"], dtype="string"),
            "order_date": pd.to_datetime(["2011-01-03", "2011-02-01", "2011-01-15"])
            .astype("datetime64[us]"),
            "amount": [15.0, 20.0, 7.5],
        }
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("source", SOURCES)
def test_duckdb_orders_give_local_stages(source, tmp_path):
    _report, parquet = clean_duckdb(source, tmp_path / "clean.parquet")
    orders = orders_duckdb(parquet)
    local = _local(source)
    assert len(orders) == local.groupby(["customer_id", "order_id"]).ngroups
    _same_lifecycle(local, orders)
    if source == SOURCES[0]:
        _same_lifecycle(local, orders, period="Q")


def test_lifecycle_notebook_on_duckdb(built, tmp_path):
    records, output = run_notebook(built, tmp_path, "lifecycle", engine="duckdb")
    local = transition_matrix(customer_stages(_local("embedded:online_retail")))
    assert records["engine"] == "duckdb"
    assert records["transition_rows"] == {k: int(v) for k, v in local.sum(axis=1).items()}
    assert "Engine: <b>duckdb</b>" in output.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[test]'")
    if find_java() is None:
        pytest.skip("Spark tests need Java 17 (.ci/run installs a headless JRE)")
    from crmlib.engines import spark as S

    session = S.spark_session(engine_config("spark", master="local[2]", conf={}))
    yield session
    S.stop_session()


def test_spark_orders_give_local_stages(spark, tmp_path):
    from crmlib.engines import spark as S

    source = SOURCES[0]
    lines, _ = S.clean_spark(spark, source)  # raw CSV cleaned in Spark SQL
    from_raw = orders_spark(spark, lines)
    _same_lifecycle(_local(source), from_raw)
    parquet = clean_duckdb(source, tmp_path / "clean.parquet")[1]  # canonical Parquet
    from_parquet = orders_spark(spark, S.read_lines(spark, parquet))
    pd.testing.assert_frame_equal(from_parquet, orders_duckdb(parquet), rtol=1e-12)
    pd.testing.assert_frame_equal(from_raw, from_parquet, rtol=1e-12)
