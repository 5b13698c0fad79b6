"""Association rules from another engine's itemset counts, with the local engine's measures.

Spark's FPGrowth (or any miner) gives frequent itemsets and their basket counts; every
measure of a rule ``A → B`` follows from ``n``, ``n_A``, ``n_B`` and ``n_AB``, so the rules
are built here from those counts with :func:`crmlib.analysis.rules.measures`, the same
redundancy flags and p-value correction, and come back as a :class:`RuleSet` the notebooks
and apps already know.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlib.analysis.rules import RuleSet, measures, rank_rules


def rules_from_counts(
    itemsets: Sequence[Sequence[str]],
    counts: Sequence[int],
    n_baskets: int,
    *,
    min_count: int,
    min_confidence: float = 0.5,
    min_lift: float = 0.0,
    min_len: int = 2,
    max_len: int | None = None,
    max_consequent: int = 1,
    correction: str = "holm",
    alpha: float = 0.05,
) -> RuleSet:
    """Rules from frequent itemsets with their counts.

    Parameters
    ----------
    itemsets : sequence of sequences of str, length m
        Every frequent itemset (all subsets of a listed itemset must be listed too, as any
        frequent-itemset miner returns them).
    counts : sequence of int, length m
        Baskets holding each itemset.
    n_baskets : int
        Baskets in all.
    min_count : int
        Itemsets under this count are ignored (so a miner's looser threshold cannot leak in).
    min_confidence, min_lift, min_len, max_len, max_consequent, correction, alpha
        As in :func:`crmlib.analysis.rules.mine_rules`; thresholds keep rules exactly at them.

    Returns
    -------
    RuleSet
        Rules sorted by lift, confidence and count (descending); items inside an antecedent
        or consequent in sorted label order, as the local engine orders them.
    """
    lookup: dict[tuple[str, ...], int] = {}
    for items, count in zip(itemsets, counts, strict=True):
        key = tuple(sorted(items))
        if int(count) >= min_count and (max_len is None or len(key) <= max_len):
            lookup[key] = int(count)
    ante, cons, n_ab, n_a, n_b = [], [], [], [], []
    for itemset, count in lookup.items():
        k = len(itemset)
        if k < max(2, min_len):
            continue
        for size in range(1, min(max_consequent, k - 1) + 1):
            for rhs in itertools.combinations(itemset, size):
                lhs = tuple(x for x in itemset if x not in rhs)
                if count < min_confidence * lookup[lhs] - 1e-9:
                    continue
                ante.append(lhs)
                cons.append(rhs)
                n_ab.append(count)
                n_a.append(lookup[lhs])
                n_b.append(lookup[rhs])
    table = measures(n_ab, n_a, n_b, n_baskets)
    keep = table["lift"].to_numpy() >= min_lift - 1e-12
    rules = pd.DataFrame(
        {
            "antecedent": pd.Series(ante, dtype=object),
            "consequent": pd.Series(cons, dtype=object),
            "antecedent_count": np.asarray(n_a, dtype=np.int64),
            "consequent_count": np.asarray(n_b, dtype=np.int64),
            "count": np.asarray(n_ab, dtype=np.int64),
            "length": np.asarray([len(a) + len(c) for a, c in zip(ante, cons, strict=True)],
                                 dtype=np.int64),
        }
    )  # fmt: skip
    rules = pd.concat([rules, table], axis=1)[keep].reset_index(drop=True)
    rules, funnel = rank_rules(
        rules, list(rules["antecedent"]), list(rules["consequent"]),
        correction=correction, alpha=alpha,
    )  # fmt: skip
    return RuleSet(
        rules=rules,
        n_baskets=n_baskets,
        min_count=min_count,
        min_support=min_count / n_baskets,
        min_confidence=min_confidence,
        min_lift=min_lift,
        itemsets=len(lookup),
        funnel=funnel,
    )
