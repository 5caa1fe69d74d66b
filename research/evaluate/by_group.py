"""Topics by group (outlet, label, any metadata column): topic shares with bootstrap
intervals, class-based topic words per group, and a test of the difference between two groups.

Everything takes the documents' topic shares (N x K, rows summing to 1) and plain arrays of
row numbers per group, so it does not care which model fitted the topics. Random draws come
from generators seeded by the caller (:func:`rng_for`), one per group or comparison, so a
result never depends on which other groups were present.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import false_discovery_control

from research.evaluate.intervals import CHUNK, bootstrap_means, class_idf, percentile_interval

__all__ = [
    "DIFFERENCE_COLUMNS",
    "SHARE_COLUMNS",
    "WORD_COLUMNS",
    "as_text",
    "bootstrap_means",
    "class_topic_words",
    "compare_groups",
    "group_rows",
    "rng_for",
    "topic_shares",
]

SHARE_COLUMNS = ["group", "documents", "topic", "share", "share_low", "share_high"]
WORD_COLUMNS = ["group", "topic", "rank", "word", "weight"]
DIFFERENCE_COLUMNS = ["topic", "share_a", "share_b", "difference", "difference_low", "difference_high",
                      "p_value", "q_value", "significant"]


def as_text(value: Any) -> str | None:
    """A metadata value as the text groups are named by (None for a missing value; YAML's
    ``true`` matches a column holding the text ``"true"``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rng_for(seed: int, *names: str) -> np.random.Generator:
    """A generator seeded by the run's seed and the names of what it draws for."""
    return np.random.default_rng([seed, *(zlib.crc32(n.encode("utf-8")) for n in names)])


def group_rows(values: Sequence[Any], min_documents: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Row numbers of each group (sorted by name) with at least ``min_documents`` documents,
    and the size of each smaller group (left out). Missing values belong to no group."""
    names = [as_text(v) for v in values]
    rows: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name is not None:
            rows.setdefault(name, []).append(i)
    kept = {g: np.array(r) for g, r in sorted(rows.items()) if len(r) >= min_documents}
    small = {g: len(r) for g, r in sorted(rows.items()) if len(r) < min_documents}
    return kept, small


def topic_shares(doc_topic: np.ndarray, groups: dict[str, np.ndarray], draws: int, seed: int,
                 field: str) -> pd.DataFrame:
    """Long table (:data:`SHARE_COLUMNS`): each group's mean topic share with a percentile
    bootstrap interval (documents resampled within the group)."""
    doc_topic = np.asarray(doc_topic, dtype=np.float64)
    frames = []
    for name, rows in groups.items():
        x = doc_topic[rows]
        low, high = percentile_interval(bootstrap_means(x, draws, rng_for(seed, field, name)))
        frames.append(pd.DataFrame({"group": name, "documents": len(rows), "topic": np.arange(x.shape[1]),
                                    "share": x.mean(axis=0), "share_low": low, "share_high": high}))
    return pd.concat(frames, ignore_index=True)[SHARE_COLUMNS] if frames else pd.DataFrame(columns=SHARE_COLUMNS)


def class_topic_words(counts: sparse.spmatrix, doc_topic: np.ndarray, groups: dict[str, np.ndarray],
                      vocabulary: Sequence[str] | np.ndarray, top_n: int) -> pd.DataFrame:
    """The words of each topic as each group uses them (:data:`WORD_COLUMNS`).

    A class is a (group, topic) pair; its word counts are the group's documents' counts, each
    weighted by the document's share of the topic. Words are ranked by c-TF-IDF as in
    BERTopic: the word's frequency within the class (tf) times ``log(1 + A / f)``, A the mean
    number of words per class and f the word's count over all classes."""
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    doc_topic = np.asarray(doc_topic, dtype=np.float64)
    member = _membership(groups, counts.shape[0])                      # G x N
    per_topic = [np.asarray((member.multiply(doc_topic[:, k]) @ counts).todense())
                 for k in range(doc_topic.shape[1])]                    # K arrays of G x V
    totals = np.array([c.sum(axis=1) for c in per_topic])               # K x G
    frequency = np.sum([c.sum(axis=0) for c in per_topic], axis=0)      # V
    idf = class_idf(frequency, totals.sum(), totals.size)
    rows = []
    for k, classes in enumerate(per_topic):
        tf = np.divide(classes, totals[k][:, None], out=np.zeros_like(classes), where=totals[k][:, None] > 0)
        for name, weights in zip(groups, tf * idf, strict=True):
            rows.extend(_top(weights, vocabulary, top_n, name, k))
    return pd.DataFrame(rows, columns=WORD_COLUMNS)


def _membership(groups: dict[str, np.ndarray], n: int) -> sparse.csr_matrix:
    """G x N: 1 where a document belongs to a group."""
    rows = np.concatenate([np.full(len(r), i) for i, r in enumerate(groups.values())] or [np.empty(0, int)])
    cols = np.concatenate([*groups.values(), np.empty(0, int)])
    return sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(groups), n))


def _top(weights: np.ndarray, vocabulary: Sequence[str] | np.ndarray, n: int, group: str, topic: int) -> list[tuple]:
    order = np.argsort(-weights, kind="stable")[:n]
    return [(group, topic, rank, str(vocabulary[j]), round(float(weights[j]), 8))
            for rank, j in enumerate((j for j in order if weights[j] > 0), start=1)]


def compare_groups(doc_topic: np.ndarray, in_a: np.ndarray, in_b: np.ndarray, draws: int,
                   permutations: int, rng: np.random.Generator) -> pd.DataFrame:
    """Per topic (:data:`DIFFERENCE_COLUMNS`): mean shares of groups a and b (boolean row
    masks), their difference with a percentile bootstrap interval (each group resampled on its
    own), a two-sided permutation p-value ((1 + #|permuted| >= |observed|) / (1 + permutations))
    and Benjamini-Hochberg q-values over the topics; ``significant`` = q < 0.05."""
    doc_topic = np.asarray(doc_topic, dtype=np.float64)
    xa, xb = doc_topic[in_a], doc_topic[in_b]
    share_a, share_b = xa.mean(axis=0), xb.mean(axis=0)
    observed = share_a - share_b
    boot_rng, perm_rng = rng.spawn(2)
    low, high = percentile_interval(bootstrap_means(xa, draws, boot_rng) - bootstrap_means(xb, draws, boot_rng))
    p = _permutation_p(np.vstack([xa, xb]), len(xa), observed, permutations, perm_rng)
    q = false_discovery_control(p, method="bh")
    return pd.DataFrame({"topic": np.arange(doc_topic.shape[1]), "share_a": share_a, "share_b": share_b,
                         "difference": observed, "difference_low": low, "difference_high": high,
                         "p_value": p, "q_value": q, "significant": q < 0.05})


def _permutation_p(pooled: np.ndarray, n_a: int, observed: np.ndarray, permutations: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Two-sided permutation p-values of the difference of means, every topic at once: each
    permutation relabels which pooled rows form group a."""
    n = pooled.shape[0]
    total = pooled.sum(axis=0)
    labels = np.zeros(n)
    labels[:n_a] = 1.0
    extreme = np.zeros(pooled.shape[1])
    for start in range(0, permutations, CHUNK):
        size = min(CHUNK, permutations - start)
        member = rng.permuted(np.tile(labels, (size, 1)), axis=1)
        sum_a = member @ pooled
        diff = sum_a / n_a - (total - sum_a) / (n - n_a)
        extreme += (np.abs(diff) >= np.abs(observed) - 1e-12).sum(axis=0)
    return (1 + extreme) / (1 + permutations)
