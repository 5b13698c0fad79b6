# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Customer satisfaction: scores, comment sentiment, topics and complaint drivers
#
# NPS / CSAT / mean rating with 95 % intervals by segment, sentiment of every comment (Chinese
# and English, offline), topics and complaint categories, and the themes that drag scores down,
# with redacted example comments. Defaults: Women's Clothing reviews (English, ratings) and
# waimai_10k (Chinese food-delivery reviews, positive/negative label).

# %% tags=["parameters"]
# fmt: off
source: str = "embedded:womens_clothing_reviews"  # feedback file or embedded:<name>
comment_column: str = "Review Text"  # free-text comment column (empty for none)
rating_column: str = "Rating"  # 1-5 rating or CSAT column (empty for none)
nps_column: str = ""  # 0-10 likelihood-to-recommend column (empty for none)
recommend_column: str = "Recommended IND"  # yes/no or 1/0 would-recommend column (empty for none)
date_column: str = ""  # answer date column for the over-time view (empty for none)
segment_columns: list = ["Department Name", "Age"]  # segment columns; numeric ones become bands
chinese_source: str = "embedded:waimai_10k"  # second feedback file (empty to skip)
chinese_comment_column: str = "review"  # comment column of the second file
chinese_recommend_column: str = "label"  # yes/no or 1/0 column of the second file
n_topics: int = 0  # number of NMF topics; 0 chooses it by coherence
taxonomy: dict = {}  # complaint categories as category to keyword list; empty uses the default
min_group: int = 5  # smallest segment shown on its own
eval_rows: int = 3000  # held-out rows per corpus in the accuracy comparison (SnowNLP is slow)
interactive: bool = True  # widgets for JupyterLab and Voila; reports run with False
# fmt: on

# %%
from crmlib.notebook import setup
from crmlib.notebook.satisfaction import (
    accuracy_records,
    comment_analysis,
    driver_score,
    load_feedback,
    show_comments,
    show_drivers,
    show_scores,
    show_second_corpus,
    show_sentiment_accuracy,
    show_themes,
)
from crmlib.record import record

setup(interactive)
columns = dict(comment=comment_column, rating=rating_column, nps=nps_column,
               recommend=recommend_column, date=date_column, segments=segment_columns)  # fmt: skip
params = dict(n_topics=n_topics or None, taxonomy=taxonomy or None)
feedback, feedback_notes = load_feedback(source, columns)

# %% [markdown]
# ## Scores with 95 % intervals, by segment

# %%
scores = show_scores(feedback, [s for s in segment_columns if s], min_group)

# %% [markdown]
# ## How accurate is the sentiment? (held-out rows, against VADER and SnowNLP)

# %%
accuracy = show_sentiment_accuracy(eval_rows)

# %% [markdown]
# ## Comment sentiment

# %%
result = comment_analysis(feedback, source, params, columns)
show_comments(result, feedback_notes)

# %% [markdown]
# ## Topics, keywords and complaint categories

# %%
show_themes(result, [s for s in segment_columns if s], min_group)

# %% [markdown]
# ## What drives low scores
#
# Impact = share of comments × (the theme's mean score − the overall mean): the rows at the top
# cost the most. Example comments are the theme's most negative ones, with personal data removed.

# %%
drivers = show_drivers(result, driver_score(columns))

# %% [markdown]
# ## Second corpus (Chinese reviews by default)

# %%
zh_columns = dict(comment=chinese_comment_column, recommend=chinese_recommend_column)
zh_result, zh_records = show_second_corpus(chinese_source, zh_columns, params, min_group)

# %% [markdown]
# ## Explore the comments (app: corpus, segment and score-band filters, topic examples)

# %%
if interactive:
    from widgets import SatisfactionApp

    others = {"Chinese reviews": (zh_result, None, driver_score(zh_columns))} if zh_result else {}
    display(SatisfactionApp(result, segment=next(iter(segment_columns), None),  # noqa: F821
                            score=driver_score(columns), others=others))  # fmt: skip

# %%
record("sentiment_metrics", accuracy_records(accuracy))
record("split", str(accuracy["split"].iloc[0]))
record("scores", {k: v for k, v in scores.items() if isinstance(v, dict)})
record("comments", len(result.comments))
record("negative_share", float((result.comments["label"] == "negative").mean()))
record("n_topics", len(result.topics))
record("topics", result.topics["topic"].tolist())
record("coverage", result.coverage)
record("top_driver", str(drivers["category"]["theme"].iloc[0]))
for name, value in zh_records.items():
    record(name, value)
