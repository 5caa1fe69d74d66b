"""How far guided topics drifted from their seed words.

For each seeded topic (topic ``i`` is the ``i``-th entry of the seed mapping): which of its
seeds are among its top-N words, the share of them (``seed_recall``), their mean rank in the
topic (1 = its heaviest word), and the cosine similarity between the topic's word
distribution and the indicator vector of its seeds (1 only for a topic made of its seeds
alone, in equal parts; it falls as the topic spreads its weight over other words). And, for
every seed word, the topic it ended up most associated with (the topic that gives it the
highest probability), which shows seeds captured by another topic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["SeedDrift", "seed_drift", "seed_labels", "seed_word_topics"]


@dataclass(frozen=True)
class SeedDrift:
    """One seeded topic's drift: ``seeds`` as given, ``in_vocabulary`` the vocabulary terms they
    became, ``in_top_n`` those among the topic's ``top_words``."""

    topic: int
    name: str
    seeds: tuple[str, ...]
    in_vocabulary: tuple[str, ...]
    in_top_n: tuple[str, ...]
    recall: float
    mean_rank: float | None
    cosine: float
    top_words: tuple[str, ...]

    def row(self) -> dict[str, object]:
        """The row of ``seed_topics.csv`` (word lists space-separated)."""
        return {"topic": self.topic, "name": self.name, "seeds": " ".join(self.seeds),
                "seeds_in_vocabulary": " ".join(self.in_vocabulary), "seeds_in_top_n": " ".join(self.in_top_n),
                "seed_recall": round(self.recall, 6),
                "mean_seed_rank": None if self.mean_rank is None else round(self.mean_rank, 3),
                "cosine": round(self.cosine, 6), "top_words": " ".join(self.top_words)}


def seed_labels(seed_words: Mapping[str, Sequence[str]] | None, num_topics: int | None = None) -> dict[int, str]:
    """``{topic index: name}`` of the seeded topics (the i-th name labels topic i)."""
    names = list(seed_words or {})
    return {i: name for i, name in enumerate(names) if num_topics is None or i < num_topics}


def _ranks(row: np.ndarray) -> np.ndarray:
    """1-based rank of every word in a topic, heaviest first (ties: vocabulary order)."""
    ranks = np.empty(row.size, dtype=np.int64)
    ranks[np.argsort(-row, kind="stable")] = np.arange(1, row.size + 1)
    return ranks


def seed_drift(topic_word: np.ndarray, vocabulary: Sequence[str], seed_terms: Mapping[str, Sequence[str]],
               top_n: int, seeds_given: Mapping[str, Sequence[str]] | None = None) -> list[SeedDrift]:
    """The drift of each seeded topic of ``topic_word`` (K x V): ``seed_terms`` maps each name
    to its seeds as vocabulary terms (terms not in ``vocabulary`` are left out), ``seeds_given``
    to the words as the user wrote them (default: the terms)."""
    index = {w: j for j, w in enumerate(vocabulary)}
    out = []
    for topic, (name, terms) in enumerate(seed_terms.items()):
        row = np.asarray(topic_word[topic], dtype=np.float64)
        known = [t for t in dict.fromkeys(terms) if t in index]
        cols = np.array([index[t] for t in known], dtype=np.int64)
        ranks = _ranks(row)
        top = [vocabulary[j] for j in np.argsort(-row, kind="stable")[:top_n]]
        found = tuple(t for t in known if ranks[index[t]] <= top_n)
        indicator = np.zeros_like(row)
        indicator[cols] = 1.0
        norm = float(np.linalg.norm(row) * np.linalg.norm(indicator))
        out.append(SeedDrift(topic, name, tuple((seeds_given or seed_terms)[name]), tuple(known), found,
                             len(found) / len(known) if known else 0.0,
                             float(ranks[cols].mean()) if known else None,
                             float(row @ indicator) / norm if norm > 0 else 0.0, tuple(top)))
    return out


def seed_word_topics(topic_word: np.ndarray, vocabulary: Sequence[str],
                     seed_terms: Mapping[str, Sequence[str]]) -> list[dict[str, object]]:
    """One row per seed term in the vocabulary: its seeded topic and rank there, and the topic
    that gives it the highest probability, with that topic's share of the word's probability
    summed over topics (``seed_words.csv``)."""
    index = {w: j for j, w in enumerate(vocabulary)}
    labels = seed_labels(seed_terms, topic_word.shape[0])
    rows = []
    for topic, (name, terms) in enumerate(seed_terms.items()):
        ranks = _ranks(np.asarray(topic_word[topic]))
        for term in (t for t in dict.fromkeys(terms) if t in index):
            column = np.asarray(topic_word[:, index[term]], dtype=np.float64)
            best = int(np.argmax(column))
            rows.append({"name": name, "seed": term, "topic": topic, "rank_in_topic": int(ranks[index[term]]),
                         "most_associated_topic": best, "most_associated_label": labels.get(best, ""),
                         "share": round(float(column[best] / column.sum()) if column.sum() > 0 else 0.0, 6),
                         "stayed": best == topic})
    return rows
