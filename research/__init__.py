"""research: config-driven topic modelling and tone classification for news corpora.

corpus -> clean -> vectorise -> model -> evaluate -> run folder -> compare / reuse

One sub-package per stage, each importing only the layers below it (checked by
import-linter, see ``[tool.importlinter]`` in pyproject.toml)::

    cli          command line and make targets
    experiment   a config through the stages: runner, stages, topic / tone kinds, apply, sweep
    runs         the run folder: artefacts, reuse (load_run), compare, report
    config       defaults.yaml, the schema, loading and overrides
    topics tone  the models (scikit-learn estimators); evaluate: topic-model metrics
    vectorise    TF-IDF / count vectorisers
    clean        furniture, repair, duplicates, tokens, the cleaning cache
    corpus       reading corpora into Documents
    util         worker processes, hashing, GC pause, sizes, figure saving
    errors       the exceptions every layer raises

Names are imported on first use, so ``python -m research compare`` does not pay for
scikit-learn and gensim.
"""

from __future__ import annotations

import importlib
from typing import Any

from research.errors import (
    CleaningError,
    ConfigError,
    CorpusError,
    ModelError,
    ParameterError,
    ResearchError,
    RunError,
    UnscorableError,
    VectorizerError,
)

__version__ = "0.1.0"

_LAZY = {
    "Config": "config.load", "load_config": "config.load",
    "CorpusWarning": "corpus.read", "read_corpus": "config.corpus",
    "Document": "corpus.documents",
    "run_experiment": "experiment.runner",
    "Run": "runs.reuse", "VersionWarning": "runs.reuse", "UnscorableWarning": "runs.reuse", "load_run": "runs.reuse",
    "compare": "runs.compare", "write_report": "runs.report", "run_sweep": "experiment.sweep",
    "apply_run": "experiment.apply",
}

__all__ = [
    "CleaningError",
    "Config",
    "ConfigError",
    "CorpusError",
    "CorpusWarning",
    "Document",
    "ModelError",
    "ParameterError",
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
