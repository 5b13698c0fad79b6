"""Benchmark of the comment pipeline: 20,000 comments through sentiment and topics.

``python bench/satisfaction.py`` takes 20,000 comments (``--comments``): 10,000 Women's
Clothing reviews (English, longer) and 10,000 waimai_10k reviews (Chinese, short), repeated
with a suffix when the corpus is smaller. In one process it times

* our sentiment (:func:`crmlib.text.sentiment`) on all comments,
* the themes (language, segmentation, TF-IDF, NMF topics with the coherence choice over
  4–10 topics, keyword taxonomy) via :func:`analyse_comments`, which also re-scores sentiment,
* the baselines on the same comments when installed: VADER on the English ones and SnowNLP on
  a 1,000-comment sample of the Chinese ones (it is slow; its rate is extrapolated).

It prints comments per second for each and the ratio of ours to each baseline. Goal: sentiment
plus topics for 20,000 comments under 60 s; exit status 1 when missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crmlib.analysis.satisfaction_text import analyse_comments  # noqa: E402
from crmlib.text import sentiment  # noqa: E402
from crmlib.text.evaluate import snownlp_scores, vader_scores  # noqa: E402

GOAL_SECONDS = 60.0
DATA = ROOT / "data"


def comments(n: int) -> pd.DataFrame:
    """``n`` comments, half English, half Chinese, as a feedback frame (comment, language)."""
    en = pd.read_csv(DATA / "womens_clothing_reviews" / "womens_clothing_reviews.csv.gz")
    en = en["Review Text"].dropna().astype(str)
    zh = pd.read_csv(DATA / "waimai_10k" / "waimai_10k.csv")["review"].astype(str)
    half = n // 2

    def take(s: pd.Series, k: int) -> list[str]:
        reps = -(-k // len(s))
        out = [t if r == 0 else f"{t} ({r})" for r in range(reps) for t in s]
        return out[:k]

    texts = take(en, half) + take(zh, n - half)
    return pd.DataFrame({"comment": texts, "lang": ["en"] * half + ["zh"] * (n - half)})


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=20_000)
    args = parser.parse_args()
    frame = comments(args.comments)
    n = len(frame)
    sentiment(["warm-up 预热"])  # load models and lexicons once, outside the timing
    _, t_sent = timed(sentiment, frame["comment"])
    result, t_all = timed(analyse_comments, frame[["comment"]])
    print(f"comments: {n:,} ({(frame['lang'] == 'en').sum():,} English, "
          f"{(frame['lang'] == 'zh').sum():,} Chinese)")  # fmt: skip
    print(f"our sentiment:               {t_sent:7.2f} s  {n / t_sent:9,.0f} comments/s")
    print(f"sentiment + topics pipeline: {t_all:7.2f} s  {n / t_all:9,.0f} comments/s  "
          f"({len(result.topics)} topics chosen of {len(result.topic_choice)} tried, "
          f"category coverage {result.coverage:.1%})")  # fmt: skip
    en = frame.loc[frame["lang"] == "en", "comment"].tolist()
    _, t_ours_en = timed(sentiment, en)
    base, t_vader = timed(vader_scores, en)
    if base is None:
        print("VADER: not installed (pip install -e .[test]); no ratio")
    else:
        rate = len(en) / t_vader
        print(f"VADER (English only):        {t_vader:7.2f} s  {rate:9,.0f} comments/s;"
              f" ours on the same {len(en):,}: {t_ours_en:.2f} s -> ours/VADER time ratio "
              f"{t_ours_en / t_vader:.2f}")  # fmt: skip
    zh = frame.loc[frame["lang"] == "zh", "comment"].tolist()[:1000]
    _, t_ours_zh = timed(sentiment, zh)
    base, t_snow = timed(snownlp_scores, zh)
    if base is None:
        print("SnowNLP: not installed (pip install -e .[test]); no ratio")
    else:
        print(f"SnowNLP (1,000 Chinese):     {t_snow:7.2f} s  {len(zh) / t_snow:9,.0f} comments/s;"
              f" ours on the same: {t_ours_zh:.2f} s -> SnowNLP/ours speed-up "
              f"{t_snow / t_ours_zh:.1f}x")  # fmt: skip
    ok = t_all <= GOAL_SECONDS
    print(f"goal: sentiment + topics for {n:,} comments under {GOAL_SECONDS:.0f} s: "
          f"{'met' if ok else 'MISSED'} ({t_all:.1f} s)")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
