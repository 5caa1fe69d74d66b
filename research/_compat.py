"""Old module paths, so that run folders written before the sub-packages (issue 11) still load.

Until then the package was flat: ``research.clean.TextPipeline``, ``research.tone_run.
DocumentToneModel``, ``research.furniture``, ``research.tokens`` ... Those paths are stored
in old run folders: as the ``class`` tag of a JSON artefact (``model.json``, ``cleaner.json``),
as type names inside ``.skops`` files, and as globals inside legacy ``.joblib`` pickles
(loaded only with ``trusted=True``). This module maps each old path to where the class
lives now; nothing else in the package knows the old names.

* :func:`current` -- the current ``module.qualname`` for a tag read from disk;
* :func:`with_legacy` -- a list of trusted skops type names plus their old spellings;
* :func:`legacy_modules` -- a context manager that serves the old *modules* (``research.
  tone_run``, ``research.furniture``, ...) from ``sys.modules`` while skops or joblib
  imports them, without creating files at those paths. ``research.clean`` is a package
  now; it serves its old names (``TextPipeline``) itself.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

__all__ = ["LEGACY_CLASSES", "LEGACY_MODULES", "current", "legacy_modules", "with_legacy"]

LEGACY_CLASSES = {  # old module.qualname -> current module.qualname
    "research.tone_run.DocumentToneModel": "research.tone.classifier.ToneClassifier",
    "research.tone.classifier.DocumentToneModel": "research.tone.classifier.ToneClassifier",
    "research.clean.TextPipeline": "research.clean.pipeline.TextPipeline",
    "research.clean.cleaner.TextPipeline": "research.clean.pipeline.TextPipeline",
}
LEGACY_MODULES = {  # old flat module -> the module that holds its contents now
    "research.tone_run": "research.tone.classifier",
    "research.furniture": "research.clean.furniture",
    "research.tokens": "research.clean.tokens",
    "research.dedup": "research.clean.dedup",
    "research.repair": "research.clean.repair",
    "research.documents": "research.corpus.documents",
}


def current(name: str) -> str:
    """Where the class tagged ``name`` (``module.qualname``) lives now."""
    return LEGACY_CLASSES.get(name, name)


def with_legacy(type_names: Iterable[str]) -> list[str]:
    """``type_names`` plus the old name of each one that moved."""
    names = list(type_names)
    return names + [old for old, new in LEGACY_CLASSES.items() if new in names and old not in names]


def _proxy(old: str, new: str) -> types.ModuleType:
    module = types.ModuleType(old, f"old path of {new} (research._compat)")

    def __getattr__(name: str):
        target = current(f"{old}.{name}")
        if target != f"{old}.{name}":
            path, _, attr = target.rpartition(".")
            return getattr(importlib.import_module(path), attr)
        return getattr(importlib.import_module(new), name)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


@contextmanager
def legacy_modules() -> Iterator[None]:
    """Serve the old flat module paths while an old artefact is read; removed afterwards."""
    added = [old for old in LEGACY_MODULES if old not in sys.modules]
    for old in added:
        sys.modules[old] = _proxy(old, LEGACY_MODULES[old])
    try:
        yield
    finally:
        for old in added:
            sys.modules.pop(old, None)
