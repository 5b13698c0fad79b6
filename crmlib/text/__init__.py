"""Comment text: preparation, redaction, segmentation, sentiment and themes (Chinese and English).

Sits beside :mod:`crmlib.analysis` (pure functions on pandas objects, no charts or widgets) and
imports nothing from it. Public entry point for outside checks::

    from crmlib.text import sentiment
    sentiment(["good but slow", "不太好"])  # DataFrame[score, label, language]
"""

from crmlib.text.prepare import clean_text, detect_language, has_words, redact
from crmlib.text.segment import STOP_EN, STOP_ZH, tokenize
from crmlib.text.sentiment import sentiment

__all__ = [
    "STOP_EN",
    "STOP_ZH",
    "clean_text",
    "detect_language",
    "has_words",
    "redact",
    "sentiment",
    "tokenize",
]
