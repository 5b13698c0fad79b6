"""Analyses: pure functions from canonical tables to result tables (no charts, no widgets)."""

from crmlib.analysis.attributes import (
    attribute_baskets,
    attribute_rules,
    bin_numeric,
    profile_flag,
)
from crmlib.analysis.cooccurrence import (
    RuleGraph,
    cooccurrence_links,
    directed_links,
    item_nodes,
    rule_graph_layout,
    top_rules,
    web_layout,
)
from crmlib.analysis.crosssell import campaign_list, cross_sell_coverage, derive_flag
from crmlib.analysis.overview import (
    build_overview,
    country_split,
    filter_transactions,
    first_purchase,
    headline,
    monthly,
    new_vs_returning,
    top_products,
)
from crmlib.analysis.recommend import HitRate, evaluate_hit_rate, recommend
from crmlib.analysis.baskets import (
    Baskets,
    baskets_from_lists,
    baskets_from_transactions,
    baskets_from_wide,
    load_baskets,
    read_basket_lines,
)
from crmlib.analysis.rule_text import (
    export_rules_csv,
    frequent_itemsets,
    rule_label,
    rule_sentences,
    rules_for_export,
    supporting_baskets,
)
from crmlib.analysis.rules import RuleSet, mine_rules

__all__ = [
    "Baskets",
    "RuleSet",
    "baskets_from_lists",
    "baskets_from_transactions",
    "baskets_from_wide",
    "export_rules_csv",
    "frequent_itemsets",
    "load_baskets",
    "mine_rules",
    "read_basket_lines",
    "rule_label",
    "rule_sentences",
    "rules_for_export",
    "supporting_baskets",
    "HitRate",
    "RuleGraph",
    "attribute_baskets",
    "attribute_rules",
    "bin_numeric",
    "build_overview",
    "campaign_list",
    "cooccurrence_links",
    "country_split",
    "cross_sell_coverage",
    "derive_flag",
    "directed_links",
    "evaluate_hit_rate",
    "filter_transactions",
    "first_purchase",
    "headline",
    "item_nodes",
    "monthly",
    "new_vs_returning",
    "profile_flag",
    "recommend",
    "rule_graph_layout",
    "top_products",
    "top_rules",
    "web_layout",
]
