"""Notebook side of the engine choice: run the heavy steps on the chosen engine and show a
note saying which engine ran and how long each heavy step took.

With ``engine="local"`` nothing here imports DuckDB's engine module or Spark. With ``duckdb``
or ``spark`` a raw CSV transaction source is read and cleaned by the engine itself, in SQL
with the data layer's rules (:mod:`crmlib.engines.cleaning_sql`; same rows and counts), and
DuckDB keeps the result as clean canonical Parquet in the cache folder. Other sources (Excel,
DuckDB files) are cleaned by the data layer once; a Parquet file or folder given as source is
read as it is: it must hold clean canonical columns.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from crmlib.analysis import load_baskets
from crmlib.analysis.baskets import Baskets
from crmlib.analysis.rules import RuleSet
from crmlib.cache import file_fingerprint, fingerprint
from crmlib.charts import notes
from crmlib.config import cache_dir
from crmlib.engines import EngineError, StepTimer, engine_config
from crmlib.io import resolve_source
from crmlib.io.cleaning import CleaningReport
from crmlib.notebook import show

SPARK_UNSUPPORTED = ("exclude", "antecedent_only", "consequent_only")


def start_engine(engine: str = "local", **settings: Any) -> StepTimer:
    """Resolve the engine (parameter, else ``CRM_ENGINE``) and a timer for its steps.

    Raises
    ------
    EngineError
        Unknown engine or malformed settings (shown as an error box in notebooks).
    """
    config = engine_config(engine, **settings)
    return StepTimer(config.name, config.detail, config=config)


def _raw_csv(source: str) -> bool:
    """True when ``source`` is a CSV file the engines clean themselves."""
    name = resolve_source(source).name.lower()
    return name.endswith((".csv", ".csv.gz"))


def canonical_parquet(source: str) -> Path:
    """Clean canonical Parquet of ``source``: the source itself when it is Parquet, else
    written once into the cache folder, by DuckDB's SQL cleaning for CSV files and by the
    data layer for other formats."""
    path = Path(str(source)) if not str(source).startswith("embedded:") else None
    if path is not None and (path.suffix == ".parquet" or path.is_dir()):
        return path
    from crmlib.engines.duckdb_engine import clean_duckdb, write_canonical

    key = fingerprint("canonical-sql", file_fingerprint(resolve_source(source)))
    folder = cache_dir() / "canonical" / key
    target = folder / "part-0.parquet"
    if target.exists():
        return target
    if _raw_csv(source):
        return clean_duckdb(source, target)[1]
    return write_canonical(source, folder)


def engine_cleaning(
    source: str, local: CleaningReport, timer: StepTimer, *, sql: str = "", columns=None
) -> dict | None:
    """Clean the raw file again on the engine, in SQL, and show whether its counts per
    reason equal the data layer's ``local`` report (None for the local engine, a SQL query
    or a source that is not CSV: nothing to compare).

    Returns
    -------
    dict or None
        ``rows_out`` and ``counts`` (rows per reason) of the engine, and ``same`` (bool).
    """
    if timer.engine == "local" or sql or not _raw_csv(source):
        return None
    with timer.step(f"read and clean ({timer.engine} SQL)"):
        if timer.engine == "duckdb":
            from crmlib.engines.duckdb_engine import clean_duckdb

            report = clean_duckdb(source, columns=columns or None, config=timer.config)[0]
        else:
            from crmlib.engines import spark as S

            session = S.spark_session(timer.config)
            report = S.clean_spark(session, resolve_source(source), columns=columns or None)[1]
    mine, theirs = report.to_frame(), local.to_frame()
    same = mine[["reason", "rows"]].equals(theirs[["reason", "rows"]])
    verdict = ("the same rows kept and the same count for every reason as the data layer"
               if same else "counts DIFFERENT from the data layer's (table below)")  # fmt: skip
    show(notes([f"{timer.engine} cleaned the raw file in SQL: {report.rows_out:,} of "
                f"{report.rows_in:,} rows kept; {verdict}."]))  # fmt: skip
    if not same:
        show(report)
    counts = {r: report.count(r) for r in report.table["reason"]}
    return {"rows_out": report.rows_out, "counts": counts, "same": bool(same)}


def engine_rfm(source: str, timer: StepTimer, *, observation_date: str = "") -> pd.DataFrame | None:
    """RFM table computed by the engine (None for the local engine, which computes it with
    the rest of the segmentation)."""
    if timer.engine == "local":
        return None
    if timer.engine == "spark" and _raw_csv(source):
        from crmlib.engines import spark as S

        session = S.spark_session(timer.config)
        with timer.step("read and clean (spark SQL)"):
            lines = S.clean_spark(session, resolve_source(source))[0]
        with timer.step("RFM table (spark)"):
            return S.rfm_spark(session, lines, observation_date=observation_date or None)
    with timer.step("clean canonical Parquet"):
        parquet = canonical_parquet(source)
    with timer.step(f"RFM table ({timer.engine})"):
        if timer.engine == "duckdb":
            from crmlib.engines.duckdb_engine import rfm_duckdb

            return rfm_duckdb(parquet, observation_date=observation_date or None,
                              config=timer.config)  # fmt: skip
        from crmlib.engines import spark as S

        session = S.spark_session(timer.config)
        return S.rfm_spark(session, S.read_lines(session, parquet),
                           observation_date=observation_date or None)  # fmt: skip


def engine_orders(source: str, timer: StepTimer) -> pd.DataFrame:
    """One row per (customer, order) computed by the engine from the clean order lines
    (:mod:`crmlib.engines.orders`); the lifecycle stages start from it. Not for the local
    engine, which reads the order lines with the data layer."""
    from crmlib.engines.orders import orders_duckdb, orders_spark

    if timer.engine == "spark" and _raw_csv(source):
        from crmlib.engines import spark as S

        session = S.spark_session(timer.config)
        with timer.step("read and clean (spark SQL)"):
            lines = S.clean_spark(session, resolve_source(source))[0]
        with timer.step("orders table (spark)"):
            return orders_spark(session, lines)
    with timer.step("clean canonical Parquet"):
        parquet = canonical_parquet(source)
    with timer.step(f"orders table ({timer.engine})"):
        if timer.engine == "duckdb":
            return orders_duckdb(parquet, config=timer.config)
        from crmlib.engines import spark as S

        session = S.spark_session(timer.config)
        return orders_spark(session, S.read_lines(session, parquet))


def engine_baskets(source: str, load: dict, timer: StepTimer) -> Baskets:
    """Baskets read by DuckDB (transaction sources without categories) or by the data layer."""
    layout = load.get("layout", "auto")
    lines = layout == "lines" or (layout == "auto" and source == "embedded:groceries")
    with timer.step("read baskets"):
        if timer.engine == "duckdb" and not lines and not load.get("categories"):
            from crmlib.engines.duckdb_engine import baskets_duckdb

            with timer.step("clean canonical Parquet"):
                parquet = canonical_parquet(source)
            return baskets_duckdb(parquet, basket=load.get("basket", "order"),
                                  item=load.get("item", "description"),
                                  config=timer.config)  # fmt: skip
        return load_baskets(source, **load)


def engine_rules(
    baskets: Baskets, source: str, load: dict, options: dict, timer: StepTimer
) -> RuleSet:
    """Rules mined locally (the cached local miner) or by Spark's FPGrowth on the same
    baskets; either way the local engine's measures."""
    with timer.step(f"mine rules ({'spark' if timer.engine == 'spark' else 'local'})"):
        if timer.engine != "spark":
            from crmlib.notebook.basket import mine_cached

            return mine_cached(baskets, source, load, **options)
        used = [k for k in SPARK_UNSUPPORTED if options.get(k)]
        if used:
            raise EngineError(
                f"engine='spark' mines every item; {used} are not supported there. Empty them "
                "or use engine='local'."
            )
        from crmlib.engines import spark as S

        session = S.spark_session(timer.config)
        layout = load.get("layout", "auto")
        if (layout == "lines" or source == "embedded:groceries") and not load.get("categories"):
            frame = S.basket_lines(session, resolve_source(source))
        else:
            frame = S.baskets_from_matrix(session, baskets)
        keep = ("min_support", "min_confidence", "min_lift", "max_len", "max_consequent",
                "correction")  # fmt: skip
        return S.mine_rules_spark(frame, **{k: options[k] for k in keep if k in options})


def engine_note(timer: StepTimer) -> str:
    """HTML note: the engine, where it ran, and the seconds of each heavy step."""
    steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timer.steps)
    head = (
        f"<p class='crm-note' id='crm-engine'>Engine: <b>{html.escape(timer.engine)}</b> "
        f"({html.escape(timer.detail)})</p>"
    )
    return head + notes([f"Heavy steps: {steps or 'none'}; {timer.total():.2f} s in all."])


def show_engine(timer: StepTimer) -> None:
    """Display :func:`engine_note`."""
    show(engine_note(timer))
