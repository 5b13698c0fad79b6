"""Feature extraction shared by training and scoring of the linear sentiment models.

Chinese: character 1–3-grams (no segmentation, so 不错 / 不太好 are features of their own).
English: word 1–2-grams where words after a negator ("not", "never", "n't" …) up to the next
punctuation carry a ``NEG_`` prefix, so "not good" and "good" are different features.
Weights are sublinear TF × IDF, L2-normalised, exactly as :class:`TfidfVectorizer` would give
with ``sublinear_tf=True``; the vocabulary and IDF are stored with the model, so scoring needs
no fitted scikit-learn object.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping

import numpy as np

from crmlib.text.prepare import words

_EN_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[.,!?;:]")
_EN_NEGATORS = frozenset(
    words("not no never nothing nobody none nor cannot without hardly barely neither")
)
_ZH_SPACE = re.compile(r"\s+")


def analyze_en(text: str) -> list[str]:
    """Word 1–2-grams with negation marking, e.g. ``"not good."`` → ``not, NEG_good, …``."""
    text = text.lower().replace("n't", " not")
    words: list[str] = []
    negated = False
    for tok in _EN_TOKEN.findall(text):
        if tok in ".,!?;:":
            negated = False
            continue
        if tok in _EN_NEGATORS:
            negated = True
            words.append(tok)
            continue
        words.append("NEG_" + tok if negated else tok)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def analyze_zh(text: str) -> list[str]:
    """Character 1–3-grams of the text with whitespace removed and Latin letters lower-cased."""
    text = _ZH_SPACE.sub("", text.lower())
    grams = list(text)
    grams += [text[i : i + 2] for i in range(len(text) - 1)]
    grams += [text[i : i + 3] for i in range(len(text) - 2)]
    return grams


ANALYZERS = {"en": analyze_en, "zh": analyze_zh}


def tfidf_matrix(
    texts: Iterable[str], vocabulary: Mapping[str, int], idf: np.ndarray, lang: str
) -> object:
    """Sparse L2-normalised sublinear TF-IDF matrix, shape (n_texts, len(vocabulary)).

    Parameters
    ----------
    texts : iterable of str
    vocabulary : mapping of feature → column
    idf : numpy.ndarray, shape (len(vocabulary),)
    lang : {"en", "zh"}

    Returns
    -------
    scipy.sparse.csr_matrix
    """
    from scipy import sparse

    analyze = ANALYZERS[lang]
    texts = list(texts)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[int] = []
    for r, text in enumerate(texts):
        counts: dict[int, int] = {}
        for gram in analyze(text):
            c = vocabulary.get(gram)
            if c is not None:
                counts[c] = counts.get(c, 0) + 1
        rows.extend([r] * len(counts))
        cols.extend(counts)
        vals.extend(counts.values())
    n = len(texts)
    data = (1.0 + np.log(np.asarray(vals, dtype=float))) * idf[np.asarray(cols, dtype=int)]
    m = sparse.csr_matrix((data, (rows, cols)), shape=(n, len(vocabulary)))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ m
