"""Shared by the by-group and over-time analyses: percentile-bootstrap intervals of mean topic
shares, and the class-based TF-IDF weight of words (BERTopic's c-TF-IDF)."""

from __future__ import annotations

import numpy as np

__all__ = ["CHUNK", "LEVEL", "bootstrap_means", "class_idf", "percentile_interval"]

LEVEL = 0.95          # the intervals' coverage
CHUNK = 250           # bootstrap draws per matrix product (memory: CHUNK x N floats)


def bootstrap_means(x: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` bootstrap resamples of the column means of ``x`` (n x K): draws x K. Each
    resample is a multinomial count of how often each row is drawn, so no n x K copies."""
    n = x.shape[0]
    out = np.empty((draws, x.shape[1]))
    for start in range(0, draws, CHUNK):
        size = min(CHUNK, draws - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size)
        out[start:start + size] = weights @ x / n
    return out


def percentile_interval(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The central :data:`LEVEL` percentile interval of ``draws`` (per column)."""
    tail = 100 * (1 - LEVEL) / 2
    low, high = np.percentile(draws, [tail, 100 - tail], axis=0)
    return low, high


def class_idf(frequency: np.ndarray, total: float, n_classes: int) -> np.ndarray:
    """c-TF-IDF's weight ``log(1 + A / f_w)``: A = ``total`` words / ``n_classes``, f_w each
    word's count over all classes (``frequency``); 0 for a word that never occurs."""
    average = total / max(1, n_classes)
    return np.log1p(np.divide(average, frequency, out=np.zeros_like(frequency), where=frequency > 0))
