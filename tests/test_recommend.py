"""Rule-based recommendations and their offline hit rate, on data small enough to check by hand."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from crmlib.analysis import evaluate_hit_rate, recommend
from crmlib.analysis.baskets import baskets_from_lists, baskets_from_transactions
from crmlib.analysis.rules import mine_rules
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.io import load_transactions
from crmlib.privacy import pseudonymise

# a→b and a→c tie on confidence, support decides; {a, b} also fires (a, b)→d and b→d.
RULES = pd.DataFrame(
    {
        "antecedent": [("a",), ("a",), ("a", "b"), ("b",), ("c",)],
        "consequent": [("b",), ("c",), ("d",), ("d",), ("e",)],
        "confidence": [0.6, 0.6, 0.9, 0.3, 0.5],
        "support": [0.3, 0.2, 0.1, 0.1, 0.1],
        "lift": [1.0, 2.0, 3.0, 1.5, 1.2],
    }
)
HOLDINGS = {"x": ["a"], "y": ["a", "b"], "z": ["d"]}


def _picks(out: pd.DataFrame) -> dict:
    return out.groupby("basket_id", sort=False)["item"].apply(list).to_dict()


def test_recommend_by_confidence_skips_held_items_and_breaks_ties_by_support():
    out = recommend(RULES, HOLDINGS, n=5)
    assert _picks(out) == {"x": ["b", "c"], "y": ["d", "c"]}  # z triggers nothing
    assert out["rank"].tolist() == [1, 2, 1, 2]
    assert out["score"].tolist() == [0.6, 0.6, 0.9, 0.6]
    assert out["rule"].tolist() == ["a → b", "a → c", "a, b → d", "a → c"]
    assert list(out.columns) == ["basket_id", "rank", "item", "score", "confidence", "support",
                                 "rule"]  # fmt: skip


def test_recommend_by_lift_takes_the_best_rule_per_item_and_n_caps_the_list():
    out = recommend(RULES, HOLDINGS, n=5, criterion="lift")
    assert _picks(out) == {"x": ["c", "b"], "y": ["d", "c"]}
    assert out.loc[out["basket_id"] == "y", "score"].tolist() == [3.0, 2.0]  # not b→d's 1.5
    assert _picks(recommend(RULES, HOLDINGS, n=1)) == {"x": ["b"], "y": ["d"]}


def test_full_ties_go_to_label_order_and_multi_item_consequents_give_each_item():
    rules = pd.DataFrame(
        {
            "antecedent": [("a",), ("a",), ("b",)],
            "consequent": [("z",), ("y",), ("p", "q")],
            "confidence": [0.5, 0.5, 0.4],
            "support": [0.1, 0.1, 0.1],
        }
    )
    unknown = pd.DataFrame(
        {"antecedent": [("zzz",)], "consequent": [("a",)], "confidence": [0.9], "support": [0.1]}
    )
    out = recommend(pd.concat([rules, unknown]), [["a", "b"]], n=5)  # zzz is held by nobody
    assert out["item"].tolist() == ["y", "z", "p", "q"]
    assert out["rule"].tolist()[2:] == ["b → p, q", "b → p, q"]


def test_customer_ids_are_pseudonymised():
    lines = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o2"],
            "customer_id": ["K1", "K2", "K2"],
            "item": ["a", "a", "b"],
        }
    )
    orders = recommend(RULES, baskets_from_transactions(lines), n=5)
    assert orders["basket_id"].tolist() == ["o1", "o1", "o2", "o2"]
    expected = pseudonymise(pd.Series(["K1", "K1", "K2", "K2"])).tolist()
    assert orders["customer_id"].tolist() == expected
    people = recommend(RULES, baskets_from_transactions(lines, basket="customer"), n=1)
    assert list(people.columns[:2]) == ["customer_id", "rank"]
    assert people["customer_id"].tolist() == pseudonymise(pd.Series(["K1", "K2"])).tolist()
    assert "K1" not in people.to_string()


def test_wide_flag_table_and_ruleset_are_accepted():
    wide = pd.DataFrame({"a": ["T", "T", "F"], "b": ["F", "T", "F"], "c": ["F", "F", "T"]})
    out = recommend(RULES, wide, n=5)
    assert _picks(out) == {0: ["b", "c"], 1: ["d", "c"], 2: ["e"]}
    baskets = baskets_from_lists([["a", "b"], ["a", "b"], ["a"], ["b"]])
    ruleset = mine_rules(baskets, min_support=2, min_confidence=0.5)
    assert recommend(ruleset, [["a"]])["item"].tolist() == ["b"]


def test_recommend_agrees_with_a_plain_loop_on_the_sample():
    data = load_transactions("embedded:online_retail_sample").data
    baskets = baskets_from_transactions(data)
    rules = mine_rules(baskets, min_support=0.02, min_confidence=0.1).rules
    out = recommend(rules, baskets, n=3, criterion="lift")
    items = baskets.items
    for row in range(0, baskets.n_baskets, 7):
        held = set(items[baskets.matrix[row].indices])
        best: dict[str, tuple] = {}
        for rule in rules.itertuples():
            if set(rule.antecedent) <= held:
                for item in set(rule.consequent) - held:
                    best[item] = max(best.get(item, ()), (rule.lift, rule.confidence, rule.support))
        top = sorted(best, key=lambda i: (-best[i][0], -best[i][1], -best[i][2], i))[:3]
        got = out.loc[out["basket_id"] == baskets.basket_ids[row], "item"].tolist()
        assert got == top, row


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"criterion": "colour"}, "criterion must be a numeric rule measure"),
        ({"n": 0}, "n (items per basket)"),
        ({"holdings": 42}, "Holdings must be Baskets"),
        ({"rules": RULES.drop(columns="support")}, "has no column ['support']"),
    ],
)
def test_recommend_bad_input(kwargs, message):
    args = {"rules": RULES, "holdings": HOLDINGS, **kwargs}
    with pytest.raises(CrmInputError, match=re.escape(message)):
        recommend(args.pop("rules"), args.pop("holdings"), **args)


def test_recommend_without_rules_says_what_to_do():
    with pytest.raises(EmptyResultError, match="lower min_support"):
        recommend(RULES.iloc[:0], HOLDINGS)


def _orders(spec: list[tuple[str, str, str, list[str]]]) -> pd.DataFrame:
    rows = [
        {"order_id": o, "order_date": pd.Timestamp(d), "customer_id": c, "item": i}
        for o, d, c, items in spec
        for i in items
    ]
    return pd.DataFrame(rows)


# January trains: a~b (4 orders), c~d (2), e alone (3): counts a 4, b 4, e 3, c 2, d 2.
# February tests {a, b}, {c, d} and a one-item order that cannot be a case.
TRAIN = [(f"j{i}", "2011-01-10", f"K{i}", ["a", "b"]) for i in range(4)]
TRAIN += [(f"k{i}", "2011-01-11", f"L{i}", ["c", "d"]) for i in range(2)]
TRAIN += [(f"m{i}", "2011-01-12", f"M{i}", ["e"]) for i in range(3)]
TEST = [("t1", "2011-02-02", "K0", ["a", "b"]), ("t2", "2011-02-03", "L0", ["c", "d"])]
TEST += [("t3", "2011-02-04", "M0", ["e"])]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hit_rate_by_hand_whichever_item_is_hidden(seed):
    result = evaluate_hit_rate(
        _orders(TRAIN + TEST), n=1, holdout="2011-02-01", min_support=2, min_confidence=0.5,
        seed=seed,
    )  # fmt: skip
    # Rules a↔b and c↔d recover any hidden item; popularity offers a (or b when a is held),
    # right for {a, b} and wrong for {c, d}.
    assert (result.cases, result.rules, result.train_baskets, result.covered) == (2, 4, 9, 2)
    assert (result.hits_rules, result.hits_popular, result.hits_combined) == (2, 1, 2)
    assert result.hit_rate_rules == 1.0 and result.hit_rate_popular == 0.5
    table = result.table()
    assert table["method"].tolist() == ["rules", "most popular", "rules + popular"]
    assert table["hit_rate"].tolist() == [1.0, 0.5, 1.0]
    assert "3 of 12" in result.split


def test_hit_rate_per_customer_uses_later_purchases():
    spec = [
        ("1", "2011-01-05", "K1", ["a"]), ("2", "2011-02-05", "K1", ["b"]),
        ("3", "2011-01-05", "K2", ["c"]), ("4", "2011-02-05", "K2", ["c", "d"]),
        ("5", "2011-01-05", "K3", ["a", "b"]), ("6", "2011-01-06", "K4", ["c", "d"]),
        ("7", "2011-02-06", "K5", ["e"]),
    ]  # fmt: skip
    options = {"basket": "customer", "holdout": "2011-02-01", "min_support": 1}
    one = evaluate_hit_rate(_orders(spec), n=1, min_confidence=0.5, **options)
    # K1 (a → b) and K2 (c → d) are the cases; popularity offers c to K1 and a to K2.
    assert (one.cases, one.train_baskets, one.hits_rules, one.hits_popular) == (2, 4, 2, 0)
    two = evaluate_hit_rate(_orders(spec), n=2, min_confidence=0.5, **options)
    assert two.hits_popular == 1  # K1 now also gets b


def test_hit_rate_on_baskets_splits_at_random():
    lists = [["a", "b"]] * 20 + [["c", "d"]] * 20
    result = evaluate_hit_rate(baskets_from_lists(lists), n=1, min_support=0.1, holdout=0.25)
    assert (result.cases, result.train_baskets, result.hits_rules) == (10, 30, 10)
    assert "10 random baskets of 40" in result.split


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"holdout": 1.5}, "holdout must be a share"),
        ({"holdout": 30}, "holdout must be a share"),
        ({"holdout": "2012-01-01"}, "leaves no training or no test orders"),
        ({"hide": 0}, "hide must be a whole number"),
        ({"basket": "week"}, "basket must be 'order' or 'customer'"),
        ({"min_confidence": 2.0}, "min_confidence must be between 0 and 1"),
        ({"hide": 2}, "No test case"),
    ],
)
def test_hit_rate_bad_input(kwargs, message):
    options = {"holdout": "2011-02-01", "min_support": 2, **kwargs}
    with pytest.raises(CrmInputError, match=message):
        evaluate_hit_rate(_orders(TRAIN + TEST), **options)


def test_baskets_need_a_share_as_holdout():
    with pytest.raises(CrmInputError, match="Baskets carry no dates"):
        evaluate_hit_rate(baskets_from_lists([["a", "b"]] * 4), holdout="2011-01-01")


def test_hit_rate_on_the_sample_is_consistent():
    data = load_transactions("embedded:online_retail_sample").data
    result = evaluate_hit_rate(data, n=5, holdout=0.2, min_support=0.02, min_confidence=0.1)
    assert result.cases > 50 and result.rules > 0
    assert 0 < result.covered <= result.cases
    assert 0 < result.hits_rules <= result.hits_combined <= result.cases
    assert 0 < result.hits_popular <= result.cases
    assert result.table()["cases"].tolist() == [result.cases] * 3


def test_rules_beat_most_popular_on_online_retail_last_month():
    data = load_transactions("embedded:online_retail").data
    result = evaluate_hit_rate(
        data, n=5, holdout=pd.Timedelta(days=30), min_support=0.01, min_confidence=0.1
    )
    assert result.cases > 2000
    assert result.hit_rate_rules > 2 * result.hit_rate_popular
    assert result.hits_combined >= result.hits_rules
