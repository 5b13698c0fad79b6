"""Charts of the data overview. Each takes an analysis table and returns an Altair chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

ALL = "All countries"


def monthly_chart(table: pd.DataFrame, *, measure: str = "revenue") -> alt.Chart:
    """Bars of a monthly measure.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`crmlib.analysis.monthly`: ``month``, ``revenue``, ``orders``, ``customers``;
        with a ``country`` column the chart gets a country picker that filters in the browser
        (no kernel needed, so it keeps working in the static report).
    measure : str
        Column drawn.
    """
    title = {"revenue": "Revenue per month", "orders": "Orders per month"}.get(
        measure, f"{measure.capitalize()} per month"
    )
    fmt = ",.0f"
    base = alt.Chart(table, title=title)
    if "country" in table.columns:
        options = [ALL, *sorted(table["country"].dropna().unique())]
        pick = alt.param(
            name="country_pick",
            value=ALL,
            bind=alt.binding_select(options=options, name="Country "),
        )
        base = (
            base.add_params(pick)
            .transform_filter((pick == ALL) | (alt.datum.country == pick))
            .transform_aggregate(value=f"sum({measure})", groupby=["month"])
        )
        y = alt.Y("value:Q", title=measure.capitalize(), axis=alt.Axis(format="~s"))
        tip = alt.Tooltip("value:Q", title=measure, format=fmt)
    else:
        y = alt.Y(f"{measure}:Q", title=measure.capitalize(), axis=alt.Axis(format="~s"))
        tip = alt.Tooltip(f"{measure}:Q", format=fmt)
    return (
        base.mark_bar()
        .properties(width=560)
        .encode(
            x=alt.X("yearmonth(month):O", title="Month"),
            y=y,
            tooltip=[alt.Tooltip("yearmonth(month):O", title="month"), tip],
        )
    )


def new_returning_chart(table: pd.DataFrame) -> alt.Chart:
    """Stacked bars of new and returning customers per month.

    ``table`` comes from :func:`crmlib.analysis.new_vs_returning`.
    """
    return (
        alt.Chart(table, title="New and returning customers per month", width=560)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):O", title="Month"),
            y=alt.Y("customers:Q", title="Customers", stack="zero"),
            color=alt.Color(
                "status:N", title=None, scale=alt.Scale(domain=["new", "returning"]), sort=None
            ),
            order=alt.Order("status:N", sort="ascending"),
            tooltip=["yearmonth(month):O", "status:N", alt.Tooltip("customers:Q", format=",")],
        )
    )


def top_products_chart(table: pd.DataFrame, *, measure: str = "revenue") -> alt.Chart:
    """Horizontal bars of the top products, best on top.

    ``table`` comes from :func:`crmlib.analysis.top_products`. Product names are drawn as SVG
    text by Vega, never interpreted as HTML.
    """
    return (
        alt.Chart(table, title=f"Top {len(table)} products by {measure}")
        .mark_bar()
        .encode(
            y=alt.Y("description:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(f"{measure}:Q", title=measure.capitalize(), axis=alt.Axis(format="~s")),
            tooltip=[
                "item:N",
                "description:N",
                alt.Tooltip("revenue:Q", format=",.0f"),
                alt.Tooltip("quantity:Q", format=",.0f"),
                alt.Tooltip("orders:Q", format=","),
            ],
        )
    )


def country_chart(table: pd.DataFrame, *, top: int = 12) -> alt.Chart:
    """Bars of revenue share by country (the first ``top`` rows of the country split)."""
    return (
        alt.Chart(table.head(top), title="Revenue share by country")
        .mark_bar()
        .encode(
            y=alt.Y("country:N", sort=None, title=None),
            x=alt.X("revenue_share:Q", title="Share of revenue", axis=alt.Axis(format="%")),
            tooltip=[
                "country:N",
                alt.Tooltip("customers:Q", format=","),
                alt.Tooltip("orders:Q", format=","),
                alt.Tooltip("revenue:Q", format=",.0f"),
                alt.Tooltip("revenue_share:Q", format=".1%"),
            ],
        )
    )


def headline_cards(numbers: dict) -> str:
    """HTML cards for :func:`crmlib.analysis.headline` output."""
    from crmlib.charts.html import cards

    first = (numbers.get("first_date") or "")[:10]
    last = (numbers.get("last_date") or "")[:10]
    return cards(
        {
            "Customers": f"{numbers['customers']:,}",
            "Orders": f"{numbers['orders']:,}",
            "Products": f"{numbers['items']:,}",
            "Revenue": f"{numbers['revenue']:,.0f}",
            "Date range": f"{first} to {last}",
        }
    )
