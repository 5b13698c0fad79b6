"""Each reader format, and each way a file can be unreadable."""

from __future__ import annotations

import gzip

import duckdb
import pandas as pd
import pytest

from crmlib.errors import CrmInputError
from crmlib.io import load_transactions, read_table

ROWS = pd.DataFrame(
    {
        "InvoiceNo": ["1001", "1001", "1002"],
        "StockCode": ["A", "B", "A"],
        "Quantity": ["2", "1", "5"],
        "InvoiceDate": ["2011-01-03 10:00:00", "2011-01-03 10:00:00", "2011-02-01 09:30:00"],
        "UnitPrice": ["1.5", "3.0", "1.5"],
        "CustomerID": ["17850.0", "17850.0", ""],
    }
)


def _check(frame: pd.DataFrame) -> None:
    assert len(frame) == 3
    assert list(frame.columns)[:3] == ["InvoiceNo", "StockCode", "Quantity"]
    assert frame["StockCode"].astype(str).tolist() == ["A", "B", "A"]


def test_csv_and_gzip(tmp_path):
    plain = tmp_path / "t.csv"
    ROWS.to_csv(plain, index=False)
    packed = tmp_path / "t.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    _check(read_table(plain))
    _check(read_table(packed))
    # text files keep every value as written (no float conversion of ids)
    assert read_table(plain)["CustomerID"].tolist()[0] == "17850.0"


def test_tsv(tmp_path):
    path = tmp_path / "t.tsv"
    ROWS.to_csv(path, index=False, sep="\t")
    _check(read_table(path))


def test_parquet(tmp_path):
    path = tmp_path / "t.parquet"
    ROWS.to_parquet(path)
    _check(read_table(path))


def test_excel(tmp_path):
    path = tmp_path / "t.xlsx"
    ROWS.to_excel(path, index=False, sheet_name="lines")
    _check(read_table(path, sheet="lines"))
    with pytest.raises(CrmInputError, match="sheet 'nope'"):
        read_table(path, sheet="nope")


def test_duckdb_table_and_sql(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.register("rows_df", ROWS)
    con.execute("create table lines as select * from rows_df")
    con.close()
    _check(read_table(path, table="lines"))
    got = read_table(path, sql="select * from lines where InvoiceNo = '1001'")
    assert len(got) == 2
    with pytest.raises(CrmInputError, match="pass table="):
        read_table(path)
    with pytest.raises(CrmInputError, match="SQL query failed"):
        read_table(path, sql="select * from missing_table")


def test_sql_over_a_csv_file(tmp_path):
    path = tmp_path / "t.csv"
    ROWS.to_csv(path, index=False)
    got = read_table(path, sql="select * from data where StockCode = 'A'")
    assert len(got) == 2


def test_load_transactions_from_duckdb_gives_same_result_as_csv(tmp_path):
    csv = tmp_path / "t.csv"
    ROWS.to_csv(csv, index=False)
    db = tmp_path / "t.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"create table lines as select * from read_csv('{csv}', all_varchar=true)")
    con.close()
    a = load_transactions(csv, use_cache=False).data
    b = load_transactions(db, table="lines", use_cache=False).data
    pd.testing.assert_frame_equal(a, b)


def test_file_not_found():
    with pytest.raises(CrmInputError, match=r"Data file not found: .*nope\.csv"):
        read_table("nope.csv")


def test_unknown_embedded_name_lists_known_ones():
    with pytest.raises(CrmInputError, match="embedded:online_retail"):
        read_table("embedded:nothing")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CrmInputError, match="empty"):
        read_table(path)


def test_header_without_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("InvoiceNo,StockCode\n")
    with pytest.raises(CrmInputError, match="no rows"):
        read_table(path)


def test_non_utf8_csv_names_the_byte_and_the_fix(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("InvoiceNo,Description\n1,Caf\u00e9 cr\u00e8me\n".encode("cp1252"))
    with pytest.raises(CrmInputError, match=r"not UTF-8.*offset 27.*encoding='cp1252'"):
        read_table(path)
    # with its real encoding it reads, accents intact
    assert read_table(path, encoding="cp1252")["Description"][0] == "Caf\u00e9 cr\u00e8me"


def test_unknown_suffix(tmp_path):
    path = tmp_path / "data.json"
    path.write_text("{}")
    with pytest.raises(CrmInputError, match=r"Unknown file type '\.json'"):
        read_table(path)


def test_folder_is_refused(tmp_path):
    with pytest.raises(CrmInputError, match="is a folder"):
        read_table(tmp_path)


def test_cache_returns_the_same_result_and_follows_file_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "t.csv"
    ROWS.to_csv(path, index=False)
    first = load_transactions(path)
    assert list((tmp_path / "cache" / "transactions").glob("*.pkl"))
    again = load_transactions(path)
    pd.testing.assert_frame_equal(first.data, again.data)
    ROWS.head(2).to_csv(path, index=False)  # the file changes: the stored result is not used
    assert load_transactions(path).report.rows_in == 2


def test_an_unreadable_cache_entry_is_recomputed(tmp_path, monkeypatch):
    from crmlib.cache import cached

    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path / "cache"))
    assert cached("demo", "k1", lambda: 41) == 41
    entry = tmp_path / "cache" / "demo" / "k1.pkl"
    entry.write_bytes(b"\x80\x05not a pickle at all")
    assert cached("demo", "k1", lambda: 42) == 42  # damaged entry: recomputed, not an error
