"""How revenue is spread over customers: Pareto curve, value tiers, frequency × spend quadrants.

Every function takes the one-row-per-customer table of :func:`crmlib.analysis.rfm.rfm_table`
and returns a new table; none changes its input. Customers with equal spend are ordered by
their position in the table (rfm_table sorts by customer id), so results repeat exactly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlib.analysis.attributes import check_columns
from crmlib.analysis.rfm import FREQUENCY, MONETARY
from crmlib.errors import CrmInputError, EmptyResultError

QUADRANT = "quadrant"
QUADRANTS = {  # (frequency side, spend side) -> name, in display order
    ("high", "high"): "Frequent big spenders",
    ("high", "low"): "Frequent small spenders",
    ("low", "high"): "Occasional big spenders",
    ("low", "low"): "Occasional small spenders",
}


def _spend(rfm: pd.DataFrame, monetary: str, what: str) -> np.ndarray:
    """Spend per customer, checked: present, numeric, not negative, not all zero."""
    check_columns(rfm, [monetary], f"{what}: columns")
    if rfm.empty:
        raise EmptyResultError(f"{what}: the table has no customers.")
    values = pd.to_numeric(rfm[monetary], errors="coerce").to_numpy(dtype="float64")
    if not np.isfinite(values).all() or (values < 0).any():
        raise CrmInputError(
            f"{what}: column '{monetary}' must hold spend of 0 or more for every customer; "
            "build the table with rfm_table."
        )
    if values.sum() <= 0:
        raise CrmInputError(f"{what}: total spend is 0, so revenue shares are undefined.")
    return values


def pareto_curve(
    rfm: pd.DataFrame, *, points: int | None = 101, monetary: str = MONETARY
) -> pd.DataFrame:
    """Share of revenue brought by the top x % of customers (by spend).

    Parameters
    ----------
    rfm : pandas.DataFrame
        One row per customer with ``monetary`` (total spend).
    points : int or None
        Number of evenly spaced customer shares from 0 to 1 at which the curve is given
        (exact values at those ranks); None gives one point per customer.
    monetary : str
        Spend column.

    Returns
    -------
    pandas.DataFrame
        Columns ``customers`` (the top n), ``customer_share``, ``revenue_share``; from (0, 0)
        to (1, 1), rising.

    Examples
    --------
    >>> curve = pareto_curve(rfm_table(data))
    >>> curve.loc[curve.customer_share.sub(0.2).abs().idxmin(), "revenue_share"]
    """
    values = _spend(rfm, monetary, "pareto_curve")
    n = len(values)
    cumulative = np.concatenate([[0.0], np.cumsum(-np.sort(-values, kind="stable"))])
    if points is None:
        top = np.arange(n + 1)
    elif int(points) < 2:
        raise CrmInputError(f"pareto_curve: points must be 2 or more (or None); got {points!r}.")
    else:
        top = np.unique(np.round(np.linspace(0, n, int(points))).astype("int64"))
    return pd.DataFrame(
        {
            "customers": top,
            "customer_share": top / n,
            "revenue_share": cumulative[top] / cumulative[-1],
        }
    )


def _share_text(share: float) -> str:
    return f"{share * 100:g}%"


def value_tiers(
    rfm: pd.DataFrame, tiers: Sequence[float] = (0.01, 0.05, 0.2), *, monetary: str = MONETARY
) -> pd.DataFrame:
    """Customers grouped by spend rank: top 1 %, 1–5 %, 5–20 % and the rest (by default).

    Parameters
    ----------
    rfm : pandas.DataFrame
        One row per customer with ``monetary``.
    tiers : sequence of float
        Increasing cumulative customer shares between 0 and 1. The top ``s`` share is the
        ``ceil(s * n)`` best-spending customers, so a tier is never cut inside a customer; on
        small tables a tier can hold one customer or none.
    monetary : str
        Spend column.

    Returns
    -------
    pandas.DataFrame
        One row per tier, best first: ``tier`` (e.g. "Top 1–5%"), ``customers``,
        ``customer_share``, ``revenue``, ``revenue_share``, ``cumulative_customer_share``,
        ``cumulative_revenue_share``, ``min_spend`` and ``max_spend`` (empty for an empty tier).
    """
    shares = [float(t) for t in tiers]
    if not shares or any(not 0 < t < 1 for t in shares) or shares != sorted(set(shares)):
        raise CrmInputError(
            "value_tiers: tiers must be increasing shares strictly between 0 and 1, like "
            f"(0.01, 0.05, 0.2); got {tuple(tiers)!r}."
        )
    values = _spend(rfm, monetary, "value_tiers")
    n = len(values)
    ranked = -np.sort(-values, kind="stable")
    bounds = [0, *(min(n, math.ceil(t * n - 1e-9)) for t in shares), n]  # 0.2 * 10 ≠ 2.0
    names = [f"Top {_share_text(shares[0])}"]
    names += [f"Top {_share_text(a)}–{_share_text(b)}" for a, b in itertools.pairwise(shares)]
    names.append(f"Other {_share_text(1 - shares[-1])}")
    total = ranked.sum()
    rows = []
    for name, (lo, hi) in zip(names, itertools.pairwise(bounds), strict=True):
        part = ranked[lo:hi]
        rows.append(
            {
                "tier": name,
                "customers": hi - lo,
                "customer_share": (hi - lo) / n,
                "revenue": part.sum(),
                "revenue_share": part.sum() / total,
                "cumulative_customer_share": hi / n,
                "cumulative_revenue_share": ranked[:hi].sum() / total,
                "min_spend": part.min() if len(part) else np.nan,
                "max_spend": part.max() if len(part) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def assign_quadrants(rfm: pd.DataFrame, *, monetary: str = MONETARY) -> pd.DataFrame:
    """Each customer's frequency × spend quadrant, split at the two medians.

    A customer is "high" on a dimension when strictly above its median, so customers at the
    median count as low (with many one-order customers, "high" frequency means 2+ orders
    only when the median is 1).

    Returns
    -------
    pandas.DataFrame
        A copy of ``rfm`` with ``quadrant`` (categorical, names of :data:`QUADRANTS` in
        order); ``attrs["frequency_median"]`` and ``attrs["spend_median"]``.
    """
    check_columns(rfm, [FREQUENCY], "assign_quadrants: columns")
    spend = _spend(rfm, monetary, "assign_quadrants")
    frequency = pd.to_numeric(rfm[FREQUENCY], errors="coerce").to_numpy(dtype="float64")
    f_mid, m_mid = float(np.median(frequency)), float(np.median(spend))
    f_side = np.where(frequency > f_mid, "high", "low")
    m_side = np.where(spend > m_mid, "high", "low")
    names = [QUADRANTS[sides] for sides in zip(f_side, m_side, strict=True)]
    out = rfm.copy()
    out[QUADRANT] = pd.Categorical(names, categories=list(QUADRANTS.values()), ordered=True)
    out.attrs.update(frequency_median=f_mid, spend_median=m_mid)
    return out


def frequency_spend_quadrants(rfm: pd.DataFrame, *, monetary: str = MONETARY) -> pd.DataFrame:
    """Customers and revenue in each frequency × spend quadrant (split at the medians).

    Parameters
    ----------
    rfm : pandas.DataFrame
        One row per customer with ``frequency`` and ``monetary``; see :func:`assign_quadrants`
        for the split.

    Returns
    -------
    pandas.DataFrame
        Four rows in :data:`QUADRANTS` order (empty quadrants too): ``quadrant``,
        ``frequency`` and ``spend`` ("high"/"low"), ``customers``, ``customer_share``,
        ``revenue``, ``revenue_share``, ``frequency_median``, ``spend_median``.

    Examples
    --------
    >>> frequency_spend_quadrants(rfm_table(data))[["quadrant", "customers"]]
    """
    placed = assign_quadrants(rfm, monetary=monetary)
    spend = pd.to_numeric(placed[monetary])
    groups = spend.groupby(placed[QUADRANT], observed=False, sort=True)
    out = pd.DataFrame(
        {
            QUADRANT: list(QUADRANTS.values()),
            FREQUENCY: [sides[0] for sides in QUADRANTS],
            "spend": [sides[1] for sides in QUADRANTS],
            "customers": groups.size().to_numpy(dtype="int64"),
            "revenue": groups.sum().to_numpy(dtype="float64"),
        }
    )
    out.insert(4, "customer_share", out["customers"] / len(placed))
    out["revenue_share"] = out["revenue"] / float(spend.sum())
    out["frequency_median"] = placed.attrs["frequency_median"]
    out["spend_median"] = placed.attrs["spend_median"]
    return out
