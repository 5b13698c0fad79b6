"""Binning, attribute baskets and rules, derived flags and the readable profile tree."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from crmlib.analysis import (
    attribute_baskets,
    attribute_rules,
    bin_numeric,
    derive_flag,
    profile_flag,
)
from crmlib.analysis.baskets import baskets_from_lists
from crmlib.errors import CrmInputError, EmptyResultError


def test_quantile_bins_with_labels_and_index_kept():
    ages = pd.Series([20, 30, 40, 50], name="age", index=[10, 11, 12, 13])
    out = bin_numeric(ages, bins=2)
    assert out.tolist() == ["age=20-35", "age=20-35", "age=35-50", "age=35-50"]
    assert out.index.tolist() == [10, 11, 12, 13] and out.cat.ordered
    named = bin_numeric(ages, bins=2, labels=["young", "old"])
    assert named.tolist() == ["age=young", "age=young", "age=old", "age=old"]


def test_tied_quantiles_merge_and_missing_stays_missing():
    # quartile edges 0, 0, 0, 1.75, 10.5: the three zeros become one edge
    balance = pd.Series([0, 0, 0, 0, 0, 0, 1, 2, 3, 10.5, np.nan], name="balance")
    out = bin_numeric(balance, bins=4)
    assert list(out.cat.categories) == ["balance=0-1.75", "balance=1.75-10.5"]
    assert out.value_counts().tolist() == [7, 3]
    assert pd.isna(out.iloc[-1])
    assert bin_numeric(pd.Series([3, 3, 3], name="kids")).tolist() == ["kids=3"] * 3


def test_width_and_custom_bins():
    width = bin_numeric(pd.Series([0, 10, 20, 40], name="x"), method="width", bins=4)
    assert width.tolist() == ["x=0-10", "x=10-20", "x=20-30", "x=30-40"]
    assert width.value_counts(sort=False).tolist() == [1, 1, 1, 1]
    custom = bin_numeric(
        pd.Series([5, 17, 30, 70], name="age"), method="custom", cuts=[-np.inf, 18, 65, np.inf]
    )
    assert custom.tolist() == ["age<18", "age<18", "age=18-65", "age>=65"]


@pytest.mark.parametrize(
    ("series", "kwargs", "message"),
    [
        (pd.Series(["a", "b"], name="region"), {}, "Column 'region' is not numeric"),
        (pd.Series([1, 2, 3], name="age"), {"bins": 1}, "bins must be a whole number"),
        (pd.Series([1, 2, 3], name="age"), {"method": "custom"}, "needs cuts"),
        (pd.Series([1, 2], name="age"), {"method": "custom", "cuts": [5, 1]}, "increasing"),
        (pd.Series([1, 99], name="age"), {"method": "custom", "cuts": [0, 50]}, "outside"),
        (pd.Series([1, 2, 3, 4], name="age"), {"bins": 2, "labels": ["a"]}, "has 2 bins"),
        (pd.Series([1, 2], name="age"), {"method": "median"}, "method must be one of"),
    ],
)
def test_bin_bad_input(series, kwargs, message):
    with pytest.raises(CrmInputError, match=re.escape(message)):
        bin_numeric(series, **kwargs)


PEOPLE = pd.DataFrame(
    {
        "age": [25, 35, 45, 55],
        "region": ["N", "S", "N", None],
        "kids": [0.0, 1.0, 0.0, 2.0],
    }
)


def test_attribute_baskets_items_and_rows():
    before = PEOPLE.copy()
    baskets = attribute_baskets(PEOPLE, numeric_bins=2, max_levels=3)  # kids stay categories
    assert list(baskets.items) == [
        "age=25-40", "age=40-55", "region=N", "region=S", "kids=0", "kids=1", "kids=2",
    ]  # fmt: skip
    rows = [list(baskets.items[baskets.matrix[i].indices]) for i in range(4)]
    assert rows[0] == ["age=25-40", "region=N", "kids=0"]
    assert rows[3] == ["age=40-55", "kids=2"]  # no region: no item
    pd.testing.assert_frame_equal(PEOPLE, before)
    custom = attribute_baskets(PEOPLE, ["age"], numeric_bins={"age": [0, 40, 100]})
    assert list(custom.items) == ["age=0-40", "age=40-100"]
    with pytest.raises(CrmInputError, match=re.escape("Columns ['income'] not found")):
        attribute_baskets(PEOPLE, ["income"])


# Region N: pep 4 of 5; region S: 1 of 5. Sex says little (M 2 of 5, F 3 of 5).
SURVEY = pd.DataFrame(
    {
        "region": ["N"] * 5 + ["S"] * 5,
        "sex": ["M", "M", "F", "F", "M", "F", "M", "F", "M", "F"],
        "pep": ["YES", "YES", "YES", "YES", "NO", "YES", "NO", "NO", "NO", "NO"],
    }
)


def test_attribute_rules_keep_the_target_on_the_right():
    options = {"min_support": 0.3, "min_confidence": 0.7}
    yes = attribute_rules(SURVEY, "pep", value="YES", **options).rules
    assert yes["antecedent"].tolist() == [("region=N",)]
    assert yes["consequent"].tolist() == [("pep=YES",)]
    assert yes[["support", "confidence", "lift"]].iloc[0].tolist() == pytest.approx([0.4, 0.8, 1.6])
    both = attribute_rules(SURVEY, "pep", **options)
    assert sorted(both.rules["consequent"].tolist()) == [("pep=NO",), ("pep=YES",)]
    assert both.funnel["mined"] == 2
    assert not any("pep" in " ".join(a) for a in both.rules["antecedent"])


def test_attribute_rules_bad_input():
    with pytest.raises(CrmInputError, match=re.escape("Target column ['buys'] not found")):
        attribute_rules(SURVEY, "buys")
    with pytest.raises(CrmInputError, match=re.escape("Target value ['pep=MAYBE'] not found")):
        attribute_rules(SURVEY, "pep", value="MAYBE")
    with pytest.raises(EmptyResultError, match="lower min_support or min_confidence"):
        attribute_rules(SURVEY, "pep", min_support=0.3, min_confidence=0.95)


SHOPPING = [
    ["fruit", "fish"], ["vegetables", "fish"], ["fish"], ["fruit"], ["fruit", "fish", "meat"],
]  # fmt: skip


def test_derive_flag_from_baskets_and_from_a_flag_table():
    baskets = baskets_from_lists(SHOPPING)
    healthy = derive_flag(baskets, all_of=["fish"], any_of=["fruit", "vegetables"], name="healthy")
    assert healthy.tolist() == [True, True, False, False, True]
    assert healthy.name == "healthy"
    strict = derive_flag(baskets, all_of=["fish"], any_of=["fruit", "vegetables"], none_of=["meat"])
    assert strict.tolist() == [True, True, False, False, False]
    table = pd.DataFrame(
        {name: ["T" if name in b else "F" for b in SHOPPING] for name in ("fruit", "fish")}
    )
    both = derive_flag(table, all_of=["fruit", "fish"])
    assert both.tolist() == [True, False, False, False, True]


def test_derive_flag_bad_input():
    with pytest.raises(CrmInputError, match="needs items"):
        derive_flag(baskets_from_lists(SHOPPING))
    with pytest.raises(CrmInputError, match=re.escape("Unknown items ['bread']")):
        derive_flag(baskets_from_lists(SHOPPING), any_of=["bread"])
    with pytest.raises(CrmInputError, match="Flag column 'fish'"):
        derive_flag(pd.DataFrame({"fish": ["T", "maybe"]}), all_of=["fish"])


# healthy: all of N, none of S, and in E only the 60-year-old.
HEALTH = pd.DataFrame(
    {
        "region": list("NNNNSSSSEEEE"),
        "age": [20, 30, 50, 60, 20, 30, 50, 60, 60, 20, 30, 40],
        "healthy": ["T"] * 4 + ["F"] * 4 + ["T", "F", "F", "F"],
    }
)


def test_profile_flag_reads_the_tree_as_rules():
    out = profile_flag(HEALTH, "healthy", ["region", "age"], max_depth=2, min_leaf=1)
    assert out["rule"].tolist() == [
        "IF region = N THEN healthy (support 33.3 %, accuracy 100 %)",
        "IF region ≠ N AND age ≥ 56 THEN not healthy (support 16.7 %, accuracy 50 %)",
        "IF region ≠ N AND age ≤ 55 THEN not healthy (support 50.0 %, accuracy 100 %)",
    ]
    assert out["rows"].tolist() == [4, 2, 6]
    assert out["flag_rate"].tolist() == [1.0, 0.5, 0.0]
    assert out["lift"].tolist() == pytest.approx([2.4, 1.2, 0.0])
    shallow = profile_flag(HEALTH, "healthy", ["region", "age"], max_depth=1, label="fit")
    assert shallow["conditions"].tolist() == ["region = N", "region ≠ N"]
    assert shallow["rule"].iloc[1].startswith("IF region ≠ N THEN not fit")


def test_profile_flag_takes_a_derived_flag_and_numeric_ranges():
    frame = pd.DataFrame({"age": [20, 30, 40, 50, 60, 70], "income": [1.5, 2.5, 1, 3, 2, 0.5]})
    flag = pd.Series([False, False, False, True, True, True], name="older")
    out = profile_flag(frame, flag, ["age"], min_leaf=1)
    assert out["conditions"].tolist() == ["age ≥ 46", "age ≤ 45"]
    by_income = profile_flag(frame, flag, ["income"], max_depth=1, min_leaf=3)
    assert by_income["conditions"].tolist() == ["income > 1.75", "income ≤ 1.75"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"flag": "state"}, "Flag column ['state'] not found"),
        ({"features": ["region", "height"]}, "Feature columns ['height'] not found"),
        ({"features": ["region", "healthy"]}, "cannot also be a feature"),
        ({"max_depth": 0}, "max_depth must be a whole number from 1 to 8"),
        ({"min_leaf": 1.5}, "min_leaf must be a row count"),
        ({"flag": pd.Series([True, False])}, "must have a value for every row"),
    ],
)
def test_profile_flag_bad_input(kwargs, message):
    options = {"flag": "healthy", "features": ["region", "age"], **kwargs}
    with pytest.raises(CrmInputError, match=re.escape(message)):
        profile_flag(HEALTH, options.pop("flag"), options.pop("features"), **options)


def test_profile_flag_bad_values():
    with pytest.raises(CrmInputError, match="Flag column 'healthy' must hold"):
        profile_flag(HEALTH.assign(healthy=["T"] * 11 + ["perhaps"]), "healthy", ["age"])
    with pytest.raises(CrmInputError, match="nothing to tell apart"):
        profile_flag(HEALTH.assign(healthy="T"), "healthy", ["age"])
    ids = pd.DataFrame({"id": [f"c{i}" for i in range(60)], "flag": [True, False] * 30})
    with pytest.raises(CrmInputError, match="Feature 'id' has 60 categories"):
        profile_flag(ids, "flag")
    with pytest.raises(CrmInputError, match="'age' has 1 missing values"):
        profile_flag(HEALTH.assign(age=[np.nan] + [1.0] * 11), "healthy", ["age"])
