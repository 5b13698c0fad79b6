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
from crmlib.analysis.clustering import (
    best_k,
    cluster_features,
    cluster_profiles,
    crosstab_segments_clusters,
    dendrogram_table,
    kmeans_segments,
    score_k,
    ward_clusters,
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
from crmlib.analysis.rfm import rfm_scores, rfm_table
from crmlib.analysis.rule_text import (
    export_rules_csv,
    frequent_itemsets,
    rule_label,
    rule_sentences,
    rules_for_export,
    supporting_baskets,
)
from crmlib.analysis.rules import RuleSet, mine_rules
from crmlib.analysis.segments import DEFAULT_SEGMENTS, assign_segments, segment_summary
from crmlib.analysis.value import (
    assign_quadrants,
    frequency_spend_quadrants,
    pareto_curve,
    value_tiers,
)

__all__ = [
    "DEFAULT_SEGMENTS",
    "Baskets",
    "HitRate",
    "RuleGraph",
    "RuleSet",
    "assign_quadrants",
    "assign_segments",
    "attribute_baskets",
    "attribute_rules",
    "baskets_from_lists",
    "baskets_from_transactions",
    "baskets_from_wide",
    "best_k",
    "bin_numeric",
    "build_overview",
    "campaign_list",
    "cluster_features",
    "cluster_profiles",
    "cooccurrence_links",
    "country_split",
    "cross_sell_coverage",
    "crosstab_segments_clusters",
    "dendrogram_table",
    "derive_flag",
    "directed_links",
    "evaluate_hit_rate",
    "export_rules_csv",
    "filter_transactions",
    "first_purchase",
    "frequency_spend_quadrants",
    "frequent_itemsets",
    "headline",
    "item_nodes",
    "kmeans_segments",
    "load_baskets",
    "mine_rules",
    "monthly",
    "new_vs_returning",
    "pareto_curve",
    "profile_flag",
    "read_basket_lines",
    "recommend",
    "rfm_scores",
    "rfm_table",
    "rule_graph_layout",
    "rule_label",
    "rule_sentences",
    "rules_for_export",
    "score_k",
    "segment_summary",
    "supporting_baskets",
    "top_products",
    "top_rules",
    "value_tiers",
    "ward_clusters",
    "web_layout",
]
