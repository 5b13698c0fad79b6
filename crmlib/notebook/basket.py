"""Notebook helpers of the basket analysis: cached mining and the static report sections."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crmlib.analysis import (
    attribute_rules,
    cooccurrence_links,
    cross_sell_coverage,
    directed_links,
    item_nodes,
    mine_rules,
    profile_flag,
    recommend,
    rule_sentences,
    top_rules,
    web_layout,
)
from crmlib.analysis.baskets import Baskets
from crmlib.analysis.rules import RuleSet
from crmlib.analysis.who_buys import customer_profile
from crmlib.cache import cached, file_fingerprint, fingerprint
from crmlib.charts import (
    cards,
    cooccurrence_web,
    directed_web,
    empty_state,
    item_frequency_chart,
    notes,
    rules_explorer,
    rules_graph,
    rules_matrix,
)
from crmlib.io import resolve_source
from crmlib.notebook import show, show_table


def mine_cached(baskets: Baskets, source: str, load_options: dict, **options: Any) -> RuleSet:
    """:func:`crmlib.analysis.mine_rules`, stored on disk under the data file and parameters.

    App kernels and report runs with the same data and thresholds load the stored rules.
    """
    try:
        data_id = file_fingerprint(resolve_source(source))
    except Exception:  # a SQL source or similar: no stable identity, mine every time
        return mine_rules(baskets, **options)
    key = fingerprint("rules", data_id, load_options, options, baskets.n_baskets, baskets.n_items)
    return cached("rules", key, lambda: mine_rules(baskets, **options))


def show_baskets(baskets: Baskets, result: RuleSet, unit: str) -> None:
    """Headline cards for the baskets and the support threshold actually used."""
    show(
        cards(
            {
                unit.capitalize(): f"{baskets.n_baskets:,}",
                "Items": f"{baskets.n_items:,}",
                "Min baskets per itemset": f"{result.min_count:,}",
                "Frequent itemsets": f"{result.itemsets:,}",
                "Rules": f"{len(result.rules):,}",
            }
        ),
        notes(
            [
                f"Support is counted as 'at least': {result.min_support:.3%} of "
                f"{baskets.n_baskets:,} {unit} means an itemset needs {result.min_count:,} "
                f"{unit} or more.",
                result.funnel_text()
                + " (redundant: a shorter rule with the same consequent is at least as "
                "confident; significant: Fisher's exact test after the correction).",
                *result.notes,
            ]
        ),
    )


def show_rules(result: RuleSet, baskets: Baskets, unit: str, top_n: int) -> None:
    """Top rules in words, the explorer with browser-side sliders, matrix and graph."""
    rules = result.rules
    if rules.empty:
        show(empty_state(" ".join(result.notes[-1:]) or "No rules at these thresholds."))
        return
    ranked = rules[~rules["redundant"]].sort_values("lift", ascending=False)
    show(notes(rule_sentences(ranked, baskets.n_baskets, unit=unit, top_n=top_n)))
    show(rules_explorer(ranked))
    show(rules_matrix(ranked), rules_graph(ranked))
    table = top_rules(ranked, top_n=top_n)[["rule", "count", "support", "confidence", "lift"]]
    show_table(table, formats={"support": "{:.2%}", "confidence": "{:.1%}", "lift": "{:.2f}"})


def show_webs(baskets: Baskets, target: str | None, *, top_items: int = 25) -> dict:
    """Co-occurrence web with a browser-side link slider, item frequency, directed web."""
    links = cooccurrence_links(baskets, top_items=top_items, measure="pct_smaller", top_n=80)
    names = sorted(set(links["item_a"]) | set(links["item_b"])) if len(links) else []
    nodes = item_nodes(baskets, names)
    show(item_frequency_chart(item_nodes(baskets), n_baskets=baskets.n_baskets))
    show(cooccurrence_web(nodes, links, web_layout(nodes, links), slider=True))
    if target:
        towards = directed_links(baskets, target, top_n=15, min_count=20)
        targets = item_nodes(baskets, [target, *towards["source"]])
        show(directed_web(towards, web_layout(targets, towards, center=target), targets))
    return {"links": len(links)}


def show_cross_sell(baskets: Baskets, products: list[str], target: float | None) -> pd.DataFrame:
    """Cross-sell coverage of each product pair, with the gap to the target share."""
    if len(products) < 2:
        show(empty_state("Cross-sell coverage needs at least two products."))
        return pd.DataFrame()
    table = cross_sell_coverage(baskets, products, targets=target or None)
    show_table(
        table,
        formats={"share": "{:.1%}", "base_share": "{:.1%}", "target_share": "{:.1%}",
                 "lift": "{:.2f}"},
    )  # fmt: skip
    return table


def show_recommendations(result: RuleSet, baskets: Baskets, n: int, rows: int = 15) -> None:
    """A sample of top-``n`` recommendations per basket (or why there are none)."""
    if result.rules.empty:
        show(empty_state("No rules, so no recommendations: lower min_support or min_confidence."))
        return
    show_table(recommend(result, baskets, n=n).head(rows), formats={"score": "{:.2f}"})


def show_who_buys(data: pd.DataFrame, item: str, item_column: str, top_n: int) -> dict:
    """Attribute rules towards "buys <item>" and a small decision tree, as readable rules."""
    profile = customer_profile(data, item, item_column=item_column)
    features = [c for c in profile.columns if c not in ("customer_id", "buys")]
    found = attribute_rules(
        profile[[*features, "buys"]], "buys", value="YES",
        min_support=0.02, min_confidence=0.2, min_lift=1.0,
    )  # fmt: skip
    share = (profile["buys"] == "YES").mean()
    show(notes([f"{(profile['buys'] == 'YES').sum():,} of {len(profile):,} customers "
                f"({share:.1%}) bought {item}."]))  # fmt: skip
    if found.rules.empty:
        show(empty_state(" ".join(found.notes[-1:]) or "No attribute rule at these thresholds."))
    else:
        show(notes(rule_sentences(found.rules, len(profile), unit="customers", top_n=top_n // 2)))
    tree = profile_flag(profile, profile["buys"] == "YES", features, label=f"buys {item}")
    show_table(tree[["rule"]])
    return {"buyers": int((profile["buys"] == "YES").sum()), "attribute_rules": len(found.rules)}
