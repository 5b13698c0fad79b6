"""Clustering on two obvious groups of customers, bad input, and the full Online Retail data.

Group 1 (a, b, c): recent, frequent, high spend. Group 2 (d, e, f, g): lapsed, one or two
orders, small spend. Overall medians: recency 50, orders 2, spend 12.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.analysis.clustering import (
    best_k,
    cluster_features,
    cluster_profiles,
    crosstab_segments_clusters,
    dendrogram_table,
    kmeans_segments,
    score_k,
    ward_clusters,
)
from crmlib.errors import CrmInputError


@pytest.fixture
def rfm() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": list("abcdefg"),
            "recency_days": [1, 2, 3, 50, 60, 70, 80],
            "frequency": [5, 6, 5, 1, 1, 2, 1],
            "monetary_total": [100.0, 120.0, 110.0, 10.0, 12.0, 9.0, 11.0],
        }
    )


def test_features_log_and_scale(rfm):
    before = rfm.copy()
    raw = cluster_features(rfm, ["frequency"], log=True, scale=False)
    pd.testing.assert_frame_equal(rfm, before)
    assert raw.index.tolist() == list("abcdefg")
    assert raw.loc["a", "frequency"] == pytest.approx(np.log(6))
    X = cluster_features(rfm)
    assert X.mean().abs().max() < 1e-12
    assert X.std(ddof=0).tolist() == pytest.approx([1, 1, 1])
    assert X.attrs["notes"] == []


def test_constant_feature_is_kept_as_zero_with_a_note(rfm):
    X = cluster_features(rfm.assign(frequency=3))
    assert (X["frequency"] == 0).all()
    assert "'frequency' is the same for every customer" in X.attrs["notes"][0]
    with pytest.raises(CrmInputError, match="nothing to cluster"):
        cluster_features(rfm.head(1))  # a single customer
    with pytest.raises(CrmInputError, match="negative values"):
        cluster_features(rfm.assign(recency_days=-1))
    with pytest.raises(CrmInputError, match="missing, infinite"):
        cluster_features(rfm.assign(frequency=[1, None, 1, 1, 1, 1, 1]))


def test_score_k_limits_k_to_the_data(rfm):
    X = cluster_features(rfm)
    table = score_k(X)
    assert table["k"].tolist() == [2, 3, 4, 5, 6]  # n − 1 = 6 at most
    assert "k = [7, 8] left out" in table.attrs["notes"][0]
    assert table.attrs["silhouette_points"] == 7
    assert best_k(table) == 2
    assert table["silhouette"].iloc[0] > 0.7
    assert table["inertia"].is_monotonic_decreasing
    pd.testing.assert_frame_equal(score_k(X), table)  # seeded: repeats exactly
    with pytest.raises(CrmInputError, match="none of k"):
        score_k(X.head(2))


def test_silhouette_sample_is_seeded(rfm):
    X = cluster_features(rfm)
    a = score_k(X, range(2, 4), seed=1, sample_size=5)
    assert a.attrs["silhouette_points"] == 5
    assert "random sample of 5 of 7" in a.attrs["notes"][0]
    pd.testing.assert_frame_equal(a, score_k(X, range(2, 4), seed=1, sample_size=5))


def test_kmeans_and_ward_find_the_two_groups(rfm):
    X = cluster_features(rfm)
    for labels in (kmeans_segments(X, 2), ward_clusters(X, 2), ward_clusters(X, 2, sample_size=4)):
        assert labels.name == "cluster"
        assert labels.to_dict() == {"a": 1, "b": 1, "c": 1, "d": 0, "e": 0, "f": 0, "g": 0}
    with pytest.raises(CrmInputError, match="allow k up to 7"):
        kmeans_segments(X, 8)
    with pytest.raises(CrmInputError, match="whole number ≥ 2"):
        kmeans_segments(X, 1)


def test_cluster_profiles_in_plain_words(rfm):
    labels = kmeans_segments(cluster_features(rfm), 2)
    shuffled = labels.iloc[::-1]  # aligned by customer id, not by position
    table = cluster_profiles(rfm, shuffled, k=1)
    assert table["cluster"].tolist() == [0, 1]
    assert table["customers"].tolist() == [4, 3]
    assert table["revenue"].tolist() == [42.0, 330.0]
    assert table["revenue_share"].tolist() == pytest.approx([42 / 372, 330 / 372])
    assert table["median_recency_days"].tolist() == [65.0, 2.0]
    assert table["rel_frequency"].tolist() == pytest.approx([1 / 2, 5 / 2])
    # Group 2: recency 65 > 1.25 × 50, orders 1 < 0.8 × 2, spend 10.5 within 0.8–1.25 × 12.
    assert table["description"].tolist() == [
        "infrequent, typical spend, lapsed",
        "frequent, high-spend, recent",
    ]
    assert not table["small"].any()


def test_small_clusters_show_only_their_size(rfm):
    labels = kmeans_segments(cluster_features(rfm), 2)
    table = cluster_profiles(rfm, labels)  # k = 5
    assert table["customers"].tolist() == [4, 3]
    assert table["small"].tolist() == [True, True]
    assert table["revenue"].isna().all() and table["description"].isna().all()
    assert "fewer than 5 customers" in table.attrs["notes"][0]
    with pytest.raises(CrmInputError, match="3 cluster labels for 7 customers"):
        cluster_profiles(rfm, [0, 1, 0])


def test_crosstab(rfm):
    segmented = rfm.assign(
        segment=pd.Categorical(
            ["Champions", "Champions", "Loyal", "Lost", "Lost", "Lost", "Lost"],
            categories=["Champions", "Loyal", "Unused", "Lost"],
        )
    )
    labels = pd.Series([1, 1, 1, 0, 0, 0, 0], index=list("abcdefg"))
    table = crosstab_segments_clusters(segmented, labels)
    assert table.index.tolist() == ["Champions", "Loyal", "Lost"]
    assert table.to_dict("list") == {0: [0, 0, 4], 1: [2, 1, 0]}


def test_dendrogram_table(rfm):
    X = cluster_features(rfm)
    table = dendrogram_table(X, k=2)
    kinds = table["kind"].value_counts().to_dict()
    assert kinds == {"link": 18, "leaf": 7, "cut": 1}  # 6 merges × 3 segments
    assert set(table.loc[table["kind"] == "leaf", "label"]) == {"(1)"}
    heights = sorted(set(table.loc[table["kind"] == "link", "y2"]) | {0.0})
    cut = table.loc[table["kind"] == "cut", "y"].iloc[0]
    assert heights[-2] < cut < heights[-1]  # between the last two merges
    small = dendrogram_table(X, leaves=3)
    sizes = [int(text.strip("()")) for text in small.loc[small["kind"] == "leaf", "label"]]
    assert len(sizes) == 3 and sum(sizes) == 7
    assert small.attrs["customers"] == 7


def test_full_online_retail():
    from crmlib.analysis.rfm import rfm_table
    from crmlib.io import customer_rows, load_transactions

    data = load_transactions("embedded:online_retail").data
    rfm = rfm_table(data)
    assert len(rfm) == customer_rows(data)["customer_id"].nunique()
    X = cluster_features(rfm)
    first = score_k(X, range(2, 9), seed=0)
    assert first["k"].tolist() == list(range(2, 9))
    assert first["silhouette"].between(0.2, 0.6).all()
    pd.testing.assert_frame_equal(score_k(X, range(2, 9), seed=0), first)
    labels = kmeans_segments(X, 4, seed=0)
    assert labels.equals(kmeans_segments(X, 4, seed=0))
    assert labels.value_counts().is_monotonic_decreasing
