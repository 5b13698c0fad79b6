"""One Altair theme for every chart of the workbench, and the offline renderers."""

from __future__ import annotations

import json

import altair as alt

THEME_NAME = "crm"
PALETTE = ["#1f5f8b", "#e07b39", "#3a9d5d", "#b8483f", "#7a5aa6", "#8c6d46", "#c05d9e", "#6b6b6b"]


@alt.theme.register(THEME_NAME, enable=False)
def crm_theme() -> alt.theme.ThemeConfig:
    """Quiet grid, readable labels, the project palette."""
    return {
        "config": {
            "view": {"continuousWidth": 560, "continuousHeight": 260, "stroke": None},
            "font": "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif",
            "title": {"fontSize": 15, "anchor": "start", "fontWeight": 600},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "gridColor": "#ececec"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12},
            "range": {"category": PALETTE},
            "bar": {"color": PALETTE[0]},
            "line": {"color": PALETTE[0]},
        }
    }


def use_theme() -> None:
    """Enable the project theme (call from a notebook or app, never on import)."""
    alt.theme.enable(THEME_NAME)


class ScriptSafeJSON(json.JSONEncoder):
    """JSON with ``<``, ``>`` and ``&`` written as ``\\u`` escapes.

    The static renderer places the chart spec, data included, inside a ``<script>`` element;
    a product called ``</script><img onerror=...>`` would otherwise end that element and run
    as HTML. The escapes decode to the same text in JavaScript.
    """

    @staticmethod
    def _safe(text: str) -> str:
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    def iterencode(self, o, _one_shot=False):
        for chunk in super().iterencode(o, _one_shot):
            yield self._safe(chunk)


def use_static_renderer() -> None:
    """Render charts as HTML with Vega's JavaScript inline: draws offline in a saved report."""
    use_theme()
    alt.renderers.enable(
        "html",
        template="inline",
        json_kwds={"cls": ScriptSafeJSON},
        embed_options={"actions": False},  # the menu links to external editors
    )
    alt.data_transformers.disable_max_rows()
