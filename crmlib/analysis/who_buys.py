"""Customer attributes for "who buys X": one row per customer, ready for attribute rules."""

from __future__ import annotations

import pandas as pd

from crmlib import config as C
from crmlib.errors import CrmInputError
from crmlib.io import customer_rows


def customer_profile(data: pd.DataFrame, item: str, *, item_column: str = C.ITEM) -> pd.DataFrame:
    """Attributes of each customer and whether they bought ``item``.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean canonical transactions (rows = order lines); rows without a customer are left out.
    item : str
        The product of interest, a value of ``item_column``.
    item_column : str
        ``item`` codes or ``description`` names.

    Returns
    -------
    pandas.DataFrame
        One row per customer: ``customer_id``, ``country``, ``orders``, ``revenue``,
        ``avg_order_value``, ``products`` (distinct), ``tenure_days`` (first to last order) and
        ``buys`` ("YES"/"NO").
    """
    rows = customer_rows(data)
    if item not in set(rows[item_column].astype(str)):
        raise CrmInputError(f"No customer bought {item!r} (looked in column '{item_column}').")
    grouped = rows.groupby(C.CUSTOMER_ID, observed=True)
    out = grouped.agg(
        orders=(C.ORDER_ID, "nunique"),
        revenue=(C.AMOUNT, "sum"),
        products=(item_column, "nunique"),
        first=(C.ORDER_DATE, "min"),
        last=(C.ORDER_DATE, "max"),
    )
    if C.COUNTRY in rows.columns:
        out.insert(0, C.COUNTRY, grouped[C.COUNTRY].agg(lambda s: s.mode().iat[0]))
    out["avg_order_value"] = out["revenue"] / out["orders"]
    out["tenure_days"] = (out.pop("last") - out.pop("first")).dt.days
    buyers = set(rows.loc[rows[item_column].astype(str) == item, C.CUSTOMER_ID])
    out["buys"] = ["YES" if c in buyers else "NO" for c in out.index]
    return out.reset_index()
