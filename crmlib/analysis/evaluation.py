"""Offline evaluation of rule-based recommendations: hit rate at n against popularity.

Rules are mined on training baskets (a time split of transactions, or a random split of
baskets); test cases hide items and count a hit when a recommendation names one. Rules are
matched by :func:`crmlib.analysis.recommend.best_new_items`, as in ``recommend``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from crmlib import config as C
from crmlib.analysis.baskets import Baskets, baskets_from_transactions
from crmlib.analysis.crosssell import group_rows
from crmlib.analysis.recommend import BLOCK_ROWS, best_new_items, check_n, rules_table
from crmlib.analysis.rules import mine_rules
from crmlib.errors import CrmInputError, EmptyResultError


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
    before = group_rows(orders.matrix, codes, len(uniques), ~is_test)
    after = group_rows(orders.matrix, codes, len(uniques), is_test)
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
        measure ranking recommendations (:func:`~crmlib.analysis.recommend.recommend`).
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
    check_n(n)
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
    table = rules_table(rules, criterion, allow_empty=True)
    rows, cols, _, _, _ = best_new_items(table, visible, items, criterion, n)
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
