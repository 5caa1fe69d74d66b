"""lda.tomotopy: LDA by collapsed Gibbs sampling (tomotopy).

Against tomotopy run by hand on 20 Newsgroups (same tokens, same settings): the same topics and
document shares bit for bit, and at least the same NPMI with the package's own scorer when the
hand-run model reads each post's words in their own order. Then settings, determinism, seed
words, a whole run saved and reloaded, and folders crafted to run code or crash the loader.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
import sys

import numpy as np
import pytest
import tomotopy as tp
from sklearn.feature_extraction.text import CountVectorizer

import research
import research.experiment.topic as topic_run
import research.runs.artifacts as artifacts
from research.cli.main import main
from research.config.load import load_config
from research.errors import ModelError, ParameterError, RunError
from research.evaluate import CoherenceScorer
from research.experiment.topic import build_model
from research.runs.folder import sha256_file
from research.topics import TomotopyLDA, build_topic_model, normalize_rows

pytestmark = pytest.mark.shared_data

TOKEN = r"(?u)\b[a-z]{3,}\b"
K = 20


@pytest.fixture(scope="module")
def newsgroups(shared_data):
    """Every 10th post of 20 Newsgroups (1,885), headers stripped; tokens as the benchmark's."""
    with gzip.open(shared_data / "20newsgroups" / "20newsgroups_bydate.jsonl.gz", "rt", encoding="utf-8") as f:
        posts = [json.loads(line)["text"] for line in f][::10]
    analyse = CountVectorizer(token_pattern=TOKEN, stop_words="english").build_analyzer()
    texts = [analyse(p.split("\n\n", 1)[1] if "\n\n" in p else "") for p in posts]
    counts = CountVectorizer(analyzer=lambda doc: doc, min_df=5, max_df=0.5)
    X = counts.fit_transform(texts).tocsr()
    return {"texts": texts, "X": X, "vocabulary": list(counts.get_feature_names_out())}


def by_hand(docs: list[list[str]], vocabulary: list[str], seed: int, iterations: int) -> tuple:
    """tomotopy as its documentation shows it, with the back-end's default settings; the
    topic-word array in the vocabulary's columns."""
    model = tp.LDAModel(k=K, alpha=0.1, eta=0.01, seed=seed)
    model.burn_in, model.optim_interval = 0, 10
    kept = [model.add_doc(words) is not None for words in docs if words]
    model.train(iterations, workers=1)
    column = {w: j for j, w in enumerate(vocabulary)}
    topic_word = np.zeros((K, len(vocabulary)))
    topic_word[:, [column[w] for w in model.used_vocabs]] = [model.get_topic_word_dist(k) for k in range(K)]
    doc_topic = np.array([d.get_topic_dist() for d in model.docs])
    assert all(kept)
    return normalize_rows(topic_word), normalize_rows(doc_topic)


def bag_of_words(X, vocabulary) -> list[list[str]]:
    """Each row's words repeated by their count, in column order (what the back-end feeds)."""
    return [[vocabulary[j] for j in np.repeat(X.indices[a:b], X.data[a:b].astype(int))]
            for a, b in zip(X.indptr[:-1], X.indptr[1:], strict=True)]


def test_topics_and_shares_equal_tomotopy_by_hand_on_the_same_tokens(newsgroups):
    X, vocabulary = newsgroups["X"], newsgroups["vocabulary"]
    model = build_topic_model("lda.tomotopy", K, 7, iterations=60).fit(X, feature_names=vocabulary)
    topic_word, doc_topic = by_hand(bag_of_words(X, vocabulary), vocabulary, seed=7, iterations=60)
    # tomotopy normalises in float32, the back-end its float32 counts in float64
    np.testing.assert_allclose(model.topic_word_, topic_word, rtol=2e-6, atol=0)
    nonempty = np.diff(X.indptr) > 0
    assert (~nonempty).sum() == 2   # two posts keep no word: the prior's shares
    np.testing.assert_array_equal(model.doc_topic_[nonempty], doc_topic)
    prior = np.tile(model.alpha_ / model.alpha_.sum(), (2, 1))
    np.testing.assert_allclose(model.doc_topic_[~nonempty], prior, rtol=1e-12)


def test_npmi_at_least_tomotopy_by_hand_on_the_posts_own_word_order(newsgroups):
    """By hand: each post's in-vocabulary words in the order written (what a user of tomotopy
    would feed); the package: the count matrix. Same settings and seed, the package's scorer.
    (tomotopy sorts each document's words before sampling, so the two have come out equal;
    across seeds NPMI on this sample spreads widely: .020 for seed 42, .056 for 1, .038 for 3
    at 200 sweeps.)"""
    X, vocabulary, texts = newsgroups["X"], newsgroups["vocabulary"], newsgroups["texts"]
    known = set(vocabulary)
    ordered = [[w for w in t if w in known] for t in texts]
    scorer = CoherenceScorer(texts, "c_npmi")
    model = build_topic_model("lda.tomotopy", K, 1, iterations=200).fit(X, feature_names=vocabulary)
    ours = scorer.score(model.result().topics(10)).mean
    topic_word, _ = by_hand(ordered, vocabulary, seed=1, iterations=200)
    theirs = scorer.score([[vocabulary[j] for j in np.argsort(-row, kind="stable")[:10]]
                           for row in topic_word]).mean
    assert ours >= theirs - 0.02, (ours, theirs)
    assert theirs > 0.03   # the hand-run model found real topics: the comparison means something


# -- settings ----------------------------------------------------------------------------------
@pytest.mark.parametrize("params, pattern", [
    ({"alpha": 0}, r"^alpha must be a number > 0; got 0"),
    ({"alpha": "auto"}, r"^alpha must be a number > 0; got 'auto'"),
    ({"eta": -0.1}, r"^eta must be a number > 0"),
    ({"iterations": 0}, r"^iterations must be an integer >= 1; got 0"),
    ({"iterations": 2.5}, r"^iterations must be an integer >= 1"),
    ({"workers": 0}, r"^workers must be an integer >= 1"),
    ({"optim_interval": -1}, r"^optim_interval must be an integer >= 0"),
    ({"seed_words": ["sport"]}, r"^seed_words must be null or a mapping of topic name -> non-empty list of words"),
    ({"seed_words": {"a": ["x"], "b": ["y"], "c": ["z"]}}, r"^seed_words must be at most num_topics = 2 seeded topics"),
    ({"seed_strength": 0}, r"^seed_strength must be a number > 0"),
])
def test_bad_settings_are_one_parameter_error(params, pattern):
    with pytest.raises(ParameterError, match=pattern) as info:
        build_topic_model("lda.tomotopy", 2, 0, **params)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("override, key", [("alpha=0", "topics.lda_tomotopy.alpha"),
                                           ("iterations=0", "topics.lda_tomotopy.iterations")])
def test_a_bad_config_value_names_its_key(override, key):
    config = load_config("lda.yaml", ["topics.lda_backend=tomotopy", f"topics.lda_tomotopy.{override}"])
    with pytest.raises(ParameterError, match=rf"^{key} must be "):
        build_model(config, 5)


def test_a_missing_tomotopy_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tomotopy", None)   # import tomotopy now raises ImportError
    with pytest.raises(ModelError, match=r"^topics.lda_backend: tomotopy needs the optional package tomotopy, "
                                         r"which is not installed; run make install \(tomotopy is a core dependency: pip install 'tomotopy>=0.14,<0.15'\)$"):
        build_topic_model("lda.tomotopy", 5, 0)


# -- determinism, transform, perplexity ---------------------------------------------------------
def test_same_seed_same_everything_other_seed_other_topics(newsgroups):
    X, vocabulary = newsgroups["X"][:400], newsgroups["vocabulary"]
    a, b, c = (build_topic_model("lda.tomotopy", 8, s, iterations=40).fit(X, feature_names=vocabulary)
               for s in (3, 3, 4))
    assert np.array_equal(a.topic_word_, b.topic_word_) and np.array_equal(a.doc_topic_, b.doc_topic_)
    assert not np.array_equal(a.topic_word_, c.topic_word_)
    new = newsgroups["X"][400:460]
    shares = a.transform(new)
    assert np.array_equal(shares, b.transform(new)) and np.array_equal(shares, a.transform(new))
    # each document is inferred on its own: neither its batch nor its place in it matters
    np.testing.assert_array_equal(a.transform(new[::-1]), shares[::-1])
    np.testing.assert_array_equal(a.transform(new[10:20]), shares[10:20])
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-9)
    # a pickled copy (joblib workers) transforms alike; the original keeps its model
    copy = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(copy.transform(new), shares)
    assert type(a.model_) is tp.LDAModel


def test_perplexity_is_tomotopy_s_own_and_falls_with_training(newsgroups):
    X, vocabulary = newsgroups["X"], newsgroups["vocabulary"]
    train, test = X[:1500], X[1500:]
    short, longer = (build_topic_model("lda.tomotopy", K, 0, iterations=n).fit(train, feature_names=vocabulary)
                     for n in (5, 150))
    assert longer.perplexity(test) < short.perplexity(test)
    docs = [longer.model_.make_doc(list(map(str, np.repeat(test.indices[a:b], test.data[a:b].astype(int)))))
            for a, b in zip(test.indptr[:-1], test.indptr[1:], strict=True) if b > a]
    _, ll = longer.model_.infer(docs, iterations=100, workers=1)
    words = sum(len(d) for d in docs)
    assert longer.perplexity(test) == pytest.approx(np.exp(-np.sum(ll) / words), rel=1e-12)
    assert longer.score(test) == pytest.approx(np.sum(ll) / words, rel=1e-12)


def test_seed_words_pull_their_topic(newsgroups):
    X, vocabulary = newsgroups["X"], newsgroups["vocabulary"]
    seeds = {"space": ["space", "nasa", "orbit", "launch"], "hockey": ["hockey", "team", "game", "season"],
             "crypto": ["encryption", "key", "chip", "clipper", "no-such-word"]}
    model = build_topic_model("lda.tomotopy", K, 1, iterations=100, seed_words=seeds).fit(
        X, feature_names=vocabulary)
    column = {w: j for j, w in enumerate(vocabulary)}
    for topic, words in enumerate(seeds.values()):
        for word in (w for w in words if w in column):
            assert model.topic_word_[:, column[word]].argmax() == topic, (topic, word)
    plain = build_topic_model("lda.tomotopy", K, 1, iterations=100).fit(X, feature_names=vocabulary)
    assert [plain.topic_word_[:, column[w]].argmax() for w in ("space", "hockey", "encryption")] != [0, 1, 2]
    unused = build_topic_model("lda.tomotopy", K, 1, iterations=100, seed_words=None).fit(
        X, feature_names=vocabulary)
    assert np.array_equal(unused.topic_word_, plain.topic_word_)


# -- a whole run, saved and reloaded; crafted folders ------------------------------------------
TEXTS = ["Pakistan and the United States discussed trade and security in Islamabad.",
         "The army chief met officials in Washington about counterterrorism.", "zzzz qqqq"]


@pytest.fixture(scope="module")
def tomotopy_run(tmp_path_factory):
    """``python -m research experiment configs/lda.yaml --set topics.lda_backend=tomotopy``, with
    the model it held in memory when it saved it."""
    results = tmp_path_factory.mktemp("tomotopy")
    saved = {}

    def record(obj, path):
        saved[path.name] = obj
        return artifacts.save_artifact(obj, path)

    overrides = ["topics.lda_backend=tomotopy", "topics.lda_tomotopy.iterations=200",
                 "topics.evaluate.stability_seeds=[]"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(topic_run, "save_artifact", record)
        code = main(["experiment", "configs/lda.yaml", "--results", str(results),
                     *[arg for o in overrides for arg in ("--set", o)]])
    assert code == 0
    (folder,) = [p for p in results.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return folder, saved["model"]


def test_a_run_reloads_and_transforms_new_text_identically(tomotopy_run):
    folder, model = tomotopy_run
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["model"] == "lda.tomotopy" and metrics["perplexity"] > 1
    files = sorted(p.name for p in (folder / "artifacts").iterdir())
    assert files == ["cleaner.json", "model.json", "model.npz", "vectorizer.skops"]
    run = research.load_run(folder)
    assert isinstance(run.model, TomotopyLDA) and run.model.get_params() == model.get_params()
    X = run.vectorize(TEXTS)
    np.testing.assert_array_equal(run.transform(TEXTS[:2]), model.transform(X[:2]))
    np.testing.assert_array_equal(run.model.topic_word_, model.topic_word_)
    np.testing.assert_array_equal(run.model.doc_topic_, model.doc_topic_)
    assert run.model.perplexity(X[:2]) == model.perplexity(X[:2])
    assert X[2].nnz == 0    # a document without a known word: the prior's shares
    assert run.model.transform(X)[2].tolist() == (model.alpha_ / model.alpha_.sum()).tolist()


def _craft(folder, tmp_path, change):
    """A copy of the run whose model.npz arrays and model.json state ``change(arrays, state)``
    edits, with run.json's hashes made to match again, as an attacker would."""
    import shutil

    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    npz, js = copy / "artifacts" / "model.npz", copy / "artifacts" / "model.json"
    with np.load(npz, allow_pickle=False) as stored:
        arrays = {k: stored[k] for k in stored.files}
    state = json.loads(js.read_text())
    change(arrays, state["state"])
    np.savez(npz, **arrays)
    js.write_text(json.dumps(state))
    record = json.loads((copy / "run.json").read_text())
    for path in (copy / "artifacts").iterdir():
        record["artifacts"][path.relative_to(copy).as_posix()] = sha256_file(path)
    (copy / "run.json").write_text(json.dumps(record))
    return copy


def _binary(data: bytes, rehash: bool):
    def change(arrays, state):
        arrays["tomotopy.model"] = np.frombuffer(data, dtype=np.uint8)
        if rehash:
            state["tomotopy"]["sha256"] = hashlib.sha256(data).hexdigest()
    return change


class Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def test_a_pickle_in_tomotopy_s_extra_field_is_refused_unread(tomotopy_run, tmp_path):
    """tomotopy's own loads() would unpickle this field and run the payload."""
    folder, model = tomotopy_run
    marker = tmp_path / "pwned"
    data = model.model_._saves(pickle.dumps(Payload(marker)), False)
    crafted = _craft(folder, tmp_path, _binary(data, rehash=True))
    with pytest.raises(RunError, match=r"model\.json: unreadable tomotopy model \(the tomotopy model carries an extra-data field"):
        research.load_run(crafted).model
    assert not marker.exists()
    tp.LDAModel.loads(data)    # what tomotopy's own loader does with the same bytes
    assert marker.exists()


def test_a_damaged_binary_is_refused_before_tomotopy_reads_it(tomotopy_run, tmp_path):
    """tomotopy's loader ends the process on a damaged binary: the hash stops it first."""
    folder, model = tomotopy_run
    crafted = _craft(folder, tmp_path, _binary(model.model_._saves(b"", False)[:500], rehash=False))
    with pytest.raises(RunError, match=r"model\.json: the tomotopy model in model\.npz is missing or does not "
                                       r"match its hash in model\.json; damaged artefact"):
        research.load_run(crafted).model


def test_a_binary_of_other_topics_is_refused(tomotopy_run, tmp_path):
    """A genuine tomotopy binary with its hash, but not the model whose topics model.npz holds."""
    folder, model = tomotopy_run
    other = build_topic_model("lda.tomotopy", model.num_topics, 99, iterations=20).fit(
        np.ones((6, model.topic_word_.shape[1])))
    crafted = _craft(folder, tmp_path, _binary(other.model_._saves(b"", False), rehash=True))
    with pytest.raises(RunError, match=r"model\.json: the tomotopy model and the saved topic-word array disagree; "
                                       r"damaged artefact"):
        research.load_run(crafted).model
