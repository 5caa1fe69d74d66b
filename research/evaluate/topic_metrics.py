"""Topic-model metrics besides coherence: diversity, similarity, stability, agreement with
labels, held-out fit and topic prevalence by group.

Functions take plain lists of top words (``TopicResult.topics(n)``) or arrays, so they do
not care which library fitted the model.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

__all__ = [
    "PairwiseSimilarity",
    "Stability",
    "fit_across_seeds",
    "heldout_fit",
    "jaccard",
    "label_agreement",
    "match_topics",
    "month_of",
    "prevalence_by_group",
    "rank_biased_overlap",
    "topic_diversity",
    "topic_similarity",
    "topic_stability",
]

Topics = Sequence[Sequence[str]]
_YEAR_MONTH = re.compile(r"\s*(\d{4})-(\d{1,2})(?!\d)")


def topic_diversity(topics: Topics, topn: int = 25) -> float:
    """Share of distinct words among the top ``topn`` words of all topics (Dieng et al. 2020):
    1 = no topic shares a top word, 1/K = all topics identical."""
    cut = [list(t)[:topn] for t in topics]
    total = sum(len(t) for t in cut)
    if total == 0:
        raise ValueError("topic_diversity needs at least one topic with words")
    return len({w for t in cut for w in t}) / total


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    """|A ∩ B| / |A ∪ B| of two word lists (as sets)."""
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


def rank_biased_overlap(a: Sequence[str], b: Sequence[str], p: float = 0.9) -> float:
    """Extrapolated rank-biased overlap (Webber et al. 2010, eq. 30) of two rankings, cut to
    the shorter length: 1 for identical rankings, 0 for disjoint; agreement near the top
    weighs more (``p`` closer to 1 = deeper look)."""
    k = min(len(a), len(b))
    if k == 0:
        return 1.0
    depth = np.arange(1, k + 1)
    overlap = np.array([len(set(a[:d]) & set(b[:d])) for d in depth], dtype=np.float64)  # type: ignore[index]
    agreement = overlap / depth
    return float(agreement[-1] * p**k + (1 - p) / p * np.sum(agreement * p**depth))


@dataclass(frozen=True)
class PairwiseSimilarity:
    """Similarity of every pair of topics: ``matrix`` (K x K, diagonal 1) and ``mean`` of
    the off-diagonal entries (lower = more distinct topics)."""

    method: str
    topn: int
    mean: float
    matrix: np.ndarray


def _sim_matrix(rows: Topics, cols: Topics, method: str, topn: int, p: float) -> np.ndarray:
    if method == "jaccard":
        sim = lambda a, b: jaccard(a[:topn], b[:topn])  # noqa: E731
    elif method == "rbo":
        sim = lambda a, b: rank_biased_overlap(a[:topn], b[:topn], p)  # noqa: E731
    else:
        raise ValueError(f"method must be 'jaccard' or 'rbo'; got {method!r}")
    return np.array([[sim(list(a), list(b)) for b in cols] for a in rows], dtype=np.float64)


def topic_similarity(topics: Topics, method: str = "jaccard", topn: int = 10,
                     p: float = 0.9) -> PairwiseSimilarity:
    """Pairwise similarity of the topics' top ``topn`` words (Jaccard or RBO)."""
    m = _sim_matrix(topics, topics, method, topn, p)
    k = len(topics)
    mean = float(m[~np.eye(k, dtype=bool)].mean()) if k > 1 else float("nan")
    return PairwiseSimilarity(method, topn, mean, m)


def match_topics(a: Topics, b: Topics, method: str = "jaccard", topn: int = 10,
                 p: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching of topics in ``a`` to topics in ``b`` maximising total top-word
    similarity (Hungarian algorithm). Returns ``(b_index_for_each_a, similarity)``."""
    sim = _sim_matrix(a, b, method, topn, p)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    match = np.full(len(a), -1)
    match[rows] = cols
    return match, sim[rows, cols][np.argsort(rows)]


@dataclass(frozen=True)
class Stability:
    """Mean best-match similarity of topics across runs: ``mean`` over all pairs of runs;
    ``matrix[i, j]`` the mean matched similarity of runs i and j (diagonal 1)."""

    method: str
    topn: int
    mean: float
    matrix: np.ndarray


def topic_stability(runs: Sequence[Topics], method: str = "jaccard", topn: int = 10,
                    p: float = 0.9) -> Stability:
    """How reproducible the topics are across runs (e.g. seeds): match topics of every pair
    of runs one-to-one and average the matched similarities."""
    if len(runs) < 2:
        raise ValueError("topic_stability needs at least two runs")
    m = np.eye(len(runs))
    for i, j in combinations(range(len(runs)), 2):
        m[i, j] = m[j, i] = float(match_topics(runs[i], runs[j], method, topn, p)[1].mean())
    mean = float(m[np.triu_indices(len(runs), k=1)].mean())
    return Stability(method, topn, mean, m)


def fit_across_seeds(model, X, vocabulary: Sequence[str], seeds: Sequence[int]) -> list:
    """Fit a copy of an (unfitted) topic model once per seed; returns the fitted copies."""
    return [clone(model).set_params(seed=int(s)).fit(X, feature_names=vocabulary) for s in seeds]


def label_agreement(doc_topic: np.ndarray, labels: Sequence[Hashable]) -> dict[str, float]:
    """NMI and ARI between each document's dominant topic and its label (e.g. category)."""
    doc_topic = np.asarray(doc_topic)
    if len(labels) != doc_topic.shape[0]:
        raise ValueError(f"{len(labels)} labels for {doc_topic.shape[0]} documents")
    dominant = np.argmax(doc_topic, axis=1)
    labels = [str(x) for x in labels]
    return {"nmi": float(normalized_mutual_info_score(labels, dominant)),
            "ari": float(adjusted_rand_score(labels, dominant))}


def heldout_fit(model, X) -> dict[str, float]:
    """Fit to held-out documents: ``perplexity`` for LDA (the back-end's own definition,
    see :mod:`research.topics.lda`), ``centroid_distance`` for embedding topics (the mean
    distance of a document to its nearest cluster centre, :mod:`research.topics.embed`),
    ``reconstruction_error`` for NMF."""
    if hasattr(model, "perplexity"):
        return {"perplexity": model.perplexity(X)}
    if hasattr(model, "centroid_distance"):
        return {"centroid_distance": model.centroid_distance(X)}
    return {"reconstruction_error": model.reconstruction_error(X)}


def prevalence_by_group(doc_topic: np.ndarray, groups: Sequence[Any]) -> pd.DataFrame:
    """Mean topic share per group (outlet, label, month, ...): rows = groups (sorted), columns
    ``topic_0 .. topic_{K-1}``, plus ``documents`` (how many documents each mean covers).
    Documents whose group is None/NaN are left out."""
    doc_topic = np.asarray(doc_topic, dtype=np.float64)
    if len(groups) != doc_topic.shape[0]:
        raise ValueError(f"{len(groups)} groups for {doc_topic.shape[0]} documents")
    frame = pd.DataFrame(doc_topic, columns=[f"topic_{k}" for k in range(doc_topic.shape[1])])
    frame["group"] = pd.Series(list(groups), dtype=object)
    grouped = frame.dropna(subset=["group"]).groupby("group", sort=True)
    out = grouped.mean()
    out["documents"] = grouped.size()
    return out


def month_of(dates: Sequence[Any]) -> list[str | None]:
    """``"YYYY-MM"`` of each date (ISO ``YYYY-MM...`` strings, dates, datetimes); None where
    the value is missing or does not start with a year and month."""
    out: list[str | None] = []
    for d in dates:
        if hasattr(d, "year") and hasattr(d, "month") and not pd.isna(d):
            out.append(f"{d.year:04d}-{d.month:02d}")
            continue
        m = _YEAR_MONTH.match(d) if isinstance(d, str) else None
        out.append(f"{m.group(1)}-{int(m.group(2)):02d}" if m and 1 <= int(m.group(2)) <= 12
                   else None)
    return out
