"""Record key results of a notebook run, and read them back from the executed notebook.

``record("customers", 4338)`` emits an output of the MIME type :data:`MIME_TYPE`, invisible in
JupyterLab, Voila and the HTML report but kept in the executed ``.ipynb``;
:func:`read_records` collects those outputs, so tests and schedulers can check a run's numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MIME_TYPE = "application/vnd.crm.record+json"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def record(name: str, value: Any) -> None:
    """Record one named, JSON-serialisable result of the running notebook.

    Parameters
    ----------
    name : str
        Key under which the value is read back.
    value : object
        Numbers, text, lists or dicts of them; numpy scalars and timestamps are converted.
    """
    from IPython.display import display

    payload = {"name": name, "value": _plain(value)}
    json.dumps(payload)  # fail here, in the notebook, when the value is not serialisable
    display({MIME_TYPE: payload}, raw=True)


def read_records(notebook: str | Path) -> dict[str, Any]:
    """Read every recorded value from an executed notebook.

    Parameters
    ----------
    notebook : str or Path
        An executed ``.ipynb`` file.

    Returns
    -------
    dict
        ``{name: value}``; a name recorded twice keeps the last value.
    """
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    found: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(MIME_TYPE)
            if payload:
                found[payload["name"]] = payload["value"]
    return found
