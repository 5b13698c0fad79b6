"""Turn the tracked jupytext ``.py`` notebooks into ``.ipynb`` files for papermill and Voila.

Voila 0.5 cannot serve jupytext files and papermill cannot read them, so the percent-format
sources in ``notebooks/`` are converted into a generated folder (ignored by git) before any run.
A file is rewritten only when its source changed, so Voila's kernel pool is not disturbed.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

from crmlib.config import BUILD_DIR, NOTEBOOK_DIR

KERNEL_SPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook_sources(src: Path = NOTEBOOK_DIR) -> list[Path]:
    """List the analysis notebooks (percent-format ``.py`` files), sorted by name."""
    return sorted(p for p in Path(src).glob("*.py") if not p.name.startswith("_"))


def build_notebooks(src: Path = NOTEBOOK_DIR, dest: Path | None = None) -> list[Path]:
    """Convert every ``notebooks/*.py`` into ``dest/<name>.ipynb``.

    Parameters
    ----------
    src : Path
        Folder of jupytext percent-format notebooks.
    dest : Path, optional
        Output folder; default ``build/notebooks``.

    Returns
    -------
    list of Path
        The generated notebooks, one per source, in name order.
    """
    dest = Path(dest) if dest is not None else BUILD_DIR / "notebooks"
    dest.mkdir(parents=True, exist_ok=True)
    built = []
    for source in notebook_sources(src):
        nb = jupytext.read(source)
        nb.metadata["kernelspec"] = dict(KERNEL_SPEC)
        nb.metadata.pop("jupytext", None)
        target = dest / f"{source.stem}.ipynb"
        text = nbformat.writes(nb)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            tmp = target.with_suffix(".ipynb.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        built.append(target)
    return built
