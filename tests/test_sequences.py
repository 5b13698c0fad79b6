"""Sequential patterns: the MSNBC reference figures, a brute-force check, and bad input."""

from __future__ import annotations

import itertools
import lzma
from collections import Counter

import numpy as np
import pandas as pd
import pytest

import crmlib.analysis.prefixspan as ps
from crmlib.config import EMBEDDED_DATA
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.io.events import read_msnbc, sequences_from_events, sequences_from_lists

MSNBC = EMBEDDED_DATA["msnbc"]


@pytest.fixture(scope="module")
def msnbc():
    return read_msnbc(MSNBC)


def brute_force(lists, min_count, max_length, max_gap=None):
    """Every distinct subsequence (as index combinations) of every sequence, counted once."""
    counts = Counter()
    for seq in lists:
        found = set()
        for k in range(1, max_length + 1):
            for idx in itertools.combinations(range(len(seq)), k):
                if max_gap is None or all(b - a <= max_gap for a, b in itertools.pairwise(idx)):
                    found.add(tuple(seq[i] for i in idx))
        counts.update(found)
    return {p: c for p, c in counts.items() if c >= min_count}


def test_msnbc_file_counts(msnbc):
    assert msnbc.n_sequences == 989_818
    assert msnbc.n_events == 4_698_794
    assert msnbc.labels[0] == "frontpage" and msnbc.labels[-1] == "travel"
    assert len(msnbc.labels) == 17
    assert msnbc.lengths().max() == 14_795
    # the first data lines of the file, read independently of the vectorised parser
    with lzma.open(MSNBC, "rt") as fh:
        lines = [next(fh) for _ in range(12)][7:]
    expected = [[msnbc.labels[int(c) - 1] for c in line.split()] for line in lines]
    assert [msnbc.sequence(i) for i in range(5)] == expected


def test_full_msnbc_reference_patterns(msnbc):
    """Spark MLlib PrefixSpan and a plain Python PrefixSpan give these (issue 9)."""
    found = ps.mine_sequences(msnbc, min_support=0.01, max_length=5)
    assert len(found) == 243
    assert found.attrs["min_count"] == 9_899
    top = list(zip(found["codes"].head(4), found["sequences"].head(4), strict=True))
    assert top == [((1,), 313_181), ((6,), 217_101), ((1, 1), 183_510), ((2,), 175_286)]
    assert found["length"].max() <= 5


@pytest.mark.parametrize("max_gap", [None, 1, 3])
@pytest.mark.parametrize("table_items", [ps.TABLE_ITEMS, 0])  # last-position table or scan
def test_sample_matches_brute_force(msnbc, monkeypatch, max_gap, table_items):
    monkeypatch.setattr(ps, "TABLE_ITEMS", table_items)
    rng = np.random.default_rng(9)
    keep = np.zeros(msnbc.n_sequences, dtype=bool)
    keep[rng.choice(msnbc.n_sequences, 4000, replace=False)] = True
    sample = msnbc.subset(keep & (msnbc.lengths() <= 12))
    found = ps.mine_sequences(sample, min_support=25, max_length=4, max_gap=max_gap)
    expected = brute_force(sample.to_lists(), 25, 4, max_gap)
    assert len(expected) > 50
    assert dict(zip(found["items"], found["sequences"], strict=True)) == expected


def test_hand_checked_patterns_and_gap():
    seqs = sequences_from_lists([["a", "b", "c"], ["a", "c"], ["b"], ["a", "x", "b", "c"]])
    found = ps.mine_sequences(seqs, min_support=2, max_length=3)
    got = dict(zip(found["pattern"], found["sequences"], strict=True))
    assert got == {"a": 3, "b": 3, "c": 3, "a > c": 3, "a > b": 2, "b > c": 2, "a > b > c": 2}
    adjacent = ps.mine_sequences(seqs, min_support=2, max_length=3, max_gap=1)
    got = dict(zip(adjacent["pattern"], adjacent["sequences"], strict=True))
    assert got == {"a": 3, "b": 3, "c": 3, "b > c": 2}  # a > c is adjacent only once
    assert ps.contains(["a", "x", "b"], ["a", "b"]) and not ps.contains(
        ["a", "x", "b"], ["a", "b"], 1
    )


def test_single_category_length_one_and_very_long_sessions():
    long_session = ["home"] * 5000
    seqs = sequences_from_lists([["home"], ["home"], long_session, ["home", "home"]])
    found = ps.mine_sequences(seqs, min_support=2, max_length=6)
    got = dict(zip(found["length"], found["sequences"], strict=True))
    assert got == {1: 4, 2: 2}  # each session counts once, however long
    gap = ps.mine_sequences(seqs, min_support=1, max_length=3, max_gap=2)
    assert dict(zip(gap["length"], gap["sequences"], strict=True)) == {1: 4, 2: 2, 3: 1}


def test_bad_parameters_say_what_to_do():
    seqs = sequences_from_lists([["a"]])
    with pytest.raises(CrmInputError, match="min_support"):
        ps.mine_sequences(seqs, min_support=0)
    with pytest.raises(CrmInputError, match="max_gap"):
        ps.mine_sequences(seqs, max_gap=0)
    with pytest.raises(EmptyResultError):
        ps.mine_sequences(sequences_from_lists([]))
    with pytest.raises(CrmInputError, match="Sequences"):
        ps.mine_sequences([["a"]])


def test_event_table_ties_keep_input_order():
    events = pd.DataFrame(
        {
            "visitor": ["v1", "v1", "v2", "v1", "v2"],
            "page": ["cart", "home", "home", "pay", "news"],
            "at": ["2024-01-01 10:05", "2024-01-01 10:00", "2024-01-01 09:00",
                   "2024-01-01 10:05", "2024-01-01 09:00"],
        }
    )  # fmt: skip
    seqs = sequences_from_events(events, session="visitor", event="page", time="at")
    assert seqs.to_lists() == [["home", "cart", "pay"], ["home", "news"]]
    assert "2 events share a timestamp" in seqs.notes[0]
    with pytest.raises(CrmInputError, match="no column"):
        sequences_from_events(events, session="session", event="page")


def test_reader_rejects_files_that_are_not_msnbc(tmp_path):
    bad = tmp_path / "x.seq"
    bad.write_text("% header\n\na b\n\n\n% Sequences:\n\n1 2 x\n")
    with pytest.raises(CrmInputError, match="unexpected character"):
        read_msnbc(bad)
    out_of_range = tmp_path / "y.seq"
    out_of_range.write_text("% header\n\na b\n\n\n% Sequences:\n\n1 3\n\n2\n")
    with pytest.raises(CrmInputError, match=r"codes must be 1\.\.2"):
        read_msnbc(out_of_range)
    with pytest.raises(CrmInputError, match="not found"):
        read_msnbc(tmp_path / "missing.seq")
    ok = tmp_path / "z.seq"
    ok.write_text("% header\n\na b\n\n\n% Sequences:\n\n1 2 \n\n2\n")
    seqs = read_msnbc(ok)
    assert seqs.to_lists() == [["a", "b"], ["b"]] and "1 empty line" in seqs.notes[0]


def test_float_support_is_a_share_and_one_means_every_sequence():
    """Issue 9 review item 8: 1.0 is 100 % of sequences, not a count of one."""
    seqs = sequences_from_lists([["a", "b"], ["a"], ["b", "a"]])
    everywhere = ps.mine_sequences(seqs, min_support=1.0, max_length=3)
    assert dict(zip(everywhere["pattern"], everywhere["sequences"], strict=True)) == {"a": 3}
    assert everywhere.attrs["min_count"] == 3
    assert ps.mine_sequences(seqs, min_support=np.float64(0.5)).attrs["min_count"] == 2
    counted = ps.mine_sequences(seqs, min_support=1, max_length=3)  # an int is a count
    assert set(counted["pattern"]) == {"a", "b", "a > b", "b > a"}
    assert ps.mine_sequences(seqs, min_support=np.int64(2)).attrs["min_count"] == 2
    with pytest.raises(CrmInputError, match=r"ambiguous.*as an int \(e\.g\. 2\)"):
        ps.mine_sequences(seqs, min_support=2.0)
    with pytest.raises(CrmInputError, match="min_support must be a number"):
        ps.mine_sequences(seqs, min_support=True)


@pytest.mark.parametrize("max_gap", [None, 2])
def test_pattern_explosion_stops_with_advice(max_gap):
    """One sequence of 4 distinct events holds 15 subsequences; a limit of 10 stops it."""
    seqs = sequences_from_lists([["a", "b", "c", "d"]])
    every = ps.mine_sequences(seqs, min_support=1, max_length=4, max_gap=max_gap)
    assert len(every) == (15 if max_gap is None else 14)  # a > d is 3 apart
    with pytest.raises(CrmInputError, match=r"More than 10 patterns.*raise min_support"):
        ps.mine_sequences(seqs, min_support=1, max_length=4, max_gap=max_gap, max_patterns=10)


def test_customer_sequences_keep_pseudonyms_not_raw_ids(tmp_path, monkeypatch):
    """Issue 9 review item 22: customer ids never reach Sequences.ids or the disk cache."""
    from crmlib.analysis.sequences import purchase_sequences
    from crmlib.notebook.paths import purchase_paths
    from crmlib.privacy import pseudonymise

    buys = pd.DataFrame(
        {
            "customer_id": ["17850", "17850", "13047", "17850", "13047"],
            "order_date": pd.to_datetime(
                ["2011-01-02", "2011-01-01", "2011-01-01", "2011-01-03", "2011-01-05"]
            ),
            "description": ["mug", "tea", "tea", "cake", "mug"],
        }
    )
    seqs = purchase_sequences(buys, item="description")
    assert seqs.to_lists() == [["tea", "mug", "cake"], ["tea", "mug"]]
    assert list(seqs.ids) == list(pseudonymise(pd.Series(["17850", "13047"])))
    assert all(i.startswith("C-") for i in seqs.ids) and "17850" not in list(seqs.ids)
    visits = sequences_from_events(buys, session="customer_id", event="description",
                                   pseudonymise_ids=False)  # fmt: skip
    assert list(visits.ids) == ["17850", "13047"]
    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path))
    view = purchase_paths(buys, "inline-buys", min_support=0.5, max_length=2)
    assert "17850" not in list(view.seqs.ids)
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*.pkl"))
    assert stored and b"17850" not in stored and b"13047" not in stored
