"""DuckDB engine: the same aggregates from Parquet/CSV files or folders larger than memory.

DuckDB streams the files and spills to disk past its memory limit, so only results enter
pandas: the RFM table (one row per customer), the per-segment table, and the baskets as a
sparse basket × item matrix of the items frequent enough to matter (two int32 codes per
basket line, never the order lines themselves). The input is clean canonical transactions:
:func:`clean_duckdb` writes them from a raw CSV/Parquet file with the data layer's cleaning
rules in SQL, :func:`write_canonical` from any source the data layer reads.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from crmlib.analysis.baskets import Baskets
from crmlib.analysis.mining import min_count_for
from crmlib.engines.config import EngineConfig, EngineError, engine_config
from crmlib.engines.sql import (
    rfm_sql,
    scores_sql,
    segment_totals_sql,
    summary_from_totals,
    tidy_rfm,
)


def connect(config: EngineConfig | None = None, *, threads: int = 2):
    """An in-memory DuckDB connection with a memory limit and a spill folder.

    Raises
    ------
    EngineError
        A memory limit DuckDB cannot read (e.g. ``lots``).
    """
    import duckdb

    config = config or engine_config("duckdb")
    con = duckdb.connect()
    spill = Path(tempfile.gettempdir()) / "crm-duckdb-spill"
    try:
        con.execute(f"SET memory_limit = '{config.duckdb_memory}'")
    except duckdb.Error as exc:
        raise EngineError(
            f"DuckDB memory limit {config.duckdb_memory!r} is not valid ({exc}); write it like "
            "1GB or 512MB (CRM_DUCKDB_MEMORY)."
        ) from None
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def source_sql(source: str | Path) -> str:
    """A DuckDB table function reading a Parquet/CSV file, or every such file in a folder."""
    path = Path(source)
    if not path.exists():
        raise EngineError(f"DuckDB engine: {path} does not exist; give a Parquet or CSV path.")
    text = str(path).replace("'", "''")
    if path.is_dir():
        if any(path.rglob("*.parquet")):
            return f"read_parquet('{text}/**/*.parquet')"
        if any(path.rglob("*.csv*")):
            return f"read_csv('{text}/**/*.csv*', header = true)"
        raise EngineError(f"DuckDB engine: {path} holds no .parquet or .csv files.")
    if path.suffix == ".parquet":
        return f"read_parquet('{text}')"
    return f"read_csv('{text}', header = true)"


def write_canonical(source: str = "embedded:online_retail", folder: str | Path = "") -> Path:
    """Read and clean ``source`` with the data layer and write it as one Parquet file.

    Returns
    -------
    pathlib.Path
        ``folder/part-0.parquet`` (rows = kept order lines, canonical columns).
    """
    from crmlib.io import load_transactions

    folder = Path(folder or tempfile.mkdtemp(prefix="crm-canonical-"))
    folder.mkdir(parents=True, exist_ok=True)
    data = load_transactions(source).data
    target = folder / "part-0.parquet"
    data.to_parquet(target, index=False)
    return target


def rfm_duckdb(source, *, observation_date=None, config: EngineConfig | None = None):
    """RFM table (columns of ``rfm_table``) from clean order lines in Parquet/CSV.

    Returns
    -------
    pandas.DataFrame
        One row per customer, sorted by id.
    """
    con = connect(config)
    try:
        return tidy_rfm(con.sql(rfm_sql(source_sql(source), "duckdb", observation_date)).df())
    finally:
        con.close()


def segments_duckdb(source, *, observation_date=None, rules=None, k: int = 5, config=None):
    """Per-segment table of ``segment_summary`` with scores and segments computed in DuckDB.

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        One row per segment, and the privacy note.
    """
    con = connect(config)
    try:
        rfm = f"({rfm_sql(source_sql(source), 'duckdb', observation_date)})"
        scored = f"({scores_sql(rfm)})"
        totals = con.sql(segment_totals_sql(scored, rules)).df()
    finally:
        con.close()
    return summary_from_totals(totals, rules, k=k)


def baskets_duckdb(
    source,
    *,
    basket: str = "order",
    item: str = "description",
    min_support: float | int | None = None,
    config: EngineConfig | None = None,
) -> Baskets:
    """Baskets from clean order lines, with items under ``min_support`` left out.

    Leaving out items that cannot be in any frequent itemset changes no rule (the number of
    baskets is kept), and keeps the matrix small on large inputs.

    Returns
    -------
    Baskets
        Rows = baskets (all of them), columns = the kept items in sorted label order.
    """
    if basket not in ("order", "customer"):
        raise EngineError(f"basket must be 'order' or 'customer'; got {basket!r}.")
    key = "order_id" if basket == "order" else "customer_id"
    con = connect(config)
    try:
        src = source_sql(source)
        columns = set(con.sql(f"SELECT * FROM {src} LIMIT 0").columns)
        if item not in columns:
            item = "item"
        con.execute(
            f"CREATE TEMP TABLE l AS SELECT DISTINCT CAST({key} AS VARCHAR) AS k, "
            f"CAST({item} AS VARCHAR) AS i FROM {src} "
            f"WHERE {key} IS NOT NULL AND {item} IS NOT NULL"
        )
        n = con.execute("SELECT COUNT(DISTINCT k) FROM l").fetchone()[0]
        if not n:
            raise EngineError(f"{source}: no baskets with items were found.")
        min_count = 1 if min_support is None else min_count_for(min_support, n)
        counts = con.execute(
            f"SELECT i, COUNT(*) AS n FROM l GROUP BY i HAVING n >= {min_count}"
        ).df()
        labels = sorted(counts["i"].tolist())
        codes = pd.DataFrame({"i": labels, "c": np.arange(len(labels), dtype=np.int32)})
        con.register("codes", codes)
        con.execute(
            "CREATE TEMP TABLE b AS SELECT k, CAST(ROW_NUMBER() OVER () - 1 AS INTEGER) AS r "
            "FROM (SELECT DISTINCT k FROM l)"
        )
        arrays = con.execute(
            "SELECT b.r, codes.c FROM l JOIN b USING (k) JOIN codes USING (i)"
        ).fetchnumpy()
    finally:
        con.close()
    rows, cols = arrays["r"].astype(np.int32), arrays["c"].astype(np.int32)
    del arrays
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=bool), (rows, cols)), shape=(int(n), len(labels))
    )
    matrix.sort_indices()
    return Baskets(matrix, pd.Index(labels, dtype="str"), pd.RangeIndex(int(n)))


def raw_sql(source: str | Path) -> str:
    """A DuckDB table function reading a *raw* Parquet/CSV file or folder (CSV as text,
    blank fields as NULL, as the data layer reads them)."""
    text = source_sql(source)
    return text.replace("header = true)", "header = true, all_varchar = true)")


def clean_duckdb(
    source: str | Path,
    target: str | Path | None = None,
    *,
    columns: dict | None = None,
    cancellation_prefix: str | None = "C",
    config: EngineConfig | None = None,
):
    """Read a raw transaction file and clean it in DuckDB with the data layer's rules.

    Parameters
    ----------
    source : str or path
        Raw CSV/Parquet file or folder, or ``embedded:<name>``; columns are mapped as
        :func:`crmlib.io.map_columns` maps them (``columns`` overrides).
    target : path, optional
        Parquet file to write the kept rows to (canonical columns, file order).

    Returns
    -------
    tuple of (CleaningReport, pathlib.Path or None)
        Counts per reason equal to :func:`crmlib.io.load_transactions`' report, and the
        written Parquet file.
    """
    from crmlib.engines.cleaning_sql import ROW, clean_sql, counts_sql, kept_sql, report_from_counts
    from crmlib.io import resolve_source

    path = resolve_source(source) if str(source).startswith("embedded:") else Path(source)
    con = connect(config)
    try:
        con.execute("SET preserve_insertion_order = true")  # row numbers follow the file
        con.execute(
            f"CREATE TEMP TABLE raw AS SELECT *, ROW_NUMBER() OVER () AS {ROW} FROM {raw_sql(path)}"
        )
        names = con.sql("SELECT * FROM raw LIMIT 0").columns
        query = clean_sql("raw", names, "duckdb", columns=columns,
                          cancellation_prefix=cancellation_prefix)  # fmt: skip
        con.execute(f"CREATE TEMP TABLE flagged AS {query}")
        con.execute("DROP TABLE raw")
        names = con.sql("SELECT * FROM flagged LIMIT 0").columns
        row = con.sql(counts_sql("flagged", names)).df().iloc[0].to_dict()
        if target is not None:
            target = Path(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            out = str(target).replace("'", "''")
            con.execute(f"COPY ({kept_sql('flagged')} ORDER BY {ROW}) TO '{out}' (FORMAT parquet)")
    finally:
        con.close()
    return report_from_counts(row), target
