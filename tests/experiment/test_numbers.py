"""Issue 10, items 7-9: the numbers a run writes agree with its data, reuse agrees with the
run, and texts a model cannot read get no made-up answer.

Every figure's data (``figures/*.csv``) and every headline metric is rebuilt here from the
run's own CSV outputs with pandas/scikit-learn and compared; ``predict_proba``, ``apply`` and
the run's held-out predictions are compared on the same raw texts.
"""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, average_precision_score, brier_score_loss, f1_score, roc_auc_score

import research
from research.clean.cleaner import TextPipeline
from research.config.load import load_config
from research.corpus.read import read_corpus
from research.errors import RunError, UnscorableError
from research.experiment.apply import apply_run
from research.runs.reuse import UnscorableWarning

POSITIVE = "opinion"
THRESHOLD = 0.6


# -- runs ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def genre_run(tmp_path_factory):
    """The genre model (real data, groups, a held-out test split) at tone.threshold=0.6."""
    config = load_config("tone_genre.yaml", ["tone.evaluation.bootstrap=100", "tone.evaluation.folds=3",
                                             f"tone.threshold={THRESHOLD}"])
    return research.run_experiment(config, results_dir=tmp_path_factory.mktemp("genre"))


@pytest.fixture(scope="module")
def sample_nmf(tmp_path_factory):
    return research.run_experiment(load_config("nmf.yaml"), results_dir=tmp_path_factory.mktemp("nmf"))


@pytest.fixture(scope="module")
def bbc_nmf(tmp_path_factory):
    """NMF on 1,500 BBC articles, K=5, 25 words per topic (so diversity can be rebuilt)."""
    config = load_config("nmf_bbc.yaml", ["corpus.limit=1500", "topics.num_topics=5", "topics.top_n=25",
                                          "clean.tokens.lemmatize=false"])
    return research.run_experiment(config, results_dir=tmp_path_factory.mktemp("bbc"))


@pytest.fixture(scope="module")
def sample_tone(tmp_path_factory):
    return research.run_experiment(load_config("tone.yaml"), results_dir=tmp_path_factory.mktemp("tone"))


def _csv(path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _predictions(run) -> pd.DataFrame:
    return _csv(run / "predictions.csv")


# -- item 7: tone figures and metrics from predictions.csv ---------------------------------
def _calibration_from(rows: pd.DataFrame) -> pd.DataFrame:
    p = rows["p_opinion"].to_numpy(float)
    y = (rows["label"] == POSITIVE).to_numpy(float)
    bins = np.minimum((p * 10).astype(int), 9)
    frame = pd.DataFrame({"bin": bins, "p": p, "y": y})
    return frame.groupby("bin").agg(mean_predicted=("p", "mean"), observed_share=("y", "mean"),
                                    documents=("p", "size")).reset_index()


@pytest.mark.shared_data
def test_calibration_data_is_rebuilt_from_predictions_and_is_not_all_zero(genre_run):
    predictions, table = _predictions(genre_run), _csv(genre_run / "figures" / "calibration.csv")
    assert set(table["split"]) == {"cv", "test"}
    for split, rows in predictions.groupby("split"):
        rebuilt = _calibration_from(rows)
        written = table[table["split"] == split].reset_index(drop=True)
        assert written["bin"].tolist() == rebuilt["bin"].tolist()
        assert written["documents"].tolist() == rebuilt["documents"].tolist()
        assert np.allclose(written["mean_predicted"], rebuilt["mean_predicted"], atol=2e-6)
        assert np.allclose(written["observed_share"], rebuilt["observed_share"], atol=2e-6)
    test = table[table["split"] == "test"]
    assert test["observed_share"].max() > 0.9 and test["observed_share"].iloc[0] < 0.1
    assert (genre_run / "figures" / "calibration.png").stat().st_size > 1000


@pytest.mark.shared_data
def test_predictions_follow_the_configured_threshold(genre_run):
    predictions = _predictions(genre_run)
    expected = np.where(predictions["p_opinion"] > THRESHOLD, POSITIVE, "reported_news")
    assert (predictions["predicted"] == expected).all()
    between = predictions[(predictions["p_opinion"] > 0.5) & (predictions["p_opinion"] <= THRESHOLD)]
    assert len(between) > 0 and (between["predicted"] == "reported_news").all()   # argmax would say opinion


@pytest.mark.shared_data
def test_confusion_data_and_metrics_are_rebuilt_from_predictions(genre_run):
    predictions, metrics = _predictions(genre_run), json.loads((genre_run / "metrics.json").read_text())
    confusion = _csv(genre_run / "figures" / "confusion.csv")
    assert metrics["evaluation"] == "held_out_test"
    for split, rows in predictions.groupby("split"):
        found = metrics[split]
        counts = pd.crosstab(rows["label"], rows["predicted"]).reindex(
            index=found["classes"], columns=found["classes"], fill_value=0)
        assert counts.to_numpy().tolist() == found["confusion"]
        written = confusion[confusion["split"] == split].pivot(index="true", columns="predicted", values="documents")
        assert written.loc[found["classes"], found["classes"]].to_numpy().tolist() == found["confusion"]
        y, p = (rows["label"] == POSITIVE).to_numpy(), rows["p_opinion"].to_numpy(float)
        macro_f1 = f1_score(rows["label"], rows["predicted"], average="macro")
        assert found["macro_f1"] == pytest.approx(macro_f1, abs=1e-12)
        assert found["accuracy"] == pytest.approx(accuracy_score(rows["label"], rows["predicted"]), abs=1e-12)
        assert found["roc_auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-4)
        assert found["pr_auc"] == pytest.approx(average_precision_score(y, p), abs=1e-4)
        assert found["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-6)
    for key in ("macro_f1", "accuracy", "roc_auc", "pr_auc", "brier"):
        assert metrics[key] == metrics["test"][key]


@pytest.mark.shared_data
def test_top_features_data_matches_metrics(genre_run):
    table = _csv(genre_run / "figures" / "top_features.csv")
    metrics = json.loads((genre_run / "metrics.json").read_text())
    for label, items in metrics["top_features"].items():
        rows = table[table["class"] == label].sort_values("rank")
        assert rows["feature"].tolist() == [name for name, _ in items]
        assert np.allclose(rows["weight"], [w for _, w in items], atol=1e-4)


# -- item 7: predict_proba, apply and the run agree ------------------------------------------
def _test_documents(run) -> list:
    config = run.config
    docs = []
    for source in config["tone"]["test_sources"]:
        settings = {k: v for k, v in source.items() if k not in ("label", "group_column", "max_documents")}
        docs += read_corpus(settings)[:25]
    return docs


def _cp1252_sentences(shared_data, n=10) -> list[str]:
    with (shared_data / "checkthat2025_en" / "dev_test_en.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    curly = [r["sentence"] for r in rows if "’" in r["sentence"]][:n]
    return [s.replace("’", "\x92") for s in curly]   # what a cp1252 file read as Latin-1 holds


@pytest.mark.shared_data
def test_predict_proba_apply_and_the_runs_own_predictions_agree(genre_run, shared_data, tmp_path):
    run = research.load_run(genre_run)
    docs = _test_documents(run)
    held_out = _predictions(genre_run).set_index("id")
    ours = run.predict_proba([d.text for d in docs])[:, list(run.model.classes_).index(POSITIVE)]
    assert np.allclose(ours, held_out.loc[[d.id for d in docs], "p_opinion"], atol=1e-6)
    sentences = _cp1252_sentences(shared_data)
    p = run.predict_proba(sentences)
    assert np.allclose(p, run.predict_proba([s.replace("\x92", "’") for s in sentences]), atol=1e-12)
    assert np.abs(run.model.predict_proba(sentences) - p).max() > 0.05   # uncleaned, the model scores otherwise
    corpus = tmp_path / "corpus.jsonl"
    records = [{"id": d.id, "outlet": d.outlet, "genre": "editorial", "title": d.title, "text": d.text} for d in docs]
    records += [{"id": f"checkthat-{i}", "outlet": "checkthat", "genre": "editorial", "title": None, "text": s}
                for i, s in enumerate(sentences)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    applied = _predictions(apply_run(genre_run, str(corpus), results_dir=tmp_path)).set_index("id")
    texts = [r["text"] for r in records]
    ids = [r["id"] for r in records]
    assert np.allclose(applied.loc[ids, "p_opinion"], run.predict_proba(texts)[:, 0], atol=1e-6)
    assert applied.loc[ids, "predicted"].tolist() == run.predict(texts)


# -- item 8: texts the model cannot read -------------------------------------------------------
def test_transform_gives_nan_rows_and_a_counting_warning_for_unreadable_texts(sample_nmf):
    run = research.load_run(sample_nmf)
    with pytest.warns(UnscorableWarning) as caught:
        shares = run.transform(["zzzz qqqq", "", "The United States and Pakistan held a defence dialogue."])
    assert [w.message.count for w in caught] == [2]
    assert "2 of 3" in str(caught[0].message)
    assert np.isnan(shares[:2]).all() and not np.isnan(shares[2]).any()
    assert shares[2].sum() == pytest.approx(1.0) and np.ptp(shares[2]) > 0.05
    with pytest.raises(UnscorableError, match="2 of 2 text") as info:
        run.transform(["zzzz qqqq", ""], empty="raise")
    assert "\n" not in str(info.value)
    with pytest.raises(RunError, match="empty='drop'"):
        run.transform(["x"], empty="drop")


@pytest.mark.shared_data
def test_a_headline_without_full_stop_gets_real_topic_shares(bbc_nmf):
    run = research.load_run(bbc_nmf)
    headline = "North Korea missile test"
    assert run.cleaner.tokenize(headline) == []          # training: a short line is page furniture
    assert run.tokenize([headline]) == [["north", "korea", "missile", "test"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shares = run.transform([headline])[0]
    assert not np.isnan(shares).any() and np.ptp(shares) > 0.05


def test_scoring_keeps_a_short_text_but_still_drops_furniture():
    pipeline = TextPipeline.from_settings(load_config("tone.yaml")["clean"])
    assert pipeline.clean_for_scoring("North Korea missile test") == "North Korea missile test"
    assert pipeline.clean_for_scoring("North Korea missile test\nShare | Tweet") == "North Korea missile test"
    assert pipeline.clean_for_scoring("Share | Tweet") == ""
    both = "Markets\nShares rose on Monday after the talks."
    body = "Shares rose on Monday after the talks."
    assert pipeline.clean_for_scoring(both) == pipeline.clean_text(both).text() == body


def test_predict_proba_and_apply_leave_unreadable_texts_unscored(sample_tone, tmp_path):
    run = research.load_run(sample_tone)
    with pytest.warns(UnscorableWarning) as caught:
        proba = run.predict_proba(["", "Share | Tweet", "The ministry said on Monday that talks would begin."])
    assert [w.message.count for w in caught] == [2]
    assert np.isnan(proba[:2]).all() and np.allclose(proba[2].sum(), 1)
    with pytest.raises(UnscorableError):
        run.predict_proba(["Share | Tweet"], empty="raise")
    corpus = tmp_path / "corpus.csv"
    pd.DataFrame({"id": ["a", "b"], "text": ["Share | Tweet", "We must seize this historic opportunity!"]}).to_csv(
        corpus, index=False)
    out = apply_run(sample_tone, str(corpus), results_dir=tmp_path)
    rows = _predictions(out).set_index("id")
    assert rows.loc["a", ["predicted", "p_opinion", "promotional_score"]].isna().all()
    assert rows.loc["b", "predicted"] in ("opinion", "reported_news")
    record = json.loads((out / "run.json").read_text())
    assert any("1 of 2 document(s) have no text left" in w for w in record["warnings"])
    assert json.loads((out / "metrics.json").read_text())["unscored"] == 1


# -- item 9: apply writes report.html ---------------------------------------------------------
def test_apply_run_writes_a_report(sample_tone, sample_dir, tmp_path):
    out = apply_run(sample_tone, str(sample_dir), results_dir=tmp_path)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "5 documents scored" in page and "Most promotional" in page
    assert "report.html" in json.loads((out / "run.json").read_text())["artifacts"]


# -- topic runs: figure data and metrics from the CSV outputs ---------------------------------
def _doc_topics(run) -> tuple[pd.DataFrame, list[str]]:
    frame = _csv(run / "doc_topics.csv")
    return frame, [c for c in frame.columns if c.startswith("topic_")]


def _month(value) -> str | None:
    text = str(value) if value == value and value is not None else ""
    return f"{text[:4]}-{text[5:7]}" if len(text) >= 7 and text[4] == "-" else None


@pytest.mark.parametrize("which", ["sample_nmf", pytest.param("bbc_nmf", marks=pytest.mark.shared_data)])
def test_topic_tables_are_rebuilt_from_doc_topics(which, request):
    run = request.getfixturevalue(which)
    frame, topics = _doc_topics(run)
    per_topic = _csv(run / "topic_metrics.csv")
    assert np.allclose(per_topic["prevalence"], frame[topics].mean().to_numpy(), atol=2e-6)
    written = sorted(run.glob("prevalence_by_*.csv"))
    assert written
    for path in written:
        group = path.stem.removeprefix("prevalence_by_")
        values = frame["date"].map(_month) if group == "month" else frame[group]
        rebuilt = frame[topics].groupby(values.astype(object)).mean()
        table = pd.read_csv(path, index_col=0)
        table.index = table.index.astype(str)
        rebuilt.index = rebuilt.index.astype(str)
        assert table.index.tolist() == rebuilt.index.tolist()
        assert np.allclose(table[topics], rebuilt, atol=2e-6)
        assert table["documents"].tolist() == values.value_counts().reindex(rebuilt.index).tolist()


@pytest.mark.parametrize("which", ["sample_nmf", pytest.param("bbc_nmf", marks=pytest.mark.shared_data)])
def test_top_words_and_diversity_are_rebuilt_from_topics_csv(which, request):
    run = request.getfixturevalue(which)
    words = _csv(run / "topics.csv").sort_values(["topic", "rank"])
    per_topic = _csv(run / "topic_metrics.csv")
    config = research.load_run(run).config
    top_n = config["topics"]["top_n"]
    by_topic = words.groupby("topic")["word"].apply(list)
    assert [" ".join(w) for w in by_topic] == per_topic["top_words"].tolist()
    assert all(len(w) == top_n for w in by_topic)
    assert all(words.groupby("topic")["weight"].diff().dropna() <= 0)
    n = config["topics"]["evaluate"]["diversity_top_n"]
    if top_n >= n:
        metrics = json.loads((run / "metrics.json").read_text())
        cut = [w[:n] for w in by_topic]
        assert metrics["topic_diversity"] == pytest.approx(len({x for w in cut for x in w}) / sum(map(len, cut)))
