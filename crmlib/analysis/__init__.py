"""Analyses: pure functions from canonical tables to result tables (no charts, no widgets)."""

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

__all__ = [
    "build_overview",
    "country_split",
    "filter_transactions",
    "first_purchase",
    "headline",
    "monthly",
    "new_vs_returning",
    "top_products",
]
