"""The overview app's widgets drive real recomputation (no browser needed here)."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis import build_overview
from crmlib.io import load_transactions
from widgets import OverviewApp


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return load_transactions("embedded:online_retail_sample").data


def test_country_and_period_update_every_output(data):
    app = OverviewApp(data)
    full = app.last["headline"]
    assert full == build_overview(data)["headline"]
    app.country.value = "France"
    assert app.last["headline"] == build_overview(data, countries=["France"])["headline"]
    assert app.headline.value != "" and str(app.last["headline"]["customers"]) in app.headline.value
    first, last = app.months[0], app.months[2]
    app.country.value = "All countries"
    app.period.value = (first, last)
    expected = build_overview(data, start=f"{first}-01", end=pd.Period(last).end_time)
    assert app.last["headline"] == expected["headline"]
    spec = app.charts["monthly"].chart.to_dict()
    assert len(spec["datasets"][next(iter(spec["datasets"]))]) == 3


def test_a_filter_with_no_rows_shows_the_empty_state(data):
    app = OverviewApp(data)
    countries = data.groupby("country")["order_date"].min()
    late_country = countries.idxmax()  # first seen in the last months
    app.country.value = late_country
    app.period.value = (app.months[0], app.months[0])
    assert app.last["rows"] == 0
    assert "Nothing to show." in app.message.value
    assert app.chart_box.layout.display == "none"
    assert app.headline.value == ""
    app.period.value = (app.months[0], app.months[-1])
    assert app.last["rows"] > 0 and app.message.value == ""
