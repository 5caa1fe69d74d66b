"""Guided topics in whole runs: ``research experiment ... --set topics.seed_words=...`` writes
seed_topics.csv, seed_words.csv, the seeded names as topic labels and metrics.json ``seeded``;
seeds go through the run's token pipeline; missing seeds warn once; bad seeds are refused
naming the key."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import research
from research.cli.main import main
from research.config.load import load_config
from research.errors import ConfigError
from tests.helpers import run_dirs

SEED_COLUMNS = ["topic", "name", "seeds", "seeds_in_vocabulary", "seeds_in_top_n", "seed_recall",
                "mean_seed_rank", "cosine", "top_words"]


def _rows(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _experiment(tmp_path, config, *overrides):
    args = ["experiment", config, "--results", str(tmp_path)]
    for item in overrides:
        args += ["--set", item]
    code = main(args)
    return code, run_dirs(tmp_path)


@pytest.mark.parametrize("config, extra", [
    ("configs/nmf.yaml", ["topics.num_topics=4"]),
    ("configs/lda.yaml", ["topics.lda_gensim.eta=symmetric", "topics.lda_gensim.passes=10",
                         "topics.lda_gensim.iterations=50"]),
])
def test_a_guided_run_writes_the_drift_report(tmp_path, config, extra):
    seeds = "{security: [Military, defence, terrorism], relations: [relationship, partnership, qqqzz]}"
    code, runs = _experiment(tmp_path, config, f"topics.seed_words={seeds}",
                             "topics.evaluate.stability_seeds=[]", *extra)
    assert code == 0 and len(runs) == 1
    run = runs[0]
    rows = _rows(run / "seed_topics.csv")
    assert list(rows[0]) == SEED_COLUMNS
    assert [(r["topic"], r["name"]) for r in rows] == [("0", "security"), ("1", "relations")]
    # through the run's pipeline: lowercased, lemmatised (configs lemmatise: defence -> defense)
    assert rows[0]["seeds"] == "Military defence terrorism"
    assert rows[0]["seeds_in_vocabulary"] == "military defense terrorism"
    assert rows[1]["seeds_in_vocabulary"] == "relationship partnership"
    for row in rows:
        found = row["seeds_in_top_n"].split()
        assert set(found) <= set(row["top_words"].split()) and len(row["top_words"].split()) == 10
        assert float(row["seed_recall"]) == pytest.approx(len(found) / len(row["seeds_in_vocabulary"].split()))
        assert 0 < float(row["cosine"]) <= 1 and float(row["mean_seed_rank"]) >= 1
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["seeded"]) == {"security", "relations"}
    assert metrics["seeded"]["security"] == {"topic": 0, "seed_recall": float(rows[0]["seed_recall"]),
                                             "cosine": float(rows[0]["cosine"])}
    rows = _rows(run / "topic_metrics.csv")
    labels = [r["label"] for r in rows]
    assert labels[:2] == ["security", "relations"]
    for row in rows[2:]:   # the free topics keep the label made of their own top words
        assert row["label"] and set(row["label"].split(" / ")) <= set(row["top_words"].split())
    words = _rows(run / "seed_words.csv")
    assert [w["seed"] for w in words] == ["military", "defense", "terrorism", "relationship", "partnership"]
    warnings = json.loads((run / "run.json").read_text())["warnings"]
    seed_warnings = [w for w in warnings if w.startswith("topics.seed_words")]
    assert len(seed_warnings) == 1 and "relations: qqqzz" in seed_warnings[0]
    reused = research.load_run(run)          # the saved model keeps its seed words (plain JSON)
    assert reused.model.seed_words == {"security": ["military", "defense", "terrorism"],
                                       "relations": ["relationship", "partnership"]}
    assert np.allclose(reused.transform(["The army and the defence ministry discussed terrorism."]).sum(axis=1), 1)


@pytest.mark.shared_data
def test_guided_nmf_on_bbc_puts_each_category_in_its_seeded_topic(tmp_path, shared_data):
    """Through the whole run (cleaning with lemmas, TF-IDF): the documents whose main topic is a
    seeded one are mostly from the seeded category."""
    with (shared_data / "bbc_news" / "bbc_news.jsonl").open(encoding="utf-8") as handle:
        lines = handle.readlines()[::5]                     # 445 of 2,225, every category
    corpus = tmp_path / "bbc_subsample.jsonl"
    corpus.write_text("".join(lines), encoding="utf-8")
    seeds = "{sport: [match, Players, coach], business: [shares, profits, economy], tech: [software, users, phone]}"
    code, runs = _experiment(tmp_path / "results", "configs/nmf_bbc.yaml", f"corpus.source={corpus}",
                             "topics.num_topics=5", f"topics.seed_words={seeds}", "topics.evaluate.stability_seeds=[]",
                             "clean.workers=1", "vectorizer.min_df=3")
    assert code == 0
    docs = _rows(runs[0] / "doc_topics.csv")
    dominant = np.argmax([[float(d[f"topic_{k}"]) for k in range(5)] for d in docs], axis=1)
    labels = np.array([d["label"] for d in docs])
    for topic, category in enumerate(("sport", "business", "tech")):
        assert np.mean(labels[dominant == topic] == category) > 0.5, category
    rows = _rows(runs[0] / "seed_topics.csv")
    assert "player" in rows[0]["seeds_in_vocabulary"].split() and "profit" in rows[1]["seeds_in_vocabulary"].split()


def test_too_many_seeded_topics_are_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"topics.seed_words: 4 seeded topics but topics.num_topics allows at "
                                          r"most 3 \(its smallest K\)"):
        load_config("nmf.yaml", ["topics.seed_words={a: [x], b: [y], c: [z], d: [w]}"])


def test_sklearn_lda_and_auto_eta_are_refused_before_any_run_folder(tmp_path, capsys):
    seeds = "topics.seed_words={security: [military]}"
    code, runs = _experiment(tmp_path, "configs/lda.yaml", seeds, "topics.lda_backend=sklearn")
    assert code == 2 and runs == []
    assert "topics.seed_words must be empty for lda.sklearn, which cannot be seeded" in capsys.readouterr().err
    code, runs = _experiment(tmp_path, "configs/lda.yaml", seeds)      # lda.yaml has eta: auto
    assert code == 2 and runs == []
    assert "topics.lda_gensim.eta must be symmetric or a number when seed_words is set" in capsys.readouterr().err


def test_a_topic_without_any_seed_in_the_vocabulary_is_an_error_naming_it(tmp_path, capsys):
    code, _ = _experiment(tmp_path, "configs/nmf.yaml", "topics.seed_words={security: [military], ghost: [the, qqqzz]}",
                          "topics.evaluate.stability_seeds=[]")
    assert code == 2
    assert "topics.seed_words.ghost: none of its seed words (the, qqqzz) is in the vocabulary" in capsys.readouterr().err


def test_seeded_runs_are_not_streamed(tmp_path, capsys):
    code, _ = _experiment(tmp_path, "configs/nmf.yaml", "topics.seed_words={security: [military]}",
                          "scale.stream=true", "corpus.unit=document", "topics.evaluate.stability_seeds=[]")
    assert code == 2
    assert "topics.seed_words (guided topics are fitted in memory" in capsys.readouterr().err
