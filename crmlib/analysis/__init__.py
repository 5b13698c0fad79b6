"""Analyses: pure functions from canonical tables to result tables (no charts, no widgets)."""

from crmlib.analysis.attributes import (
    attribute_baskets,
    attribute_rules,
    bin_numeric,
)
from crmlib.analysis.baskets import (
    Baskets,
    baskets_from_lists,
    baskets_from_transactions,
    baskets_from_wide,
    load_baskets,
    read_basket_lines,
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
from crmlib.analysis.evaluation import HitRate, evaluate_hit_rate
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
from crmlib.analysis.profile import profile_flag
from crmlib.analysis.recommend import recommend
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
    "HitRate",
    "RuleGraph",
    "RuleSet",
    "attribute_baskets",
    "attribute_rules",
    "baskets_from_lists",
    "baskets_from_transactions",
    "baskets_from_wide",
    "bin_numeric",
    "build_overview",
    "campaign_list",
    "cooccurrence_links",
    "country_split",
    "cross_sell_coverage",
    "derive_flag",
    "directed_links",
    "evaluate_hit_rate",
    "export_rules_csv",
    "filter_transactions",
    "first_purchase",
    "frequent_itemsets",
    "headline",
    "item_nodes",
    "load_baskets",
    "mine_rules",
    "monthly",
    "new_vs_returning",
    "profile_flag",
    "read_basket_lines",
    "recommend",
    "rule_graph_layout",
    "rule_label",
    "rule_sentences",
    "rules_for_export",
    "supporting_baskets",
    "top_products",
    "top_rules",
    "web_layout",
]
