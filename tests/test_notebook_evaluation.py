"""The evaluation notebook run headless: Hillstrom figures recorded, before/after example runs."""

from __future__ import annotations

import papermill as pm
import pytest

from tests.conftest import run_notebook

pytestmark = pytest.mark.notebook
SAMPLE = "embedded:online_retail_sample"


def test_evaluation_records_the_hillstrom_effects(built, tmp_path):
    records, output = run_notebook(built, tmp_path, "evaluation")
    assert records["srm_p"] == pytest.approx(0.90, abs=0.005)
    assert records["arm_sizes"] == {"Mens E-Mail": 21307, "No E-Mail": 21306,
                                    "Womens E-Mail": 21387}  # fmt: skip
    mens = records["effects"]["visit | Mens E-Mail"]
    assert mens["abs_effect"] == pytest.approx(0.0766, abs=5e-5)
    assert (mens["ci_low"], mens["ci_high"]) == pytest.approx((0.0700, 0.0832), abs=5e-5)
    womens = records["effects"]["visit | Womens E-Mail"]
    assert womens["abs_effect"] == pytest.approx(0.0452, abs=5e-5)
    assert womens["counterfactual"] == pytest.approx(0.1062, abs=5e-5)
    spend = records["effects"]["spend | Mens E-Mail"]
    assert spend["actual"] == pytest.approx(1.423, abs=5e-4)
    assert spend["counterfactual"] == pytest.approx(0.653, abs=5e-4)
    # the before/after example ran the time-series design, labelled hypothetical
    assert records["before_after_design"] == "time_series"
    ba = records["before_after"]
    assert ba["ci_low"] < ba["abs_effect"] < ba["ci_high"]
    text = output.read_text(encoding="utf-8")
    assert "HYPOTHETICAL intervention date" in text
    assert "sample-ratio check passes" in text


def test_evaluation_design_override_runs_did(built, tmp_path):
    records, _ = run_notebook(built, tmp_path, "evaluation", source=SAMPLE, design="did",
                              intervention_date="2011-06-01")  # fmt: skip
    assert records["before_after_design"] == "did"


def test_date_outside_the_data_is_a_message(built, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as info:
        run_notebook(built, tmp_path, "evaluation", intervention_date="2030-01-01")
    assert info.value.ename == "CrmInputError"
    assert "outside the data" in info.value.evalue
    assert len(info.value.traceback) == 1
