"""Engine choice and settings, the step timer, rules from counts, and what each bad
configuration says; none of these start Spark or Java."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from crmlib.analysis.baskets import baskets_from_lists, read_basket_lines
from crmlib.analysis.mining import frequent_itemsets_codes
from crmlib.analysis.rules import mine_rules
from crmlib.config import EMBEDDED_DATA, PROJECT_ROOT
from crmlib.engines import EngineError, StepTimer, engine_config
from crmlib.engines.config import SPARK_DEFAULTS, parse_conf
from crmlib.engines.counts import rules_from_counts
from crmlib.engines.spark import check_spark, find_java

RULE_KEY = ["antecedent", "consequent"]


# Start Spark in a fresh process, then mine Groceries locally: prints the error and "RULES: 120"
SPARK_THEN_LOCAL = """
from crmlib.engines import EngineError, engine_config
from crmlib.engines.spark import spark_session
from crmlib.analysis import load_baskets
from crmlib.analysis.rules import mine_rules
try:
    spark_session(engine_config("spark"))
except EngineError as exc:
    print("ERROR:", exc)
print("RULES:", len(mine_rules(load_baskets("embedded:groceries"), min_support=0.005,
                               min_confidence=0.5).rules))
"""


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        cwd=PROJECT_ROOT, env=env, timeout=300,
    )  # fmt: skip


def test_default_is_local_and_environment_is_read(monkeypatch):
    for var in ("CRM_ENGINE", "CRM_SPARK_MASTER", "CRM_SPARK_CONF", "CRM_DUCKDB_MEMORY"):
        monkeypatch.delenv(var, raising=False)
    assert engine_config().name == "local"
    assert engine_config("").master == "local[2]"
    monkeypatch.setenv("CRM_ENGINE", "Spark")
    monkeypatch.setenv("CRM_SPARK_MASTER", "spark://cluster:7077")
    monkeypatch.setenv("CRM_SPARK_CONF", "spark.executor.memory=4g; spark.sql.shuffle.partitions=8")
    cfg = engine_config()
    assert (cfg.name, cfg.master) == ("spark", "spark://cluster:7077")
    assert cfg.conf == {"spark.executor.memory": "4g", "spark.sql.shuffle.partitions": "8"}
    merged = cfg.spark_conf()
    assert merged["spark.sql.shuffle.partitions"] == "8"
    assert merged["spark.ui.enabled"] == SPARK_DEFAULTS["spark.ui.enabled"] == "false"
    # a parameter beats the environment
    assert engine_config("duckdb", duckdb_memory="2GB").detail == "memory limit 2GB"
    assert parse_conf('{"spark.a": 1}') == {"spark.a": "1"}


@pytest.mark.parametrize(
    ("engine", "conf", "says"),
    [
        ("pandas", None, "engine must be one of local, duckdb, spark; got 'pandas'"),
        ("spark", "executor.memory=4g", "['executor.memory'] are not Spark settings"),
        ("spark", "spark.executor.memory", "is not a key=value pair"),
        ("spark", "{not json", "is not a valid JSON object"),
    ],
)
def test_bad_settings_say_what_to_fix(engine, conf, says):
    with pytest.raises(EngineError, match=r".*") as info:
        engine_config(engine, conf=conf)
    assert says in str(info.value)


def test_importing_the_library_does_not_load_pyspark():
    done = _run(
        """
        import sys
        import crmlib.analysis, crmlib.engines, crmlib.engines.spark
        import crmlib.engines.duckdb_engine, crmlib.notebook.engine
        from crmlib.engines import engine_config
        engine_config("spark")
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("pyspark", "py4j")))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_unreachable_master_fails_fast_with_a_message():
    # check_spark probes the master's port with a socket before any JVM could start
    with pytest.raises(EngineError) as info:
        check_spark(engine_config("spark", master="spark://127.0.0.1:1"), timeout=2.0)
    text = str(info.value)
    assert "spark://127.0.0.1:1 is unreachable" in text and "CRM_SPARK_MASTER" in text
    assert "local engine" in text
    with pytest.raises(EngineError, match="is not a master URL"):
        check_spark(engine_config("spark", master="127.0.0.1:7077"))


def test_missing_java_is_named_and_local_engine_keeps_working(tmp_path):
    empty = tmp_path / "jdk"
    empty.mkdir()
    assert find_java({"JAVA_HOME": str(empty), "PATH": ""}) is None
    env = {**os.environ, "JAVA_HOME": str(empty), "PATH": os.path.dirname(sys.executable)}
    env.pop("CRM_ENGINE", None)
    done = _run(SPARK_THEN_LOCAL, env=env)
    assert done.returncode == 0, done.stderr
    assert f"JAVA_HOME={empty} has no bin/java" in done.stdout
    assert "openjdk-17-jre-headless" in done.stdout
    assert "RULES: 120" in done.stdout


def test_step_timer_records_steps_in_order():
    timer = StepTimer("duckdb", "memory limit 1GB")
    with timer.step("read"):
        pass
    with pytest.raises(ValueError), timer.step("mine"):
        raise ValueError
    timer.add("read", 0.5)
    assert timer.table()["step"].tolist() == ["read", "mine", "read"]
    assert timer.as_dict()["read"] >= 0.5
    assert timer.total() >= 0.5


def test_rules_from_counts_hand_checked():
    # baskets: {a,b}, {a,b}, {a}, {b,c}: a→b has n_ab 2, n_a 3, n_b 3; b→a the same
    rules = rules_from_counts(
        [("a",), ("b",), ("c",), ("b", "a"), ("b", "c")], [3, 3, 1, 2, 1], 4,
        min_count=2, min_confidence=0.6,
    ).rules  # fmt: skip
    pairs = sorted(zip(rules["antecedent"], rules["consequent"], strict=True))
    assert pairs == [(("a",), ("b",)), (("b",), ("a",))]
    first = rules.iloc[0]
    assert (first["count"], first["antecedent_count"], first["consequent_count"]) == (2, 3, 3)
    assert first["confidence"] == pytest.approx(2 / 3)
    assert first["lift"] == pytest.approx((2 / 3) / (3 / 4))
    local = mine_rules(baskets_from_lists([["a", "b"], ["a", "b"], ["a"], ["b", "c"]]),
                       min_support=2, min_confidence=0.6).rules  # fmt: skip
    pd.testing.assert_frame_equal(_sorted(rules), _sorted(local))


def _sorted(rules: pd.DataFrame) -> pd.DataFrame:
    return rules.sort_values(RULE_KEY).reset_index(drop=True)


@pytest.mark.parametrize(("support", "confidence", "expected"),
                         [(0.005, 0.5, 120), (0.001, 0.5, 5668), (0.001, 0.8, 410)])  # fmt: skip
def test_rules_from_local_counts_equal_mine_rules(support, confidence, expected):
    baskets = read_basket_lines(EMBEDDED_DATA["groceries"])
    local = mine_rules(baskets, min_support=support, min_confidence=confidence)
    found = frequent_itemsets_codes(baskets.matrix, local.min_count)
    labels = baskets.items.to_numpy()
    rebuilt = rules_from_counts(
        [labels[list(s)] for s in found.itemsets], found.counts, baskets.n_baskets,
        min_count=local.min_count, min_confidence=confidence,
    )  # fmt: skip
    assert len(rebuilt.rules) == expected
    pd.testing.assert_frame_equal(_sorted(rebuilt.rules), _sorted(local.rules))
    assert rebuilt.funnel == local.funnel
