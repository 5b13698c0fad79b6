"""The cleaning report on hand-checkable rows and on the full embedded Online Retail file."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.config import EMBEDDED_DATA
from crmlib.io import clean_transactions, customer_rows, load_transactions, map_columns


def _lines() -> pd.DataFrame:
    rows = [
        # InvoiceNo, StockCode, Quantity, InvoiceDate, UnitPrice, CustomerID
        ("1", "P1", "2", "2011-01-01 10:00", "1.0", "7.0"),  # kept
        ("1", "P1", "2", "2011-01-01 10:00", "1.0", "7.0"),  # duplicate
        ("C2", "P1", "-2", "2011-01-02 10:00", "1.2", "7.0"),  # cancellation (other price)
        ("10", "P5", "3", "2011-01-02 11:00", "2.0", "11"),  # reversed by the next line
        ("C11", "P5", "-3", "2011-01-02 12:00", "2.0", "11"),  # cancellation
        ("3", "POST", "1", "2011-01-03 10:00", "18.0", "8.0"),  # non-product
        ("3", "gift_0001_20", "1", "2011-01-03 10:00", "20.0", "8.0"),  # non-product
        ("4", "P2", "-5", "2011-01-04 10:00", "0", ""),  # stock adjustment: qty <= 0
        ("5", "P2", "3", "2011-01-05 10:00", "0", "9.0"),  # free line: price <= 0
        ("6", "P2", "1", "not a date", "2.0", "9.0"),  # bad date
        ("7", "P3", "4", "2011-01-07 10:00", "2.5", ""),  # kept, no customer
        ("8", "P3", "1", "2011-02-01 10:00", "2.5", "9.0"),  # kept
    ] + [(f"9{i}", "P4", "1", f"2011-03-{i + 1:02d} 10:00", "1.0", "10") for i in range(15)]
    cols = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]
    return map_columns(pd.DataFrame(rows, columns=cols))


def test_each_reason_counted_once_and_rows_add_up():
    result = clean_transactions(_lines())
    report = result.report
    expected = {
        "duplicate": 1,
        "bad_date": 1,
        "cancellation": 2,
        "reversed": 1,
        "non_product": 2,
        "non_positive_quantity": 1,
        "non_positive_price": 1,
        "missing_customer": 1,  # row 4 had none too, but it was already dropped
    }
    for reason, rows in expected.items():
        assert report.count(reason) == rows, reason
    assert report.rows_in == 27
    assert report.rows_out == 27 - 9
    dropped_sum = report.table.query("action == 'dropped'")["rows"].sum()
    assert dropped_sum == report.rows_in - report.rows_out
    assert set(result.dropped["reason"]) == set(expected) - {"missing_customer"}
    assert len(result.dropped) == 9


def test_net_returns_can_be_switched_off():
    report = clean_transactions(_lines(), net_returns=False).report
    assert report.count("reversed") == 0
    assert report.rows_out == 27 - 8


def test_types_and_amount_and_customer_ids():
    data = clean_transactions(_lines()).data
    first = data.iloc[0]
    assert first["amount"] == 2.0
    assert first["customer_id"] == "7"  # "7.0" normalised
    assert data["order_date"].dtype.kind == "M"
    assert data["has_customer"].sum() == len(data) - 1
    assert len(customer_rows(data)) == len(data) - 1


def test_the_callers_frame_is_not_changed():
    lines = _lines()
    before = lines.copy()
    clean_transactions(lines)
    pd.testing.assert_frame_equal(lines, before)


def test_report_renders_as_escaped_html_table():
    html = clean_transactions(_lines()).report._repr_html_()
    assert "exact duplicate" in html and "<table" in html


@pytest.mark.skipif(not EMBEDDED_DATA["online_retail"].exists(), reason="embedded file missing")
def test_full_online_retail_counts_match_the_published_audit():
    """Figures from the data set's audit (SOURCE.md): 541,909 lines, 5,268 exact duplicates,
    9,288 cancellation lines, 135,080 lines without a customer, 10,624 negative quantities,
    2,515 zero and 2 negative prices."""
    report = load_transactions("embedded:online_retail", use_cache=False).report
    matching = report.table.set_index("reason")["rows_matching"]
    assert report.rows_in == 541_909
    assert report.count("duplicate") == 5_268
    assert matching["cancellation"] == 9_288
    assert matching["missing_customer"] == 135_080
    assert matching["non_positive_quantity"] == 10_624
    assert matching["non_positive_price"] == 2_517
    assert matching["bad_date"] == 0 and matching["bad_number"] == 0
    dropped = report.table.query("action == 'dropped'")["rows"].sum()
    assert report.rows_out == report.rows_in - dropped
