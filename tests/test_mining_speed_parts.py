"""The fast parts of the rule miner against slow, obvious references.

Fisher p-values against ``scipy.stats.hypergeom.sf`` and exact integer sums, the bitset
itemset search against brute-force counting, and the Arrow line reader against hand-written
expectations. No timing here: ``bench/basket.py`` measures speed.
"""

from __future__ import annotations

import gzip
import itertools
import math

import numpy as np
import pytest
from scipy import sparse, stats

from crmlib.analysis.baskets import read_basket_lines
from crmlib.analysis.mining import frequent_itemsets_codes, hypergeom_upper_tail
from crmlib.analysis.rules import measures
from crmlib.errors import CrmInputError

RTOL = 1e-8
TINY = 1e-290  # below this scipy and we both lose the value to underflow


def _random_counts(rng, n: int, size: int, cap: int | None = None):
    """Valid (n_ab, n_a, n_b) triples, n_ab anywhere in its possible range."""
    n_a = rng.integers(0, n + 1, size)
    n_b = rng.integers(0, n + 1, size)
    if cap is not None:
        n_a = np.minimum(n_a, rng.integers(1, cap, size))
        n_b = np.minimum(n_b, rng.integers(1, cap, size))
    low = np.maximum(n_a + n_b - n, 0)
    high = np.minimum(n_a, n_b)
    n_ab = np.minimum(low + (rng.random(size) * (high - low + 1)).astype(np.int64), high)
    return n_ab, n_a, n_b


def _assert_matches_scipy(n_ab, n_a, n_b, n):
    ours = hypergeom_upper_tail(n_ab, n_a, n_b, n)
    ref = stats.hypergeom.sf(np.asarray(n_ab) - 1, n, n_a, n_b)
    big = ref > TINY
    np.testing.assert_allclose(ours[big], ref[big], rtol=RTOL, atol=0)
    assert np.all(ours[~big] <= 1e-280)
    assert np.all((ours >= 0) & (ours <= 1))


def _exact_tail(n_ab: int, n_a: int, n_b: int, n: int) -> float:
    """The tail as a ratio of exact integers, rounded once to a float."""
    top = sum(
        math.comb(n_a, k) * math.comb(n - n_a, n_b - k) for k in range(n_ab, min(n_a, n_b) + 1)
    )
    return top / math.comb(n, n_b)


@pytest.mark.parametrize(
    ("n", "cap"),
    [
        (1, None),
        (2, None),
        (7, None),
        (60, None),
        (1_000, None),
        (88_162, 3_000),
        (1_000_000, 3_000),
    ],
)
def test_fisher_tail_matches_scipy_on_random_counts(n, cap):
    rng = np.random.default_rng(n)
    _assert_matches_scipy(*_random_counts(rng, n, 4_000, cap), n)


def test_fisher_tail_matches_scipy_on_rule_like_counts():
    # what mining makes: confident rules, n_ab well above its expectation, big and small items
    rng = np.random.default_rng(5)
    n = 88_162
    n_a = rng.integers(89, 20_000, 3_000)
    n_b = rng.integers(89, 50_000, 3_000)
    n_ab = np.minimum(np.ceil(n_a * rng.uniform(0.5, 1.0, 3_000)).astype(np.int64), n_b)
    _assert_matches_scipy(n_ab, n_a, n_b, n)


def test_fisher_tail_edge_counts():
    n = 9_835
    cases = [  # (n_ab, n_a, n_b)
        (0, 0, 0),
        (0, 10, 20),  # n_ab = 0: the whole distribution
        (0, 9_000, 9_000),
        (8_165, 9_000, 9_000),  # n_ab at its smallest possible value
        (8_166, 9_000, 9_000),
        (9_000, 9_000, 9_000),
        (50, 50, 2_513),  # n_ab = n_a
        (50, 2_513, 50),  # n_ab = n_b
        (1, 1, 1),
        (1, 1, n - 1),
        (1, n - 1, 1),
        (5, 5, n),  # consequent in every basket
        (n, n, n),
        (3, n, 3),
        (2_000, 2_513, 2_513),
        (10, 10, 10),  # far in the tail: tiny but representable
        (400, 400, 400),  # below double precision: underflows to 0 like scipy
    ]
    n_ab, n_a, n_b = (np.array(c) for c in zip(*cases, strict=True))
    _assert_matches_scipy(n_ab, n_a, n_b, n)
    ours = hypergeom_upper_tail(n_ab, n_a, n_b, n)
    assert ours[0] == ours[1] == ours[2] == ours[3] == 1.0
    assert ours[-1] == 0.0
    assert 0 < ours[-2] < 1e-30
    # one basket in all
    _assert_matches_scipy([0, 1, 1, 0], [1, 1, 1, 0], [1, 1, 0, 1], 1)


def test_fisher_tail_large_n_against_exact_sums():
    # scipy itself drifts past ~1e7 baskets (about 1e-7 relative at 1e9), so compare with
    # exact integer arithmetic there
    rng = np.random.default_rng(11)
    for n in (10**6, 10**7, 10**9, 10**12):
        n_ab, n_a, n_b = _random_counts(rng, n, 30, cap=400)
        n_ab[:10] = np.minimum(n_a[:10], n_b[:10])  # single-term tails
        n_ab[10:20] = np.minimum(n_ab[10:20], 3)  # long tails
        ours = hypergeom_upper_tail(n_ab, n_a, n_b, n)
        exact = [_exact_tail(*map(int, c), n) for c in zip(n_ab, n_a, n_b, strict=True)]
        exact = np.asarray(exact)
        big = exact > TINY
        np.testing.assert_allclose(ours[big], exact[big], rtol=1e-10, atol=0)
    _assert_matches_scipy(*_random_counts(np.random.default_rng(3), 10**7, 500, cap=300), 10**7)


def test_fisher_tail_does_not_depend_on_chunking():
    rng = np.random.default_rng(2)
    n_ab, n_a, n_b = _random_counts(rng, 5_000, 2_000)
    whole = hypergeom_upper_tail(n_ab, n_a, n_b, 5_000)
    for chunk in (1, 7, 1_000):  # rules longer than a chunk get a chunk of their own
        np.testing.assert_allclose(
            hypergeom_upper_tail(n_ab, n_a, n_b, 5_000, chunk=chunk), whole, rtol=1e-12
        )
    assert hypergeom_upper_tail([], [], [], 10).shape == (0,)


def test_measures_fisher_column_uses_the_tail():
    rng = np.random.default_rng(8)
    n_ab, n_a, n_b = _random_counts(rng, 9_835, 500, cap=3_000)
    keep = (n_a > 0) & (n_b > 0) & (n_ab > 0)
    n_ab, n_a, n_b = n_ab[keep], n_a[keep], n_b[keep]
    table = measures(n_ab, n_a, n_b, 9_835)
    ref = stats.hypergeom.sf(n_ab - 1, 9_835, n_a, n_b)
    big = ref > TINY
    np.testing.assert_allclose(table["fisher_p"].to_numpy()[big], ref[big], rtol=RTOL)


# ----------------------------------------------------------------------------- itemset search


def _brute_force(dense: np.ndarray, min_count: int, max_len: int) -> dict[tuple[int, ...], int]:
    found = {}
    for size in range(1, max_len + 1):
        for combo in itertools.combinations(range(dense.shape[1]), size):
            count = int(dense[:, list(combo)].all(axis=1).sum())
            if count >= min_count:
                found[combo] = count
    return found


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("max_len", [None, 2, 3])
def test_itemset_search_matches_brute_force(seed, max_len):
    rng = np.random.default_rng(seed)
    n_baskets, n_items = 300, 11
    popularity = rng.uniform(0.05, 0.6, n_items)
    dense = rng.random((n_baskets, n_items)) < popularity
    dense[:40, :4] = True  # a block so that long itemsets exist
    matrix = sparse.csr_matrix(dense)
    for min_count in (1, 12, 45):
        found = frequent_itemsets_codes(matrix, min_count, max_len=max_len)
        got = dict(zip(found.itemsets, found.counts.tolist(), strict=True))
        assert len(got) == len(found.itemsets)  # no itemset twice
        assert got == _brute_force(dense, min_count, max_len or n_items)


def test_itemset_search_ignores_stored_zeros():
    dense = np.array([[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 0, 1], [0, 1, 1, 1]], dtype=bool)
    matrix = sparse.csr_matrix(dense)
    # the same matrix with explicit False entries where the baskets lack items
    rows, cols = np.nonzero(np.ones_like(dense))
    padded = sparse.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)
    assert padded.nnz == dense.size
    want = frequent_itemsets_codes(matrix, 2)
    got = frequent_itemsets_codes(padded, 2)
    assert dict(zip(got.itemsets, got.counts.tolist(), strict=True)) == dict(
        zip(want.itemsets, want.counts.tolist(), strict=True)
    )


# ----------------------------------------------------------------------------- line reader


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    return path


def _as_sets(baskets) -> list[set[str]]:
    m = baskets.matrix
    labels = baskets.items
    return [set(labels[m.indices[m.indptr[i] : m.indptr[i + 1]]]) for i in range(m.shape[0])]


@pytest.mark.parametrize("name", ["b.csv", "b.csv.gz"])
def test_read_basket_lines_semantics(tmp_path, name):
    data = (
        b"cream cheese ,milk,milk\r\n"  # trailing space kept, repeat counts once
        b"\r\n"  # empty line skipped
        b"milk,,bread,\n"  # empty items dropped
        b"\n"
        b"caf\xc3\xa9,Bread\r"  # a lone CR ends a line too
        b",,\n"  # only separators: a basket with no items
        b" milk"  # no line end at the end of the file
    )
    baskets = read_basket_lines(_write(tmp_path, name, data))
    assert list(baskets.items) == sorted(
        ["cream cheese ", "milk", "bread", "café", "Bread", " milk"]
    )
    assert _as_sets(baskets) == [
        {"cream cheese ", "milk"},
        {"milk", "bread"},
        {"café", "Bread"},
        set(),
        {" milk"},
    ]
    assert list(baskets.basket_ids) == [0, 1, 2, 3, 4]
    assert baskets.matrix.dtype == bool
    assert baskets.matrix.has_canonical_format
    assert baskets.matrix.data.all()


def test_read_basket_lines_other_separators(tmp_path):
    path = _write(tmp_path, "fimi.dat", b"3 1 2 \n10 2\n\n2 2\n")
    baskets = read_basket_lines(path, sep=" ")
    assert list(baskets.items) == ["1", "10", "2", "3"]  # sorted as text
    assert _as_sets(baskets) == [{"1", "2", "3"}, {"10", "2"}, {"2"}]
    path = _write(tmp_path, "multi.txt", b"a::b::::c\n")
    assert _as_sets(read_basket_lines(path, sep="::")) == [{"a", "b", "c"}]


def test_read_basket_lines_errors(tmp_path):
    with pytest.raises(CrmInputError, match="no baskets"):
        read_basket_lines(_write(tmp_path, "empty.csv", b"\n\r\n\n"))
    with pytest.raises(CrmInputError, match="no baskets"):
        read_basket_lines(_write(tmp_path, "seps.csv", b",\n,,\n"))
    with pytest.raises(UnicodeDecodeError):
        read_basket_lines(_write(tmp_path, "latin1.csv", b"caf\xe9,milk\n"))
    with pytest.raises(CrmInputError, match="sep"):
        read_basket_lines(_write(tmp_path, "ok.csv", b"a,b\n"), sep="")
