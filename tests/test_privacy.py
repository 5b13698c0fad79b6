"""Pseudonyms are stable, keyed and hide the id; small groups are merged or hidden."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.privacy import privacy_note, pseudonymise, pseudonymise_frame, suppress_small


def test_pseudonyms_are_stable_and_keyed():
    ids = pd.Series(["17850", "13047", None, "17850"])
    a = pseudonymise(ids, key="k1")
    assert a[0] == a[3] and a[0] != a[1]
    assert pd.isna(a[2])
    assert a.str.startswith("C-").sum() == 3
    assert not a.dropna().str.contains("17850").any()
    assert pseudonymise(ids, key="k1").equals(a)
    assert pseudonymise(ids, key="k2")[0] != a[0]


def test_pseudonymise_frame_leaves_the_input_alone():
    frame = pd.DataFrame({"customer_id": ["1", "2"], "x": [1, 2]})
    out = pseudonymise_frame(frame, key="k")
    assert frame["customer_id"].tolist() == ["1", "2"]
    assert out["customer_id"].str.startswith("C-").all()


def test_environment_key_is_used(monkeypatch):
    ids = pd.Series(["1"])
    demo = pseudonymise(ids)[0]
    monkeypatch.setenv("CRM_PSEUDONYM_KEY", "secret")
    assert pseudonymise(ids)[0] != demo
    assert "CRM_PSEUDONYM_KEY" in privacy_note() and "demo" not in privacy_note()


def test_small_groups_are_merged_with_a_note():
    table = pd.DataFrame(
        {"country": ["UK", "FR", "NL", "BE"], "customers": [50, 3, 4, 9], "revenue": [9, 1, 2, 3]}
    )
    out, note = suppress_small(table, group="country", k=5, sum_columns=("revenue",))
    assert out["country"].tolist() == ["UK", "BE", "Other (small groups)"]
    assert out["customers"].tolist() == [50, 9, 7]
    assert out["revenue"].tolist() == [9, 3, 3]
    assert "2 group(s) with fewer than 5 customers" in note


def test_merged_group_still_too_small_is_hidden():
    table = pd.DataFrame({"country": ["UK", "FR"], "customers": [50, 2]})
    out, note = suppress_small(table, group="country", k=5)
    assert pd.isna(out.loc[1, "customers"])
    assert "hidden" in note


def test_nothing_small_means_no_note():
    table = pd.DataFrame({"country": ["UK"], "customers": [50]})
    assert suppress_small(table, group="country")[1] == ""
    with pytest.raises(ValueError, match="at least 1"):
        suppress_small(table, group="country", k=0)
