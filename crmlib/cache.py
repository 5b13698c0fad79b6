"""On-disk cache of heavy results, shared by report runs and app kernels.

A result is stored under a fingerprint of its inputs: the data files (path, size and
modification time), the parameters, and the library version. A viewer's kernel that asks for
the same data and parameters loads the stored result instead of recomputing it. Entries are
written atomically (temporary file, then rename), so concurrent kernels never read half a file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from crmlib import __version__
from crmlib.config import cache_dir

T = TypeVar("T")
CACHE_FORMAT = 1


def file_fingerprint(path: str | Path) -> dict[str, Any]:
    """Identity of a file's content as cheap metadata: resolved path, size, mtime (ns)."""
    p = Path(path).resolve()
    st = p.stat()
    return {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


@functools.cache
def code_version() -> str:
    """Digest of the library's own source, so a change to the code invalidates stored results."""
    import numpy
    import pandas

    # pickles of frames are not portable across pandas/numpy releases: key them in too
    versions = f"{__version__}|{pandas.__version__}|{numpy.__version__}"
    digest = hashlib.sha256(versions.encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(*parts: Any) -> str:
    """Stable hex digest of JSON-serialisable parts plus the library's code version."""
    payload = json.dumps([CACHE_FORMAT, code_version(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def cached(kind: str, key: str, compute: Callable[[], T], *, enabled: bool = True) -> T:
    """Return the stored result for ``(kind, key)``, computing and storing it when absent.

    Parameters
    ----------
    kind : str
        A short name of what is stored (a folder of the cache), e.g. ``"transactions"``.
    key : str
        The fingerprint of the inputs (see :func:`fingerprint`).
    compute : callable
        Produces the result when it is not stored; must return a picklable object.
    enabled : bool
        False computes without reading or writing the cache.
    """
    if not enabled or os.environ.get("CRM_CACHE", "1") == "0":
        return compute()
    folder = cache_dir() / kind
    target = folder / f"{key}.pkl"
    if target.exists():
        try:
            with target.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # any unreadable entry (damaged, written by other library versions)
            target.unlink(missing_ok=True)  # is recomputed below rather than failing the run
    result = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        pass  # a read-only or full disk only costs the speed-up
    return result
