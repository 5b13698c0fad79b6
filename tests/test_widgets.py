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


def test_rule_explorer_filters_remines_escapes_and_downloads():
    import base64

    from crmlib.analysis import baskets_from_lists, mine_rules
    from widgets import RuleExplorerApp

    evil = "<script>alert(1)</script>"
    lists = [[evil, "b", "c"]] * 6 + [["b", "c"]] * 3 + [[evil, "d"]] * 2 + [["d"]] * 4
    baskets = baskets_from_lists(lists)
    floor = mine_rules(baskets, min_support=0.3, min_confidence=0.5)
    app = RuleExplorerApp(baskets, floor)
    shown = len(app.current)
    assert shown == len(floor.rules) > 0
    assert evil not in app.table.value and "&lt;script&gt;" in app.table.value
    assert evil not in app.drill.value
    app.confidence.value = 0.95  # raising a threshold filters, no re-mining
    assert app.ruleset is floor and len(app.current) < shown
    app.support.value = app.support.min  # below the floor: re-mined
    assert app.ruleset is not floor and app.floor < floor.min_support
    app.csv_button.click()
    href = app.download.value.split("href='")[1].split("'")[0]
    csv = base64.b64decode(href.split(",", 1)[1]).decode()
    assert csv.splitlines()[0].startswith("rule,antecedent,consequent")
    assert len(csv.splitlines()) == len(app.current) + 1
