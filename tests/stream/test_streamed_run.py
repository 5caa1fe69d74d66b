"""Streamed runs (issue 12) on real corpora: the same stages in chunks, on-disk store, faults."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from research.config.load import load_config
from research.errors import ConfigError, CorpusError
from research.experiment.runner import run_experiment
from research.runs.lifecycle import effective_status
from research.runs.reuse import load_run
from tests.helpers import ROOT, run_dirs, statuses

pytestmark = pytest.mark.shared_data

BBC = ["corpus.label_column=category", "scale.stream=true", "scale.chunk_documents=500",
       "scale.csv_preview_rows=100", "scale.sample_documents=50", "topics.num_topics=5",
       "topics.evaluate.group_by=[label]"]


def _bbc(tmp_path: Path, *extra: str) -> Path:
    config = load_config("nmf_bbc.yaml", [*BBC, f"scale.store_dir={tmp_path / 'store'}", *extra])
    return run_experiment(config, results_dir=tmp_path / "results")


@pytest.fixture(scope="module")
def bbc_run(tmp_path_factory) -> Path:
    return _bbc(tmp_path_factory.mktemp("bbc"))


def test_streamed_run_writes_every_table_in_parquet_with_capped_previews(bbc_run):
    metrics = json.loads((bbc_run / "metrics.json").read_text())
    record = json.loads((bbc_run / "run.json").read_text())
    assert record["status"] == "complete" and metrics["streamed"] is True
    assert metrics["model"] == "nmf.sklearn_minibatch"          # scale.online_backends.nmf
    cleaning = pq.read_table(bbc_run / "cleaning.parquet")
    doc_topics = pq.read_table(bbc_run / "doc_topics.parquet")
    assert cleaning.num_rows == metrics["documents_read"] == 2225
    assert doc_topics.num_rows == metrics["documents_kept"] == sum(cleaning.column("kept").to_pylist())
    shares = np.column_stack([doc_topics.column(f"topic_{k}").to_numpy() for k in range(5)])
    assert np.allclose(shares.sum(axis=1), 1, atol=1e-4)
    assert len((bbc_run / "doc_topics.csv").read_text().splitlines()) == 101     # header + 100 rows
    assert len((bbc_run / "cleaning.csv").read_text().splitlines()) == 101
    data = json.loads((bbc_run / "data.json").read_text())
    assert data["documents_sampled"] is True and 0 < len(data["documents"]) <= 50
    assert data["documents_total"] == 2225
    # the exact search finds 167 pairs on BBC; MinHash LSH candidates find all but one (containment
    # 0.94 of a short report inside a long page: Jaccard 0.35)
    assert 160 <= metrics["duplicate_pairs"] <= 167
    assert metrics["c_npmi"] > 0.1 and metrics["nmi"] > 0.3
    prevalence = (bbc_run / "prevalence_by_label.csv").read_text().splitlines()
    assert len(prevalence) == 6                                  # header + 5 BBC sections
    assert (bbc_run / "report.html").is_file() and (bbc_run / "figures" / "top_words.png").is_file()
    header = (bbc_run / "topic_metrics.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["topic", "label"] and "label" in (bbc_run / "topics.csv").read_text().splitlines()[0]


def test_a_streamed_run_is_reused_like_any_run(bbc_run):
    run = load_run(bbc_run)
    shares = run.transform(["The chancellor said the budget would cut taxes for families and raise spending."])
    assert shares.shape == (1, 5) and abs(float(shares.sum()) - 1) < 1e-6


def test_a_second_run_reuses_the_token_store(tmp_path):
    first = _bbc(tmp_path)
    second = _bbc(tmp_path)
    cache = json.loads((second / "run.json").read_text())["clean_cache"]
    assert cache["status"] == "stream" and cache["final"] is True and cache["chunks_reused"] == cache["chunks"] == 5
    for name in ("metrics.json", "topics.csv"):
        a = json.loads((first / name).read_text()) if name.endswith(".json") else (first / name).read_text()
        b = json.loads((second / name).read_text()) if name.endswith(".json") else (second / name).read_text()
        if name == "metrics.json":
            a, b = ({k: v for k, v in m.items()} for m in (a, b))
        assert a == b
    store = Path(cache["store"])
    assert not list(store.rglob("*.pkl")) and not list(store.rglob("*.pickle"))   # data only: Parquet + checksums
    assert {p.suffix for p in store.rglob("*") if p.is_file()} <= {".parquet", ".sha256", ".json"}


def test_a_streamed_corpus_refuses_settings_that_need_it_in_memory(tmp_path):
    config = load_config("nmf.yaml", ["scale.stream_above_documents=3", f"scale.store_dir={tmp_path / 'store'}"])
    with pytest.raises(ConfigError, match=r"^scale.stream: this corpus is streamed .* but corpus.unit: paragraph "
                                          r"\(use document\); topics.evaluate.stability_seeds \(leave it empty\)"):
        run_experiment(config, results_dir=tmp_path / "r")
    assert statuses(tmp_path / "r") == ["failed"]


def test_the_auto_rule_streams_only_above_the_threshold(tmp_path):
    base = ["topics.num_topics=2", "topics.evaluate.heldout=0", f"scale.store_dir={tmp_path / 'store'}",
            "corpus.unit=document", "topics.evaluate.stability_seeds=[]"]
    small = run_experiment(load_config("nmf.yaml", base), results_dir=tmp_path / "r")
    assert "streamed" not in json.loads((small / "metrics.json").read_text())
    above = run_experiment(load_config("nmf.yaml", [*base, "scale.stream_above_documents=3"]), results_dir=tmp_path / "r")
    metrics = json.loads((above / "metrics.json").read_text())
    assert metrics["streamed"] is True and metrics["documents_read"] == 5


def test_a_truncated_corpus_fails_with_its_line_and_byte_and_no_complete_run(tmp_path, shared_data):
    raw = (shared_data / "bbc_news" / "bbc_news.jsonl").read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(raw)[: len(gzip.compress(raw)) // 2])
    config = load_config("nmf_bbc.yaml", [*BBC, f"corpus.source={cut}", f"scale.store_dir={tmp_path / 's'}"])
    with pytest.raises(CorpusError, match=r"truncated or corrupt gzip file at line \d+ \(byte [\d,]+ of [\d,]+ "):
        run_experiment(config, results_dir=tmp_path / "results")
    assert statuses(tmp_path / "results") == ["failed"]


def _chunks(store: Path) -> list[Path]:
    return sorted(store.glob("*/chunk-*.parquet"))


def test_a_killed_run_is_resumed_from_its_verified_chunks(tmp_path):
    """A real SIGKILL half-way through cleaning 20 Newsgroups (its first 8,000 posts, 20 chunks); one
    stored chunk is then damaged.
    The re-run reuses the others (checksums verified), cleans the damaged one again, and gives
    the same cleaning as a run that was never interrupted."""
    store = tmp_path / "store"
    sets = ["scale.stream=true", "scale.chunk_documents=400", f"scale.store_dir={store}", "clean.workers=1",
            "corpus.limit=8000", "topics.num_topics=5", "topics.evaluate.coherence=[c_npmi]", "topics.nmf_sklearn_minibatch.max_iter=2"]
    command = [sys.executable, "-m", "research", "experiment", "nmf_20newsgroups.yaml", "--results",
               str(tmp_path / "results"), *(a for s in sets for a in ("--set", s))]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while len(_chunks(store)) < 8 and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = _chunks(store)
    assert 8 <= len(done) < 20, "the run should have been killed part-way through its 20 chunks"
    damaged = done[3]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    config = load_config("nmf_20newsgroups.yaml", sets)
    resumed = run_experiment(config, results_dir=tmp_path / "results")
    cache = json.loads((resumed / "run.json").read_text())["clean_cache"]
    assert cache["chunks"] == 20 and cache["chunks_reused"] == len(done) - 1
    log = (resumed / "log.txt").read_text()
    assert "1 rejected (checksum)" in log
    fresh = run_experiment(load_config("nmf_20newsgroups.yaml", [*sets[:2], f"scale.store_dir={tmp_path / 'fresh'}",
                                                                 *sets[3:]]),
                           results_dir=tmp_path / "results")
    a, b = (pq.read_table(run / "cleaning.parquet") for run in (resumed, fresh))
    assert a.equals(b)
    records = [json.loads((p / "run.json").read_text()) for p in run_dirs(tmp_path / "results")]
    assert sorted(effective_status(r) for r in records) == ["complete", "complete", "died"]


def test_a_full_disk_while_storing_is_one_line_naming_the_folder(tmp_path):
    """A real 1 MB tmpfs as the store: cleaning BBC needs more than that."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        config = ["experiment", "nmf_bbc.yaml", "--results", str(tmp_path / "results")]
        sets = [*BBC, f"scale.store_dir={mount}"]
        done = subprocess.run([sys.executable, "-m", "research", *config, *(a for s in sets for a in ("--set", s))],
                              cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 2
        error = done.stderr.strip().splitlines()[-1]
        assert error.startswith(f"error: {mount}/") and "no space left on the device while writing the token store" in error
        assert "MB needed in all" in error and "scale.store_dir" in error
        assert statuses(tmp_path / "results") == ["failed"]
    finally:
        subprocess.run(["umount", str(mount)], check=False)
