"""Clean a canonical transaction table and say exactly what was dropped or flagged, and why."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from crmlib import config as C
from crmlib.errors import CrmInputError
from crmlib.io.schema import to_datetime, to_identifier, to_number

# Codes that are not goods: postage, carriage, fees, manual adjustments, discounts, samples,
# vouchers. Exact codes and regular expressions; both can be overridden per call.
NON_PRODUCT_CODES: tuple[str, ...] = (
    "POST", "DOT", "M", "m", "C2", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK",
)  # fmt: skip
NON_PRODUCT_PATTERNS: tuple[str, ...] = (r"^gift_\d+_\d+$",)

# Reasons in the order they are tested; a row is counted under the first that applies.
REASONS: dict[str, tuple[str, str]] = {
    "duplicate": ("dropped", "exact duplicate of an earlier line (all columns equal)"),
    "bad_date": ("dropped", "date cannot be read"),
    "bad_number": ("dropped", "quantity, price or amount cannot be read"),
    "cancellation": ("dropped", "cancellation or return (order number starts with the prefix)"),
    "reversed": ("dropped", "sale reversed by a later cancellation of the same line"),
    "non_product": ("dropped", "not a product: postage, fees, adjustments, vouchers"),
    "non_positive_quantity": ("dropped", "quantity zero or negative"),
    "non_positive_price": ("dropped", "unit price or amount zero or negative"),
    "missing_customer": ("flagged", "no customer id: kept for baskets, not for customer analyses"),
}  # fmt: skip


@dataclass
class CleaningReport:
    """What cleaning did to a table.

    Attributes
    ----------
    rows_in, rows_out : int
        Rows read, and rows kept (flagged rows are kept).
    table : pandas.DataFrame
        One row per reason: ``reason``, ``action`` (dropped/flagged), ``description``, ``rows``
        (rows counted under this reason, first reason wins, so dropped rows add up to
        rows_in - rows_out) and ``rows_matching`` (all rows the rule matches).
    customer_rows : int
        Kept rows with a customer id, the input of customer analyses.
    """

    rows_in: int
    rows_out: int
    customer_rows: int
    table: pd.DataFrame = field(repr=False)

    @property
    def rows_dropped(self) -> int:
        return self.rows_in - self.rows_out

    def count(self, reason: str) -> int:
        """Rows counted under ``reason`` (a key of :data:`REASONS`)."""
        return int(self.table.set_index("reason").loc[reason, "rows"])

    def to_frame(self) -> pd.DataFrame:
        """The report as a table with a first line for rows in and a last for rows out."""
        head = pd.DataFrame(
            [{"reason": "rows_in", "action": "", "description": "rows read", "rows": self.rows_in}]
        )
        tail = pd.DataFrame(
            [
                {"reason": "rows_out", "action": "", "description": "rows kept",
                 "rows": self.rows_out},
                {
                    "reason": "customer_rows",
                    "action": "",
                    "description": "kept rows usable for customer analyses",
                    "rows": self.customer_rows,
                },
            ]
        )  # fmt: skip
        body = self.table[["reason", "action", "description", "rows", "rows_matching"]]
        frame = pd.concat([head, body, tail], ignore_index=True)
        frame["rows_matching"] = frame["rows_matching"].astype("Int64")
        return frame

    def _repr_html_(self) -> str:
        left = "style='text-align:left'"
        rows = "".join(
            f"<tr><td {left}>{html.escape(str(r.description))}</td>"
            f"<td>{html.escape(str(r.action))}</td>"
            f"<td style='text-align:right'>{r.rows:,}</td></tr>"
            for r in self.to_frame().itertuples()
        )
        return (
            f"<table class='crm-cleaning'><thead><tr><th {left}>Cleaning step</th>"
            f"<th>Action</th><th>Rows</th></tr></thead><tbody>{rows}</tbody></table>"
        )


@dataclass
class CleanResult:
    """Output of :func:`clean_transactions`: kept rows, the report, and the dropped rows."""

    data: pd.DataFrame
    report: CleaningReport
    dropped: pd.DataFrame = field(repr=False)


def _non_product_mask(items: pd.Series, codes: Iterable[str], patterns: Iterable[str]) -> pd.Series:
    text = items.astype("string")
    mask = text.isin(list(codes)).fillna(False)
    for pattern in patterns:
        mask |= text.str.match(pattern).fillna(False)
    return mask.astype(bool)


def _reversed_sales(out: pd.DataFrame, cancelled: pd.Series, usable: pd.Series) -> pd.Series:
    """Sales lines that a later cancellation reverses exactly.

    A cancellation line reverses a sale of the same customer, item, unit price and quantity
    (with the opposite sign) dated at or before it. For each such key, as many sales as there
    are cancellations are marked, the latest first. Without a customer nothing is matched.
    """
    keys = [C.CUSTOMER_ID, C.ITEM, C.UNIT_PRICE, C.QUANTITY]
    marked = pd.Series(False, index=out.index)
    canc = out.loc[cancelled & usable & out[C.CUSTOMER_ID].notna(), [*keys, C.ORDER_DATE]]
    if canc.empty:
        return marked
    canc = canc.assign(**{C.QUANTITY: -canc[C.QUANTITY]})
    per_key = canc.groupby(keys, observed=True)[C.ORDER_DATE].agg(["size", "max"]).reset_index()
    sales = out.loc[~cancelled & usable & (out[C.QUANTITY] > 0), [*keys, C.ORDER_DATE]]
    sales = sales.reset_index().merge(per_key, on=keys, how="inner")
    sales = sales[sales[C.ORDER_DATE] <= sales["max"]]
    rank = sales.groupby(keys, observed=True)[C.ORDER_DATE].rank(method="first", ascending=False)
    marked.loc[sales.loc[rank <= sales["size"], "index"]] = True
    return marked


def clean_transactions(
    frame: pd.DataFrame,
    *,
    table: str = "transactions",
    date_format: str | None = None,
    decimal: str = ".",
    cancellation_prefix: str | None = "C",
    non_product_codes: Iterable[str] = NON_PRODUCT_CODES,
    non_product_patterns: Iterable[str] = NON_PRODUCT_PATTERNS,
    net_returns: bool = True,
) -> CleanResult:
    """Coerce types and drop or flag problem rows of a canonical transaction table.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows = order lines, columns already mapped to canonical names (see
        :func:`crmlib.io.map_columns`): ``order_id``, ``order_date``, ``item``, ``quantity`` and
        ``unit_price`` or ``amount`` are required; ``customer_id`` and ``description`` optional.
    table : str
        Name used in messages.
    date_format, decimal : str
        Formats of the date and number columns when they are text.
    cancellation_prefix : str or None
        Order numbers starting with it are cancellations/returns (Online Retail: ``"C"``).
    non_product_codes, non_product_patterns : iterable of str
        Item codes (exact) and regular expressions of lines that are not goods.
    net_returns : bool
        Also drop sales that a later cancellation reverses exactly (same customer, item,
        price and quantity), so a cancelled order adds no revenue.

    Returns
    -------
    CleanResult
        ``data``: kept rows with typed canonical columns plus ``amount`` (quantity × unit price
        when absent) and ``has_customer``; other columns unchanged. ``report``: counts per
        reason. ``dropped``: the dropped rows with a ``reason`` column.
    """
    has_price = C.UNIT_PRICE in frame.columns
    has_amount = C.AMOUNT in frame.columns
    if not (has_price or has_amount):
        raise CrmInputError(
            f"Table '{table}' needs a unit price or an amount column; found {list(frame.columns)}."
        )
    rows_in = len(frame)
    out = frame.copy()
    matches: dict[str, pd.Series] = {}
    matches["duplicate"] = frame.duplicated(keep="first")

    out[C.ORDER_DATE], matches["bad_date"] = to_datetime(
        frame[C.ORDER_DATE], table=table, column=C.ORDER_DATE, date_format=date_format
    )
    bad_number = pd.Series(False, index=frame.index)
    for col in (C.QUANTITY, C.UNIT_PRICE, C.AMOUNT):
        if col in frame.columns:
            out[col], bad = to_number(frame[col], table=table, column=col, decimal=decimal)
            bad_number |= bad
    matches["bad_number"] = bad_number
    if not has_amount:
        out[C.AMOUNT] = out[C.QUANTITY] * out[C.UNIT_PRICE]
    if not has_price:
        out[C.UNIT_PRICE] = out[C.AMOUNT] / out[C.QUANTITY].where(out[C.QUANTITY] != 0)

    out[C.ORDER_ID] = to_identifier(frame[C.ORDER_ID])
    out[C.ITEM] = frame[C.ITEM].astype("string").str.strip()
    if cancellation_prefix:
        matches["cancellation"] = out[C.ORDER_ID].str.startswith(cancellation_prefix).fillna(False)
    else:
        matches["cancellation"] = pd.Series(False, index=frame.index)
    if C.CUSTOMER_ID in frame.columns:
        out[C.CUSTOMER_ID] = to_identifier(frame[C.CUSTOMER_ID])
    else:
        out[C.CUSTOMER_ID] = pd.Series(pd.NA, index=frame.index, dtype="string")
    usable = ~(matches["duplicate"] | matches["bad_date"] | matches["bad_number"])
    matches["reversed"] = (
        _reversed_sales(out, matches["cancellation"], usable)
        if net_returns
        else pd.Series(False, index=frame.index)
    )
    matches["non_product"] = _non_product_mask(out[C.ITEM], non_product_codes, non_product_patterns)
    matches["non_positive_quantity"] = (out[C.QUANTITY] <= 0).fillna(False)
    value = out[C.UNIT_PRICE].where(out[C.UNIT_PRICE].notna(), out[C.AMOUNT])
    matches["non_positive_price"] = (value <= 0).fillna(False)
    matches["missing_customer"] = out[C.CUSTOMER_ID].isna()
    if C.DESCRIPTION in out.columns:
        out[C.DESCRIPTION] = out[C.DESCRIPTION].astype("string").str.strip()

    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    records = []
    for key, (action, description) in REASONS.items():
        mask = matches[key].to_numpy(dtype=bool)
        if action == "dropped":
            first = mask & reason.isna().to_numpy()
            reason[first] = key
            counted = int(first.sum())
        else:
            counted = int((mask & reason.isna().to_numpy()).sum())
        records.append(
            {
                "reason": key,
                "action": action,
                "description": description,
                "rows": counted,
                "rows_matching": int(mask.sum()),
            }
        )
    keep = reason.isna().to_numpy()
    data = out[keep].reset_index(drop=True)
    data["has_customer"] = data[C.CUSTOMER_ID].notna()
    dropped = out[~keep].assign(reason=reason[~keep]).reset_index(drop=True)
    report = CleaningReport(
        rows_in=rows_in,
        rows_out=int(keep.sum()),
        customer_rows=int(data["has_customer"].sum()),
        table=pd.DataFrame.from_records(records),
    )
    return CleanResult(data=data, report=report, dropped=dropped)


def customer_rows(data: pd.DataFrame) -> pd.DataFrame:
    """Rows usable for customer analyses (those with a customer id).

    Raises
    ------
    CrmInputError
        When no row has a customer id.
    """
    kept = data[data[C.CUSTOMER_ID].notna()]
    if kept.empty:
        raise CrmInputError(
            "No row has a customer id, so customer analyses cannot run. Map the customer column "
            "(columns={'<your column>': 'customer_id'})."
        )
    return kept
