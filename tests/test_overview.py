"""Data overview tables on a small hand-checkable table."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis import (
    build_overview,
    country_split,
    filter_transactions,
    headline,
    monthly,
    new_vs_returning,
    top_products,
)
from crmlib.charts import headline_cards, monthly_chart, top_products_chart
from crmlib.errors import CrmInputError


@pytest.fixture
def tx() -> pd.DataFrame:
    rows = [
        # order, date, item, desc, qty, price, customer, country
        ("1", "2011-01-05", "A", "Mug", 2, 3.0, "c1", "UK"),
        ("1", "2011-01-05", "B", "<script>alert(1)</script>", 1, 10.0, "c1", "UK"),
        ("2", "2011-01-20", "A", "Mug", 1, 3.0, "c2", "FR"),
        ("3", "2011-02-02", "A", "Mug", 4, 3.0, "c1", "UK"),
        ("4", "2011-02-10", "C", "Lamp", 1, 20.0, None, "UK"),
        ("5", "2011-02-11", "B", "<script>alert(1)</script>", 2, 10.0, "c3", "UK"),
    ]
    cols = [
        "order_id", "order_date", "item", "description", "quantity", "unit_price",
        "customer_id", "country",
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=cols)
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    frame["amount"] = frame["quantity"] * frame["unit_price"]
    return frame


def test_headline(tx):
    h = headline(tx)
    assert (h["orders"], h["customers"], h["items"], h["lines"]) == (5, 3, 3, 6)
    assert h["revenue"] == 6 + 10 + 3 + 12 + 20 + 20
    assert h["revenue_with_customer_share"] == round(51 / 71, 4)


def test_monthly(tx):
    m = monthly(tx)
    assert m["revenue"].tolist() == [19.0, 52.0]
    assert m["orders"].tolist() == [2, 3]
    assert m["customers"].tolist() == [2, 2]


def test_new_vs_returning_uses_full_history(tx):
    table = new_vs_returning(tx).set_index(["month", "status"])["customers"]
    assert table[(pd.Timestamp("2011-01-01"), "new")] == 2
    assert table[(pd.Timestamp("2011-02-01"), "returning")] == 1  # c1
    assert table[(pd.Timestamp("2011-02-01"), "new")] == 1  # c3
    feb = filter_transactions(tx, start="2011-02-01")
    # without the full history c1 would look new in February
    windowed = new_vs_returning(feb, first=tx.groupby("customer_id")["order_date"].min())
    assert windowed.set_index("status")["customers"].to_dict() == {"new": 1, "returning": 1}


def test_top_products(tx):
    top = top_products(tx, 2)
    assert top["item"].tolist() == ["B", "A"]
    assert top["revenue"].tolist() == [30.0, 21.0]
    assert top_products(tx, 1, by="quantity")["item"].tolist() == ["A"]
    with pytest.raises(CrmInputError, match="at least 1"):
        top_products(tx, 0)


def test_country_split_suppresses_small_countries(tx):
    table, note = country_split(tx, k=2)
    assert table["country"].tolist() == ["UK", "Other (small groups)"]
    assert table.loc[0, "revenue_share"] == pytest.approx(68 / 71)
    # the merged row still has fewer than k customers, so its figures are hidden too
    assert pd.isna(table.loc[1, "revenue"])
    assert "fewer than 2 customers are hidden" in note
    table, note = country_split(tx, k=1)
    assert table["revenue_share"].sum() == pytest.approx(1.0) and note == ""


def test_filters_and_their_errors(tx):
    assert len(filter_transactions(tx, start="2011-02-01", end="2011-02-10")) == 2
    assert len(filter_transactions(tx, countries=["FR"])) == 1
    with pytest.raises(CrmInputError, match=r"Unknown countries \['Narnia'\].*FR, UK"):
        filter_transactions(tx, countries=["Narnia"])
    with pytest.raises(CrmInputError, match="after the end date"):
        filter_transactions(tx, start="2011-03-01", end="2011-01-01")
    with pytest.raises(CrmInputError, match="like 2011-06-30"):
        filter_transactions(tx, start="yesterday-ish")


def test_empty_filter_gives_an_explicit_empty_state(tx):
    out = build_overview(tx, start="2012-01-01")
    assert out["rows"] == 0
    assert "No transactions match" in out["message"]
    assert "2011-01-05 to 2011-02-11" in out["message"]


def test_overview_numbers_change_with_the_filter(tx):
    full = build_overview(tx)
    fr = build_overview(tx, countries=["FR"])
    assert full["headline"]["revenue"] == 71 and fr["headline"]["revenue"] == 3


def test_product_names_are_escaped_in_html_and_data_in_charts(tx):
    cards = headline_cards(headline(tx))
    assert "<script>" not in cards
    spec = top_products_chart(top_products(tx)).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["field"] == "description"
    assert spec["encoding"]["y"]["sort"] == "-x"


def test_monthly_chart_with_country_picker(tx):
    spec = monthly_chart(monthly(tx, by="country")).to_dict()
    param = spec["params"][0]
    assert param["bind"]["input"] == "select"
    assert param["bind"]["options"] == ["All countries", "FR", "UK"]
    assert any("filter" in t for t in spec["transform"])
