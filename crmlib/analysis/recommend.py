"""Next-item recommendations from association rules, and their offline evaluation.

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
from crmlib.analysis.baskets import (
    Baskets,
    baskets_from_lists,
    baskets_from_transactions,
    baskets_from_wide,
)
from crmlib.analysis.crosssell import _group
from crmlib.analysis.rule_text import rule_label
from crmlib.analysis.rules import RuleSet, mine_rules
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


def _rules_frame(
    rules: pd.DataFrame | RuleSet, criterion: str, allow_empty: bool = False
) -> pd.DataFrame:
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


def _top_n(held: sparse.csr_matrix, coded: _CodedRules, n: int) -> tuple[np.ndarray, ...]:
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


def _check_n(n: int) -> None:
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
    _check_n(n)
    table = _rules_frame(rules, criterion)
    baskets = _as_baskets(holdings)
    coded, vocab = _code_rules(table, baskets.items, criterion)
    rows, items, picked, positions = _top_n(_widen(baskets.matrix, len(vocab)), coded, n)
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


@dataclass(frozen=True)
class HitRate:
    """Offline hit rate at ``n`` of rule-based recommendations and of the popular baseline.

    ``cases`` are the test baskets with a hidden item and something left visible (or the
    customers with earlier orders who bought something new later). ``hits_rules``,
    ``hits_popular`` and ``hits_combined`` count the cases whose top ``n`` holds a hidden item:
    from the rules alone, from the ``n`` most popular training items not held, and from the
    rules topped up with popular items. ``covered`` counts cases where a rule fired; ``rules``
    is the number of rules mined on the ``train_baskets``; ``split`` says how data was split.
    """

    n: int
    cases: int
    hits_rules: int
    hits_popular: int
    hits_combined: int
    covered: int
    rules: int
    train_baskets: int
    split: str

    @property
    def hit_rate_rules(self) -> float:
        return self.hits_rules / self.cases

    @property
    def hit_rate_popular(self) -> float:
        return self.hits_popular / self.cases

    def table(self) -> pd.DataFrame:
        """Rows ``rules``, ``most popular``, ``rules + popular``: hits, cases, hit_rate."""
        hits = [self.hits_rules, self.hits_popular, self.hits_combined]
        return pd.DataFrame(
            {
                "method": ["rules", "most popular", "rules + popular"],
                "hits": hits,
                "cases": self.cases,
                "hit_rate": np.asarray(hits, dtype=np.float64) / self.cases,
            }
        )


def _hide(test: sparse.csr_matrix, hide: int, rng: np.random.Generator):
    """Hide ``hide`` random items of each row with more than ``hide`` items."""
    test = test[np.diff(test.indptr) > hide].tocsr()
    test.sort_indices()
    rows = np.repeat(np.arange(test.shape[0]), np.diff(test.indptr))
    order = np.lexsort((rng.random(test.nnz), rows))
    position = np.empty(test.nnz, dtype=np.int64)
    position[order] = np.arange(test.nnz) - test.indptr[rows[order]]
    hidden = sparse.csr_matrix(
        (position < hide, test.indices.copy(), test.indptr.copy()), shape=test.shape, dtype=bool
    )
    hidden.eliminate_zeros()
    visible = ((test.astype(np.int8) - hidden.astype(np.int8)) > 0).tocsr()
    return visible, hidden


def _cutoff(dates: pd.Series, holdout) -> pd.Timestamp:
    if isinstance(holdout, float) and 0 < holdout < 1:
        ordered = np.sort(dates.to_numpy())
        return pd.Timestamp(ordered[len(ordered) - max(1, round(holdout * len(ordered)))])
    if isinstance(holdout, pd.Timedelta):
        return dates.max() - holdout
    try:
        if isinstance(holdout, str | pd.Timestamp):
            return pd.Timestamp(holdout)
    except ValueError:
        pass
    raise CrmInputError(
        "holdout must be a share of the latest orders between 0 and 1 (0.2), a period "
        f"(pd.Timedelta(days=30)) or a cutoff date ('2011-11-09'); got {holdout!r}."
    )


def _split(data, holdout, basket: str, hide: int, item: str, seed: int):
    """Training matrix, visible and hidden test matrices, item labels and the split in words."""
    rng = np.random.default_rng(seed)
    if isinstance(data, Baskets):
        if basket != "order" or not isinstance(holdout, float) or not 0 < holdout < 1:
            raise CrmInputError(
                "Baskets carry no dates: evaluate them with basket='order' and holdout as a share "
                f"(e.g. 0.2), or pass the transactions; got basket={basket!r}, holdout={holdout!r}."
            )
        k = max(1, round(holdout * data.n_baskets))
        is_test = np.zeros(data.n_baskets, dtype=bool)
        is_test[rng.permutation(data.n_baskets)[:k]] = True
        where = f"{k:,} random baskets of {data.n_baskets:,} are the test set"
        visible, hidden = _hide(data.matrix[is_test], hide, rng)
        return data.matrix[~is_test], visible, hidden, data.items, where
    if basket not in ("order", "customer"):
        raise CrmInputError(f"basket must be 'order' or 'customer'; got {basket!r}.")
    if C.ORDER_DATE not in data.columns:
        raise CrmInputError(
            f"A time split needs the '{C.ORDER_DATE}' column (found {list(data.columns)}); "
            "for a random split pass baskets_from_transactions(data) instead."
        )
    orders = baskets_from_transactions(data, item=item)
    dates = data.groupby(C.ORDER_ID, observed=True)[C.ORDER_DATE].min()
    dates = dates.reindex(orders.basket_ids)
    cutoff = _cutoff(dates, holdout)
    is_test = (dates >= cutoff).to_numpy()
    if is_test.all() or not is_test.any():
        raise CrmInputError(
            f"The cutoff {cutoff:%Y-%m-%d} leaves no training or no test orders; the orders run "
            f"from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}."
        )
    where = f"orders from {cutoff:%Y-%m-%d %H:%M} on ({is_test.sum():,} of {len(dates):,})"
    if basket == "order":
        visible, hidden = _hide(orders.matrix[is_test], hide, rng)
        return orders.matrix[~is_test], visible, hidden, orders.items, where + " are the test set"
    if orders.customers is None:
        raise CrmInputError("basket='customer' needs a customer_id column in the transactions.")
    codes, uniques = pd.factorize(orders.customers)
    before = _group(orders.matrix, codes, len(uniques), ~is_test)
    after = _group(orders.matrix, codes, len(uniques), is_test)
    new = ((after.astype(np.int8) - before.astype(np.int8)) > 0).tocsr()
    history = np.diff(before.indptr) > 0
    cases = history & (np.diff(new.indptr) > 0)
    where += " hold the test purchases; a customer's earlier orders are the history"
    return before[history], before[cases], new[cases], orders.items, where


def _fill_popular(visible, taken, popular: np.ndarray, slots: np.ndarray) -> sparse.csr_matrix:
    """Per row, the first ``slots[row]`` items of ``popular`` neither visible nor taken."""
    rows, cols = [], []
    for start in range(0, visible.shape[0], BLOCK_ROWS):
        stop = start + BLOCK_ROWS
        used = visible[start:stop][:, popular].toarray() | taken[start:stop][:, popular].toarray()
        free = ~used
        chosen = free & (np.cumsum(free, axis=1) <= slots[start:stop, np.newaxis])
        r, c = np.nonzero(chosen)
        rows.append(r + start)
        cols.append(popular[c])
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=visible.shape)


def _hits(recommended: sparse.csr_matrix, hidden: sparse.csr_matrix) -> int:
    return int((np.asarray(recommended.multiply(hidden).sum(axis=1)).ravel() > 0).sum())


def evaluate_hit_rate(
    data: pd.DataFrame | Baskets,
    *,
    n: int = 5,
    holdout: float | str | pd.Timestamp | pd.Timedelta = 0.2,
    basket: str = "order",
    hide: int = 1,
    item: str = C.ITEM,
    min_support: float | int = 0.01,
    min_confidence: float = 0.1,
    min_lift: float = 0.0,
    max_len: int | None = None,
    criterion: str = "confidence",
    seed: int = 0,
) -> HitRate:
    """Hit rate at ``n`` of rule-based recommendations on held-out data, against popularity.

    Rules are mined on the training baskets. Each test basket hides ``hide`` random items and
    gets ``n`` recommendations from the items left; it is a hit when a hidden item is among
    them. The baseline recommends the ``n`` most frequent training items the basket does not
    hold.

    Parameters
    ----------
    data : pandas.DataFrame or Baskets
        Canonical transactions (order lines with ``order_id``, ``order_date``, ``item``, and
        ``customer_id`` for ``basket="customer"``), split by time; or Baskets, split at random.
    n : int
        Recommendations per test case.
    holdout : float, str, pandas.Timestamp or pandas.Timedelta
        Test set: a share of the latest orders (of random baskets for Baskets), a cutoff date
        (orders on or after it) or a final period (``pd.Timedelta(days=30)``).
    basket : {"order", "customer"}
        ``"order"``: hide ``hide`` random items of each test order (orders with no more items
        are skipped). ``"customer"``: the history is a customer's orders before the cutoff,
        the hidden items those first bought after it.
    item, min_support, min_confidence, min_lift, max_len, criterion
        Item column; mining thresholds (:func:`~crmlib.analysis.rules.mine_rules`); the
        measure ranking recommendations (:func:`recommend`).
    seed : int
        Seed of the random choices (hidden items, random split).

    Returns
    -------
    HitRate
        Hits and hit rates of the rules, the popular baseline and both combined.

    Examples
    --------
    >>> result = evaluate_hit_rate(data, holdout=pd.Timedelta(days=30))  # doctest: +SKIP
    >>> result.table()  # doctest: +SKIP
    """
    _check_n(n)
    if isinstance(hide, bool) or not isinstance(hide, int) or hide < 1:
        raise CrmInputError(f"hide must be a whole number of at least 1; got {hide!r}.")
    train, visible, hidden, items, where = _split(data, holdout, basket, hide, item, seed)
    if visible.shape[0] == 0:
        raise EmptyResultError(
            f"No test case: no test basket holds more than {hide} item(s). Hide fewer items "
            "or choose a longer test period."
        )
    train_baskets = Baskets(train.tocsr(), items, pd.RangeIndex(train.shape[0]))
    rules = mine_rules(
        train_baskets,
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_len=max_len,
    ).rules
    cases = visible.shape[0]
    coded, vocab = _code_rules(_rules_frame(rules, criterion, allow_empty=True), items, criterion)
    rows, cols, _, _ = _top_n(_widen(visible, len(vocab)), coded, n)
    recommended = sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), visible.shape)
    counts = np.asarray(train.sum(axis=0)).ravel()
    ranked = np.argsort(-counts, kind="stable")
    longest = int(np.diff(visible.indptr).max())
    popular = ranked[counts[ranked] > 0][: 2 * n + longest]
    got = np.diff(recommended.indptr)
    nothing = sparse.csr_matrix(visible.shape, dtype=bool)
    baseline = _fill_popular(visible, nothing, popular, np.full(cases, n))
    top_up = _fill_popular(visible, recommended, popular, n - got)
    return HitRate(
        n=n,
        cases=cases,
        hits_rules=_hits(recommended, hidden),
        hits_popular=_hits(baseline, hidden),
        hits_combined=_hits(recommended + top_up, hidden),
        covered=int((got > 0).sum()),
        rules=len(rules),
        train_baskets=train.shape[0],
        split=where,
    )
