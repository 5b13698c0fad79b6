"""Where the heavy steps run: the local pandas engine, DuckDB (out of core) or Apache Spark.

The local engine is the default and needs nothing from here. ``duckdb`` reads Parquet/CSV
folders larger than memory and returns only per-customer or per-basket aggregates; ``spark``
hands reading, basket mining, sequence mining and the per-customer aggregates to a Spark
cluster (or local mode) and brings back only small results. Neither Spark nor Java is touched
until a Spark engine is asked for: importing this package costs nothing.

Configuration comes from parameters first, then the environment:

``CRM_ENGINE``
    ``local`` (default), ``duckdb`` or ``spark``.
``CRM_SPARK_MASTER``
    Spark master URL (default ``local[2]``), e.g. ``spark://host:7077`` or ``yarn``.
``CRM_SPARK_CONF``
    Extra Spark settings, ``key=value`` pairs separated by ``;`` or a JSON object,
    e.g. ``spark.executor.memory=4g;spark.sql.shuffle.partitions=200``.
``CRM_DUCKDB_MEMORY``
    DuckDB memory limit (default ``1GB``); DuckDB spills to disk beyond it.
"""

from __future__ import annotations

from crmlib.engines.config import (
    ENGINE_NAMES,
    EngineConfig,
    EngineError,
    engine_config,
)
from crmlib.engines.timing import StepTimer

__all__ = ["ENGINE_NAMES", "EngineConfig", "EngineError", "StepTimer", "engine_config"]
