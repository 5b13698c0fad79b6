"""Accuracy, macro-F1 and ROC AUC of our sentiment against VADER / SnowNLP on held-out rows.

The held-out rows are those :func:`crmlib.text.train.is_test_row` marks (30 % by text hash);
the shipped models never saw them. Baselines run only when their package is installed
(``pip install -e .[test]``); otherwise their rows say "not installed".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.text.sentiment import sentiment


def binary_metrics(y: np.ndarray, score: np.ndarray, threshold: float = 0.0) -> dict[str, float]:
    """Accuracy, macro-F1 (predicted positive when ``score > threshold``) and ROC AUC.

    Parameters
    ----------
    y : array of 0/1, shape (n,)
    score : array of float, shape (n,); higher = more positive

    Returns
    -------
    dict with ``accuracy``, ``macro_f1``, ``auc``, ``predicted_positive``, ``actual_positive``
    """
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    y = np.asarray(y, dtype=int)
    pred = (np.asarray(score) > threshold).astype(int)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro")),
        "auc": float(roc_auc_score(y, score)),
        "predicted_positive": float(pred.mean()),
        "actual_positive": float(y.mean()),
    }


def vader_scores(texts: list[str]) -> np.ndarray | None:
    """VADER compound scores, or None when ``vaderSentiment`` is not installed."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(t)["compound"] for t in texts])


def snownlp_scores(texts: list[str]) -> np.ndarray | None:
    """SnowNLP positive probabilities, or None when ``snownlp`` is not installed."""
    try:
        from snownlp import SnowNLP
    except ImportError:
        return None
    return np.array([SnowNLP(t).sentiments if t.strip() else 0.5 for t in texts])


# Baselines and their usual decision points (VADER's documented ±0.05; SnowNLP's 0.5).
BASELINES = {"en": ("VADER", vader_scores, 0.05), "zh": ("SnowNLP", snownlp_scores, 0.5)}


def compare(
    corpus: pd.DataFrame, lang: str, *, name: str, limit: int | None = None
) -> pd.DataFrame:
    """Our sentiment and the language's baseline on the held-out rows of one corpus.

    Parameters
    ----------
    corpus : pandas.DataFrame
        Columns ``text`` (str) and ``y`` (0/1), e.g. from :func:`crmlib.text.train.waimai_corpus`.
    lang : {"en", "zh"}
    name : str
        Corpus name shown in the table.
    limit : int, optional
        Evaluate a fixed random sample of this many held-out rows, to bound run time.

    Returns
    -------
    pandas.DataFrame
        One row per method: ``corpus, method, rows, accuracy, macro_f1, auc,
        predicted_positive, actual_positive, split``.
    """
    from crmlib.text.train import is_test_row

    test = corpus[is_test_row(corpus["text"])]
    if limit is not None and len(test) > limit:
        test = test.sample(n=limit, random_state=0)
    texts, y = test["text"].tolist(), test["y"].to_numpy()
    split = (
        f"held-out 30 % of rows by MD5 of the text ({len(test):,} rows; models trained on the rest)"
    )
    rows = [{"method": "crmlib", **binary_metrics(y, sentiment(texts)["score"].to_numpy())}]
    base_name, base_fn, threshold = BASELINES[lang]
    base = base_fn(texts)
    if base is None:
        rows.append({"method": f"{base_name} (not installed)"})
    else:
        rows.append({"method": base_name, **binary_metrics(y, base, threshold)})
    out = pd.DataFrame(rows)
    out.insert(0, "corpus", name)
    out.insert(2, "rows", len(test))
    out["split"] = split
    return out
