"""Cleaning: page furniture, encoding repair, duplicates, tokens and phrases, the cleaning cache.

``TextPipeline`` (one document's cleaner, what a run saves) lives in
:mod:`research.clean.pipeline`, ``clean_corpus`` and ``CleanResult`` in
:mod:`research.clean.cleaner`; they are served here too, lazily, so
that ``from research.clean import TextPipeline`` (the path before the sub-packages, stored
in old run folders) keeps working without importing the cleaner for every submodule.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CleanResult", "TextPipeline", "clean_corpus"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        module = "research.clean.pipeline" if name == "TextPipeline" else "research.clean.cleaner"
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'research.clean' has no attribute {name!r}")
