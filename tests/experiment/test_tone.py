"""Tone runs end to end: the sample config, apply, errors, and the cross-outlet genre run."""

import csv
import json

import numpy as np
import pytest

import research
from research.cli.main import main
from research.config.load import load_config
from research.errors import ConfigError, ModelError, RunError
from research.experiment.apply import apply_run


def _rows(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def tone_run(tmp_path_factory):
    return research.run_experiment(load_config("tone.yaml"), results_dir=tmp_path_factory.mktemp("tone"))


def test_sample_tone_run_reports_per_document_scores_and_warns(tone_run):
    record = json.loads((tone_run / "run.json").read_text())
    assert record["status"] == "complete"
    assert any("not to support conclusions" in w for w in record["warnings"])
    metrics = json.loads((tone_run / "metrics.json").read_text())
    assert metrics["cv"]["scheme"] == "paragraph" and set(metrics["documents"]) == {
        r["id"] for r in _rows(tone_run / "predictions.csv")}
    for key in ("macro_f1", "accuracy", "roc_auc", "pr_auc", "brier"):
        lo, hi = metrics["intervals"][key]
        assert lo <= metrics[key] <= hi
    rows = _rows(tone_run / "predictions.csv")
    assert {"p_opinion", "p_reported_news", "promotional_score", "top_reasons", "outlet"} <= set(rows[0])
    for name in ("calibration", "confusion", "top_features"):
        assert (tone_run / "figures" / f"{name}.png").stat().st_size > 1000


def test_load_run_predict_proba(tone_run):
    run = research.load_run(tone_run)
    proba = run.predict_proba(["We must seize this historic opportunity: the future is bright!",
                               "The ministry said on Monday that talks would begin, officials told reporters."])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1)
    with pytest.raises(RunError, match="needs a topic-model run"):
        run.transform(["x"])


def test_apply_writes_predictions_in_a_new_run(tone_run, tmp_path, sample_dir):
    out = apply_run(tone_run, str(sample_dir), results_dir=tmp_path)
    rows = _rows(out / "predictions.csv")
    assert [r["id"][:3] for r in rows] == ["000", "001", "002", "003", "004"]
    assert json.loads((out / "run.json").read_text())["kind"] == "apply"


def test_apply_refuses_runs_that_are_not_tone_or_incomplete(tone_run, tmp_path, sample_dir, capsys):
    tfidf = research.run_experiment(load_config("tfidf.yaml"), results_dir=tmp_path / "r")
    assert main(["apply", str(tfidf), str(sample_dir), "--results", str(tmp_path)]) == 2
    assert "not a tone run" in capsys.readouterr().err
    import shutil
    broken = tmp_path / "broken"
    shutil.copytree(tone_run, broken)
    (broken / "artifacts" / "model.json").unlink()
    assert main(["apply", str(broken), str(sample_dir), "--results", str(tmp_path)]) == 2
    assert "missing file artifacts/model.json" in capsys.readouterr().err


@pytest.mark.parametrize("overrides, error, match", [
    (["corpus.label_column=nope"], ConfigError, "have no label"),
    (["tone.label_map={reported_news: x, opinion: x}"], ConfigError, "'promotional_opinion'.*not mapped"),
    (["tone.label_map={reported_news: a, opinion: a, promotional_opinion: a}"], ModelError, "only one class"),
    (["tone.unit=document", "tone.evaluation.folds=3"], ModelError, "fewer documents than folds"),
    (["tone.unit=document", "tone.group_column=outlet", "tone.evaluation.scheme=group", "tone.evaluation.folds=5"],
     ModelError, "tone.group_column: 4 group"),
    (["tone.unit=document", "tone.evaluation.scheme=group"], ModelError,   # the library's ParameterError('groups')
     r"^tone\.group_column must be one group per document \(e\.g\. its outlet\) for scheme 'group'; got None$"),
    (["tone.features=[sentences]", "tone.sentences.subjectivity=/nope"], ConfigError, "tone.sentences.subjectivity"),
    (["tone.test_sources=[{source: research/data/sample_pak_us}]"], ModelError, "paragraph is not supported"),
])
def test_bad_tone_settings_are_one_line_errors(tmp_path, overrides, error, match):
    with pytest.raises(error, match=match) as info:
        research.run_experiment(load_config("tone.yaml", overrides), results_dir=tmp_path)
    assert "\n" not in str(info.value)


@pytest.mark.shared_data
def test_genre_model_holds_up_on_unseen_outlets_and_orders_the_sample(tmp_path, sample_dir):
    config = load_config("tone_genre.yaml", ["tone.evaluation.bootstrap=100", "tone.evaluation.folds=3"])
    run = research.run_experiment(config, results_dir=tmp_path)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["evaluation"] == "held_out_test" and metrics["macro_f1"] > 0.85
    scored = {r["id"][:3]: r for r in _rows(apply_run(run, str(sample_dir), results_dir=tmp_path) / "predictions.csv")}
    news = [float(scored[i]["p_opinion"]) for i in ("000", "001", "002")]
    assert min(float(scored["003"]["p_opinion"]), float(scored["004"]["p_opinion"])) > max(news)
    promo = {i: float(r["promotional_score"]) for i, r in scored.items()}
    assert promo["004"] > promo["003"] > max(promo[i] for i in ("000", "001", "002"))
