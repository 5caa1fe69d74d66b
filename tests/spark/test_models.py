"""The Spark engine's vectoriser, topic models and evaluation against the local engine's, on
20 Newsgroups (tokens from the local cleaner, so only the Spark stages are compared)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from research.clean.cleaner import TOKEN_PATTERN
from research.config.load import load_config
from research.experiment.topic import build_model
from research.runs.artifacts import load_artifact, save_artifact
from research.spark.topics import (
    coherence_spark,
    doc_topics_spark,
    fit_spark_lda,
    fit_spark_nmf,
    group_means_spark,
    topic_columns,
)
from research.spark.vectorise import fit_spark_vectorizer, matrix_rows
from research.stream.topics import GroupMeans, coherence_scores, fit_online
from research.stream.vectorise import transform_tokens
from research.topics import build_topic_model
from research.vectorise import fit_vectorizer

pytestmark = pytest.mark.shared_data

NEW_TEXT = ["The space shuttle launch was delayed while NASA engineers checked the orbit data.",
            "Is there a driver for this SCSI controller card that works under Windows? Thanks!",
            "God, faith and the church: a question about the Bible and Christian belief.",
            "The goalie saved every shot and the team won the hockey game in overtime. Zzyzx qwertyuiop."]

TOPIC_SETS = [
    [["god", "jesus", "church", "bible", "christian", "faith", "christ", "believe", "religion", "sin"],
     ["space", "nasa", "launch", "orbit", "shuttle", "moon", "earth", "satellite", "mission", "solar"],
     ["game", "team", "hockey", "season", "players", "play", "games", "win", "league", "fans"]],
    [["drive", "scsi", "disk", "card", "controller", "ide", "bus", "drives", "hard", "floppy"],
     ["key", "encryption", "chip", "clipper", "keys", "government", "security", "public", "nsa", "privacy"],
     ["car", "engine", "cars", "speed", "oil", "ford", "miles", "dealer", "honda", "tires"]],
]
K = 20
NMF_EPOCHS = 4


@pytest.fixture(scope="module")
def newsgroups(news20):
    """The kept documents of 20 Newsgroups and their tokens, from the local cleaner."""
    cleaned = news20[1]
    return cleaned.documents, cleaned.tokens


def _frame(spark, documents, tokens, partitions: int = 4):
    from pyspark.sql.types import ArrayType, LongType, StringType, StructField, StructType

    schema = StructType([StructField("index", LongType(), False), StructField("id", StringType(), False),
                         StructField("tokens", ArrayType(StringType(), False), False),
                         StructField("outlet", StringType(), True), StructField("label", StringType(), True),
                         StructField("date", StringType(), True)])
    rows = [(i, d.id, list(t), d.outlet, d.label, d.date) for i, (d, t) in enumerate(zip(documents, tokens, strict=True))]
    return spark.createDataFrame(spark.sparkContext.parallelize(rows, partitions), schema)


@pytest.fixture(scope="module")
def frame(spark, newsgroups):
    documents, tokens = newsgroups
    out = _frame(spark, documents, tokens).cache()
    out.count()
    yield out
    out.unpersist()


@pytest.fixture(scope="module")
def lda_fitted(frame):
    """Spark's vectoriser and LDA with the settings of topics.lda_spark (K=20)."""
    config = load_config("configs/lda_20newsgroups.yaml")
    vectorizer = fit_spark_vectorizer(frame, config["vectorizer"], TOKEN_PATTERN, True)
    model = fit_spark_lda(frame, vectorizer, K, config["topics"]["lda_spark"], config["seed"])
    return config, vectorizer, model


@pytest.fixture(scope="module")
def nmf_fitted(frame):
    config = load_config("configs/nmf_20newsgroups.yaml")
    vectorizer = fit_spark_vectorizer(frame, config["vectorizer"], TOKEN_PATTERN, True)
    params = config["topics"]["nmf_sklearn_minibatch"]
    model = build_topic_model("nmf.sklearn_minibatch", K, config["seed"], **{**params, "max_iter": NMF_EPOCHS})
    fit_spark_nmf(model, frame, vectorizer, NMF_EPOCHS, params["batch_size"], config["seed"], rows_per_partition=5000)
    return config, vectorizer, model


@pytest.mark.parametrize("which", ["lda", "nmf"])
def test_spark_vectoriser_is_the_local_one(request, newsgroups, which):
    config, spark_vec, _ = request.getfixturevalue(f"{which}_fitted")
    local, matrix = fit_vectorizer(newsgroups[1], config["vectorizer"], TOKEN_PATTERN, True)
    vec = spark_vec.vectorizer
    assert type(vec) is type(local)
    assert vec.vocabulary_ == local.vocabulary_
    if config["vectorizer"]["kind"] == "tfidf":
        np.testing.assert_allclose(vec.idf_, local.idf_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(vec.transform(NEW_TEXT).toarray(), local.transform(NEW_TEXT).toarray(), rtol=0, atol=1e-12)
    if which == "nmf":   # the rows computed on the executors are the local matrix
        rows = sorted(matrix_rows(request.getfixturevalue("frame"), spark_vec).collect(), key=lambda r: r[0])
        assert [r[0] for r in rows] == list(range(matrix.shape[0]))
        for i in range(0, matrix.shape[0], 997):
            got = np.zeros(matrix.shape[1])
            got[rows[i][1]] = rows[i][2]
            np.testing.assert_allclose(got, matrix.getrow(i).toarray()[0], rtol=0, atol=1e-12)


def test_max_features_ties_fall_as_in_scikit_learn(spark):
    """Total counts (not document frequencies) choose max_features words; ties alphabetically."""
    tokens = [["b", "a", "a", "c", "d"], ["c", "e", "e", "e", "b"], ["d", "f", "a"], ["e", "b", "g", "g", "g"]]
    docs = [type("D", (), {"id": str(i), "outlet": None, "label": None, "date": None})() for i in range(4)]
    small = _frame(spark, docs, tokens, partitions=2)
    base = load_config("configs/lda_20newsgroups.yaml")["vectorizer"]
    for extra in ({"min_df": 1, "max_df": 1.0, "max_features": 3},
                  {"min_df": 1, "max_df": 0.9, "max_features": 2, "binary": True, "kind": "tfidf"}):
        settings = {**base, **extra}
        local, _ = fit_vectorizer(tokens, settings, TOKEN_PATTERN, True)
        fitted = fit_spark_vectorizer(small, settings, TOKEN_PATTERN, True).vectorizer
        assert fitted.vocabulary_ == local.vocabulary_


def test_coherence_spark_is_the_local_pass(frame, newsgroups):
    tokens = newsgroups[1]
    measures = ["c_npmi", "u_mass"]
    local = coherence_scores([tokens[i:i + 5000] for i in range(0, len(tokens), 5000)], TOPIC_SETS, measures, 10)
    spark = coherence_spark(frame, TOPIC_SETS, measures, 10)
    for a, b in zip(spark, local, strict=True):
        for m in measures:
            assert abs(a[m] - b[m]) < 1e-9
            np.testing.assert_allclose(a[f"{m}_per_topic"], b[f"{m}_per_topic"], rtol=0, atol=1e-9)


def test_spark_lda_is_as_coherent_as_gensim(lda_fitted, newsgroups):
    config, _, model = lda_fitted
    tokens = newsgroups[1]
    local_vec, counts = fit_vectorizer(tokens, config["vectorizer"], TOKEN_PATTERN, True)
    gensim = build_model(config, K).fit(counts, feature_names=local_vec.get_feature_names_out())
    assert model.vocabulary_ == list(local_vec.get_feature_names_out())
    spark_npmi, gensim_npmi = (s["c_npmi"] for s in coherence_scores(
        [tokens], [model.result().topics(10), gensim.result().topics(10)], ["c_npmi"], 10))
    print(f"NPMI: Spark LDA {spark_npmi:.4f}, gensim {gensim_npmi:.4f}")
    assert spark_npmi >= gensim_npmi - 0.02


def test_converted_lda_is_saved_loaded_and_used_without_spark(lda_fitted, frame, newsgroups, tmp_path):
    _, spark_vec, model = lda_fitted
    X = transform_tokens(spark_vec.vectorizer, newsgroups[1][:50])
    before = model.transform(X)
    assert before.shape == (50, K) and np.allclose(before.sum(axis=1), 1)
    save_artifact(model, tmp_path / "model")
    loaded = load_artifact(tmp_path / "model.json")
    assert type(loaded) is type(model) and loaded.vocabulary_ == model.vocabulary_
    np.testing.assert_allclose(loaded.transform(X), before, rtol=0, atol=1e-12)
    np.testing.assert_allclose(loaded.topic_word_, model.topic_word_, rtol=0, atol=0)
    # the shares computed on the executors are the local model's
    shares = doc_topics_spark(frame.where("index < 50"), spark_vec, model).orderBy("index").collect()
    got = np.array([[r[c] for c in topic_columns(K)] for r in shares])
    np.testing.assert_allclose(got, before, rtol=0, atol=1e-12)


def _best_match_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a @ b.T).max(axis=1).mean())


class _InMemoryParts:
    """The matrix cut into parts held in memory, for :func:`research.stream.topics.fit_online`."""

    def __init__(self, X, sizes):
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        self.parts = [X[a:b] for a, b in itertools.pairwise(bounds)]
        self.rows = list(sizes)

    def __len__(self):
        return len(self.parts)

    def part(self, i):
        return self.parts[i]


def test_spark_nmf_matches_the_local_minibatch_nmf(nmf_fitted, frame, newsgroups):
    """The same mini-batches as the local streamed fit over parts of the same rows (Spark's
    partitions), so the same topics. (Against ``fit(X)`` on the whole matrix no streamed order
    gets close on 20 Newsgroups: two local streamed fits with different shuffles match at about
    0.66 after 4 epochs, MiniBatchNMF being sensitive to the order of its mini-batches.)"""
    config, _, model = nmf_fitted
    local_vec, X = fit_vectorizer(newsgroups[1], config["vectorizer"], TOKEN_PATTERN, True)
    params = config["topics"]["nmf_sklearn_minibatch"]
    sizes = frame.rdd.mapPartitions(lambda rows: [sum(1 for _ in rows)]).collect()
    parts = _InMemoryParts(X, sizes)
    local = build_topic_model("nmf.sklearn_minibatch", K, config["seed"], **{**params, "max_iter": NMF_EPOCHS})
    fit_online(local, parts, [np.zeros(n, dtype=bool) for n in sizes], NMF_EPOCHS, params["batch_size"],
               list(local_vec.get_feature_names_out()), config["seed"], lambda _: None, 1e9)
    similarity = _best_match_cosine(model.topic_word_, local.topic_word_)
    print(f"NMF best-match cosine: {similarity:.6f}")
    assert similarity >= 0.9


def test_group_means_spark_is_the_local_table(nmf_fitted, frame, newsgroups):
    _, spark_vec, model = nmf_fitted
    documents, tokens = newsgroups
    shares = doc_topics_spark(frame, spark_vec, model).cache()
    table = group_means_spark(shares, "label", K)
    rows = shares.orderBy("index").collect()
    got = np.array([[r[c] for c in topic_columns(K)] for r in rows])
    # the executors' shares are the model's (NMF solves in float32: equal to its rounding)
    local = model.transform(transform_tokens(spark_vec.vectorizer, tokens))
    np.testing.assert_allclose(got, local, rtol=0, atol=1e-6)
    means = GroupMeans(K)
    means.add(got, [r["label"] for r in rows])
    assert [r["label"] for r in rows] == [d.label for d in documents]
    expected = means.table()
    assert list(table.index) == list(expected.index) and list(table.columns) == list(expected.columns)
    np.testing.assert_allclose(table.to_numpy(dtype=float), expected.to_numpy(dtype=float), rtol=0, atol=1e-9)
    shares.unpersist()


def test_group_means_by_month_reads_dates_as_month_of(spark):
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    dates = ["2024-01-05", " 2024-1-30T10:00", "2024-02", None, "not a date", "2024-13-01", "2023-12-31"]
    rng = np.random.default_rng(0)
    shares = rng.dirichlet(np.ones(3), size=len(dates))
    schema = StructType([StructField("index", LongType()), StructField("date", StringType())]
                        + [StructField(c, DoubleType()) for c in topic_columns(3)])
    frame = spark.createDataFrame([(i, d, *map(float, s)) for i, (d, s) in enumerate(zip(dates, shares, strict=True))],
                                  schema)
    from research.evaluate import month_of

    means = GroupMeans(3)
    means.add(shares, month_of(dates))
    expected = means.table()
    table = group_means_spark(frame, "month", 3)
    assert list(table.index) == ["2023-12", "2024-01", "2024-02"] == list(expected.index)
    np.testing.assert_allclose(table.to_numpy(dtype=float), expected.to_numpy(dtype=float), rtol=0, atol=1e-12)


def test_hashed_tfidf_is_scikit_learns_on_the_corpus_and_on_new_text(frame, newsgroups, tmp_path):
    """vectorizer.hashing: Spark ML's IDF over the hashed counts gives scikit-learn's idf, the
    rows computed on the executors are scikit-learn's, the saved pipeline transforms new text
    alike, and each column is named after its most frequent word."""
    from collections import Counter

    from sklearn.feature_extraction.text import TfidfTransformer

    from research.spark.vectorise import hashing_vectorizer

    tokens = newsgroups[1]
    settings = {**load_config("configs/nmf_20newsgroups.yaml")["vectorizer"], "hashing": 2**14, "min_df": 1,
                "max_df": 1.0, "max_features": None}
    fitted = fit_spark_vectorizer(frame, settings, TOKEN_PATTERN, True)
    hasher = hashing_vectorizer(settings, TOKEN_PATTERN, True)
    local = TfidfTransformer(norm=settings["norm"], sublinear_tf=settings["sublinear_tf"]).fit(
        transform_tokens(hasher, tokens))
    np.testing.assert_allclose(fitted.vectorizer[-1].idf_, local.idf_, rtol=0, atol=1e-12)
    path = save_artifact(fitted.vectorizer, tmp_path / "vectorizer")
    loaded = load_artifact(path)
    expected = local.transform(hasher.transform(NEW_TEXT)).toarray()
    np.testing.assert_allclose(loaded.transform(NEW_TEXT).toarray(), expected, rtol=0, atol=1e-12)
    rows = sorted(matrix_rows(frame, fitted).collect(), key=lambda r: r[0])
    matrix = local.transform(transform_tokens(hasher, tokens))
    for i in range(0, len(tokens), 1499):
        got = np.zeros(matrix.shape[1])
        got[rows[i][1]] = rows[i][2]
        np.testing.assert_allclose(got, matrix.getrow(i).toarray()[0], rtol=0, atol=1e-12)
    counts = Counter(w for t in tokens for w in t)
    column = transform_tokens(hasher, [[w] for w in counts]).indices
    assert fitted.words_counted == len(counts) and fitted.used == len(set(column.tolist()))
    for word in ("space", "god", "hockey"):
        c = column[list(counts).index(word)]
        sharing = [w for w, col in zip(counts, column.tolist(), strict=True) if col == c]
        assert fitted.names[c] == min(sharing, key=lambda w: (-counts[w], w))
