"""Engine choice and settings, from notebook parameters first and the environment second."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from crmlib.errors import CrmInputError

ENGINE_NAMES = ("local", "duckdb", "spark")
DEFAULT_MASTER = "local[2]"
DEFAULT_DUCKDB_MEMORY = "1GB"
# Spark settings for a small local run; a cluster's own defaults win where the user sets them.
SPARK_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.memory": "1g",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
    # FPGrowth recurses once per item of a basket: Online Retail's longest orders overflowed
    # the default 1 MB thread stack (StackOverflowError in the executor)
    "spark.driver.extraJavaOptions": "-Xss32m",
    "spark.executor.extraJavaOptions": "-Xss32m",
}


class EngineError(CrmInputError):
    """An engine cannot run as configured: the message says what to fix (and that the local
    engine still works)."""


@dataclass(frozen=True)
class EngineConfig:
    """Which engine runs the heavy steps, and its settings.

    Attributes
    ----------
    name : {"local", "duckdb", "spark"}
    master : str
        Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://...``).
    conf : dict of str to str
        Spark settings (``spark.*`` keys), over :data:`SPARK_DEFAULTS`.
    duckdb_memory : str
        DuckDB memory limit such as ``1GB``.
    """

    name: str = "local"
    master: str = DEFAULT_MASTER
    conf: dict[str, str] = field(default_factory=dict)
    duckdb_memory: str = DEFAULT_DUCKDB_MEMORY

    @property
    def detail(self) -> str:
        """Where it runs, in words for the engine note."""
        if self.name == "spark":
            return f"master {self.master}"
        if self.name == "duckdb":
            return f"memory limit {self.duckdb_memory}"
        return "pandas in this process"

    def spark_conf(self) -> dict[str, str]:
        """:data:`SPARK_DEFAULTS` overridden by :attr:`conf`."""
        return {**SPARK_DEFAULTS, **self.conf}


def parse_conf(text: str | Mapping[str, object] | None, *, origin: str = "CRM_SPARK_CONF"):
    """Spark settings from a mapping, a JSON object or ``key=value;key=value`` text.

    Returns
    -------
    dict of str to str

    Raises
    ------
    EngineError
        A pair without ``=``, a key that is not a ``spark.*`` setting, or broken JSON.
    """
    if not text:
        return {}
    if isinstance(text, Mapping):
        pairs = {str(k): str(v) for k, v in text.items()}
    elif text.strip().startswith("{"):
        try:
            pairs = {str(k): str(v) for k, v in json.loads(text).items()}
        except (ValueError, AttributeError) as exc:
            raise EngineError(f"{origin} is not a valid JSON object ({exc}).") from None
    else:
        pairs = {}
        for part in filter(None, (p.strip() for p in text.replace("\n", ";").split(";"))):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise EngineError(
                    f"{origin}: {part!r} is not a key=value pair. Write settings like "
                    "spark.executor.memory=4g;spark.sql.shuffle.partitions=200."
                )
            pairs[key.strip()] = value.strip()
    bad = sorted(k for k in pairs if not k.startswith("spark."))
    if bad:
        raise EngineError(
            f"{origin}: {bad} are not Spark settings (their names start with 'spark.'). "
            "See https://spark.apache.org/docs/latest/configuration.html."
        )
    return pairs


def engine_config(
    engine: str | None = None,
    *,
    master: str | None = None,
    conf: str | Mapping[str, object] | None = None,
    duckdb_memory: str | None = None,
) -> EngineConfig:
    """Resolve the engine from parameters, falling back on the environment.

    Parameters
    ----------
    engine : str, optional
        ``local``, ``duckdb`` or ``spark``; empty or None reads ``CRM_ENGINE`` (default local).
    master, conf, duckdb_memory : optional
        Override ``CRM_SPARK_MASTER``, ``CRM_SPARK_CONF`` and ``CRM_DUCKDB_MEMORY``.

    Returns
    -------
    EngineConfig

    Raises
    ------
    EngineError
        Unknown engine name or malformed settings.

    Examples
    --------
    >>> engine_config("spark", master="local[2]").master
    'local[2]'
    """
    name = (engine or os.environ.get("CRM_ENGINE", "") or "local").strip().lower()
    if name not in ENGINE_NAMES:
        raise EngineError(
            f"engine must be one of {', '.join(ENGINE_NAMES)}; got {name!r}. Set the notebook "
            "parameter engine (or CRM_ENGINE) to one of them."
        )
    master = (master or os.environ.get("CRM_SPARK_MASTER", "") or DEFAULT_MASTER).strip()
    origin = "conf" if conf else "CRM_SPARK_CONF"
    pairs = parse_conf(conf if conf else os.environ.get("CRM_SPARK_CONF", ""), origin=origin)
    memory = duckdb_memory or os.environ.get("CRM_DUCKDB_MEMORY", "") or DEFAULT_DUCKDB_MEMORY
    return EngineConfig(name=name, master=master, conf=pairs, duckdb_memory=memory)
