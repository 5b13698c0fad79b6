"""Charts: analysis tables in, Altair chart specs out (encoding only, no computation)."""

from crmlib.charts.html import cards, empty_state, error_box, notes
from crmlib.charts.overview import (
    country_chart,
    headline_cards,
    monthly_chart,
    new_returning_chart,
    top_products_chart,
)
from crmlib.charts.theme import use_static_renderer, use_theme

__all__ = [
    "cards",
    "country_chart",
    "empty_state",
    "error_box",
    "headline_cards",
    "monthly_chart",
    "new_returning_chart",
    "notes",
    "top_products_chart",
    "use_static_renderer",
    "use_theme",
]
