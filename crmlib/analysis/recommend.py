"""Next-item recommendations from association rules (offline evaluation: evaluation.py).

A rule ``A → B`` fires for a basket that holds every item of ``A``; it then proposes the
items of ``B`` the basket does not hold yet. Matching is one sparse product per block of
baskets: ``held (baskets × items) @ antecedents.T (items × rules)`` counts, per basket and
rule, the antecedent items held, and a rule fires where that count equals its antecedent
length. Python loops only over blocks of a few thousand baskets, never per basket or rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
from scipy import sparse

from crmlib import config as C
from crmlib.analysis.baskets import Baskets, baskets_from_lists, baskets_from_wide
from crmlib.analysis.rule_text import rule_label
from crmlib.analysis.rules import RuleSet
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.privacy import pseudonymise

BLOCK_ROWS = 4096  # baskets matched per sparse product (bounds memory)
RULE_COLUMNS = ("antecedent", "consequent", "confidence", "support")


@dataclass(frozen=True)
class _CodedRules:
    """Rules as sparse indicator rows over an item vocabulary, with a best-first rank."""

    antecedents: sparse.csr_matrix  # (n_rules, n_vocab) int32
    lengths: np.ndarray  # antecedent size per rule
    consequents: sparse.csr_matrix  # (n_rules, n_vocab) int32
    rank: np.ndarray  # dense rank, 0 = best (criterion, then confidence, then support)
    label_order: np.ndarray  # position of each vocabulary item in label order


def rules_table(
    rules: pd.DataFrame | RuleSet, criterion: str, allow_empty: bool = False
) -> pd.DataFrame:
    """The rules table of ``rules`` (a RuleSet or its ``.rules``), checked for ``criterion``."""
    table = rules.rules if isinstance(rules, RuleSet) else rules
    if not isinstance(table, pd.DataFrame):
        raise CrmInputError(f"rules must be a RuleSet or its .rules table; got {type(rules)}.")
    missing = [c for c in RULE_COLUMNS if c not in table.columns]
    if missing:
        raise CrmInputError(
            f"The rules table has no column {missing}; pass mine_rules(...).rules "
            f"(found {list(table.columns)})."
        )
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    if criterion not in numeric or pd.api.types.is_bool_dtype(table[criterion]):
        raise CrmInputError(
            f"criterion must be a numeric rule measure such as 'confidence', 'lift' or "
            f"'deployability'; got {criterion!r}. Measures in this table: {numeric}."
        )
    if table.empty and not allow_empty:
        raise EmptyResultError(
            "There are no rules to recommend from: lower min_support or min_confidence."
        )
    return table


def _indicator(groups: pd.Series, vocab: pd.Index) -> sparse.csr_matrix:
    sizes = groups.map(len).to_numpy(dtype=np.int64)
    cols = vocab.get_indexer(list(chain.from_iterable(groups)))
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    data = np.ones(len(cols), dtype=np.int32)
    return sparse.csr_matrix((data, cols, indptr), shape=(len(groups), len(vocab)))


def _dense_rank(keys: list[np.ndarray]) -> np.ndarray:
    """Rank rows by the keys (first key first, all descending); equal rows share a rank."""
    cleaned = [np.nan_to_num(np.asarray(k, dtype=np.float64), nan=-np.inf) for k in keys]
    order = np.lexsort([-k for k in reversed(cleaned)])
    stacked = np.stack([k[order] for k in cleaned])
    new = np.concatenate([[False], (stacked[:, 1:] != stacked[:, :-1]).any(axis=0)])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.cumsum(new)
    return rank


def _code_rules(table: pd.DataFrame, items: pd.Index, criterion: str):
    """Code rules over ``items`` extended by the rule labels the baskets never hold."""
    named = chain(
        chain.from_iterable(table["antecedent"]), chain.from_iterable(table["consequent"])
    )
    labels = pd.Index(pd.unique(pd.Series(list(named), dtype=object)))
    vocab = items.append(labels.difference(items.astype(str), sort=False))
    ante = _indicator(table["antecedent"], vocab)
    coded = _CodedRules(
        antecedents=ante,
        lengths=np.diff(ante.indptr),
        consequents=_indicator(table["consequent"], vocab),
        rank=_dense_rank([table[criterion], table["confidence"], table["support"]]),
        label_order=np.argsort(np.argsort(vocab.astype(str), kind="stable"), kind="stable"),
    )
    return coded, vocab


def _widen(matrix: sparse.csr_matrix, width: int) -> sparse.csr_matrix:
    held = matrix.tocsr()
    return sparse.csr_matrix((held.data, held.indices, held.indptr), shape=(held.shape[0], width))


def _top_n(
    held: sparse.csr_matrix, coded: _CodedRules, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.Index]:
    """Best ``n`` new items per row of ``held`` (bool, rows × vocab).

    Returns ``(rows, items, rules, positions)``: int arrays sorted by row, then position.
    """
    width = held.shape[1]
    ante_t = coded.antecedents.T.tocsc()
    cons = coded.consequents
    single = bool((np.diff(cons.indptr) == 1).all())
    ranks = int(coded.rank.max(initial=0)) + 1
    step = max(1, min(BLOCK_ROWS, 2**62 // (ranks * width)))  # sort keys fit in int64
    parts = []
    for start in range(0, held.shape[0], step):
        block = held[start : start + step].astype(np.int32)
        matched = (block @ ante_t).tocoo()
        fired = matched.data == coded.lengths[matched.col]  # every antecedent item held
        rows, rules = matched.row[fired].astype(np.int64), matched.col[fired].astype(np.int64)
        if single:
            items = cons.indices[cons.indptr[rules]].astype(np.int64)
        else:  # one row per consequent item of each fired rule
            sizes = np.diff(cons.indptr)[rules]
            offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            items = cons.indices[np.repeat(cons.indptr[rules], sizes) + offsets].astype(np.int64)
            rows, rules = np.repeat(rows, sizes), np.repeat(rules, sizes)
        held_rows, held_cols = block.nonzero()
        keys = rows * width + items
        new = ~np.isin(keys, held_rows.astype(np.int64) * width + held_cols)
        rows, items, rules, keys = rows[new], items[new], rules[new], keys[new]
        order = np.argsort(
            (rows * ranks + coded.rank[rules]) * width + coded.label_order[items], kind="stable"
        )
        rows, items, rules, keys = rows[order], items[order], rules[order], keys[order]
        _, first = np.unique(keys, return_index=True)  # best rule per (row, item)
        first.sort()
        rows, items, rules = rows[first], items[first], rules[first]
        positions = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
        top = positions < n
        parts.append((rows[top] + start, items[top], rules[top], positions[top]))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))


def best_new_items(
    table: pd.DataFrame, held: sparse.spmatrix, items: pd.Index, criterion: str, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.Index]:
    """Best ``n`` new items per row of ``held`` (rows × ``items``) from the rules in ``table``.

    ``table`` is a checked rules table (:func:`rules_table`). Returns ``(rows, codes, rules,
    positions, vocab)``: int arrays sorted by row, then position (codes index ``vocab``, which is
    ``items`` extended by rule labels no row holds; rules index ``table``), and ``vocab``.
    """
    coded, vocab = _code_rules(table, items, criterion)
    rows, codes, rules, positions = _top_n(_widen(held, len(vocab)), coded, n)
    return rows, codes, rules, positions, vocab


def _as_baskets(holdings) -> Baskets:
    if isinstance(holdings, Baskets):
        return holdings
    if isinstance(holdings, pd.DataFrame):
        return baskets_from_wide(holdings)
    if isinstance(holdings, Mapping):
        return baskets_from_lists([list(v) for v in holdings.values()], ids=list(holdings))
    if isinstance(holdings, Sequence) and not isinstance(holdings, str):
        return baskets_from_lists([list(v) for v in holdings])
    raise CrmInputError(
        "Holdings must be Baskets, a wide flag table, a list of item lists or a mapping "
        f"id → items; got {type(holdings).__name__}."
    )


def check_n(n: int) -> None:
    """Reject ``n`` (items per basket) unless it is a whole number of at least 1."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise CrmInputError(f"n (items per basket) must be a whole number ≥ 1; got {n!r}.")


def recommend(
    rules: pd.DataFrame | RuleSet,
    holdings: Baskets | pd.DataFrame | Sequence[Sequence[str]] | Mapping,
    *,
    n: int = 5,
    criterion: str = "confidence",
    customer_ids: bool | None = None,
) -> pd.DataFrame:
    """Top-``n`` new items per basket or customer from the rules its holdings trigger.

    Parameters
    ----------
    rules : pandas.DataFrame or RuleSet
        Rules from :func:`~crmlib.analysis.rules.mine_rules` (``antecedent`` and ``consequent``
        tuples of item labels and the rule measures).
    holdings : Baskets, pandas.DataFrame, list of item lists or mapping id → items
        What each basket or customer holds; a DataFrame is read as a wide flag table.
    n : int
        Items recommended per basket at most.
    criterion : str
        Rule measure that scores an item: ``"confidence"``, ``"lift"``, ``"deployability"`` or
        any numeric column of the rules. An item's score is the best over the rules that
        propose it; ties go to the higher confidence, then support, then the item label.
    customer_ids : bool, optional
        Whether the basket ids are customer ids (then they are pseudonymised). Default: when
        the baskets' ``customers`` equal their ids.

    Returns
    -------
    pandas.DataFrame
        One row per basket and recommended item, baskets in input order, at most ``n`` rows
        each: ``customer_id`` (pseudonymised) when baskets are customers, else ``basket_id``
        (plus a pseudonymised ``customer_id`` when customers are known); ``rank`` (1 = best),
        ``item``, ``score``, ``confidence``, ``support`` and ``rule`` (the best rule's text).
        Baskets that trigger no rule have no rows.

    Examples
    --------
    >>> rules = mine_rules(baskets, min_confidence=0.2).rules  # doctest: +SKIP
    >>> recommend(rules, [["milk", "bread"]], n=3)  # doctest: +SKIP
    """
    check_n(n)
    table = rules_table(rules, criterion)
    baskets = _as_baskets(holdings)
    rows, items, picked, positions, vocab = best_new_items(
        table, baskets.matrix, baskets.items, criterion, n
    )
    best = table.iloc[picked]
    out = pd.DataFrame(
        {
            "rank": positions + 1,
            "item": vocab[items].astype(str),
            "score": best[criterion].to_numpy(dtype=np.float64),
            "confidence": best["confidence"].to_numpy(),
            "support": best["support"].to_numpy(),
            "rule": list(map(rule_label, best["antecedent"], best["consequent"])),
        }
    )
    customers = baskets.customers
    ids = pd.Series(baskets.basket_ids[rows], name="basket_id")
    if customer_ids is None:
        customer_ids = customers is not None and bool(
            (customers.astype(str).to_numpy() == baskets.basket_ids.astype(str).to_numpy()).all()
        )
    if customer_ids:
        out.insert(0, C.CUSTOMER_ID, pseudonymise(ids.rename(C.CUSTOMER_ID)).to_numpy())
        return out
    out.insert(0, "basket_id", ids.to_numpy())
    if customers is not None:
        who = pd.Series(customers.to_numpy()[rows], name=C.CUSTOMER_ID)
        out.insert(1, C.CUSTOMER_ID, pseudonymise(who).to_numpy())
    return out
