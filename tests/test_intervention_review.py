"""Fixes from the review of the evaluation analysis (issue 8), on hand-checkable inline data."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.analysis.intervention_ab import compare_arms
from crmlib.analysis.intervention_ts import impact
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.notebook.evaluation import before_after_inputs, evaluate_before_after


def _lines(weeks: int = 20, countries: dict[str, int] | None = None) -> pd.DataFrame:
    """Order lines from Monday 2021-01-04: customer ``i`` of a country orders once a week, on
    Tuesday, for ``10 + i`` plus 0 to 6; ``countries`` maps country to number of customers."""
    countries = countries or {"A": 5, "B": 5, "C": 5}
    rows = [
        {"order_id": f"{c}{i}-{w}", "customer_id": f"{c}{i}", "country": c,
         "order_date": pd.Timestamp("2021-01-05") + pd.Timedelta(weeks=w),
         "amount": 10.0 + i + (w * w + ord(c[0]) * w + i * i) % 7}
        for c, n in countries.items() for i in range(n) for w in range(weeks)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_empty_experiment_table_is_a_clear_message():
    empty = pd.DataFrame({"arm": pd.Series([], dtype=str), "y": pd.Series([], dtype=float)})
    with pytest.raises(EmptyResultError, match="experiment table has no rows"):
        compare_arms(empty, arm="arm", metrics=["y"])


@pytest.mark.parametrize("where", ["notebook", "impact"])
def test_unreadable_intervention_date_is_a_clear_message(where):
    with pytest.raises(CrmInputError, match="use YYYY-MM-DD"):
        if where == "notebook":
            evaluate_before_after(before_after_inputs(_lines()), intervention="not a date")
        else:
            frame = pd.DataFrame({"y": range(10)}, index=pd.date_range("2021-01-04", periods=10))
            impact(frame, outcome="y", intervention="not a date")


def test_time_series_table_names_the_metric_and_the_treated_group():
    result, _ = evaluate_before_after(before_after_inputs(_lines()), intervention="2021-04-12",
                                      treated="A", metric="revenue", draws=50)  # fmt: skip
    assert list(result.table["metric"]) == ["revenue (average per period)", "revenue (cumulative)"]
    assert set(result.table["group"]) == {"A"}
    assert "revenue of A averaged" in result.summary


def _without(lines: pd.DataFrame, country: str, week: int) -> pd.DataFrame:
    """``lines`` without the orders of ``country`` in week ``week`` (so its aov is undefined)."""
    day = pd.Timestamp("2021-01-05") + pd.Timedelta(weeks=week)
    return lines[~((lines["country"] == country) & (lines["order_date"] == day))]


def test_undefined_ratio_weeks_inside_the_span_are_refused_not_dropped():
    inputs = before_after_inputs(_without(_lines(), "B", 5))
    gap = r"aov is undefined in 1 week\(s\).*2021-02-08.*for B.*weeks to at most 8 "
    with pytest.raises(CrmInputError, match=gap):
        evaluate_before_after(inputs, intervention="2021-04-12", treated="A", metric="aov",
                              controls=["B", "C"], draws=50)  # fmt: skip
    # automatic controls skip the group with the gap instead
    result, reason = evaluate_before_after(inputs, intervention="2021-04-12", treated="A",
                                           metric="aov", draws=50)  # fmt: skip
    assert "weekly aov of C." in reason and result.details["series"]["period"].is_unique


def test_undefined_leading_weeks_are_left_out_with_a_note():
    inputs = before_after_inputs(_without(_lines(), "B", 1))
    result, reason = evaluate_before_after(inputs, intervention="2021-04-12", treated="A",
                                           metric="aov", controls=["B", "C"], draws=50)  # fmt: skip
    assert "first 1 week(s) are left out: aov is undefined" in reason
    # weeks 2021-01-18 .. 2021-04-05: 12 pre-periods (the partial first week is not one)
    series = result.details["series"]
    assert series["period"].min() == pd.Timestamp("2021-01-18")
    assert (~series["post"]).sum() == 12


def test_date_before_the_data_reports_the_data_range():
    with pytest.raises(CrmInputError, match="outside the data") as info:
        evaluate_before_after(before_after_inputs(_lines()), intervention="2020-06-01",
                              treated="A", post_weeks=4)  # fmt: skip
    assert "NaT" not in str(info.value) and "(2021-01-11 to 2021-05-10)" in str(info.value)


def test_countries_with_fewer_than_five_customers_are_left_out():
    inputs = before_after_inputs(_lines(countries={"A": 5, "B": 5, "C": 5, "D": 1, "E": 4}))
    assert inputs.hidden == ["D", "E"]
    assert set(inputs.weekly["country"]) == {"A", "B", "C"}
    assert "2 countries with fewer than 5 customers (D, E) are left out" in inputs.note
    _, reason = evaluate_before_after(inputs, intervention="2021-04-12", treated="A", draws=50)
    assert reason.endswith("Controls: weekly revenue of B, C.")  # D and E are no controls
    for kwargs in ({"treated": "D"}, {"treated": "A", "controls": ["B", "E"]}):
        with pytest.raises(CrmInputError, match="fewer than 5 customers"):
            evaluate_before_after(inputs, intervention="2021-04-12", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"treated": "Atlantis"}, "treated group 'Atlantis' is not a country"),
     ({"treated": "D"}, "'D' has fewer than 5 customers"),
     ({"metric": "profit"}, "Unknown metric 'profit'"),
     ({"design": "magic"}, "Unknown design 'magic'"),
     ({"intervention": "not a date"}, "use YYYY-MM-DD")],
)  # fmt: skip
def test_app_refuses_bad_choices_with_a_message(kwargs, message):
    from widgets.evaluation_app import EvaluationApp

    inputs = before_after_inputs(_lines(countries={"A": 5, "B": 5, "D": 1}))
    with pytest.raises(CrmInputError, match=message):
        EvaluationApp(inputs, **{"intervention": "2021-04-12", "treated": "A", **kwargs})


def test_app_needs_nine_weeks_and_offers_only_large_groups():
    from widgets.evaluation_app import EvaluationApp

    with pytest.raises(CrmInputError, match="covers 8 complete week"):
        EvaluationApp(before_after_inputs(_lines(weeks=10)), intervention="2021-02-01",
                      treated="A")  # fmt: skip
    inputs = before_after_inputs(_lines(countries={"A": 5, "B": 5, "C": 5, "D": 1}))
    app = EvaluationApp(inputs, intervention="2021-04-12", treated="A")
    assert list(app.treated.options) == ["A", "B", "C"]
    assert "Effect on revenue (average per period) in A from 2021-04-12" in app.effect.value


def test_experiment_table_is_read_with_the_project_reader(tmp_path):
    from crmlib.notebook.evaluation import load_experiment

    frame = pd.DataFrame({"arm": ["对照", "对照", "邮件", "邮件"], "visit": [0, 1, 1, 1]})
    frame.to_parquet(tmp_path / "test.parquet")
    (tmp_path / "test.csv").write_bytes(frame.to_csv(index=False).encode("gb18030"))
    for loaded in (load_experiment(str(tmp_path / "test.parquet")),
                   load_experiment(str(tmp_path / "test.csv"), encoding="gb18030")):  # fmt: skip
        assert loaded["arm"].tolist() == ["对照", "对照", "邮件", "邮件"]
        row = compare_arms(loaded, arm="arm", metrics=["visit"], control="对照").table.iloc[0]
        assert row["abs_effect"] == pytest.approx(0.5)  # 2/2 visits against 1/2
    with pytest.raises(CrmInputError, match="encoding"):  # the reader's own advice
        load_experiment(str(tmp_path / "test.csv"))


def _country_panel(treated_units: int, control_units: int) -> pd.DataFrame:
    """Unit u has y = u + period, plus 1 for treated units from period 2 (effect exactly 1)."""
    rows = [
        {"unit": f"u{u}", "period": p, "treated": u < treated_units,
         "y": u + p + (1.0 if u < treated_units and p >= 2 else 0.0) + 0.1 * ((u * p) % 3)}
        for u in range(treated_units + control_units) for p in range(4)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_did_with_few_clusters_warns_loudly():
    from crmlib.analysis.intervention_did import diff_in_diff

    one = diff_in_diff(_country_panel(1, 12), unit="unit", period="period", outcome="y",
                       treated="treated", intervention=2)  # fmt: skip
    assert one.warnings[0].startswith("FEW CLUSTERS: only 1 treated and 12 untreated units")
    assert one.summary.startswith("FEW CLUSTERS")
    few_controls = diff_in_diff(_country_panel(12, 9), unit="unit", period="period",
                                outcome="y", treated="treated", intervention=2)  # fmt: skip
    assert "9 untreated" in few_controls.warnings[0]
    enough = diff_in_diff(_country_panel(10, 10), unit="unit", period="period", outcome="y",
                          treated="treated", intervention=2)  # fmt: skip
    assert not any(w.startswith("FEW CLUSTERS") for w in enough.warnings)


MODULES = ["crmlib.analysis.intervention", "crmlib.analysis.intervention_ab",
           "crmlib.analysis.intervention_did", "crmlib.analysis.intervention_metrics",
           "crmlib.analysis.intervention_ts", "crmlib.charts.intervention",
           "crmlib.notebook.evaluation"]  # fmt: skip


def test_public_functions_are_typed_and_the_reviewed_ones_documented():
    import importlib
    import inspect

    untyped, public = [], {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, func in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(func) or func.__module__ != name:
                continue
            public[attr] = func
            sig = inspect.signature(func)
            if sig.return_annotation is inspect.Signature.empty or any(
                p.annotation is inspect.Parameter.empty for p in sig.parameters.values()
            ):
                untyped.append(f"{name}.{attr}")
    assert untyped == []
    assert "event_study_table" not in public and "placebo_table" not in public  # now private
    for attr in ("parameter_draws", "simulate_paths", "evaluation_chart", "show_result"):
        doc = public[attr].__doc__
        assert "Parameters\n    ----------" in doc and "Returns\n    -------" in doc, attr


def test_notebook_sections_are_one_call_each():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(__file__).parents[1].joinpath("notebooks/evaluation.py").read_text())
    logic = (ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.IfExp)
    assert [type(n).__name__ for n in ast.walk(tree) if isinstance(n, logic)] == []
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Name)}  # fmt: skip
    assert "evaluate_before_after" not in called and "show_before_after" in called


def test_effect_records_by_hand():
    from crmlib.notebook.evaluation import effect_record, effect_records

    frame = pd.DataFrame({"arm": ["c"] * 4 + ["t"] * 4, "y": [1, 2, 3, 4, 3, 4, 5, 6]})
    records = effect_records(compare_arms(frame, arm="arm", metrics=["y"], control="c"))
    assert list(records) == ["y | t"]
    assert (records["y | t"]["actual"], records["y | t"]["counterfactual"]) == (4.5, 2.5)
    assert records["y | t"]["abs_effect"] == 2.0
    assert effect_record(None) is None
