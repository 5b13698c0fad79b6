"""Customer clusters on RFM features: k-means with a silhouette table, Ward trees, profiles.

Steps: :func:`cluster_features` (log1p and standardise) → :func:`score_k` (silhouette and
inertia for each k) → :func:`best_k` → :func:`kmeans_segments` or :func:`ward_clusters` →
:func:`cluster_profiles` in plain words. Every random step takes a ``seed``, so a run repeats
exactly. scikit-learn and SciPy's clustering are imported inside the functions, which keeps
``import crmlib.analysis`` light.

Cluster numbers are ordered by size: cluster 0 is the largest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from crmlib import config as C
from crmlib.analysis.attributes import check_columns
from crmlib.analysis.rfm import FREQUENCY, MONETARY, MONETARY_AVG, RECENCY, TENURE
from crmlib.analysis.segments import SEGMENT
from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.privacy import DEFAULT_MIN_GROUP

CLUSTER = "cluster"
DEFAULT_FEATURES = (RECENCY, FREQUENCY, MONETARY)
SILHOUETTE_SAMPLE = 5000  # silhouette is O(n²): above this many rows, a seeded sample is scored
LINKAGE_SAMPLE = 2000  # Ward linkage is O(n²) in memory: the tree is built on a seeded sample
N_INIT = 10  # k-means restarts, fixed so results do not depend on the library's default
HIGHER, LOWER = 1.25, 0.8  # a cluster median this far from the overall median earns a word
WORDS = {  # (word for a low value, word for a typical one, word for a high one)
    FREQUENCY: ("infrequent", "typical frequency", "frequent"),
    MONETARY: ("low-spend", "typical spend", "high-spend"),
    MONETARY_AVG: ("small orders", "typical order size", "large orders"),
    RECENCY: ("recent", "typical recency", "lapsed"),
    TENURE: ("new", "typical tenure", "long-standing"),
}


def cluster_features(
    rfm: pd.DataFrame,
    features: Sequence[str] = DEFAULT_FEATURES,
    *,
    log: bool = True,
    scale: bool = True,
) -> pd.DataFrame:
    """The numeric matrix clustered: chosen RFM columns, log1p-transformed and standardised.

    Parameters
    ----------
    rfm : pandas.DataFrame
        One row per customer, e.g. from :func:`crmlib.analysis.rfm.rfm_table`.
    features : sequence of str
        Numeric columns used; default recency, frequency and total spend.
    log : bool
        Apply ``log1p`` first (RFM values are heavily skewed); needs values of 0 or more.
    scale : bool
        Standardise each column to mean 0 and standard deviation 1.

    Returns
    -------
    pandas.DataFrame
        Rows = customers (index = ``customer_id`` when ``rfm`` has it), columns = ``features``.
        A feature equal for every customer becomes 0 (it cannot separate anyone) and
        ``attrs["notes"]`` says so.
    """
    features = list(features)
    if not features:
        raise CrmInputError("cluster_features: name at least one feature column.")
    check_columns(rfm, features, "cluster_features: feature columns")
    if rfm.empty:
        raise EmptyResultError("cluster_features: the table has no customers to cluster.")
    index = pd.Index(rfm[C.CUSTOMER_ID]) if C.CUSTOMER_ID in rfm else rfm.index
    values = rfm[features].apply(pd.to_numeric, errors="coerce").astype("float64")
    bad = [f for f in features if not np.isfinite(values[f]).all()]
    if bad:
        raise CrmInputError(
            f"cluster_features: columns {bad} have missing, infinite or non-numeric values; "
            "use rfm_table output or fill them first."
        )
    if log:
        negative = [f for f in features if (values[f] < 0).any()]
        if negative:
            raise CrmInputError(
                f"cluster_features: columns {negative} have negative values, so log1p cannot "
                "be taken; pass log=False or leave these columns out."
            )
        values = np.log1p(values)
    constant = [f for f in features if values[f].nunique() < 2]
    if len(constant) == len(features):
        raise CrmInputError(
            f"cluster_features: every feature {features} has the same value for all "
            f"{len(values)} customer(s), so there is nothing to cluster."
        )
    if scale:
        spread = values.std(ddof=0).replace(0.0, 1.0)
        values = (values - values.mean()) / spread
    out = pd.DataFrame(values.to_numpy(), index=index, columns=features)
    out.attrs["notes"] = [
        f"'{f}' is the same for every customer, so it does not separate clusters." for f in constant
    ]
    return out


def _matrix(X) -> np.ndarray:
    values = np.asarray(X, dtype="float64")
    if values.ndim != 2 or not len(values) or not np.isfinite(values).all():
        raise CrmInputError(
            f"Expected a customers × features table of finite numbers; got shape {values.shape}"
            " (or missing values). Build it with cluster_features."
        )
    return values


def _distinct(values: np.ndarray) -> int:
    """Number of different customers in feature space: the most clusters there can be."""
    return len(np.unique(values, axis=0))


def _check_k(k: int, limit: int, n: int) -> int:
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 2:
        raise CrmInputError(f"The number of clusters k must be a whole number ≥ 2; got {k!r}.")
    if k > limit:
        raise CrmInputError(
            f"k = {k} clusters needs at least {k} customers with different features; the "
            f"table has {n} customer(s), which allow k up to {limit}. Choose a smaller k."
        )
    return int(k)


def _sample(n: int, size: int | None, seed: int) -> np.ndarray:
    """Sorted positions of a seeded random sample of ``size`` rows (all rows when n ≤ size)."""
    if size is None or n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def _labels_series(X, labels: np.ndarray) -> pd.Series:
    """Labels renumbered so that 0 is the largest cluster (ties: lower old label first)."""
    old, counts = np.unique(labels, return_counts=True)
    new = np.empty(old.max() + 1, dtype="int64")
    new[old[np.lexsort((old, -counts))]] = np.arange(len(old))
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(labels))
    return pd.Series(new[labels], index=index, name=CLUSTER, dtype="int64")


def _kmeans(values: np.ndarray, k: int, seed: int):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(values)


def score_k(
    X,
    k_range: Iterable[int] = range(2, 9),
    seed: int = 0,
    *,
    sample_size: int | None = SILHOUETTE_SAMPLE,
) -> pd.DataFrame:
    """Silhouette and inertia of k-means for each number of clusters k.

    Parameters
    ----------
    X : pandas.DataFrame or array
        From :func:`cluster_features` (rows = customers).
    k_range : iterable of int
        Candidate k; those above what the data allows (distinct customers, and n − 1 for the
        silhouette) are left out with a note.
    seed : int
        Seed of k-means (``n_init=10`` restarts) and of the silhouette sample.
    sample_size : int or None
        With more customers than this, the silhouette is computed on one seeded random sample
        of this many customers (the same sample for every k); None always uses all. k-means
        itself always runs on all customers.

    Returns
    -------
    pandas.DataFrame
        Columns ``k``, ``silhouette`` (−1 to 1, higher = better separated), ``inertia``
        (within-cluster sum of squares, for the elbow); ``attrs["silhouette_points"]`` and
        ``attrs["notes"]``.
    """
    from sklearn.metrics import silhouette_score

    values = _matrix(X)
    n, distinct = len(values), _distinct(values)
    limit = min(distinct, n - 1)
    asked = sorted({int(k) for k in k_range})
    ks = [k for k in asked if 2 <= k <= limit]
    if not ks:
        raise CrmInputError(
            f"score_k: {n} customer(s) with {distinct} different feature rows allow at most "
            f"{limit} cluster(s) (k ≤ different rows and k ≤ n − 1), so none of k = {asked} "
            "can be scored. Use more customers or a smaller k."
        )
    notes = []
    if len(ks) < len(asked):
        notes.append(f"k = {sorted(set(asked) - set(ks))} left out: here k can be 2 to {limit}.")
    sample = _sample(n, sample_size, seed)
    if len(sample) < n:
        notes.append(f"Silhouette on a random sample of {sample_size:,} of {n:,} customers.")
    rows = []
    for k in ks:
        model = _kmeans(values, k, seed)
        labels = model.labels_[sample]
        ok = 2 <= len(np.unique(labels)) <= len(sample) - 1
        score = silhouette_score(values[sample], labels) if ok else np.nan
        rows.append((k, float(score), float(model.inertia_)))
    out = pd.DataFrame(rows, columns=["k", "silhouette", "inertia"])
    out.attrs.update(silhouette_points=len(sample), notes=notes)
    return out


def best_k(table: pd.DataFrame) -> int:
    """The k with the highest silhouette in a :func:`score_k` table (the smaller k on a tie)."""
    check_columns(table, ["k", "silhouette"], "best_k: columns")
    scored = table.dropna(subset=["silhouette"])
    if scored.empty:
        raise CrmInputError("best_k: the table has no silhouette values; run score_k first.")
    top = scored["silhouette"].max()
    return int(scored.loc[scored["silhouette"] == top, "k"].min())


def kmeans_segments(X, k: int, seed: int = 0) -> pd.Series:
    """k-means cluster of each customer (``n_init=10``, seeded; same model as :func:`score_k`).

    Returns
    -------
    pandas.Series of int
        ``cluster`` 0..k−1 (0 = largest), indexed like ``X`` (customer ids).
    """
    values = _matrix(X)
    k = _check_k(k, _distinct(values), len(values))
    return _labels_series(X, _kmeans(values, k, seed).labels_)


def _linkage(values: np.ndarray, sample_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ward linkage matrix on at most ``sample_size`` seeded-random rows, and those rows."""
    from scipy.cluster.hierarchy import linkage

    rows = _sample(len(values), sample_size, seed)
    if len(rows) < 2:
        raise CrmInputError("A Ward tree needs at least 2 customers; the table has 1.")
    return linkage(values[rows], method="ward"), rows


def ward_clusters(X, k: int, *, sample_size: int = LINKAGE_SAMPLE, seed: int = 0) -> pd.Series:
    """Ward hierarchical clusters, cut into ``k`` groups.

    The tree is built on all customers when there are at most ``sample_size``, else on a
    seeded random sample of that many (the same one :func:`dendrogram_table` draws); the other
    customers join the cluster with the nearest centre.

    Returns
    -------
    pandas.Series of int
        ``cluster`` 0..k−1 (0 = largest), indexed like ``X``.
    """
    from scipy.cluster.hierarchy import fcluster

    values = _matrix(X)
    tree, rows = _linkage(values, sample_size, seed)
    k = _check_k(k, _distinct(values[rows]), len(rows))
    found, sample_labels = np.unique(fcluster(tree, t=k, criterion="maxclust"), return_inverse=True)
    centres = np.stack([values[rows][sample_labels == c].mean(axis=0) for c in range(len(found))])
    distance = ((values[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    labels = distance.argmin(axis=1)
    labels[rows] = sample_labels
    return _labels_series(X, labels)


def dendrogram_table(
    X, *, k: int | None = None, leaves: int = 30, sample_size: int = LINKAGE_SAMPLE, seed: int = 0
) -> pd.DataFrame:
    """Line segments of the Ward tree, for drawing (the top ``leaves`` branches).

    Returns
    -------
    pandas.DataFrame
        Columns ``kind``, ``x``, ``y``, ``x2``, ``y2``, ``label``. ``kind`` "link": one line
        segment (three per merge, y = merge height); "leaf": a branch end at (x, 0) with the
        number of customers under it as ``label``, e.g. "(312)"; "cut" (when ``k`` is given):
        the height that cuts the tree into ``k`` clusters. ``attrs["customers"]`` is the
        number of customers in the tree.
    """
    from scipy.cluster.hierarchy import dendrogram

    tree, rows = _linkage(_matrix(X), sample_size, seed)
    shown = dendrogram(tree, truncate_mode="lastp", p=max(2, int(leaves)), no_plot=True)
    xs, ys = np.asarray(shown["icoord"]), np.asarray(shown["dcoord"])
    # Each merge is drawn as ⊓: (x1,y1)-(x2,y2), (x2,y2)-(x3,y3), (x3,y3)-(x4,y4).
    links = {"x": xs[:, :3], "y": ys[:, :3], "x2": xs[:, 1:], "y2": ys[:, 1:]}
    links = pd.DataFrame({key: value.ravel() for key, value in links.items()}).assign(
        kind="link", label=""
    )
    labels = [text if text.startswith("(") else "(1)" for text in shown["ivl"]]
    where = 5.0 + 10.0 * np.arange(len(labels))  # SciPy puts leaf i at x = 5 + 10 i
    ends = pd.DataFrame({"kind": "leaf", "x": where, "y": 0.0, "x2": where, "y2": 0.0})
    parts = [links, ends.assign(label=labels)]
    if k is not None:
        k = _check_k(k, len(rows) - 1, len(rows))
        height = float(tree[-k, 2] + tree[-k + 1, 2]) / 2  # between the k-th and (k−1)-th top merge
        cut = {"kind": "cut", "x": 0.0, "x2": 10.0 * len(labels), "label": f"k = {k}"}
        parts.append(pd.DataFrame([cut]).assign(y=height, y2=height))
    out = pd.concat(parts, ignore_index=True)[["kind", "x", "y", "x2", "y2", "label"]]
    out.attrs["customers"] = len(rows)
    return out


def _aligned(customers: pd.DataFrame, labels, what: str) -> np.ndarray:
    """Cluster labels in the row order of ``customers`` (by customer id, or by position)."""
    if isinstance(labels, pd.Series) and C.CUSTOMER_ID in customers:
        ids = customers[C.CUSTOMER_ID]
        if ids.isin(labels.index).all():
            return labels.reindex(ids.to_numpy()).to_numpy()
        if not isinstance(labels.index, pd.RangeIndex):
            raise CrmInputError(
                f"{what}: the cluster labels are indexed by ids that do not cover the table's "
                "customers; pass the labels of kmeans_segments/ward_clusters for this table."
            )
    values = np.asarray(labels)
    if len(values) != len(customers):
        raise CrmInputError(
            f"{what}: {len(values)} cluster labels for {len(customers)} customers; pass one "
            "label per customer."
        )
    return values


def _describe(medians: pd.DataFrame, overall: pd.Series) -> list[str]:
    """Plain words per cluster from its medians relative to the overall medians."""
    order = [f for f in WORDS if f in medians] + [f for f in medians if f not in WORDS]
    words = []
    for f in order:
        low, mid, high = WORDS.get(f, (f"low {f}", f"typical {f}", f"high {f}"))
        base = overall[f]
        up = medians[f] > base * HIGHER if base > 0 else medians[f] > base
        down = medians[f] < base * LOWER if base > 0 else medians[f] < base
        words.append(np.where(up, high, np.where(down, low, mid)))
    return [", ".join(parts) for parts in zip(*words, strict=True)]


def cluster_profiles(
    rfm: pd.DataFrame,
    labels,
    *,
    features: Sequence[str] = DEFAULT_FEATURES,
    k: int = DEFAULT_MIN_GROUP,
) -> pd.DataFrame:
    """Size, value and typical features of each cluster, described in plain words.

    Parameters
    ----------
    rfm : pandas.DataFrame
        One row per customer (raw, untransformed values), from ``rfm_table``.
    labels : pandas.Series or array
        Cluster per customer: a Series indexed by customer id (:func:`kmeans_segments`) or
        one label per row of ``rfm``.
    features : sequence of str
        Columns profiled.
    k : int
        Clusters with fewer customers keep their size but have their figures blanked
        (``small`` = True) so no customer's values can be read off.

    Returns
    -------
    pandas.DataFrame
        One row per cluster, in label order: ``cluster``, ``customers``, ``customer_share``,
        ``revenue``, ``revenue_share`` (when ``rfm`` has ``monetary_total``), then per feature
        ``mean_<f>``, ``median_<f>`` and ``rel_<f>`` (median / overall median), then
        ``description`` (e.g. "frequent, high-spend, recent": median more than 25 % above or
        below the overall median) and ``small``.
    """
    features = list(features)
    check_columns(rfm, features, "cluster_profiles: feature columns")
    frame = (
        rfm[features]
        .astype("float64")
        .assign(**{CLUSTER: _aligned(rfm, labels, "cluster_profiles")})
    )
    groups = frame.groupby(CLUSTER, sort=True)
    out = groups.size().rename("customers").to_frame()
    out["customer_share"] = out["customers"] / len(frame)
    if MONETARY in rfm:
        revenue = rfm[MONETARY].groupby(frame[CLUSTER].to_numpy()).sum()
        total = float(rfm[MONETARY].sum())
        out["revenue"] = revenue
        out["revenue_share"] = revenue / total if total else np.nan
    means, medians, overall = groups.mean(), groups.median(), frame[features].median()
    for f in features:
        out[f"mean_{f}"] = means[f]
        out[f"median_{f}"] = medians[f]
        out[f"rel_{f}"] = medians[f] / overall[f] if overall[f] else np.nan
    out["description"] = _describe(medians[features], overall)
    out["small"] = out["customers"] < k
    figures = [c for c in out.columns if c not in ("customers", "customer_share", "small")]
    out.loc[out["small"], figures] = np.nan
    hidden = f"Clusters with fewer than {k} customers show only their size, to protect privacy."
    out.attrs["notes"] = [hidden] if out["small"].any() else []
    return out.reset_index()


def crosstab_segments_clusters(segmented: pd.DataFrame, clusters) -> pd.DataFrame:
    """Customers in each RFM segment × cluster.

    ``segmented`` comes from :func:`crmlib.analysis.segments.assign_segments`; ``clusters``
    is one cluster per customer, as for :func:`cluster_profiles`. Returns a table with index
    ``segment`` (non-empty segments in rule order), one column per cluster, customer counts.
    """
    check_columns(segmented, [SEGMENT], "crosstab_segments_clusters: columns")
    labels = _aligned(segmented, clusters, "crosstab_segments_clusters")
    table = pd.crosstab(
        segmented[SEGMENT].to_numpy(), labels, rownames=[SEGMENT], colnames=[CLUSTER]
    )
    if isinstance(segmented[SEGMENT].dtype, pd.CategoricalDtype):
        order = [s for s in segmented[SEGMENT].cat.categories if s in table.index]
        table = table.loc[order]
    return table
