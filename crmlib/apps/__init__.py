"""Serve the analysis notebooks as Voila apps (kernel cap, busy page, static reports)."""

from crmlib.apps.server import build_app_config, serve

__all__ = ["build_app_config", "serve"]
