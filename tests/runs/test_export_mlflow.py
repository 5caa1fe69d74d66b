"""``research export mlflow``: two real runs on the sample into an MLflow SQLite store, read
back with MLflow's own client. Skipped only when mlflow is not installed; CI sets
RESEARCH_REQUIRE_MLFLOW=1 (after ``make mlflow``), so there it fails instead."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

import research
from research.cli.main import main
from research.cli.make import command
from research.runs.summary import flatten, numeric_metrics

try:
    import mlflow
    from mlflow.tracking import MlflowClient
except ImportError:  # pragma: no cover - the extra is optional
    if os.environ.get("RESEARCH_REQUIRE_MLFLOW") == "1":
        raise
    pytest.skip("mlflow is not installed (make mlflow)", allow_module_level=True)

from research.runs.export_mlflow import export_mlflow, tracking_uri


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    results = tmp_path_factory.mktemp("results")
    tfidf = research.run_experiment(research.load_config("tfidf.yaml", ["seed=3"]), results_dir=results)
    nmf = research.run_experiment(research.load_config("nmf.yaml", ["topics.num_topics=[2,3]",
                                                                    "topics.evaluate.stability_seeds=[]"]),
                                  results_dir=results)
    return [tfidf, nmf]


def test_export_writes_one_mlflow_run_per_folder_with_params_metrics_artefacts_and_tags(runs, tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["export", "mlflow", *map(str, runs), "--to", str(store)]) == 0
    assert capsys.readouterr().out.count(": exported (MLflow run ") == 2
    client = MlflowClient(tracking_uri=tracking_uri(store))
    experiment = client.get_experiment_by_name("research")
    found = {r.data.tags["research.run_id"]: r for r in client.search_runs([experiment.experiment_id])}
    assert set(found) == {p.name for p in runs}
    for folder in runs:
        got = found[folder.name]
        record = json.loads((folder / "run.json").read_text())
        config = flatten(yaml.safe_load((folder / "config.yaml").read_text()))
        metrics = json.loads((folder / "metrics.json").read_text())
        assert got.info.status == "FINISHED" and got.info.run_name == folder.name
        assert got.data.tags["mlflow.source.git.commit"] == (record["git_commit"] or "")
        assert got.data.tags["research.kind"] == record["kind"]
        assert got.data.params["model.kind"] == config["model.kind"]
        assert got.data.params["seed"] == str(config["seed"])
        assert json.loads(got.data.params["topics.num_topics"]) == config["topics.num_topics"]
        assert set(got.data.params) == set(config)
        numeric = numeric_metrics(metrics)   # top-level numbers and those of a nested "metrics" mapping
        assert {k for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)} <= set(numeric)
        plain = {k: v for k, v in got.data.metrics.items() if not k.startswith("by_k.")}
        assert numeric and plain == pytest.approx({k: float(v) for k, v in numeric.items()})
        files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        logged = {f.path for f in _walk(client, got.info.run_id)}
        assert logged == files
        local = Path(client.download_artifacts(got.info.run_id, "metrics.json", str(tmp_path / folder.name)))
        assert local.read_bytes() == (folder / "metrics.json").read_bytes()
    nmf = found[runs[1].name]
    by_k = json.loads((runs[1] / "metrics.json").read_text())["by_k"]
    history = client.get_metric_history(nmf.info.run_id, "by_k.c_npmi")
    assert {m.step: m.value for m in history} == pytest.approx({k["num_topics"]: k["c_npmi"] for k in by_k})
    assert len(history) == len(by_k) == 2
    mlflow.set_tracking_uri(tracking_uri(store))
    frame = mlflow.search_runs(experiment_names=["research"])
    assert sorted(frame["tags.research.run_id"]) == sorted(p.name for p in runs)


def test_exporting_again_does_not_duplicate(runs, tmp_path):
    store = tmp_path / "store"
    first = export_mlflow(runs[:1], store)
    again = export_mlflow(runs, store)
    assert [a for _, _, a in first] == ["exported"]
    assert [a for _, _, a in again] == ["already in the store, skipped", "exported"]
    assert again[0][1] == first[0][1]
    client = MlflowClient(tracking_uri=tracking_uri(store))
    experiment = client.get_experiment_by_name("research")
    assert len(client.search_runs([experiment.experiment_id])) == 2


def test_make_export_builds_the_command():
    args = command("export", {"RUNS": "results/a 'results/b c'", "TO": "mlruns"})
    assert args[3:] == ["export", "--to=mlruns", "--results=results", "--", "mlflow", "results/a", "results/b c"]


def _walk(client, run_id: str, path: str | None = None):
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            yield from _walk(client, run_id, info.path)
        else:
            yield info


def test_missing_mlflow_is_one_line_naming_the_extra_and_make_target(monkeypatch, runs, tmp_path, capsys):
    monkeypatch.setitem(__import__("sys").modules, "mlflow", None)   # import mlflow now raises ImportError
    assert main(["export", "mlflow", str(runs[0]), "--to", str(tmp_path / "store")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "mlflow extra" in err and "make mlflow" in err
    assert not (tmp_path / "store").exists()
