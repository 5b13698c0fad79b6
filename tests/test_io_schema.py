"""Column mapping and type coercion, with the messages a user reads."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.errors import CrmInputError
from crmlib.io import clean_transactions, map_columns

LINES = pd.DataFrame(
    {
        "Invoice": ["1", "2"],
        "Product Code": ["A1", "B1"],
        "Qty": ["1", "2"],
        "Date": ["2011-01-01", "2011-01-02"],
        "Price": ["1.0", "2.0"],
        "Customer ID": ["9", "10"],
        "Store": ["north", "south"],
    }
)


def test_aliases_are_recognised_and_extra_columns_kept():
    out = map_columns(LINES)
    assert {"order_id", "quantity", "order_date", "unit_price", "customer_id"} <= set(out.columns)
    assert "Store" in out.columns
    assert LINES.columns[0] == "Invoice"  # caller's frame untouched


def test_explicit_mapping_wins_over_aliases():
    out = map_columns(LINES, {"Product Code": "item", "Store": "country"})
    assert out["item"].tolist() == ["A1", "B1"]
    assert out["country"].tolist() == ["north", "south"]


def test_missing_required_column_lists_found_columns_and_how_to_map():
    frame = LINES.drop(columns=["Product Code"])
    with pytest.raises(CrmInputError) as info:
        map_columns(frame, required=["item", "order_id"])
    text = str(info.value)
    assert "no column for ['item']" in text
    assert "'Store'" in text and "'Qty'" in text
    assert "columns={'<your column>': 'item'}" in text


def test_mapping_a_column_that_does_not_exist():
    with pytest.raises(CrmInputError, match=r"names \['SKU'\].*Columns found"):
        map_columns(LINES, {"SKU": "item"})


def test_two_columns_mapped_to_one_name():
    with pytest.raises(CrmInputError, match="same name"):
        map_columns(LINES, {"Invoice": "item", "Product Code": "item"})


def _mapped(**changes):
    frame = map_columns(LINES.assign(**changes), {"Product Code": "item"})
    return frame


def test_wrong_date_format_is_explained():
    frame = _mapped(Date=["03/01/2011", "04/01/2011"])
    with pytest.raises(CrmInputError, match=r"order_date.*2 of 2.*date_format="):
        clean_transactions(frame)
    # with the format given, the same data reads
    out = clean_transactions(frame, date_format="%d/%m/%Y").data
    assert out["order_date"].dt.month.tolist() == [1, 1]


def test_wrong_number_format_is_explained():
    frame = _mapped(Price=["1,50", "2,25"])
    with pytest.raises(CrmInputError, match=r"unit_price.*decimal=','"):
        clean_transactions(frame)
    assert clean_transactions(frame, decimal=",").data["unit_price"].tolist() == [1.5, 2.25]


def test_text_in_quantity_is_a_wrong_type():
    frame = _mapped(Qty=["one", "two"])
    with pytest.raises(CrmInputError, match=r"quantity.*\['one', 'two'\]"):
        clean_transactions(frame)
