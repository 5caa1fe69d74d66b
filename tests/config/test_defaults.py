"""One source of defaults: every registered builder's constructor defaults agree with
research/config/defaults.yaml (or the constructor has none of its own)."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

import research.config
from research.tone import CLASSIFIERS, PromotionalScorer, SentenceScorer, ToneClassifier, ToneSettings
from research.topics import LDA, NMF, TOPIC_BACKENDS


@pytest.fixture(scope="module")
def defaults():
    return yaml.safe_load((Path(research.config.__file__).parent / "defaults.yaml").read_text(encoding="utf-8"))


def _signature_defaults(cls) -> dict:
    return {k: p.default for k, p in inspect.signature(cls).parameters.items()
            if p.kind is not p.VAR_KEYWORD}


# seed words (topic name -> words) and their strength: one setting for every back-end, outside
# the back-ends' own sections


@pytest.mark.parametrize("name", list(TOPIC_BACKENDS))
def test_every_topic_backend_agrees_with_its_defaults_section(defaults, name):
    family, backend = name.split(".", 1)
    found = _signature_defaults(TOPIC_BACKENDS.get(name))
    assert found.pop("num_topics") == defaults["topics"]["num_topics"]
    assert found.pop("seed") == defaults["seed"]
    # guided topics: every back-end takes them; the run passes topics.seed_words / seed_strength
    assert found.pop("seed_words") is None and defaults["topics"]["seed_words"] == {}
    assert found.pop("seed_strength") == defaults["topics"]["seed_strength"]
    assert found == defaults["topics"][f"{family}_{backend}"]


def test_every_defaults_section_has_a_registered_backend(defaults):
    """Each back-end section is a registered back-end's, but for lda_spark: the Spark engine's LDA
    (engine.kind: spark), whose keys research.spark.topics.fit_spark_lda reads (tested in tests/spark)."""
    sections = {k for k in defaults["topics"] if k.split("_")[0] in ("lda", "nmf", "embed") and not k.endswith("_backend")}
    assert sections == {n.replace(".", "_", 1) for n in TOPIC_BACKENDS} | {"lda_spark"}


@pytest.mark.parametrize("cls", [LDA, NMF])
def test_lda_and_nmf_estimators_agree(defaults, cls):
    found = _signature_defaults(cls)
    family = cls.__name__.lower()
    assert found == {"num_topics": defaults["topics"]["num_topics"], "seed": defaults["seed"],
                     "backend": defaults["topics"][f"{family}_backend"]}


def test_tone_settings_agree_with_the_tone_and_vectorizer_sections(defaults):
    tone = defaults["tone"]
    s = ToneSettings()
    assert (list(s.features), s.model, s.C, s.class_weight, s.max_iter, s.calibration_folds, s.nb_alpha,
            s.tone_features) == (tone["features"], tone["model"], tone["C"], tone["class_weight"],
                                 tone["max_iter"], tone["calibration_folds"], tone["nb_alpha"],
                                 tone["tone_features"])
    assert (s.sentence_threshold, s.sentence_min_words) == (tone["sentences"]["threshold"],
                                                            tone["sentences"]["min_words"])
    assert list(s.sentence_quantiles) == tone["sentences"]["quantiles"]
    assert (list(s.char_ngram_range), s.char_min_df) == (tone["chars"]["ngram_range"], tone["chars"]["min_df"])
    assert s.random_state == defaults["seed"]
    # TF-IDF features: no defaults of our own; scikit-learn's are the vectorizer section's
    assert s.tfidf_params == {}
    sklearn = TfidfVectorizer().get_params()
    for key, value in defaults["vectorizer"].items():
        if key not in ("kind", "hashing"):    # hashing: the Spark engine's switch to a HashingVectorizer
            assert sklearn[key] == (tuple(value) if isinstance(value, list) else value), key
    assert {f.name for f in dataclasses.fields(ToneSettings)} >= {"C", "max_iter", "nb_alpha"}
    assert f"tone.{tone['model']}" in CLASSIFIERS


def test_tone_classifier_scorers_agree(defaults):
    tone = defaults["tone"]
    found = _signature_defaults(ToneClassifier)
    assert found == {"classifier": None, "positive": tone["positive"], "unit": tone["unit"],
                     "paragraph_min_words": tone["paragraph_min_words"],
                     "promotional_prior": tone["promotional"]["prior"], "threshold": tone["threshold"],
                     "calibration": tone["calibration"], "inner_folds": tone["evaluation"]["folds"],
                     "random_state": defaults["seed"]}
    assert _signature_defaults(PromotionalScorer)["prior"] == tone["promotional"]["prior"]
    assert SentenceScorer.DEFAULT_C == tone["sentences"]["C"]
    scorer = _signature_defaults(SentenceScorer)
    for key in ("char_ngrams", "class_weight", "embeddings", "fine_tune", "fine_tune_epochs", "fine_tune_threads"):
        assert scorer[key] == tone["sentences"][key], key
