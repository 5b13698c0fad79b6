"""Apache Spark engine: reading, basket and sequence mining, per-customer aggregates.

pyspark is imported inside :func:`spark_session` only, so importing this module neither loads
pyspark nor starts Java. Before a JVM is started, :func:`check_spark` looks for Java and, for a
``spark://`` master, tries the port with a short timeout, so a bad configuration ends with an
:class:`~crmlib.engines.config.EngineError` saying what to fix instead of a Java stack trace or
a wait of minutes. Only small results (itemset counts, patterns, per-customer or per-segment
tables) come back to pandas.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd

from crmlib.analysis.mining import min_count_for
from crmlib.analysis.rules import RuleSet
from crmlib.engines.config import EngineConfig, EngineError, engine_config
from crmlib.engines.counts import rules_from_counts
from crmlib.engines.sql import (
    rfm_sql,
    scores_sql,
    segment_totals_sql,
    summary_from_totals,
    tidy_rfm,
)

LOCAL_STILL_WORKS = "The local engine (engine='local') does not need Spark and still works."


def find_java(env: dict[str, str] | None = None) -> str | None:
    """Path of the ``java`` Spark would start: ``$JAVA_HOME/bin/java``, else ``java`` on PATH."""
    env = dict(os.environ if env is None else env)
    home = env.get("JAVA_HOME", "")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None
    return shutil.which("java", path=env.get("PATH", ""))


def check_spark(config: EngineConfig, *, timeout: float = 3.0) -> None:
    """Check what Spark needs before starting it: pyspark, Java, a reachable master.

    Raises
    ------
    EngineError
        pyspark missing, no Java (or ``JAVA_HOME`` pointing at a folder without
        ``bin/java``), or a ``spark://`` master that does not answer within ``timeout`` s.
    """
    try:
        import importlib.util

        found = importlib.util.find_spec("pyspark") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise EngineError(
            "engine='spark' needs pyspark: pip install 'crm-workbench[spark]' (and Java 17). "
            + LOCAL_STILL_WORKS
        )
    java = find_java()
    if java is None:
        home = os.environ.get("JAVA_HOME", "")
        where = f"JAVA_HOME={home} has no bin/java" if home else "no 'java' on PATH"
        raise EngineError(
            f"engine='spark' needs Java 17, but {where}. Install a JRE (Debian: apt-get install "
            "openjdk-17-jre-headless) or point JAVA_HOME at one. " + LOCAL_STILL_WORKS
        )
    try:
        subprocess.run([java, "-version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EngineError(
            f"engine='spark': {java} -version failed ({exc}); check the Java install. "
            + LOCAL_STILL_WORKS
        ) from None
    master = config.master
    if master.startswith("spark://"):
        for hostport in master[len("spark://") :].split(","):
            url = urlparse(f"spark://{hostport}")
            try:
                with socket.create_connection((url.hostname, url.port or 7077), timeout=timeout):
                    pass
            except (OSError, ValueError) as exc:
                raise EngineError(
                    f"Spark master {master} is unreachable ({exc}). Check CRM_SPARK_MASTER (or "
                    "the spark_master parameter), that the cluster is up and that this machine "
                    "can reach its port. " + LOCAL_STILL_WORKS
                ) from None
    elif not (master.startswith(("local", "yarn", "k8s://", "mesos://"))):
        raise EngineError(
            f"Spark master {master!r} is not a master URL: use local[2], spark://host:7077, "
            "yarn or k8s://... " + LOCAL_STILL_WORKS
        )


_SESSION: Any = None


def spark_session(config: EngineConfig | None = None):
    """The process's SparkSession for ``config`` (started on first use, then reused).

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    EngineError
        What :func:`check_spark` finds, or Spark refusing a setting (the message names the
        settings passed and Spark's own first line).
    """
    global _SESSION
    config = config or engine_config("spark")
    if _SESSION is not None and _SESSION._jsc is not None:
        return _SESSION
    check_spark(config)
    from pyspark.sql import SparkSession

    # pyspark 4.3 warns on every pandas conversion that pandas 3 is "not fully supported";
    # the conversions used here (numbers, strings, timestamps, arrays) are checked by tests.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
    settings = config.spark_conf()
    if config.master.startswith("local"):
        settings = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                    **settings}  # fmt: skip
    builder = SparkSession.builder.master(config.master).appName("crm-workbench")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        _SESSION = builder.getOrCreate()
    except Exception as exc:  # Py4J / JVM start-up errors have no common base class
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise EngineError(
            f"Spark did not start with master {config.master} and settings {config.conf or {}}: "
            f"{first}. Fix the setting named there (CRM_SPARK_CONF / spark_conf). "
            + LOCAL_STILL_WORKS
        ) from None
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def stop_session() -> None:
    """Stop the session started by :func:`spark_session` (no-op when none is running)."""
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None


def read_lines(spark, source: str | Path):
    """Order lines from a Parquet or CSV file or folder of *clean canonical* transactions.

    Returns
    -------
    pyspark.sql.DataFrame
        Rows = order lines with canonical columns (``customer_id``, ``order_id``,
        ``order_date``, ``item``, ``description``, ``amount``, ...).
    """
    path = Path(source)
    if not path.exists():
        raise EngineError(f"Spark engine: {path} does not exist; give a Parquet or CSV path.")
    parquet = path.suffix == ".parquet" or (path.is_dir() and any(path.rglob("*.parquet")))
    if parquet:
        return spark.read.parquet(str(path))
    return spark.read.csv(str(path), header=True, inferSchema=True)


def basket_lines(spark, path: str | Path, sep: str = ","):
    """Baskets from a one-basket-per-line text file (Groceries, FIMI ``.dat``; ``.gz`` ok).

    Same reading as :func:`crmlib.analysis.baskets.read_basket_lines`: empty lines are no
    basket, empty items are dropped, repeats count once, spaces are kept.

    Returns
    -------
    pyspark.sql.DataFrame
        One row per basket, column ``items`` (array of str).
    """
    from pyspark.sql import functions as F

    lines = spark.read.text(str(path)).where(F.length("value") > 0)
    parts = F.split(F.col("value"), _java_regex(sep))
    return lines.select(F.array_distinct(F.filter(parts, lambda x: x != "")).alias("items"))


def _java_regex(sep: str) -> str:
    return "".join(f"\\{c}" if not c.isalnum() else c for c in sep)


def baskets_from_lines(lines, *, basket: str = "order", item: str = "description"):
    """Baskets from order lines: one row per order (or customer), column ``items``."""
    from pyspark.sql import functions as F

    key = "order_id" if basket == "order" else "customer_id"
    if item not in lines.columns:
        item = "item"
    kept = lines.where(F.col(key).isNotNull() & F.col(item).isNotNull())
    return kept.groupBy(key).agg(F.array_distinct(F.collect_list(F.col(item).cast("string")))
                                 .alias("items"))  # fmt: skip


def baskets_from_matrix(spark, baskets):
    """A Spark DataFrame of the baskets of an in-memory :class:`Baskets` (column ``items``)."""
    labels = baskets.items.to_numpy()
    m = baskets.matrix
    rows = [(labels[m.indices[m.indptr[i] : m.indptr[i + 1]]].tolist(),)
            for i in range(baskets.n_baskets)]  # fmt: skip
    return spark.createDataFrame(rows, "items array<string>")


def mine_rules_spark(
    baskets,
    *,
    min_support: float | int = 0.01,
    min_confidence: float = 0.5,
    min_lift: float = 0.0,
    max_len: int | None = None,
    max_consequent: int = 1,
    correction: str = "holm",
    alpha: float = 0.05,
) -> RuleSet:
    """Association rules with Spark MLlib's FPGrowth counting the itemsets.

    Parameters
    ----------
    baskets : pyspark.sql.DataFrame
        One row per basket, column ``items`` (array of distinct str).
    min_support, min_confidence, min_lift, max_len, max_consequent, correction, alpha
        As :func:`crmlib.analysis.rules.mine_rules`; support is "at least ceil(s·n)" baskets
        exactly as locally (FPGrowth runs a hair lower and the counts are filtered here).

    Returns
    -------
    RuleSet
        The local engine's rules and measures, built from Spark's counts.
    """
    from pyspark.ml.fpm import FPGrowth

    n = baskets.count()
    min_count = min_count_for(min_support, n)
    model = FPGrowth(itemsCol="items", minSupport=max(min_count - 0.5, 0.5) / n,
                     minConfidence=1.0).fit(baskets)  # fmt: skip
    found = model.freqItemsets
    from pyspark.sql import functions as F

    found = found.where(F.col("freq") >= min_count)
    if max_len:
        found = found.where(F.size("items") <= max_len)
    table = found.toPandas()
    return rules_from_counts(
        table["items"].map(list).tolist(), table["freq"].tolist(), n,
        min_count=min_count, min_confidence=min_confidence, min_lift=min_lift,
        max_len=max_len, max_consequent=max_consequent, correction=correction, alpha=alpha,
    )  # fmt: skip


def mine_sequences_spark(spark, seqs, *, min_support: float = 0.01, max_length: int = 5):
    """Frequent sequential patterns with Spark MLlib's PrefixSpan (single-event elements).

    Parameters
    ----------
    seqs : crmlib.io.events.Sequences or pyspark.sql.DataFrame
        Sequences, or a Spark DataFrame with column ``sequence`` (array of arrays of int
        codes, 0-based as in :class:`Sequences`) plus ``labels`` given via ``seqs.labels``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`crmlib.analysis.prefixspan.mine_sequences` (``pattern``,
        ``codes`` 1-based, ``items``, ``length``, ``sequences``, ``support``), same order.
    """
    import numpy as np
    from pyspark.ml.fpm import PrefixSpan

    n = seqs.n_sequences
    min_count = min_count_for(min_support, n)
    rows = [([[int(c)] for c in seqs.codes[a:b]],) for a, b in
            zip(seqs.offsets[:-1].tolist(), seqs.offsets[1:].tolist(), strict=True)]  # fmt: skip
    frame = spark.createDataFrame(rows, "sequence array<array<int>>")
    miner = PrefixSpan(minSupport=max(min_count - 0.5, 0.5) / n, maxPatternLength=max_length,
                       sequenceCol="sequence")  # fmt: skip
    found = miner.findFrequentSequentialPatterns(frame).toPandas()
    found = found[found["freq"] >= min_count]
    labels = np.asarray(seqs.labels, dtype=object)
    codes = [tuple(int(e[0]) + 1 for e in p) for p in found["sequence"]]
    items = [tuple(labels[[c - 1 for c in p]]) for p in codes]
    out = pd.DataFrame(
        {
            "pattern": [" > ".join(i) for i in items],
            "codes": codes,
            "items": items,
            "length": np.array([len(p) for p in codes], dtype=np.int64),
            "sequences": found["freq"].to_numpy(dtype=np.int64),
        }
    )
    out["support"] = out["sequences"] / n
    out = out.sort_values(
        ["sequences", "length", "codes"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    out.attrs.update(n_sequences=n, min_count=min_count, max_length=max_length, max_gap=None)
    return out


def rfm_spark(spark, lines, *, observation_date=None) -> pd.DataFrame:
    """RFM table (the columns of ``rfm_table``) computed by Spark SQL from order lines.

    Returns
    -------
    pandas.DataFrame
        One row per customer; bring it to pandas only when customers fit in memory (use
        :func:`segments_spark` for the per-segment table otherwise).
    """
    lines.createOrReplaceTempView("crm_lines")
    return tidy_rfm(spark.sql(rfm_sql("crm_lines", "spark", observation_date)).toPandas())


def segments_spark(spark, lines, *, observation_date=None, rules=None, k: int = 5):
    """Per-segment table of ``segment_summary``: scores and segments in Spark SQL.

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        One row per segment (small), and the privacy note.
    """
    lines.createOrReplaceTempView("crm_lines")
    spark.sql(rfm_sql("crm_lines", "spark", observation_date)).createOrReplaceTempView("crm_rfm")
    spark.sql(scores_sql("crm_rfm")).createOrReplaceTempView("crm_scored")
    totals = spark.sql(segment_totals_sql("crm_scored", rules)).toPandas()
    return summary_from_totals(totals, rules, k=k)


def clean_spark(spark, source: str | Path, *, columns=None, cancellation_prefix: str | None = "C"):
    """Read a raw transaction file and clean it in Spark SQL with the data layer's rules.

    Parameters
    ----------
    source : str or path
        Raw CSV (read as text) or Parquet file or folder, or ``embedded:<name>``.

    Returns
    -------
    tuple of (pyspark.sql.DataFrame, CleaningReport)
        Kept rows (canonical columns, cached) and the counts per reason.
    """
    from pyspark.sql import functions as F

    from crmlib.engines.cleaning_sql import ROW, clean_sql, counts_sql, kept_sql, report_from_counts
    from crmlib.io import resolve_source

    path = resolve_source(source) if str(source).startswith("embedded:") else Path(source)
    if not path.exists():
        raise EngineError(f"Spark engine: {path} does not exist; give a Parquet or CSV path.")
    parquet = path.suffix == ".parquet" or (path.is_dir() and any(path.rglob("*.parquet")))
    reader = spark.read
    raw = reader.parquet(str(path)) if parquet else reader.csv(str(path), header=True)
    # file order: ids grow with the partition and the position in it
    raw.withColumn(ROW, F.monotonically_increasing_id()).createOrReplaceTempView("crm_raw")
    sql = clean_sql("crm_raw", raw.columns, "spark", columns=columns,
                    cancellation_prefix=cancellation_prefix)  # fmt: skip
    flagged = spark.sql(sql).cache()
    flagged.createOrReplaceTempView("crm_flagged")
    totals = spark.sql(counts_sql("crm_flagged", flagged.columns)).collect()[0].asDict()
    report = report_from_counts(totals)
    return spark.sql(kept_sql("crm_flagged")), report
