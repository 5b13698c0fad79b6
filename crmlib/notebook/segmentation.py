"""Notebook helpers of the segmentation: one computation shared by the report and the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from crmlib.analysis import (
    assign_quadrants,
    assign_segments,
    best_k,
    cluster_features,
    cluster_profiles,
    crosstab_segments_clusters,
    dendrogram_table,
    frequency_spend_quadrants,
    kmeans_segments,
    pareto_curve,
    rfm_scores,
    rfm_table,
    score_k,
    segment_summary,
    value_tiers,
)
from crmlib.charts import (
    cards,
    cluster_heatmap,
    dendrogram_chart,
    k_score_chart,
    notes,
    pareto_chart,
    quadrant_chart,
    segment_bars,
)
from crmlib.notebook import show, show_table
from crmlib.privacy import pseudonymise, suppress_small

PROFILE_COLUMNS = ["cluster", "customers", "customer_share", "revenue_share", "description"]
K_ADVICE = (
    "The silhouette measures how well separated the clusters are, not how useful they are. "
    "Two clusters often score best (buyers and lapsed buyers) but say little a campaign can "
    "act on; a larger k is worth more when each extra cluster has its own action (a distinct "
    "description below), holds enough customers to run a campaign, and the silhouette drops "
    "only a little."
)


@dataclass
class Segmentation:
    """Everything the segmentation notebook shows, for one parameter choice."""

    rfm: pd.DataFrame
    segmented: pd.DataFrame
    summary: pd.DataFrame
    summary_note: str
    score_notes: list[str]
    k_table: pd.DataFrame
    k: int
    clusters: pd.Series
    profiles: pd.DataFrame
    features: list[str] = field(default_factory=list)


def segment_customers(
    data: pd.DataFrame,
    *,
    observation_date: str = "",
    features: list[str],
    log: bool = True,
    k: int = 0,
    k_range: range = range(2, 9),
    min_group: int = 5,
    seed: int = 0,
    k_table: pd.DataFrame | None = None,
    segment_rules: list | None = None,
    rfm: pd.DataFrame | None = None,
) -> Segmentation:
    """RFM, named segments and k-means clusters of clean transactions (rows with a customer).

    ``k = 0`` takes the k with the best silhouette. ``k_table`` may be passed to reuse a
    silhouette table already computed for the same features (the app does). ``rfm`` may be
    passed when another engine computed the RFM table (``crmlib.notebook.engine``).
    """
    if rfm is None:
        rfm = rfm_table(data, observation_date=observation_date or None)
    scored, score_notes = rfm_scores(rfm)
    rules = segment_rules or None
    segmented = assign_segments(scored, rules)
    summary, summary_note = segment_summary(segmented, rules=rules, k=min_group)
    matrix = cluster_features(rfm, features, log=log)
    table = k_table if k_table is not None else score_k(matrix, k_range, seed)
    chosen = k or best_k(table)
    clusters = kmeans_segments(matrix, chosen, seed)
    profiles = cluster_profiles(rfm, clusters, features=features, k=min_group)
    return Segmentation(
        rfm, segmented, summary, summary_note, score_notes, table, chosen, clusters, profiles,
        list(features),
    )  # fmt: skip


def profile_table(result: Segmentation) -> pd.DataFrame:
    """The cluster profiles a reader needs: size, shares, medians, description."""
    medians = [c for c in result.profiles.columns if c.startswith("median_")]
    cols = [c for c in PROFILE_COLUMNS if c in result.profiles.columns] + medians
    return result.profiles[cols]


def membership_csv(result: Segmentation, min_group: int = 5) -> str:
    """Segment and cluster of each customer, pseudonymised; members of groups smaller than
    ``min_group`` are listed without their segment or cluster."""
    out = pd.DataFrame(
        {
            "customer": pseudonymise(result.segmented["customer_id"]).to_numpy(),
            "segment": result.segmented["segment"].astype(str).to_numpy(),
            "cluster": result.clusters.reindex(result.segmented["customer_id"]).to_numpy(),
        }
    )
    for col in ("segment", "cluster"):
        sizes = out[col].map(out[col].value_counts())
        out[col] = out[col].astype(object).where(sizes >= min_group, "suppressed (small group)")
    return out.to_csv(index=False)


def show_rfm(result: Segmentation, min_group: int) -> None:
    """Headline cards, the segment table and chart."""
    rfm = result.rfm
    show(
        cards(
            {
                "Customers": f"{len(rfm):,}",
                "Orders": f"{int(rfm['frequency'].sum()):,}",
                "Revenue": f"{rfm['monetary_total'].sum():,.0f}",
                "Last order": f"{rfm['last_order'].max():%Y-%m-%d}",
            }
        ),
        notes([*rfm.attrs.get("notes", []), *result.score_notes, result.summary_note]),
    )
    show(segment_bars(result.summary))
    show_table(
        result.summary,
        formats={"customer_share": "{:.1%}", "revenue_share": "{:.1%}", "revenue": "{:,.0f}",
                 "mean_recency_days": "{:.0f}", "mean_frequency": "{:.1f}",
                 "mean_monetary": "{:,.0f}"},
    )  # fmt: skip


def show_clusters(result: Segmentation, min_group: int = 5) -> None:
    """Silhouette per k with the advice on choosing k, then the chosen k's profiles."""
    show(k_score_chart(result.k_table, best=best_k(result.k_table)))
    show(notes([K_ADVICE, f"Clusters below use k = {result.k}.", *result.k_table.attrs.get(
        "notes", [])]))  # fmt: skip
    show(cluster_heatmap(result.profiles))
    matrix = cluster_features(result.rfm, result.features)
    show(dendrogram_chart(dendrogram_table(matrix, k=result.k)))
    cross = crosstab_segments_clusters(result.segmented, result.clusters)
    small = (cross > 0) & (cross < min_group)
    shown = cross.astype(object).where(~small, f"<{min_group}").reset_index()
    show(notes(["RFM segments × clusters (customers; cells under "
                f"{min_group} customers are hidden):"]))  # fmt: skip
    show_table(shown)
    table = profile_table(result)
    formats = {c: "{:,.1f}" for c in table.columns if c.startswith("median_")}
    formats |= {"customer_share": "{:.1%}", "revenue_share": "{:.1%}"}
    show_table(table, formats=formats)


def show_value(result: Segmentation) -> dict[str, Any]:
    """Pareto curve, value tiers and the frequency × spend quadrants."""
    show(pareto_chart(pareto_curve(result.rfm)))
    tiers = value_tiers(result.rfm)
    show_table(tiers)
    quadrants = frequency_spend_quadrants(result.rfm)
    show(quadrant_chart(assign_quadrants(result.rfm), quadrants))
    show_table(quadrants)
    return {"tiers": tiers, "quadrants": quadrants}


__all__ = ["Segmentation", "membership_csv", "profile_table", "segment_customers", "suppress_small"]
