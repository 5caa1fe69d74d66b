"""Guided topics in a run (``topics.seed_words``): the seed words as the run's vocabulary
sees them, and the drift report of the fitted topics.

Each seed word goes through the run's own token pipeline (lowercasing, lemmas, stop words,
learned phrases: what the corpus went through), so ``Defence`` seeds the term ``defence``,
or its lemma when ``clean.tokens.lemmatize`` is on. A multi-word seed is matched as the
n-gram when the vocabulary has it, else as its words. Seeds that leave no vocabulary term
are listed in one warning; a topic none of whose seeds is left is an error naming it.
"""

from __future__ import annotations

from typing import Any

from research.config.load import Config
from research.errors import ConfigError
from research.evaluate import seed_drift, seed_word_topics
from research.experiment.stages import Prepared
from research.runs.folder import RunFolder
from research.util.tables import write_csv

__all__ = ["resolve_seed_words", "write_seed_report"]


def _terms(word: str, pipeline: Any, vocabulary: set[str]) -> list[str]:
    """The vocabulary terms one seed word becomes (none: not in the vocabulary)."""
    tokens = pipeline.tokens_of(word)
    joined = " ".join(tokens)
    if len(tokens) > 1 and joined in vocabulary:
        return [joined]
    return [t for t in tokens if t in vocabulary]


def resolve_seed_words(config: Config, prepared: Prepared, run: RunFolder) -> dict[str, list[str]] | None:
    """``topics.seed_words`` as vocabulary terms (None when unguided), after one warning that
    lists the seeds not in the vocabulary; a ConfigError if a topic keeps none."""
    given = config["topics"]["seed_words"]
    if not given:
        return None
    vocabulary = set(map(str, prepared.vocabulary))
    resolved: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    for name, words in given.items():
        found = {word: _terms(word, prepared.cleaned.pipeline, vocabulary) for word in words}
        resolved[name] = list(dict.fromkeys(t for terms in found.values() for t in terms))
        missing[name] = [word for word, terms in found.items() if not terms]
    lost = {name: words for name, words in missing.items() if words}
    if lost:
        run.warn(f"topics.seed_words: {sum(map(len, lost.values()))} seed words are not in the vocabulary after "
                 "cleaning and vectorising, and are ignored: "
                 + "; ".join(f"{name}: {', '.join(words)}" for name, words in lost.items()))
    for name, terms in resolved.items():
        if not terms:
            raise ConfigError(f"topics.seed_words.{name}: none of its seed words ({', '.join(given[name])}) is in "
                              "the vocabulary after cleaning (stop words, lemmas, vectorizer.min_df / max_df); give "
                              "words that occur in the corpus")
    return resolved


def write_seed_report(config: Config, run: RunFolder, result: Any, seeds: dict[str, list[str]]) -> dict[str, Any]:
    """``seed_topics.csv`` (one row per seeded topic) and ``seed_words.csv`` (one row per seed
    term); returns ``{"seeded": {name: {topic, seed_recall, cosine}}}`` for metrics.json."""
    top_n = config["topics"]["top_n"]
    drift = seed_drift(result.topic_word, result.vocabulary, seeds, top_n, config["topics"]["seed_words"])
    write_csv(run.path / "seed_topics.csv", [d.row() for d in drift])
    write_csv(run.path / "seed_words.csv", seed_word_topics(result.topic_word, result.vocabulary, seeds))
    run.log.info("seeded topics (seeds in the top %d, cosine with the seeds): %s", top_n,
                 ", ".join(f"{d.name} {len(d.in_top_n)}/{len(d.in_vocabulary)} {d.cosine:.3f}" for d in drift))
    return {"seeded": {d.name: {"topic": d.topic, "seed_recall": round(d.recall, 6), "cosine": round(d.cosine, 6)}
                       for d in drift}}
