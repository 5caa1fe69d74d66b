"""Issue 10: run artefacts load without executing code.

Real runs on the embedded sample (new formats), crafted folders as an attacker would make
them (payload files with run.json's hashes rewritten to match), and the run folders that
research 0.1.0 wrote (tests/fixtures/runs_v0_1, joblib pickles).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import research
import research.runs.artifacts as artifacts
from research.cli.main import main
from research.config.load import load_config
from research.errors import ModelError, RunError
from research.runs.folder import sha256_file
from research.runs.reuse import VersionWarning

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runs_v0_1"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
# gensim infers an LDA document's topics by iterating until the mean change falls below
# gamma_threshold (1e-3): the same code on another CPU (other SIMD kernels in numpy/BLAS) may stop
# one iteration apart, which moves shares by ~1e-7 (3e-8 seen between two Xeons) and the
# perplexity bound (which runs the same inference) by ~1e-7 of its value. NMF's transform stays
# exact to 1e-12.
TRANSFORM_ATOL = {"lda": 1e-6, "nmf": 1e-12}
TEXTS = EXPECTED["texts"] + ["Pakistan's army chief met US officials in Washington. They discussed "
                             "counterterrorism and trade, and agreed to meet again next year."]
FAST = ["topics.evaluate.stability_seeds=[]"]
RUNS = {  # name -> (config, overrides)
    "tfidf": ("tfidf.yaml", []),
    "lda": ("lda.yaml", FAST),
    "lda_sklearn": ("lda.yaml", FAST + ["topics.lda_backend=sklearn"]),
    "nmf": ("nmf.yaml", FAST + ["topics.num_topics=4"]),
    "nmf_minibatch": ("nmf.yaml", FAST + ["topics.num_topics=4", "topics.nmf_backend=sklearn_minibatch"]),
    "tone": ("tone.yaml", []),
    "tone_naive_bayes": ("tone.yaml", ["tone.model=naive_bayes"]),
}


class Recorder:
    """Wraps the real save_artifact and keeps the objects it saved (the in-memory models)."""

    def __init__(self):
        self.saved: dict[str, object] = {}

    def __call__(self, obj, path):
        self.saved[Path(path).name] = obj
        return artifacts.save_artifact(obj, path)


def _run_recorded(config: str, overrides: list[str], results: Path) -> tuple[Path, dict[str, object]]:
    """A real run, and the objects it had in memory when it saved them."""
    import research.experiment.stages as pipeline
    import research.experiment.tone as tone_run
    import research.experiment.topic as topic_run

    recorder = Recorder()
    with pytest.MonkeyPatch.context() as patch:
        for module in (pipeline, tone_run, topic_run):
            patch.setattr(module, "save_artifact", recorder)
        folder = research.run_experiment(load_config(config, overrides), results_dir=results)
    return folder, recorder.saved


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> dict[str, tuple[Path, dict[str, object]]]:
    return {name: _run_recorded(config, overrides, tmp_path_factory.mktemp(name))
            for name, (config, overrides) in RUNS.items()}


def _rehash(folder: Path) -> None:
    """What an attacker does after editing artefacts: make run.json's hashes match again."""
    record = json.loads((folder / "run.json").read_text())
    for path in (folder / "artifacts").iterdir():
        record["artifacts"][path.relative_to(folder).as_posix()] = sha256_file(path)
    (folder / "run.json").write_text(json.dumps(record))


def _copy(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    return copy


# -- new formats: what a run writes, and that it reloads to the same numbers ---------------
@pytest.mark.parametrize("name", list(RUNS))
def test_run_writes_no_pickle(fitted, name):
    folder, _ = fitted[name]
    files = sorted(p.name for p in (folder / "artifacts").iterdir())
    assert not [f for f in files if f.endswith((".joblib", ".pkl", ".pickle"))]
    assert {"cleaner.json", "vectorizer.skops"} <= set(files)
    record = json.loads((folder / "run.json").read_text())
    assert all(f"artifacts/{f}" in record["artifacts"] for f in files)
    if name.startswith("lda") or name.startswith("nmf"):
        assert {"model.json", "model.npz"} <= set(files)
        assert ("model.skops" in files) == (name != "lda")   # gensim: arrays only
    if name.startswith("tone"):
        assert {"model.json", "model.skops"} <= set(files) and "model.npz" not in files
    if "model.npz" in files:
        with np.load(folder / "artifacts" / "model.npz", allow_pickle=False) as arrays:
            assert all(arrays[k].dtype != object for k in arrays.files)


@pytest.mark.parametrize("name", list(RUNS))
def test_reloaded_run_gives_the_fit_time_numbers(fitted, name):
    folder, saved = fitted[name]
    run = research.load_run(folder)
    cleaner, vectorizer = saved["cleaner"], saved["vectorizer"]
    assert [run.cleaner.tokenize(t) for t in TEXTS] == [cleaner.tokenize(t) for t in TEXTS]
    X = vectorizer.transform([" ".join(cleaner.tokenize(t)) for t in TEXTS])
    assert abs(run.vectorize(TEXTS) - X).max() == 0
    assert type(run.vectorizer) is type(vectorizer)
    if name == "tfidf":
        return
    model = saved["model"]
    if name.startswith("tone"):
        _same_tone_outputs(run.model, model)
        return
    assert type(run.model) is type(model) and run.model.get_params() == model.get_params()
    np.testing.assert_allclose(run.transform(TEXTS), model.transform(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(run.model.topic_word_, model.topic_word_)
    np.testing.assert_array_equal(run.model.doc_topic_, model.doc_topic_)
    assert run.model.top_words(10) == model.top_words(10)
    if hasattr(model, "perplexity"):
        assert abs(run.model.perplexity(X) - model.perplexity(X)) <= 1e-12 * abs(model.perplexity(X))
    if hasattr(model, "reconstruction_error"):
        assert abs(run.model.reconstruction_error(X) - model.reconstruction_error(X)) <= 1e-12


def _same_tone_outputs(loaded, model) -> None:
    from research.tone import sentences

    sentences._SCORE_CACHE.clear()   # the loaded sentence scorers compute their own scores
    assert np.array_equal(loaded.classes_, model.classes_)
    assert (loaded.unit, loaded.positive) == (model.unit, model.positive)
    proba = loaded.predict_proba(TEXTS)
    sentences._SCORE_CACHE.clear()
    np.testing.assert_allclose(proba, model.predict_proba(TEXTS), rtol=0, atol=1e-12)
    np.testing.assert_allclose(loaded.promotional_score(TEXTS), model.promotional_score(TEXTS), rtol=0, atol=1e-12)
    assert loaded.reasons(TEXTS, 5) == model.reasons(TEXTS, 5)


@pytest.mark.shared_data
def test_tone_with_sentence_models_tfidf_and_svm_reloads(tmp_path):
    """SentenceShares over two SentenceScorers (CheckThat, PTC), TF-IDF and a calibrated
    linear SVM: every type of TONE_TYPES that a config can reach."""
    folder, saved = _run_recorded("tone.yaml", ["tone.features=[tone,sentences,tfidf]", "vectorizer.min_df=1",
                                                "tone.model=linear_svm"], tmp_path)
    model = research.load_run(folder).model
    scorers = dict(model.pipeline_.named_steps["features"].transformer_list)["sentences"][0].scorers
    assert [type(s.estimator).__name__ for _, s in scorers] == ["SentenceScorer", "SentenceScorer"]
    _same_tone_outputs(model, saved["model"])


def test_gensim_lda_is_rebuilt_from_arrays(fitted):
    """eta='auto' and alpha='auto' (lda.yaml): learned priors, the state's own eta, numdocs."""
    folder, saved = fitted["lda"]
    lda, original = research.load_run(folder).model.model_, saved["model"].model_
    assert type(lda).__name__ == "LdaModel"
    for key in ("alpha", "eta", "expElogbeta"):
        np.testing.assert_array_equal(getattr(lda, key), getattr(original, key))
    np.testing.assert_array_equal(lda.state.sstats, original.state.sstats)
    np.testing.assert_array_equal(lda.state.eta, original.state.eta)
    assert lda.state.numdocs == original.state.numdocs and lda.dtype == original.dtype


def test_apply_uses_the_new_formats(fitted, sample_dir, tmp_path):
    folder, _ = fitted["tone"]
    out = research.apply_run(folder, str(sample_dir), results_dir=tmp_path)
    assert (out / "predictions.csv").is_file()


# -- crafted folders are refused and never run their payload -------------------------------
class Payload:
    """Unpickling this runs ``touch <marker>``."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_skops_file_naming_os_system_is_refused(fitted, tmp_path):
    """A vectoriser whose preprocessor is os.system would run every text as a command."""
    import skops.io as sio

    folder = _copy(fitted["tfidf"][0], tmp_path)
    marker = tmp_path / "pwned"
    vectorizer = research.load_run(folder).vectorizer
    vectorizer.preprocessor = os.system
    data = sio.dumps(vectorizer)
    assert [t for t in sio.get_untrusted_types(data=data) if t.endswith(".system")]
    (folder / "artifacts" / "vectorizer.skops").write_bytes(data)
    _rehash(folder)
    run = research.load_run(folder)
    with pytest.raises(RunError, match=r"vectorizer\.skops: names types that a run artefact may not hold"):
        run.vectorize([f"touch {marker}"])
    assert not marker.exists()


@pytest.mark.parametrize("cls", ["os.system", "subprocess.Popen", "research.topics.lda.GensimLDA.__init__"])
def test_model_json_naming_another_class_is_refused(fitted, tmp_path, cls):
    folder = _copy(fitted["nmf"][0], tmp_path)
    marker = tmp_path / "pwned"
    path = folder / "artifacts" / "model.json"
    data = json.loads(path.read_text())
    data.update({"class": cls, "state": {"args": [f"touch {marker}"]}})
    path.write_text(json.dumps(data))
    _rehash(folder)
    with pytest.raises(RunError, match=r"model\.json: not a research\.artifact/1 artefact of an allowed class"):
        research.load_run(folder).transform(TEXTS)
    assert not marker.exists()


def test_model_skops_with_a_pickled_payload_type_is_refused(fitted, tmp_path):
    """The NMF estimator swapped for an object of a type outside the trusted list."""
    import skops.io as sio

    folder = _copy(fitted["nmf"][0], tmp_path)
    (folder / "artifacts" / "model.skops").write_bytes(sio.dumps({"model": Payload(tmp_path / "pwned")}))
    _rehash(folder)
    with pytest.raises(RunError, match="names types that a run artefact may not hold"):
        research.load_run(folder).model
    assert not (tmp_path / "pwned").exists()


def test_npz_holding_a_pickle_is_refused(fitted, tmp_path):
    folder = _copy(fitted["lda"][0], tmp_path)
    marker = tmp_path / "pwned"
    path = folder / "artifacts" / "model.npz"
    with np.load(path, allow_pickle=False) as saved:
        arrays = {k: saved[k] for k in saved.files}
    arrays["topic_word_"] = np.array([Payload(marker)], dtype=object)
    np.savez(path, **arrays)
    _rehash(folder)
    with pytest.raises(RunError, match=r"model\.json: damaged research\.topics\.lda\.GensimLDA state"):
        research.load_run(folder).model
    assert not marker.exists()


def test_model_json_with_unknown_settings_is_refused(fitted, tmp_path):
    folder = _copy(fitted["nmf"][0], tmp_path)
    path = folder / "artifacts" / "model.json"
    data = json.loads(path.read_text())
    data["state"]["params"]["__class__"] = "os.system"
    path.write_text(json.dumps(data))
    _rehash(folder)
    with pytest.raises(RunError, match="unexpected settings of nmf.sklearn"):
        research.load_run(folder).model


def test_an_edited_artefact_without_rehashing_is_still_caught(fitted, tmp_path):
    folder = _copy(fitted["lda"][0], tmp_path)
    with (folder / "artifacts" / "model.npz").open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(RunError, match=r"artifacts/model\.npz changed since the run wrote it"):
        research.load_run(folder).model


def test_what_cannot_be_saved_without_pickle_is_refused_at_save_time(tmp_path):
    """A tone model holding a type outside TONE_TYPES (as the torch fine-tuned sentence model
    would) is refused before any file is written; so is an object of an unknown class."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from research.tone import PromotionalScorer, ToneClassifier

    pipeline = Pipeline([("run", FunctionTransformer(func=os.system))])
    promotional = PromotionalScorer(FrozenEstimator(pipeline))
    promotional.advocacy_, promotional.positive_index_ = promotional.advocacy, 0
    model = ToneClassifier(pipeline)._fitted(pipeline, promotional)
    with pytest.raises(ModelError, match=r"model\.skops: cannot save .* it holds .*system.*only the types in"):
        artifacts.save_artifact(model, tmp_path / "model")
    with pytest.raises(ModelError, match="cannot be saved as a run artefact without pickle"):
        artifacts.save_artifact(Payload(tmp_path / "m"), tmp_path / "model")
    assert not list(tmp_path.iterdir())


def test_a_fine_tuned_model_outside_a_sentence_scorer_is_refused_with_a_clear_error(fitted, tmp_path):
    """The fine-tuned networks are stored (as safetensors) only as a SentenceScorer's
    ``fine_tuned_`` (tests/tone/test_finetune_run.py); anywhere else they are refused."""
    import copy

    from research.tone import FineTunedSentenceClassifier

    model = copy.deepcopy(fitted["tone"][1]["model"])
    model.pipeline_.steps[0][1].transformer_list.append(("ft", FineTunedSentenceClassifier()))
    with pytest.raises(ModelError, match=r"FineTunedSentenceClassifier.*fine-tuned sentence model is stored "
                                         r"only as a SentenceScorer's fine_tuned_"):
        artifacts.save_artifact(model, tmp_path / "model")
    assert not list(tmp_path.iterdir())


# -- run folders written by research 0.1.0 ------------------------------------------------
def _load_legacy(kind: str, **kwargs):
    with warnings.catch_warnings():   # the fixtures record the versions they were made with
        warnings.simplefilter("ignore", VersionWarning)
        return research.load_run(FIXTURES / kind, **kwargs)


@pytest.mark.parametrize("kind", ["tfidf", "lda", "nmf", "tone"])
def test_legacy_run_is_refused_without_trusted(kind):
    run = _load_legacy(kind)
    assert run.metrics and run.config   # JSON and YAML are safe to read
    artefact = "vectorizer" if kind == "tfidf" else "model"
    message = (f"{FIXTURES / kind}: artifacts/{artefact}.joblib is a pickle (written by research 0.1.0); "
               "loading it can run code: pass trusted=True only if you trust who made this folder")
    with pytest.raises(RunError) as caught:
        getattr(run, artefact)
    assert str(caught.value) == message


@pytest.mark.parametrize("kind", ["tfidf", "lda", "nmf", "tone"])
def test_legacy_run_loads_with_trusted_and_gives_the_same_numbers(kind):
    run, expected = _load_legacy(kind, trusted=True), EXPECTED["runs"][kind]
    texts = EXPECTED["texts"]
    if "vectorize" in expected:
        np.testing.assert_allclose(run.vectorize(texts).toarray(), expected["vectorize"], rtol=0, atol=1e-12)
    if "transform" in expected:
        np.testing.assert_allclose(run.transform(texts), expected["transform"], rtol=0, atol=TRANSFORM_ATOL[kind])
    if "perplexity" in expected:
        assert abs(run.model.perplexity(run.vectorize(texts)) - expected["perplexity"]) <= 1e-6 * expected["perplexity"]
    if kind == "tone":
        assert [str(c) for c in run.model.classes_] == expected["classes"]
        np.testing.assert_allclose(run.predict_proba(texts), expected["predict_proba"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(run.model.promotional_score(texts), expected["promotional_score"],
                                   rtol=0, atol=1e-12)


def test_crafted_legacy_pickle_is_refused_and_never_runs(tmp_path):
    folder = _copy(FIXTURES / "nmf", tmp_path)
    marker = tmp_path / "pwned"
    (folder / "artifacts" / "model.joblib").write_bytes(pickle.dumps(Payload(marker)))
    _rehash(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VersionWarning)
        run = research.load_run(folder)
    with pytest.raises(RunError, match="is a pickle"):
        run.model
    assert not marker.exists()


def test_apply_on_a_legacy_run_needs_trusted(tmp_path, sample_dir, capsys):
    legacy = str(FIXTURES / "tone")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VersionWarning)
        assert main(["apply", legacy, str(sample_dir), "--results", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {legacy}: artifacts/") and "pass trusted=True" in err
        assert main(["apply", legacy, str(sample_dir), "--results", str(tmp_path), "--trusted"]) == 0
    out = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert (out / "predictions.csv").is_file()
