"""Text preparation: cleaning, language detection and redaction of personal data.

All functions take and return pandas objects aligned on the caller's index, and never mutate
their input. Redaction runs before anything is displayed or exported.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

MAX_CHARS = 2000
CUT_NOTE = " […cut]"
LANG_ZH, LANG_EN, LANG_OTHER = "zh", "en", "other"

_TAG = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# Personal data. Order matters: e-mails first, then 18-digit ID-card numbers (last may be X),
# then phone numbers (mainland mobiles, international and grouped formats).
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ID_CARD = re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx](?!\d)")
# A run of digits with phone separators; replaced only when it holds 8 to 15 digits. It never
# starts at a date such as 2024-01-05 or 2024.01.05, nor inside one (after "<digit>-").
_DATE_AHEAD = r"(?!\d{4}([-.])\d{1,2}\1\d{1,2}(?!\d))"
_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?<!\d-)" + _DATE_AHEAD + r"\+?\(?\d[\d ().-]{6,18}\d(?![0-9A-Za-z])"
)
REDACTED = {"email": "[email]", "id": "[id-number]", "phone": "[phone]"}


def words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words of a literal word list (used for lexicons and stop words)."""
    return tuple(text.split())


def clean_text(texts: pd.Series, *, max_chars: int | None = MAX_CHARS) -> tuple[pd.Series, int]:
    """Normalise comments: HTML tags dropped and entities decoded, spaces collapsed, long text cut.

    Parameters
    ----------
    texts : pandas.Series
        Raw comments (any dtype; missing values become empty strings).
    max_chars : int, optional
        Longest text kept; longer comments are cut and end with ``" […cut]"`` (see
        :func:`cut_text`). None keeps the whole text, e.g. to redact before cutting.

    Returns
    -------
    (pandas.Series of str, int)
        Cleaned comments on the same index, and the number of comments that were cut.
    """
    s = texts.astype("string").fillna("")
    s = s.str.replace(_TAG, " ", regex=True).map(html.unescape, na_action="ignore")
    s = s.str.replace(_SPACE, " ", regex=True).str.strip().astype(str)
    return (s, 0) if max_chars is None else cut_text(s, max_chars=max_chars)


def cut_text(texts: pd.Series, *, max_chars: int = MAX_CHARS) -> tuple[pd.Series, int]:
    """Cut comments longer than ``max_chars``, marking them with ``" […cut]"``.

    Returns
    -------
    (pandas.Series of str, int)
        Same index; and the number of comments that were cut.
    """
    s = texts.astype(str)
    too_long = s.str.len() > max_chars
    s = s.where(~too_long, s.str.slice(0, max_chars) + CUT_NOTE)
    return s, int(too_long.sum())


def detect_language(texts: pd.Series) -> pd.Series:
    """Language of each comment: ``"zh"``, ``"en"`` or ``"other"``.

    A comment is Chinese when Han characters are at least 30 % of its letters, English when
    it has at least two Latin letters and is not Chinese, and "other" otherwise (empty,
    emoji-only, punctuation-only or another script).

    Parameters
    ----------
    texts : pandas.Series of str

    Returns
    -------
    pandas.Series of str
        Same index as ``texts``.

    Examples
    --------
    >>> detect_language(pd.Series(["很好", "good", "👍", "OK 不错"])).tolist()
    ['zh', 'en', 'other', 'zh']
    """
    s = texts.astype("string").fillna("")
    cjk = s.str.count(_CJK.pattern).to_numpy(dtype=float)
    latin = s.str.count(_LATIN.pattern).to_numpy(dtype=float)
    # Latin letters weigh a fifth of a Han character (a word is ~5 letters, ~1-2 characters).
    zh = (cjk > 0) & (cjk >= 0.3 * (cjk + latin / 5))
    en = ~zh & (latin >= 2)
    out = np.where(zh, LANG_ZH, np.where(en, LANG_EN, LANG_OTHER))
    return pd.Series(out, index=texts.index, name="language", dtype=object)


def redact(texts: pd.Series) -> pd.Series:
    """Replace e-mail addresses, ID-card-like numbers and phone numbers by placeholders.

    Parameters
    ----------
    texts : pandas.Series of str

    Returns
    -------
    pandas.Series of str
        Same index; ``[email]``, ``[id-number]`` and ``[phone]`` stand where the data was.

    Examples
    --------
    >>> redact(pd.Series(["call 13812345678 or a.b@x.cn"])).iloc[0]
    'call [phone] or [email]'
    """
    s = texts.astype("string").fillna("")
    s = s.str.replace(_EMAIL, REDACTED["email"], regex=True)
    s = s.str.replace(_ID_CARD, REDACTED["id"], regex=True)
    s = s.str.replace(_PHONE, _phone_or_keep, regex=True)
    return s.astype(object)


def _phone_or_keep(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return REDACTED["phone"] if 8 <= digits <= 15 else match.group(0)


def has_words(texts: pd.Series) -> pd.Series:
    """True where a comment holds at least one letter or Han character (not emoji/punctuation)."""
    s = texts.astype("string").fillna("")
    return s.str.contains(r"[^\W\d_]", regex=True).fillna(False).astype(bool)
