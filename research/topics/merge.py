"""Merging (reducing) the topics of a fitted model, after fitting.

Similarity of two topics: the cosine of their topic-word rows (``topic_word_``, each a
distribution over the vocabulary). Cosine rather than the top-word Jaccard of
``topics.evaluate.similarity`` because it uses the whole distribution (two topics sharing no
top word but most of their mass are still close) and does not depend on a cut-off.

Merging is agglomerative with average linkage weighted by topic prevalence: the similarity of
two groups A and B is ``sum_{a in A, b in B} p_a p_b cos(a, b) / (P_A P_B)`` (``p`` = mean
share of a topic over the documents, ``P`` = a group's total), so a large topic weighs more
than a rare one in the average. At each step the two most similar groups are merged (ties:
the lowest indices), until ``reduce_to`` groups remain, or while the best similarity is at
least ``threshold`` (and more than two groups remain: a model keeps at least two topics).
The first merge is therefore always the most cosine-similar pair. With a threshold, every
merge is at a similarity >= it and no two groups left are that similar on average; two
topics that are that similar may still stay apart when the rest of their groups are unlike
(average linkage does not chain topics together through intermediate ones).

A merged topic's document shares are the sum of its members' columns (rows still sum to 1);
its topic-word row is the prevalence-weighted average of its members' rows, renormalised.
Merged topics are numbered by their lowest original topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin

from research.topics._base import TopicModel, TopicResult, normalize_rows, top_words_of, topic_tags

__all__ = ["MergedTopicModel", "Reduction", "cosine_similarity", "merge_groups", "merge_matrix", "reduce_topics"]


def cosine_similarity(topic_word: np.ndarray) -> np.ndarray:
    """K x K cosine similarity of the topic-word rows (diagonal 1)."""
    rows = np.asarray(topic_word, dtype=np.float64)
    norms = np.linalg.norm(rows, axis=1)
    norms[norms == 0] = 1.0
    unit = rows / norms[:, None]
    return np.clip(unit @ unit.T, -1.0, 1.0)


@dataclass(frozen=True)
class Reduction:
    """The groups of original topics (each sorted, ordered by their lowest topic) and, per
    group, the linkage similarity of the merge that completed it (None: not merged)."""

    groups: list[list[int]]
    similarity: list[float | None]


def merge_groups(topic_word: np.ndarray, prevalence: np.ndarray, reduce_to: int | None = None,
                 threshold: float | None = None) -> Reduction:
    """Agglomerative merging (see the module doc): exactly one of ``reduce_to`` (merge until
    that many groups remain) and ``threshold`` (merge while the best similarity >= it)."""
    if (reduce_to is None) == (threshold is None):
        raise ValueError("give exactly one of reduce_to and threshold")
    cos = cosine_similarity(topic_word)
    weight = np.maximum(np.asarray(prevalence, dtype=np.float64), 1e-12)
    groups: list[list[int]] = [[k] for k in range(cos.shape[0])]
    last: list[float | None] = [None] * len(groups)
    while len(groups) > max(2, reduce_to or 2):
        link = _linkage(cos, weight, groups)
        i, j = np.unravel_index(int(np.argmax(link)), link.shape)
        if threshold is not None and link[i, j] < threshold:
            break
        groups[i] = sorted(groups[i] + groups[j])
        last[i] = float(link[i, j])
        del groups[j], last[j]
    order = sorted(range(len(groups)), key=lambda g: groups[g][0])
    return Reduction([groups[g] for g in order], [last[g] for g in order])


def _linkage(cos: np.ndarray, weight: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """Prevalence-weighted average linkage of every pair of groups (upper triangle; -inf elsewhere)."""
    n = len(groups)
    link = np.full((n, n), -np.inf)
    for a in range(n):
        wa = weight[groups[a]]
        for b in range(a + 1, n):
            wb = weight[groups[b]]
            block = cos[np.ix_(groups[a], groups[b])]
            link[a, b] = float(wa @ block @ wb / (wa.sum() * wb.sum()))
    return link


def merge_matrix(groups: Sequence[Sequence[int]], num_topics: int) -> np.ndarray:
    """K x N indicator: ``doc_topic @ S`` sums each group's columns."""
    out = np.zeros((num_topics, len(groups)))
    for g, members in enumerate(groups):
        out[list(members), g] = 1.0
    return out


def reduce_topics(topic_word: np.ndarray, doc_topic: np.ndarray, groups: Sequence[Sequence[int]],
                  prevalence: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(merged topic-word rows, merged document shares): columns summed; rows the
    ``prevalence``-weighted average (default: the mean share in ``doc_topic``), renormalised."""
    s = merge_matrix(groups, topic_word.shape[0])
    weight = np.asarray(doc_topic.mean(axis=0) if prevalence is None else prevalence, dtype=np.float64)
    weight = np.maximum(weight, 1e-12)
    rows = (s * weight[:, None]).T @ topic_word
    return normalize_rows(rows), np.asarray(doc_topic, dtype=np.float64) @ s


def check_groups(groups: Any, num_topics: int) -> list[list[int]]:
    """``groups`` as lists of ints if they partition ``range(num_topics)``; else ValueError."""
    out = [[int(k) for k in g] for g in groups]
    flat = sorted(k for g in out for k in g)
    if flat != list(range(num_topics)) or any(not g for g in out):
        raise ValueError(f"groups {out} do not partition the {num_topics} topics of the model")
    return out


class MergedTopicModel(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """A fitted topic model whose topics are merged into ``groups`` (lists of its topic
    indices): ``transform`` sums the base model's columns; ``result()``, ``topic_word_``,
    ``doc_topic_`` and ``top_words`` give the merged topics. ``prevalence``: the base topics'
    weights for averaging topic-word rows (default: the mean of the base's ``doc_topic_``)."""

    def __init__(self, base: TopicModel, groups: Sequence[Sequence[int]], prevalence: Sequence[float] | None = None):
        self.base = base
        self.groups = groups
        self.prevalence = prevalence
        self._merge()

    def _merge(self) -> None:
        self.base._check_fitted()
        k = self.base.topic_word_.shape[0]
        self.groups = check_groups(self.groups, k)
        doc_topic = self.base.doc_topic_
        if self.prevalence is None and doc_topic.shape[0] == 0:
            raise ValueError("a streamed model has no doc_topic_: give prevalence")
        weight = doc_topic.mean(axis=0) if self.prevalence is None else np.asarray(self.prevalence, dtype=np.float64)
        if weight.shape != (k,):
            raise ValueError(f"{weight.size} topic weights (prevalence) for the {k} topics of the model")
        self.prevalence = [float(w) for w in weight]
        self.topic_word_, self.doc_topic_ = reduce_topics(self.base.topic_word_, doc_topic, self.groups, weight)
        self.vocabulary_ = list(self.base.vocabulary_)
        self.n_features_in_ = self.base.n_features_in_

    @property
    def generative(self) -> bool:
        """As the base model (merged topics of LDA are still word distributions)."""
        return type(self.base).generative

    @property
    def name(self) -> str:
        return f"{self.base.name}+merged"

    @property
    def num_topics(self) -> int:
        return len(self.groups)

    def fit(self, X, y=None, **fit_params: Any):  # noqa: ARG002
        """Already fitted (merging follows a fit): refuses to refit the base silently."""
        raise TypeError("MergedTopicModel wraps a fitted model; fit the base model and merge again")

    def transform(self, X) -> np.ndarray:
        """Merged topic shares of new documents: the base model's shares, columns summed."""
        return self.base.transform(X) @ merge_matrix(self.groups, self.base.topic_word_.shape[0])

    def top_words(self, n: int = 10) -> list[list[tuple[str, float]]]:
        return top_words_of(self.topic_word_, self.vocabulary_, n)

    def result(self, doc_ids: Sequence[str] | None = None) -> TopicResult:
        params = {**self.base.get_params(), "merged_groups": [list(g) for g in self.groups]}
        return TopicResult(self.topic_word_, self.doc_topic_, tuple(self.vocabulary_),
                           None if doc_ids is None else tuple(map(str, doc_ids)), self.name, params)

    @property
    def components_(self) -> np.ndarray:
        return self.topic_word_

    @property
    def _n_features_out(self) -> int:
        return len(self.groups)

    def __sklearn_tags__(self):
        return topic_tags(super().__sklearn_tags__())
