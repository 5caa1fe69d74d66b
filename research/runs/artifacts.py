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
from typing import TYPE_CHECKING, Any

import numpy as np

from research import _compat
from research.errors import ModelError, RunError

if TYPE_CHECKING:
    from research.topics import TopicModel

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
TOPIC_SCALARS = {"n_features_in_": int, "n_iter_": int, "converged_": bool, "reconstruction_error_": float}
TOPIC_ARRAYS = ("topic_word_", "doc_topic_", "alpha_", "embed_components_", "embed_mean_", "centroids_",
                "distance_scale_")   # the last four: research.topics.embed
GENSIM_SETTINGS = {"num_topics": int, "num_terms": int, "dtype": str, "chunksize": int, "decay": float,
                   "offset": float, "passes": int, "iterations": int, "gamma_threshold": float,
                   "numdocs": int, "num_updates": int}
DTYPES = ("float16", "float32", "float64")


def _name(obj_or_cls: Any) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__}.{cls.__qualname__}"


def topic_classes() -> dict[str, type[TopicModel]]:
    """The registered topic back-ends (:data:`research.topics.TOPIC_BACKENDS`) by class path;
    each declares how its library model is stored (``artifact``, ``skops_types``)."""
    from research.topics import TOPIC_BACKENDS

    return {_name(cls): cls for cls in map(TOPIC_BACKENDS.get, TOPIC_BACKENDS)}


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
    name = _name(obj)
    if name == CLEANER_CLASS:
        return _write_json(base.with_suffix(".json"), name, obj.to_state())
    if name == TONE_CLASS:
        return _save_tone_model(obj, base)
    if name.startswith("sklearn.feature_extraction.text.") or _text_pipeline(obj):
        _skops_dump(obj, base.with_suffix(".skops"), VECTORIZER_TYPES)
        return base.with_suffix(".skops")
    if name in topic_classes():
        return _write_json(base.with_suffix(".json"), name, _topic_state(obj, base, name))
    if name == MERGED_CLASS:
        return _save_merged(obj, base)
    raise ModelError(f"{base.name}: a {name} cannot be saved as a run artefact without pickle; "
                     "only the package's cleaner, vectorisers, topic models and tone models can")


def _text_pipeline(obj: Any) -> bool:
    """A scikit-learn Pipeline of text vectoriser steps only (the Spark engine's hashing
    vectoriser and its idf weights)."""
    if _name(obj) != "sklearn.pipeline.Pipeline":
        return False
    steps = list(getattr(obj, "steps", None) or [])
    return bool(steps) and all(_name(step) in VECTORIZER_TYPES for _, step in steps)


def _write_json(path: Path, name: str, state: dict[str, Any]) -> Path:
    text = json.dumps({"format": FORMAT, "class": name, "state": state}, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _skops_dump(obj: Any, path: Path, trusted: list[str]) -> None:
    """Write ``obj`` with skops, refusing (before writing) anything the loader would not trust."""
    import skops.io as sio

    try:
        data = sio.dumps(obj)
    except Exception as exc:
        raise ModelError(f"{path.name}: cannot save a {_name(obj)} without pickle ({type(exc).__name__}: "
                         f"{exc}); {_UNSUPPORTED}") from None
    unknown = sorted(set(sio.get_untrusted_types(data=data)) - set(trusted))
    if unknown:
        python_only = [t for t in unknown if t.startswith(_PYTHON_ONLY)]
        raise ModelError(f"{path.name}: cannot save a {_name(obj)} without pickle: it holds "
                         f"{', '.join(unknown)}, which a run artefact may not; "
                         + (_PYTHON_ONLY_HINT if python_only else _UNSUPPORTED))
    path.write_bytes(data)


_PYTHON_ONLY = ("research.tone.finetune.", "torch.")
_PYTHON_ONLY_HINT = ("a fine-tuned sentence model is stored only as a SentenceScorer's fine_tuned_ inside a tone "
                     "model (research.runs.finetuned); save other torch objects yourself")
_UNSUPPORTED = "only the types in research.runs.artifacts lists (scikit-learn and the package's own) can be stored"


def _save_merged(model: Any, base: Path) -> Path:
    """The base model's state (its .npz/.skops beside ``base``) with the groups of topics."""
    inner = _name(model.base)
    if inner not in topic_classes():
        raise ModelError(f"{base.name}: merged topics of a {inner}, which is not a registered topic back-end")
    state = {"groups": [[int(k) for k in g] for g in model.groups],
             "prevalence": [float(w) for w in model.prevalence],
             "base": {"class": inner, "state": _topic_state(model.base, base, inner)}}
    return _write_json(base.with_suffix(".json"), MERGED_CLASS, state)


def _topic_state(model: Any, base: Path, name: str) -> dict[str, Any]:
    """A topic back-end's JSON state; writes its arrays (.npz) and library model (.skops)."""
    state: dict[str, Any] = {"params": model.get_params(), "vocabulary_": [str(w) for w in model.vocabulary_]}
    arrays: dict[str, np.ndarray] = {}
    for key, value in vars(model).items():
        if key in TOPIC_SCALARS:
            state[key] = TOPIC_SCALARS[key](value)
        elif key in TOPIC_ARRAYS:
            arrays[key] = np.asarray(value)
        elif key not in ("model_", "vocabulary_") and key not in state["params"]:
            raise ModelError(f"{base.name}: {name} holds {key!r}, which research.runs.artifacts does not "
                             "know how to save; add it to TOPIC_SCALARS or TOPIC_ARRAYS")
    if type(model).artifact == "gensim":
        state["gensim"] = _gensim_state(model.model_, arrays)
    elif type(model).artifact == "tomotopy":
        from research.topics.tomotopy_lda import stored

        arrays["tomotopy.model"], state["tomotopy"] = stored(model.model_)
    elif type(model).artifact != "arrays":   # "arrays": the state is all in TOPIC_ARRAYS
        _skops_dump(model.model_, base.with_suffix(".skops"), list(type(model).skops_types))
    np.savez(base.with_suffix(".npz"), **arrays)  # type: ignore[arg-type]
    return state


def _gensim_state(lda: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The arrays and settings an ``LdaModel`` needs for inference and its bound."""
    arrays.update({"gensim.sstats": lda.state.sstats, "gensim.expElogbeta": lda.expElogbeta,
                   "gensim.alpha": np.asarray(lda.alpha), "gensim.eta": np.asarray(lda.eta),
                   "gensim.state_eta": np.asarray(lda.state.eta)})   # eta='auto' leaves the state's own
    settings = {"dtype": np.dtype(lda.dtype).name, "numdocs": lda.state.numdocs}
    for key, kind in GENSIM_SETTINGS.items():
        if key not in settings:
            settings[key] = kind(getattr(lda, key))
    return settings


def _save_tone_model(model: Any, base: Path) -> Path:
    from sklearn.frozen import FrozenEstimator

    promo = model.promotional_
    if not (isinstance(getattr(promo, "advocacy_", None), FrozenEstimator)
            and promo.advocacy_.estimator is model.pipeline_):
        raise ModelError(f"{base.name}: the promotional scorer must use the tone model's own pipeline "
                         "(FrozenEstimator(model.pipeline_)) to be saved as a run artefact")
    from research.runs.finetuned import detached

    with detached(model.pipeline_, base) as fine_tuned:
        _skops_dump(model.pipeline_, base.with_suffix(".skops"), TONE_TYPES)
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
        obj = _skops_load(path, VECTORIZER_TYPES)
        return obj if _text_pipeline(obj) else _check_type(obj, path, "sklearn.feature_extraction.text.")
    if path.suffix == ".json":
        return _load_json_artifact(path)
    raise RunError(f"{path}: not a run artefact (.json, .skops, or a legacy .joblib)")


def _skops_load(path: Path, trusted: list[str]) -> Any:
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        with _compat.legacy_modules():
            return sio.load(path, trusted=_compat.with_legacy(trusted))
    except UntrustedTypesFoundException as exc:
        raise RunError(f"{path}: names types that a run artefact may not hold ({exc}); refusing to load it; "
                       "the folder was not written by this package or has been tampered with") from None
    except FileNotFoundError:
        raise RunError(f"{path}: missing; the run is incomplete and cannot be reused") from None
    except Exception as exc:
        raise RunError(f"{path}: unreadable skops file ({type(exc).__name__}: {exc})") from None


def _check_type(obj: Any, path: Path, prefix: str) -> Any:
    if not _name(obj).startswith(prefix):
        raise RunError(f"{path}: holds a {_name(obj)} where a {prefix}* was expected; refusing to use it")
    return obj


def _check_types(obj: Any, path: Path, names: tuple[str, ...]) -> Any:
    if _name(obj) not in names:
        raise RunError(f"{path}: holds a {_name(obj)} where a {' or '.join(names)} was expected; "
                       "refusing to use it")
    return obj


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
            return _load_merged(path, state)  # type: ignore[arg-type]
        return _load_topic_model(path, name, state)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RunError(f"{path}: damaged {name} state ({type(exc).__name__}: {exc})") from None


def _arrays(path: Path) -> dict[str, np.ndarray]:
    npz = path.with_suffix(".npz")
    if not npz.is_file():
        raise RunError(f"{npz}: missing; the run is incomplete and cannot be reused")
    with np.load(npz, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _load_topic_model(path: Path, name: str, state: dict[str, Any]) -> Any:
    from research.topics import backend_params

    cls = topic_classes()[name]
    allowed = set(backend_params(cls.name))
    params = dict(state["params"])
    unknown = set(params) - allowed - {"num_topics", "seed"}
    if unknown or not all(_plain_setting(v) for v in params.values()):
        raise RunError(f"{path}: unexpected settings of {cls.name}: {sorted(unknown) or params}")
    model = cls(**params)
    model.vocabulary_ = [str(w) for w in state["vocabulary_"]]
    for key, kind in TOPIC_SCALARS.items():
        if key in state:
            setattr(model, key, kind(state[key]))
    arrays = _arrays(path)
    for key in TOPIC_ARRAYS:
        if key in arrays:
            setattr(model, key, arrays[key])
    if cls.artifact == "gensim":
        model.model_ = _rebuild_lda(path, state["gensim"], arrays)
    elif cls.artifact == "tomotopy":
        model.model_ = _rebuild_tomotopy(path, model, state["tomotopy"], arrays)
    elif cls.artifact != "arrays":
        model.model_ = _check_types(_skops_load(path.with_suffix(".skops"), list(cls.skops_types)), path,
                                    cls.skops_types)
    _check_topic_shapes(path, model)
    return model


def _load_merged(path: Path, state: dict[str, Any]) -> Any:
    from research.topics.merge import MergedTopicModel

    inner = _compat.current(state["base"]["class"])
    if inner not in topic_classes():
        raise RunError(f"{path}: merged topics of {inner!r}, which is not a registered topic back-end; "
                       "refusing to load it")
    base = _load_topic_model(path, inner, state["base"]["state"])
    try:
        return MergedTopicModel(base, state["groups"], [float(w) for w in state["prevalence"]])
    except ValueError as exc:
        raise RunError(f"{path}: {exc}; damaged artefact") from None


def _plain_setting(value: Any) -> bool:
    """A setting a model.json may hold: a scalar, or seed words (topic name -> list of words)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and isinstance(v, list) and all(isinstance(w, str) for w in v)
                   for k, v in value.items())
    return isinstance(value, (str, int, float, bool, type(None)))


def _rebuild_tomotopy(path: Path, model: Any, settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    """The tomotopy model, read without unpickling (research.topics.tomotopy_lda.rebuild)."""
    from research.topics.tomotopy_lda import rebuild

    try:
        return rebuild(arrays.get("tomotopy.model"), settings, model)
    except ValueError as exc:
        raise RunError(f"{path}: {exc}; damaged artefact") from None


def _check_topic_shapes(path: Path, model: Any) -> None:
    k, v = model.num_topics, len(model.vocabulary_)
    if getattr(model, "topic_word_", np.zeros(0)).shape != (k, v) or model.n_features_in_ != v:
        raise RunError(f"{path}: topic-word array, vocabulary and settings disagree in size; damaged artefact")


def _rebuild_lda(path: Path, settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    """A gensim ``LdaModel`` with the saved state: same inference and bound as the original."""
    from gensim.models import LdaModel

    s = {key: kind(settings[key]) for key, kind in GENSIM_SETTINGS.items()}
    if s["dtype"] not in DTYPES:
        raise RunError(f"{path}: gensim dtype {s['dtype']!r} is not one of {', '.join(DTYPES)}")
    dtype = np.dtype(s["dtype"]).type
    sstats, expelog = arrays["gensim.sstats"], arrays["gensim.expElogbeta"]
    shape = (s["num_topics"], s["num_terms"])
    if sstats.shape != shape or expelog.shape != shape:
        raise RunError(f"{path}: gensim arrays are not {shape}; damaged artefact")
    lda = LdaModel(corpus=None, num_topics=s["num_topics"], id2word={i: str(i) for i in range(s["num_terms"])},
                   chunksize=s["chunksize"], passes=s["passes"], alpha=arrays["gensim.alpha"],
                   eta=arrays["gensim.eta"], decay=s["decay"], offset=s["offset"], eval_every=None,
                   iterations=s["iterations"], gamma_threshold=s["gamma_threshold"], random_state=0, dtype=dtype)
    lda.state.sstats = sstats.astype(dtype, copy=False)
    lda.state.eta = arrays["gensim.state_eta"].astype(dtype, copy=False)
    lda.state.numdocs = s["numdocs"]
    lda.num_updates = s["num_updates"]
    lda.expElogbeta = expelog.astype(dtype, copy=False)
    return lda


def _load_tone_model(path: Path, state: dict[str, Any]) -> Any:
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from research.runs.finetuned import attach
    from research.tone import PromotionalScorer
    from research.tone.classifier import ToneClassifier

    pipeline = _skops_load(path.with_suffix(".skops"), TONE_TYPES)
    if not isinstance(pipeline, Pipeline):
        raise RunError(f"{path}: the tone model's .skops file holds a {_name(pipeline)}, not a Pipeline")
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
