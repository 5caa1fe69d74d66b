"""Merged (reduced) topics, topic labels and representative documents in a topic run, on a
spread-out sample of BBC News (all five categories, with titles)."""

import csv
import json

import numpy as np
import pytest

import research
from research.config.load import load_config
from research.errors import ConfigError, ModelError
from research.evaluate import topic_diversity
from research.experiment.streamed import stream_blockers
from research.topics.merge import cosine_similarity

pytestmark = pytest.mark.shared_data

K = 8
BASE = ["topics.num_topics=8", "topics.evaluate.heldout=0.0", "topics.evaluate.coherence=[c_npmi, u_mass]",
        "topics.top_n=25", "topics.nmf_sklearn.max_iter=200", "clean.tokens.lemmatize=false"]
NEW_TEXTS = ["Shares in the bank fell after profits dropped and the market worried about interest rates.",
             "The striker scored twice as the club won the league match at home."]


@pytest.fixture(scope="module")
def bbc_sample(shared_data, tmp_path_factory):
    """Every 8th BBC article (278 of 2,225, all categories), as a JSONL file outside the project."""
    with (shared_data / "bbc_news" / "bbc_news.jsonl").open(encoding="utf-8") as handle:
        lines = handle.readlines()
    path = tmp_path_factory.mktemp("bbc") / "bbc_sample.jsonl"
    path.write_text("".join(lines[::8]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")   # one folder: the runs share the cleaning cache


def run(bbc_sample, results, *overrides):
    config = load_config("nmf_bbc.yaml", [f"corpus.source={bbc_sample}", *BASE, *overrides])
    return research.run_experiment(config, results_dir=results)


@pytest.fixture(scope="module")
def reduced(bbc_sample, results):
    return run(bbc_sample, results, "topics.reduce_to=6", "topics.labels={1: economy}")


def rows(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def metrics_of(folder):
    return json.loads((folder / "metrics.json").read_text())


def test_reduce_to_merges_the_most_cosine_similar_topics(reduced):
    metrics = metrics_of(reduced)
    base = research.load_run(reduced).model.base
    groups = metrics["reduced"]["groups"]
    assert metrics["reduced"]["from"] == K and metrics["reduced"]["to"] == 6 == len(groups)
    assert sorted(k for g in groups for k in g) == list(range(K))
    cos = cosine_similarity(base.topic_word_)
    np.fill_diagonal(cos, -1)
    i, j = np.unravel_index(np.argmax(cos), cos.shape)
    assert any(i in g and j in g for g in groups)   # the first merge: the closest pair
    table = rows(reduced / "merged_topics.csv")
    assert [r["merged_from"] for r in table] == [" ".join(map(str, g)) for g in groups]
    for r in table:
        if r["merged_from"] == f"{min(i, j)} {max(i, j)}":   # merged alone: its similarity is their cosine
            assert float(r["similarity"]) == pytest.approx(cos[i, j], abs=1e-6)
    assert all(r["similarity"] == "" for r in table if " " not in r["merged_from"])


def test_merged_shares_are_summed_columns_and_rows_still_sum_to_one(reduced):
    base = research.load_run(reduced).model.base
    groups = metrics_of(reduced)["reduced"]["groups"]
    table = rows(reduced / "doc_topics.csv")
    shares = np.array([[float(r[f"topic_{t}"]) for t in range(len(groups))] for r in table])
    assert "topic_6" not in table[0]
    assert np.allclose(shares.sum(axis=1), 1, atol=1e-5)
    summed = np.column_stack([base.doc_topic_[:, g].sum(axis=1) for g in groups])   # heldout 0: all documents
    assert np.allclose(shares, summed, atol=1e-6)


def test_metrics_are_those_of_the_reduced_topics(reduced):
    metrics = metrics_of(reduced)
    before = metrics["before_reduction"]
    assert metrics["num_topics"] == 6 and before["num_topics"] == K and metrics["best_k"] == K
    words = {}
    for r in rows(reduced / "topics.csv"):
        words.setdefault(int(r["topic"]), []).append(r["word"])
    assert sorted(words) == list(range(6))
    assert metrics["topic_diversity"] == pytest.approx(topic_diversity(list(words.values()), 25))
    table = rows(reduced / "topic_metrics.csv")
    assert metrics["c_npmi"] == pytest.approx(np.mean([float(r["c_npmi"]) for r in table]), abs=1e-5)
    assert metrics["c_npmi"] != before["c_npmi"] and metrics["nmi"] != before["nmi"]
    log = (reduced / "log.txt").read_text(encoding="utf-8")
    assert "merged 8 topics into 6" in log and "refer to the reduced model" in log


def test_the_reloaded_run_transforms_new_text_into_the_merged_topics(reduced):
    loaded = research.load_run(reduced)
    groups = metrics_of(reduced)["reduced"]["groups"]
    shares = loaded.transform(NEW_TEXTS)
    base = loaded.model.base.transform(loaded.vectorize(NEW_TEXTS))
    assert shares.shape == (2, 6) and base.shape == (2, K)
    assert np.allclose(shares, np.column_stack([base[:, g].sum(axis=1) for g in groups]))
    assert np.allclose(shares.sum(axis=1), 1)


def test_labels_come_from_top_words_and_user_labels_win(reduced):
    topics = rows(reduced / "topics.csv")
    table = rows(reduced / "topic_metrics.csv")
    assert table[1]["label"] == "economy"
    for row in table:
        words = row["top_words"].split()
        assert row["label"] == {r["label"] for r in topics if r["topic"] == row["topic"]}.pop()
        if row["topic"] != "1":
            parts = row["label"].split(" / ")
            assert len(parts) == 3 and parts[0] == words[0] and all(p in words for p in parts)
            assert [words.index(p) for p in parts] == sorted(words.index(p) for p in parts)


def test_representative_documents_have_the_highest_shares_and_titles(reduced):
    shares = rows(reduced / "doc_topics.csv")
    reps = rows(reduced / "representative_docs.csv")
    table = rows(reduced / "topic_metrics.csv")
    assert list(reps[0]) == ["topic", "label", "rank", "id", "title", "outlet", "date", "share", "snippet"]
    for t in range(6):
        mine = [r for r in reps if r["topic"] == str(t)]
        assert [r["rank"] for r in mine] == ["1", "2", "3"]
        column = np.array([float(r[f"topic_{t}"]) for r in shares])
        assert float(mine[0]["share"]) == pytest.approx(column.max(), abs=1e-6)
        assert float(mine[-1]["share"]) >= np.sort(column)[-3] - 1e-6
        by_id = {r["id"]: r for r in shares}
        assert all(r["title"] and r["title"] == by_id[r["id"]]["title"] for r in mine)
        assert all(0 < len(r["snippet"]) <= 203 for r in mine) and mine[0]["label"] == table[t]["label"]
        assert table[t]["representative_docs"] == " | ".join(r["title"] for r in mine)


def test_merge_threshold_merges_only_groups_at_least_that_similar(reduced, bbc_sample, results):
    base = research.load_run(reduced).model.base    # the same data and settings fit the same model
    cos = cosine_similarity(base.topic_word_)
    pairs = np.sort(cos[np.triu_indices(K, 1)])[::-1]
    threshold = round(float(pairs[2]), 4) - 1e-4   # at least the three closest pairs qualify on their own
    folder = run(bbc_sample, results, f"topics.merge_threshold={threshold}", "topics.representative_docs=0")
    metrics = metrics_of(folder)
    groups = metrics["reduced"]["groups"]
    assert metrics["reduced"]["to"] == len(groups) < K
    assert all(float(r["similarity"]) >= threshold for r in rows(folder / "merged_topics.csv") if r["similarity"])
    weight = base.doc_topic_.mean(axis=0)
    for a in range(len(groups)):        # no two groups left are as similar as the threshold
        for b in range(a + 1, len(groups)):
            wa, wb = weight[groups[a]], weight[groups[b]]
            link = wa @ cos[np.ix_(groups[a], groups[b])] @ wb / (wa.sum() * wb.sum())
            assert link < threshold
    assert not (folder / "representative_docs.csv").exists()
    assert "representative_docs" not in rows(folder / "topic_metrics.csv")[0]


def test_a_run_without_the_new_keys_records_no_reduction(bbc_sample, results):
    folder = run(bbc_sample, results, "topics.representative_docs=1")
    metrics = metrics_of(folder)
    assert "reduced" not in metrics and "before_reduction" not in metrics and metrics["num_topics"] == K
    assert not (folder / "merged_topics.csv").exists()
    assert len(rows(folder / "representative_docs.csv")) == K


@pytest.mark.parametrize("overrides, match", [
    (["topics.reduce_to=4", "topics.merge_threshold=0.5"], "topics.merge_threshold: set either"),
    (["topics.num_topics=[4, 8]", "topics.reduce_to=5"], "topics.reduce_to: allowed: .* below every"),
    (["topics.reduce_to=1"], "topics.reduce_to"),
    (["topics.merge_threshold=1.5"], "topics.merge_threshold: allowed"),
    (["topics.labels={9: trade}"], "topics.labels: no topic 9"),
    (["topics.reduce_to=3", "topics.labels={3: trade}"], "topics.labels: no topic 3:.*after topics.reduce_to"),
    (["topics.representative_docs=11"], "topics.representative_docs"),
])
def test_bad_settings_are_refused_naming_the_key(overrides, match):
    with pytest.raises(ConfigError, match=match):
        load_config("nmf_bbc.yaml", ["topics.num_topics=8", *overrides])


def test_labels_beyond_the_topics_left_by_merge_threshold_are_refused(bbc_sample, results):
    with pytest.raises(ModelError, match=r"topics.labels: .*topic 7"):
        run(bbc_sample, results, "topics.merge_threshold=0.0001", "topics.labels={7: trade}")


def test_a_streamed_or_spark_run_refuses_merging():
    config = load_config("nmf_bbc.yaml", ["topics.num_topics=8", "topics.reduce_to=4"])
    assert "topics.reduce_to (leave it null)" in stream_blockers(config)


def test_a_streamed_or_spark_run_refuses_the_group_difference_test():
    config = load_config("nmf_bbc.yaml", ["topics.by_group.compare={field: label, a: sport}"])
    assert any(b.startswith("topics.by_group.compare") for b in stream_blockers(config))
    assert not any(b.startswith("topics.by_group") for b in stream_blockers(load_config("nmf_bbc.yaml")))
