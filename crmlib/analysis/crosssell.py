"""Holdings: cross-sell coverage (holders of A who also hold B, against a target), campaign
lists, and flags derived from the products held.

Counts are per customer when the baskets know their customers (a customer holds a product
when any of their baskets does; baskets without a customer are left out), else per basket,
e.g. one row per customer in a bank's wide product-holding table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from crmlib import config as C
from crmlib.analysis.baskets import Baskets

# baskets.py keeps its flag parser private and is not edited here; aliased so that the shared
# use reads as public. Rename it in baskets.py (to as_flag) when that file is next changed.
from crmlib.analysis.baskets import _flag as as_flag
from crmlib.errors import CrmInputError
from crmlib.privacy import pseudonymise


def group_rows(matrix: sparse.csr_matrix, codes: np.ndarray, groups: int, mask: np.ndarray):
    """OR of the rows of ``matrix`` per group code, over the rows in ``mask``."""
    rows = np.flatnonzero(mask & (codes >= 0))
    member = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (codes[rows], rows)), shape=(groups, matrix.shape[0])
    )
    return ((member @ matrix.astype(np.int32)) > 0).tocsr()


def _units(baskets: Baskets) -> tuple[sparse.csr_matrix, pd.Series]:
    """Holding matrix per customer (or per basket) and the matching ids."""
    if not isinstance(baskets, Baskets):
        raise CrmInputError(
            f"Expected Baskets (e.g. baskets_from_wide(table)); got {type(baskets).__name__}."
        )
    if baskets.customers is None:
        return baskets.matrix.tocsr(), pd.Series(baskets.basket_ids, name="basket_id")
    codes, uniques = pd.factorize(baskets.customers)
    everyone = np.ones(baskets.n_baskets, dtype=bool)
    matrix = group_rows(baskets.matrix, codes, len(uniques), everyone)
    return matrix, pd.Series(uniques, name=C.CUSTOMER_ID)


def _targets(targets, products: list[str], base: np.ndarray) -> np.ndarray:
    """Target share of each product: its overall share unless a value is given."""
    if targets is None:
        return base.copy()
    given = targets if isinstance(targets, Mapping) else dict.fromkeys(products, targets)
    unknown = [p for p in given if p not in products]
    if unknown:
        raise CrmInputError(f"targets name products {unknown} that are not in {products}.")
    out = base.copy()
    for product, value in given.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise CrmInputError(
                f"The target share of '{product}' must be between 0 and 1 (0.3 = 30 %); "
                f"got {value!r}."
            )
        out[products.index(product)] = float(value)
    return out


def cross_sell_coverage(
    baskets: Baskets,
    products: Sequence[str],
    *,
    targets: float | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Coverage of product B among holders of product A, for every ordered pair of products.

    Parameters
    ----------
    baskets : Baskets
        Holdings, e.g. :func:`~crmlib.analysis.baskets.baskets_from_wide` on a flag table with
        one row per customer, or order baskets with customers.
    products : sequence of str
        At least two item labels.
    targets : float or mapping product → float, optional
        Share of A-holders that should hold B, per B product (a float applies to all). Default,
        and for products the mapping leaves out: B's share among all customers.

    Returns
    -------
    pandas.DataFrame
        One row per ordered pair (A, B), A ≠ B, in ``products`` order: ``product_a``,
        ``product_b``, ``holders_a``, ``holders_both``, ``share`` (= holders_both / holders_a,
        NaN without holders), ``base_share`` (B's share among all), ``lift`` (share /
        base_share), ``target_share``, ``gap`` (customers still to win to reach the target:
        ``max(0, ceil(target_share · holders_a − holders_both))``) and ``campaign_size``
        (A-holders without B, the length of :func:`campaign_list`).

    Examples
    --------
    >>> holdings = baskets_from_wide(bank, id_column="id")  # doctest: +SKIP
    >>> cross_sell_coverage(holdings, ["savings", "mortgage"], targets={"mortgage": 0.3})
    ... # doctest: +SKIP
    """
    wanted = [str(p) for p in products] if not isinstance(products, str) else [products]
    if len(set(wanted)) < 2:
        raise CrmInputError(f"Name at least two different products; got {wanted}.")
    matrix, _ = _units(baskets)
    codes = baskets.codes(wanted)
    if matrix.shape[0] == 0:
        raise CrmInputError("No basket has a customer id, so no customer holds anything.")
    held = matrix[:, codes].astype(np.int64)
    both = np.asarray((held.T @ held).todense())
    holders = np.diag(both).copy()
    base = holders / matrix.shape[0]
    target = _targets(targets, wanted, base)
    a, b = np.nonzero(~np.eye(len(wanted), dtype=bool))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(holders[a] > 0, both[a, b] / holders[a], np.nan)
        lift = share / base[b]
    raw_gap = target[b] * holders[a] - both[a, b]
    gap = [max(0, math.ceil(g - 1e-9)) for g in raw_gap]
    return pd.DataFrame(
        {
            "product_a": [wanted[i] for i in a],
            "product_b": [wanted[i] for i in b],
            "holders_a": holders[a],
            "holders_both": both[a, b],
            "share": share,
            "base_share": base[b],
            "lift": lift,
            "target_share": target[b],
            "gap": np.asarray(gap, dtype=np.int64),
            "campaign_size": holders[a] - both[a, b],
        }
    )


def campaign_list(baskets: Baskets, a: str, b: str) -> pd.Series:
    """Pseudonymised ids of the holders of ``a`` who do not hold ``b``: whom to offer ``b``.

    Parameters
    ----------
    baskets : Baskets
        Holdings; ids are customers when ``baskets.customers`` is set, else basket ids.
    a, b : str
        Item labels of the product held and the product offered.

    Returns
    -------
    pandas.Series of str
        Pseudonyms (:func:`crmlib.privacy.pseudonymise`), one per target, in data order; named
        ``customer_id`` or ``basket_id``. Empty when every holder of ``a`` holds ``b``.

    Examples
    --------
    >>> campaign_list(holdings, "savings", "mortgage").head()  # doctest: +SKIP
    """
    if a == b:
        raise CrmInputError(f"Products a and b must differ; got '{a}' twice.")
    matrix, ids = _units(baskets)
    code_a, code_b = baskets.codes([a, b])
    held = matrix[:, [code_a, code_b]].toarray()
    targets = ids[held[:, 0] & ~held[:, 1]].reset_index(drop=True)
    return pseudonymise(targets)


def derive_flag(
    data: Baskets | pd.DataFrame,
    *,
    all_of: Sequence[str] = (),
    any_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
    name: str = "flag",
) -> pd.Series:
    """A flag from held items: all of ``all_of``, at least one of ``any_of``, none of ``none_of``.

    Parameters
    ----------
    data : Baskets or pandas.DataFrame
        Baskets, or a wide table whose named columns hold flags (T/F, 1/0, yes/no).
    all_of, any_of, none_of : sequence of str
        Item labels (or flag columns). Empty lists impose nothing; at least one must be given.
    name : str
        Name of the result.

    Returns
    -------
    pandas.Series of bool
        One value per basket (index = basket ids) or row (the frame's index).

    Examples
    --------
    >>> healthy = derive_flag(b, all_of=["fish"], any_of=["fruit", "vegetables"], name="healthy")
    ... # doctest: +SKIP
    """
    groups = [list(all_of), list(any_of), list(none_of)]
    wanted = [x for g in groups for x in g]
    if not wanted:
        raise CrmInputError("derive_flag needs items in all_of, any_of or none_of.")
    if isinstance(data, Baskets):
        codes = data.codes(wanted)
        held = data.matrix[:, codes].toarray()
        index = data.basket_ids
    elif isinstance(data, pd.DataFrame):
        missing = [c for c in wanted if c not in data.columns]
        if missing:
            raise CrmInputError(f"Flag columns {missing} not found; found {list(data.columns)}.")
        held = np.column_stack([as_flag(data[c], str(c)).to_numpy() for c in wanted])
        index = data.index
    else:
        raise CrmInputError(f"derive_flag takes Baskets or a DataFrame; got {type(data).__name__}.")
    sizes = np.cumsum([0] + [len(g) for g in groups])
    part = [held[:, sizes[i] : sizes[i + 1]] for i in range(3)]
    result = part[0].all(axis=1) & ~part[2].any(axis=1)
    if groups[1]:
        result &= part[1].any(axis=1)
    return pd.Series(result, index=index, name=name)
