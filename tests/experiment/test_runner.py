"""End to end: the CLI runs an experiment and writes a complete, reusable run folder."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import research
from research.cli.main import main
from research.config.load import load_config
from research.errors import RunError
from research.runs.folder import RunFolder
from tests.helpers import ROOT, run_dirs, statuses, write_config

RUN_FILES = ["run.json", "config.yaml", "metrics.json", "data.json", "log.txt", "cleaning.csv",
             "top_terms_documents.csv", "top_terms_outlets.csv", "artifacts/vectorizer.skops",
             "artifacts/cleaner.json", "figures/top_terms_by_outlet.png"]


@pytest.fixture(scope="module")
def tfidf_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    proc = subprocess.run([sys.executable, "-m", "research", "experiment", "tfidf.yaml", "--results", str(results)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip().splitlines()[-1])


def test_run_folder_holds_everything(tfidf_run):
    assert tfidf_run.parent.is_dir() and tfidf_run.name.split("-")[2] == "tfidf"
    for name in RUN_FILES:
        assert (tfidf_run / name).is_file() and (tfidf_run / name).stat().st_size > 0, name
    record = json.loads((tfidf_run / "run.json").read_text())
    assert record["status"] == "complete" and record["ended"] and record["error"] is None
    assert set(record["stages"]) >= {"load", "clean", "vectorise", "report"}
    assert record["seed"] == 42 and record["versions"]["scikit-learn"] and record["host"]["hostname"]
    assert set(record["artifacts"]) >= {"artifacts/vectorizer.skops", "metrics.json", "config.yaml"}


def test_data_json_records_every_input_document(tfidf_run, sample_dir):
    data = json.loads((tfidf_run / "data.json").read_text())
    ids = [d["id"] for d in data["documents"]]
    assert ids == sorted(p.stem for p in sample_dir.glob("*.txt"))
    for doc in data["documents"]:
        assert len(doc["sha256"]) == 64 and doc["cleaning"]["chars_before"] >= doc["cleaning"]["chars_after"]
    dup = {d["id"][:3]: d["cleaning"]["duplicate_of"] for d in data["documents"]}
    assert dup["001"] is not None and dup["001"].startswith("000")


def test_metrics_and_top_terms(tfidf_run):
    metrics = json.loads((tfidf_run / "metrics.json").read_text())
    assert metrics["documents_read"] == 5 and metrics["documents_kept"] == 4
    assert metrics["vocabulary_size"] > 300
    with (tfidf_run / "top_terms_outlets.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    outlets = {r["outlet"] for r in rows}
    assert "24 News HD" in outlets
    op_ed = [r["term"] for r in rows if r["outlet"] == "24 News HD"]
    assert "pak" in op_ed[:15] or "harris" in op_ed[:15]


def test_same_config_and_seed_give_identical_numbers(tfidf_run, tmp_path):
    again = research.run_experiment(load_config("tfidf.yaml"), results_dir=tmp_path)
    for name in ("metrics.json", "top_terms_documents.csv", "top_terms_outlets.csv", "cleaning.csv"):
        assert (again / name).read_bytes() == (tfidf_run / name).read_bytes(), name


def test_vectorizer_loads_without_this_package(tfidf_run):
    """The README's snippet, in a bare interpreter with only the venv's site-packages (no
    editable install, so no research), gives the run's own matrix."""
    import sklearn

    from research.runs.artifacts import VECTORIZER_TYPES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("### Reusing a vectoriser from other code", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert snippet.count('"sklearn.') == len(VECTORIZER_TYPES)
    assert all(f'"{name}"' in snippet for name in VECTORIZER_TYPES)
    snippet = snippet.replace("results/<run>", str(tfidf_run))
    site = str(Path(sklearn.__file__).parents[1])
    code = (f"import sys; sys.path.append({site!r})\n"
            "try:\n    import research\nexcept ImportError:\n    pass\nelse:\n    raise SystemExit('research importable')\n"
            f"{snippet}\nimport json; m = matrix.tocsr(); print(json.dumps([m.shape, m.indices.tolist(), m.data.tolist()]))"
            )
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd="/")
    assert proc.returncode == 0, proc.stderr
    shape, indices, data = json.loads(proc.stdout)
    expected = research.load_run(tfidf_run).vectorizer.transform(["Pakistan and the United States held talks"]).tocsr()
    assert tuple(shape) == expected.shape and indices == expected.indices.tolist() and data == expected.data.tolist()
    assert len(data) >= 3


def test_load_run_reuses_config_metrics_and_vectorizer(tfidf_run):
    run = research.load_run(tfidf_run)
    assert run.config["vectorizer"]["sublinear_tf"] is True
    assert run.metrics["documents_kept"] == 4
    matrix = run.vectorize(["Pakistan’s foreign office said the talks in Washington were positive."])
    assert matrix.shape == (1, run.metrics["vocabulary_size"]) and matrix.nnz >= 4
    assert run.tokenize("Pakistan’s foreign office said so.")[0][:3] == ["pakistan", "foreign", "office"]


def test_load_run_refuses_altered_artifacts(tfidf_run, tmp_path):
    import shutil

    copy = tmp_path / tfidf_run.name
    shutil.copytree(tfidf_run, copy)
    with (copy / "artifacts" / "vectorizer.skops").open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(RunError, match="changed since the run wrote it"):
        research.load_run(copy).vectorizer
    (copy / "metrics.json").unlink()
    with pytest.raises(RunError, match="missing file metrics.json"):
        research.load_run(copy).metrics


def test_two_runs_in_the_same_second_get_different_folders(tmp_path):
    runs = [RunFolder.create(tmp_path, "same", "tfidf", 1) for _ in range(5)]
    for run in runs:
        run._close_logger()
    assert len({r.path for r in runs}) == 5


def _cli(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_emptied_vocabulary_fails_the_run_with_the_setting_named(tmp_path, capsys):
    results = tmp_path / "results"
    code, _out, err = _cli(["experiment", "tfidf.yaml", "--results", str(results), "--set", "vectorizer.min_df=50"],
                          capsys)
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("error: vectorizer.min_df=50 removed every term")
    assert statuses(results) == ["failed"]
    record = json.loads((run_dirs(results)[0] / "run.json").read_text())
    assert record["error"]["type"] == "VectorizerError"


def _bad_corpus(tmp_path: Path, kind: str) -> Path:
    folder = tmp_path / kind
    folder.mkdir()
    if kind == "furniture_only":
        (folder / "a.txt").write_text("Short Url\nFollow\n", encoding="utf-8")
        (folder / "b.txt").write_text("Get it on Google Play\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("setup, match", [
    (lambda p: ["missing.yaml"], "config file not found"),
    (lambda p: [str(write_config(p, {"bogus": 1}))], "unknown key 'bogus'"),
    (lambda p: [str(write_config(p, {"seed": "x"}))], "seed: input should be a valid integer"),
    (lambda p: ["tfidf.yaml", "--set", f"corpus.source={p / 'nowhere'}"], "no such file or folder"),
    (lambda p: ["tfidf.yaml", "--set", f"corpus.source={_bad_corpus(p, 'empty')}"], "folder has no .txt files"),
    (lambda p: ["tfidf.yaml", "--set", f"corpus.source={_bad_corpus(p, 'furniture_only')}"],
     "no documents left after cleaning"),
])
def test_bad_input_exits_2_with_one_line_and_no_complete_run(tmp_path, capsys, setup, match):
    results = tmp_path / "results"
    code, _out, err = _cli(["experiment", *setup(tmp_path), "--results", str(results)], capsys)
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and match in last
    assert "Traceback" not in err
    assert "complete" not in statuses(results)


def test_interrupted_run_is_recorded_as_failed(tmp_path, shared_data):
    source = shared_data / "20newsgroups" / "20newsgroups_bydate.jsonl.gz"
    if not source.is_file():
        pytest.skip("needs ../shared/data")
    results = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "research", "experiment", "tfidf.yaml", "--results", str(results),
                             "--set", f"corpus.source={source}"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not run_dirs(results):
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert statuses(results) == ["failed"]
    assert "interrupted" in err


test_interrupted_run_is_recorded_as_failed = pytest.mark.shared_data(test_interrupted_run_is_recorded_as_failed)


def test_exported_members():
    assert sorted(research.__all__) == sorted(set(research.__all__))
    for name in research.__all__:
        assert hasattr(research, name), name
    assert os.path.basename(research.__file__) == "__init__.py"


def test_max_df_that_empties_the_vocabulary_is_named(tmp_path, capsys):
    results = tmp_path / "results"
    code, _out, err = _cli(["experiment", "tfidf.yaml", "--results", str(results), "--set", "vectorizer.max_df=0"],
                          capsys)
    assert code == 2 and "vectorizer.max_df=0 removed every term" in err


def test_loading_under_other_library_versions_warns_with_both(tfidf_run, tmp_path):
    import shutil

    import sklearn

    copy = tmp_path / tfidf_run.name
    shutil.copytree(tfidf_run, copy)
    record = json.loads((copy / "run.json").read_text())
    record["versions"]["scikit-learn"] = "0.24.2"
    (copy / "run.json").write_text(json.dumps(record))
    with pytest.warns(research.VersionWarning, match=f"scikit-learn 0.24.2, loading under scikit-learn {sklearn.__version__}"):
        research.load_run(copy)


def test_failed_or_running_runs_cannot_be_loaded(tmp_path):
    run = RunFolder.create(tmp_path, "x", "tfidf", 1)
    run._close_logger()
    with pytest.raises(RunError, match="status is 'running'"):
        research.load_run(run.path)
    (run.path / "run.json").write_text("{not json")
    with pytest.raises(RunError, match="corrupt run.json"):
        research.load_run(run.path)


def test_cleaning_cache_is_reused_and_a_damaged_one_rebuilt(tmp_path):
    config = load_config("tfidf.yaml")
    first = research.run_experiment(config, results_dir=tmp_path)
    second = research.run_experiment(config, results_dir=tmp_path)
    miss = json.loads((first / "run.json").read_text())["clean_cache"]
    hit = json.loads((second / "run.json").read_text())["clean_cache"]
    assert miss["status"] == "miss" and hit["status"] == "hit" and hit["entry"] == miss["entry"]
    assert (first / "data.json").read_bytes() == (second / "data.json").read_bytes()
    for cached in (tmp_path / ".cache").iterdir():
        cached.write_bytes(b"garbage")
    third = research.run_experiment(config, results_dir=tmp_path)
    record = json.loads((third / "run.json").read_text())
    assert record["clean_cache"]["status"] == "rebuilt" and "manifest" in record["clean_cache"]["reason"]
    assert [w for w in record["warnings"] if "cleaning cache entry" in w] == [
        f"cleaning cache entry {miss['entry']} ignored: {record['clean_cache']['reason']}; "
        "cleaning again and replacing it"]
    changed = research.run_experiment(load_config("tfidf.yaml", ["clean.tokens.min_length=4"]), results_dir=tmp_path)
    changed_cache = json.loads((changed / "run.json").read_text())["clean_cache"]
    assert changed_cache["status"] == "miss" and changed_cache["entry"] != miss["entry"]


def test_cleaning_cache_keeps_each_runs_own_labels(tmp_path):
    """The tone kind maps labels before cleaning: a tfidf run's cache must not leak raw labels."""
    research.run_experiment(load_config("tfidf.yaml"), results_dir=tmp_path)
    tone = research.run_experiment(load_config("tone.yaml"), results_dir=tmp_path)
    assert json.loads((tone / "run.json").read_text())["clean_cache"]["status"] == "miss"
    with (tone / "predictions.csv").open(encoding="utf-8") as handle:
        labels = {row["label"] for row in csv.DictReader(handle)}
    assert labels == {"opinion", "reported_news"}


def test_every_kind_of_run_ends_with_its_headline_numbers(tfidf_run, tmp_path):
    """The last log line before the report names the run's main numbers, as metrics.json holds
    them (a tone run with its intervals and how it was evaluated)."""
    log = (tfidf_run / "log.txt").read_text()
    assert "headline: 4 of 5 documents kept, vocabulary" in log
    run = research.run_experiment(load_config("tone.yaml"), results_dir=tmp_path)
    metrics = json.loads((run / "metrics.json").read_text())
    [line] = [x for x in (run / "log.txt").read_text().splitlines() if "headline:" in x]
    low, high = metrics["intervals"]["macro_f1"]
    assert f"macro_f1 {metrics['macro_f1']:.3f} [{low:.3f}, {high:.3f}]" in line
    assert f"roc_auc {metrics['roc_auc']:.3f}" in line and line.endswith("(cross-validation)")
