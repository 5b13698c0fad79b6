"""Join a second source (customer attributes) onto transactions by the customer key."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from crmlib import config as C
from crmlib.errors import CrmInputError
from crmlib.io.schema import map_columns, to_identifier


@dataclass
class MergeReport:
    """Key matching between transactions and an attribute table.

    Attributes
    ----------
    customers, attribute_rows : int
        Distinct customers in the transactions; rows in the attribute table.
    matched : int
        Transaction customers found in the attribute table.
    unmatched_customers : int
        Transaction customers with no attribute row (their attribute columns are empty).
    unused_attribute_keys : int
        Attribute rows whose customer never appears in the transactions.
    duplicate_keys : int
        Attribute keys that occur more than once (the first row is used).
    """

    customers: int
    attribute_rows: int
    matched: int
    unmatched_customers: int
    unused_attribute_keys: int
    duplicate_keys: int
    unmatched_sample: list[str] = field(default_factory=list, repr=False)


def merge_attributes(
    transactions: pd.DataFrame,
    attributes: pd.DataFrame,
    *,
    columns: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, MergeReport]:
    """Left-join customer attributes onto transactions on ``customer_id``.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions (rows = order lines) with ``customer_id``.
    attributes : pandas.DataFrame
        One row per customer; its key column is mapped by ``columns`` or by alias.
    columns : dict, optional
        Mapping of the attribute table's columns to canonical names.

    Returns
    -------
    tuple of (pandas.DataFrame, MergeReport)
        Transactions with the attribute columns added (same rows, same order); the report of
        matched and unmatched keys.
    """
    attrs = map_columns(attributes, columns, required=[C.CUSTOMER_ID], table="customer attributes")
    attrs = attrs.assign(**{C.CUSTOMER_ID: to_identifier(attrs[C.CUSTOMER_ID])})
    attrs = attrs[attrs[C.CUSTOMER_ID].notna()]
    dup = attrs[C.CUSTOMER_ID].duplicated(keep="first")
    attrs = attrs[~dup]
    clash = [c for c in attrs.columns if c != C.CUSTOMER_ID and c in transactions.columns]
    if clash:
        raise CrmInputError(
            f"Customer attributes repeat transaction columns {clash}; rename or drop them first."
        )
    tx_keys = pd.Index(transactions[C.CUSTOMER_ID].dropna().unique())
    attr_keys = pd.Index(attrs[C.CUSTOMER_ID])
    unmatched = tx_keys.difference(attr_keys)
    merged = transactions.merge(attrs, on=C.CUSTOMER_ID, how="left", validate="many_to_one")
    report = MergeReport(
        customers=len(tx_keys),
        attribute_rows=len(attributes),
        matched=len(tx_keys) - len(unmatched),
        unmatched_customers=len(unmatched),
        unused_attribute_keys=len(attr_keys.difference(tx_keys)),
        duplicate_keys=int(dup.sum()),
        unmatched_sample=[str(k) for k in unmatched[:5]],
    )
    return merged, report
