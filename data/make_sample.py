"""Rebuild ``online_retail_sample.csv.gz``: every line of one invoice in 25 of the full file.

Invoices are picked by their number (digits mod 25 == 0, cancellations by the number after the
``C``), so the sample keeps whole baskets, cancellations, duplicates and lines without a
customer in about the full file's proportions. Run from the repository root:
``python data/make_sample.py``.
"""

from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
full = pd.read_csv(HERE / "online_retail.csv.gz", dtype=str, keep_default_na=False)
number = pd.to_numeric(full["InvoiceNo"].str.lstrip("CA"), errors="coerce")
sample = full[number % 25 == 0]
gzip_opts = {"method": "gzip", "mtime": 0}
sample.to_csv(HERE / "online_retail_sample.csv.gz", index=False, compression=gzip_opts)
print(f"{len(sample):,} lines, {sample['InvoiceNo'].nunique():,} invoices")
