"""Themes in comments: TF-IDF keywords per group, NMF topics chosen by coherence, and complaint
categories from a keyword taxonomy.

Tokens come from :func:`crmlib.text.segment.tokenize` (rjieba for Chinese), so Chinese and
English comments can share one model. Topic coherence is UMass-style on document
co-occurrence of each topic's top terms (higher is better, all values ≤ 0); the number of
topics with the best mean coherence wins unless the caller fixes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crmlib.errors import CrmInputError, EmptyResultError
from crmlib.text.prepare import REDACTED
from crmlib.text.segment import tokenize

TOPIC, CATEGORY, UNCATEGORISED = "topic", "category", "(uncategorised)"
SMALL_GROUPS = "Other (small groups)"
_PLACEHOLDER = "|".join(re.escape(v) for v in REDACTED.values())

# Complaint categories: lower-case keywords (English) and Chinese words, matched as substrings.
DEFAULT_TAXONOMY: dict[str, tuple[str, ...]] = {
    "delivery": ("deliver", "shipping", "shipped", "arrived", "late", "courier", "package",
                 "送餐", "配送", "外卖员", "骑手", "送到", "送达", "快递", "物流", "超时",
                 "小时", "等了"),
    "quality": ("quality", "cheap", "fabric", "material", "thin", "ripped", "broke", "defect",
                "质量", "做工", "材质", "破", "坏", "瑕疵", "掉色", "起球", "变质", "不新鲜"),
    "price": ("price", "expensive", "overpriced", "worth", "money", "cost",
              "价格", "贵", "性价比", "价钱", "划算", "便宜", "优惠"),
    "service": ("service", "customer service", "staff", "rude", "refund", "return",
                "服务", "态度", "客服", "商家", "退款", "老板", "电话"),
    "size/fit": ("size", "fit", "small", "large", "tight", "loose", "petite", "length", "long",
                 "尺码", "大小", "偏大", "偏小", "合身", "码"),
    "taste/food": ("taste", "flavor", "flavour", "bland", "salty", "cold",
                   "味道", "口味", "难吃", "好吃", "咸", "淡", "凉", "冷", "油", "分量", "量少"),
    "look/style": ("color", "colour", "look", "style", "design", "pattern", "flattering",
                   "颜色", "款式", "样子", "好看", "漂亮"),
}  # fmt: skip


def token_lists(texts: pd.Series, languages: pd.Series) -> list[list[str]]:
    """Content words of each comment (see :func:`crmlib.text.segment.tokenize`); redaction
    placeholders such as ``[phone]`` are not words."""
    plain = texts.astype("string").fillna("").str.replace(_PLACEHOLDER, " ", regex=True)
    return [tokenize(t, lang) for t, lang in zip(plain, languages, strict=True)]


def _tfidf(tokens: Sequence[list[str]], *, min_df: int = 3, max_features: int = 5000):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(
        analyzer=lambda x: x, min_df=min_df, max_df=0.5, max_features=max_features,
        sublinear_tf=True,
    )  # fmt: skip
    try:
        x = vec.fit_transform(tokens)
    except ValueError as exc:
        raise EmptyResultError(
            f"Too few words for themes: no term appears in {min_df} comments or more. "
            "Use more comments or a lower min_df."
        ) from exc
    return vec, x


def keywords_by_group(
    tokens: Sequence[list[str]],
    groups: pd.Series,
    *,
    top: int = 8,
    min_df: int = 3,
    k: int = 1,
) -> pd.DataFrame:
    """Distinctive keywords of each group: top terms by mean TF-IDF within the group.

    Parameters
    ----------
    tokens : sequence of list of str, one per comment
    groups : pandas.Series
        Group label per comment, positionally aligned with ``tokens``.
    top : int
        Keywords kept per group.
    k : int
        Smallest group shown on its own: smaller groups are merged into
        ``"Other (small groups)"``, whose keywords stay blank if it still has fewer than ``k``
        comments (a single comment's words would be that person's words).

    Returns
    -------
    pandas.DataFrame
        Columns ``group, comments, keywords`` (comma-separated, best first), one row per group.
    """
    vec, x = _tfidf(tokens, min_df=min_df)
    terms = np.asarray(vec.get_feature_names_out())
    labels = groups.astype(str).to_numpy()
    sizes = pd.Series(labels).value_counts()
    labels = np.where(np.isin(labels, sizes.index[sizes < k]), SMALL_GROUPS, labels)
    rows = []
    for g in pd.unique(labels):
        mask = labels == g
        weight = np.asarray(x[mask].mean(axis=0)).ravel()
        best = terms[np.argsort(-weight)[:top]] if mask.sum() >= k else []
        rows.append({"group": g, "comments": int(mask.sum()), "keywords": ", ".join(best)})
    return pd.DataFrame(rows).sort_values("comments", ascending=False, ignore_index=True)


def _coherence(binary, top_idx: np.ndarray) -> float:
    """Mean UMass coherence of one topic's top terms (document co-occurrence, ε = 1)."""
    sub = binary[:, top_idx]
    co = (sub.T @ sub).toarray()
    df = np.diag(co)
    total, pairs = 0.0, 0
    for i in range(1, len(top_idx)):
        for j in range(i):
            total += np.log((co[i, j] + 1.0) / max(df[j], 1.0))
            pairs += 1
    return total / max(pairs, 1)


def fit_topics(
    tokens: Sequence[list[str]],
    *,
    n_topics: int | None = None,
    candidates: Sequence[int] = (4, 5, 6, 7, 8, 10),
    top_terms: int = 8,
    min_df: int = 3,
    seed: int = 0,
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """NMF topics on TF-IDF, with the number of topics chosen by coherence unless given.

    Parameters
    ----------
    tokens : sequence of list of str, one per comment
    n_topics : int, optional
        Fix the number of topics (overrides the coherence choice).
    candidates : sequence of int
        Numbers of topics tried when ``n_topics`` is None.

    Returns
    -------
    assignment : numpy.ndarray of str, shape (n_comments,)
        Topic label per comment; "(no topic)" where a comment has no modelled word.
    topics : pandas.DataFrame
        One row per topic: ``topic`` (label from its top 3 terms), ``terms``, ``comments``,
        ``coherence``.
    choice : pandas.DataFrame
        ``n_topics, coherence, chosen`` for each number tried.
    """
    from sklearn.decomposition import NMF

    vec, x = _tfidf(tokens, min_df=min_df)
    terms = np.asarray(vec.get_feature_names_out())
    binary = (x > 0).astype(float).tocsc()
    limit = min(x.shape)  # NMF needs fewer topics than both comments and modelled terms
    size = f"{x.shape[0]:,} comments and {x.shape[1]:,} terms used in {min_df} or more comments"
    if n_topics is not None and not 1 <= n_topics < limit:
        raise CrmInputError(
            f"n_topics must be at least 1 and below {limit} ({size}); got {n_topics}. "
            "Choose fewer topics, or 0 to choose by coherence."
        )
    tried = [n_topics] if n_topics else [k for k in candidates if 1 <= k < limit]
    if not tried:
        raise CrmInputError(
            f"Too little text for topics: every candidate number of topics {list(candidates)} "
            f"needs to be below {limit} ({size}). Use more comments or fix n_topics below {limit}."
        )
    results = []
    for k in tried:
        model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=300)
        w = model.fit_transform(x)
        tops = np.argsort(-model.components_, axis=1)[:, :top_terms]
        coh = [_coherence(binary, t) for t in tops]
        results.append((float(np.mean(coh)), k, w, tops, coh))
    best = max(results, key=lambda r: r[0])
    _, k, w, tops, coh = best
    labels = np.array([" / ".join(terms[t[:3]]) for t in tops], dtype=object)
    assigned = np.where(w.max(axis=1) > 0, labels[w.argmax(axis=1)], "(no topic)")
    counts = pd.Series(assigned).value_counts()
    topics = pd.DataFrame({
        TOPIC: labels,
        "terms": [", ".join(terms[t]) for t in tops],
        "comments": [int(counts.get(lab, 0)) for lab in labels],
        "coherence": np.round(coh, 3),
    }).sort_values("comments", ascending=False, ignore_index=True)  # fmt: skip
    choice = pd.DataFrame({
        "n_topics": [r[1] for r in results],
        "coherence": [round(r[0], 3) for r in results],
        "chosen": [r[1] == k for r in results],
    })  # fmt: skip
    return assigned, topics, choice


def categorise(
    texts: pd.Series, taxonomy: Mapping[str, Sequence[str]] | None = None
) -> tuple[pd.Series, float]:
    """Complaint category of each comment from a keyword taxonomy (first category with most hits).

    Parameters
    ----------
    texts : pandas.Series of str
    taxonomy : mapping of category → keywords, optional
        Default :data:`DEFAULT_TAXONOMY`; keywords match case-insensitively as substrings.

    Returns
    -------
    (pandas.Series of str, float)
        Category per comment (``"(uncategorised)"`` when no keyword matches), on the index of
        ``texts``, and the coverage: share of comments with a category.

    Examples
    --------
    >>> cats, cov = categorise(pd.Series(["Runs small", "送餐太慢了", "ok"]))
    >>> cats.tolist(), round(cov, 2)
    (['size/fit', 'delivery', '(uncategorised)'], 0.67)
    """
    tax = dict(DEFAULT_TAXONOMY if taxonomy is None else taxonomy)
    if not tax:
        raise CrmInputError("The complaint taxonomy is empty; give at least one category.")
    empty = [cat for cat, words in tax.items() if isinstance(words, str) or not any(words)]
    if empty:
        raise CrmInputError(
            f"Complaint categories {empty} have no keywords (or a plain string instead of a "
            "list); give each category a non-empty list of keywords."
        )
    lower = texts.astype("string").fillna("").str.lower()
    hits = pd.DataFrame({
        cat: lower.str.count("|".join(_escape(k) for k in words if k))
        for cat, words in tax.items()
    })  # fmt: skip
    best = hits.idxmax(axis=1).where(hits.max(axis=1) > 0, UNCATEGORISED)
    coverage = float((best != UNCATEGORISED).mean()) if len(best) else 0.0
    return best.astype(object).rename(CATEGORY), coverage


def _escape(word: str) -> str:
    return re.escape(word.lower())
