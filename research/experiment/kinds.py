"""The registry of model kinds: ``model.kind`` -> runner, precheck and corpus loader.

A kind module (:mod:`research.experiment.tfidf`, :mod:`research.experiment.topic`,
:mod:`research.experiment.tone`) registers itself with :func:`register_kind`; the runner and
the sweep look kinds up here and never name them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from research.config.load import Config
from research.errors import ConfigError
from research.experiment.stages import Prepared
from research.runs.folder import RunFolder

__all__ = ["LOADERS", "PRECHECKS", "RUNNERS", "precheck", "register_kind"]

Runner = Callable[[Config, RunFolder, Prepared], dict[str, Any]]
Precheck = Callable[[Config], None]
RUNNERS: dict[str, Runner] = {}
PRECHECKS: dict[str, Precheck] = {}
LOADERS: dict[str, Callable[[Config], list]] = {}


def register_kind(name: str, precheck: Precheck | None = None,
                  loader: Callable[[Config], list] | None = None) -> Callable[[Runner], Runner]:
    """Register a runner for ``model.kind: name``; ``precheck`` validates the config's
    model settings before any run folder exists or any data is read; ``loader`` replaces
    the reading of ``corpus`` (a kind that combines several corpora)."""
    def wrap(func: Runner) -> Runner:
        RUNNERS[name] = func
        if precheck is not None:
            PRECHECKS[name] = precheck
        if loader is not None:
            LOADERS[name] = loader
        return func
    return wrap


def precheck(config: Config) -> Runner:
    """The runner of ``config``'s kind, after the kind's own checks of its settings (before any
    run folder exists); an unknown ``model.kind`` lists the valid ones."""
    kind = config["model"]["kind"]
    runner = RUNNERS.get(kind)
    if runner is None:
        raise ConfigError(f"model.kind: unknown kind '{kind}'; valid: {', '.join(sorted(RUNNERS))}")
    if kind in PRECHECKS:
        PRECHECKS[kind](config)
    return runner
