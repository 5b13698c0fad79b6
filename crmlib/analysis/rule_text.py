"""Rules for people: sentences with counts, CSV export, and the baskets behind a rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.analysis.baskets import Baskets
from crmlib.analysis.mining import Itemsets, closed_maximal_flags, frequent_itemsets_codes
from crmlib.analysis.mining import min_count_for as _min_count_for
from crmlib.errors import CrmInputError
from crmlib.privacy import pseudonymise


def rule_label(antecedent: tuple, consequent: tuple) -> str:
    """``"A, B → C"``."""
    return f"{', '.join(map(str, antecedent))} → {', '.join(map(str, consequent))}"


def _join(items: tuple) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def rule_sentences(
    rules: pd.DataFrame, n_baskets: int, *, unit: str = "baskets", top_n: int = 10
) -> list[str]:
    """The first ``top_n`` rules as plain sentences with counts.

    Example: "Of 1,245 baskets with A, 62 % also have B, against 12 % of all baskets
    (lift 5.2); 473 baskets with A do not have B yet."

    Parameters
    ----------
    rules : pandas.DataFrame
        Rules as produced by :func:`crmlib.analysis.mine_rules` (any order; the given order is
        kept).
    n_baskets : int
        Baskets in all.
    unit : str
        What a basket is, e.g. "customers" when baskets are customers.
    """
    lines = []
    for r in rules.head(top_n).itertuples(index=False):
        lines.append(
            f"Of {r.antecedent_count:,} {unit} with {_join(r.antecedent)}, "
            f"{r.confidence:.0%} also have {_join(r.consequent)}, against "
            f"{r.consequent_support:.0%} of all {n_baskets:,} {unit} (lift {r.lift:.1f}); "
            f"{r.deployability:,} {unit} with {_join(r.antecedent)} do not have "
            f"{_join(r.consequent)} yet."
        )
    return lines


def rules_for_export(rules: pd.DataFrame) -> pd.DataFrame:
    """Rules with items joined as text (``" | "``-separated), ready for CSV."""
    out = rules.copy()
    out.insert(
        0, "rule", [rule_label(a, c) for a, c in zip(out.antecedent, out.consequent, strict=True)]
    )
    out["antecedent"] = out["antecedent"].map(" | ".join)
    out["consequent"] = out["consequent"].map(" | ".join)
    return out


def export_rules_csv(rules: pd.DataFrame, path: str | Path) -> Path:
    """Write every rule with every measure to CSV (UTF-8); returns the path."""
    path = Path(path)
    rules_for_export(rules).to_csv(path, index=False, encoding="utf-8")
    return path


def supporting_baskets(
    baskets: Baskets, antecedent: tuple, consequent: tuple, *, sample: int = 10, seed: int = 0
) -> dict:
    """Drill-down: the baskets and customers behind a rule.

    Returns
    -------
    dict
        ``with_antecedent``, ``with_both``, ``without_consequent`` (basket counts),
        ``customers_both`` and ``customers_without`` (distinct customers, when known), and
        ``sample``: a DataFrame of up to ``sample`` supporting baskets (basket id, customer
        pseudonym, the basket's items as text).
    """
    has_a = baskets.holding(antecedent)
    has_b = baskets.holding(consequent)
    both = np.flatnonzero(has_a & has_b)
    out = {
        "with_antecedent": int(has_a.sum()),
        "with_both": len(both),
        "without_consequent": int((has_a & ~has_b).sum()),
    }
    if baskets.customers is not None:
        cust = baskets.customers
        out["customers_both"] = int(cust.iloc[both].nunique())
        out["customers_without"] = int(cust.iloc[np.flatnonzero(has_a & ~has_b)].nunique())
    rng = np.random.default_rng(seed)
    pick = (
        np.sort(rng.choice(both, size=min(sample, len(both)), replace=False)) if len(both) else both
    )
    rows = baskets.matrix[pick]
    items = [
        ", ".join(baskets.items[rows.indices[rows.indptr[i] : rows.indptr[i + 1]]])
        for i in range(len(pick))
    ]
    frame = pd.DataFrame({"basket": baskets.basket_ids[pick].astype(str), "items": items})
    if baskets.customers is not None:
        frame.insert(1, "customer", pseudonymise(baskets.customers.iloc[pick]).to_numpy())
    out["sample"] = frame
    return out


def frequent_itemsets(
    baskets: Baskets,
    *,
    min_support: float | int = 0.01,
    max_len: int | None = None,
    kind: str = "all",
) -> pd.DataFrame:
    """Frequent, closed or maximal itemsets.

    Returns
    -------
    pandas.DataFrame
        ``itemset`` (tuple of labels), ``length``, ``count``, ``support``, ``closed``,
        ``maximal``; rows of the requested kind, by count descending.
    """
    if kind not in ("all", "closed", "maximal"):
        raise CrmInputError(f"kind must be 'all', 'closed' or 'maximal'; got {kind!r}.")
    min_count = _min_count_for(min_support, baskets.n_baskets)
    found: Itemsets = frequent_itemsets_codes(baskets.matrix, min_count, max_len=max_len)
    closed, maximal = closed_maximal_flags(found)
    labels = baskets.items.to_numpy()
    table = pd.DataFrame(
        {
            "itemset": [tuple(labels[list(s)]) for s in found.itemsets],
            "length": [len(s) for s in found.itemsets],
            "count": found.counts,
            "support": found.counts / baskets.n_baskets,
            "closed": closed,
            "maximal": maximal,
        }
    )
    if kind != "all":
        table = table[table[kind]]
    return table.sort_values(["count", "length"], ascending=[False, True]).reset_index(drop=True)
