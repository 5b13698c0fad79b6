"""Word segmentation and stop words for Chinese and English comments.

Chinese uses ``rjieba`` (Rust port of jieba's dictionary and HMM, maintained; decision record
0009); English is split on letters. Stop words are small built-in lists (function words and
review boilerplate), extendable per call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crmlib.text.prepare import words

STOP_EN = frozenset(
    words(
        """a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves i'm it's don't didn't
    doesn't isn't wasn't i've i'd i'll you're they're that's there's can't won't really get got
    one would even much bit still way well back though"""
    )
)
STOP_ZH = frozenset(
    words(
        """的 了 是 我 也 在 有 和 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们
    它 这 那 这个 那个
    之 于 把 被 让 给 对 从 向 为 以 所 其 但 但是 还 又 很 太 挺 非常 比较 吧 吗 呢 啊 呀 哦 嗯 哈
    哈哈 啦 么 个 就是 还是 可以 一下 一点 什么 怎么 这么 那么 自己 时候 因为 所以 如果 然后 已经
    不 没 会 能 要 说 去 来 到 上 下 里 后 再 才 点 得 地 过 用 等 次 真的 感觉 觉得 知道 东西"""
    )
)
_EN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_ZH_KEEP = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


def tokenize(text: str, lang: str, *, extra_stop: Iterable[str] = ()) -> list[str]:
    """Content words of one comment: segmented, lower-cased, stop words and 1-letter words out.

    Parameters
    ----------
    text : str
    lang : {"zh", "en", "other"}
        "zh" segments with rjieba; anything else splits English words.
    extra_stop : iterable of str
        More words to drop.

    Returns
    -------
    list of str

    Examples
    --------
    >>> tokenize("The delivery was really slow", "en")
    ['delivery', 'slow']
    """
    extra = frozenset(extra_stop)
    if lang == "zh":
        import rjieba

        words = [w.strip().lower() for w in rjieba.cut(text)]
        return [
            w
            for w in words
            if len(w) > 1 and _ZH_KEEP.search(w) and w not in STOP_ZH and w not in extra
        ]
    words = _EN_WORD.findall(text.lower())
    return [w for w in words if len(w) > 2 and w not in STOP_EN and w not in extra]
