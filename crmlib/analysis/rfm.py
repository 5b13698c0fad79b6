"""Recency, frequency and monetary value per customer, and their 1–5 quantile scores.

:func:`rfm_table` turns order lines into one row per customer; :func:`rfm_scores` adds a score
per dimension. Neither changes its input. Notes for the reader (lines left out, scores that
could not be spread) are returned, or kept in ``table.attrs["notes"]``, never printed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import config as C
from crmlib.analysis.attributes import check_columns
from crmlib.errors import CrmInputError, EmptyResultError

RECENCY = "recency_days"
FREQUENCY = "frequency"
MONETARY = "monetary_total"
MONETARY_AVG = "monetary_avg"
TENURE = "tenure_days"
FIRST_ORDER = "first_order"
LAST_ORDER = "last_order"
R_SCORE, F_SCORE, M_SCORE, RFM_CODE = "r_score", "f_score", "m_score", "rfm_code"
SCORE_COLUMNS = (R_SCORE, F_SCORE, M_SCORE)
INVALID = ("raise", "drop")
TIES = ("shared", "first")


def _clock(dates: pd.Series, observation_date) -> tuple[pd.Series, pd.Timestamp]:
    """Order dates and the observation day on one naive wall clock, the data's own.

    Zone-aware dates are read in their zone; an aware observation date is converted into it
    (on naive data it keeps its own wall-clock day); a naive one is taken as is.
    """
    tz = dates.dt.tz
    local = dates.dt.tz_localize(None) if tz is not None else dates
    if observation_date is None:
        return local, local.max().normalize() + pd.Timedelta(days=1)
    try:
        obs = pd.Timestamp(observation_date)
    except (ValueError, TypeError):
        obs = pd.NaT
    if obs is pd.NaT:
        raise CrmInputError(
            f"The observation date must be a date like 2011-12-10; got {observation_date!r}."
        )
    if obs.tz is not None:
        obs = (obs.tz_convert(tz) if tz is not None else obs).tz_localize(None)
    return local, obs.normalize()


def _valid_lines(frame: pd.DataFrame, date: str, amount: str, invalid: str):
    """Lines with a date and a non-negative amount, and a note on the others."""
    if invalid not in INVALID:
        raise CrmInputError(f"rfm_table: invalid must be one of {INVALID}; got {invalid!r}.")
    values = pd.to_numeric(frame[amount], errors="coerce")
    bad = {
        "a missing date": frame[date].isna(),
        "a missing amount": values.isna(),
        "a negative amount (returns, corrections)": values < 0,
    }
    counts = {what: int(mask.sum()) for what, mask in bad.items() if mask.any()}
    if not counts:
        return frame, []
    what = " and ".join(f"{n:,} with {kind}" for kind, n in counts.items())
    if invalid == "raise":
        raise CrmInputError(
            f"rfm_table: some order lines are unusable: {what}. Clean the data with "
            "crmlib.io.load_transactions or clean_transactions (they drop cancellations and "
            "returns), or pass invalid='drop' to leave these lines out."
        )
    keep = ~np.logical_or.reduce(list(bad.values()))
    return frame[keep], [f"Unusable order lines left out: {what}."]


def rfm_table(
    data: pd.DataFrame,
    *,
    observation_date: str | pd.Timestamp | None = None,
    invalid: str = "raise",
    customer: str = C.CUSTOMER_ID,
    order: str = C.ORDER_ID,
    date: str = C.ORDER_DATE,
    amount: str = C.AMOUNT,
) -> pd.DataFrame:
    """Recency, frequency and monetary value of every customer at an observation date.

    Parameters
    ----------
    data : pandas.DataFrame
        Order lines (rows = lines of orders), e.g. ``load_transactions(...).data``; needs a
        customer id, an order id, a datetime order date and an amount column. Lines without a
        customer id are left out.
    observation_date : str or Timestamp, optional
        The day the table describes (whole days). Default: the day after the last order, so
        every order counts and the latest buyers have recency 1. An earlier date gives the
        table *as it stood that day*: orders placed after it are left out (customers who had
        not bought yet are absent) and ``attrs["notes"]`` says how many lines that was.
        On zone-aware dates days are counted in the data's zone; a naive observation date is
        read in that zone, an aware one converted to it.
    invalid : {"raise", "drop"}
        Lines with a missing date, a missing amount or a negative amount (returns,
        corrections) raise CrmInputError saying how many there are; ``"drop"`` leaves them
        out of every measure and adds a note. Zero amounts (free items) count as they are.
    customer, order, date, amount : str
        Column names, canonical by default.

    Returns
    -------
    pandas.DataFrame
        One row per customer, sorted by id: ``customer_id``; ``recency_days`` (whole days from
        the last order's day to the observation day, 0 = bought that day); ``frequency``
        (distinct orders); ``monetary_total`` (sum of amounts); ``monetary_avg`` (average order
        value); ``tenure_days`` (days from the first order's day to the observation day);
        ``first_order`` and ``last_order`` (timestamps as in the data). ``attrs["notes"]``
        lists what was left out ([] when nothing).

    Raises
    ------
    CrmInputError
        Missing columns, dates that are not datetimes, invalid lines with ``"raise"``;
        EmptyResultError when no line has a customer or the date is before the first order.

    Examples
    --------
    >>> rfm = rfm_table(customer_rows(load_transactions("embedded:online_retail").data))
    """
    check_columns(data, [customer, order, date, amount], "rfm_table: columns")
    if not pd.api.types.is_datetime64_any_dtype(data[date]):
        raise CrmInputError(
            f"rfm_table: column '{date}' holds {data[date].dtype} values, not dates. Read the "
            "data with crmlib.io.load_transactions or convert it with pandas.to_datetime."
        )
    frame = data.loc[data[customer].notna(), [customer, order, date, amount]]
    if frame.empty:
        raise EmptyResultError(
            f"rfm_table: no order line has a customer id (column '{customer}'), so there is "
            "nothing to score. Map the customer column when reading the data."
        )
    frame, notes = _valid_lines(frame, date, amount, invalid)
    if frame.empty:
        raise EmptyResultError(f"rfm_table: no valid order line is left. {notes[0]}")
    local, obs_day = _clock(frame[date], observation_date)
    day = local.dt.normalize()
    kept = day <= obs_day
    if not kept.any():
        raise EmptyResultError(
            f"rfm_table: the observation date {obs_day:%Y-%m-%d} is before the first order "
            f"({day.min():%Y-%m-%d}); pick a date between {day.min():%Y-%m-%d} and "
            f"{day.max():%Y-%m-%d}, or leave it empty."
        )
    if not kept.all():
        notes.append(
            f"{int((~kept).sum()):,} order line(s) after the observation date "
            f"{obs_day:%Y-%m-%d} were left out: the table shows customers as they stood then."
        )
    lines = pd.DataFrame(
        {
            customer: frame[customer],
            order: frame[order],
            "_when": frame[date],
            "_day": day,
            "_amount": pd.to_numeric(frame[amount]),
        }
    )[kept.to_numpy()]
    orders = lines.groupby([customer, order], observed=True, sort=False).agg(
        _when=("_when", "min"), _day=("_day", "min"), _amount=("_amount", "sum")
    )
    per = orders.groupby(level=0, observed=True, sort=True).agg(
        frequency=("_amount", "size"),
        monetary_total=("_amount", "sum"),
        first_order=("_when", "min"),
        last_order=("_when", "max"),
        _first_day=("_day", "min"),
        _last_day=("_day", "max"),
    )
    out = pd.DataFrame(
        {
            C.CUSTOMER_ID: per.index,
            RECENCY: (obs_day - per["_last_day"]).dt.days.astype("int64"),
            FREQUENCY: per["frequency"].astype("int64"),
            MONETARY: per["monetary_total"].astype("float64"),
            MONETARY_AVG: per["monetary_total"] / per["frequency"],
            TENURE: (obs_day - per["_first_day"]).dt.days.astype("int64"),
            FIRST_ORDER: per["first_order"],
            LAST_ORDER: per["last_order"],
        }
    ).reset_index(drop=True)
    out.attrs["notes"] = notes
    return out


def _scores(values: pd.Series, bins: int, ties: str) -> np.ndarray:
    """Scores 1..bins by rank, higher value = higher score."""
    n = len(values)
    rank = values.rank(method="min" if ties == "shared" else "first").to_numpy()
    return (np.floor((rank - 1) * bins / n) + 1).astype("int64")


def rfm_scores(
    rfm: pd.DataFrame,
    bins: int = 5,
    *,
    ties: str = "shared",
    monetary: str = MONETARY,
) -> tuple[pd.DataFrame, list[str]]:
    """Quantile scores 1..``bins`` for recency, frequency and monetary value.

    A customer's score is ``floor((rank - 1) * bins / n) + 1`` with ranks from low to high, so
    each score holds about ``n / bins`` customers. Recency is reversed: the most recent
    buyers score highest.

    Parameters
    ----------
    rfm : pandas.DataFrame
        From :func:`rfm_table` (at least ``recency_days``, ``frequency`` and ``monetary``).
    bins : int
        Number of scores (2 or more); the default segments expect 5.
    ties : {"shared", "first"}
        ``"shared"``: equal values always get the same score, that of the lowest rank among
        them (a dimension with heavy ties then skips some scores, and a note says so).
        ``"first"``: ties are broken by row order (the table is sorted by customer id), so
        scores have equal sizes but equal customers may score differently.
    monetary : str
        Column scored as M: ``monetary_total`` (default) or ``monetary_avg``.

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        A copy of ``rfm`` with ``r_score``, ``f_score``, ``m_score`` (int) and ``rfm_code``
        (e.g. "545"); and notes on scores left unused ([] when all scores are used).

    Examples
    --------
    >>> scores, notes = rfm_scores(rfm_table(data))
    """
    if not isinstance(bins, int | np.integer) or isinstance(bins, bool) or bins < 2:
        raise CrmInputError(f"rfm_scores: bins must be a whole number of at least 2; got {bins!r}.")
    if ties not in TIES:
        raise CrmInputError(f"rfm_scores: ties must be one of {TIES}; got {ties!r}.")
    dims = {R_SCORE: RECENCY, F_SCORE: FREQUENCY, M_SCORE: monetary}
    check_columns(rfm, list(dims.values()), "rfm_scores: columns")
    out = rfm.copy()
    if out.empty:
        for col in SCORE_COLUMNS:
            out[col] = pd.Series(dtype="int64")
        out[RFM_CODE] = pd.Series(dtype="string")
        return out, ["There are no customers to score."]
    notes = []
    for score, col in dims.items():
        values = pd.to_numeric(out[col], errors="coerce")
        if values.isna().any():
            raise CrmInputError(
                f"rfm_scores: column '{col}' has {int(values.isna().sum())} missing or "
                "non-numeric values; build the table with rfm_table."
            )
        out[score] = _scores(-values if col == RECENCY else values, int(bins), ties)
        used = np.unique(out[score])
        if len(used) < bins:
            notes.append(_unused_note(score, col, values, used, int(bins)))
    sep = "" if bins < 10 else "-"
    out[RFM_CODE] = (
        out[R_SCORE].astype(str) + sep + out[F_SCORE].astype(str) + sep + out[M_SCORE].astype(str)
    ).astype("string")
    return out, notes


def _unused_note(score: str, col: str, values: pd.Series, used: np.ndarray, bins: int) -> str:
    letter = score[0].upper()
    shown = ", ".join(str(s) for s in used)
    distinct = values.nunique()
    if len(values) < bins:
        why = f"there are only {len(values)} customers"
    elif distinct < bins:
        why = f"{col} has only {distinct} distinct value(s)"
    else:
        top = values.value_counts(normalize=True)
        why = f"{top.iloc[0]:.0%} of customers share {col} = {top.index[0]:g} (ties score alike)"
    return f"{letter} uses scores {shown} of 1–{bins} only: {why}."
