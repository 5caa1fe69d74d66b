"""The tone kind's sentence models (``tone.sentences``): the subjectivity model trained on
CheckThat! sentences (optionally with embeddings and fine-tuned networks) and the propaganda
model trained on PTC lines, built once per run and used as document features (``sentences``).
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

from research.config.load import Config
from research.errors import ConfigError, ModelError
from research.tone import SentenceScorer
from research.tone.embeddings import EXTRA_HINT

__all__ = ["check_sentences", "sentence_scorers"]


def check_sentences(settings: dict[str, Any]) -> None:
    """The sentence models' files, and the extra that embeddings and fine-tuning need."""
    folder = Path(settings["subjectivity"])
    for split in settings["subjectivity_splits"]:
        if not (folder / f"{split}_en.tsv").is_file():
            raise ConfigError(f"tone.sentences.subjectivity: no {split}_en.tsv in {folder} (tone.sentences."
                              "subjectivity_splits); point it at the CheckThat 2025 English folder")
    if settings["propaganda"] is not None and not Path(settings["propaganda"]).exists():
        raise ConfigError(f"tone.sentences.propaganda: no such file: {settings['propaganda']}; point it at the "
                          "shared data, set it to null or drop 'sentences' from tone.features")
    if settings["fine_tune"] is not False and not settings["embeddings"]:
        raise ConfigError("tone.sentences.fine_tune: needs tone.sentences.embeddings: true (the fine-tuned "
                          "networks are averaged with the embeddings model)")
    if settings["embeddings"]:
        from research.tone.finetune import finetune_available

        if not finetune_available():
            raise ModelError(EXTRA_HINT)


def _sentence_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def sentence_scorers(config: Config, log: logging.Logger,
                     metrics: dict[str, Any]) -> dict[str, SentenceScorer] | None:
    """The trained subjectivity (and propaganda) sentence models; fine-tuning seconds per
    seed go to the log and to ``metrics["sentence_models"]``."""
    if "sentences" not in config["tone"]["features"]:
        return None
    settings = config["tone"]["sentences"]
    folder = Path(settings["subjectivity"])
    rows = [r for split in settings["subjectivity_splits"] for r in _sentence_rows(folder / f"{split}_en.tsv")]
    fine_tune = settings["fine_tune"] if isinstance(settings["fine_tune"], bool) else tuple(settings["fine_tune"])
    subjective = SentenceScorer(positive="SUBJ", C=settings["C"], class_weight=settings["class_weight"],
                                char_ngrams=settings["char_ngrams"], embeddings=settings["embeddings"],
                                fine_tune=fine_tune, fine_tune_epochs=settings["fine_tune_epochs"],
                                fine_tune_threads=settings["fine_tune_threads"])
    subjective.fit([r["sentence"] for r in rows], [r["label"] for r in rows])
    scorers = {"subjective": subjective}
    info: dict[str, Any] = {"subjective": {"sentences": len(rows), "splits": list(settings["subjectivity_splits"]),
                                           "embeddings": settings["embeddings"]}}
    if subjective.fine_tuned_ is not None:
        seconds = {str(seed): round(t, 1) for seed, t in zip(subjective.fine_tuned_.seeds,
                                                            subjective.fine_tuned_.fit_seconds_, strict=True)}
        info["subjective"]["fine_tune_seconds"] = seconds
        for seed, t in seconds.items():
            log.info("fine-tuned subjectivity network, seed %s: %.1f s (%d epochs, %d sentences)", seed, t,
                     settings["fine_tune_epochs"], len(rows))
    lines: list[dict[str, str]] = []
    if settings["propaganda"] is not None:
        lines = [r for r in _sentence_rows(Path(settings["propaganda"]))
                 if len(r["sentence"].split()) >= settings["min_words"]]
        propaganda = SentenceScorer(positive="1", C=settings["C"], class_weight=settings["class_weight"],
                                    char_ngrams=settings["char_ngrams"])
        scorers["propaganda"] = propaganda.fit([r["sentence"] for r in lines], [r["propaganda"] for r in lines])
        info["propaganda"] = {"sentences": len(lines)}
    log.info("sentence models: %d CheckThat sentences, %d PTC lines", len(rows), len(lines))
    metrics["sentence_models"] = info
    return scorers
