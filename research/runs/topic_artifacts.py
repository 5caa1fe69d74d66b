"""Topic models as run artefacts: a back-end's settings and fitted scalars as JSON, its
arrays in ``.npz`` (read without pickle), its library model as arrays (gensim ``LdaModel``,
tomotopy) or a checked ``.skops`` file; merged topics as their groups plus the base model's
state. :mod:`research.runs.artifacts` writes the JSON and reads it back through here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from research import _compat
from research.errors import ModelError, RunError
from research.runs.artifact_io import check_types, class_path, npz_arrays, skops_dump, skops_load

if TYPE_CHECKING:
    from research.topics import TopicModel

__all__ = ["TOPIC_ARRAYS", "TOPIC_SCALARS", "load_merged", "load_topic_model", "merged_state", "topic_classes",
           "topic_state"]

TOPIC_SCALARS = {"n_features_in_": int, "n_iter_": int, "converged_": bool, "reconstruction_error_": float}
TOPIC_ARRAYS = ("topic_word_", "doc_topic_", "alpha_", "embed_components_", "embed_mean_", "centroids_",
                "distance_scale_")   # the last four: research.topics.embed
GENSIM_SETTINGS = {"num_topics": int, "num_terms": int, "dtype": str, "chunksize": int, "decay": float,
                   "offset": float, "passes": int, "iterations": int, "gamma_threshold": float,
                   "numdocs": int, "num_updates": int}
DTYPES = ("float16", "float32", "float64")


def topic_classes() -> dict[str, type[TopicModel]]:
    """The registered topic back-ends (:data:`research.topics.TOPIC_BACKENDS`) by class path;
    each declares how its library model is stored (``artifact``, ``skops_types``)."""
    from research.topics import TOPIC_BACKENDS

    return {class_path(cls): cls for cls in map(TOPIC_BACKENDS.get, TOPIC_BACKENDS)}


# -- saving --------------------------------------------------------------------------------
def merged_state(model: Any, base: Path) -> dict[str, Any]:
    """The JSON state of merged topics: the groups of topics with the base model's state (whose
    .npz/.skops it writes beside ``base``)."""
    inner = class_path(model.base)
    if inner not in topic_classes():
        raise ModelError(f"{base.name}: merged topics of a {inner}, which is not a registered topic back-end")
    state = {"groups": [[int(k) for k in g] for g in model.groups],
             "prevalence": [float(w) for w in model.prevalence],
             "base": {"class": inner, "state": topic_state(model.base, base, inner)}}
    return state


def topic_state(model: Any, base: Path, name: str) -> dict[str, Any]:
    """A topic back-end's JSON state; writes its arrays (.npz) and library model (.skops)."""
    state: dict[str, Any] = {"params": model.get_params(), "vocabulary_": [str(w) for w in model.vocabulary_]}
    arrays: dict[str, np.ndarray] = {}
    for key, value in vars(model).items():
        if key in TOPIC_SCALARS:
            state[key] = TOPIC_SCALARS[key](value)
        elif key in TOPIC_ARRAYS:
            arrays[key] = np.asarray(value)
        elif key not in ("model_", "vocabulary_") and key not in state["params"]:
            raise ModelError(f"{base.name}: {name} holds {key!r}, which research.runs.topic_artifacts does not "
                             "know how to save; add it to TOPIC_SCALARS or TOPIC_ARRAYS")
    if type(model).artifact == "gensim":
        state["gensim"] = _gensim_state(model.model_, arrays)
    elif type(model).artifact == "tomotopy":
        from research.topics.tomotopy_lda import stored

        arrays["tomotopy.model"], state["tomotopy"] = stored(model.model_)
    elif type(model).artifact != "arrays":   # "arrays": the state is all in TOPIC_ARRAYS
        skops_dump(model.model_, base.with_suffix(".skops"), list(type(model).skops_types))
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


# -- loading --------------------------------------------------------------------------------
def load_topic_model(path: Path, name: str, state: dict[str, Any]) -> Any:
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
    arrays = npz_arrays(path)
    for key in TOPIC_ARRAYS:
        if key in arrays:
            setattr(model, key, arrays[key])
    if cls.artifact == "gensim":
        model.model_ = _rebuild_lda(path, state["gensim"], arrays)
    elif cls.artifact == "tomotopy":
        model.model_ = _rebuild_tomotopy(path, model, state["tomotopy"], arrays)
    elif cls.artifact != "arrays":
        model.model_ = check_types(skops_load(path.with_suffix(".skops"), list(cls.skops_types)), path,
                                    cls.skops_types)
    _check_topic_shapes(path, model)
    return model


def load_merged(path: Path, state: dict[str, Any]) -> Any:
    from research.topics.merge import MergedTopicModel

    inner = _compat.current(state["base"]["class"])
    if inner not in topic_classes():
        raise RunError(f"{path}: merged topics of {inner!r}, which is not a registered topic back-end; "
                       "refusing to load it")
    base = load_topic_model(path, inner, state["base"]["state"])
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
