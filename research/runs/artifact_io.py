"""The low-level pieces of a run artefact: class paths, skops files checked against a list
of trusted types, and ``.npz`` arrays read without pickle. :mod:`research.runs.artifacts`
picks the format by type; :mod:`research.runs.topic_artifacts` stores topic models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from research import _compat
from research.errors import ModelError, RunError

__all__ = ["check_type", "check_types", "class_path", "npz_arrays", "skops_dump", "skops_load"]


def class_path(obj_or_cls: Any) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__}.{cls.__qualname__}"


def skops_dump(obj: Any, path: Path, trusted: list[str]) -> None:
    """Write ``obj`` with skops, refusing (before writing) anything the loader would not trust."""
    import skops.io as sio

    try:
        data = sio.dumps(obj)
    except Exception as exc:
        raise ModelError(f"{path.name}: cannot save a {class_path(obj)} without pickle ({type(exc).__name__}: "
                         f"{exc}); {_UNSUPPORTED}") from None
    unknown = sorted(set(sio.get_untrusted_types(data=data)) - set(trusted))
    if unknown:
        python_only = [t for t in unknown if t.startswith(_PYTHON_ONLY)]
        raise ModelError(f"{path.name}: cannot save a {class_path(obj)} without pickle: it holds "
                         f"{', '.join(unknown)}, which a run artefact may not; "
                         + (_PYTHON_ONLY_HINT if python_only else _UNSUPPORTED))
    path.write_bytes(data)


_PYTHON_ONLY = ("research.tone.finetune.", "torch.")
_PYTHON_ONLY_HINT = ("a fine-tuned sentence model is stored only as a SentenceScorer's fine_tuned_ inside a tone "
                     "model (research.runs.finetuned); save other torch objects yourself")
_UNSUPPORTED = "only the types in research.runs.artifacts lists (scikit-learn and the package's own) can be stored"


def skops_load(path: Path, trusted: list[str]) -> Any:
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


def check_type(obj: Any, path: Path, prefix: str) -> Any:
    if not class_path(obj).startswith(prefix):
        raise RunError(f"{path}: holds a {class_path(obj)} where a {prefix}* was expected; refusing to use it")
    return obj


def check_types(obj: Any, path: Path, names: tuple[str, ...]) -> Any:
    if class_path(obj) not in names:
        raise RunError(f"{path}: holds a {class_path(obj)} where a {' or '.join(names)} was expected; "
                       "refusing to use it")
    return obj


def npz_arrays(path: Path) -> dict[str, np.ndarray]:
    npz = path.with_suffix(".npz")
    if not npz.is_file():
        raise RunError(f"{npz}: missing; the run is incomplete and cannot be reused")
    with np.load(npz, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
