"""What a run trains, saved in formats that cannot run code when they are loaded.

``save_artifact(obj, folder / "model")`` picks the format by the object's type and returns
the main file it wrote; ``load_artifact(path)`` reads it back:

    object                                  files
    cleaner (research.clean.pipeline.TextPipeline)  cleaner.json     settings and learned phrases
    vectoriser (scikit-learn)               vectorizer.skops
    topic model (research.topics)           model.json       class, settings, fitted scalars
                                            model.npz        topic-word, doc-topic (and gensim) arrays;
                                                             tomotopy's binary as bytes
                                            model.skops      the scikit-learn estimator, if any
    tone model (ToneClassifier)             model.json (settings, decision threshold, calibration map)
                                            + model.skops (the scikit-learn pipeline)
                                            model.<scorer>.seed<k>.safetensors: fine-tuned sentence
                                                             networks, if any (research.runs.finetuned)
    merged topics (MergedTopicModel)        model.json       the groups of topics, their weights and the base
                                                             model's state; .npz/.skops: the base model's

Loading never unpickles: JSON is data; ``.npz`` files are read with
``allow_pickle=False``; ``.skops`` files are read by :func:`skops.io.load` with an explicit
list of trusted types (:data:`VECTORIZER_TYPES`, a topic back-end's own ``skops_types``,
:data:`TONE_TYPES`, on top of skops's own defaults: scikit-learn, numpy and scipy types), so
a file naming any other type is refused before anything is built; a ``model.json`` names
its class from :func:`model_classes` only (the registered topic back-ends, the tone model,
the cleaner). A new topic back-end needs nothing here: its class says how it is stored. Objects are rebuilt by setting attributes; the
gensim ``LdaModel`` is rebuilt from its arrays (sufficient statistics, ``expElogbeta``,
``alpha``, ``eta`` and the state's ``eta``) and gives the same topic shares and perplexity as the original.

A legacy ``.joblib`` artefact (research 0.1.0) is a pickle: :func:`load_artifact` opens it
only with ``trusted=True``. Objects that cannot be saved this way are refused at save time
with a :class:`~research.errors.ModelError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from research import _compat
from research.errors import ModelError, RunError
from research.runs.artifact_io import check_type, class_path, skops_dump, skops_load
from research.runs.topic_artifacts import load_merged, load_topic_model, merged_state, topic_classes, topic_state

__all__ = [
    "FORMAT",
    "TONE_TYPES",
    "VECTORIZER_TYPES",
    "load_artifact",
    "model_classes",
    "save_artifact",
    "topic_classes",
]

FORMAT = "research.artifact/1"
VECTORIZER_TYPES = ["sklearn.feature_extraction.text.TfidfVectorizer",
                    "sklearn.feature_extraction.text.CountVectorizer",
                    "sklearn.feature_extraction.text.TfidfTransformer",
                    "sklearn.feature_extraction.text.HashingVectorizer", "sklearn.pipeline.Pipeline"]
TONE_TYPES = VECTORIZER_TYPES + [
    "research.tone.features.ToneFeatures", "research.tone.sentences.SentenceShares",
    "research.tone.embeddings.SentenceEmbeddings",
    "research.tone.sentences.SentenceScorer", "sklearn.frozen._frozen.FrozenEstimator",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.preprocessing._data.StandardScaler", "sklearn.preprocessing._data.MinMaxScaler",
    "sklearn.linear_model._logistic.LogisticRegression", "sklearn.svm._classes.LinearSVC",
    "sklearn.calibration.CalibratedClassifierCV", "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration", "sklearn.naive_bayes.MultinomialNB"]
TONE_CLASS = "research.tone.classifier.ToneClassifier"
CLEANER_CLASS = "research.clean.pipeline.TextPipeline"
MERGED_CLASS = "research.topics.merge.MergedTopicModel"


def model_classes() -> tuple[str, ...]:
    """The classes a ``model.json``/``cleaner.json`` may name."""
    return (*topic_classes(), MERGED_CLASS, TONE_CLASS, CLEANER_CLASS)


def _allowed(name: str | None) -> bool:
    """``name in model_classes()``, without importing the topic back-ends for a cleaner or
    tone model."""
    return name in (TONE_CLASS, CLEANER_CLASS, MERGED_CLASS) or name in topic_classes()


# -- saving --------------------------------------------------------------------------------
def save_artifact(obj: Any, path: str | Path) -> Path:
    """Save ``obj`` beside ``path`` (its suffix is replaced); returns the main file written."""
    base = Path(path).with_suffix("")
    name = class_path(obj)
    if name == CLEANER_CLASS:
        return _write_json(base.with_suffix(".json"), name, obj.to_state())
    if name == TONE_CLASS:
        return _save_tone_model(obj, base)
    if name.startswith("sklearn.feature_extraction.text.") or _text_pipeline(obj):
        skops_dump(obj, base.with_suffix(".skops"), VECTORIZER_TYPES)
        return base.with_suffix(".skops")
    if name in topic_classes():
        return _write_json(base.with_suffix(".json"), name, topic_state(obj, base, name))
    if name == MERGED_CLASS:
        return _write_json(base.with_suffix(".json"), MERGED_CLASS, merged_state(obj, base))
    raise ModelError(f"{base.name}: a {name} cannot be saved as a run artefact without pickle; "
                     "only the package's cleaner, vectorisers, topic models and tone models can")


def _text_pipeline(obj: Any) -> bool:
    """A scikit-learn Pipeline of text vectoriser steps only (the Spark engine's hashing
    vectoriser and its idf weights)."""
    if class_path(obj) != "sklearn.pipeline.Pipeline":
        return False
    steps = list(getattr(obj, "steps", None) or [])
    return bool(steps) and all(class_path(step) in VECTORIZER_TYPES for _, step in steps)


def _write_json(path: Path, name: str, state: dict[str, Any]) -> Path:
    text = json.dumps({"format": FORMAT, "class": name, "state": state}, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _save_tone_model(model: Any, base: Path) -> Path:
    from sklearn.frozen import FrozenEstimator

    promo = model.promotional_
    if not (isinstance(getattr(promo, "advocacy_", None), FrozenEstimator)
            and promo.advocacy_.estimator is model.pipeline_):
        raise ModelError(f"{base.name}: the promotional scorer must use the tone model's own pipeline "
                         "(FrozenEstimator(model.pipeline_)) to be saved as a run artefact")
    from research.runs.finetuned import detached

    with detached(model.pipeline_, base) as fine_tuned:
        skops_dump(model.pipeline_, base.with_suffix(".skops"), TONE_TYPES)
    state = {"fine_tuned": fine_tuned, "positive": str(model.positive), "unit": model.unit,
             "paragraph_min_words": int(model.paragraph_min_words),
             "promotional": {"positive": str(promo.positive), "prior": float(promo.prior),
                             "positive_index_": int(promo.positive_index_)},
             "threshold": model.threshold if model.threshold == "auto" else float(model.threshold),
             "threshold_": model.decision_threshold(), "threshold_choice_": getattr(model, "threshold_choice_", None),
             "calibration": str(model.calibration), "inner_folds": int(model.inner_folds),
             "random_state": int(model.random_state)}
    calibrator = getattr(model, "calibrator_", None)
    state["calibrator_"] = calibrator.to_state() if calibrator is not None else None
    return _write_json(base.with_suffix(".json"), TONE_CLASS, state)


# -- loading -------------------------------------------------------------------------------
def load_artifact(path: str | Path, trusted: bool = False) -> Any:
    """Load what :func:`save_artifact` wrote at ``path`` (``.json`` or ``.skops``); a legacy
    ``.joblib`` pickle only with ``trusted=True``. Raises :class:`RunError` for a file that
    names a type or class outside the allowed lists, or is damaged."""
    path = Path(path)
    if path.suffix == ".joblib":
        if trusted is not True:
            raise RunError(f"{path}: a pickle (written by research 0.1.0); loading it can run code: pass "
                           "trusted=True only if you trust who made it")
        import joblib

        with _compat.legacy_modules():
            return joblib.load(path)
    if path.suffix == ".skops":
        obj = skops_load(path, VECTORIZER_TYPES)
        return obj if _text_pipeline(obj) else check_type(obj, path, "sklearn.feature_extraction.text.")
    if path.suffix == ".json":
        return _load_json_artifact(path)
    raise RunError(f"{path}: not a run artefact (.json, .skops, or a legacy .joblib)")


def _load_json_artifact(path: Path) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{path}: missing; the run is incomplete and cannot be reused") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: corrupt JSON ({exc})") from None
    name = _compat.current(data["class"]) if isinstance(data, dict) and isinstance(data.get("class"), str) else None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not _allowed(name):
        raise RunError(f"{path}: not a {FORMAT} artefact of an allowed class (got class {name!r}); "
                       f"allowed: {', '.join(model_classes())}")
    state = data.get("state")
    try:
        if name == CLEANER_CLASS:
            from research.clean.pipeline import TextPipeline

            return TextPipeline.from_state(state)  # type: ignore[arg-type]
        if name == TONE_CLASS:
            return _load_tone_model(path, state)  # type: ignore[arg-type]
        if name == MERGED_CLASS:
            return load_merged(path, state)  # type: ignore[arg-type]
        return load_topic_model(path, name, state)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RunError(f"{path}: damaged {name} state ({type(exc).__name__}: {exc})") from None


def _load_tone_model(path: Path, state: dict[str, Any]) -> Any:
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from research.runs.finetuned import attach
    from research.tone import PromotionalScorer
    from research.tone.classifier import ToneClassifier

    pipeline = skops_load(path.with_suffix(".skops"), TONE_TYPES)
    if not isinstance(pipeline, Pipeline):
        raise RunError(f"{path}: the tone model's .skops file holds a {class_path(pipeline)}, not a Pipeline")
    attach(pipeline, path, state.get("fine_tuned", []))
    unit, promo = state["unit"], state["promotional"]
    if unit not in ("document", "paragraph"):
        raise RunError(f"{path}: unknown tone unit {unit!r}")
    scorer = PromotionalScorer(FrozenEstimator(pipeline), positive=str(promo["positive"]),
                               prior=float(promo["prior"]))
    scorer.advocacy_ = scorer.advocacy
    scorer.positive_index_ = [str(c) for c in pipeline.classes_].index(scorer.positive)
    if scorer.positive_index_ != int(promo["positive_index_"]):
        raise RunError(f"{path}: the promotional class index disagrees with the pipeline's classes")
    model = ToneClassifier(pipeline, positive=str(state["positive"]), unit=unit,
                           paragraph_min_words=int(state["paragraph_min_words"]), promotional_prior=scorer.prior)
    model._fitted(pipeline, scorer)
    if "threshold_" in state:          # runs written before the threshold was stored: predict by 0.5
        _tone_threshold(path, model, state)
    return model


def _tone_threshold(path: Path, model: Any, state: dict[str, Any]) -> None:
    """The decision threshold and calibration map of a saved tone model (plain numbers)."""
    from research.tone.calibration import Calibrator

    threshold = float(state["threshold_"])
    if not 0 < threshold < 1:
        raise RunError(f"{path}: decision threshold {threshold!r} is not in (0, 1); damaged artefact")
    model.set_params(threshold=state["threshold"], calibration=str(state["calibration"]),
                     inner_folds=int(state["inner_folds"]), random_state=int(state["random_state"]))
    model.threshold_, model.threshold_choice_ = threshold, state.get("threshold_choice_")
    found = state.get("calibrator_")
    model.calibrator_ = Calibrator.from_state(found, str(path)) if found is not None else None
