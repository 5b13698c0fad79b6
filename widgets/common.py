"""Pieces shared by every app."""

from __future__ import annotations

from crmlib.notebook import enable_offline_charts, live_chart

__all__ = ["App", "enable_offline_charts", "live_chart"]


class App:
    """Base of the app classes: an app shows its ``widget`` when displayed in a notebook."""

    widget: object

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
