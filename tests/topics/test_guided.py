"""Guided topics at the estimator level, on a BBC News subsample (K = 5, seeds for three of its
five categories): seeded topics hold their category's documents and keep their seeds, which
the same model unseeded does not; the back-ends that cannot be seeded, or not that way, say so."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from research.errors import ParameterError
from research.evaluate import seed_drift
from research.topics import NMF, build_topic_model

SEEDS = {"sport": ["match", "cup", "coach"], "business": ["shares", "profit", "economy"],
         "tech": ["software", "users", "phone"]}
FAST = {"lda.gensim": {"passes": 8, "iterations": 30}, "nmf.sklearn": {}, "nmf.sklearn_minibatch": {"batch_size": 128}}


@pytest.fixture(scope="module")
def bbc(shared_data):
    with (shared_data / "bbc_news" / "bbc_news.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle][::6]       # 371 of 2,225, every category
    texts = [r["text"] for r in rows]
    out = {"category": np.array([r["category"] for r in rows])}
    for name, vectorizer in (("counts", CountVectorizer), ("tfidf", TfidfVectorizer)):
        vec = vectorizer(stop_words="english", min_df=3, max_df=0.5)
        out[name] = vec.fit_transform(texts)
        out["vocabulary"] = list(vec.get_feature_names_out())   # the same words for both
    return out


def _fit(bbc, name, seed_words=None, **params):
    X = bbc["counts" if name.startswith("lda") else "tfidf"]
    return build_topic_model(name, 5, 0, seed_words=seed_words, **FAST[name], **params).fit(
        X, feature_names=bbc["vocabulary"])


def _best_unseeded(model, vocabulary, name):
    """For an unseeded model: the drift of the topic that best keeps seed list ``name``
    (any index: its topics are not numbered after the seeds)."""
    rows = [seed_drift(model.topic_word_[[t]], vocabulary, {name: SEEDS[name]}, 10)[0] for t in range(5)]
    return max(rows, key=lambda d: (d.recall, d.cosine))


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(FAST))
def test_seeded_topics_hold_their_category_and_keep_their_seeds(bbc, name):
    seeded = _fit(bbc, name, SEEDS)
    plain = _fit(bbc, name)
    dominant = seeded.doc_topic_.argmax(axis=1)
    drift = seed_drift(seeded.topic_word_, bbc["vocabulary"], SEEDS, 10)
    for topic, (category, d) in enumerate(zip(SEEDS, drift, strict=True)):
        members = bbc["category"][dominant == topic]
        assert members.size >= 20, (category, members.size)
        assert np.mean(members == category) > 0.5, (category, np.mean(members == category))   # mostly
        assert d.topic == topic and d.name == category
    seeded_recall = np.mean([d.recall for d in drift])
    plain_recall = np.mean([_best_unseeded(plain, bbc["vocabulary"], n).recall for n in SEEDS])
    assert seeded_recall > plain_recall, (seeded_recall, plain_recall)
    assert seeded_recall >= 2 / 3


@pytest.mark.shared_data
def test_unknown_seed_words_are_ignored_and_no_seeds_is_the_unguided_model(bbc):
    with_unknown = {n: [*w, "qqqnotaword"] for n, w in SEEDS.items()}
    a = _fit(bbc, "nmf.sklearn", SEEDS)
    b = _fit(bbc, "nmf.sklearn", with_unknown)
    np.testing.assert_array_equal(a.topic_word_, b.topic_word_)
    for empty in (None, {}):
        np.testing.assert_array_equal(_fit(bbc, "nmf.sklearn", empty).topic_word_,
                                      build_topic_model("nmf.sklearn", 5, 0).fit(
                                          bbc["tfidf"], feature_names=bbc["vocabulary"]).topic_word_)


@pytest.mark.shared_data
def test_seeded_nmf_reports_the_real_documents_only(bbc):
    model = _fit(bbc, "nmf.sklearn", SEEDS)
    assert model.doc_topic_.shape == (bbc["tfidf"].shape[0], 5)
    assert model.reconstruction_error_ == pytest.approx(model.reconstruction_error(bbc["tfidf"]), rel=1e-3)


@pytest.mark.shared_data
def test_a_stronger_seed_pins_a_topic_closer_to_its_seeds(bbc):
    cosines = [seed_drift(_fit(bbc, "nmf.sklearn", SEEDS, seed_strength=s).topic_word_, bbc["vocabulary"],
                          SEEDS, 10)[0].cosine for s in (0.25, 4.0)]
    assert cosines[1] > cosines[0], cosines


def test_sklearn_lda_cannot_be_seeded_and_says_which_can():
    with pytest.raises(ParameterError, match=r"seed_words must be empty for lda.sklearn, which cannot be "
                                             r"seeded \(back-ends that can: lda.gensim, lda.tomotopy, nmf.sklearn, "
                                             r"nmf.sklearn_minibatch\)"):
        build_topic_model("lda.sklearn", 5, 0, seed_words={"sport": ["match"]})


@pytest.mark.parametrize("params, param, match", [
    ({"seed_words": {"a": ["x"], "b": ["y"], "c": ["z"]}}, "seed_words", "at most num_topics = 2"),
    ({"seed_words": {"a": []}}, "seed_words", "non-empty list of words"),
    ({"seed_words": {"a": "match"}}, "seed_words", "non-empty list of words"),
    ({"seed_words": {"a": ["x"]}, "seed_strength": 0}, "seed_strength", "a number > 0"),
    ({"seed_words": {"a": ["x"]}, "eta": "auto"}, "eta", "symmetric or a number when seed_words is set"),
])
def test_bad_seed_settings_name_the_parameter(params, param, match):
    with pytest.raises(ParameterError, match=match) as caught:
        build_topic_model("lda.gensim", 2, 0, **params)
    assert caught.value.param == param


@pytest.mark.parametrize("name", ["lda.gensim", "nmf.sklearn_minibatch"])
def test_partial_fit_refuses_seeds(name):
    X = np.random.default_rng(0).poisson(1.0, size=(20, 8)).astype(float)
    model = build_topic_model(name, 2, 0, seed_words={"a": ["x0", "x1"]})
    with pytest.raises(ParameterError, match="seed_words must be empty for partial_fit"):
        model.partial_fit(X)


def test_the_facade_passes_seeds_to_its_backend():
    X = np.random.default_rng(0).poisson(1.0, size=(40, 12)).astype(float)
    X[:10, :3] += 6          # ten documents share three words
    model = NMF(num_topics=3, seed_words={"first": ["x0", "x1", "x2"]}).fit(X)
    assert {w for w, _ in model.top_words(3)[0]} == {"x0", "x1", "x2"}
