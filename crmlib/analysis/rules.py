"""Association rules from frequent itemsets, with the interest measures analysts ask for.

Rule ``A → B`` is read "baskets with A also hold B". With ``n`` baskets, ``n_A``, ``n_B`` and
``n_AB`` baskets holding A, B and both, every measure below is computed from these four
counts, vectorised over all rules.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmlib.analysis.baskets import Baskets
from crmlib.analysis.mining import (
    DEFAULT_MAX_ITEMSETS,
    DEFAULT_TIME_LIMIT,
    Itemsets,
    MiningLimitError,
    estimate_blowup,
    frequent_itemsets_codes,
    hypergeom_upper_tail,
    min_count_for,
    mlxtend_itemsets_codes,
)
from crmlib.errors import CrmInputError

DEFAULT_MAX_RULES = 500_000
ENGINES = ("bitset", "mlxtend")
CORRECTIONS = ("bonferroni", "holm", "fdr_bh", "none")


def _check_fraction(name: str, value: float | None, upper: float = 1.0) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or not 0 <= value <= upper:
        raise CrmInputError(f"{name} must be between 0 and {upper}; got {value!r}.")


def measures(n_ab, n_a, n_b, n: int, deploy=None) -> pd.DataFrame:
    """Interest measures of rules from basket counts.

    Parameters
    ----------
    n_ab, n_a, n_b : array-like of int, length n_rules
        Baskets holding antecedent and consequent, the antecedent, the consequent.
    n : int
        Baskets in all.

    Returns
    -------
    pandas.DataFrame
        One row per rule: ``support``, ``confidence``, ``coverage``, ``consequent_support``,
        ``lift``, ``leverage``, ``conviction`` (capped at 1e9 where confidence is 1, never
        inf), ``added_value``, ``certainty``, ``zhang``, ``jaccard``, ``kulczynski``,
        ``cosine``, ``odds_ratio`` (Haldane-corrected when a cell is 0), ``chi_square``,
        ``fisher_p`` (one-sided, positive association) and ``deployability`` (baskets with
        the antecedent but not the consequent).
    """
    n_ab, n_a, n_b = (np.asarray(v, dtype=np.float64) for v in (n_ab, n_a, n_b))
    s_ab, s_a, s_b = n_ab / n, n_a / n, n_b / n
    conf = n_ab / n_a
    lift = conf / s_b
    leverage = s_ab - s_a * s_b
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.where(conf < 1, (1 - s_b) / (1 - conf), 1e9)
        certainty = np.where(
            conf >= s_b, (conf - s_b) / np.where(s_b < 1, 1 - s_b, 1), (conf - s_b) / s_b
        )
        zhang_den = np.maximum(s_ab * (1 - s_a), s_a * (s_b - s_ab))
        zhang = np.where(zhang_den > 0, leverage / zhang_den, 0.0)
    n_a_not_b = n_a - n_ab
    n_not_a_b = n_b - n_ab
    n_neither = n - n_a - n_b + n_ab
    cells = np.stack([n_ab, n_a_not_b, n_not_a_b, n_neither])
    corrected = np.where((cells == 0).any(axis=0), cells + 0.5, cells)
    odds = (corrected[0] * corrected[3]) / (corrected[1] * corrected[2])
    expected = np.stack([n_a * n_b, n_a * (n - n_b), (n - n_a) * n_b, (n - n_a) * (n - n_b)]) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi = np.where(expected > 0, (cells - expected) ** 2 / expected, 0.0).sum(axis=0)
    fisher = hypergeom_upper_tail(n_ab, n_a, n_b, n)
    return pd.DataFrame(
        {
            "support": s_ab,
            "confidence": conf,
            "coverage": s_a,
            "consequent_support": s_b,
            "lift": lift,
            "leverage": leverage,
            "conviction": conviction,
            "added_value": conf - s_b,
            "certainty": certainty,
            "zhang": zhang,
            "jaccard": n_ab / (n_a + n_b - n_ab),
            "kulczynski": 0.5 * (n_ab / n_a + n_ab / n_b),
            "cosine": n_ab / np.sqrt(n_a * n_b),
            "odds_ratio": odds,
            "chi_square": chi,
            "fisher_p": np.clip(fisher, 0.0, 1.0),
            "deployability": (n_a_not_b if deploy is None else deploy).astype(np.int64),
        }
    )


def adjust_p(p: np.ndarray, method: str = "holm") -> np.ndarray:
    """Multiple-testing correction of p-values: bonferroni, holm, fdr_bh (Benjamini–Hochberg)."""
    if method not in CORRECTIONS:
        raise CrmInputError(f"correction must be one of {CORRECTIONS}; got {method!r}.")
    p = np.asarray(p, dtype=np.float64)
    m = len(p)
    if m == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adj = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:
        adj = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


@dataclass
class RuleSet:
    """Mined rules and what it took to mine them.

    Attributes
    ----------
    rules : pandas.DataFrame
        One row per rule: ``antecedent`` and ``consequent`` (tuples of item labels),
        ``antecedent_count``, ``consequent_count``, ``count``, ``length``, the measures of
        :func:`measures`, ``redundant``, ``p_adjusted``, ``significant``.
    n_baskets, min_count : int
    min_support, min_confidence, min_lift : float
    itemsets : int
        Frequent itemsets found.
    notes : list of str
        Warnings for the reader (a very low support, why there are no rules and what
        threshold would give some).
    funnel : dict
        ``mined``, ``non_redundant``, ``significant`` rule counts.
    seconds : dict
        Time per step.
    """

    rules: pd.DataFrame
    n_baskets: int
    min_count: int
    min_support: float
    min_confidence: float
    min_lift: float
    itemsets: int
    funnel: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def funnel_text(self) -> str:
        f = self.funnel
        return (
            f"{f['mined']:,} rules mined → {f['non_redundant']:,} non-redundant → "
            f"{f['significant']:,} significant"
        )

    def filter(
        self,
        *,
        min_support: float = 0.0,
        min_confidence: float = 0.0,
        min_lift: float = 0.0,
        min_len: int = 2,
        max_len: int | None = None,
        antecedent_has: Sequence[str] = (),
        consequent_has: Sequence[str] = (),
        exclude: Sequence[str] = (),
        non_redundant: bool = False,
        significant: bool = False,
    ) -> pd.DataFrame:
        """Rules passing stricter thresholds (no re-mining): a view of :attr:`rules`."""
        r = self.rules
        mask = (
            (r["support"] >= min_support - 1e-12)
            & (r["confidence"] >= min_confidence - 1e-12)
            & (r["lift"] >= min_lift - 1e-12)
            & (r["length"] >= min_len)
        )
        if max_len:
            mask &= r["length"] <= max_len
        for col, wanted in (("antecedent", antecedent_has), ("consequent", consequent_has)):
            if wanted:
                want = set(wanted)
                mask &= r[col].map(lambda s, w=want: not w.isdisjoint(s)).astype(bool)
        if exclude:
            bad = set(exclude)
            mask &= (r["antecedent"] + r["consequent"]).map(bad.isdisjoint).astype(bool)
        if non_redundant:
            mask &= ~r["redundant"]
        if significant:
            mask &= r["significant"]
        return r[mask]


def _redundant(antecedents: list[tuple], consequents: list[tuple], conf: np.ndarray) -> np.ndarray:
    """A rule is redundant when a rule with a shorter antecedent (a proper non-empty subset)
    and the same consequent is at least as confident."""
    best: dict[tuple, float] = {}
    order = np.argsort([len(a) for a in antecedents], kind="stable")
    flags = np.zeros(len(conf), dtype=bool)
    for i in order:
        a, c = antecedents[i], consequents[i]
        general = -1.0
        if len(a) > 1:
            for sub in itertools.combinations(a, len(a) - 1):
                general = max(general, best.get((sub, c), -1.0))
        flags[i] = general >= conf[i] - 1e-12
        best[(a, c)] = max(conf[i], general)
    return flags


def rank_rules(
    rules: pd.DataFrame,
    antecedents: Sequence,
    consequents: Sequence,
    *,
    correction: str = "holm",
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Flag redundant rules, adjust the Fisher p-values, sort by lift; count each stage.

    Parameters
    ----------
    rules : pandas.DataFrame, shape (rules, >= 3)
        Needs ``confidence``, ``fisher_p``, ``lift`` and ``count``; changed in place.
    antecedents, consequents : sequences of hashable tuples, length rules
        The sides of each rule, in the row order of ``rules`` (item codes or names).
    correction, alpha : str, float
        Multiple-testing correction (:func:`adjust_p`) and significance level.

    Returns
    -------
    (pandas.DataFrame, dict)
        The rules with ``redundant``, ``p_adjusted`` and ``significant`` added, strongest
        first; and the funnel ``{"mined", "non_redundant", "significant"}``.
    """
    rules["redundant"] = _redundant(antecedents, consequents, rules["confidence"].to_numpy())
    rules["p_adjusted"] = adjust_p(rules["fisher_p"].to_numpy(), correction)
    rules["significant"] = rules["p_adjusted"] < alpha
    rules = rules.sort_values(["lift", "confidence", "count"], ascending=False, kind="stable")
    rules = rules.reset_index(drop=True)
    funnel = {
        "mined": len(rules),
        "non_redundant": int((~rules["redundant"]).sum()),
        "significant": int((~rules["redundant"] & rules["significant"]).sum()),
    }
    return rules, funnel


def mine_rules(
    baskets: Baskets,
    *,
    min_support: float | int = 0.01,
    min_confidence: float = 0.5,
    min_lift: float = 0.0,
    min_len: int = 2,
    max_len: int | None = None,
    max_consequent: int = 1,
    antecedent_only: Iterable[str] = (),
    consequent_only: Iterable[str] = (),
    exclude: Iterable[str] = (),
    correction: str = "holm",
    alpha: float = 0.05,
    max_rules: int = DEFAULT_MAX_RULES,
    max_itemsets: int = DEFAULT_MAX_ITEMSETS,
    time_limit: float = DEFAULT_TIME_LIMIT,
    engine: str = "bitset",
) -> RuleSet:
    """Mine association rules.

    Parameters
    ----------
    baskets : Baskets
    min_support : float or int
        Fraction of baskets (0 < s ≤ 1) or a basket count; an itemset needs at least
        ``ceil(s·n)`` baskets.
    min_confidence, min_lift : float
        Thresholds; rules exactly at a threshold are kept.
    min_len, max_len : int
        Items in a rule (antecedent + consequent).
    max_consequent : int
        1 for single-item consequents (the arules convention), more for multi-item ones.
    antecedent_only, consequent_only, exclude : iterable of str
        Items allowed only on the left, only on the right, or nowhere (dropped before mining).
    correction : {"holm", "bonferroni", "fdr_bh", "none"}
        Multiple-testing correction of the Fisher p-values; ``significant`` = adjusted p < alpha.
    max_rules, max_itemsets, time_limit
        Guardrails: past these, mining stops with a message saying what to change.
    engine : {"bitset", "mlxtend"}
        The default numpy bitset search, or mlxtend's fpgrowth as the reference engine (same
        itemsets and rules, several times slower; no itemset cap or time limit).

    Returns
    -------
    RuleSet
        Rules sorted by lift, then confidence (descending).
    """
    _check_fraction("min_confidence", min_confidence)
    _check_fraction("alpha", alpha)
    if min_lift < 0:
        raise CrmInputError(f"min_lift must be 0 or more; got {min_lift}.")
    if min_len < 2 or (max_len is not None and max_len < min_len):
        raise CrmInputError(
            f"Rule length must satisfy 2 ≤ min_len ≤ max_len; got {min_len}, {max_len}."
        )
    if max_consequent < 1:
        raise CrmInputError(f"max_consequent must be at least 1; got {max_consequent}.")
    n = baskets.n_baskets
    min_count = min_count_for(min_support, n)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    matrix = baskets.matrix
    banned = baskets.codes(exclude)
    lhs_only = set(baskets.codes(antecedent_only))
    rhs_only = set(baskets.codes(consequent_only))
    if banned:
        keep = np.ones(baskets.n_items, dtype=bool)
        keep[banned] = False
        matrix = matrix.multiply(keep[np.newaxis, :]).tocsr()
    notes = []
    if min_count <= 10:
        look = estimate_blowup(matrix, min_count)
        notes.append(
            f"Very low support: an itemset needs only {min_count} baskets. At this support "
            f"{look['items']:,} items and {look['pairs']:,} pairs are frequent; the longest "
            f"basket of frequent items has {look['largest_basket']} of them, so up to "
            f"{look['bound']:,} itemsets could follow. Mining stops past {max_itemsets:,} "
            f"itemsets or {time_limit:.0f} s."
        )
    if engine not in ENGINES:
        raise CrmInputError(f"engine must be one of {ENGINES}; got {engine!r}.")
    try:
        if engine == "mlxtend":
            found: Itemsets = mlxtend_itemsets_codes(matrix, min_count, max_len=max_len)
        else:
            found = frequent_itemsets_codes(
                matrix, min_count, max_len=max_len, max_itemsets=max_itemsets,
                time_limit=time_limit,
            )  # fmt: skip
    except MiningLimitError as exc:
        raise MiningLimitError(
            f"Mining stopped: {exc} at min_support {min_count:,} baskets of {n:,}. "
            "Raise min_support or set max_len (see the guardrail estimate)."
        ) from None
    timings["itemsets"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    lookup = found.lookup
    ante, cons, n_ab, n_a, n_b = [], [], [], [], []
    best_conf, multi = 0.0, 0
    for itemset, count in zip(found.itemsets, found.counts.tolist(), strict=True):
        k = len(itemset)
        if k < max(2, min_len):
            continue
        multi += 1
        for size in range(1, min(max_consequent, k - 1) + 1):
            for rhs in itertools.combinations(itemset, size):
                lhs = tuple(x for x in itemset if x not in rhs)
                if lhs_only and not lhs_only.isdisjoint(rhs):
                    continue
                if rhs_only and not rhs_only.isdisjoint(lhs):
                    continue
                count_a = lookup[lhs]
                best_conf = max(best_conf, count / count_a)
                if count < min_confidence * count_a - 1e-9:
                    continue
                ante.append(lhs)
                cons.append(rhs)
                n_ab.append(count)
                n_a.append(count_a)
                n_b.append(lookup[rhs])
                if len(ante) > max_rules:
                    raise MiningLimitError(
                        f"More than {max_rules:,} rules at support {min_count:,} baskets and "
                        f"confidence {min_confidence:.0%}: raise min_support or min_confidence."
                    )
    table = measures(n_ab, n_a, n_b, n)
    keep = table["lift"].to_numpy() >= min_lift - 1e-12
    labels = baskets.items.to_numpy()
    rules = pd.DataFrame(
        {
            "antecedent": [tuple(labels[list(a)]) for a in ante],
            "consequent": [tuple(labels[list(c)]) for c in cons],
            "antecedent_count": np.asarray(n_a, dtype=np.int64),
            "consequent_count": np.asarray(n_b, dtype=np.int64),
            "count": np.asarray(n_ab, dtype=np.int64),
            "length": np.asarray([len(a) + len(c) for a, c in zip(ante, cons, strict=True)]),
        }
    )
    rules = pd.concat([rules, table], axis=1)[keep].reset_index(drop=True)
    codes_a = [a for a, k in zip(ante, keep, strict=True) if k]
    codes_c = [c for c, k in zip(cons, keep, strict=True) if k]
    rules, funnel = rank_rules(rules, codes_a, codes_c, correction=correction, alpha=alpha)
    timings["rules"] = time.perf_counter() - t1
    if rules.empty:
        notes.append(_why_no_rules(matrix, min_count, n, multi, best_conf, min_confidence))
    return RuleSet(
        rules=rules,
        n_baskets=n,
        min_count=min_count,
        min_support=min_count / n,
        min_confidence=min_confidence,
        min_lift=min_lift,
        itemsets=len(found.itemsets),
        funnel=funnel,
        seconds=timings,
        notes=notes,
    )


def _why_no_rules(matrix, min_count: int, n: int, multi: int, best_conf: float, conf: float):
    """The sentence shown instead of an empty table: counts, and a threshold that gives rules."""
    if multi == 0:
        x = matrix.astype(np.int32)
        pairs = (x.T @ x).tolil()
        pairs.setdiag(0)
        top = int(pairs.tocsr().max()) if pairs.nnz else 0
        if top == 0:
            return "No rules: no two items ever appear in the same basket."
        return (
            f"No rules: no two items appear together in {min_count:,} or more of the {n:,} "
            f"baskets. The most common pair is in {top:,} baskets: set min_support to "
            f"{top / n:.4%} ({top:,} baskets) or lower to get rules."
        )
    best_conf = math.floor(best_conf * 1000) / 1000  # a threshold that keeps the best rule
    return (
        f"No rules: {multi:,} itemsets of two or more items reach the support of "
        f"{min_count:,} baskets, but the most confident rule among them has {best_conf:.1%} "
        f"confidence, under the {conf:.0%} asked. Set min_confidence to {best_conf:.1%} "
        "or lower (or lower min_support) to get rules."
    )
