"""Rule-based Chinese and English polarity: a small lexicon with negation, degree and contrast.

Chinese words are matched longest-first on the raw characters (no segmentation needed). A
negator (不, 没, 别, 无 …) up to two characters before a word flips it and damps it (不好 is
less negative than 差 is, 不差 is only mildly positive). Clauses after a contrast word (但是, 不过,
可是 …, or "but", "however") weigh double, those before it (虽然 …) half. The English side
delegates to VADER's lexicon and rules (``vaderSentiment``), which already handles negation,
intensifiers and "but", with a few review words it lacks added (:data:`EXTRA_EN`).

Output scores are in [-1, 1]; 0 means no sentiment word was found.
"""

from __future__ import annotations

import re

import numpy as np

from crmlib.text.prepare import words

POSITIVE_ZH = words(
    "好 不错 满意 喜欢 推荐 好吃 赞 棒 快 准时 实惠 划算 值 值得 新鲜 干净 热情 舒服 方便 "
    "漂亮 精美 "
    "完美 优秀 超值 给力 惊喜 感谢 谢谢 好评 香 美味 可口 及时 周到 耐心 清晰 流畅 结实 正品 "
    "物美价廉 性价比高 很快 还行 可以 挺好 爱 开心 高兴 愉快 放心 专业 贴心 细心 温馨 安静 宽敞 "
    "划得来 合适 合身 舒适 好看 好用 耐用 精致 到位 靠谱 省心 喜爱 满分 支持 回购 再来 点赞 "
    "推荐大家 赞一个 不错哦 值得购买 好喝 地道 入味 丰富 分量足 量大 便宜 优惠 实在 认真 负责 "
    "友好 礼貌 热心 效率高 神速 快捷 顺利 无敌 经典 感动 精彩 有趣 实用 清楚 大方 得体"
)
NEGATIVE_ZH = words(
    "差 难吃 失望 垃圾 慢 贵 坑 骗 烂 糟糕 恶心 后悔 退货 投诉 破 脏 冷 凉 咸 难闻 坏 错 "
    "差评 一般 太慢 态度差 不满 生气 无语 郁闷 假货 漏 变质 过期 敷衍 麻烦 卡 不行 "
    "难喝 淡 硬 油腻 腥 臭 酸 馊 少 缺 漏送 送错 超时 迟到 等了 半天 退款 拒绝 欺骗 忽悠 "
    "上当 坑人 黑心 无奈 遗憾 可惜 心疼 难受 吵 旧 破旧 简陋 异味 虫 头发 质量差 做工差 "
    "不值 太贵 偏贵 小气 粗糙 起球 掉色 褪色 变形 开线 瑕疵 划痕 故障 死机 发热 卡顿 "
    "垃圾货 差劲 糟 烂透 再也不 不会再 别买 不推荐 傻 骂 嫌弃 讨厌 痛苦 崩溃 "
    "呵呵 无聊 失败 浪费 拖 慢吞吞 退 换货 维修 返修 客服不理"
)
# Words that contain a sentiment character but carry no sentiment (快递 is not 快, 房卡 not 卡);
# matched longest-first like the rest, they shield their characters with a value of 0.
NEUTRAL_ZH = words(
    "快递 快餐 快点 好像 好多 好几 只好 冷气 空调 房卡 信用卡 卡片 会员卡 退房 多少 至少 不少 减少 "
    "少许 香港 淡季 差不多 差点 一般来说 爱情 值班 破解"
)
NEGATORS_ZH = (
    "不",
    "没",
    "别",
    "无",
    "未",
    "非",
    "莫",
    "勿",
    "不太",
    "没有",
    "不是",
    "并不",
    "不够",
    "不怎么",
)
CONTRAST_ZH = ("但是", "但", "可是", "不过", "然而", "只是", "就是", "却")
CONCESSIVE_ZH = ("虽然", "尽管", "虽说")

_ZH_WORDS = (
    {w: 1.0 for w in POSITIVE_ZH} | {w: -1.0 for w in NEGATIVE_ZH} | dict.fromkeys(NEUTRAL_ZH, 0.0)
)
_ZH_RE = re.compile("|".join(sorted(map(re.escape, _ZH_WORDS), key=len, reverse=True)))
_NEG_RE = re.compile(
    "(?:" + "|".join(sorted(NEGATORS_ZH, key=len, reverse=True)) + ")[^，。！？,.!?]{0,2}$"
)
_CLAUSE_RE = re.compile(r"[，。！？；,.!?;~\s]+")
_CONTRAST_RE = re.compile("(" + "|".join(CONTRAST_ZH) + ")")


def _clause_weights(clauses: list[str]) -> list[float]:
    weights = [1.0] * len(clauses)
    for i, clause in enumerate(clauses):
        if i and _CONTRAST_RE.match(clause):
            for j in range(i):
                weights[j] *= 0.5
            weights[i] *= 2.0
        if any(clause.startswith(c) for c in CONCESSIVE_ZH):
            weights[i] *= 0.5
    return weights


_SPLIT_CONTRAST_RE = re.compile("(但是|可是|不过|然而|但)")


def _score_zh(text: str) -> tuple[float, int]:
    text = _SPLIT_CONTRAST_RE.sub(r"，\1", text)
    clauses = [c for c in _CLAUSE_RE.split(text) if c]
    total, hits = 0.0, 0
    for clause, weight in zip(clauses, _clause_weights(clauses), strict=True):
        for m in _ZH_RE.finditer(clause):
            value = _ZH_WORDS[m.group(0)]
            if value == 0.0:
                continue
            before = clause[max(0, m.start() - 4) : m.start()]
            if _NEG_RE.search(before):
                value = -0.6 * value if value > 0 else -0.4 * value
            total += weight * value
            hits += 1
    return total, hits


def lexicon_scores_zh(texts: list[str]) -> np.ndarray:
    """Polarity of Chinese texts in [-1, 1] from the lexicon (0 = no sentiment word).

    Parameters
    ----------
    texts : list of str

    Returns
    -------
    numpy.ndarray of float, shape (len(texts),)

    Examples
    --------
    >>> lexicon_scores_zh(["不错", "不太好", "虽然很贵，但是好吃"]).round(2).tolist()
    [0.71, -0.51, 0.87]
    """
    out = np.zeros(len(texts))
    for i, text in enumerate(texts):
        total, _ = _score_zh(text)
        out[i] = total / np.sqrt(total * total + 1.0)
    return out


# Review words VADER's general lexicon lacks, on its −4..4 valence scale.
EXTRA_EN: dict[str, float] = {
    "slow": -1.5, "late": -1.2, "flimsy": -1.8, "overpriced": -1.8, "refund": -1.0,
    "returned": -1.0, "returning": -1.2, "cheaply": -1.4, "unflattering": -1.8, "scratchy": -1.3,
    "pricey": -0.8, "stale": -1.6, "soggy": -1.6, "bland": -1.4, "faulty": -2.0, "leaked": -1.4,
    "comfy": 1.8, "sturdy": 1.3, "tasty": 2.0, "fast": 1.0, "prompt": 1.0, "durable": 1.4,
}  # fmt: skip
_VADER = None


def lexicon_scores_en(texts: list[str]) -> np.ndarray:
    """VADER compound polarity of English texts in [-1, 1] (0 = no sentiment word).

    Parameters
    ----------
    texts : list of str

    Returns
    -------
    numpy.ndarray of float, shape (len(texts),)
    """
    global _VADER
    if _VADER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _VADER = SentimentIntensityAnalyzer()
        _VADER.lexicon.update(EXTRA_EN)
    return np.array([_VADER.polarity_scores(t)["compound"] for t in texts], dtype=float)
