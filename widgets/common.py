"""Pieces shared by every app: offline charts and the user-facing error display."""

from __future__ import annotations

import os
import tempfile
from importlib.metadata import version

import altair as alt

from crmlib.charts import use_theme
from crmlib.config import cache_dir

_offline = False


def _bundle_path():
    key = f"altair-{alt.__version__}-vlc-{version('vl-convert-python')}"
    return cache_dir() / "js" / f"jupyterchart-{key}.js"


def enable_offline_charts() -> None:
    """Make ``alt.JupyterChart`` load Vega from the installed package, not from a CDN.

    Altair 6 ignores ``JupyterChart(..., offline=True)``; the class-level
    ``enable_offline()`` works but bundles 0.9 MB of JavaScript with vl-convert on every call
    (about 2.7 s per kernel). The bundle depends only on the Altair and vl-convert versions,
    so it is stored in the cache folder and reused by every later kernel (a few ms).
    """
    global _offline
    if _offline:
        return
    use_theme()
    path = _bundle_path()
    cls = alt.JupyterChart
    if path.is_file() and hasattr(cls, "_is_offline"):
        cls._esm = path.read_text(encoding="utf-8")
        cls._is_offline = True
    else:
        cls.enable_offline()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(cls._esm)
            os.replace(tmp, path)
        except OSError:
            pass  # no cache folder: each kernel bundles for itself
    _offline = True
