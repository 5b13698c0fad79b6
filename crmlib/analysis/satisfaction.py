"""Satisfaction scores with 95 % confidence intervals: NPS, CSAT and mean rating.

* **NPS** (0–10 answers): promoters 9–10, passives 7–8, detractors 0–6;
  NPS = 100 × (P − D) with P, D the shares. Its standard error follows from the multinomial
  variance of the difference of two shares: Var(P − D) = (P + D − (P − D)²) / n.
* **CSAT**: share of "top-two-box" answers (4–5 on a 1–5 scale), Wilson score interval.
* **Mean rating**: mean ± t(0.975, n − 1) × s / √n.

Tables by segment merge groups with fewer than ``k`` responses into one row (and hide that
row when it is still too small), as :func:`crmlib.privacy.suppress_small` does for customers.
Out-of-range answers are excluded and counted, never silently coerced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.privacy import DEFAULT_MIN_GROUP

Z95 = 1.959963984540054
MERGED = "Other (small groups)"
SCALES: dict[str, tuple[float, float]] = {"nps": (0, 10), "csat": (1, 5), "rating": (1, 5)}


def valid_scores(values: pd.Series, low: float, high: float, *, name: str) -> tuple[pd.Series, int]:
    """Numeric answers within ``[low, high]``; blanks dropped, out-of-range answers counted.

    Returns
    -------
    (pandas.Series of float, int)
        The valid answers (index kept) and how many non-blank answers were out of range or
        not numbers.
    """
    num = pd.to_numeric(values, errors="coerce")
    present = values.notna() & (values.astype("string").str.strip() != "")
    ok = num.between(low, high)
    return num[ok].astype(float), int((present & ~ok).sum())


def nps(scores: pd.Series | Sequence[float]) -> dict[str, float]:
    """Net Promoter Score with a 95 % interval from 0–10 answers.

    Parameters
    ----------
    scores : pandas.Series or sequence of numbers in 0–10 (already validated)

    Returns
    -------
    dict
        ``n, promoters, passives, detractors`` (shares), ``nps``, ``se``, ``ci_low``,
        ``ci_high`` (NPS points, −100..100; the interval is clipped to that range).

    Examples
    --------
    >>> r = nps([10, 9, 8, 3])  # P = 0.5, D = 0.25
    >>> r["nps"], round(r["se"], 2)
    (25.0, 41.46)
    """
    s = pd.Series(scores, dtype=float).dropna()
    n = len(s)
    if n == 0:
        raise EmptyResultError("No NPS answers to summarise (after removing blanks).")
    p, d = float((s >= 9).mean()), float((s <= 6).mean())
    diff = p - d
    se = 100 * math.sqrt(max(p + d - diff * diff, 0.0) / n)
    value = 100 * diff
    return {
        "n": n, "promoters": p, "passives": 1 - p - d, "detractors": d, "nps": value,
        "se": se, "ci_low": max(value - Z95 * se, -100.0), "ci_high": min(value + Z95 * se, 100.0),
    }  # fmt: skip


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (``(nan, nan)`` when ``n`` is 0)."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (centre - half, centre + half)


def csat(scores: pd.Series | Sequence[float], *, top: float = 4) -> dict[str, float]:
    """CSAT: share of answers at or above ``top`` (top-two-box on 1–5), Wilson 95 % interval.

    Examples
    --------
    >>> r = csat([5, 4, 2, 1])
    >>> r["csat"], round(r["ci_low"], 4), round(r["ci_high"], 4)
    (0.5, 0.15, 0.85)
    """
    s = pd.Series(scores, dtype=float).dropna()
    if len(s) == 0:
        raise EmptyResultError("No CSAT answers to summarise (after removing blanks).")
    k = int((s >= top).sum())
    low, high = wilson(k, len(s))
    return {"n": len(s), "csat": k / len(s), "ci_low": low, "ci_high": high}


def mean_rating(scores: pd.Series | Sequence[float]) -> dict[str, float]:
    """Mean rating with a t-based 95 % interval (no interval for a single answer)."""
    from scipy.stats import t

    s = pd.Series(scores, dtype=float).dropna()
    n = len(s)
    if n == 0:
        raise EmptyResultError("No ratings to summarise (after removing blanks).")
    mean = float(s.mean())
    half = float(t.ppf(0.975, n - 1) * s.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return {"n": n, "mean": mean, "ci_low": mean - half, "ci_high": mean + half}


METRICS = {"nps": (nps, "nps"), "csat": (csat, "csat"), "rating": (mean_rating, "mean")}


def _check(frame: pd.DataFrame, metric: str, columns: dict[str, str | None]) -> None:
    """Clear errors for an unknown metric or a missing column (naming the columns found)."""
    if metric not in METRICS:
        raise CrmInputError(f"metric must be one of {sorted(METRICS)}; got {metric!r}.")
    for role, name in columns.items():
        if name is not None and name not in frame.columns:
            found = ", ".join(map(str, frame.columns[:20]))
            raise CrmInputError(
                f"No {role} column '{name}' in the feedback table. Columns found: {found}."
            )


def score_by(
    frame: pd.DataFrame,
    score: str,
    *,
    metric: str = "csat",
    by: str | None = None,
    k: int = DEFAULT_MIN_GROUP,
) -> tuple[pd.DataFrame, str]:
    """One metric with its interval per group, small groups merged or hidden.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per response with a numeric ``score`` column (validated) and ``by``.
    metric : {"nps", "csat", "rating"}
    by : str, optional
        Segment column; None gives one row "All".
    k : int
        Smallest group shown on its own.

    Returns
    -------
    (pandas.DataFrame, str)
        Columns ``group, n, value, ci_low, ci_high`` (plus the metric's shares), sorted by
        ``n``; a privacy note ("" when nothing was merged).
    """
    _check(frame, metric, {"score": score, "segment": by})
    fn, key = METRICS[metric]
    data = frame[[score]].copy()
    data["group"] = "All" if by is None else frame[by].astype("string").fillna("(missing)")
    data = data.dropna(subset=[score])
    if data.empty:
        raise EmptyResultError(f"No valid '{score}' answers to summarise.")
    sizes = data["group"].value_counts()
    small = sizes.index[sizes < k]
    note = ""
    if len(small):
        data.loc[data["group"].isin(small), "group"] = MERGED
        note = f"{len(small)} group(s) with fewer than {k} responses merged into '{MERGED}'."
    rows = []
    for g, part in data.groupby("group", sort=False):
        r = fn(part[score])
        hidden = r["n"] < k
        row = {"group": g, "n": r["n"], "value": np.nan if hidden else r[key]}
        row |= {c: (np.nan if hidden else v) for c, v in r.items() if c not in ("n", key)}
        rows.append(row)
    if any(r["group"] == MERGED and r["n"] < k for r in rows):
        note += " Its figures are hidden (still fewer than k responses)."
    out = pd.DataFrame(rows).sort_values("n", ascending=False, ignore_index=True)
    return out, note.strip()


def score_over_time(
    frame: pd.DataFrame, score: str, date: str, *, metric: str = "csat", freq: str = "M"
) -> pd.DataFrame:
    """The metric with its interval per calendar period (``freq``: "M", "Q", "W", "Y").

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (str) and those of :func:`score_by`; periods with fewer than 5
        responses show only ``n`` (every other figure, NPS shares included, is blank).
    """
    _check(frame, metric, {"score": score, "date": date})
    when = pd.to_datetime(frame[date], errors="coerce")
    if when.notna().sum() == 0:
        raise CrmInputError(f"Column '{date}' holds no readable dates; over-time view skipped.")
    data = frame.loc[when.notna(), [score]].copy()
    data["period"] = when[when.notna()].dt.to_period(freq).astype(str)
    table, _ = score_by(data, score, metric=metric, by="period", k=1)
    small = table["n"] < DEFAULT_MIN_GROUP
    table.loc[small, [c for c in table.columns if c not in ("group", "n")]] = np.nan
    return table.rename(columns={"group": "period"}).sort_values("period", ignore_index=True)


def compare_segments(
    frame: pd.DataFrame, score: str, by: str, *, metric: str = "csat", k: int = DEFAULT_MIN_GROUP
) -> pd.DataFrame:
    """Each segment against all other responses: difference, 95 % interval, p-value, note.

    Normal approximation: the interval uses the two groups' own standard errors, the test a
    pooled one for CSAT (two-proportion z-test); p-values are two-sided and Holm-adjusted over
    the segments compared.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, n, value, rest, difference, ci_low, ci_high, p_value, p_adjusted,
        note``, sorted by difference; groups smaller than ``k`` are left out.
    """
    _check(frame, metric, {"score": score, "segment": by})
    data = frame[[score, by]].dropna()
    groups = data[by].astype("string")
    rows = []
    for g in groups.value_counts().index:
        inside = data.loc[groups == g, score]
        outside = data.loc[groups != g, score]
        if len(inside) < k or len(outside) < k:
            continue
        a, b = _estimate(inside, metric), _estimate(outside, metric)
        diff, se = a[0] - b[0], math.hypot(a[1], b[1])
        se0 = _pooled_se(inside, outside) if metric == "csat" else se
        z = diff / se0 if se0 > 0 else (math.inf if diff else 0.0)
        p = math.erfc(abs(z) / math.sqrt(2))
        rows.append({"group": g, "n": len(inside), "value": a[0], "rest": b[0],
                     "difference": diff, "ci_low": diff - Z95 * se, "ci_high": diff + Z95 * se,
                     "p_value": p})  # fmt: skip
    if not rows:
        raise EmptyResultError(_nothing_to_compare(groups.value_counts(), by, k))
    out = pd.DataFrame(rows)
    out["p_adjusted"] = _holm(out["p_value"].to_numpy())
    out["note"] = np.where(
        out["p_adjusted"] < 0.05,
        np.where(out["difference"] > 0, "significantly higher", "significantly lower"),
        "no significant difference",
    )
    return out.sort_values("difference", ignore_index=True)


def _nothing_to_compare(sizes: pd.Series, by: str, k: int) -> str:
    """Why no segment of ``by`` could be compared with the rest (``sizes``: responses per value)."""
    if len(sizes) == 0:
        return f"No response has both a score and a '{by}' value; nothing to compare."
    if len(sizes) == 1:
        return (
            f"Every response has the same '{by}' ({sizes.index[0]}, {int(sizes.iloc[0]):,} "
            "responses), so there is no other segment to compare it with."
        )
    total = int(sizes.sum())
    return (
        f"No segment of '{by}' has {k} or more responses while the other segments together "
        f"also have {k} or more (largest segment {int(sizes.iloc[0]):,} of {total:,} responses). "
        "Lower min_group or use a segment with more balanced groups."
    )


def _estimate(s: pd.Series, metric: str) -> tuple[float, float]:
    """Point estimate and standard error of the metric for one group."""
    n = len(s)
    if metric == "nps":
        r = nps(s)
        return r["nps"], r["se"]
    if metric == "csat":
        p = float((s >= 4).mean())
        return p, math.sqrt(p * (1 - p) / n)
    return float(s.mean()), float(s.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0


def _pooled_se(inside: pd.Series, outside: pd.Series) -> float:
    """Standard error of a difference of top-two-box shares under equal shares (z-test)."""
    n1, n2 = len(inside), len(outside)
    p = float(((inside >= 4).sum() + (outside >= 4).sum()) / (n1 + n2))
    return math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted
