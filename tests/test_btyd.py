"""BG/NBD, Gamma-Gamma and CLV (crmlib.analysis.btyd) on hand-made tables and the CDNOW sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlib.analysis import btyd, spend
from crmlib.errors import CrmInputError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "cdnow" / "CDNOW_sample.txt"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee 2005
GG_REFERENCE = {"p": 6.25, "q": 3.75, "v": 15.45}  # DESIGN; Fader & Hardie note: 6.25, 3.74, 15.44


def _tx(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["cust", "day", "value"])


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is missing")
    return pd.read_csv(
        SAMPLE,
        sep=r"\s+",
        header=None,
        names=["customer", "sample_id", "date", "cds", "value"],
        dtype={"customer": str, "sample_id": str, "date": str},
    )


@pytest.fixture(scope="module")
def summary(cdnow: pd.DataFrame) -> pd.DataFrame:
    return btyd.summary_table(
        cdnow,
        customer="customer",
        date="date",
        amount="value",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
    )


@pytest.fixture(scope="module")
def fit(summary: pd.DataFrame) -> btyd.BgNbdFit:
    return btyd.fit_bgnbd(summary)


# ------------------------------------------------------------------------- summary_table


def test_summary_table_by_hand() -> None:
    tx = _tx(
        [
            ("A", "2020-01-01", 10.0),
            ("A", "2020-01-01", 5.0),  # same day: merged into one purchase of 15
            ("A", "2020-01-15", 20.0),
            ("A", "2020-01-29", 40.0),
            ("A", "2020-02-12", 7.0),  # holdout
            ("B", "2020-01-08", 30.0),  # single order: frequency 0
            ("C", "2020-02-05", 9.0),  # first order after calibration: not in the table
        ]
    )
    before = tx.copy()
    s = btyd.summary_table(
        tx,
        customer="cust",
        date="day",
        amount="value",
        calibration_end="2020-01-29",
        observation_end="2020-02-26",
    )
    pd.testing.assert_frame_equal(tx, before)  # input untouched
    assert list(s["cust"]) == ["A", "B"]
    a, b = s.iloc[0], s.iloc[1]
    assert (a["frequency"], a["recency"], a["T"]) == (2, 4.0, 4.0)
    assert a["monetary_value"] == pytest.approx(30.0)  # mean of repeats 20, 40 (first excluded)
    assert (a["frequency_holdout"], a["duration_holdout"]) == (1, 4.0)
    assert (b["frequency"], b["recency"], b["T"]) == (0, 0.0, 3.0)
    assert np.isnan(b["monetary_value"]) and b["frequency_holdout"] == 0
    assert s["frequency"].dtype == np.int64


def test_summary_table_days_unmerged_and_periods() -> None:
    tx = _tx(
        [
            ("A", "2020-01-01", 10.0),  # Wednesday
            ("A", "2020-01-01", 5.0),
            ("A", "2020-01-03", 20.0),  # same calendar week
            ("A", "2020-01-10", 40.0),
            ("B", "2020-01-20", 1.0),
            ("B", "2020-01-22", 1.0),
        ]
    )
    kw = {"customer": "cust", "date": "day", "calibration_end": "2020-01-22"}
    days = btyd.summary_table(tx, freq="D", **kw)
    assert days.loc[0, ["frequency", "recency", "T"]].tolist() == [2, 9.0, 21.0]
    rows = btyd.summary_table(tx, freq="D", merge_same_day=False, **kw)
    assert rows.loc[0, "frequency"] == 3
    weeks = btyd.summary_table(tx, convention="periods", **kw)
    # weeks (Mon-Sun): 2019-12-30.., 2020-01-06.., 2020-01-20..; purchases in the first two
    assert weeks.loc[0, ["frequency", "recency", "T"]].tolist() == [1, 1.0, 3.0]
    assert "monetary_value" not in weeks.columns


def test_summary_table_datetime_column_and_time_of_day() -> None:
    tx = _tx([("A", "2020-01-01 09:00", 1.0), ("A", "2020-01-01 18:00", 1.0)])
    tx = pd.concat([tx, _tx([("A", "2020-01-08 12:00", 1.0)])], ignore_index=True)
    tx["day"] = pd.to_datetime(tx["day"])
    s = btyd.summary_table(tx, customer="cust", date="day", calibration_end="2020-01-07")
    assert s.loc[0, ["frequency", "recency", "T"]].tolist() == [0, 0.0, 6 / 7]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"calibration_end": "2019-01-01"}, "outside the data"),
        ({"calibration_end": "2021-01-01"}, "outside the data"),
        ({"calibration_end": "2020-01-29", "observation_end": "2020-02-05"}, "holdout is empty"),
        ({"calibration_end": "not a date"}, "must be a date"),
        ({"calibration_end": "2020-01-10", "observation_end": "2020-01-05"}, "must be after"),
        ({"calibration_end": "2020-01-15", "observation_end": "2020-01-20"}, "holdout is empty"),
        ({"calibration_end": "2020-01-10", "freq": "M"}, "freq must be"),
        ({"calibration_end": "2020-01-10", "convention": "weeks"}, "convention must be"),
        ({"calibration_end": "2020-01-10", "customer": "nope"}, "not found"),
    ],
)
def test_summary_table_bad_input(kwargs: dict, message: str) -> None:
    tx = _tx([("A", "2020-01-01", 1.0), ("A", "2020-01-15", 2.0), ("B", "2020-01-29", 3.0)])
    args = {"customer": "cust", "date": "day", "amount": "value"} | kwargs
    with pytest.raises(CrmInputError, match=message):
        btyd.summary_table(tx, **args)


def test_summary_table_all_on_one_day_and_bad_values() -> None:
    one_day = _tx([("A", "2020-01-01", 1.0), ("B", "2020-01-01", 2.0)])
    with pytest.raises(CrmInputError, match="every order is on 2020-01-01"):
        btyd.summary_table(one_day, customer="cust", date="day", calibration_end="2020-01-01")
    negative = _tx([("A", "2020-01-01", -1.0), ("B", "2020-01-05", 2.0)])
    with pytest.raises(CrmInputError, match="0 or more"):
        btyd.summary_table(
            negative, customer="cust", date="day", amount="value", calibration_end="2020-01-02"
        )
    no_date = _tx([("A", None, 1.0), ("B", "2020-01-05", 2.0)])
    with pytest.raises(CrmInputError, match="unreadable date"):
        btyd.summary_table(no_date, customer="cust", date="day", calibration_end="2020-01-02")


def test_fit_needs_repeat_purchases() -> None:
    s = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [3.0, 5.0]})
    with pytest.raises(CrmInputError, match="no customer made a repeat purchase"):
        btyd.fit_bgnbd(s)
    bad = pd.DataFrame({"frequency": [1], "recency": [6.0], "T": [5.0]})
    with pytest.raises(CrmInputError, match="recency <= T"):
        btyd.fit_bgnbd(bad)


# ------------------------------------------------------------------------- CDNOW sample


def test_cdnow_sample_summary(summary: pd.DataFrame) -> None:
    assert len(summary) == 2357
    assert int(summary["frequency"].sum()) == 2457
    assert int((summary["frequency"] == 0).sum()) == 1411
    assert summary["T"].max() == pytest.approx(272 / 7)
    assert summary["duration_holdout"].iloc[0] == pytest.approx(39.0)


def test_bgnbd_reproduces_published_fit(fit: btyd.BgNbdFit) -> None:
    for name, value in PUBLISHED.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.02), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.5)
    assert fit.n_customers == 2357


def test_bgnbd_likelihood_by_hand(summary: pd.DataFrame) -> None:
    x, tx, t = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    ll = btyd.bgnbd_log_likelihood(PUBLISHED, x, tx, t).sum()
    assert ll == pytest.approx(-9582.4, abs=1.0)
    # one x = 0 customer: B(a, b) / B(a, b) * (alpha / (alpha + T)) ** r
    r, alpha = PUBLISHED["r"], PUBLISHED["alpha"]
    one = btyd.bgnbd_log_likelihood(PUBLISHED, np.array([0.0]), np.array([0.0]), np.array([10.0]))
    assert one[0] == pytest.approx(r * np.log(alpha / (alpha + 10.0)))


def test_p_alive_and_expectations(summary: pd.DataFrame, fit: btyd.BgNbdFit) -> None:
    alive = fit.p_alive(summary)
    assert alive.between(0, 1).all()
    assert (alive[summary["frequency"] == 0] == 1.0).all()
    assert alive.index.equals(summary.index)
    expected = fit.expected_purchases(summary, 39.0)
    assert (expected >= 0).all()
    assert (fit.expected_purchases(summary, 0.0) == 0).all()
    # more time, more purchases; a new customer's curve starts at 0
    grid = fit.expected_repeat_purchases_new(np.array([0.0, 10.0, 39.0, 78.0]))
    assert grid[0] == 0 and np.all(np.diff(grid) > 0)
    # the cohort's cumulative calibration repeat purchases are matched (paper, figure 2)
    total = sum(fit.expected_repeat_purchases_new(t) for t in summary["T"])
    assert total == pytest.approx(summary["frequency"].sum(), rel=0.05)


def test_holdout_diagnostic(summary: pd.DataFrame, fit: btyd.BgNbdFit) -> None:
    diag = btyd.holdout_diagnostic(summary, fit)
    table = diag.table
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+", "total"]
    assert table.loc["total", "customers"] == 2357
    assert table["customers"].iloc[:-1].sum() == 2357
    assert diag.actual_total == summary["frequency_holdout"].sum() == 1882
    assert table["predicted_total"].iloc[:-1].sum() == pytest.approx(diag.predicted_total)
    assert diag.relative_error == pytest.approx(
        (diag.predicted_total - diag.actual_total) / diag.actual_total
    )
    assert -0.2 < diag.relative_error < 0.0  # the model under-predicts this holdout
    assert 0.5 < diag.mae < 1.0
    # mean predictions rise with calibration frequency
    assert np.all(np.diff(table["predicted_mean"].iloc[:-1].to_numpy()) > 0)
    with pytest.raises(CrmInputError, match="observation_end"):
        btyd.holdout_diagnostic(summary.drop(columns="frequency_holdout"), fit)


def test_gamma_gamma_reference(summary: pd.DataFrame) -> None:
    gg = spend.fit_gamma_gamma(summary)
    for name, value in GG_REFERENCE.items():
        assert getattr(gg, name) == pytest.approx(value, rel=0.01), name
    assert gg.n_customers == 946
    expected = gg.expected_spend(summary)
    zero = summary["frequency"] == 0
    assert expected[zero].to_numpy() == pytest.approx(gg.p * gg.v / (gg.q - 1))


def test_clv(summary: pd.DataFrame, fit: btyd.BgNbdFit) -> None:
    gg = spend.fit_gamma_gamma(summary)
    before = summary.copy()
    out = spend.clv(
        summary, fit, gg, horizon=12, discount_rate=0.01, period_length=52 / 12, by_period=True
    )
    pd.testing.assert_frame_equal(summary, before)
    assert list(out.columns[:4]) == ["customer", "expected_purchases", "expected_spend", "clv"]
    periods = out[[f"value_{k}" for k in range(1, 13)]].sum(axis=1)
    assert np.allclose(periods, out["clv"])
    undiscounted = spend.clv(summary, fit, gg, horizon=12, discount_rate=0.0, period_length=52 / 12)
    assert np.allclose(
        undiscounted["clv"], undiscounted["expected_purchases"] * undiscounted["expected_spend"]
    )
    assert (out["clv"] <= undiscounted["clv"] + 1e-12).all()
    assert np.allclose(out["expected_purchases"], fit.expected_purchases(summary, 52.0))
    with pytest.raises(CrmInputError, match="horizon"):
        spend.clv(summary, fit, gg, horizon=0, discount_rate=0.01)
    with pytest.raises(CrmInputError, match="q = "):
        spend.clv(summary, fit, {"p": 1.0, "q": 0.5, "v": 1.0}, horizon=1, discount_rate=0.0)


def test_calibration_end_on_last_day_scores_today() -> None:
    tx = _tx([("A", "2020-01-01", 1.0), ("A", "2020-01-15", 2.0), ("B", "2020-01-29", 3.0)])
    s = btyd.summary_table(tx, customer="cust", date="day", calibration_end="2020-01-29")
    assert s[["frequency", "recency", "T"]].to_numpy().tolist() == [[1, 2.0, 4.0], [0, 0.0, 0.0]]


def test_periods_week_straddling_calibration_end() -> None:
    # 2020-01-07 is a Tuesday; the Thursday order is in the same week but after calibration
    tx = _tx([("A", "2020-01-01", 1.0), ("A", "2020-01-07", 1.0), ("A", "2020-01-09", 1.0)])
    s = btyd.summary_table(
        tx,
        customer="cust",
        date="day",
        calibration_end="2020-01-07",
        observation_end="2020-01-14",
        convention="periods",
    )
    assert s.loc[0, ["frequency", "recency", "T", "frequency_holdout"]].tolist() == [1, 1, 1, 1]
    assert s.loc[0, "duration_holdout"] == 1.0
