"""Charts: analysis tables in, Altair chart specs out (encoding only, no computation)."""

from crmlib.charts.html import cards, download_link, empty_state, error_box, notes
from crmlib.charts.overview import (
    country_chart,
    headline_cards,
    monthly_chart,
    new_returning_chart,
    top_products_chart,
)
from crmlib.charts.rules import (
    RuleSliders,
    empty_chart,
    rule_sliders,
    rules_explorer,
    rules_graph,
    rules_matrix,
    rules_scatter,
    rules_table_chart,
)
from crmlib.charts.segments import (
    cluster_heatmap,
    dendrogram_chart,
    k_score_chart,
    pareto_chart,
    quadrant_chart,
    segment_bars,
)
from crmlib.charts.theme import use_static_renderer, use_theme
from crmlib.charts.webs import cooccurrence_web, directed_web, item_frequency_chart

__all__ = [
    "RuleSliders",
    "cards",
    "cluster_heatmap",
    "cooccurrence_web",
    "country_chart",
    "dendrogram_chart",
    "directed_web",
    "download_link",
    "empty_chart",
    "empty_state",
    "error_box",
    "headline_cards",
    "item_frequency_chart",
    "k_score_chart",
    "monthly_chart",
    "new_returning_chart",
    "notes",
    "pareto_chart",
    "quadrant_chart",
    "rule_sliders",
    "rules_explorer",
    "rules_graph",
    "rules_matrix",
    "rules_scatter",
    "rules_table_chart",
    "segment_bars",
    "top_products_chart",
    "use_static_renderer",
    "use_theme",
]
