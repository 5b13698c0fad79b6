"""LifecycleApp without a browser: sliders change stages and alerts, picker draws P(alive)."""

from __future__ import annotations

import base64
import io

import pandas as pd
import pytest

from crmlib.analysis.alive import alive_table
from crmlib.io import customer_rows, load_transactions
from widgets import LifecycleApp


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return customer_rows(load_transactions("embedded:online_retail_sample").data)


@pytest.fixture(scope="module")
def app(data) -> LifecycleApp:
    return LifecycleApp(data, threshold=2.0, alive=alive_table(data))


def test_threshold_and_rules_update_alerts_and_stages(app):
    before = len(app.current)
    assert before > 0 and app.current["p_alive"].between(0, 1).all()
    app.threshold.value = 4.0
    assert len(app.current) < before
    assert f"{len(app.current):,}</b>" in app.alert_count.value
    stages = app.stages.chart.to_dict()
    app.at_risk.value = 5.0  # a later at-risk point moves customers out of at_risk
    assert app.stages.chart.to_dict() != stages
    app.threshold.value = 2.0


def test_picker_draws_history_and_p_alive_curve_with_pseudonyms_only(app, data):
    pseudonym = app.picker.options[0]
    assert pseudonym.startswith("C-")
    app.picker.value = pseudonym
    curve = app.curve.chart.to_dict()
    assert pseudonym in str(curve["title"])
    values = next(iter(curve["datasets"].values()))
    assert all(0 <= row["p_alive"] <= 1 for row in values)
    raw_ids = set(data["customer_id"].astype(str))
    assert not raw_ids & set(str(app.history.chart.to_dict()).split("'"))


def test_alert_download_is_the_pseudonymised_list(app):
    app._prepare_csv()
    href = app.download.value.split("href='")[1].split("'")[0]
    text = base64.b64decode(href.split(",", 1)[1]).decode("utf-8")
    rows = pd.read_csv(io.StringIO(text))
    assert len(rows) == len(app.current)
    assert rows["customer_id"].str.startswith("C-").all()


def test_app_without_p_alive_still_alerts_and_draws_history(data):
    app = LifecycleApp(data, threshold=2.0, alive=(None, None))
    assert len(app.current) > 0 and "p_alive" not in app.current.columns
    app.picker.value = app.picker.options[1]
    assert app.picker.value in str(app.history.chart.to_dict()["title"])
