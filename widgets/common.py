"""Pieces shared by every app: offline charts and the user-facing error display."""

from __future__ import annotations

import altair as alt

from crmlib.charts import use_theme

_offline = False


def enable_offline_charts() -> None:
    """Make ``alt.JupyterChart`` load Vega from the installed package, not from a CDN.

    Altair 6 ignores ``JupyterChart(..., offline=True)``; the class-level switch works. It
    builds a bundle once per kernel (about 3 s, hidden by Voila's preheated kernels).
    """
    global _offline
    if not _offline:
        alt.JupyterChart.enable_offline()
        use_theme()
        _offline = True
