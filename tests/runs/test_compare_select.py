"""compare like the tracking tools: numeric filters, chosen columns, grouping with mean and
spread. On the real tfidf runs and the topic and tone run folders of test_compare."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from research.cli.main import main
from research.cli.make import command
from research.errors import ConfigError
from research.runs.compare import collect, compare
from tests.runs.test_compare import make_topic_run, mixed, results, run_ids  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def seeds(mixed, tmp_path_factory):  # noqa: F811
    """``mixed`` plus two more seeds of the K=5 LDA run (one setting, three seeds)."""
    import shutil

    folder = tmp_path_factory.mktemp("seeds")
    for run in mixed.iterdir():
        shutil.copytree(run, folder / run.name)
    src = folder / run_ids(mixed)[0]
    make_topic_run(src, folder, "20990101-000005-lda-eeeeee", "lda", k=5, c_npmi=0.07, extra={"seed": 2})
    make_topic_run(src, folder, "20990101-000006-lda-ffffff", "lda", k=5, c_npmi=0.11, extra={"seed": 3})
    return folder


def test_numeric_filters_on_metrics_and_config_keys(seeds):
    table = compare(results_dir=seeds)
    npmi = dict(zip(table["run"], table["c_npmi"], strict=True))
    assert set(compare(results_dir=seeds, where="c_npmi>0.05")["run"]) == {r for r, v in npmi.items() if v > 0.05}
    assert set(compare(results_dir=seeds, where="c_npmi>=0.05")["run"]) == {r for r, v in npmi.items() if v >= 0.05}
    assert set(compare(results_dir=seeds, where="c_npmi<0.05")["run"]) == {r for r, v in npmi.items() if v < 0.05}
    assert len(compare(results_dir=seeds, where="c_npmi<=0.05 c_npmi!=0.02")) == 1   # the NMF run
    k = compare(results_dir=seeds, where=["topics.num_topics>=5", "kind=lda"], columns="topics.num_topics")
    assert len(k) == 3 and set(k["topics.num_topics"]) == {5}
    assert len(compare(results_dir=seeds, where="topics.num_topics==4")) == 1
    vocab = dict(zip(table["run"], table["vocabulary_size"], strict=True))
    cut = sorted(vocab.values())[len(vocab) // 2]
    assert set(compare(results_dir=seeds, where=f"vocabulary_size<{cut}")["run"]) == {
        r for r, v in vocab.items() if v < cut}
    assert len(compare(results_dir=seeds, where="kind=tfidf seed!=1")) == 2       # the old form still works


def test_unknown_filter_or_column_is_one_line_with_close_names(seeds, capsys):
    with pytest.raises(ConfigError, match=r"no run has 'c_npm'.*\(close: c_npmi"):
        compare(results_dir=seeds, where="c_npm>0.1")
    with pytest.raises(ConfigError, match=r"no run has 'topics.num_topic'.*close: topics.num_topics"):
        compare(results_dir=seeds, where="topics.num_topic>=10")
    with pytest.raises(ConfigError, match="compares numbers"):
        compare(results_dir=seeds, where="c_npmi>high")
    assert main(["compare", "--results", str(seeds), "--columns", "c_npmi topic_diversty"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "topic_diversty" in err and "close: topic_diversity" in err


def test_columns_choose_what_is_shown_in_order(seeds, capsys):
    comp = collect(results_dir=seeds, where="kind=lda", columns=["c_npmi", "topic_diversity", "model.kind"])
    assert main(["compare", "--results", str(seeds), "--where", "kind=lda",
                 "--columns", "c_npmi topic_diversity model.kind"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["run", "c_npmi", "topic_diversity", "model.kind"]
    assert [line.split()[0] for line in lines[3:3 + len(comp.table)]] == list(comp.table["run"])
    assert all(len(line.split()) == 4 + ("(edited)" in line) for line in lines[3:3 + len(comp.table)])
    assert main(["compare", "--results", str(seeds), "--where", "kind=lda", "--format", "json",
                 "--columns", "c_npmi model.kind"]) == 0
    rows = json.loads(capsys.readouterr().out)["runs"]
    assert {r["run"]: (r["c_npmi"], r["model.kind"]) for r in rows} == {
        r: (v, "lda") for r, v in zip(comp.table["run"], comp.table["c_npmi"], strict=True)}


def test_group_by_gives_mean_std_and_n_over_the_grouped_runs(seeds, capsys):
    groups = compare(results_dir=seeds, where="kind=lda", group_by="model.kind topics.num_topics",
                     columns="c_npmi perplexity")
    table = compare(results_dir=seeds, where="kind=lda", columns="c_npmi perplexity topics.num_topics")
    assert list(groups.columns) == ["model.kind", "topics.num_topics", "n", "c_npmi mean", "c_npmi std",
                                    "perplexity mean", "perplexity std"]
    by_k = {k: list(table[table["topics.num_topics"] == k]["c_npmi"]) for k in set(table["topics.num_topics"])}
    for row in groups.to_dict("records"):
        values = by_k[row["topics.num_topics"]]
        assert row["n"] == len(values) and row["c_npmi mean"] == pytest.approx(statistics.mean(values))
        if len(values) > 1:
            assert row["c_npmi std"] == pytest.approx(statistics.stdev(values))
        else:
            assert math.isnan(row["c_npmi std"])
    assert sorted(groups["n"]) == [1, 3]
    assert main(["compare", "--results", str(seeds), "--group-by", "kind", "--columns", "c_npmi"]) == 0
    out = capsys.readouterr().out
    three = next(line for line in out.splitlines() if line.startswith("lda")).split()
    lda = table["c_npmi"]
    assert three[:2] == ["lda", "4"] and three[2] == f"{statistics.mean(lda):.4g}" and three[3] == "±"
    assert main(["compare", "--results", str(seeds), "--group-by", "kind", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("kind,n,")


def test_make_compare_passes_columns_and_group():
    args = command("compare", {"WHERE": "c_npmi>0.1 'topics.num_topics>=10'", "COLUMNS": "c_npmi model.kind",
                               "GROUP": "model.kind"})
    assert args[3:] == ["compare", "--results=results", "--format=text", "--where=c_npmi>0.1",
                        "--where=topics.num_topics>=10", "--columns=c_npmi", "--columns=model.kind",
                        "--group-by=model.kind", "--"]
