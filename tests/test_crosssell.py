"""Cross-sell coverage and campaign lists on a six-customer product table."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from crmlib.analysis import campaign_list, cross_sell_coverage
from crmlib.analysis.baskets import baskets_from_transactions, baskets_from_wide
from crmlib.errors import CrmInputError
from crmlib.privacy import pseudonymise

# savings: c1 c2 c3 c5 (4); mortgage: c1 c4 (2); card: c1 c2 c4 (3).
BANK = pd.DataFrame(
    {
        "id": ["c1", "c2", "c3", "c4", "c5", "c6"],
        "savings": ["T", "T", "T", "F", "T", "F"],
        "mortgage": [1, 0, 0, 1, 0, 0],
        "card": ["yes", "yes", "no", "yes", "no", "no"],
        "region": ["N", "S", "N", "S", "N", "S"],
    }
)
PRODUCTS = ["savings", "mortgage", "card"]


def _holdings(**kwargs) -> object:
    return baskets_from_wide(BANK, item_columns=PRODUCTS, id_column="id", **kwargs)


def test_coverage_counts_by_hand():
    table = cross_sell_coverage(_holdings(), PRODUCTS)
    pairs = list(zip(table["product_a"], table["product_b"], strict=True))
    assert pairs == [
        ("savings", "mortgage"), ("savings", "card"), ("mortgage", "savings"),
        ("mortgage", "card"), ("card", "savings"), ("card", "mortgage"),
    ]  # fmt: skip
    assert table["holders_a"].tolist() == [4, 4, 2, 2, 3, 3]
    assert table["holders_both"].tolist() == [1, 2, 1, 2, 2, 2]
    assert table["share"].tolist() == pytest.approx([0.25, 0.5, 0.5, 1.0, 2 / 3, 2 / 3])
    assert table["base_share"].tolist() == pytest.approx([1 / 3, 0.5, 2 / 3, 0.5, 2 / 3, 1 / 3])
    assert table["lift"].iloc[0] == pytest.approx(0.75)
    # default target = B's overall share: savings→mortgage needs 4/3 − 1 → 1 more customer
    assert table["gap"].tolist() == [1, 0, 1, 0, 0, 0]
    assert table["campaign_size"].tolist() == [3, 2, 1, 0, 1, 1]


def test_targets_per_product_and_for_all():
    one = cross_sell_coverage(_holdings(), PRODUCTS, targets={"mortgage": 0.5})
    assert one["target_share"].tolist() == pytest.approx([0.5, 0.5, 2 / 3, 0.5, 2 / 3, 0.5])
    assert one["gap"].tolist() == [1, 0, 1, 0, 0, 0]
    every = cross_sell_coverage(_holdings(), PRODUCTS, targets=0.75)
    assert every["gap"].tolist() == [2, 1, 1, 0, 1, 1]


def test_campaign_list_is_pseudonymised():
    ids = campaign_list(_holdings(), "savings", "mortgage")
    assert ids.tolist() == pseudonymise(pd.Series(["c2", "c3", "c5"])).tolist()
    assert ids.name == "basket_id"
    by_customer = campaign_list(_holdings(customer_column="id"), "savings", "mortgage")
    assert by_customer.name == "customer_id"
    assert by_customer.tolist() == ids.tolist()
    assert campaign_list(_holdings(), "mortgage", "card").empty  # both mortgage holders have one


def test_orders_are_counted_per_customer():
    lines = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o4", "o5"],
            "customer_id": ["K1", "K1", "K2", "K3", "K3", pd.NA],
            "item": ["A", "B", "A", "A", "B", "A"],
        }
    )
    baskets = baskets_from_transactions(lines)
    table = cross_sell_coverage(baskets, ["A", "B"])
    # K1 bought A and B in different orders; the order without a customer is left out
    assert table[["holders_a", "holders_both"]].values.tolist() == [[3, 2], [2, 2]]
    assert campaign_list(baskets, "A", "B").tolist() == pseudonymise(pd.Series(["K2"])).tolist()


def test_inputs_are_not_changed():
    before = BANK.copy()
    cross_sell_coverage(_holdings(), PRODUCTS)
    pd.testing.assert_frame_equal(BANK, before)


@pytest.mark.parametrize(
    ("products", "targets", "message"),
    [
        (["savings", "loan"], None, "Unknown items ['loan']"),
        (["savings"], None, "at least two different products"),
        (["savings", "savings"], None, "at least two different products"),
        (PRODUCTS, 1.5, "must be between 0 and 1"),
        (PRODUCTS, {"card": -0.1}, "must be between 0 and 1"),
        (PRODUCTS, {"loan": 0.2}, "targets name products ['loan']"),
    ],
)
def test_bad_input(products, targets, message):
    with pytest.raises(CrmInputError, match=re.escape(message)):
        cross_sell_coverage(_holdings(), products, targets=targets)


def test_bad_campaign_and_flag_input():
    with pytest.raises(CrmInputError, match="must differ"):
        campaign_list(_holdings(), "card", "card")
    with pytest.raises(CrmInputError, match="Expected Baskets"):
        cross_sell_coverage(BANK, PRODUCTS)
    bad = BANK.assign(card=["yes", "maybe", "no", "yes", "no", "no"])
    with pytest.raises(CrmInputError, match="Flag column 'card'"):
        baskets_from_wide(bad, item_columns=PRODUCTS)
