"""Churn table, models and survival curves on IBM's Telco Customer Churn (data/telco).

Reference figures from data/telco/SOURCE.md: 7,043 customers, 1,869 churned (26.5 %), 11 blank
TotalCharges all with tenure 0. A plain one-hot logistic regression reaches a 5-fold ROC AUC of
about 0.845; month-to-month customers churn with a median tenure of about 35 months.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlib.analysis.churn import churn_models, event_values, prepare_churn_table, read_telco
from crmlib.analysis.survival import cox_model, kaplan_meier
from crmlib.errors import CrmInputError

TELCO = Path(__file__).resolve().parent.parent / "data" / "telco" / "Telco-Customer-Churn.csv.gz"
needs_telco = pytest.mark.skipif(not TELCO.exists(), reason="Telco file missing")


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    return prepare_churn_table(read_telco(TELCO))


@needs_telco
def test_read_and_prepare(telco):
    raw = read_telco(TELCO)
    assert raw.shape == (7043, 21)
    assert raw["TotalCharges"].isna().sum() == 11
    assert telco.shape == (7043, 20) and "customerID" not in telco.columns
    assert telco["Churn"].sum() == 1869
    assert round(100 * telco["Churn"].mean(), 1) == 26.5
    assert (telco.loc[raw["TotalCharges"].isna(), "TotalCharges"] == 0).all()
    assert any("set to 0" in note for note in telco.attrs["notes"])
    dropped = prepare_churn_table(raw, blank_total="drop")
    assert len(dropped) == 7032
    assert raw["TotalCharges"].isna().sum() == 11  # input unchanged


@needs_telco
def test_models_reach_the_reference_auc(telco):
    result = churn_models(telco, "Churn", folds=5, seed=0)
    assert set(result.scores["model"]) == {"logistic regression", "gradient boosting"}
    best = result.scores.iloc[0]
    assert best["model"] == result.best
    assert best["auc_mean"] >= 0.845
    assert (result.scores["auc_sd"] < 0.03).all()
    assert result.churn_rate == pytest.approx(0.2654, abs=1e-4)
    cal = result.calibration
    assert cal["decile"].tolist() == list(range(1, 11))
    assert cal["customers"].sum() == 7043
    assert cal["observed"].is_monotonic_increasing or cal["observed"].iloc[-1] > 0.6
    assert np.abs(cal["predicted"] - cal["observed"]).max() < 0.1
    sentences = " ".join(result.drivers["sentence"])
    assert "Contract = Two year (vs Month-to-month) lowers the odds of churn" in sentences
    assert "tenure" in sentences


@needs_telco
def test_kaplan_meier_by_contract(telco):
    km = kaplan_meier(telco, "tenure", "Churn", "Contract")
    assert km.logrank_p < 0.001
    medians = km.summary.set_index("group")["median"]
    assert medians["Month-to-month"] == 35
    assert np.isinf(medians["Two year"])
    first = km.curves[km.curves["group"] == "Month-to-month"].iloc[0]
    assert first["at_risk"] == 3875
    assert km.curves.groupby("group")["survival"].apply(lambda s: s.is_monotonic_decreasing).all()
    assert np.isnan(kaplan_meier(telco, "tenure", "Churn").logrank_p)


@needs_telco
def test_cox_hazard_ratios(telco):
    table = cox_model(telco, "tenure", "Churn", ["Contract", "MonthlyCharges"])
    two = table[(table["covariate"] == "Contract") & (table["level"] == "Two year")].iloc[0]
    assert two["hazard_ratio"] < 0.1 and two["ci_lower"] < two["hazard_ratio"] < two["ci_upper"]
    assert two["compared_with"] == "Contract = Month-to-month"


def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "months": [1, 5, 3, 8, 2, 9],
            "left": ["Yes", "No", "yes", "No", "Yes", "No"],
            "plan": ["a", "b", "a", "b", "a", "b"],
        }
    )


def test_bad_survival_input():
    frame = _small()
    with pytest.raises(CrmInputError, match="negative"):
        kaplan_meier(frame.assign(months=[-1, 5, 3, 8, 2, 9]), "months", "left")
    with pytest.raises(CrmInputError, match="0/1 or Yes/No"):
        kaplan_meier(frame.assign(left=["Maybe", "No", "Yes", "No", "Yes", "No"]), "months", "left")
    with pytest.raises(CrmInputError, match="0/1 or Yes/No"):
        cox_model(frame.assign(left=[0, 1, 2, 0, 1, 0]), "months", "left", ["plan"])
    with pytest.raises(CrmInputError, match="not found"):
        kaplan_meier(frame, "tenure", "left")
    with pytest.raises(CrmInputError, match="missing"):
        kaplan_meier(frame.assign(left=[None, "No", "Yes", "No", "Yes", "No"]), "months", "left")
    km = kaplan_meier(frame, "months", "left", "plan")
    assert km.summary["events"].tolist() == [3, 0]
    assert event_values(pd.Series([True, False]), "x").tolist() == [1, 0]


def test_bad_model_input():
    frame = _small()
    with pytest.raises(CrmInputError, match="smaller class"):
        churn_models(frame, "left", folds=5)
    with pytest.raises(CrmInputError, match="folds"):
        churn_models(frame, "left", folds=1)
    with pytest.raises(CrmInputError, match="blank_total"):
        prepare_churn_table(frame, "left", blank_total="fill")


def test_import_stays_light():
    code = (
        "import sys, crmlib.analysis.churn, crmlib.analysis.lifecycle, "
        "crmlib.analysis.survival, crmlib.analysis.retention, crmlib.analysis.spend; "
        "print(any(m.split('.')[0] in ('sklearn', 'statsmodels') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
