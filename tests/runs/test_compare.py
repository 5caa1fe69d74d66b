"""compare: the table of runs, differing settings, sort / where / formats, side by side, and
the runs that are not ranked. Real tfidf runs on the embedded sample, plus topic and tone run
folders made from a real run by adding the files those kinds write."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import research
import research.cli.extra
from research.cli.main import main
from research.errors import ConfigError
from research.runs.compare import collect, compare

ROOT = Path(__file__).resolve().parents[2]

# -- run folders -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """Three real tfidf runs: seed 1, seed 2, and min_df 2 (seed 42)."""
    results = tmp_path_factory.mktemp("results")
    for overrides in (["seed=1"], ["seed=2"], ["vectorizer.min_df=2"]):
        research.run_experiment(research.load_config("tfidf.yaml", overrides), results_dir=results)
    return results


def run_ids(results: Path) -> list[str]:
    return sorted(p.name for p in results.iterdir() if (p / "run.json").is_file())


def clone_run(src: Path, dest: Path, name: str, *, kind: str | None = None, status: str | None = None,
              config: dict | None = None, metrics: dict | None = None, error: dict | None = None) -> Path:
    """A copy of run ``src`` named ``name`` under ``dest``, with run.json, config.yaml and
    metrics.json changed as asked (``config`` holds dotted keys)."""
    run = dest / name
    shutil.copytree(src, run)
    record = json.loads((run / "run.json").read_text())
    record.update(id=name, **{k: v for k, v in (("kind", kind), ("config_name", kind), ("status", status),
                                                ("error", error)) if v is not None})
    (run / "run.json").write_text(json.dumps(record, indent=2))
    data = yaml.safe_load((run / "config.yaml").read_text())
    for dotted, value in {**({"model.kind": kind} if kind else {}), **(config or {})}.items():
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    (run / "config.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    if metrics is not None:
        base = json.loads((run / "metrics.json").read_text())
        (run / "metrics.json").write_text(json.dumps({**base, **metrics}, indent=2))
    return run


def make_topic_run(src: Path, dest: Path, name: str, kind: str = "lda", k: int = 3, c_npmi: float = 0.05,
                   extra: dict | None = None) -> Path:
    """A topic-model run folder: topic settings, coherence metrics, topics.csv, topic_metrics.csv."""
    error_key = "perplexity" if kind == "lda" else "reconstruction_error"
    metrics = {"c_npmi": c_npmi, "u_mass": -3.5, "c_v": 0.41, "topic_diversity": 0.8, error_key: 700.0 + k,
               "nmi": 0.2, "ari": 0.1, "stability": 0.6, "num_topics": k, "best_k": k, "model": f"{kind}.x",
               "c_npmi_per_topic": [c_npmi] * k,
               "by_k": [{"num_topics": k, "c_npmi": c_npmi, "topic_diversity": 0.8}]}
    config = {"topics.num_topics": k, "topics.lda_backend": "gensim", "topics.lda_gensim.passes": 10,
              "topics.nmf_backend": "sklearn", "topics.nmf_sklearn.max_iter": 200 + k,
              "tone.model": "logreg", **(extra or {})}
    run = clone_run(src, dest, name, kind=kind, config=config, metrics=metrics)
    words = ["pakistan", "dialogue", "security", "washington", "trade"]
    with (run / "topics.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["topic", "rank", "word", "weight"])
        for t in range(k):
            for r, w in enumerate(words, 1):
                writer.writerow([t, r, f"{w}{t}", round(0.1 / r, 4)])
    with (run / "topic_metrics.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["topic", "prevalence", "top_words", "c_npmi", "u_mass"])
        for t in range(k):
            writer.writerow([t, round(1 / k, 4), " ".join(f"{w}{t}" for w in words), c_npmi, -3.5])
    return run


PROMO_TITLE = "<script>alert('x')</script> Pak-US ties & \"friendship\""


def make_tone_run(src: Path, dest: Path, name: str, macro_f1: float = 0.7) -> Path:
    """A tone run folder: classifier metrics with intervals and predictions.csv."""
    metrics = {"macro_f1": macro_f1, "accuracy": 0.75, "roc_auc": 0.8, "pr_auc": 0.7, "brier": 0.2,
               "intervals": {"macro_f1": [0.4, 0.9], "roc_auc": [0.5, 1.0]},
               "cv": {"macro_f1": macro_f1, "confusion": [[1, 1], [0, 2]], "classes": ["opinion", "reported_news"]}}
    run = clone_run(src, dest, name, kind="tone", config={"tone.model": "logreg", "topics.num_topics": 10},
                    metrics=metrics)
    rows = [("d1", "Defence dialogue", "Arab News", "reported_news", 0.2, "tone__attribution (+0.4)"),
            ("d2", PROMO_TITLE, "24 News HD", "opinion", 0.9, "tone__booster (+0.6); <b>bold</b> (+0.1)"),
            ("d3", "Counter-terrorism talks", "The Express Tribune", "reported_news", 0.05, "tone__quote_share (+0.3)"),
            ("d4", "Analysis column", "unknown", "opinion", 0.5, "tone__hedge (+0.2)")]
    with (run / "predictions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "outlet", "date", "label", "predicted", "p_opinion", "p_reported_news",
                         "promotional_score", "top_reasons"])
        for doc, title, outlet, label, score, reasons in rows:
            predicted = "opinion" if score >= 0.5 else "reported_news"
            writer.writerow([doc, title, outlet, "2023-02-13", label, predicted, score, round(1 - score, 3),
                             score, reasons])
    return run


@pytest.fixture(scope="module")
def mixed(results, tmp_path_factory) -> Path:
    """The three tfidf runs, two LDA runs, one NMF run and one tone run."""
    mixed = tmp_path_factory.mktemp("mixed")
    for run_id in run_ids(results):
        shutil.copytree(results / run_id, mixed / run_id)
    src = results / run_ids(results)[0]
    make_topic_run(src, mixed, "20990101-000001-lda-aaaaaa", "lda", k=3, c_npmi=0.02)
    make_topic_run(src, mixed, "20990101-000002-lda-bbbbbb", "lda", k=5, c_npmi=0.09)
    make_topic_run(src, mixed, "20990101-000003-nmf-cccccc", "nmf", k=4, c_npmi=0.05)
    make_tone_run(src, mixed, "20990101-000004-tone-dddddd")
    return mixed


def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# -- the table -------------------------------------------------------------------------------


def test_one_row_per_complete_run_with_the_settings_that_differ_and_the_metrics(results):
    table = compare(results_dir=results)
    assert sorted(table["run"]) == run_ids(results)
    assert list(table.columns[:3]) == ["run", "config_name", "kind"]
    params = [c for c in table.columns if "." in c or c == "seed"]
    assert params == ["seed", "vectorizer.min_df"]          # nothing else differs
    for row in table.to_dict(orient="records"):
        metrics = json.loads((Path(row["path"]) / "metrics.json").read_text())
        assert row["vocabulary_size"] == metrics["vocabulary_size"]
        assert row["documents_kept"] == metrics["documents_kept"]
        assert row["kind"] == "tfidf" and row["config_name"] == "tfidf"
    assert sorted(table["vectorizer.min_df"]) == [1, 1, 2]


def test_targets_may_be_a_glob_a_folder_of_runs_run_ids_or_folders(results):
    ids = run_ids(results)
    assert sorted(compare(str(results / "*"))["run"]) == ids
    assert sorted(compare(results)["run"]) == ids
    assert sorted(compare(ids[:2], results_dir=results)["run"]) == ids[:2]
    assert sorted(compare([results / i for i in ids[1:]])["run"]) == ids[1:]


def test_topic_and_tone_runs_show_their_main_metrics_and_only_relevant_settings(mixed, capsys):
    table = compare(results_dir=mixed).set_index("run")
    assert table.loc["20990101-000002-lda-bbbbbb", "c_npmi"] == pytest.approx(0.09)
    assert table.loc["20990101-000004-tone-dddddd", "macro_f1"] == pytest.approx(0.7)
    assert math.isnan(table.loc["20990101-000004-tone-dddddd", "c_npmi"])
    assert table.loc["20990101-000003-nmf-cccccc", "kind"] == "nmf"
    assert "topics.num_topics" in table.columns
    # NMF back-end settings differ between the runs, but an LDA run does not use them; tone.*
    # is the same wherever it is used; model.kind is the kind column
    assert not any(c.startswith(("topics.nmf_sklearn", "tone.", "model.kind")) for c in table.columns)
    assert pd.isna(table.loc["20990101-000004-tone-dddddd", "topics.num_topics"])
    code, out, _ = _cli(["compare", "--results", str(mixed)], capsys)
    header = out.splitlines()[1].split()
    assert code == 0
    assert {"c_npmi", "topic_diversity", "perplexity", "macro_f1", "roc_auc", "brier"} <= set(header)
    assert "matrix_nnz" not in header                       # not a main metric: csv/json only


def test_sort_puts_the_best_first_in_the_metric_s_direction(mixed):
    by_npmi = compare(results_dir=mixed, sort="c_npmi")
    assert list(by_npmi["run"][:3]) == ["20990101-000002-lda-bbbbbb", "20990101-000003-nmf-cccccc",
                                        "20990101-000001-lda-aaaaaa"]
    assert by_npmi["c_npmi"][3:].isna().all()               # runs without it come last
    by_perplexity = compare(results_dir=mixed, sort="perplexity")  # lower is better
    assert list(by_perplexity["perplexity"][:2]) == [703.0, 705.0]
    by_vocabulary = compare(results_dir=mixed, sort="vocabulary_size")
    assert list(by_vocabulary["vocabulary_size"]) == sorted(by_vocabulary["vocabulary_size"], reverse=True)


def test_unknown_sort_metric_is_one_line_listing_the_available_ones(results, capsys):
    code, out, err = _cli(["compare", "--results", str(results), "--sort", "npmi"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: --sort npmi: unknown metric; available: ") and err.count("\n") == 1
    assert "vocabulary_size" in err and "documents_kept" in err


def test_where_filters_on_config_keys_and_run_fields(mixed):
    assert list(compare(results_dir=mixed, where="model.kind=nmf")["run"]) == ["20990101-000003-nmf-cccccc"]
    assert set(compare(results_dir=mixed, where=["kind=lda"])["kind"]) == {"lda"}
    assert len(compare(results_dir=mixed, where=["vectorizer.min_df=2"])) == 1
    assert len(compare(results_dir=mixed, where=["kind=tfidf", "seed!=1"])) == 2
    assert len(compare(results_dir=mixed, where="kind=tfidf seed!=1")) == 2      # make WHERE="a=1 b=2"
    assert len(compare(results_dir=mixed, where=["topics.num_topics=5"])) == 1
    assert len(compare(results_dir=mixed, where=["status=complete"])) == 7
    with pytest.raises(ConfigError, match="no run has 'model.nope'"):
        compare(results_dir=mixed, where=["model.nope=1"])
    with pytest.raises(ConfigError, match="must look like key=value"):
        compare(results_dir=mixed, where=["kind"])


# -- formats ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_failures(mixed, tmp_path_factory) -> Path:
    """``mixed`` plus a failed run, a running run and two unreadable folders."""
    folder = tmp_path_factory.mktemp("with_failures")
    for run in mixed.iterdir():
        shutil.copytree(run, folder / run.name)
    src = mixed / run_ids(mixed)[0]
    clone_run(src, folder, "20990102-000001-lda-failed", kind="lda", status="failed", metrics={"c_npmi": 0.99},
              error={"type": "ModelError", "message": "model.num_topics=50 exceeds the 4 documents"})
    clone_run(src, folder, "20990102-000002-nmf-running", kind="nmf", status="running")
    (folder / "20990102-000003-tfidf-norunjson" / "artifacts").mkdir(parents=True)
    corrupt = clone_run(src, folder, "20990102-000004-tfidf-corrupt")
    (corrupt / "run.json").write_text('{"status": "complete", "kind": ')
    bad_metrics = clone_run(src, folder, "20990102-000005-tfidf-badmetrics")
    (bad_metrics / "metrics.json").write_text("{oops")
    return folder


NOT_RANKED = {"20990102-000001-lda-failed": "failed", "20990102-000002-nmf-running": "running",
              "20990102-000003-tfidf-norunjson": "unreadable", "20990102-000004-tfidf-corrupt": "unreadable",
              "20990102-000005-tfidf-badmetrics": "unreadable"}


def test_failed_running_and_unreadable_runs_are_listed_apart_and_never_ranked(with_failures, capsys):
    comparison = collect(results_dir=with_failures, sort="c_npmi")
    assert len(comparison.table) == 7
    assert not set(comparison.table["run"]) & set(NOT_RANKED)
    assert dict(zip(comparison.not_ranked["run"], comparison.not_ranked["status"], strict=True)) == NOT_RANKED
    errors = dict(zip(comparison.not_ranked["run"], comparison.not_ranked["error"], strict=True))
    assert errors["20990102-000001-lda-failed"] == "ModelError: model.num_topics=50 exceeds the 4 documents"
    assert errors["20990102-000003-tfidf-norunjson"] == "no run.json"
    assert errors["20990102-000004-tfidf-corrupt"].startswith("corrupt run.json")
    assert "metrics.json" in errors["20990102-000005-tfidf-badmetrics"]
    code, out, _ = _cli(["compare", "--results", str(with_failures), "--sort", "c_npmi"], capsys)
    ranked, _, apart = out.partition("not ranked (5 failed, running or unreadable):")
    assert code == 0 and apart
    assert "20990101-000002-lda-bbbbbb" in ranked.splitlines()[3]     # best c_npmi first
    assert all(run in apart and run not in ranked for run in NOT_RANKED)


def test_csv_parses_back_with_ranks_for_complete_runs_only(with_failures, capsys):
    code, out, _ = _cli(["compare", "--results", str(with_failures), "--sort", "perplexity", "--format", "csv"],
                        capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 12
    ranked = [r for r in rows if r["rank"]]
    assert [int(r["rank"]) for r in ranked] == list(range(1, 8))
    assert all(r["status"] == "complete" for r in ranked)
    assert [r["perplexity"] for r in ranked[:2]] == ["703.0", "705.0"]
    apart = {r["run"]: r["status"] for r in rows if not r["rank"]}
    assert apart == NOT_RANKED
    assert {"seed", "vectorizer.min_df", "topics.num_topics", "matrix_nnz", "path"} <= set(rows[0])


def test_json_parses_back(with_failures, capsys):
    code, out, _ = _cli(["compare", "--results", str(with_failures), "--sort", "macro_f1", "--format", "json",
                         "--where", "kind!=nmf"], capsys)
    data = json.loads(out)
    assert code == 0 and data["sort"] == "macro_f1" and data["ascending"] is False
    assert data["runs"][0]["run"] == "20990101-000004-tone-dddddd" and data["runs"][0]["rank"] == 1
    assert data["runs"][1]["macro_f1"] is None                      # NaN becomes null
    assert {r["run"] for r in data["not_ranked"]} == set(NOT_RANKED) - {"20990102-000002-nmf-running"} \
        - {"20990102-000003-tfidf-norunjson", "20990102-000004-tfidf-corrupt"}
    assert "seed" in data["params"] and "c_npmi" in data["metrics"]


def test_markdown_and_text_tables(results, capsys):
    code, out, _ = _cli(["compare", "--results", str(results), "--format", "markdown"], capsys)
    lines = [line for line in out.splitlines() if line.startswith("|")]
    assert code == 0 and len(lines) == 5
    assert lines[0].split("|")[1].strip() == "run" and set(lines[1]) <= set("|-")
    code, out, _ = _cli(["compare", "--results", str(results)], capsys)
    assert out.splitlines()[0] == f"3 complete runs in {results}/"
    assert out.splitlines()[1].split() == ["run", "config", "kind", "seed", "vectorizer.min_df",
                                           "documents_kept", "vocabulary_size"]


def _run_with(results: Path, key: str, value) -> Path:
    """The run of the ``results`` fixture whose config has ``key`` (top level or
    ``section.key``) set to ``value``; folder names sort by time and a random suffix, so
    runs made in the same second are not in creation order."""
    for name in run_ids(results):
        data = yaml.safe_load((results / name / "config.yaml").read_text())
        node = data
        for part in key.split("."):
            node = node[part]
        if node == value:
            return results / name
    raise AssertionError(f"no run with {key}={value!r}")


def test_two_explicit_runs_side_by_side_with_deltas_against_the_first(results, capsys):
    first, third = _run_with(results, "seed", 1), _run_with(results, "vectorizer.min_df", 2)
    a = json.loads((first / "metrics.json").read_text())
    b = json.loads((third / "metrics.json").read_text())
    code, out, _ = _cli(["compare", str(first), str(third), "--format", "json"], capsys)
    data = json.loads(out)
    rows = {r["item"]: r for r in data["rows"]}
    assert code == 0 and data["baseline"] == first.name and data["runs"] == [first.name, third.name]
    assert rows["vectorizer.min_df"][first.name] == 1 and rows["vectorizer.min_df"][third.name] == 2
    assert rows["vocabulary_size"][f"delta {third.name}"] == b["vocabulary_size"] - a["vocabulary_size"]
    assert rows["matrix_density"][f"delta {third.name}"] == pytest.approx(b["matrix_density"] - a["matrix_density"])
    assert rows["vectorizer.min_df"]["section"] == "param" and "vectorizer.max_df" not in rows
    code, out, _ = _cli(["compare", first.name, third.name, "--results", str(results)], capsys)
    delta = b["vocabulary_size"] - a["vocabulary_size"]
    assert out.startswith(f"2 runs side by side; deltas vs {first.name}")
    assert any(line.split()[0] == "vocabulary_size" and f"({delta:+d})" in line for line in out.splitlines())
    code, out, _ = _cli(["compare", str(first), str(third), "--format", "csv"], capsys)
    assert next(iter(csv.DictReader(io.StringIO(out)))).keys() == {"section", "item", first.name, third.name,
                                                                 f"delta {third.name}"}


# -- bad input, speed guard, figure ----------------------------------------------------------


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p])
def test_empty_or_missing_results_folder_is_one_line(tmp_path, capsys, make):
    code, out, err = _cli(["compare", "--results", str(make(tmp_path))], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: no runs in ") and err.count("\n") == 1


def test_unknown_run_argument_is_one_line(results, capsys):
    code, _, err = _cli(["compare", "nope-run", "--results", str(results)], capsys)
    assert code == 2 and err == f"error: nope-run: no such run folder (looked in ./ and {results}/)\n"


def test_the_table_never_loads_artefacts(results, tmp_path):
    for run_id in run_ids(results):
        shutil.copytree(results / run_id, tmp_path / run_id)
    for artefact in tmp_path.glob("*/artifacts/*"):
        artefact.write_bytes(b"not an artefact")
    assert len(compare(results_dir=tmp_path)) == 3


def test_figure_of_one_metric_across_the_runs(results, tmp_path, capsys):
    png = tmp_path / "vocab.png"
    code, out, _ = _cli(["compare", "--results", str(results), "--figure", "vocabulary_size",
                         "--figure-path", str(png)], capsys)
    assert code == 0 and out.splitlines()[-1] == f"figure: {png}"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = _cli(["compare", "--results", str(results), "--figure", "nope"], capsys)
    assert code == 2 and err.startswith("error: --figure nope: unknown metric; available: ")


def test_python_m_research_compare(results):
    """The command is wired into ``python -m research`` (research/cli/main.py takes research.cli.extra's commands)."""
    command = [sys.executable, "-m", "research", "compare", "--results", str(results), "--format", "json"]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if "invalid choice: 'compare'" in proc.stderr:
        pytest.fail("research/cli/main.py does not add research.cli.extra.EXTRA_COMMANDS to its parser")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["runs"]) == 3
    proc = subprocess.run([*command[:4], "--results", str(results / "nope")], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: no runs in ") and proc.stderr.count("\n") == 1


def test_relevant_settings_follow_the_topic_families_a_config_knows_not_a_list_of_kinds():
    from research.runs.compare import relevant_config
    from research.runs.summary import RunSummary

    config = {"model.kind": "ctm", "topics.num_topics": 10, "topics.lda_backend": "gensim",
              "topics.nmf_backend": "sklearn", "topics.ctm_backend": "torch",
              "topics.lda_gensim.passes": 5, "topics.nmf_sklearn.max_iter": 200,
              "topics.ctm_torch.epochs": 3, "topics.ctm_other.epochs": 4, "tone.C": 0.1}
    ctm = RunSummary(path=Path("ctm-run"), status="complete", kind="ctm", config=config)
    assert relevant_config(ctm) == {"model.kind": "ctm", "topics.num_topics": 10,
                                    "topics.ctm_backend": "torch", "topics.ctm_torch.epochs": 3}
    tone = RunSummary(path=Path("apply-run"), status="complete", kind="apply",
                      config={**config, "model.kind": "tone"})
    assert relevant_config(tone) == {"model.kind": "tone", "tone.C": 0.1}
