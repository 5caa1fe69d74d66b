"""Load a finished run and reuse what it trained.

``load_run(path)`` checks that the run completed, that every artefact it lists still has
the SHA-256 recorded in ``run.json`` (a changed or missing file is refused), and warns when
the installed scikit-learn or gensim differ from the versions the run recorded.

Security: the artefacts are JSON, ``.npz`` arrays (read without pickle) and skops files
(read with an explicit list of trusted types; see :mod:`research.runs.artifacts`), so loading a
run folder from someone else never executes code from it. Run folders written by research
0.1.0 hold ``.joblib`` pickles instead; their artefacts load only with
``load_run(path, trusted=True)``, since unpickling can run any code.
"""

from __future__ import annotations

import json
import re
import warnings
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from research.errors import RunError, UnscorableError
from research.runs.artifacts import load_artifact
from research.runs.folder import library_versions, read_run_json, sha256_file
from research.runs.summary import topic_families

__all__ = ["Run", "UnscorableWarning", "VersionWarning", "load_run"]

CHECKED_LIBRARIES = ("scikit-learn", "gensim", "numpy")
EMPTY_CHOICES = ("nan", "raise")
_WORD = re.compile(r"\w")


class VersionWarning(UserWarning):
    """A run is loaded under library versions other than those it was trained with."""


class UnscorableWarning(UserWarning):
    """Some texts gave a reused run nothing to read; ``count`` of them, their rows are NaN."""

    def __init__(self, message: str, count: int):
        super().__init__(message)
        self.count = count


def load_run(path: str | Path, trusted: bool = False) -> Run:
    """Open a complete run folder for reuse (see :class:`Run`).

    ``trusted=True`` also loads legacy ``.joblib`` artefacts (pickles, written by research
    0.1.0), which can run code: pass it only for folders from someone you trust. Without
    it such an artefact raises :class:`RunError` when it is first needed."""
    folder = Path(path)
    if not folder.is_dir():
        raise RunError(f"{folder}: no such run folder; give a folder under results/")
    record = read_run_json(folder)
    status = record.get("status")
    if status != "complete":
        raise RunError(f"{folder}: run status is '{status}', not 'complete'; only complete runs can be reused")
    _check_versions(folder, record)
    run = Run(folder, record)
    run.trusted = trusted is True
    return run


def _check_versions(folder: Path, record: dict[str, Any]) -> None:
    now = library_versions()
    for name in CHECKED_LIBRARIES:
        then = record.get("versions", {}).get(name)
        if then and now.get(name) and then != now[name]:
            warnings.warn(f"{folder}: trained with {name} {then}, loading under {name} {now[name]}; "
                          "results may differ", VersionWarning, stacklevel=3)


class Run:
    """A complete run: its config, metrics, and trained objects (loaded lazily, verified)."""

    def __init__(self, path: Path, record: dict[str, Any]):
        self.path = path
        self.record = record

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, kind={self.kind!r})"

    @property
    def kind(self) -> str:
        return self.record.get("kind", "unknown")

    @cached_property
    def config(self) -> dict[str, Any]:
        return yaml.safe_load(self._read_checked("config.yaml").decode("utf-8"))

    @cached_property
    def metrics(self) -> dict[str, Any]:
        return json.loads(self._read_checked("metrics.json").decode("utf-8"))

    trusted = False   # set by load_run(..., trusted=True): legacy pickles may be loaded

    @cached_property
    def vectorizer(self) -> Any:
        return self._load_artifact("vectorizer")

    @cached_property
    def cleaner(self) -> Any:
        return self._load_artifact("cleaner")

    @cached_property
    def model(self) -> Any:
        model = self._load_artifact("model")
        if self.kind == "tone" and not hasattr(model, "threshold_"):   # saved before thresholds were stored
            model.threshold_ = float(self.config.get("tone", {}).get("threshold", 0.5))
        return model

    def clean(self, texts: list[str]) -> list[list[str]]:
        """Tokens of raw texts cleaned exactly as this run cleaned its corpus, one list per text
        (a single string counts as one text): the run's ``clean:`` settings and learned phrases,
        the per-text steps as in training (a short headline on its own is dropped, unlike
        :meth:`tokenize`, which keeps it for scoring) and paragraphs repeated inside a text.
        For a document of the run these are the tokens its model saw, unless a corpus step
        changed it: lines repeated across an outlet's documents (``repeated_line`` in
        data.json), or it was dropped (a duplicate, fewer than ``clean.min_tokens``); those
        steps need the whole corpus. ``" ".join(tokens)`` is the text the vectoriser reads."""
        from research.clean.cleaner import clean_each

        return clean_each(self.cleaner, _as_list(texts), self.config["clean"])

    def clean_texts(self, texts: list[str]) -> list[str]:
        """New texts after the run's per-text cleaning, as texts given for scoring
        (:meth:`~research.clean.pipeline.TextPipeline.clean_for_scoring`: a headline on its own is
        not deleted as a short line)."""
        return [self.cleaner.clean_for_scoring(str(t)) for t in _as_list(texts)]

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """Tokens of new texts, cleaned as the training texts were (per-text steps)."""
        return [self.cleaner.tokens_of(t) for t in self.clean_texts(texts)]

    def vectorize(self, texts: list[str]):
        """The vectoriser's matrix for new texts after the run's full cleaning."""
        return self.vectorizer.transform([" ".join(t) for t in self.tokenize(texts)])

    def transform(self, texts: list[str], empty: str = "nan") -> np.ndarray:
        """Topic shares of new texts (topic-model runs), after the run's own cleaning.

        A text with no word of the run's vocabulary has no topic shares: its row is NaN
        with an :class:`UnscorableWarning` counting such texts (``empty="nan"``), or
        :class:`~research.errors.UnscorableError` is raised (``empty="raise"``)."""
        families = topic_families(self.config.get("topics", {}))
        if self.kind not in families:
            raise RunError(f"{self.path}: transform() needs a topic-model run ({' or '.join(families)}), "
                           f"this is '{self.kind}'")
        _check_empty(empty)
        matrix = self.vectorize(texts)
        unread = np.flatnonzero(matrix.getnnz(axis=1) == 0)
        _unscorable(unread, matrix.shape[0], empty, "no word of the run's vocabulary", "transform")
        shares = np.array(self.model.transform(matrix), dtype=float)
        shares[unread] = np.nan
        return shares

    def predict_proba(self, texts: list[str], empty: str = "nan") -> np.ndarray:
        """Class probabilities of new texts (tone runs), after the run's own cleaning, as
        ``apply`` and the run's held-out predictions; columns follow ``model.classes_``.
        A text with nothing left after cleaning gets a NaN row (see :meth:`transform`)."""
        return self.clean_and_score(texts, empty)[1]

    def predict(self, texts: list[str], empty: str = "nan") -> list[str | None]:
        """Predicted labels by the saved model's decision threshold on P(``tone.positive``) (the
        number of ``tone.threshold``, or the one ``auto`` chose), the rule of its metrics and
        ``predictions.csv``; None for a text it could not read."""
        from research.tone.evaluation import decide

        tone = self.config["tone"]
        return decide(self.predict_proba(texts, empty), self.model.classes_, tone["positive"],
                      self.model.decision_threshold())

    def clean_and_score(self, texts: list[str], empty: str = "nan") -> tuple[list[str], np.ndarray]:
        """The cleaned texts and their class probabilities (tone runs; what ``apply`` uses)."""
        if self.kind != "tone":
            raise RunError(f"{self.path}: predict_proba() needs a tone run, this is '{self.kind}'")
        _check_empty(empty)
        cleaned = self.clean_texts(texts)
        readable = [i for i, t in enumerate(cleaned) if _WORD.search(t)]
        unread = np.setdiff1d(np.arange(len(cleaned)), readable)
        _unscorable(unread, len(cleaned), empty, "no text left after the run's cleaning", "predict_proba")
        proba = np.full((len(cleaned), len(self.model.classes_)), np.nan)
        if readable:
            proba[readable] = self.model.predict_proba([cleaned[i] for i in readable])
        return cleaned, proba

    def _read_checked(self, relative: str) -> bytes:
        path = self.path / relative
        expected = self.record.get("artifacts", {}).get(relative)
        if not path.is_file():
            raise RunError(f"{self.path}: missing file {relative}; the run is incomplete and cannot be reused")
        if expected is None:
            raise RunError(f"{self.path}: {relative} is not listed in run.json; the run cannot be verified")
        if sha256_file(path) != expected:
            raise RunError(f"{self.path}: {relative} changed since the run wrote it (SHA-256 mismatch); "
                           "refusing to load it")
        return path.read_bytes()

    def _load_artifact(self, name: str) -> Any:
        """``artifacts/<name>.json`` or ``.skops`` (and the files beside it), or a legacy
        ``.joblib`` pickle when the run was loaded with ``trusted=True``; every file checked
        against run.json first."""
        listed = self.record.get("artifacts", {})
        prefix = f"artifacts/{name}."
        main = next((prefix + s for s in ("json", "skops", "joblib") if prefix + s in listed), None)
        if main is None:
            raise RunError(f"{self.path}: run.json lists no {prefix}json, .skops or .joblib; the run is "
                           "incomplete and cannot be reused")
        on_disk = {p.relative_to(self.path).as_posix() for p in (self.path / "artifacts").glob(f"{name}.*")}
        for relative in sorted({k for k in listed if k.startswith(prefix)} | on_disk):
            self._read_checked(relative)
        if main.endswith(".joblib") and not self.trusted:
            made_by = self.record.get("versions", {}).get("research") or "an older version"
            raise RunError(f"{self.path}: {main} is a pickle (written by research {made_by}); loading it can "
                           "run code: pass trusted=True only if you trust who made this folder")
        return load_artifact(self.path / main, trusted=self.trusted)


def _check_empty(empty: str) -> None:
    if empty not in EMPTY_CHOICES:
        raise RunError(f"empty={empty!r}: allowed: {', '.join(map(repr, EMPTY_CHOICES))} (a NaN row with a warning, "
                       "or refuse the texts)")


def _unscorable(rows: np.ndarray, total: int, empty: str, why: str, method: str) -> None:
    """Refuse or warn about the texts at ``rows`` (nothing happens when there are none)."""
    if not len(rows):
        return
    shown = ", ".join(map(str, rows[:10])) + (", ..." if len(rows) > 10 else "")
    message = f"{method}: {len(rows)} of {total} text(s) have {why} (index {shown})"
    if empty == "raise":
        raise UnscorableError(f"{message}; give them some article text, or pass empty='nan' to get NaN rows")
    warnings.warn(UnscorableWarning(f"{message}; their rows are NaN", len(rows)), stacklevel=3)


def _as_list(texts: Any) -> list[str]:
    if isinstance(texts, str):
        return [texts]
    return list(texts)
