"""research: config-driven topic modelling and tone classification for news corpora.

corpus -> clean -> vectorise -> model -> evaluate -> run folder -> compare / reuse

Names are imported on first use, so ``python -m research compare`` does not pay for
scikit-learn and gensim.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import (CleaningError, ConfigError, CorpusError, ModelError, ResearchError, RunError,
                     UnscorableError, VectorizerError)

__version__ = "0.1.0"

_LAZY = {
    "Config": "config", "load_config": "config",
    "CorpusWarning": "corpus", "read_corpus": "corpus",
    "Document": "documents",
    "run_experiment": "experiment",
    "Run": "reuse", "VersionWarning": "reuse", "UnscorableWarning": "reuse", "load_run": "reuse",
    "compare": "comparison", "write_report": "report", "run_sweep": "sweep", "apply_run": "apply",
}

__all__ = [
    "CleaningError",
    "Config",
    "ConfigError",
    "CorpusError",
    "CorpusWarning",
    "Document",
    "ModelError",
    "ResearchError",
    "Run",
    "RunError",
    "UnscorableError",
    "UnscorableWarning",
    "VectorizerError",
    "VersionWarning",
    "apply_run",
    "compare",
    "load_config",
    "load_run",
    "read_corpus",
    "run_experiment",
    "run_sweep",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'research' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
