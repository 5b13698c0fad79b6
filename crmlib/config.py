"""Canonical column names, default locations and run-time settings.

Every reader maps a user's columns onto the names below once, at the edge; the rest of the
library only ever speaks these names.
"""

from __future__ import annotations

import os
from pathlib import Path

CUSTOMER_ID = "customer_id"
ORDER_ID = "order_id"
ORDER_DATE = "order_date"
ITEM = "item"
DESCRIPTION = "description"
QUANTITY = "quantity"
UNIT_PRICE = "unit_price"
AMOUNT = "amount"
COUNTRY = "country"

CANONICAL_COLUMNS: tuple[str, ...] = (
    CUSTOMER_ID,
    ORDER_ID,
    ORDER_DATE,
    ITEM,
    DESCRIPTION,
    QUANTITY,
    UNIT_PRICE,
    AMOUNT,
)

# Names seen in the wild for each canonical column, compared after lower-casing and dropping
# everything that is not a letter or a digit ("Customer ID" -> "customerid").
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    CUSTOMER_ID: ("customerid", "customer", "custid", "clientid", "memberid", "userid"),
    ORDER_ID: ("orderid", "invoiceno", "invoice", "invoiceid", "basketid", "transactionid"),
    ORDER_DATE: ("orderdate", "invoicedate", "date", "transactiondate", "timestamp", "datetime"),
    ITEM: ("item", "stockcode", "sku", "productid", "productcode", "itemid", "product"),
    DESCRIPTION: ("description", "productname", "itemname", "itemdescription"),
    QUANTITY: ("quantity", "qty", "units"),
    UNIT_PRICE: ("unitprice", "price", "unitcost"),
    AMOUNT: ("amount", "revenue", "sales", "linetotal", "total", "value"),
    COUNTRY: ("country", "countryname"),
}

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = Path(os.environ.get("CRM_REPORTS_DIR", PROJECT_ROOT / "reports"))
BUILD_DIR = Path(os.environ.get("CRM_BUILD_DIR", PROJECT_ROOT / "build"))

# Embedded data sets, addressed in notebook parameters as "embedded:<name>".
EMBEDDED_DATA: dict[str, Path] = {
    "online_retail": DATA_DIR / "online_retail.csv.gz",
    "online_retail_sample": DATA_DIR / "online_retail_sample.csv.gz",
    "groceries": DATA_DIR / "groceries" / "groceries.csv.gz",
    "womens_clothing_reviews": (
        DATA_DIR / "womens_clothing_reviews" / "womens_clothing_reviews.csv.gz"
    ),
    "waimai_10k": DATA_DIR / "waimai_10k" / "waimai_10k.csv",
    "hillstrom": DATA_DIR / "hillstrom" / "hillstrom.csv.gz",
    "msnbc": DATA_DIR / "msnbc" / "msnbc990928.seq.xz",
}
GROCERIES_CATEGORIES = DATA_DIR / "groceries" / "categories.csv"

# Column mapping of the embedded Online Retail files.
ONLINE_RETAIL_COLUMNS: dict[str, str] = {
    "InvoiceNo": ORDER_ID,
    "StockCode": ITEM,
    "Description": DESCRIPTION,
    "Quantity": QUANTITY,
    "InvoiceDate": ORDER_DATE,
    "UnitPrice": UNIT_PRICE,
    "CustomerID": CUSTOMER_ID,
    "Country": COUNTRY,
}

DEMO_PSEUDONYM_KEY = "crm-workbench-demo-key"


def pseudonym_key() -> tuple[str, bool]:
    """Return the key for pseudonymising customer identifiers.

    Returns
    -------
    tuple of (str, bool)
        The key from the ``CRM_PSEUDONYM_KEY`` environment variable, or the public demo key;
        the flag is True when the demo key is in use (outputs then say so).
    """
    key = os.environ.get("CRM_PSEUDONYM_KEY", "")
    return (key, False) if key else (DEMO_PSEUDONYM_KEY, True)


def cache_dir() -> Path:
    """Folder of the on-disk result cache shared by report runs and app kernels."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crm-workbench"
    return Path(os.environ.get("CRM_CACHE_DIR", default))
