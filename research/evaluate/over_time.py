"""Topics over time: each topic's mean share per period on a real time axis, with a
bootstrap interval, the number of documents behind it, and the words that characterise the
topic in that period.

Periods (``freq``): ISO weeks (Monday to Sunday, label ``2017-W36``), calendar months
(``2017-09``), quarters (``2017-Q3``) or years (``2017``); ``auto`` takes the finest of these
that gives at most :data:`MAX_BINS` periods. Every period between the first and the last
dated document is a bin, empty ones included (0 documents, never drawn as a share of 0).

Dates far outside the bulk of the corpus (``1902`` in a corpus of 2016-2018 news) would
stretch the axis over a century of empty bins. The axis therefore covers the documents dated
within one robust span of the bulk: with q01 and q99 the 1st and 99th percentile days and
``span = q99 - q01``, documents dated before ``q01 - span`` or after ``q99 + span`` are left
out of the bins and counted (``documents_outside``).

Share interval: the documents of a bin are resampled with replacement ``bootstrap`` times
(seeded per bin: ``numpy.random.default_rng([seed, bin])``, so the result does not depend on
other bins) and the 2.5th and 97.5th percentiles of the resampled mean shares are reported;
none when the bin has fewer than ``min_documents`` documents.

Words per topic and period (c-TF-IDF, as BERTopic's ``topics_over_time``): with ``n[d, w]``
document d's count of word w and ``theta[d, t]`` its share of topic t, each (topic t,
period p) is a class with the word weights ``C[t, p, w] = sum over d in p of theta[d, t] *
n[d, w]``. Then ``tf = C[t, p, w] / sum_w C[t, p, w]``, ``f_w = sum over classes of C[t, p,
w]`` (the word's count in all binned documents), ``A = sum of all C / number of classes``
(classes = K topics x periods with documents), and the score is ``tf * log(1 + A / f_w)``.
The ``top_n`` highest-scoring words with a positive weight are the period's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from research.evaluate.intervals import bootstrap_means, class_idf, percentile_interval

__all__ = ["COLUMNS", "FREQS", "OverTime", "choose_freq", "period_labels", "period_range", "period_starts",
           "period_words", "topics_over_time"]

FREQS = ("week", "month", "quarter", "year")
MAX_BINS = 40
COLUMNS = ("period", "period_start", "documents", "enough", "topic", "share", "share_low", "share_high", "words")


def period_starts(days: np.ndarray, freq: str) -> np.ndarray:
    """The first day of each day's period (``datetime64[D]``)."""
    days = np.asarray(days, dtype="datetime64[D]")
    if freq == "week":   # 1970-01-01 was a Thursday: Monday = 0
        return days - ((days.astype(np.int64) + 3) % 7).astype("timedelta64[D]")
    months = days.astype("datetime64[M]")
    if freq == "month":
        return months.astype("datetime64[D]")
    if freq == "quarter":
        index = months.astype(np.int64)
        return (index - index % 3).astype("datetime64[M]").astype("datetime64[D]")
    if freq == "year":
        return days.astype("datetime64[Y]").astype("datetime64[D]")
    raise ValueError(f"freq must be one of {', '.join(FREQS)}; got {freq!r}")


def period_range(first: np.datetime64, last: np.datetime64, freq: str) -> np.ndarray:
    """Start days of every period from the one holding ``first`` to the one holding ``last``."""
    lo, hi = period_starts(np.array([first, last]), freq)
    if freq == "week":
        return np.arange(lo, hi + np.timedelta64(1, "D"), np.timedelta64(7, "D"))
    step = {"month": 1, "quarter": 3, "year": 12}[freq]
    months = np.arange(lo.astype("datetime64[M]"), hi.astype("datetime64[M]") + 1, step)
    return months.astype("datetime64[D]")


def period_labels(starts: np.ndarray, freq: str) -> list[str]:
    """``2017-W36`` (ISO week), ``2017-09``, ``2017-Q3`` or ``2017`` for each period start."""
    out = []
    for start in pd.to_datetime(np.asarray(starts)):
        if freq == "week":
            year, week, _ = start.isocalendar()
            out.append(f"{year}-W{week:02d}")
        elif freq == "month":
            out.append(f"{start.year}-{start.month:02d}")
        elif freq == "quarter":
            out.append(f"{start.year}-Q{(start.month - 1) // 3 + 1}")
        else:
            out.append(str(start.year))
    return out


def choose_freq(days: np.ndarray, freq: str = "auto") -> str:
    """``freq`` itself, or for ``auto`` the finest period giving at most :data:`MAX_BINS` bins
    over the span of ``days`` (years when even those are more)."""
    if freq != "auto":
        if freq not in FREQS:
            raise ValueError(f"freq must be auto or one of {', '.join(FREQS)}; got {freq!r}")
        return freq
    first, last = np.min(days), np.max(days)
    return next((f for f in FREQS if len(period_range(first, last, f)) <= MAX_BINS), "year")


def within_bulk(days: np.ndarray) -> np.ndarray:
    """Which dated days lie within one robust span of the bulk (see the module docstring)."""
    ordinal = days.astype(np.int64)
    lo, hi = np.quantile(ordinal, [0.01, 0.99], method="inverted_cdf")
    span = hi - lo
    return (ordinal >= lo - span) & (ordinal <= hi + span)


@dataclass(frozen=True)
class OverTime:
    """``table``: one row per period and topic, the columns :data:`COLUMNS`."""

    freq: str
    table: pd.DataFrame
    documents_binned: int
    documents_outside: int

    @property
    def periods(self) -> int:
        return int(self.table["period"].nunique())

    @property
    def periods_enough(self) -> int:
        return int(self.table.loc[self.table["enough"], "period"].nunique())


def period_words(doc_topic: np.ndarray, counts: sparse.spmatrix, bins: np.ndarray, n_bins: int,
                 vocabulary: Sequence[str], top_n: int) -> list[list[list[str]]]:
    """``words[b][t]``: topic t's top c-TF-IDF words in bin b (see the module docstring);
    empty lists for bins without documents."""
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    f_w = np.asarray(counts.sum(axis=0)).ravel()
    filled = np.unique(bins)
    idf = class_idf(f_w, counts.sum(), len(filled) * doc_topic.shape[1])
    words: list[list[list[str]]] = [[[] for _ in range(doc_topic.shape[1])] for _ in range(n_bins)]
    for b in filled:
        rows = np.flatnonzero(bins == b)
        weights = np.asarray((counts[rows].T @ doc_topic[rows]).T)   # K x V
        totals = weights.sum(axis=1, keepdims=True)
        scores = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0) * idf
        for t, row in enumerate(scores):
            order = np.argsort(-row, kind="stable")[:top_n]
            words[b][t] = [str(vocabulary[i]) for i in order if row[i] > 0]
    return words


def _bin_rows(doc_topic: np.ndarray, bins: np.ndarray, n_bins: int, min_documents: int, bootstrap: int,
              seed: int) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """(documents, share, low, high) per bin; NaN shares for empty bins, NaN intervals for
    bins below ``min_documents`` or without bootstrap."""
    k = doc_topic.shape[1]
    out = []
    for b in range(n_bins):
        shares = doc_topic[bins == b]
        mean = shares.mean(axis=0) if len(shares) else np.full(k, np.nan)
        low = high = np.full(k, np.nan)
        if bootstrap and len(shares) >= min_documents:
            low, high = percentile_interval(bootstrap_means(shares, bootstrap, np.random.default_rng([seed, b])))
        out.append((len(shares), mean, low, high))
    return out


def topics_over_time(doc_topic: np.ndarray, days: np.ndarray, counts: sparse.spmatrix, vocabulary: Sequence[str],
                     freq: str = "auto", min_documents: int = 5, bootstrap: int = 200, seed: int = 0,
                     top_n: int = 10) -> OverTime:
    """Topic shares per period (see the module docstring). ``days``: one ``datetime64[D]`` per
    document, NaT for documents without a usable date (left out); ``counts``: the documents'
    word counts over ``vocabulary``."""
    doc_topic, days = np.asarray(doc_topic, dtype=np.float64), np.asarray(days, dtype="datetime64[D]")
    if not len(doc_topic) == len(days) == counts.shape[0]:
        raise ValueError(f"{len(doc_topic)} topic rows, {len(days)} dates and {counts.shape[0]} count rows")
    dated = np.flatnonzero(~np.isnat(days))
    if not dated.size:
        raise ValueError("topics_over_time needs at least one dated document")
    keep = dated[within_bulk(days[dated])]
    freq = choose_freq(days[keep], freq)
    starts = period_range(days[keep].min(), days[keep].max(), freq)
    bins = np.searchsorted(starts, period_starts(days[keep], freq))
    theta = doc_topic[keep]
    stats = _bin_rows(theta, bins, len(starts), min_documents, bootstrap, seed)
    words = period_words(theta, sparse.csr_matrix(counts)[keep], bins, len(starts), vocabulary, top_n)
    labels = period_labels(starts, freq)
    rows = [{"period": labels[b], "period_start": str(starts[b]), "documents": n, "enough": n >= min_documents,
             "topic": t, "share": mean[t], "share_low": low[t], "share_high": high[t], "words": " ".join(words[b][t])}
            for b, (n, mean, low, high) in enumerate(stats) for t in range(doc_topic.shape[1])]
    return OverTime(freq, pd.DataFrame(rows, columns=list(COLUMNS)), int(keep.size), int(dated.size - keep.size))
