"""Data overview: headline numbers, monthly trend, new vs returning, top products, countries.

Every function takes the cleaned canonical transactions (rows = order lines, see
:func:`crmlib.io.clean_transactions`) and returns a small table; none changes its input.
Empty input gives empty tables with the documented columns, never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from crmlib import config as C
from crmlib.errors import CrmInputError
from crmlib.privacy import DEFAULT_MIN_GROUP, suppress_small

MONTH = "month"


def _parse_day(value: str | pd.Timestamp | None, name: str) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise CrmInputError(
            f"The {name} parameter must be a date like 2011-06-30; got {value!r}."
        ) from None


def filter_transactions(
    data: pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    countries: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows between two dates (inclusive, whole days) and in the given countries.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean transactions.
    start, end : str or Timestamp, optional
        First and last day kept; empty keeps all.
    countries : sequence of str, optional
        Countries kept; empty keeps all. Unknown names raise with the list of known ones.

    Returns
    -------
    pandas.DataFrame
        The kept rows (possibly none).
    """
    lo, hi = _parse_day(start, "start date"), _parse_day(end, "end date")
    if lo is not None and hi is not None and lo > hi:
        raise CrmInputError(f"The start date {lo.date()} is after the end date {hi.date()}.")
    mask = pd.Series(True, index=data.index)
    if lo is not None:
        mask &= data[C.ORDER_DATE] >= lo.normalize()
    if hi is not None:
        mask &= data[C.ORDER_DATE] < hi.normalize() + pd.Timedelta(days=1)
    if countries:
        if C.COUNTRY not in data.columns:
            raise CrmInputError("A country filter was given but the data has no country column.")
        known = set(data[C.COUNTRY].dropna().unique())
        unknown = [c for c in countries if c not in known]
        if unknown:
            raise CrmInputError(
                f"Unknown countries {unknown}; the data has: {', '.join(sorted(known))}."
            )
        mask &= data[C.COUNTRY].isin(list(countries))
    return data[mask]


def headline(data: pd.DataFrame) -> dict[str, Any]:
    """Headline numbers of a transaction table.

    Returns
    -------
    dict
        ``lines``, ``orders``, ``customers`` (with an id), ``items`` (distinct), ``revenue``,
        ``first_date`` and ``last_date`` (ISO text or None), ``revenue_with_customer_share``.
    """
    revenue = float(data[C.AMOUNT].sum())
    known = data[C.CUSTOMER_ID].notna()
    return {
        "lines": len(data),
        "orders": int(data[C.ORDER_ID].nunique()),
        "customers": int(data.loc[known, C.CUSTOMER_ID].nunique()),
        "items": int(data[C.ITEM].nunique()),
        "revenue": round(revenue, 2),
        "first_date": data[C.ORDER_DATE].min().isoformat() if len(data) else None,
        "last_date": data[C.ORDER_DATE].max().isoformat() if len(data) else None,
        "revenue_with_customer_share": (
            round(float(data.loc[known, C.AMOUNT].sum()) / revenue, 4) if revenue else None
        ),
    }


def _month(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("M").dt.to_timestamp()


def monthly(data: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Revenue, orders and customers per calendar month (optionally per ``by`` group too).

    Returns
    -------
    pandas.DataFrame
        Columns ``month`` (first day), [``by``], ``revenue``, ``orders``, ``customers``;
        one row per month (and group) with data, sorted.
    """
    keys = [MONTH] if by is None else [MONTH, by]
    frame = data.assign(**{MONTH: _month(data[C.ORDER_DATE])})
    out = frame.groupby(keys, observed=True, sort=True).agg(
        revenue=(C.AMOUNT, "sum"),
        orders=(C.ORDER_ID, "nunique"),
        customers=(C.CUSTOMER_ID, "nunique"),
    )
    return out.reset_index()


def first_purchase(data: pd.DataFrame) -> pd.Series:
    """First order date per customer id over the whole table (index = customer id)."""
    known = data[data[C.CUSTOMER_ID].notna()]
    return known.groupby(C.CUSTOMER_ID, observed=True)[C.ORDER_DATE].min()


def new_vs_returning(data: pd.DataFrame, first: pd.Series | None = None) -> pd.DataFrame:
    """Customers per month split into new (first order that month) and returning.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean transactions, possibly filtered.
    first : pandas.Series, optional
        First order date per customer over the *full* history (:func:`first_purchase`); pass
        it when ``data`` is a filtered window, or every customer looks new in its first month.

    Returns
    -------
    pandas.DataFrame
        Columns ``month``, ``status`` ("new"/"returning"), ``customers``.
    """
    first = first_purchase(data) if first is None else first
    known = data[data[C.CUSTOMER_ID].notna()]
    pairs = pd.DataFrame(
        {MONTH: _month(known[C.ORDER_DATE]), C.CUSTOMER_ID: known[C.CUSTOMER_ID]}
    ).drop_duplicates()
    first_month = _month(pairs[C.CUSTOMER_ID].map(first))
    pairs["status"] = (first_month == pairs[MONTH]).map({True: "new", False: "returning"})
    out = pairs.groupby([MONTH, "status"], sort=True).size().rename("customers").reset_index()
    return out


def top_products(data: pd.DataFrame, n: int = 10, *, by: str = "revenue") -> pd.DataFrame:
    """The ``n`` products with the highest revenue (or quantity, orders, customers).

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``description``, ``revenue``, ``quantity``, ``orders``,
        ``customers``; at most ``n`` rows, best first.
    """
    choices = ("revenue", "quantity", "orders", "customers")
    if by not in choices:
        raise CrmInputError(f"top_products: by must be one of {choices}; got {by!r}.")
    if n < 1:
        raise CrmInputError(f"The number of top products must be at least 1; got {n}.")
    desc = data[C.DESCRIPTION] if C.DESCRIPTION in data.columns else data[C.ITEM]
    frame = data.assign(_desc=desc)
    out = frame.groupby(C.ITEM, observed=True).agg(
        description=("_desc", "first"),
        revenue=(C.AMOUNT, "sum"),
        quantity=(C.QUANTITY, "sum"),
        orders=(C.ORDER_ID, "nunique"),
        customers=(C.CUSTOMER_ID, "nunique"),
    )
    out = out.sort_values([by, "revenue"], ascending=False).head(n).reset_index()
    out["description"] = out["description"].fillna(out[C.ITEM])
    return out


def country_split(data: pd.DataFrame, *, k: int = DEFAULT_MIN_GROUP) -> tuple[pd.DataFrame, str]:
    """Customers, orders and revenue per country, small countries merged for privacy.

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        Columns ``country``, ``customers``, ``orders``, ``revenue``, ``revenue_share``, sorted
        by revenue with the merged row last; and the suppression note ("" when none).
    """
    if C.COUNTRY not in data.columns:
        empty = pd.DataFrame(columns=[C.COUNTRY, "customers", "orders", "revenue", "revenue_share"])
        return empty, "The data has no country column."
    out = data.groupby(C.COUNTRY, observed=True).agg(
        customers=(C.CUSTOMER_ID, "nunique"),
        orders=(C.ORDER_ID, "nunique"),
        revenue=(C.AMOUNT, "sum"),
    )
    out = out.sort_values("revenue", ascending=False).reset_index()
    out, note = suppress_small(
        out, group=C.COUNTRY, count="customers", k=k, sum_columns=("orders", "revenue")
    )
    total = float(data[C.AMOUNT].sum())
    out["revenue_share"] = out["revenue"] / total if total else float("nan")
    return out, note


def build_overview(
    data: pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    countries: Sequence[str] | None = None,
    top_n: int = 10,
    k: int = DEFAULT_MIN_GROUP,
    first: pd.Series | None = None,
    monthly_by_country: bool = False,
) -> dict[str, Any]:
    """All tables of the data overview for one filter choice.

    Parameters
    ----------
    data : pandas.DataFrame
        Clean transactions (full history).
    start, end, countries
        Filter, see :func:`filter_transactions`.
    top_n : int
        Number of top products.
    k : int
        Smallest customer group shown on its own.
    first : pandas.Series, optional
        First purchase per customer over the full history; computed when absent.
    monthly_by_country : bool
        Split the monthly table by country too (for a client-side country picker).

    Returns
    -------
    dict
        ``rows`` (filtered row count), ``headline``, ``monthly``, ``new_returning``, ``top``,
        ``countries``, ``country_note``; when the filter leaves no rows, only ``rows`` = 0 and
        ``message`` explaining which filter emptied it.
    """
    first = first_purchase(data) if first is None else first
    view = filter_transactions(data, start=start, end=end, countries=countries)
    if view.empty:
        where = []
        if start or end:
            where.append(f"dates {start or 'start'} to {end or 'end'}")
        if countries:
            where.append(f"countries {', '.join(countries)}")
        span = (data[C.ORDER_DATE].min(), data[C.ORDER_DATE].max()) if len(data) else None
        have = f" The data covers {span[0]:%Y-%m-%d} to {span[1]:%Y-%m-%d}." if span else ""
        return {
            "rows": 0,
            "message": f"No transactions match the filter ({'; '.join(where) or 'none'}).{have} "
            "Widen the date range or pick other countries.",
        }
    split, note = country_split(view, k=k)
    return {
        "rows": len(view),
        "headline": headline(view),
        "monthly": monthly(view, by=C.COUNTRY if monthly_by_country else None),
        "new_returning": new_vs_returning(view, first),
        "top": top_products(view, top_n),
        "countries": split,
        "country_note": note,
    }
