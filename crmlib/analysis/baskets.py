"""Baskets as a sparse basket × item matrix, built from any shape of input.

A :class:`Baskets` holds a CSR matrix (rows = baskets, columns = items, True where the basket
holds the item), the item labels, the basket ids and, when known, each basket's customer. It is
never densified: memory grows with the number of item occurrences, not baskets × items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from crmlib import config as C
from crmlib.errors import CrmInputError

TRUE_FLAGS = frozenset({"1", "t", "true", "y", "yes", "x", "1.0"})
FALSE_FLAGS = frozenset({"0", "f", "false", "n", "no", "", "0.0", "nan", "none"})


@dataclass
class Baskets:
    """Sparse baskets.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix of bool, shape (n_baskets, n_items)
    items : pandas.Index of str, length n_items
    basket_ids : pandas.Index, length n_baskets
    customers : pandas.Series or None
        Customer id per basket (same order as rows); None when unknown.
    """

    matrix: sparse.csr_matrix
    items: pd.Index
    basket_ids: pd.Index
    customers: pd.Series | None = None

    @property
    def n_baskets(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_items(self) -> int:
        return self.matrix.shape[1]

    def item_counts(self) -> pd.Series:
        """Baskets holding each item, most frequent first."""
        counts = np.asarray(self.matrix.sum(axis=0)).ravel()
        return pd.Series(counts, index=self.items, name="baskets").sort_values(
            ascending=False, kind="stable"
        )

    def holding(self, items: Iterable[str]) -> np.ndarray:
        """Boolean mask of the baskets that hold every item in ``items``."""
        codes = self.codes(items)
        if not codes:
            return np.ones(self.n_baskets, dtype=bool)
        sub = self.matrix[:, codes]
        return np.asarray(sub.sum(axis=1)).ravel() == len(codes)

    def codes(self, items: Iterable[str]) -> list[int]:
        """Column positions of item labels; unknown labels raise with a hint."""
        wanted = list(items)
        pos = self.items.get_indexer(wanted)
        unknown = [w for w, p in zip(wanted, pos, strict=True) if p < 0]
        if unknown:
            sample = ", ".join(map(str, self.items[:5]))
            raise CrmInputError(f"Unknown items {unknown}; items look like: {sample}, ...")
        return pos.tolist()

    def __repr__(self) -> str:
        return (
            f"Baskets({self.n_baskets:,} baskets × {self.n_items:,} items, nnz={self.matrix.nnz:,})"
        )


def _check_not_empty(n_baskets: int, n_items: int, what: str) -> None:
    if n_baskets == 0 or n_items == 0:
        raise CrmInputError(f"{what}: no baskets with items were found, so nothing can be mined.")


def _from_codes(
    rows: np.ndarray, cols: np.ndarray, items: pd.Index, ids: pd.Index, customers=None
) -> Baskets:
    data = np.ones(len(rows), dtype=bool)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(ids), len(items)), dtype=bool)
    matrix.sum_duplicates()
    matrix.data[:] = True
    return Baskets(matrix, items, ids, customers)


def baskets_from_transactions(
    data: pd.DataFrame,
    *,
    basket: str = "order",
    item: str = C.ITEM,
    categories: Mapping[str, str] | pd.Series | None = None,
) -> Baskets:
    """Baskets from canonical transactions.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows = order lines with ``order_id``, ``customer_id`` and the ``item`` column.
    basket : {"order", "customer"}
        One basket per order, or per customer (all their orders together; rows without a
        customer are left out).
    item : str
        Column used as the item label (``item`` codes or ``description`` names).
    categories : mapping, optional
        Item → category; when given, baskets hold categories instead of items (items without a
        category keep their own label).

    Returns
    -------
    Baskets
        ``customers`` is set when the data has customer ids.
    """
    if basket not in ("order", "customer"):
        raise CrmInputError(f"basket must be 'order' or 'customer'; got {basket!r}.")
    key = C.ORDER_ID if basket == "order" else C.CUSTOMER_ID
    missing = [c for c in (key, item) if c not in data.columns]
    if missing:
        raise CrmInputError(f"Transactions have no column {missing}; found {list(data.columns)}.")
    frame = data[data[key].notna() & data[item].notna()]
    labels = frame[item].astype(str)
    if categories is not None:
        mapping = pd.Series(categories) if not isinstance(categories, pd.Series) else categories
        labels = labels.map(mapping).fillna(labels)
    row_codes, ids = pd.factorize(frame[key], sort=False)
    col_codes, items = pd.factorize(labels, sort=True)
    _check_not_empty(len(ids), len(items), "transactions")
    customers = None
    if C.CUSTOMER_ID in frame.columns:
        if basket == "customer":
            customers = pd.Series(ids, name=C.CUSTOMER_ID)
        else:
            first = frame.groupby(row_codes)[C.CUSTOMER_ID].first()
            customers = pd.Series(first.reindex(range(len(ids))).to_numpy(), name=C.CUSTOMER_ID)
    return _from_codes(row_codes, col_codes, pd.Index(items), pd.Index(ids), customers)


def baskets_from_lists(lists: Sequence[Sequence[str]], ids: Sequence | None = None) -> Baskets:
    """Baskets from a list of item lists (one list per basket; repeats count once)."""
    lengths = np.fromiter((len(b) for b in lists), dtype=np.int64, count=len(lists))
    flat = pd.Index([str(x) for b in lists for x in b])
    col_codes, items = pd.factorize(flat, sort=True)
    rows = np.repeat(np.arange(len(lists)), lengths)
    _check_not_empty(len(lists), len(items), "basket list")
    basket_ids = pd.Index(ids if ids is not None else np.arange(len(lists)))
    return _from_codes(rows, col_codes, pd.Index(items), basket_ids)


def read_basket_lines(path, sep: str = ",") -> Baskets:
    r"""Read a file with one basket per line, items separated by ``sep`` (e.g. groceries.csv).

    Only the line end (``\n``, ``\r\n`` or ``\r``) is removed: spaces inside or at the end of
    an item name are kept. Empty lines are skipped, empty items (two separators in a row) are
    dropped, and an item repeated in a basket counts once. ``.gz`` files are decompressed.
    Splitting and encoding run in Arrow, so no Python object is made per item; items are
    numbered in sorted label order.
    """
    import gzip

    import pyarrow as pa
    import pyarrow.compute as pc

    if not sep:
        raise CrmInputError("sep must be a non-empty string, e.g. ',' or ' '.")
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    # Arrow's default pool (mimalloc) holds on to freed blocks: on a 4 MB file that was
    # about 20 MiB more peak memory than with the system allocator
    pool = pa.system_memory_pool()
    small = len(raw) < 2**31 - 1
    # the whole file as one Arrow string, without copying the bytes
    offsets = pa.py_buffer(np.array([0, len(raw)], dtype=np.int32 if small else np.int64))
    blob = pa.Array.from_buffers(
        pa.binary() if small else pa.large_binary(), 1, [None, offsets, pa.py_buffer(raw)]
    )
    try:  # checks that the text is UTF-8
        text = pc.cast(blob, pa.string() if small else pa.large_string(), memory_pool=pool)
    except pa.ArrowInvalid:
        raw.decode("utf-8")  # raises UnicodeDecodeError with the offending position
        raise
    lines = pc.split_pattern(text, "\n", memory_pool=pool).flatten()
    del raw, blob, text  # each step frees what it no longer needs, to keep the peak low
    # an empty line is no basket; a line of separators only is an empty basket
    filled = np.flatnonzero(pc.binary_length(lines, memory_pool=pool).to_numpy() > 0)
    parts = pc.split_pattern(lines, sep, memory_pool=pool)
    del lines
    bounds = parts.offsets.to_numpy()  # each line's first entry, then the end
    encoded = pc.dictionary_encode(parts.flatten(), memory_pool=pool)
    del parts
    labels = encoded.dictionary
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    del encoded
    order = pc.array_sort_indices(labels, memory_pool=pool).to_numpy()
    empty = pc.index(labels, "").as_py()
    if empty >= 0:  # "" sorts first: drop it from the labels and its entries from the lines
        order = order[1:]
        kept = codes != empty
        before = np.zeros(len(codes) + 1, dtype=bounds.dtype)
        np.cumsum(kept, out=before[1:])
        bounds, codes = before[bounds], codes[kept]
        del kept, before
    rank = np.full(len(labels), -1, dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    codes = rank[codes]
    indptr = np.concatenate([bounds[:1], bounds[filled + 1]])
    n_baskets, n_items = len(filled), len(order)
    _check_not_empty(n_baskets, n_items, "basket list")
    matrix = sparse.csr_matrix(
        (np.ones(len(codes), dtype=bool), codes, indptr), shape=(n_baskets, n_items)
    )
    matrix.sum_duplicates()  # sorts each basket's items and merges repeats
    matrix.data[:] = True
    items = pd.Index(labels.take(pa.array(order)).to_pandas(), dtype="str")
    return Baskets(matrix, items, pd.Index(np.arange(n_baskets)))


def _flag(values: pd.Series, column: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(values):
        bad = values.notna() & ~values.isin([0, 1])
        if bad.any():
            raise CrmInputError(
                f"Flag column '{column}' must hold 0/1, yes/no or true/false; "
                f"found {values[bad].unique()[:3].tolist()}."
            )
        return values.fillna(0).astype(bool)
    text = values.astype("string").str.strip().str.lower().fillna("")
    unknown = ~text.isin(TRUE_FLAGS | FALSE_FLAGS)
    if unknown.any():
        raise CrmInputError(
            f"Flag column '{column}' must hold T/F, 1/0, yes/no or true/false; "
            f"found {values[unknown].astype(str).unique()[:3].tolist()}."
        )
    return text.isin(TRUE_FLAGS)


def baskets_from_wide(
    frame: pd.DataFrame,
    *,
    item_columns: Sequence[str] | None = None,
    id_column: str | None = None,
    customer_column: str | None = None,
) -> Baskets:
    """Baskets from a wide flag table: one row per basket, one column per product.

    Parameters
    ----------
    frame : pandas.DataFrame
        Flag columns hold T/F, 1/0, yes/no or true/false; other columns are attributes.
    item_columns : sequence of str, optional
        The flag columns; default every column whose values all look like flags.
    id_column, customer_column : str, optional
        Basket id and customer id columns.

    Returns
    -------
    Baskets
        Items are the flag column names.
    """
    if item_columns is None:
        skip = {id_column, customer_column}
        item_columns = []
        for col in frame.columns:
            if col in skip:
                continue
            try:
                _flag(frame[col], str(col))
            except CrmInputError:
                continue
            item_columns.append(col)
        if not item_columns:
            raise CrmInputError(
                f"No flag columns (T/F, 1/0, yes/no) found among {list(frame.columns)}; "
                "name them with item_columns=[...]."
            )
    missing = [c for c in item_columns if c not in frame.columns]
    if missing:
        raise CrmInputError(f"Flag columns {missing} not found; columns: {list(frame.columns)}.")
    flags = np.column_stack([_flag(frame[c], str(c)).to_numpy() for c in item_columns])
    matrix = sparse.csr_matrix(flags, dtype=bool)
    _check_not_empty(len(frame), len(item_columns), "flag table")
    ids = pd.Index(frame[id_column] if id_column else frame.index)
    customers = (
        pd.Series(frame[customer_column].to_numpy(), name=C.CUSTOMER_ID)
        if customer_column
        else None
    )
    return Baskets(matrix, pd.Index([str(c) for c in item_columns]), ids, customers)


def load_baskets(
    source: str = "embedded:online_retail",
    *,
    layout: str = "auto",
    basket: str = "order",
    item: str = C.DESCRIPTION,
    categories: str = "",
    category_level: str = "category",
    columns: Mapping[str, str] | None = None,
) -> Baskets:
    """Read baskets from a transaction table, a one-basket-per-line file or a wide flag table.

    Parameters
    ----------
    source : str
        A file path or ``embedded:<name>`` (``embedded:groceries`` is one basket per line).
    layout : {"auto", "transactions", "lines", "wide"}
        ``auto`` picks ``lines`` for the embedded Groceries file, else ``transactions``.
    basket, item, columns
        For transactions: one basket per order or customer, the item label column, and the
        column mapping (see :func:`crmlib.io.load_transactions`).
    categories : str
        Optional CSV mapping items to categories (columns ``item`` and ``category_level``);
        ``embedded:groceries`` uses the Groceries two-level hierarchy.
    category_level : str
        The categories file's column to use (Groceries: ``category`` or ``department``).

    Returns
    -------
    Baskets
    """
    from crmlib.config import GROCERIES_CATEGORIES
    from crmlib.io import load_transactions, read_table, resolve_source

    if layout not in ("auto", "transactions", "lines", "wide"):
        raise CrmInputError(f"layout must be auto, transactions, lines or wide; got {layout!r}.")
    if layout == "auto":
        layout = "lines" if str(source).strip() == "embedded:groceries" else "transactions"
    mapping = None
    if categories:
        path = GROCERIES_CATEGORIES if categories == "embedded:groceries" else categories
        table = read_table(path)
        if "item" not in table.columns or category_level not in table.columns:
            raise CrmInputError(
                f"The categories file needs columns 'item' and '{category_level}'; "
                f"found {list(table.columns)}."
            )
        mapping = pd.Series(table[category_level].to_numpy(), index=table["item"].astype(str))
    if layout == "lines":
        found = read_basket_lines(resolve_source(source))
        if mapping is None:
            return found
        lists = [
            list(
                found.items[
                    found.matrix.indices[found.matrix.indptr[i] : found.matrix.indptr[i + 1]]
                ]
            )
            for i in range(found.n_baskets)
        ]
        return baskets_from_lists([[mapping.get(x, x) for x in b] for b in lists])
    if layout == "wide":
        return baskets_from_wide(read_table(source))
    data = load_transactions(source, columns=columns).data
    if item not in data.columns:
        item = C.ITEM
    return baskets_from_transactions(data, basket=basket, item=item, categories=mapping)
