"""Rebuild ``categories.csv`` (item -> level-2 and level-1 category) from the arules label files.

Usage: ``python data/groceries/make_categories.py ../shared/data/groceries/arules_data_src``.
Item ids have three digits (``011``): the first two are the level-2 category (``01``), the
first one the level-1 category (``0``). Label files use CRLF; only the line end is removed, so
item names keep their own spaces (``cream cheese `` ends in one).
"""

import csv
import sys
from pathlib import Path

src = Path(sys.argv[1])


def labels(name: str) -> dict[str, str]:
    with open(src / name, encoding="ascii") as fh:
        rows = [line.rstrip("\r\n").split("\t") for line in fh]
    return {row[0]: row[1] for row in rows if row and row[0]}


items, level2, level1 = (
    labels("Groceries.labels"),
    labels("Groceries.cat2.labels"),
    labels("Groceries.cat1.labels"),
)
with open(Path(__file__).with_name("categories.csv"), "w", newline="", encoding="utf-8") as fh:
    out = csv.writer(fh)
    out.writerow(["item", "category", "department"])
    for code, name in items.items():
        out.writerow([name, level2[code[:2]], level1[code[:1]]])
print(f"{len(items)} items")
