"""P(alive) on canonical transactions (crmlib.analysis.alive) and its use in the alert list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.analysis.alive import alive_table, p_alive_curve
from crmlib.analysis.retention import early_warning
from crmlib.errors import CrmInputError

FIT = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # published CDNOW values


def _orders(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    frame["order_id"] = [f"o{i}" for i in range(len(frame))]
    return frame


def test_curve_by_hand() -> None:
    # orders on day 0, day 14 (twice on one day) and day 28; checked at day 56
    curve = p_alive_curve(
        ["2024-01-01", "2024-01-15", "2024-01-15 18:00", "2024-01-29"], FIT, end="2024-02-26"
    )
    assert list(curve["week"].dt.strftime("%m-%d")) == [
        "01-01", "01-08", "01-15", "01-22", "01-29", "02-05", "02-12", "02-19", "02-26",
    ]  # fmt: skip
    assert list(curve["purchase"]) == [True, False, True, False, True, False, False, False, False]
    # before the first repeat purchase BG/NBD cannot have dropped the customer
    assert (curve["p_alive"].iloc[:2] == 1.0).all()
    # at day 56: x = 2 repeat days, t_x = 4 weeks, T = 8 weeks
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    odds = a / (b + 2 - 1) * ((alpha + 8) / (alpha + 4)) ** (r + 2)
    assert curve["p_alive"].iloc[-1] == pytest.approx(1 / (1 + odds))
    # after the last purchase the probability only falls
    tail = curve["p_alive"].iloc[4:].to_numpy()
    assert np.all(np.diff(tail) < 0)


def test_curve_bad_input() -> None:
    with pytest.raises(CrmInputError, match="no dated order"):
        p_alive_curve(["not a date"], FIT)
    with pytest.raises(CrmInputError, match="before the customer's first order"):
        p_alive_curve(["2024-03-01"], FIT, end="2024-01-01")


def _history() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for c in range(60):
        rhythm = int(rng.integers(5, 40))
        stop = int(rng.integers(60, 365))
        for day in range(int(rng.integers(0, 30)), stop, rhythm):
            rows.append((f"c{c}", str(pd.Timestamp("2023-01-01") + pd.Timedelta(days=day)), 10.0))
    rows.append(("late", "2023-12-31 00:00:00", 5.0))
    return _orders(rows)


def test_alive_table_matches_the_model_and_feeds_alerts() -> None:
    data = _history()
    table, fit = alive_table(data, compare_days=30)
    assert table.index.is_unique and len(table) == data["customer_id"].nunique()
    assert table["p_alive"].between(0, 1).all()
    # the customer first seen on the last day had no earlier value
    assert np.isnan(table.loc["late", "p_alive_before"])
    # a customer who stopped early is less likely alive than one who bought to the end
    last = data.groupby("customer_id")["order_date"].max()
    early, late = last.idxmin(), last.drop("late").idxmax()
    assert table.loc[early, "p_alive"] < table.loc[late, "p_alive"]
    assert fit.n_customers == len(table)
    alerts = early_warning(data, alive=table, pseudonymise_ids=False)
    assert {"p_alive", "p_alive_drop"} <= set(alerts.columns)
    expected = table["p_alive"].reindex(alerts["customer_id"]).to_numpy()
    assert alerts["p_alive"].to_numpy() == pytest.approx(expected)
    assert alerts["reason"].str.contains("P(alive)", regex=False).all()


def test_alive_table_bad_input() -> None:
    data = _history()
    with pytest.raises(CrmInputError, match=r"\['customer_id'\] not found"):
        alive_table(data.rename(columns={"customer_id": "client"}))
    with pytest.raises(CrmInputError, match="choose a later as_of"):
        alive_table(data, as_of="2020-01-01")
    with pytest.raises(CrmInputError, match="compare_days"):
        alive_table(data, compare_days=0)


def test_show_alive_reports_and_steps_aside_when_the_model_cannot_fit() -> None:
    from crmlib.notebook.lifecycle import show_alive

    one_day = _orders([("a", "2024-01-01 00:00:00", 1.0), ("b", "2024-01-01 00:00:00", 2.0)])
    assert show_alive(one_day) == (None, None)  # the alerts then run on the gap rule alone
