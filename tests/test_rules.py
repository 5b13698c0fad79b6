"""Rule mining against R arules' published counts and mlxtend, rule by rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules, fpgrowth

from crmlib.analysis.baskets import baskets_from_lists, baskets_from_wide, read_basket_lines
from crmlib.analysis.mining import MiningLimitError, min_count_for
from crmlib.analysis.rule_text import (
    frequent_itemsets,
    rule_sentences,
    rules_for_export,
    supporting_baskets,
)
from crmlib.analysis.rules import adjust_p, measures, mine_rules
from crmlib.config import DATA_DIR
from crmlib.errors import CrmInputError

GROCERIES = DATA_DIR / "groceries" / "groceries.csv.gz"


@pytest.fixture(scope="module")
def groceries():
    return read_basket_lines(GROCERIES)


def test_groceries_shape(groceries):
    # arules' summary(Groceries): 9,835 transactions, 169 items, whole milk in 2,513
    assert (groceries.n_baskets, groceries.n_items) == (9835, 169)
    assert groceries.item_counts()["whole milk"] == 2513
    assert "cream cheese " in groceries.items  # the trailing space is part of the name


@pytest.mark.parametrize(
    ("support", "confidence", "expected", "min_count"),
    [(0.005, 0.5, 120, 50), (0.001, 0.5, 5668, 10), (0.001, 0.8, 410, 10)],
)
def test_rule_counts_match_r_arules(groceries, support, confidence, expected, min_count):
    result = mine_rules(groceries, min_support=support, min_confidence=confidence)
    assert len(result.rules) == expected
    assert result.min_count == min_count
    assert (result.rules["count"] >= min_count).all()
    assert (result.rules["consequent"].map(len) == 1).all()


def _mlxtend_rules(baskets, support, confidence):
    frame = pd.DataFrame.sparse.from_spmatrix(baskets.matrix, columns=list(baskets.items))
    sets = fpgrowth(frame, min_support=support, use_colnames=True)
    rules = association_rules(sets, metric="confidence", min_threshold=confidence)
    rules = rules[rules["consequents"].map(len) == 1]
    return {
        (tuple(sorted(r.antecedents)), tuple(r.consequents)): r
        for r in rules.itertuples(index=False)
    }


@pytest.mark.parametrize(("support", "confidence"), [(0.005, 0.5), (0.001, 0.5)])
def test_every_rule_matches_mlxtend(groceries, support, confidence):
    ours = mine_rules(groceries, min_support=support, min_confidence=confidence).rules
    ref = _mlxtend_rules(groceries, support, confidence)
    keys = {(tuple(sorted(a)), c) for a, c in zip(ours.antecedent, ours.consequent, strict=True)}
    assert keys == set(ref)
    for r in ours.itertuples(index=False):
        m = ref[(tuple(sorted(r.antecedent)), r.consequent)]
        assert r.support == pytest.approx(m.support, abs=1e-12)
        assert r.confidence == pytest.approx(m.confidence, abs=1e-12)
        assert r.lift == pytest.approx(m.lift, rel=1e-9)
        assert r.leverage == pytest.approx(m.leverage, abs=1e-12)


def test_rules_exactly_at_the_confidence_threshold_are_kept(groceries):
    rules = mine_rules(groceries, min_support=0.001, min_confidence=0.5).rules
    at = rules["count"] * 2 == rules["antecedent_count"]
    assert at.sum() == 452  # the figure R arules and mlxtend agree on


def test_itemsets_all_closed_maximal(groceries):
    all_sets = frequent_itemsets(groceries, min_support=0.005)
    closed = frequent_itemsets(groceries, min_support=0.005, kind="closed")
    maximal = frequent_itemsets(groceries, min_support=0.005, kind="maximal")
    frame = pd.DataFrame.sparse.from_spmatrix(groceries.matrix, columns=list(groceries.items))
    assert len(all_sets) == len(fpgrowth(frame, min_support=0.005))
    assert len(maximal) <= len(closed) <= len(all_sets)
    counts = dict(zip(all_sets.itemset.map(frozenset), all_sets["count"], strict=True))
    for s, c in zip(closed.itemset, closed["count"], strict=True):  # no superset with same count
        assert not any(len(t) == len(s) + 1 and set(s) < t and n == c for t, n in counts.items())
    for s in maximal.itemset:
        assert not any(len(t) > len(s) and set(s) < t for t in counts)


def test_measures_on_a_hand_checked_table():
    # 100 baskets, 20 with A, 25 with B, 10 with both
    m = measures([10], [20], [25], 100).iloc[0]
    assert m.confidence == 0.5 and m.lift == 2.0 and m.coverage == 0.2
    assert m.leverage == pytest.approx(0.1 - 0.05)
    assert m.conviction == pytest.approx(0.75 / 0.5)
    assert m.jaccard == pytest.approx(10 / 35)
    assert m.kulczynski == pytest.approx(0.5 * (0.5 + 0.4))
    assert m.cosine == pytest.approx(10 / np.sqrt(500))
    assert m.odds_ratio == pytest.approx((10 * 65) / (10 * 15))
    assert m.deployability == 10
    assert m.added_value == pytest.approx(0.25)
    # a rule with confidence 1 has a finite conviction
    assert np.isfinite(measures([5], [5], [10], 100).iloc[0].conviction)


def test_p_value_corrections():
    p = np.array([0.01, 0.04, 0.03, 0.20])
    assert adjust_p(p, "bonferroni").tolist() == pytest.approx([0.04, 0.16, 0.12, 0.8])
    assert adjust_p(p, "holm").tolist() == pytest.approx([0.04, 0.09, 0.09, 0.2])
    assert adjust_p(p, "fdr_bh").tolist() == pytest.approx([0.04, 0.0533333, 0.0533333, 0.2])
    with pytest.raises(CrmInputError, match="correction"):
        adjust_p(p, "magic")


def test_redundant_rules_are_marked():
    lists = [["a", "c"]] * 6 + [["a", "b", "c"]] * 2 + [["a", "b"]] * 2 + [["b"]] * 2
    rules = mine_rules(baskets_from_lists(lists), min_support=2, min_confidence=0.1).rules
    by = {(r.antecedent, r.consequent): r for r in rules.itertuples()}
    assert by[(("a",), ("c",))].confidence == pytest.approx(0.8)
    assert by[(("a", "b"), ("c",))].confidence == pytest.approx(0.5)
    assert by[(("a", "b"), ("c",))].redundant
    assert not by[(("a",), ("c",))].redundant


def test_constraints(groceries):
    target = "whole milk"
    only_rhs = mine_rules(
        groceries, min_support=0.005, min_confidence=0.3, consequent_only=[target]
    ).rules
    assert not only_rhs.antecedent.map(lambda a: target in a).any()
    excluded = mine_rules(groceries, min_support=0.005, min_confidence=0.3, exclude=[target])
    assert (
        not (excluded.rules.antecedent + excluded.rules.consequent).map(lambda s: target in s).any()
    )
    multi = mine_rules(groceries, min_support=0.005, min_confidence=0.3, max_consequent=2).rules
    assert multi.consequent.map(len).max() == 2


def test_sentences_export_and_drill_down(groceries):
    rules = mine_rules(groceries, min_support=0.005, min_confidence=0.5).rules
    first = rules.iloc[0]
    sentence = rule_sentences(rules, groceries.n_baskets, top_n=1)[0]
    assert f"Of {first.antecedent_count:,} baskets with" in sentence
    assert f"lift {first.lift:.1f}" in sentence and "do not have" in sentence
    export = rules_for_export(rules)
    assert export["rule"].iloc[0].endswith("→ " + first.consequent[0])
    drill = supporting_baskets(groceries, first.antecedent, first.consequent, sample=3)
    assert drill["with_both"] == first["count"]
    assert drill["without_consequent"] == first.deployability
    assert len(drill["sample"]) == 3
    for items in drill["sample"]["items"]:
        assert all(i in items for i in first.antecedent + first.consequent)


def test_support_count_rules_and_bad_thresholds(groceries):
    assert min_count_for(0.005, 9835) == 50
    assert min_count_for(50, 9835) == 50
    for bad in (0, -0.1, 1.5, 20000, "1%"):
        with pytest.raises(CrmInputError):
            mine_rules(groceries, min_support=bad)
    with pytest.raises(CrmInputError, match="min_confidence"):
        mine_rules(groceries, min_confidence=1.2)
    with pytest.raises(CrmInputError, match="Unknown items"):
        mine_rules(groceries, exclude=["no such item"])


def test_zero_rules_say_what_would_give_some(groceries):
    result = mine_rules(groceries, min_support=0.005, min_confidence=0.95)
    assert result.rules.empty
    note = result.notes[-1]
    assert "most confident rule among them has" in note
    best = float(note.split("Set min_confidence to ")[1].split("%")[0]) / 100
    assert len(mine_rules(groceries, min_support=0.005, min_confidence=best).rules) >= 1
    none = mine_rules(groceries, min_support=0.2, min_confidence=0.5)
    assert "most common pair is in 736 baskets" in none.notes[-1]  # whole milk + other veg.


def test_degenerate_inputs():
    one = mine_rules(baskets_from_lists([["a", "b"]]), min_support=1, min_confidence=0.5)
    assert len(one.rules) == 2  # a→b and b→a, both at confidence 1
    same = mine_rules(baskets_from_lists([["a", "b"]] * 5), min_support=0.5, min_confidence=1.0)
    assert set(same.rules["lift"]) == {1.0}
    single = mine_rules(baskets_from_lists([["a"]] * 3), min_support=1)
    assert single.rules.empty and "ever appear in the same basket" in single.notes[-1]
    with pytest.raises(CrmInputError, match="no baskets"):
        baskets_from_lists([])


def test_explosion_is_refused_not_frozen(groceries):
    with pytest.raises(MiningLimitError, match="Raise min_support"):
        mine_rules(groceries, min_support=1, min_confidence=0.1, max_itemsets=50_000)


def test_wide_flag_table():
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "savings": ["T", "T", "F", "T"],
            "loan": ["yes", "no", "no", "yes"],
            "card": [1, 1, 0, 1],
            "region": ["N", "S", "N", "S"],
        }
    )
    b = baskets_from_wide(frame, id_column="id")
    assert list(b.items) == ["savings", "loan", "card"]  # region is an attribute
    assert b.item_counts().to_dict() == {"savings": 3, "card": 3, "loan": 2}
    with pytest.raises(CrmInputError, match="must hold T/F"):
        baskets_from_wide(frame.assign(loan=["yes", "maybe", "no", "no"]), item_columns=["loan"])


@pytest.mark.parametrize(
    ("support", "confidence", "max_len"), [(0.005, 0.5, None), (0.001, 0.5, None), (0.002, 0.3, 3)]
)
def test_both_engines_return_identical_rules(groceries, support, confidence, max_len):
    options = dict(min_support=support, min_confidence=confidence, max_len=max_len)
    ours = mine_rules(groceries, **options).rules
    ref = mine_rules(groceries, engine="mlxtend", **options).rules
    key = ["antecedent", "consequent"]
    pd.testing.assert_frame_equal(
        ours.sort_values(key).reset_index(drop=True), ref.sort_values(key).reset_index(drop=True)
    )
    with pytest.raises(CrmInputError, match="engine must be one of"):
        mine_rules(groceries, engine="spark-ish")
