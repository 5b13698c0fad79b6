"""Named RFM segments from 1–5 scores, as configuration a notebook can override.

A rule gives a segment name, an inclusive score range per dimension (``"r"``, ``"f"``, ``"m"``;
a missing key means any score), a plain-words description and a recommended action. Rules are
tried in order and the first match wins; a rule with no ranges catches everyone left.

The default rules (:data:`DEFAULT_SEGMENTS`, for scores from ``rfm_scores(bins=5)``):

=====================  ===  ===  ===  ===============================================
Segment                R    F    M    Who
=====================  ===  ===  ===  ===============================================
Champions              4–5  4–5  4–5  bought recently, buy often, spend the most
Loyal Customers        3–5  4–5  any  buy often and not long ago
Can't Lose Them        1–2  4–5  4–5  used to buy often and spend a lot, not lately
At Risk                1–2  3–5  any  bought regularly, but long ago
Potential Loyalists    4–5  2–3  any  recent, with a few orders
New Customers          4–5  1    any  recent first order
Need Attention         3    2–3  any  middle recency, a few orders
About to Sleep         3    1    any  one order, some time ago
Hibernating            2    1–2  any  one or two orders, long ago
Lost                   any  any  any  everyone left: one or two orders, longest ago
=====================  ===  ===  ===  ===============================================

On 5-point scores the rules split the whole R × F grid, so "Lost" holds exactly R = 1, F 1–2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmlib.analysis.attributes import check_columns
from crmlib.analysis.rfm import F_SCORE, FREQUENCY, M_SCORE, MONETARY, R_SCORE, RECENCY
from crmlib.errors import CrmInputError
from crmlib.privacy import DEFAULT_MIN_GROUP, suppress_small

SEGMENT = "segment"
UNMATCHED = "Unclassified"
DIMENSIONS = {"r": R_SCORE, "f": F_SCORE, "m": M_SCORE}
RULE_KEYS = {"name", "description", "action", *DIMENSIONS}

DEFAULT_SEGMENTS: tuple[Mapping[str, Any], ...] = (
    {
        "name": "Champions",
        "r": (4, 5), "f": (4, 5), "m": (4, 5),
        "description": "Bought recently, buy often and spend the most.",
        "action": "Reward them: early access, loyalty perks; ask for reviews and referrals.",
    },
    {
        "name": "Loyal Customers",
        "r": (3, 5), "f": (4, 5),
        "description": "Buy often and not long ago.",
        "action": "Upsell higher-value ranges; invite them into a loyalty programme.",
    },
    {
        "name": "Can't Lose Them",
        "r": (1, 2), "f": (4, 5), "m": (4, 5),
        "description": "Used to buy often and spend a lot, but not lately.",
        "action": "Win them back personally (call, tailored offer) before a competitor does.",
    },
    {
        "name": "At Risk",
        "r": (1, 2), "f": (3, 5),
        "description": "Bought regularly, but long ago.",
        "action": "Reactivation mails with personal recommendations and a time-limited offer.",
    },
    {
        "name": "Potential Loyalists",
        "r": (4, 5), "f": (2, 3),
        "description": "Recent customers with a few orders.",
        "action": "Recommend related products; offer membership to build the habit.",
    },
    {
        "name": "New Customers",
        "r": (4, 5), "f": (1, 1),
        "description": "Made their first order recently.",
        "action": "Onboard: welcome series and an incentive for the second order.",
    },
    {
        "name": "Need Attention",
        "r": (3, 3), "f": (2, 3),
        "description": "Middle recency and a few orders; may drift away.",
        "action": "Limited-time offers based on what they bought before.",
    },
    {
        "name": "About to Sleep",
        "r": (3, 3), "f": (1, 1),
        "description": "One order, some time ago.",
        "action": "Share bestsellers and a discount to bring them back.",
    },
    {
        "name": "Hibernating",
        "r": (2, 2), "f": (1, 2),
        "description": "One or two orders, long ago.",
        "action": "Low-cost reach-out with relevant products; do not overspend.",
    },
    {
        "name": "Lost",
        "description": "Everyone left: few orders, longest ago.",
        "action": "Include only in cheap mass campaigns; otherwise let them go.",
    },
)  # fmt: skip


def _check_rules(rules: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    rules = list(rules)
    if not rules:
        raise CrmInputError("Segment rules are empty; pass None for DEFAULT_SEGMENTS.")
    names = [r.get("name") for r in rules]
    for i, rule in enumerate(rules):
        unknown = set(rule) - RULE_KEYS
        if not rule.get("name") or unknown:
            raise CrmInputError(
                f"Segment rule {i + 1} ({rule.get('name', 'no name')}) needs a 'name' and may "
                f"only have the keys {sorted(RULE_KEYS)}; found {sorted(rule)}."
            )
        for key in DIMENSIONS:
            bounds = rule.get(key)
            if bounds is not None and (len(bounds) != 2 or bounds[0] > bounds[1]):
                raise CrmInputError(
                    f"Segment rule '{rule['name']}': {key!r} must be an inclusive range "
                    f"(low, high) with low <= high, like (4, 5); got {bounds!r}."
                )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise CrmInputError(f"Segment names must be unique; repeated: {duplicated}.")
    return rules


def assign_segments(
    scores: pd.DataFrame, rules: Sequence[Mapping[str, Any]] | None = None
) -> pd.DataFrame:
    """Name each customer's segment from their R, F and M scores.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`crmlib.analysis.rfm.rfm_scores`: one row per customer with ``r_score``,
        ``f_score``, ``m_score``.
    rules : sequence of mappings, optional
        Ordered segment rules (see the module text); default :data:`DEFAULT_SEGMENTS`, which
        expects 5-point scores. Customers no rule matches get "Unclassified".

    Returns
    -------
    pandas.DataFrame
        A copy of ``scores`` with ``segment``: a categorical whose categories are the rule
        names in rule order (plus "Unclassified" when some customer matched none).

    Examples
    --------
    >>> segmented = assign_segments(rfm_scores(rfm_table(data))[0])
    """
    check_columns(scores, list(DIMENSIONS.values()), "assign_segments: score columns")
    if rules is None:
        rules = DEFAULT_SEGMENTS
        top = max((int(scores[c].max()) for c in DIMENSIONS.values()), default=0)
        if len(scores) and top > 5:
            raise CrmInputError(
                f"The default segments are written for scores 1–5, but a score reaches {top}. "
                "Score with rfm_scores(rfm, bins=5) or pass rules for your scale."
            )
    rules = _check_rules(rules)
    conditions = []
    for rule in rules:
        match = np.ones(len(scores), dtype=bool)
        for key, col in DIMENSIONS.items():
            if rule.get(key) is not None:
                low, high = rule[key]
                values = scores[col].to_numpy()
                match &= (values >= low) & (values <= high)
        conditions.append(match)
    names = [str(r["name"]) for r in rules]
    labels = np.select(conditions, names, default=UNMATCHED)
    categories = names + ([UNMATCHED] if UNMATCHED in set(labels) else [])
    out = scores.copy()
    out[SEGMENT] = pd.Categorical(labels, categories=categories, ordered=True)
    return out


def segment_summary(
    segmented: pd.DataFrame,
    *,
    rules: Sequence[Mapping[str, Any]] | None = None,
    k: int = DEFAULT_MIN_GROUP,
) -> tuple[pd.DataFrame, str]:
    """Size, value and average R, F and M of each segment, with its recommended action.

    Parameters
    ----------
    segmented : pandas.DataFrame
        From :func:`assign_segments` (one row per customer with ``segment``,
        ``recency_days``, ``frequency``, ``monetary_total``).
    rules : sequence of mappings, optional
        The rules used, for the actions; default :data:`DEFAULT_SEGMENTS`.
    k : int
        Smallest segment shown on its own; smaller ones are merged (or hidden) for privacy.

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        One row per non-empty segment in rule order: ``segment``, ``customers``,
        ``customer_share``, ``revenue``, ``revenue_share``, ``mean_recency_days``,
        ``mean_frequency``, ``mean_monetary``, ``description``, ``action``; a merged
        small-segment row last (means left empty). And the privacy note ("" when none).
    """
    check_columns(segmented, [SEGMENT, RECENCY, FREQUENCY, MONETARY], "segment_summary: columns")
    rules = _check_rules(DEFAULT_SEGMENTS if rules is None else rules)
    text = {r["name"]: (r.get("description", ""), r.get("action", "")) for r in rules}
    out = (
        segmented.groupby(SEGMENT, observed=True, sort=True)
        .agg(
            customers=(SEGMENT, "size"),
            revenue=(MONETARY, "sum"),
            mean_recency_days=(RECENCY, "mean"),
            mean_frequency=(FREQUENCY, "mean"),
            mean_monetary=(MONETARY, "mean"),
        )
        .reset_index()
    )
    out[SEGMENT] = out[SEGMENT].astype(str)
    total_customers, total_revenue = len(segmented), float(segmented[MONETARY].sum())
    out.insert(2, "customer_share", out["customers"] / total_customers)
    out.insert(4, "revenue_share", out["revenue"] / total_revenue if total_revenue else np.nan)
    out["description"] = [text.get(s, ("", ""))[0] for s in out[SEGMENT]]
    out["action"] = [text.get(s, ("", ""))[1] for s in out[SEGMENT]]
    return suppress_small(
        out,
        group=SEGMENT,
        count="customers",
        k=k,
        sum_columns=("customer_share", "revenue", "revenue_share"),
    )
