"""Read a raw table from CSV (also gzip), Parquet, Excel, a DuckDB file or a DuckDB SQL query.

Readers return the table as found, with no renaming: text files are read with every column as
text, so that duplicate detection sees the lines exactly as written and type problems can be
reported per column afterwards (:mod:`crmlib.io.schema`).
"""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pandas as pd

from crmlib.config import EMBEDDED_DATA
from crmlib.errors import CrmInputError

TEXT_SUFFIXES = (".csv", ".csv.gz", ".txt", ".txt.gz", ".tsv", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")


def resolve_source(source: str | Path) -> Path:
    """Turn ``embedded:<name>`` or a path into an existing file path.

    Raises
    ------
    CrmInputError
        When the embedded name is unknown or the file does not exist.
    """
    text = str(source).strip()
    if not text:
        raise CrmInputError("No data source given: pass a file path or 'embedded:online_retail'.")
    if text.startswith("embedded:"):
        name = text.split(":", 1)[1]
        if name not in EMBEDDED_DATA:
            known = ", ".join(f"embedded:{k}" for k in EMBEDDED_DATA)
            raise CrmInputError(f"Unknown embedded data set {name!r}. Known: {known}.")
        return EMBEDDED_DATA[name]
    path = Path(text).expanduser()
    if not path.exists():
        raise CrmInputError(
            f"Data file not found: {path} (working folder: {Path.cwd()}). "
            "Check the path, or use 'embedded:online_retail' for the demo data."
        )
    if path.is_dir():
        raise CrmInputError(f"{path} is a folder; pass one data file.")
    return path


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in TEXT_SUFFIXES + PARQUET_SUFFIXES + EXCEL_SUFFIXES + DUCKDB_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _first_bad_byte(path: Path, encoding: str) -> tuple[int, bytes] | None:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with opener(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start, chunk[exc.start : exc.start + 4]
            offset += len(chunk)
    return None


def _read_text(path: Path, encoding: str, sep: str | None) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise CrmInputError(f"{path.name} is empty (0 bytes): export the table again with data.")
    if sep is None:
        sep = "\t" if ".tsv" in path.name.lower() else ","
    norm = encoding.lower().replace("_", "-")
    if norm in ("utf-8", "utf8"):
        bad = _first_bad_byte(path, "utf-8")
        if bad is not None:
            offset, sample = bad
            raise CrmInputError(
                f"{path.name} is not UTF-8 text: byte {sample[:1]!r} at offset {offset:,} "
                "cannot be decoded. Save the file as UTF-8, or pass its encoding "
                "(e.g. encoding='cp1252' for Excel exports from Western Europe, 'gb18030' "
                "for Chinese Windows exports)."
            )
        try:
            return pd.read_csv(path, dtype=str, sep=sep, engine="pyarrow", encoding="utf-8")
        except (ValueError, OSError) as exc:  # ragged lines and the like: let pandas explain
            if "Empty CSV" in str(exc):
                raise CrmInputError(f"{path.name} has no header line and no rows.") from None
    try:
        return pd.read_csv(path, dtype=str, sep=sep, encoding=encoding, keep_default_na=True)
    except pd.errors.EmptyDataError:
        raise CrmInputError(f"{path.name} has no header line and no rows.") from None
    except UnicodeDecodeError as exc:
        raise CrmInputError(
            f"{path.name} cannot be read as {encoding}: {exc.reason} at byte {exc.start:,}. "
            "Pass the file's real encoding."
        ) from None
    except pd.errors.ParserError as exc:
        raise CrmInputError(f"{path.name} is not a well-formed delimited file: {exc}") from None


def _run_sql(sql: str, database: Path | None, data_file: Path | None) -> pd.DataFrame:
    import duckdb

    try:
        con = duckdb.connect(str(database) if database else ":memory:", read_only=bool(database))
    except duckdb.Error as exc:
        raise CrmInputError(f"Cannot open DuckDB database {database}: {exc}") from None
    try:
        if data_file is not None:
            con.register("data", read_table(data_file))
        return con.execute(sql).df()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise CrmInputError(f"The SQL query failed in DuckDB: {first}") from None
    finally:
        con.close()


def read_table(
    source: str | Path | None = None,
    *,
    sql: str | None = None,
    table: str | None = None,
    sheet: str | int = 0,
    encoding: str = "utf-8",
    sep: str | None = None,
) -> pd.DataFrame:
    """Read one table from a file, a DuckDB database or a SQL query.

    Parameters
    ----------
    source : str or Path, optional
        ``embedded:<name>``, or a path ending in ``.csv``/``.csv.gz``/``.tsv``, ``.parquet``,
        ``.xlsx``, or ``.duckdb``. May be omitted when ``sql`` reads files itself.
    sql : str, optional
        A query run by DuckDB. With a DuckDB file as ``source`` it runs inside that database;
        with any other file, that file is available to the query as the table ``data``.
    table : str, optional
        Table to read from a DuckDB file when no ``sql`` is given.
    sheet : str or int
        Excel sheet name or position.
    encoding, sep : str
        Text file encoding (default UTF-8) and delimiter (default ``,``; ``\\t`` for ``.tsv``).

    Returns
    -------
    pandas.DataFrame
        The table, one row per record, columns as in the source (text files: all text).

    Raises
    ------
    CrmInputError
        File missing or empty, encoding wrong, format unknown, query failing, no rows.
    """
    path = resolve_source(source) if source not in (None, "") else None
    if sql:
        is_db = path is not None and _suffix(path) in DUCKDB_SUFFIXES
        frame = _run_sql(sql, path if is_db else None, None if is_db else path)
        where = "the SQL query"
    elif path is None:
        raise CrmInputError("Pass a data file (source=...) or a SQL query (sql=...).")
    else:
        where = path.name
        kind = _suffix(path)
        if kind in TEXT_SUFFIXES:
            frame = _read_text(path, encoding, sep)
        elif kind in PARQUET_SUFFIXES:
            frame = pd.read_parquet(path)
        elif kind in EXCEL_SUFFIXES:
            try:
                frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
            except ValueError as exc:
                raise CrmInputError(f"Cannot read sheet {sheet!r} of {path.name}: {exc}") from None
        elif kind in DUCKDB_SUFFIXES:
            if not table:
                raise CrmInputError(
                    f"{path.name} is a DuckDB database: pass table='name' or sql='select ...'."
                )
            frame = _run_sql(f'select * from "{table}"', path, None)
        else:
            raise CrmInputError(
                f"Unknown file type {path.suffix!r} for {path.name}. Supported: CSV/TSV "
                "(optionally .gz), Parquet, Excel (.xlsx), DuckDB (.duckdb)."
            )
    if frame.shape[1] == 0:
        raise CrmInputError(f"{where} has no columns.")
    if len(frame) == 0:
        raise CrmInputError(
            f"{where} has a header ({', '.join(map(str, frame.columns[:8]))}) but no rows."
        )
    return frame
