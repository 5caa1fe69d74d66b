"""Merging topics of a fitted model (MergedTopicModel, merge_groups), saving it as a run
artefact, and automatic labels; on a spread-out sample of the OCTIS BBC corpus."""

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from research.errors import RunError
from research.runs.artifacts import load_artifact, save_artifact
from research.topics import MergedTopicModel, TopicResult, build_topic_model, merge_groups, topic_labels
from research.topics.labels import auto_label
from research.topics.merge import cosine_similarity


@pytest.fixture(scope="module")
def lda(shared_data):
    with open(shared_data / "octis_bbc" / "corpus.tsv", encoding="utf-8") as handle:
        docs = [line.split("\t")[0] for line in handle][::9][:250]
    counts = CountVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, min_df=3)
    X = counts.fit_transform(docs)
    model = build_topic_model("lda.gensim", 6, 3, passes=3, iterations=30)
    return model.fit(X[:200], feature_names=counts.get_feature_names_out()), X[200:]


@pytest.mark.shared_data
def test_merged_gensim_model_saves_and_reloads_with_the_same_shares(lda, tmp_path):
    model, new = lda
    groups = merge_groups(model.topic_word_, model.doc_topic_.mean(axis=0), reduce_to=4).groups
    merged = MergedTopicModel(model, groups)
    assert merged.topic_word_.shape == (4, model.topic_word_.shape[1])
    assert np.allclose(merged.topic_word_.sum(axis=1), 1) and np.allclose(merged.doc_topic_.sum(axis=1), 1)
    main = save_artifact(merged, tmp_path / "model")
    again = load_artifact(main)
    assert isinstance(again, MergedTopicModel) and again.groups == groups
    shares = again.transform(new)
    base = model.transform(new)
    assert np.allclose(shares, np.column_stack([base[:, g].sum(axis=1) for g in groups]))
    assert np.allclose(again.topic_word_, merged.topic_word_)


@pytest.mark.shared_data
def test_merged_topic_word_is_the_prevalence_weighted_average(lda):
    model, _ = lda
    weight = model.doc_topic_.mean(axis=0)
    groups = merge_groups(model.topic_word_, weight, reduce_to=5).groups
    pair = next(g for g in groups if len(g) == 2)
    cos = cosine_similarity(model.topic_word_)
    np.fill_diagonal(cos, -1)
    assert sorted(np.unravel_index(np.argmax(cos), cos.shape)) == pair
    row = MergedTopicModel(model, groups).topic_word_[groups.index(pair)]
    mixed = weight[pair] @ model.topic_word_[pair]
    assert np.allclose(row, mixed / mixed.sum())


@pytest.mark.shared_data
def test_a_tampered_artefact_with_groups_that_do_not_partition_is_refused(lda, tmp_path):
    model, _ = lda
    main = save_artifact(MergedTopicModel(model, [[0, 1], [2, 3], [4, 5]]), tmp_path / "model")
    data = json.loads(main.read_text())
    data["state"]["groups"] = [[0, 1], [2, 3], [4]]
    main.write_text(json.dumps(data))
    with pytest.raises(RunError, match="do not partition the 6 topics"):
        load_artifact(main)


def test_auto_label_skips_words_contained_in_earlier_ones():
    words = ["prime_minister", "minister", "pakistan", "pakistani", "trade", "talks"]
    assert auto_label(words) == "prime_minister / pakistan / trade"


def test_user_labels_beat_seed_names_beat_top_words():
    vocabulary = ("bank", "rate", "profit", "match", "goal", "club")
    topic_word = np.array([[.4, .3, .2, .05, .03, .02], [.02, .03, .05, .4, .3, .2], [.3, .02, .03, .05, .4, .2]])
    result = TopicResult(topic_word, np.full((2, 3), 1 / 3), vocabulary)
    assert topic_labels(result, 5) == ["bank / rate / profit", "match / goal / club", "goal / bank / club"]
    assert topic_labels(result, 5, {2: "mixed"}, {0: "finance", 2: "seeded"}) == \
        ["finance", "match / goal / club", "mixed"]
    with pytest.raises(ValueError, match="topic 3"):
        topic_labels(result, 5, {3: "x"})
