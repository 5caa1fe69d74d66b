"""Topics by outlet or label in a whole run (``python -m research experiment ... --set``):
the three tables and their schemas, the figures, the metrics, and refused comparisons."""

from __future__ import annotations

import csv
import json
from collections import Counter

import numpy as np
import pytest

import research
from research.cli.main import main
from research.config.load import load_config
from research.errors import ConfigError
from research.vectorise import build_vectorizer, term_counts
from tests.helpers import run_dirs

pytestmark = pytest.mark.shared_data

HYPERPARTISAN = "../shared/data/hyperpartisan/hyperpartisan_byarticle.jsonl"
SETTINGS = [f"corpus.source={HYPERPARTISAN}", "corpus.unit=document", "corpus.outlet_column=domain",
            "corpus.label_column=hyperpartisan", "corpus.date_column=published_at", "corpus.limit=300",
            "corpus.keep_columns=[labeled_by]",
            "topics.num_topics=5", "topics.evaluate.stability_seeds=[]", "topics.evaluate.coherence=[u_mass]",
            "topics.best_by=u_mass",
            "topics.top_n=8"]


def _sets(overrides: list[str]) -> list[str]:
    return [item for o in overrides for item in ("--set", o)]


def _rows(path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """One results folder for the module's runs, so they share its cleaning cache."""
    return tmp_path_factory.mktemp("by_group")


@pytest.fixture(scope="module")
def run(results):
    code = main(["experiment", "nmf.yaml", "--results", str(results),
                 *_sets([*SETTINGS, "topics.by_group.compare={field: label, a: 'true'}"])])
    assert code == 0
    return run_dirs(results)[0]


def test_run_writes_shares_words_and_differences(run):
    columns, shares = _rows(run / "topic_shares_by_outlet.csv")
    assert columns == ["group", "documents", "topic", "share", "share_low", "share_high"]
    assert all(int(r["documents"]) >= 3 for r in shares)
    assert all(float(r["share_low"]) <= float(r["share"]) <= float(r["share_high"]) for r in shares)
    by_group = Counter()
    for r in shares:
        by_group[r["group"]] += float(r["share"])
    assert all(abs(total - 1) < 1e-4 for total in by_group.values())
    _, prevalence = _rows(run / "prevalence_by_outlet.csv")   # every outlet, as before
    assert len(prevalence) > len(by_group) and set(by_group) < {r["group"] for r in prevalence}
    assert "left out" in (run / "log.txt").read_text() and "min_documents=3" in (run / "log.txt").read_text()
    columns, words = _rows(run / "topic_words_by_label.csv")
    assert columns == ["group", "topic", "rank", "word", "weight"]
    assert {r["group"] for r in words} == {"true", "false"} and max(int(r["rank"]) for r in words) == 8
    columns, differences = _rows(run / "topic_differences.csv")
    assert columns == ["field", "group_a", "group_b", "documents_a", "documents_b", "topic", "share_a", "share_b",
                       "difference", "difference_low", "difference_high", "p_value", "q_value", "significant"]
    assert len(differences) == 5 and {r["group_b"] for r in differences} == {"(all other documents)"}
    for r in differences:
        assert float(r["difference"]) == pytest.approx(float(r["share_a"]) - float(r["share_b"]), abs=2e-6)
        assert (r["significant"] == "True") == (float(r["q_value"]) < 0.05)
    metrics = json.loads((run / "metrics.json").read_text())
    found = metrics["group_difference"]
    assert (found["field"], found["a"], found["b"]) == ("label", "true", "(all other documents)")
    assert found["documents_a"] + found["documents_b"] == metrics["units_modelled"]
    assert found["significant_topics"] == [int(r["topic"]) for r in differences if r["significant"] == "True"]
    for name in ("prevalence_by_outlet", "prevalence_by_label", "topic_differences"):
        assert (run / "figures" / f"{name}.png").stat().st_size > 10_000


def test_run_is_deterministic(run, results):
    again = research.run_experiment(load_config("nmf.yaml", [*SETTINGS, "topics.by_group.compare="
                                                             "{field: label, a: 'true'}"]), results_dir=results)
    assert again != run
    for name in ("topic_shares_by_outlet.csv", "topic_words_by_label.csv", "topic_differences.csv"):
        assert (again / name).read_bytes() == (run / name).read_bytes(), name


@pytest.mark.parametrize("compare, group_by, match", [
    ("{field: outlet, a: nosuch.example.com}", "[outlet, label]",
     r"topics\.by_group\.compare\.a: 'nosuch\.example\.com' matches no document's outlet; values of outlet, "),
    ("{field: label, a: 'true', b: maybe}", "[outlet, label]",
     r"topics\.by_group\.compare\.b: 'maybe' matches no document's label; "
     r"values of label, most documents first: 'false', 'true'$"),
    ("{field: label, a: 'true', b: ['true', 'false']}", "[label]", r"topics\.by_group\.compare: 'true' is in both"),
    ("{field: labeled_by, a: article}", "[label, labeled_by]",   # every article has labeled_by 'article'
     r"topics\.by_group\.compare\.field: no two documents differ in 'labeled_by'"),
    ("{field: outlet, a: x}", "[label]", r"topics\.by_group\.compare\.field: 'outlet' is not one of "
                                         r"topics\.evaluate\.group_by \(label\)"),
])
def test_bad_comparisons_are_refused_naming_the_key(results, compare, group_by, match):
    overrides = [*SETTINGS, f"topics.by_group.compare={compare}", f"topics.evaluate.group_by={group_by}"]
    before = set(run_dirs(results))
    with pytest.raises(ConfigError, match=match):
        research.run_experiment(load_config("nmf.yaml", overrides), results_dir=results)
    assert not any((p / "metrics.json").exists() for p in set(run_dirs(results)) - before)   # refused before fitting


def test_the_command_line_refuses_in_one_line(results, capsys):
    overrides = [*SETTINGS, "topics.by_group.compare={field: outlet, a: [nypost.com, nosuch.example.com]}"]
    assert main(["experiment", "nmf.yaml", "--results", str(results), *_sets(overrides)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("error: topics.by_group.compare.a: 'nosuch.example.com' matches no document's "
                                "outlet; values of outlet, most documents first: "
                                "'www.thegatewaypundit.com', 'nypost.com', ")
    assert "Traceback" not in "\n".join(error)


def test_a_field_outside_group_by_is_refused_before_reading(tmp_path):
    overrides = [*SETTINGS, "topics.by_group.compare={field: outlet, a: x}", "topics.evaluate.group_by=[label]"]
    with pytest.raises(ConfigError, match="topics.by_group.compare.field"):
        research.run_experiment(load_config("nmf.yaml", overrides), results_dir=tmp_path)
    assert run_dirs(tmp_path) == []


def test_term_counts_recount_tfidf_columns(shared_data):
    with (shared_data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl").open(encoding="utf-8") as handle:
        tokens = [json.loads(line)["text"].lower().split()[:200] for _, line in zip(range(60), handle, strict=False)]
    settings = {**load_config("nmf.yaml")["vectorizer"], "min_df": 2}
    pattern = r"\S+"
    tfidf = build_vectorizer(settings, pattern, True)
    matrix = tfidf.fit_transform([" ".join(t) for t in tokens])
    counts = build_vectorizer({**settings, "kind": "count"}, pattern, True)
    expected = counts.fit_transform([" ".join(t) for t in tokens])
    assert list(counts.get_feature_names_out()) == list(tfidf.get_feature_names_out())
    assert np.array_equal(term_counts(tfidf, matrix, tokens).toarray(), expected.toarray())
    assert term_counts(counts, expected, tokens) is expected
