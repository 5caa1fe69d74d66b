"""tone.features: chars — character 2-4-grams within word boundaries (issue 15, the core
CheckThat setting), on the real CheckThat! 2025 English train and dev sentences."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.metrics import f1_score

from research.tone import build_classifier, explain
from research.tone.glossary import glossary


def _split(shared_data, name):
    with open(shared_data / "checkthat2025_en" / f"{name}_en.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["sentence"] for r in rows], np.array([r["label"] for r in rows])


@pytest.mark.shared_data
def test_character_ngrams_beat_words_on_dev_and_are_explained_in_words(shared_data):
    """The claim behind configs/tone_subjectivity.yaml: fitted on train, scored on dev (never
    dev_test), characters + tone features (C 1) beat words and word pairs + tone (C 0.3)."""
    train, dev = _split(shared_data, "train"), _split(shared_data, "dev")
    scores = {}
    for name, features, C, extra in (("chars", ("chars", "tone"), 1.0, {}),
                                     ("words", ("tfidf", "tone"), 0.3,
                                      {"tfidf_params": {"min_df": 2, "ngram_range": (1, 2), "sublinear_tf": True}})):
        model = build_classifier(features=features, C=C, class_weight="balanced", **extra).fit(*train)
        scores[name] = f1_score(dev[1], model.predict(dev[0]), average="macro")
        if name == "chars":
            names = model[:-1].get_feature_names_out()
            chars = [n for n in names if n.startswith("chars__")]
            assert chars and all(2 <= len(n.removeprefix("chars__")) <= 4 for n in chars)
            assert " the" in {n.removeprefix("chars__") for n in chars}        # char_wb pads words
            reasons = [f for doc in explain(model, dev[0][:50]) for f, _, _ in doc["towards"]]
            shown = [f for f in reasons if f.startswith("chars__")]
            assert shown
            plain = {n: words for n, words, _ in glossary(shown)}
            assert all(words.startswith("the letters '") for words in plain.values())
    assert scores["chars"] > scores["words"] > 0.6, scores
