"""Topic-model runs end to end: lda.yaml and nmf.yaml on the embedded sample, real data configs."""

import csv
import functools
import json
import operator

import numpy as np
import pytest

import research
from research.cli.main import main
from research.config.load import load_config
from research.errors import ConfigError, ModelError
from tests.helpers import run_dirs


@pytest.fixture(scope="module")
def lda_run(tmp_path_factory):
    return research.run_experiment(load_config("lda.yaml"), results_dir=tmp_path_factory.mktemp("lda"))


@pytest.fixture(scope="module")
def nmf_run(tmp_path_factory):
    return research.run_experiment(load_config("nmf.yaml"), results_dir=tmp_path_factory.mktemp("nmf"))


def _rows(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_lda_run_writes_topics_doc_topics_and_figures(lda_run):
    metrics = json.loads((lda_run / "metrics.json").read_text())
    for key in ("c_npmi", "u_mass", "c_v", "topic_diversity", "topic_similarity", "perplexity", "nmi", "ari",
                "stability"):
        assert isinstance(metrics[key], float), key
    assert -1 <= metrics["c_npmi"] <= 1 and 0 < metrics["topic_diversity"] <= 1
    topics = _rows(lda_run / "topics.csv")
    assert {int(r["topic"]) for r in topics} == set(range(5)) and topics[0]["rank"] == "1"
    doc_topics = _rows(lda_run / "doc_topics.csv")
    assert doc_topics[0]["id"].startswith("000_") and doc_topics[0]["outlet"] == "Arab News"
    shares = np.array([[float(r[f"topic_{k}"]) for k in range(5)] for r in doc_topics])
    assert np.allclose(shares.sum(axis=1), 1, atol=1e-5)
    for name in ("top_words", "doc_topic_heatmap", "intertopic_map", "prevalence_by_label", "prevalence_by_outlet"):
        assert (lda_run / "figures" / f"{name}.png").stat().st_size > 1000
    assert set(metrics["distinctive_topics"]["label"]) == {"opinion", "promotional_opinion", "reported_news"}


def test_lda_run_is_reusable_for_new_texts(lda_run):
    run = research.load_run(lda_run)
    shares = run.transform(["The United States and Pakistan held a defence dialogue in Washington.",
                            "Pakistan remains an indispensable partner; the future of the alliance is bright."])
    assert shares.shape == (2, 5) and np.allclose(shares.sum(axis=1), 1)


def test_same_seed_gives_identical_topics(lda_run, tmp_path):
    again = research.run_experiment(load_config("lda.yaml"), results_dir=tmp_path)
    assert (again / "topics.csv").read_bytes() == (lda_run / "topics.csv").read_bytes()
    assert (again / "doc_topics.csv").read_bytes() == (lda_run / "doc_topics.csv").read_bytes()


def test_nmf_with_a_list_of_k_marks_the_best(nmf_run):
    metrics = json.loads((nmf_run / "metrics.json").read_text())
    ks = [m["num_topics"] for m in metrics["by_k"]]
    assert ks == [3, 4, 5, 6]
    best = max(metrics["by_k"], key=lambda m: m["c_npmi"])
    assert metrics["best_k"] == best["num_topics"] and metrics["best_by"] == "c_npmi"
    assert "reconstruction_error" in metrics
    assert (nmf_run / "figures" / "metrics_vs_k.png").is_file() and (nmf_run / "metrics_by_k.csv").is_file()


@pytest.mark.parametrize("overrides, error, match", [
    (["topics.num_topics=1"], ConfigError, "topics.num_topics"),
    (["topics.num_topics=500"], ModelError, "topics.num_topics=500 is more than"),
    (["topics.top_n=100000"], ModelError, "topics.top_n=100000 is larger than the vocabulary"),
    (["topics.lda_backend=mallet"], ConfigError, "'gensim' or 'sklearn'"),
    (["topics.evaluate.coherence=[c_w2v]"], ConfigError, "'c_npmi', 'u_mass', 'c_v' or 'c_uci'"),
    (["topics.evaluate.reference=/nonexistent/ref.jsonl"], ConfigError, "topics.evaluate.reference: no such file"),
    (["vectorizer.kind=tfidf"], ConfigError, "LDA is a model of word counts"),
    (["topics.lda_gensim.passes=0"], ModelError, "topics.lda_gensim.passes"),
    (["topics.best_by=bogus"], ConfigError, "valid: c_npmi"),
])
def test_bad_topic_settings_fail_before_fitting(tmp_path, capsys, overrides, error, match):
    with pytest.raises(error, match=match):
        research.run_experiment(load_config("lda.yaml", overrides), results_dir=tmp_path)
    assert all("complete" not in (p / "run.json").read_text() for p in run_dirs(tmp_path))
    code = main(["experiment", "lda.yaml", "--results", str(tmp_path), *functools.reduce(operator.iadd, (["--set", o] for o in overrides), [])])
    assert code == 2 and "Traceback" not in capsys.readouterr().err


@pytest.mark.shared_data
def test_nmf_on_bbc_agrees_with_categories(tmp_path):
    config = load_config("nmf_bbc.yaml", ["topics.num_topics=5", "topics.evaluate.stability_seeds=[]"])
    run = research.run_experiment(config, results_dir=tmp_path)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["documents_read"] == 2225
    assert metrics["nmi"] > 0.5 and metrics["c_npmi"] > 0.05 and metrics["topic_diversity"] > 0.7


def test_ldavis_view_keeps_topic_numbers(lda_run):
    """pyLDAvis is optional for users; the test extras install it so this always runs."""
    import re

    html = (lda_run / "ldavis.html").read_text(encoding="utf-8")
    order = re.search(r'"topic.order": \[([^\]]*)\]', html).group(1)
    assert [int(x) for x in order.split(",")] == list(range(5))
