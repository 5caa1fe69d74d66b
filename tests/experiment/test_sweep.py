"""sweep: grid parsing, every combination validated before any run starts, a real 2x1 sweep in
two loky worker processes where one combination fails and the other completes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import research.cli.extra  # noqa: F401  (registers the sweep command)
from research.cli.main import main
from research.errors import ConfigError
from research.experiment.sweep import grid_combinations, parse_grid, run_sweep
from research.runs.compare import collect, compare

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)              # tfidf.yaml means configs/tfidf.yaml


def test_grid_parsing():
    assert parse_grid("topics.num_topics=10,20,40 seed=1,2,3") == {
        "topics.num_topics": ["10", "20", "40"], "seed": ["1", "2", "3"]}
    assert parse_grid(["seed=1, 2", "vectorizer.ngram_range=[1, 1],[1, 2]"]) == {
        "seed": ["1", "2"], "vectorizer.ngram_range": ["[1, 1]", "[1, 2]"]}
    combos = grid_combinations(parse_grid("a=1,2 b=x,y,z"))
    assert len(combos) == 6 and combos[0] == {"a": "1", "b": "x"} and combos[-1] == {"a": "2", "b": "z"}


@pytest.mark.parametrize("grid, message", [
    ("", "--grid is empty"),
    ("seed", "must look like key.path=v1,v2"),
    ("seed=1,,2", "empty value"),
    ("seed=1,1", "a value is repeated"),
    ("seed=1 seed=2", "names 'seed' twice"),
])
def test_malformed_grids_are_refused(grid, message):
    with pytest.raises(ConfigError, match=message):
        parse_grid(grid)


@pytest.mark.parametrize("args, message", [
    (["--grid", "vectorizer.nope=1,2"], "--grid combination nope=1: override 'vectorizer.nope=1': "
                                        "unknown key 'vectorizer.nope'"),
    (["--grid", "vectorizer.min_df=1,-1"], "--grid combination min_df=-1: override 'vectorizer.min_df=-1': "
                                           "vectorizer.min_df: allowed: an integer >= 0"),
    (["--grid", "seed=1,2", "--set", "seed=3"], "--grid and --set both give seed"),
    (["--grid", "seed=1,01"], "--grid combinations seed=1 and seed=01 resolve to the same config"),
    (["--grid", "seed=1,2", "--jobs", "0"], "--jobs: allowed: an integer >= 1"),
    (["--grid", "vectorizer.kind=count,tfidf", "--set", "model.kind=lda"],   # the kind's own precheck
     "--grid combination kind=tfidf: vectorizer.kind is 'tfidf' but LDA is a model of word counts"),
])
def test_bad_grids_are_refused_with_one_line_before_any_run(tmp_path, capsys, args, message):
    results = tmp_path / "results"
    code = main(["sweep", "tfidf.yaml", *args, "--results", str(results)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert not results.exists()                     # no run and no sweep folder


def test_unknown_grid_key_from_python_creates_nothing(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'model.nope'"):
        run_sweep("tfidf.yaml", {"seed": [1, 2], "model.nope": [3]}, results_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_a_failed_combination_is_recorded_and_the_others_complete(tmp_path, capsys):
    results = tmp_path / "results"
    code = main(["sweep", "tfidf.yaml", "--grid", "vectorizer.min_df=1,100 seed=1", "--jobs", "2",
                 "--results", str(results)])
    out, err = capsys.readouterr()
    sweep = Path(out.splitlines()[-1])                      # the last line is the sweep folder
    assert code == 1 and "1 of 2 combinations failed" in err
    assert sweep.parent == results and sweep.name.split("-")[2:4] == ["sweep", "tfidf"]

    record = json.loads((sweep / "sweep.json").read_text())
    assert record["kind"] == "sweep" and record["status"] == "complete" and record["jobs"] == 2
    assert record["grid"] == {"vectorizer.min_df": ["1", "100"], "seed": ["1"]}
    ok, bad = record["combinations"]
    assert ok["overrides"] == {"vectorizer.min_df": "1", "seed": "1"} and ok["status"] == "complete"
    assert bad["overrides"] == {"vectorizer.min_df": "100", "seed": "1"} and bad["status"] == "failed"
    assert "vectorizer.min_df=100 removed every term" in bad["error"] and ok["error"] is None
    for combo, status in ((ok, "complete"), (bad, "failed")):     # each is an ordinary run folder
        run = json.loads((results / combo["run"] / "run.json").read_text())
        assert run["status"] == status and run["kind"] == "tfidf" and run["seed"] == 1
        assert run["command"][-1] == f"(sweep {sweep.name} combination {combo['index']})"

    with (sweep / "sweep.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["vectorizer.min_df"], r["status"]) for r in rows] == [("1", "complete"), ("100", "failed")]
    assert int(rows[0]["vocabulary_size"]) > 0 and rows[1]["vocabulary_size"] == ""
    assert [p.suffix for p in (sweep / "figures").iterdir()] == [".png"]

    everything = collect(results_dir=results)             # results/: runs in the table, the sweep apart
    assert list(everything.table["run"]) == [ok["run"]]
    assert list(everything.not_ranked["run"]) == [bad["run"]]
    assert everything.sweeps.iloc[0][["run", "combinations", "complete", "failed"]].tolist() == [sweep.name, 2, 1, 1]
    assert list(compare(sweep)["run"]) == [ok["run"]]      # a sweep folder expands to its runs
    assert main(["compare", "--results", str(results)]) == 0
    assert "sweeps (1;" in capsys.readouterr().out
