"""The engines read the RAW Online Retail file and clean it in SQL with the data layer's
rules: the same kept rows, the same count for every reason, the same RFM table as
:func:`crmlib.io.load_transactions` followed by :func:`rfm_table`."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.rfm import rfm_table
from crmlib.engines import engine_config
from crmlib.engines.duckdb_engine import clean_duckdb, rfm_duckdb
from crmlib.io import customer_rows, load_transactions

EXACT = ["customer_id", "recency_days", "frequency", "tenure_days", "first_order", "last_order"]
SOURCES = ["embedded:online_retail_sample", "embedded:online_retail"]

# one line per rule, hand-checkable; the first reason that applies counts
RAW = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
1001,A,ok,2,2011-01-03 10:00:00,1.5,17850.0,UK
1001,A,ok,2,2011-01-03 10:00:00,1.5,17850.0,UK
1002,X,bad date,1,not a date,2.0,17850.0,UK
1003,X,bad number,x,2011-01-04 10:00:00,2.0,17850.0,UK
1004,X,sold then cancelled,3,2011-01-05 10:00:00,2.0,12000,UK
1005,X,sold then cancelled,3,2011-01-06 10:00:00,2.0,12000,UK
C1006,X,cancel,-3,2011-01-07 10:00:00,2.0,12000,UK
1007,POST,postage,1,2011-01-08 10:00:00,18.0,12000,UK
1008,gift_0001_10,voucher,1,2011-01-08 10:00:00,10.0,12000,UK
1009,Y,zero quantity,0,2011-01-09 10:00:00,1.0,12000,UK
1010,Y,free,1,2011-01-09 10:00:00,0,12000,UK
1011,Z,no customer,1,2011-01-10 10:00:00,1.0,,UK
1012, E ,spaces,4,2011-01-11 10:00:00,0.5, 13000 ,FR
""" + "".join(f"20{i:02d},W,good,1,2011-02-{i + 1:02d} 09:00:00,3.0,14000,UK\n" for i in range(20))
EXPECTED = {"duplicate": 1, "bad_date": 1, "bad_number": 1, "cancellation": 1, "reversed": 1,
            "non_product": 2, "non_positive_quantity": 1, "non_positive_price": 1,
            "missing_customer": 1}  # fmt: skip


def _same_report(got, local) -> None:
    columns = ["reason", "action", "rows", "rows_matching"]
    pd.testing.assert_frame_equal(got.to_frame()[columns], local.to_frame()[columns])


def _same_rfm(got: pd.DataFrame, local: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got[EXACT], local[EXACT])
    money = ["monetary_total", "monetary_avg"]
    pd.testing.assert_frame_equal(got[money], local[money], rtol=1e-9)


def test_hand_checked_rules_in_duckdb(tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text(RAW)
    report, parquet = clean_duckdb(raw, tmp_path / "clean.parquet")
    assert {r: report.count(r) for r in EXPECTED} == EXPECTED
    assert (report.rows_in, report.rows_out, report.customer_rows) == (33, 24, 23)
    local = load_transactions(str(raw), use_cache=False)
    _same_report(report, local.report)
    kept = pd.read_parquet(parquet)
    # the later of the two equal sales is the one the cancellation reverses
    assert kept["order_id"].tolist()[:4] == ["1001", "1004", "1011", "1012"]
    assert kept["customer_id"].tolist()[:2] == ["17850", "12000"]
    assert kept["item"].tolist()[3] == "E" and kept["customer_id"].tolist()[3] == "13000"
    assert kept["order_id"].tolist() == local.data["order_id"].astype(str).tolist()


@pytest.mark.parametrize("source", SOURCES)
def test_duckdb_cleans_the_raw_file_like_the_data_layer(source, tmp_path):
    report, parquet = clean_duckdb(source, tmp_path / "clean.parquet")
    local = load_transactions(source)
    _same_report(report, local.report)
    kept = pd.read_parquet(parquet)
    assert len(kept) == len(local.data)
    assert kept["order_id"].tolist() == local.data["order_id"].astype(str).tolist()
    _same_rfm(rfm_duckdb(parquet), rfm_table(customer_rows(local.data)))
    if source == "embedded:online_retail":  # issue 4's published figures
        assert (report.rows_in, report.rows_out) == (541_909, 519_812)


def test_a_wrong_date_format_is_refused_like_the_data_layer(tmp_path):
    from crmlib.errors import CrmInputError

    raw = tmp_path / "european.csv"
    raw.write_text(RAW.replace("2011-01-", "03/01/"))  # most dates day-first now
    for clean in (clean_duckdb, lambda path: load_transactions(str(path), use_cache=False)):
        with pytest.raises(CrmInputError, match="'order_date': 13 of 33 values cannot be read"):
            clean(raw)


def test_columns_are_mapped_like_the_data_layer(tmp_path):
    raw = tmp_path / "renamed.csv"
    raw.write_text(RAW.replace("InvoiceNo", "Bon").replace("CustomerID", "Kunde"))
    report, _ = clean_duckdb(raw, columns={"Bon": "order_id", "Kunde": "customer_id"})
    assert {r: report.count(r) for r in EXPECTED} == EXPECTED


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[test]'")
    from crmlib.engines import spark as S

    if S.find_java() is None:
        pytest.skip("Spark tests need Java 17 (.ci/run installs a headless JRE)")
    session = S.spark_session(engine_config("spark", master="local[2]", conf={}))
    yield session
    S.stop_session()


def test_hand_checked_rules_in_spark(spark, tmp_path):
    from crmlib.engines.spark import clean_spark

    raw = tmp_path / "raw.csv"
    raw.write_text(RAW)
    kept, report = clean_spark(spark, raw)
    assert {r: report.count(r) for r in EXPECTED} == EXPECTED
    _same_report(report, load_transactions(str(raw), use_cache=False).report)
    order = kept.toPandas()["order_id"].tolist()
    assert sorted(order)[:4] == ["1001", "1004", "1011", "1012"] and len(order) == 24


@pytest.mark.parametrize("source", SOURCES)
def test_spark_cleans_the_raw_file_like_the_data_layer(spark, source):
    from crmlib.engines.spark import clean_spark, rfm_spark

    kept, report = clean_spark(spark, source)
    local = load_transactions(source)
    _same_report(report, local.report)
    _same_rfm(rfm_spark(spark, kept), rfm_table(customer_rows(local.data)))


@pytest.mark.notebook
def test_data_overview_says_the_engine_cleaned_alike(built, tmp_path):
    from tests.conftest import run_notebook

    records, output = run_notebook(
        built, tmp_path, "data_overview", source="embedded:online_retail_sample", engine="duckdb"
    )
    assert records["engine"] == "duckdb"
    check = records["engine_cleaning"]
    assert check["same"] is True and check["rows_out"] == records["rows_out"] == 20_825
    assert check["counts"] == records["cleaning"]
    assert "read and clean (duckdb SQL)" in records["engine_seconds"]
    text = output.read_text(encoding="utf-8")
    assert "duckdb cleaned the raw file in SQL: 20,825 of 21,570 rows kept" in text
    assert "Engine: <b>duckdb</b>" in text


def test_spark_rfm_helper_starts_from_the_raw_file(spark):
    from crmlib.notebook.engine import engine_rfm, start_engine

    timer = start_engine("spark", master="local[2]", conf={})
    got = engine_rfm("embedded:online_retail_sample", timer)
    local = rfm_table(customer_rows(load_transactions("embedded:online_retail_sample").data))
    _same_rfm(got, local)
    assert [s for s, _ in timer.steps] == ["read and clean (spark SQL)", "RFM table (spark)"]
