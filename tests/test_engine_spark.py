"""Spark engine in local mode: the local engine's rules, sequence counts, RFM table and
segments, and clear messages for settings Spark refuses. One SparkSession for the module."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlib.analysis.baskets import read_basket_lines
from crmlib.analysis.prefixspan import mine_sequences
from crmlib.analysis.rfm import rfm_scores, rfm_table
from crmlib.analysis.rules import mine_rules
from crmlib.analysis.segments import assign_segments, segment_summary
from crmlib.config import DATA_DIR, EMBEDDED_DATA, PROJECT_ROOT
from crmlib.engines import engine_config
from crmlib.engines.duckdb_engine import write_canonical
from crmlib.engines.spark import find_java
from crmlib.io import customer_rows, load_transactions
from crmlib.io.events import read_msnbc
from tests.conftest import run_notebook
from tests.test_engine_config import SPARK_THEN_LOCAL, _run

pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[test]'")
if find_java() is None:
    pytest.skip(
        "Spark tests need Java 17 (.ci/run installs a headless JRE)", allow_module_level=True
    )

from crmlib.engines import spark as S

RULE_KEY = ["antecedent", "consequent"]
FIMI_SAMPLE = DATA_DIR / "fimi_retail" / "retail_sample.dat.gz"
FIMI_FULL = PROJECT_ROOT.parent / "shared" / "data" / "fimi_retail" / "retail.dat.gz"


@pytest.fixture(scope="module")
def spark():
    session = S.spark_session(engine_config("spark", master="local[2]", conf={}))
    yield session
    S.stop_session()


def _same_rules(spark_rules: pd.DataFrame, local_rules: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        spark_rules.sort_values(RULE_KEY).reset_index(drop=True),
        local_rules.sort_values(RULE_KEY).reset_index(drop=True),
    )


@pytest.mark.parametrize(("support", "confidence", "expected"),
                         [(0.005, 0.5, 120), (0.001, 0.5, 5668), (0.001, 0.8, 410)])  # fmt: skip
def test_groceries_rules_identical(spark, support, confidence, expected):
    frame = S.basket_lines(spark, EMBEDDED_DATA["groceries"])
    got = S.mine_rules_spark(frame, min_support=support, min_confidence=confidence)
    local = mine_rules(read_basket_lines(EMBEDDED_DATA["groceries"]), min_support=support,
                       min_confidence=confidence)  # fmt: skip
    assert len(got.rules) == expected
    assert (got.n_baskets, got.min_count) == (9_835, local.min_count)
    _same_rules(got.rules, local.rules)
    assert got.funnel == local.funnel


@pytest.mark.parametrize(("support", "expected"), [(0.005, 493), (0.002, 2_454)])
def test_fimi_retail_sample_rules_identical(spark, support, expected):
    frame = S.basket_lines(spark, FIMI_SAMPLE, sep=" ")
    got = S.mine_rules_spark(frame, min_support=support, min_confidence=0.5)
    local = mine_rules(read_basket_lines(FIMI_SAMPLE, sep=" "), min_support=support,
                       min_confidence=0.5)  # fmt: skip
    assert len(got.rules) == expected
    _same_rules(got.rules, local.rules)


@pytest.mark.shared_data
def test_fimi_retail_full_rules_identical(spark):
    if not FIMI_FULL.exists():
        pytest.skip(f"{FIMI_FULL} is absent (../shared/data not mounted)")
    frame = S.basket_lines(spark, FIMI_FULL, sep=" ")
    got = S.mine_rules_spark(frame, min_support=0.005, min_confidence=0.5)
    local = mine_rules(read_basket_lines(FIMI_FULL, sep=" "), min_support=0.005,
                       min_confidence=0.5)  # fmt: skip
    assert len(got.rules) == 402
    _same_rules(got.rules, local.rules)


def test_msnbc_sample_prefixspan_counts_identical(spark):
    msnbc = read_msnbc(EMBEDDED_DATA["msnbc"])
    rng = np.random.default_rng(10)
    keep = np.zeros(msnbc.n_sequences, dtype=bool)
    keep[rng.choice(msnbc.n_sequences, 20_000, replace=False)] = True
    sample = msnbc.subset(keep)
    local = mine_sequences(sample, min_support=0.01, max_length=5)
    got = S.mine_sequences_spark(spark, sample, min_support=0.01, max_length=5)
    assert len(got) == len(local) > 100
    pd.testing.assert_frame_equal(got, local)
    assert got.attrs["min_count"] == local.attrs["min_count"] == 200


@pytest.fixture(scope="module")
def retail_parquet(tmp_path_factory) -> Path:
    return write_canonical("embedded:online_retail", tmp_path_factory.mktemp("canonical"))


def test_rfm_and_segments_identical_on_online_retail(spark, retail_parquet):
    data = customer_rows(load_transactions("embedded:online_retail").data)
    local = rfm_table(data)
    lines = S.read_lines(spark, retail_parquet)
    got = S.rfm_spark(spark, lines)
    assert len(got) == 4_324
    exact = ["customer_id", "recency_days", "frequency", "tenure_days", "first_order",
             "last_order"]  # fmt: skip
    pd.testing.assert_frame_equal(got[exact], local[exact])
    pd.testing.assert_frame_equal(got, local, rtol=1e-12)
    summary, note = S.segments_spark(spark, lines)
    assert "Champions" in set(summary["segment"])
    local_summary, local_note = segment_summary(assign_segments(rfm_scores(local)[0]))
    assert note == local_note
    pd.testing.assert_frame_equal(summary, local_summary, rtol=1e-12, check_dtype=False)
    # an earlier observation day leaves later orders out, as locally
    earlier = S.rfm_spark(spark, lines, observation_date="2011-06-30")
    pd.testing.assert_frame_equal(earlier, rfm_table(data, observation_date="2011-06-30"),
                                  rtol=1e-12)  # fmt: skip


def test_order_lines_give_the_rules_of_load_baskets(spark, retail_parquet):
    from crmlib.analysis import load_baskets

    frame = S.baskets_from_lines(S.read_lines(spark, retail_parquet))
    got = S.mine_rules_spark(frame, min_support=0.01, min_confidence=0.5)
    local = mine_rules(load_baskets("embedded:online_retail"), min_support=0.01,
                       min_confidence=0.5)  # fmt: skip
    assert len(got.rules) == len(local.rules) > 0
    _same_rules(got.rules, local.rules)


def test_setting_spark_refuses_is_named_and_local_engine_keeps_working():
    # a fresh process: the module's session already runs in this one
    env = {**os.environ, "CRM_SPARK_CONF": "spark.driver.memory=lots"}
    done = _run(SPARK_THEN_LOCAL, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ERROR: Spark did not start" in done.stdout
    assert "'spark.driver.memory': 'lots'" in done.stdout
    assert "RULES: 120" in done.stdout


@pytest.mark.notebook
def test_basket_notebook_on_spark(built, tmp_path, spark):
    records, output = run_notebook(
        built, tmp_path, "basket_analysis", engine="spark", source="embedded:groceries",
        min_support=0.005, min_confidence=0.5,
    )  # fmt: skip
    assert records["engine"] == "spark"
    assert records["rules"] == 120
    assert "mine rules (spark)" in records["engine_seconds"]
    assert "Engine: <b>spark</b>" in output.read_text(encoding="utf-8")
