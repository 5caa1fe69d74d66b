"""Whole runs on a real local Spark (engine.kind: spark): the run folder, reuse, apply, and bad
input as one-line errors with exit code 2 and a failed run folder."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from research.cli.main import main
from research.runs.compare import compare
from research.runs.reuse import load_run
from tests.helpers import ROOT, run_dirs, statuses, write_config


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


@pytest.fixture(scope="module")
def sample_run(spark, tmp_path_factory) -> Path:   # the run uses the session that is up
    results = tmp_path_factory.mktemp("spark-sample")
    code = main(["experiment", "--results", str(results), str(ROOT / "configs" / "lda_spark.yaml")])
    assert code == 0
    (run,) = run_dirs(results)
    return run


def test_spark_run_folder_holds_parquet_tables_engine_record_and_report(sample_run):
    record = json.loads((sample_run / "run.json").read_text())
    metrics = json.loads((sample_run / "metrics.json").read_text())
    assert record["status"] == "complete"
    engine = record["engine"]
    assert engine["kind"] == "spark" and engine["master"].startswith("local[")
    assert engine["spark_version"].startswith("4.") and engine["partitions"] == 2
    cleaning = pq.read_table(sample_run / "cleaning.parquet")      # a folder of parts, read as one table
    doc_topics = pq.read_table(sample_run / "doc_topics.parquet")
    assert cleaning.num_rows == metrics["documents_read"] == 5
    assert doc_topics.num_rows == metrics["documents_kept"] == sum(cleaning.column("kept").to_pylist())
    assert doc_topics.column_names[:5] == ["id", "title", "outlet", "date", "label"]
    assert metrics["engine"] == "spark" and metrics["model"] == "lda.spark"
    assert -1 <= metrics["c_npmi"] <= 1 and metrics["vocabulary_size"] > 100
    assert (sample_run / "report.html").stat().st_size > 1000
    assert {"topics.csv", "topic_metrics.csv", "data.json", "cleaning.csv", "doc_topics.csv"} <= {
        p.name for p in sample_run.iterdir()}
    assert not list(sample_run.rglob("_SUCCESS")) and not list(sample_run.glob("*.parquet/.*.crc"))
    assert set(record["artifacts"]) >= {"artifacts/model.json", "artifacts/vectorizer.skops", "artifacts/cleaner.json"}


def test_spark_run_is_reused_and_compared_without_spark(sample_run):
    """load_run gives the model and vectoriser back as scikit-learn objects (no Spark needed) that
    reproduce the run's own document-topic shares; compare lists the run with its engine."""
    trained = load_run(sample_run)
    shares = pq.read_table(sample_run / "doc_topics.parquet")
    k = sum(c.startswith("topic_") for c in shares.column_names)
    assert trained.model.num_topics == k
    new = trained.transform(["Pakistan and the United States signed a trade and security agreement."])
    assert new.shape == (1, k) and abs(new.sum() - 1) < 1e-6
    table = compare(sample_run.parent, where="engine.kind=spark")
    assert list(table["run"]) == [sample_run.name]
    assert table["c_npmi"].iloc[0] == json.loads((sample_run / "metrics.json").read_text())["c_npmi"]


@pytest.mark.usefixtures("spark")
def test_missing_path_is_one_line_with_exit_2_and_a_failed_run(tmp_path, capsys):
    config = write_config(tmp_path, {"corpus": {"source": str(tmp_path / "nope.jsonl")}, "model": {"kind": "lda"},
                                     "vectorizer": {"kind": "count"}, "engine": {"kind": "spark"}})
    code, err = _cli(capsys, "experiment", "--results", str(tmp_path / "results"), str(config))
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "corpus.source" in lines[0] and "nope.jsonl" in lines[0]
    assert "Exception" not in err and "\tat " not in err
    assert statuses(tmp_path / "results") == ["failed"]


@pytest.mark.usefixtures("spark")
def test_corrupt_gzip_partition_is_one_line_with_exit_2(tmp_path, capsys):
    folder = tmp_path / "corpus"
    folder.mkdir()
    rows = [json.dumps({"id": f"{p}-{i}", "text": f"Report {i} of part {p} on trade between Pakistan and the "
                        "United States, with ministers meeting in Islamabad and Washington."}) for i in range(400)
            for p in range(1)]
    for p in range(2):
        data = gzip.compress("\n".join(r.replace('"0-', f'"{p}-') for r in rows).encode())
        (folder / f"part-{p}.jsonl.gz").write_bytes(data if p == 0 else data[: len(data) // 2])
    config = write_config(tmp_path, {"corpus": {"source": str(folder)}, "model": {"kind": "lda"},
                                     "vectorizer": {"kind": "count"}, "topics": {"num_topics": 2},
                                     "engine": {"kind": "spark", "spark": {"partitions": 2}}})
    code, err = _cli(capsys, "experiment", "--results", str(tmp_path / "results"), str(config))
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "gzip" in lines[0] and "truncated or corrupt" in lines[0]
    assert "\tat " not in err
    assert statuses(tmp_path / "results") == ["failed"]


@pytest.mark.usefixtures("spark")
def test_absent_text_column_is_one_line_naming_line_and_key(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps({"id": str(i), "body": "text"}) for i in range(5)) + "\n")
    config = write_config(tmp_path, {"corpus": {"source": str(corpus)}, "model": {"kind": "nmf"},
                                     "engine": {"kind": "spark"}})
    code, err = _cli(capsys, "experiment", "--results", str(tmp_path / "results"), str(config))
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    # the first partition to fail names its line (partitions are read in parallel)
    assert len(lines) == 1 and re.search(r"c\.jsonl line [1-5]: no field 'text'", lines[0])
    assert "corpus.text_column" in lines[0]
    assert statuses(tmp_path / "results") == ["failed"]


def test_settings_spark_cannot_run_are_refused_before_any_run(tmp_path, capsys):
    code, err = _cli(capsys, "experiment", "--results", str(tmp_path / "results"), "--set", "engine.kind=spark",
                     str(ROOT / "configs" / "lda.yaml"))
    assert code == 2 and "corpus.unit: paragraph" in err and "engine.kind: local" in err
    assert not (tmp_path / "results").exists() or not run_dirs(tmp_path / "results")


def test_missing_java_names_the_package_that_installs_it(tmp_path):
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java"), "PATH": "/nonexistent"}
    code = ("from research.spark.session import start_session\n"
            "start_session({'spark': {'master': 'local[1]', 'partitions': 1, 'conf': {}}})\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "openjdk-17-jre-headless" in out.stderr and "Java runtime" in out.stderr


def test_missing_extra_names_the_command_that_installs_it(tmp_path):
    """Without pyspark importable (blocked in this interpreter) the CLI says how to install it."""
    config = write_config(tmp_path, {"corpus": {"source": "sample"}, "model": {"kind": "nmf"},
                                     "engine": {"kind": "spark"}})
    code = ("import sys; sys.modules['pyspark'] = None\n"
            "from research.cli.main import main\n"
            f"sys.exit(main(['experiment', '--results', {str(tmp_path / 'r')!r}, {str(config)!r}]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("error: engine.kind: spark needs the spark extra")
    assert "make spark" in out.stderr


@pytest.fixture(scope="module")
def tone_run(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("tone")
    assert main(["experiment", "--results", str(results), "tone.yaml"]) == 0
    (run,) = run_dirs(results)
    return run


@pytest.mark.usefixtures("spark")
def test_apply_on_spark_scores_like_local_apply(tone_run, tmp_path):
    assert main(["apply", "--results", str(tmp_path / "local"), str(tone_run), "sample"]) == 0
    assert main(["apply", "--results", str(tmp_path / "spark"), "--set", "engine.kind=spark",
                 "--set", "engine.spark.partitions=3", str(tone_run), "sample"]) == 0
    (local,) = run_dirs(tmp_path / "local")
    (on_spark,) = run_dirs(tmp_path / "spark")
    assert (local / "predictions.csv").read_bytes() == (on_spark / "predictions.csv").read_bytes()
    table = pq.read_table(on_spark / "predictions.parquet")
    assert table.num_rows == 5 and "predicted" in table.column_names
    metrics = json.loads((on_spark / "metrics.json").read_text())
    assert metrics["engine"] == "spark" and metrics["documents"] == 5
    assert json.loads((on_spark / "run.json").read_text())["engine"]["kind"] == "spark"


@pytest.mark.usefixtures("spark")
def test_hashed_em_run_names_columns_by_words_and_reloads_without_spark(tmp_path, capsys):
    """vectorizer.hashing (HashingVectorizer on the executors) with Spark's EM optimiser: topics
    print words, the run records its collisions, and the saved vectoriser gives the same hashed
    counts on new text with scikit-learn alone."""
    from sklearn.feature_extraction.text import HashingVectorizer

    results = tmp_path / "results"
    code, err = _cli(capsys, "experiment", "--results", str(results), "--set", "vectorizer.hashing=4096",
                     "--set", "topics.lda_spark.optimizer=em", "--set", "topics.lda_spark.doc_concentration=null",
                     "--set", "topics.lda_spark.topic_concentration=null", "--set", "topics.lda_spark.max_iter=10",
                     str(ROOT / "configs" / "lda_spark.yaml"))
    assert code == 0, err
    (run,) = run_dirs(results)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["vocabulary_size"] == 4096 and 100 < metrics["hash_columns_used"] <= 4096
    assert 0 <= metrics["hash_collisions"] < metrics["hash_columns_used"]
    trained = load_run(run)
    words = [w for topic in trained.model.top_words(10) for w, _ in topic]
    assert not any(w.startswith("#") for w in words) and "pakistan" in words
    vec = trained.vectorizer
    assert type(vec) is HashingVectorizer
    text = "Pakistan and the United States signed a trade and security agreement."
    tokens = " ".join(trained.tokenize([text])[0])
    expected = HashingVectorizer(n_features=4096, alternate_sign=False, norm=None).transform([tokens])
    assert (trained.vectorize([text]) != expected).nnz == 0 and expected.nnz > 3
    assert trained.transform([text]).shape == (1, trained.model.num_topics)


def test_hashing_and_em_priors_are_refused_where_they_cannot_run(tmp_path, capsys):
    code, err = _cli(capsys, "experiment", "--results", str(tmp_path / "results"), "--set", "vectorizer.hashing=4096",
                     str(ROOT / "configs" / "lda.yaml"))
    assert code == 2 and "vectorizer.hashing" in err and "engine.kind: spark" in err
    code, err = _cli(capsys, "experiment", "--results", str(tmp_path / "results"),
                     "--set", "topics.lda_spark.optimizer=em", str(ROOT / "configs" / "lda_spark.yaml"))
    assert code == 2 and "topics.lda_spark.doc_concentration: 0.05" in err and "null" in err
    code, err = _cli(capsys, "experiment", "--results", str(tmp_path / "results"), "--set", "vectorizer.hashing=4096",
                     "--set", "vectorizer.min_df=2", str(ROOT / "configs" / "lda_spark.yaml"))
    assert code == 2 and "vectorizer.min_df: 2" in err and "hashing: null" in err
    assert not (tmp_path / "results").exists() or not run_dirs(tmp_path / "results")


def test_spark_out_of_memory_is_one_line_naming_the_setting():
    """The text of a real failure (50,000 benchmark documents on local[1] with Spark's 1g), in
    py4j's own error class: one line that says what ran out and which engine.spark.conf key gives more."""
    from py4j.protocol import Py4JError

    from research.spark.read import spark_errors
    from research.spark.session import EngineError

    text = ("An error occurred while calling o318.collectToPython.\n: org.apache.spark.SparkException: "
            "[STAGE_MATERIALIZATION_MULTIPLE_FAILURES] Multiple failures (4) in stage materialization:\n  1. "
            "SparkException: Job aborted due to stage failure: Task 0 in stage 50.0 failed 1 times, most recent "
            "failure: Lost task 0.0 in stage 50.0 (TID 60) (192.0.2.2 executor driver): "
            "org.apache.spark.memory.SparkOutOfMemoryError: [UNABLE_TO_ACQUIRE_MEMORY] Unable to acquire 65536 "
            "bytes of memory, got 0. SQLSTATE: 53200\n\tat org.apache.spark.errors.SparkCoreErrors$.outOfMemoryError")
    with pytest.raises(EngineError) as caught, spark_errors("clean", EngineError):
        raise Py4JError(text)
    line = str(caught.value)
    assert "\n" not in line and line.startswith("clean: Spark ran out of memory (SparkOutOfMemoryError")
    assert "spark.driver.memory" in line and "engine.spark.conf" in line
    with pytest.raises(EngineError) as caught, spark_errors("vectorise", EngineError):
        raise Py4JError("An error occurred while calling o12.fit.\n: java.lang.IllegalStateException: "
                            "the vocabulary is empty\n\tat org.apache.spark.ml...")
    assert str(caught.value) == ("vectorise: the Spark job failed (An error occurred while calling o12.fit.; "
                                 "java.lang.IllegalStateException: the vocabulary is empty)")
