"""Outlet confounding of tone features, and leave-one-outlet-out, on the shared data.

Editorials of three outlets (opinion) and BBC sections (reported news): measured facts
about which features separate outlets more than genres, checked by recomputing the
definition by hand; a tone run that drops the confounded features and writes
feature_confounding.csv; leave-one-group-out folds that never train on the held-out group."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import research
from research.config.load import load_config
from research.errors import ConfigError, ModelError
from research.runs.reuse import load_run
from research.tone import FEATURE_NAMES, ToneFeatures, cross_validate, make_folds
from research.tone.confounding import measure_confounding, select_features
from research.tone.model import build_classifier

pytestmark = pytest.mark.shared_data

TRAIN_GROUPS = ("aljazeera", "foxnews", "bbc_business", "bbc_entertainment", "bbc_sport", "bbc_tech")


def _read_jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def corpus(shared_data):
    """(texts, labels, groups): every editorial and BBC story, group = outlet or bbc_<section>."""
    webis = _read_jsonl(shared_data / "webis_editorials" / "webis_editorials.jsonl")
    bbc = _read_jsonl(shared_data / "bbc_news" / "bbc_news.jsonl")
    texts = [r["text"] for r in webis] + [r["text"] for r in bbc]
    labels = np.array(["opinion"] * len(webis) + ["reported_news"] * len(bbc))
    groups = np.array([r["outlet"] for r in webis] + [f"bbc_{r['category']}" for r in bbc])
    return texts, labels, groups


@pytest.fixture(scope="module")
def training_features(corpus):
    """Tone features of up to 60 documents of each of the six training groups (seeded)."""
    texts, labels, groups = corpus
    rng = np.random.default_rng(0)
    rows = np.concatenate([rng.choice(np.flatnonzero(groups == g), min(60, int(np.sum(groups == g))),
                                      replace=False) for g in TRAIN_GROUPS])
    X = ToneFeatures().fit([]).transform([texts[i] for i in rows])
    return X, labels[rows], groups[rows]


def test_mean_sentence_length_measures_the_outlet_more_than_its_spread_does(training_features):
    X, labels, groups = training_features
    ratio = {r.feature: r.ratio for r in measure_confounding(X, labels, groups, FEATURE_NAMES)}
    # house style: mean sentence length differs between outlets about as much as between genres;
    # the spread of sentence lengths within a text, and attribution, separate the genres
    assert ratio["sent_len_mean"] > 0.8
    assert ratio["sent_len_mean"] > 5 * ratio["sent_len_sd"]
    assert ratio["sent_len_mean"] > 2 * ratio["attribution"]


def test_the_ratio_is_the_within_genre_spread_of_group_means_over_the_genre_distance(training_features):
    X, labels, groups = training_features
    j = FEATURE_NAMES.index("sent_len_mean")
    means = {g: X[groups == g, j].mean() for g in TRAIN_GROUPS}
    centre = {lab: np.mean([means[g] for g in TRAIN_GROUPS if labels[groups == g][0] == lab])
              for lab in ("opinion", "reported_news")}
    within = sum((means[g] - centre[labels[groups == g][0]]) ** 2 for g in TRAIN_GROUPS) / (6 - 2)
    expected = np.sqrt(within) / abs(centre["opinion"] - centre["reported_news"])
    found = {r.feature: r for r in measure_confounding(X, labels, groups, FEATURE_NAMES)}["sent_len_mean"]
    assert found.ratio == pytest.approx(expected, rel=1e-6)
    assert found.genre_spread == pytest.approx(abs(centre["opinion"] - centre["reported_news"]) / X[:, j].std())


def test_select_features_keeps_exactly_the_features_at_or_below_the_ratio(training_features):
    X, labels, groups = training_features
    table = measure_confounding(X, labels, groups, FEATURE_NAMES)
    chosen = select_features(table, 1.0)
    assert {r.feature for r in chosen if r.kept} == {r.feature for r in table if r.ratio <= 1.0}
    assert 0 < sum(r.kept for r in chosen) < len(FEATURE_NAMES)
    with pytest.raises(ModelError, match="tone.confounding.max_ratio"):
        select_features(table, min(r.ratio for r in table) / 2)


def test_one_group_per_class_cannot_be_measured(training_features):
    X, labels, groups = training_features
    two = np.isin(groups, ["aljazeera", "bbc_tech"])
    with pytest.raises(ModelError, match="tone.confounding") as info:
        measure_confounding(X[two], labels[two], groups[two], FEATURE_NAMES)
    assert "\n" not in str(info.value)


def test_leave_one_group_out_never_trains_on_the_held_out_group(corpus):
    _, labels, groups = corpus
    folds = make_folds(labels, groups, scheme="leave_one_group_out")
    assert len(folds) == 8
    held_out = []
    for train, test in folds:
        assert len(set(groups[test])) == 1
        assert not set(groups[train]) & set(groups[test])
        assert len(train) + len(test) == len(labels)
        held_out.append(groups[test][0])
    assert sorted(held_out) == sorted(set(groups))


def test_cross_validated_leave_one_group_out_scores_each_group_only_from_other_groups(corpus):
    texts, labels, groups = corpus
    rng = np.random.default_rng(1)
    rows = np.concatenate([rng.choice(np.flatnonzero(groups == g), 25, replace=False) for g in np.unique(groups)])
    ev = cross_validate(build_classifier(features=("tone",)), [texts[i] for i in rows], labels[rows],
                        groups=groups[rows], scheme="leave_one_group_out", positive="opinion", n_boot=0)
    for k, fold in enumerate(ev.folds):
        assert len(set(groups[rows][ev.fold_of == k])) == 1 and fold["n"] == 25
        assert fold["only_class"] == labels[rows][ev.fold_of == k][0]


@pytest.fixture(scope="module")
def genre_run(tmp_path_factory, shared_data):
    """A small genre run: the editorials of two outlets and 120 BBC stories of four sections,
    tone features, confounded ones dropped, leave-one-group-out."""
    config = load_config(data={
        "corpus": {"source": str(shared_data / "webis_editorials" / "webis_editorials.jsonl"),
                   "label_column": "genre", "where": {"outlet": ["aljazeera", "foxnews"]}},
        "model": {"kind": "tone"},
        "tone": {"label_map": {"editorial": "opinion", "reported_news": "reported_news"},
                 "group_column": "outlet", "features": ["tone"], "confounding": {"max_ratio": 1.0},
                 "extra_sources": [{"source": str(shared_data / "bbc_news" / "bbc_news.jsonl"),
                                    "label": "reported_news", "group_column": "category", "max_documents": 120,
                                    "where": {"category": ["business", "entertainment", "sport", "tech"]}}],
                 "evaluation": {"scheme": "leave_one_group_out", "bootstrap": 50}}})
    return research.run_experiment(config, results_dir=tmp_path_factory.mktemp("genre"))


def test_a_tone_run_writes_feature_confounding_csv(genre_run):
    with open(genre_run / "feature_confounding.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["feature", "weight", "outlet_spread", "genre_spread", "ratio", "kept"]
    assert {r["feature"] for r in rows} == set(FEATURE_NAMES)
    for row in rows:
        assert (row["kept"] == "True") == (float(row["ratio"]) <= 1.0)
        assert (row["weight"] != "") == (row["kept"] == "True")


def test_confounded_features_are_not_in_the_fitted_genre_model(genre_run):
    with open(genre_run / "feature_confounding.csv", encoding="utf-8", newline="") as handle:
        kept = {r["feature"]: r["kept"] == "True" for r in csv.DictReader(handle)}
    model = load_run(genre_run).model
    used = {str(n).split("__", 1)[1] for n in model.pipeline_[:-1].get_feature_names_out()}
    assert used == {f for f, k in kept.items() if k}
    assert not all(kept.values())


def test_a_leave_one_group_out_run_scores_every_group_out_of_fold(genre_run):
    metrics = json.loads((genre_run / "metrics.json").read_text())
    assert metrics["evaluation"] == "cross_validation" and metrics["cv"]["scheme"] == "leave_one_group_out"
    with open(genre_run / "predictions.csv", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["split"] == "cv"]
    assert len(rows) == metrics["cv"]["n"] == metrics["training_documents"]
    assert {r["group"] for r in rows} == {"aljazeera", "foxnews", "business", "entertainment", "sport", "tech"}
    assert all(r["p_opinion"] != "" for r in rows)


def test_the_confounding_table_lists_every_sentence_feature_the_model_uses(tmp_path, shared_data):
    """Quantiles of the sentence probabilities are model features, so the table measures them too."""
    config = load_config(data={
        "corpus": {"source": str(shared_data / "webis_editorials" / "webis_editorials.jsonl"),
                   "label_column": "genre", "where": {"outlet": ["aljazeera", "foxnews"]}},
        "model": {"kind": "tone"},
        "tone": {"label_map": {"editorial": "opinion", "reported_news": "reported_news"},
                 "group_column": "outlet", "features": ["sentences"],
                 "sentences": {"propaganda": None, "subjectivity_splits": ["train"], "quantiles": [0.5, 0.9]},
                 "extra_sources": [{"source": str(shared_data / "bbc_news" / "bbc_news.jsonl"),
                                    "label": "reported_news", "group_column": "category", "max_documents": 80,
                                    "where": {"category": ["business", "sport"]}}],
                 "promotional": {"enabled": False},
                 "evaluation": {"scheme": "group", "folds": 2, "bootstrap": 20}}})
    run = research.run_experiment(config, results_dir=tmp_path)
    with open(run / "feature_confounding.csv", encoding="utf-8", newline="") as handle:
        table = {r["feature"]: r for r in csv.DictReader(handle)}
    used = {str(n).split("__", 1)[1] for n in load_run(run).model.pipeline_[:-1].get_feature_names_out()}
    assert used == set(table) == {"subjective_share", "subjective_mean", "subjective_q50", "subjective_q90"}
    assert all(r["weight"] != "" and np.isfinite(float(r["ratio"])) for r in table.values())


@pytest.mark.parametrize(("overrides", "error"), [
    (["tone.confounding.max_ratio=-1"], ConfigError),
    (["tone.confounding.max_ratio=1.0"], ConfigError),          # tone.yaml: paragraphs, no groups
])
def test_bad_confounding_settings_are_one_line_errors_naming_the_key(tmp_path, overrides, error):
    with pytest.raises(error, match="tone.confounding.max_ratio") as info:
        research.run_experiment(load_config("tone.yaml", overrides), results_dir=tmp_path)
    assert "\n" not in str(info.value)
