"""Pieces shared by every app."""

from crmlib.notebook import enable_offline_charts

__all__ = ["enable_offline_charts"]
