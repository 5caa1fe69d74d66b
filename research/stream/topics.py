"""Topic models over matrix parts: online fitting, held-out sample, per-part transform, and
coherence from co-occurrence counts accumulated chunk by chunk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from research.evaluate.coherence import CooccurrenceCounts
from research.stream.progress import Progress
from research.stream.vectorise import MatrixParts

__all__ = ["GroupMeans", "LabelTable", "coherence_scores", "epochs_for", "fit_online", "heldout_masks"]


def epochs_for(max_epochs: int, document_visits: int, n_train: int) -> int:
    """The size rule of ``scale.document_visits``: enough epochs to visit that many documents."""
    return int(min(max_epochs, max(1, round(document_visits / max(n_train, 1)))))


def heldout_masks(parts: MatrixParts, share: float, seed: int, max_k: int) -> list[np.ndarray]:
    """Per part, which rows are held out (seeded; about ``share`` of them; none when too few
    documents would be left to train on)."""
    masks = [np.random.default_rng([seed, i]).random(n) < share if share > 0 else np.zeros(n, dtype=bool)
             for i, n in enumerate(parts.rows)]
    held = sum(int(m.sum()) for m in masks)
    if parts.n_documents - held < max_k:
        return [np.zeros(n, dtype=bool) for n in parts.rows]
    return masks


def heldout_sample(parts: MatrixParts, masks: list[np.ndarray], limit: int) -> sparse.csr_matrix | None:
    """The held-out rows, at most ``limit``, taken part by part."""
    found, total = [], 0
    for i, mask in enumerate(masks):
        if total >= limit:
            break
        if mask.any():
            rows = parts.part(i)[mask][:limit - total]
            found.append(rows)
            total += rows.shape[0]
    return sparse.vstack(found).tocsr() if found else None


MIX_PARTS = 4   # parts whose rows are shuffled together into mini-batches


def fit_online(model, parts: MatrixParts, masks: list[np.ndarray], epochs: int, batch_size: int,
               vocabulary: Sequence[str], seed: int, log: Callable[[str], None], every: float):
    """``model.partial_fit`` over the training rows of every part, ``epochs`` times. Each
    epoch takes the parts in a seeded random order, :data:`MIX_PARTS` at a time, and shuffles
    their rows together: a corpus stored by section or by date would otherwise feed mini-batches
    of one section and pull the topics towards the last ones read."""
    rng = np.random.default_rng(seed)
    n_train = sum(int((~m).sum()) for m in masks)
    progress = Progress(log, "fit", total=n_train * epochs, every=every)
    done = 0
    for _ in range(epochs):
        order = rng.permutation(len(parts)).tolist()
        for group in range(0, len(order), MIX_PARTS):
            X = sparse.vstack([parts.part(i)[~masks[i]] for i in order[group:group + MIX_PARTS]]).tocsr()
            X = X[rng.permutation(X.shape[0])]
            for start in range(0, X.shape[0], batch_size):
                model.partial_fit(X[start:start + batch_size], feature_names=vocabulary, stream_documents=n_train)
            done += X.shape[0]
            progress.update(done)
    progress.finish()
    return model


def coherence_scores(token_chunks: Iterable[list[list[str]]], topic_sets: list[list[list[str]]],
                     measures: Sequence[str], top_n: int) -> list[dict[str, Any]]:
    """Per topic set (one per fitted K): each measure's mean and per-topic coherence, counted
    in one streaming pass over the texts (the same counts as over all texts at once)."""
    words = [w for topics in topic_sets for topic in topics for w in topic]
    counters = {m: CooccurrenceCounts(words, m) for m in measures}
    for chunk in token_chunks:
        for counter in counters.values():
            counter.update(chunk)
    return scores_from_counts(counters, topic_sets, top_n)


def scores_from_counts(counters: dict[str, CooccurrenceCounts], topic_sets: list[list[list[str]]],
                       top_n: int) -> list[dict[str, Any]]:
    """Per topic set: each measure's mean and per-topic coherence from its accumulated counts."""
    out = []
    for topics in topic_sets:
        scores: dict[str, Any] = {}
        for m, counter in counters.items():
            score = counter.score(topics, top_n)
            scores[m] = score.mean
            scores[f"{m}_per_topic"] = list(score.per_topic)
        out.append(scores)
    return out


@dataclass
class GroupMeans:
    """Mean topic share per group value, added up chunk by chunk (as
    :func:`research.evaluate.prevalence_by_group`, which needs every row at once)."""

    num_topics: int
    sums: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    def add(self, doc_topic: np.ndarray, values: Sequence[Any]) -> None:
        frame = pd.DataFrame(doc_topic)
        frame["g"] = pd.Series(list(values), dtype=object)
        grouped = frame.dropna(subset=["g"]).groupby("g", sort=False)
        for group, total in grouped.sum().iterrows():
            self.sums[group] = self.sums.get(group, 0) + total.to_numpy()
        for group, n in grouped.size().items():
            self.counts[group] = self.counts.get(group, 0) + int(n)

    def table(self) -> pd.DataFrame:
        groups = sorted(self.sums)
        out = pd.DataFrame([self.sums[g] / self.counts[g] for g in groups], index=groups,
                           columns=[f"topic_{k}" for k in range(self.num_topics)])
        out.index.name = "group"
        out["documents"] = [self.counts[g] for g in groups]
        return out


@dataclass
class LabelTable:
    """Label x dominant-topic counts, for NMI and ARI without every row in memory."""

    counts: dict = field(default_factory=dict)
    missing: bool = False

    def add(self, doc_topic: np.ndarray, labels: Sequence[Any]) -> None:
        if any(lab is None for lab in labels):
            self.missing = True
            return
        for label, topic in zip(labels, np.argmax(doc_topic, axis=1).tolist(), strict=True):
            key = (str(label), topic)
            self.counts[key] = self.counts.get(key, 0) + 1

    def scores(self) -> dict[str, float]:
        labels = sorted({k[0] for k in self.counts})
        if self.missing or len(labels) < 2:
            return {}
        topics = sorted({k[1] for k in self.counts})
        table = np.zeros((len(labels), len(topics)), dtype=np.int64)
        li, ti = {x: i for i, x in enumerate(labels)}, {x: i for i, x in enumerate(topics)}
        for (label, topic), n in self.counts.items():
            table[li[label], ti[topic]] = n
        return {"nmi": _nmi(table), "ari": _ari(table)}


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def _nmi(table: np.ndarray) -> float:
    """scikit-learn's ``normalized_mutual_info_score`` (arithmetic mean) from the contingency table."""
    from sklearn.metrics import mutual_info_score

    mi = mutual_info_score(None, None, contingency=table)
    h_true, h_pred = _entropy(table.sum(axis=1)), _entropy(table.sum(axis=0))
    if h_true == 0 or h_pred == 0:
        return 1.0 if h_true == h_pred else 0.0
    return float(mi / max(np.mean([h_true, h_pred]), np.finfo(float).eps))


def _ari(table: np.ndarray) -> float:
    """scikit-learn's ``adjusted_rand_score`` from the contingency table."""
    def pairs(x):
        x = x.astype(np.float64)
        return float((x * (x - 1) / 2).sum())

    n = table.sum()
    index = pairs(table)
    a, b = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = a * b / (n * (n - 1) / 2) if n > 1 else 0.0
    top = (a + b) / 2 - expected
    return 1.0 if top == 0 else float((index - expected) / top)
