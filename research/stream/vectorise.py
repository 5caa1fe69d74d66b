"""The vocabulary in two streaming passes, and the matrix in parts on disk.

Pass 1 counts each word's document frequency and total count over the token chunks; the
vocabulary is then chosen exactly as scikit-learn's ``CountVectorizer.fit`` chooses it
(``min_df``, ``max_df`` on document frequencies, ``max_features`` by total count, words in
alphabetical order) and written into a plain, fitted scikit-learn vectoriser (``vocabulary_``,
and ``idf_`` from the same frequencies), so the saved vectoriser is the one a batch run saves
and ``transform`` gives the same matrix. Pass 2 transforms chunk by chunk into
:class:`MatrixParts`: CSR parts saved as ``.npz`` (numpy arrays, loaded without pickle).
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from research.errors import ConfigError, VectorizerError
from research.vectorise import build_vectorizer

__all__ = ["MatrixParts", "fit_vocabulary", "text_step", "transform_tokens", "vectorizer_from_frequencies"]


def _limits(settings: dict[str, Any], n_docs: int) -> tuple[float, float]:
    max_df, min_df = settings["max_df"], settings["min_df"]
    high = max_df if isinstance(max_df, int) and not isinstance(max_df, bool) else max_df * n_docs
    low = min_df if isinstance(min_df, int) and not isinstance(min_df, bool) else min_df * n_docs
    return low, high


def fit_vocabulary(token_chunks: Iterable[list[list[str]]], settings: dict[str, Any], token_pattern: str,
                   lowercase: bool):
    """A fitted scikit-learn vectoriser from one pass over the token chunks (see above)."""
    _check_unigrams(settings)
    df: Counter = Counter()
    tf: Counter = Counter()
    n_docs = 0
    for chunk in token_chunks:
        for tokens in chunk:
            tf.update(tokens)
            df.update(set(tokens))
        n_docs += len(chunk)
    words = sorted(df)
    dfs = np.fromiter((df[w] for w in words), dtype=np.int64, count=len(words))
    tfs = np.fromiter((tf[w] for w in words), dtype=np.int64, count=len(words))
    return vectorizer_from_frequencies(words, dfs, tfs, n_docs, settings, token_pattern, lowercase)


def _check_unigrams(settings: dict[str, Any]) -> None:
    if tuple(settings["ngram_range"]) != (1, 1):
        raise ConfigError(f"vectorizer.ngram_range: {list(settings['ngram_range'])} cannot be streamed yet; "
                          "use [1, 1] or scale.stream: false for a corpus that fits in memory")


def vectorizer_from_frequencies(words: Sequence[str], dfs, tfs, n_docs: int, settings: dict[str, Any],
                                token_pattern: str, lowercase: bool):
    """A fitted scikit-learn vectoriser from every word's document frequency ``dfs`` and total
    count ``tfs`` over ``n_docs`` documents (``words`` in any order; ``tfs`` may be None when
    ``binary`` or without ``max_features``): the vocabulary scikit-learn's ``fit`` would choose
    (``min_df``, ``max_df``, then ``max_features`` by total count -- document frequency when
    ``binary`` -- with scikit-learn's tie order over the alphabetical words) in a plain, fitted
    ``CountVectorizer``/``TfidfVectorizer`` (``vocabulary_``, ``idf_`` from ``dfs``)."""
    _check_unigrams(settings)
    if len(words) == 0:
        raise VectorizerError("the vocabulary is empty before any pruning: the documents hold no tokens; "
                              "check clean.tokens (stop words, min_length, numbers)")
    order = sorted(range(len(words)), key=list(words).__getitem__)
    words = [words[i] for i in order]
    dfs = np.asarray(dfs, dtype=np.int64)[order]
    low, high = _limits(settings, n_docs)
    if high < low:
        raise VectorizerError("vectorizer.max_df corresponds to < documents than vectorizer.min_df; "
                              "raise max_df or lower min_df")
    keep = (dfs >= low) & (dfs <= high)
    limit = settings["max_features"]
    if limit is not None and keep.sum() > limit:
        if settings["binary"]:
            counts = dfs      # scikit-learn sums the count matrix it built
        elif tfs is None:
            raise ValueError("tfs (total counts) are needed for vectorizer.max_features without binary")
        else:
            counts = np.asarray(tfs, dtype=np.int64)[order]
        chosen = np.flatnonzero(keep)[(-counts[keep]).argsort()[:limit]]   # its sort, so ties fall alike
        keep = np.zeros_like(keep)
        keep[chosen] = True
    if not keep.any():
        raise VectorizerError(f"no word is in at least vectorizer.min_df={settings['min_df']} and at most "
                              f"vectorizer.max_df={settings['max_df']} of the {n_docs} documents; "
                              "lower min_df or raise max_df")
    vocabulary = [w for w, k in zip(words, keep.tolist(), strict=True) if k]
    vectorizer = build_vectorizer(settings, token_pattern, lowercase)
    vectorizer.vocabulary_ = {w: i for i, w in enumerate(vocabulary)}
    vectorizer.fixed_vocabulary_ = False
    if settings["kind"] == "tfidf" and settings["use_idf"]:
        kept_df = dfs[keep].astype(np.float64)
        smooth = int(bool(settings["smooth_idf"]))
        vectorizer.idf_ = np.log((n_docs + smooth) / (kept_df + smooth)) + 1.0
    elif settings["kind"] == "tfidf":
        from sklearn.feature_extraction.text import TfidfTransformer

        vectorizer._tfidf = TfidfTransformer(norm=settings["norm"], use_idf=False,
                                             smooth_idf=settings["smooth_idf"], sublinear_tf=settings["sublinear_tf"])
        vectorizer._tfidf.n_features_in_ = len(vocabulary)
    return vectorizer


def text_step(vectorizer):
    """The step of ``vectorizer`` that reads text: itself, or a pipeline's first step."""
    return vectorizer.steps[0][1] if hasattr(vectorizer, "steps") else vectorizer


def transform_tokens(vectorizer, tokens: list[list[str]]) -> sparse.csr_matrix:
    """``vectorizer.transform`` of token lists (split at spaces, as :func:`research.vectorise.fit_vectorizer`);
    ``vectorizer`` may also be a pipeline whose first step reads the text (a hashing vectoriser
    and its IDF weights)."""
    reader = text_step(vectorizer)
    params = {"analyzer": reader.analyzer, "token_pattern": reader.token_pattern}
    reader.set_params(analyzer=str.split, token_pattern=None)
    try:
        return sparse.csr_matrix(vectorizer.transform([" ".join(t) for t in tokens]))
    finally:
        reader.set_params(**params)


class MatrixParts:
    """The documents x words matrix as CSR parts on disk (a temporary folder), in corpus order."""

    def __init__(self, root: Path):
        Path(root).mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="matrix-", dir=root))
        self.rows: list[int] = []
        self.nnz = 0
        self.n_words = 0

    def add(self, matrix: sparse.csr_matrix) -> None:
        matrix = sparse.csr_matrix(matrix, dtype=np.float32 if matrix.dtype.kind == "f" else matrix.dtype)
        sparse.save_npz(self.folder / f"part-{len(self.rows):06d}.npz", matrix, compressed=False)
        self.rows.append(matrix.shape[0])
        self.nnz += int(matrix.nnz)
        self.n_words = matrix.shape[1]

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def n_documents(self) -> int:
        return int(sum(self.rows))

    def part(self, i: int) -> sparse.csr_matrix:
        return sparse.load_npz(self.folder / f"part-{i:06d}.npz").tocsr()

    def __iter__(self) -> Iterator[sparse.csr_matrix]:
        for i in range(len(self.rows)):
            yield self.part(i)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
