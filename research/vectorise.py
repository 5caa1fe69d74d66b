"""TF-IDF and count vectorisers built from the ``vectorizer:`` config section.

The vectoriser is fitted on the cleaned tokens joined by spaces, with a ``token_pattern``
that re-tokenises them exactly, so the saved object is a plain scikit-learn estimator:
``skops.io.load(path, trusted=VECTORIZER_TYPES).transform(["any text"])`` works with only
scikit-learn and skops installed (README: "Reusing a vectoriser from other code"). Applied to raw text it does scikit-learn's part of the cleaning (lowercasing,
tokens, vocabulary); :meth:`research.Run.vectorize` applies the full cleaning first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from research.errors import VectorizerError

__all__ = ["build_vectorizer", "fit_vectorizer", "joined", "term_counts", "top_terms_by_group", "top_terms_per_row"]


def build_vectorizer(settings: dict[str, Any], token_pattern: str, lowercase: bool):
    """An unfitted scikit-learn vectoriser with every parameter from config."""
    common = dict(token_pattern=token_pattern, lowercase=lowercase, min_df=settings["min_df"],
                  max_df=settings["max_df"], max_features=settings["max_features"],
                  ngram_range=tuple(settings["ngram_range"]), binary=settings["binary"],
                  dtype=np.float64)
    if settings["kind"] == "count":
        common["dtype"] = np.int64
        return CountVectorizer(**common)
    return TfidfVectorizer(norm=settings["norm"], use_idf=settings["use_idf"],
                           smooth_idf=settings["smooth_idf"], sublinear_tf=settings["sublinear_tf"],
                           **common)


def joined(tokens: list[list[str]]) -> list[str]:
    return [" ".join(t) for t in tokens]


def term_counts(vectorizer, matrix: sparse.csr_matrix, tokens: list[list[str]]) -> sparse.csr_matrix:
    """Word counts of the documents in the fitted vectoriser's columns: ``matrix`` itself when
    it holds counts, else (TF-IDF) the tokens counted again by the vectoriser's own analyser
    and vocabulary, before its IDF weights and norm (``binary: true`` gives 0/1)."""
    if not isinstance(vectorizer, TfidfVectorizer):
        return matrix
    return sparse.csr_matrix(CountVectorizer.transform(vectorizer, joined(tokens)))


def fit_vectorizer(tokens: list[list[str]], settings: dict[str, Any], token_pattern: str,
                   lowercase: bool) -> tuple[Any, sparse.csr_matrix]:
    """Fit on token lists; an emptied vocabulary raises VectorizerError naming the setting."""
    vectorizer = build_vectorizer(settings, token_pattern, lowercase)
    # Unigrams from tokens that token_pattern matches whole (and that are already lowercase
    # when ``lowercase``): splitting at spaces finds the same terms as the pattern, 2x
    # faster. The fitted vectoriser keeps its pattern, so it applies to raw text as usual.
    fast = vectorizer.ngram_range == (1, 1)
    if fast:
        params = {"analyzer": vectorizer.analyzer, "token_pattern": vectorizer.token_pattern}
        vectorizer.set_params(analyzer=str.split, token_pattern=None)
    try:
        matrix = vectorizer.fit_transform(joined(tokens))
    except ValueError as exc:
        raise VectorizerError(_diagnose_empty(tokens, settings, token_pattern, str(exc))) from None
    finally:
        if fast:
            vectorizer.set_params(**params)
    return vectorizer, sparse.csr_matrix(matrix)


def _diagnose_empty(tokens: list[list[str]], settings: dict[str, Any], pattern: str, original: str) -> str:
    n_docs = len(tokens)
    probe = CountVectorizer(token_pattern=pattern, lowercase=False, binary=True,
                            ngram_range=tuple(settings["ngram_range"]))
    try:
        df = np.asarray(probe.fit_transform(joined(tokens)).sum(axis=0)).ravel()
    except ValueError:
        return ("the vocabulary is empty before any pruning: the documents hold no tokens; "
                "check clean.tokens (stop words, min_length, numbers)")
    low = _threshold(settings["min_df"], n_docs)
    high = _threshold(settings["max_df"], n_docs)
    if not (df >= low).any():
        return (f"vectorizer.min_df={settings['min_df']} removed every term (the most common term is in "
                f"{int(df.max())} of {n_docs} documents); lower vectorizer.min_df")
    if not (df <= high).any():
        return (f"vectorizer.max_df={settings['max_df']} removed every term (the rarest term is in "
                f"{int(df.min())} of {n_docs} documents); raise vectorizer.max_df")
    if low > high:
        return (f"vectorizer.min_df={settings['min_df']} asks for more documents ({low:g}) than "
                f"vectorizer.max_df={settings['max_df']} allows ({high:g}); lower min_df or raise max_df")
    if not ((df >= low) & (df <= high)).any():
        return (f"vectorizer.min_df={settings['min_df']} and vectorizer.max_df={settings['max_df']} "
                "together removed every term; widen the range")
    return f"the vectoriser failed: {original}"  # pragma: no cover - sklearn changed its checks


def _threshold(value: int | float, n_docs: int) -> float:
    return value * n_docs if isinstance(value, float) else float(value)


def top_terms_per_row(matrix: sparse.csr_matrix, vocabulary: np.ndarray, n: int) -> list[list[tuple[str, float]]]:
    """The n highest-weighted terms of each row, ties broken by term order."""
    out = []
    for i in range(matrix.shape[0]):
        row = matrix.getrow(i)
        order = np.lexsort((row.indices, -row.data))[:n]
        out.append([(str(vocabulary[row.indices[j]]), float(row.data[j])) for j in order])
    return out


def top_terms_by_group(matrix: sparse.csr_matrix, groups: list[str | None], vocabulary: np.ndarray,
                       n: int) -> dict[str, list[tuple[str, float]]]:
    """Mean weight of each term over a group's documents; the n highest per group."""
    out = {}
    labels = ["(none)" if g is None else g for g in groups]
    for group in sorted(set(labels)):
        rows = [i for i, g in enumerate(labels) if g == group]
        mean = sparse.csr_matrix(matrix[rows].mean(axis=0))
        out[group] = top_terms_per_row(mean, vocabulary, n)[0]
    return out
