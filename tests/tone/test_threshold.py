"""tone.threshold: auto and tone.calibration on real data: no leakage from the outer test fold,
the saved run keeps its threshold, Brier per group, the reliability figure, config errors."""

from __future__ import annotations

import csv
import json
import struct

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

import research
from research.config.load import load_config
from research.errors import ConfigError
from research.experiment.apply import apply_run
from research.tone import ToneClassifier, build_classifier
from research.tone.evaluation import cross_validate, decide
from research.tone.threshold import best_threshold


def _rows(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def genre(shared_data):
    """Editorials of three outlets and BBC reports of five sections (every third / 25th)."""
    with (shared_data / "webis_editorials" / "webis_editorials.jsonl").open(encoding="utf-8") as handle:
        eds = [json.loads(line) for line in handle][::3]
    with (shared_data / "bbc_news" / "bbc_news.jsonl").open(encoding="utf-8") as handle:
        news = [json.loads(line) for line in handle][::25]
    texts = [d["text"] for d in eds + news]
    labels = ["opinion"] * len(eds) + ["reported_news"] * len(news)
    groups = [d["outlet"] for d in eds] + [d["category"] for d in news]
    return texts, np.array(labels), np.array(groups)


@pytest.mark.shared_data
def test_threshold_chosen_in_a_fold_never_sees_that_folds_labels(genre):
    """Leave-one-outlet-out folds depend on the groups only, so the folds stay the same when
    the Guardian's labels are flipped: the Guardian fold's threshold (chosen on the other
    outlets) must not move, while folds that train on the Guardian see the change."""
    texts, labels, groups = genre
    clf = ToneClassifier(build_classifier(features=("tone",)), threshold="auto", inner_folds=3, random_state=0)
    kwargs = dict(groups=groups, scheme="leave_one_group_out", positive="opinion", threshold="auto", n_boot=0)
    before = cross_validate(clf, texts, labels, **kwargs)
    flipped = labels.copy()
    flipped[groups == "guardian"] = "reported_news"
    after = cross_validate(clf, texts, flipped, **kwargs)
    fold = int(before.fold_of[np.flatnonzero(groups == "guardian")[0]])
    assert set(before.fold_of[groups == "guardian"]) == {fold} == set(after.fold_of[groups == "guardian"])
    assert before.folds[fold]["threshold"] == after.folds[fold]["threshold"]
    assert np.array_equal(before.proba[groups == "guardian"], after.proba[groups == "guardian"])
    others = [k for k in range(len(before.folds)) if k != fold]
    assert any(before.folds[k]["threshold"] != after.folds[k]["threshold"] for k in others)
    assert before.summary()["threshold"] == "per fold"


@pytest.mark.shared_data
def test_best_threshold_is_the_best_macro_f1_cut(genre):
    texts, labels, groups = genre
    clf = ToneClassifier(build_classifier(features=("tone",)), inner_folds=3)
    ev = cross_validate(clf, texts, labels, groups=groups, n_splits=3, positive="opinion", n_boot=0)
    p = ev.proba[:, 0]
    threshold, f1 = best_threshold(labels == "opinion", p)
    from sklearn.metrics import f1_score

    brute = max(f1_score(labels == "opinion", p > t, average="macro") for t in np.unique(p))
    assert f1 == pytest.approx(brute) and f1 == pytest.approx(f1_score(labels == "opinion", p > threshold,
                                                                         average="macro"))


@pytest.fixture(scope="module")
def auto_run(shared_data, tmp_path_factory):
    """A small cross-outlet genre run: tone features, threshold auto, sigmoid calibration,
    a held-out test on Guardian editorials and BBC politics."""
    eds, bbc = str(shared_data / "webis_editorials" / "webis_editorials.jsonl"), str(shared_data / "bbc_news" /
                                                                                    "bbc_news.jsonl")
    data = {"corpus": {"source": eds, "label_column": "genre", "where": {"outlet": ["aljazeera", "foxnews"]}},
            "clean": {"furniture": {"repeated_lines": False}}, "model": {"kind": "tone"},
            "tone": {"label_map": {"editorial": "opinion", "reported_news": "reported_news"},
                     "positive": "opinion", "group_column": "outlet", "features": ["tone"],
                     "threshold": "auto", "calibration": "sigmoid",
                     "extra_sources": [{"source": bbc, "label": "reported_news", "group_column": "category",
                                        "where": {"category": ["business", "sport", "tech"]},
                                        "max_documents": 90}],
                     "test_sources": [{"source": eds, "label_column": "genre", "where": {"outlet": "guardian"}},
                                      {"source": bbc, "label": "reported_news", "group_column": "category",
                                       "where": {"category": "politics"}, "max_documents": 40}],
                     "evaluation": {"scheme": "group", "folds": 3, "bootstrap": 20}}}
    return research.run_experiment(load_config(data=data), results_dir=tmp_path_factory.mktemp("auto"))


@pytest.mark.shared_data
def test_saved_run_keeps_its_threshold_and_apply_uses_it(auto_run, sample_dir, tmp_path):
    metrics = json.loads((auto_run / "metrics.json").read_text())
    saved = json.loads((auto_run / "artifacts" / "model.json").read_text())["state"]
    threshold = metrics["threshold"]
    assert saved["threshold"] == "auto" and saved["threshold_"] == threshold and saved["calibrator_"]["method"] == \
        "sigmoid"
    assert threshold != 0.5 and len(metrics["threshold_selection"]["cv_folds"]) == 3
    assert set(metrics["threshold_selection"]["cv_inner_folds"]) <= {"group", "stratified"}
    for row in _rows(auto_run / "predictions.csv"):
        if row["split"] == "test":       # the final model's threshold decides the held-out documents
            assert row["predicted"] == ("opinion" if float(row["p_opinion"]) > threshold else "reported_news")
    run = research.load_run(auto_run)
    assert run.model.threshold_ == threshold and run.model.calibrator_.to_state() == saved["calibrator_"]
    out = apply_run(auto_run, str(sample_dir), results_dir=tmp_path)
    applied = _rows(out / "predictions.csv")
    p = np.array([[float(r["p_opinion"]), float(r["p_reported_news"])] for r in applied])
    assert [r["predicted"] for r in applied] == decide(p, ["opinion", "reported_news"], "opinion", threshold)
    texts = ["We must seize this historic opportunity: the future is bright!",
             "The ministry said on Monday that talks would begin, officials told reporters."]
    assert run.predict(texts) == decide(run.predict_proba(texts), ["opinion", "reported_news"], "opinion", threshold)
    assert json.loads((out / "metrics.json").read_text())["threshold"] == threshold


@pytest.mark.shared_data
def test_brier_per_group_matches_sklearn(auto_run):
    rows = _rows(auto_run / "predictions.csv")
    table = _rows(auto_run / "calibration_by_group.csv")
    metrics = json.loads((auto_run / "metrics.json").read_text())["calibration_by_group"]
    assert {r["split"] for r in table} == {"cv", "test"}
    for entry in table:
        part = [r for r in rows if r["split"] == entry["split"] and (r["group"] or r["outlet"]) == entry["group"]]
        y = [r["label"] == "opinion" for r in part]
        expected = brier_score_loss(y, [float(r["p_opinion"]) for r in part], pos_label=True)
        assert int(entry["documents"]) == len(part) > 0
        assert float(entry["brier"]) == pytest.approx(expected, abs=1e-5)
        assert metrics[entry["split"]][entry["group"]]["brier"] == pytest.approx(expected, abs=1e-5)
    assert {"guardian", "politics", "aljazeera", "foxnews"} <= {r["group"] for r in table}


@pytest.mark.shared_data
def test_reliability_figure_is_written_and_captioned(auto_run):
    figure = auto_run / "figures" / "reliability_by_group.png"
    width, height = struct.unpack(">II", figure.read_bytes()[16:24])
    assert 800 <= width <= 1300 and height > 250
    assert "reliability_by_group.png</b>: Reliability per group" in (auto_run / "report.html").read_text()


@pytest.mark.parametrize("override, key", [("tone.threshold=2", "tone.threshold"),
                                           ("tone.threshold=best", "tone.threshold"),
                                           ("tone.calibration=foo", "tone.calibration")])
def test_bad_threshold_or_calibration_is_a_one_line_config_error(override, key):
    with pytest.raises(ConfigError, match=key) as info:
        load_config("tone.yaml", [override])
    assert "\n" not in str(info.value)


def test_auto_with_paragraph_units_is_refused_before_the_run(tmp_path):
    with pytest.raises(ConfigError, match=r"tone\.threshold: auto needs tone\.unit: document") as info:
        research.run_experiment(load_config("tone.yaml", ["tone.threshold=auto"]), results_dir=tmp_path)
    assert "\n" not in str(info.value)
