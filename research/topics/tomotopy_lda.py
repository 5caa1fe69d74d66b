"""LDA by collapsed Gibbs sampling: tomotopy (``lda.tomotopy``), an optional extra.

tomotopy (a C++ library) fits LDA by Gibbs sampling over word tokens, so each row of the
count matrix becomes a token list: column ``j`` repeated by its count, columns in matrix
order. The library sees the columns as the words ``"0"``, ``"1"``, ... (as gensim's back-end
does); ``vocabulary_`` holds the real words. A row with no words is left out of training (its
shares are the prior's, ``alpha_`` normalised, as tomotopy infers for a document it knows
no word of).

* ``topic_word_``: the topic-word distributions in the matrix's columns: each topic's word
  counts plus the prior ``eta`` (``get_topic_word_dist(normalize=False)``), normalised over
  every column, so a column that no training document holds (a word of held-out documents
  only) keeps the prior's small share, as in gensim's and scikit-learn's LDA. When every column
  is held, this is tomotopy's ``get_topic_word_dist`` (to float32 rounding).
* ``doc_topic_``: each training document's share of topic assignments at the end of
  sampling (``Document.get_topic_dist``), not re-inferred.
* ``transform``: tomotopy's ``infer`` (``infer_iterations`` Gibbs sweeps per document, each
  document sampled on its own from a seed tomotopy fixes): the same documents give the same
  shares, whatever the batch and after reloading the run.
* ``perplexity`` / ``score``: tomotopy's own definition, ``exp(-log-likelihood per word)``,
  from the log-likelihoods ``infer`` returns (words the model never saw are not counted).

Determinism: with ``workers=1`` the same matrix and seed give bit-identical topics. More
workers sample partitions of the corpus in parallel, which tomotopy does not promise to repeat.

Fractional weights (TF-IDF) are rounded to whole counts: Gibbs sampling draws whole words (an
experiment config refuses ``vectorizer.kind: tfidf`` for LDA anyway).

Seed words (``seed_words``: topic name -> words, the i-th name being topic i): each known word
of topic i gets the prior ``eta + seed_strength * m`` in topic i (``eta`` elsewhere; ``m`` the
mean count of topic i's seeds in X, so ``seed_strength`` means what it means for gensim), through
tomotopy's word priors; words that are not columns of X, or that no training document
holds, are ignored.

Stored in a run folder (:mod:`research.runs.artifacts`): tomotopy's inference-only binary
(:func:`model_bytes`) as a byte array in ``model.npz``. It is read back by tomotopy's C++
loader alone (:func:`model_from_bytes`), which fills the model's typed arrays (counts,
priors, vocabulary strings) from fixed fields and names no code to run. tomotopy's own
``LDAModel.load``/``loads`` is *not* used: it unpickles an "extra data" field (the
constructor's settings) stored beside the binary, and unpickling can run code. This package
writes that field empty and refuses a file whose field is not.
"""

from __future__ import annotations

import hashlib
import itertools
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from research.errors import ModelError
from research.topics._base import POSITIVE, TOPIC_BACKENDS, TopicModel, int_range, normalize_rows
from research.topics.seeding import seed_mass

__all__ = ["INSTALL_HINT", "TomotopyLDA", "model_bytes", "model_from_bytes", "rebuild", "require_tomotopy", "stored"]

INSTALL_HINT = "make install (tomotopy is a core dependency: pip install 'tomotopy>=0.14,<0.15')"


def require_tomotopy() -> Any:
    """The tomotopy module, or a one-line :class:`ModelError` naming the extra to install."""
    try:
        with warnings.catch_warnings():
            # tomotopy 0.14's C extension warns on import (DeprecationWarning: builtin type
            # _VocabDict has no __module__ attribute); under -W error the import would then fail
            warnings.simplefilter("ignore", DeprecationWarning)
            import tomotopy
    except ModuleNotFoundError as exc:
        if exc.name != "tomotopy":
            raise
        raise ModelError("topics.lda_backend: tomotopy needs the optional package tomotopy, which is not "
                         f"installed; run {INSTALL_HINT}") from None
    return tomotopy


def token_lists(X: sp.csr_matrix) -> list[list[str]]:
    """Each row as tomotopy tokens: column ``j`` (as the word ``str(j)``) repeated by its count,
    counts rounded to whole numbers."""
    counts = np.rint(X.data).clip(0).astype(np.int64)
    words = np.repeat(X.indices, counts).astype(str).tolist()
    ends = np.concatenate([[0], np.cumsum(counts)])[X.indptr]   # first token of each row
    return [words[a:b] for a, b in itertools.pairwise(ends.tolist())]


@TOPIC_BACKENDS.register("lda.tomotopy")
class TomotopyLDA(TopicModel):
    """tomotopy ``LDAModel``: collapsed Gibbs sampling (see the module's notes).

    ``alpha``: the document-topic prior (symmetric to start; re-estimated, per topic, every
    ``optim_interval`` iterations after ``burn_in`` iterations; ``optim_interval: 0`` keeps it
    fixed); ``eta``: the topic-word prior; ``iterations``: Gibbs sweeps over the corpus;
    ``workers``: sampling threads (1 = reproducible); ``infer_iterations``: sweeps per document
    in ``transform``, ``perplexity`` and ``score``.
    """

    name = "lda.tomotopy"
    seedable = True       # word priors (research.topics.seeding gives the pseudo-count)
    artifact = "tomotopy"
    needs_counts = True
    generative = True
    _constraints = {
        "alpha": POSITIVE,
        "eta": POSITIVE,
        "iterations": int_range(1),
        "burn_in": int_range(0),
        "optim_interval": int_range(0),
        "workers": int_range(1),
        "infer_iterations": int_range(1),
    }

    def __init__(self, num_topics: int = 10, seed: int = 42, *, alpha: float = 0.1, eta: float = 0.01,
                 iterations: int = 200, burn_in: int = 0, optim_interval: int = 10, workers: int = 1,
                 infer_iterations: int = 100, seed_words: dict[str, list[str]] | None = None,
                 seed_strength: float = 1.0):
        self.num_topics = num_topics
        self.seed = seed
        self.alpha = alpha
        self.eta = eta
        self.iterations = iterations
        self.burn_in = burn_in
        self.optim_interval = optim_interval
        self.workers = workers
        self.infer_iterations = infer_iterations
        self.seed_words = seed_words
        self.seed_strength = seed_strength

    def _check_combinations(self) -> None:
        require_tomotopy()   # a missing library is said before any data is read

    def _fit(self, X):
        tp = require_tomotopy()
        model = tp.LDAModel(k=self.num_topics, alpha=float(self.alpha), eta=float(self.eta), seed=self.seed)
        model.burn_in, model.optim_interval = self.burn_in, self.optim_interval
        kept = np.array([bool(words) and model.add_doc(words) is not None for words in token_lists(X)])
        if not kept.any():
            raise ModelError("lda.tomotopy: no document holds a word (every row of X is empty after rounding "
                             "to whole counts); LDA needs word counts")
        self._set_word_priors(model, X)
        model.train(self.iterations, workers=self.workers)
        self.model_ = model
        self.alpha_ = np.asarray(model.alpha, dtype=np.float64)
        doc_topic = np.tile(self.alpha_ / self.alpha_.sum(), (X.shape[0], 1))
        doc_topic[kept] = [d.get_topic_dist() for d in model.docs]
        return topic_word_of(model, X.shape[1]), doc_topic

    def _set_word_priors(self, model: Any, X: sp.csr_matrix) -> None:
        """Seed words: prior ``eta + seed_strength * m`` in their topic, ``eta`` in the others,
        ``m`` being the mean count of the topic's seeds in X (as for gensim: research.topics.seeding)."""
        if not self.seed_words:
            return
        columns = self._seed_columns()
        held = np.asarray(X.sum(axis=0)).ravel() > 0
        for topic, (cols, mass) in enumerate(zip(columns, seed_mass(X, columns, 1), strict=True)):
            prior = [float(self.eta)] * self.num_topics
            prior[topic] += float(self.seed_strength) * float(mass)
            for j in cols:
                if held[j]:
                    model.set_word_prior(str(j), prior)

    def _infer(self, X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """(topic shares, log-likelihood) of each row by tomotopy's inference; a row without
        words (tomotopy refuses an empty document) gets the prior's shares and 0."""
        tokens = token_lists(X)
        rows = [i for i, words in enumerate(tokens) if words]
        shares = np.tile(self.alpha_ / self.alpha_.sum(), (X.shape[0], 1))
        ll = np.zeros(X.shape[0])
        if rows:
            docs = [self.model_.make_doc(tokens[i]) for i in rows]
            found, found_ll = self.model_.infer(docs, iterations=self.infer_iterations, workers=self.workers)
            shares[rows], ll[rows] = np.asarray(found, dtype=np.float64), found_ll
        return shares, ll

    def _transform(self, X):
        return self._infer(X)[0]

    def __getstate__(self) -> dict[str, Any]:
        """For pickle in memory (joblib workers, ``copy.deepcopy``): tomotopy's model cannot be
        pickled, so its binary travels instead (a run folder never holds a pickle)."""
        state = dict(super().__getstate__())   # a copy: object.__getstate__ gives __dict__ itself
        if "model_" in state:
            state["model_"] = model_bytes(state["model_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "model_" in state:
            state = {**state, "model_": model_from_bytes(state["model_"])}
        super().__setstate__(state)

    def _per_word(self, X) -> float:
        self._check_fitted()
        X = self._check_matrix(X)
        known = np.zeros(X.shape[1], dtype=bool)
        known[[int(w) for w in self.model_.used_vocabs]] = True
        words = float(np.rint(X[:, known].data).clip(0).sum())
        if words == 0:
            raise ModelError("lda.tomotopy: the documents hold no word the model knows; no perplexity")
        return float(self._infer(X)[1].sum() / words)

    def perplexity(self, X) -> float:
        """tomotopy's perplexity ``exp(-log-likelihood per word)`` of count matrix ``X``."""
        return float(np.exp(-self._per_word(X)))

    def score(self, X, y=None) -> float:  # noqa: ARG002
        """Log-likelihood per word of ``X`` by tomotopy's inference (higher is better)."""
        return self._per_word(X)


def topic_word_of(model: Any, n_words: int) -> np.ndarray:
    """K x ``n_words`` topic-word weights (word count in the topic plus its prior, not
    normalised) of a tomotopy model whose words are column numbers; a column the model does not
    know gets the prior alone, ``eta``."""
    columns = np.array([int(w) for w in model.used_vocabs], dtype=np.int64)
    out = np.full((model.k, n_words), float(model.eta))
    out[:, columns] = [model.get_topic_word_dist(k, normalize=False) for k in range(model.k)]
    return out


def model_bytes(model: Any) -> np.ndarray:
    """tomotopy's inference-only binary of ``model`` as bytes, with an empty extra-data field
    (tomotopy's ``saves`` would pickle the constructor settings into it)."""
    return np.frombuffer(model._saves(b"", False), dtype=np.uint8)


def model_from_bytes(data: np.ndarray) -> Any:
    """The model :func:`model_bytes` stored, read by tomotopy's C++ loader only; a
    ``ValueError`` for a file whose extra-data field is not empty (not written here)."""
    tp = require_tomotopy()
    model, extra = tp.LDAModel._loads(tp.LDAModel, np.asarray(data, dtype=np.uint8).tobytes())
    if len(extra):
        raise ValueError("the tomotopy model carries an extra-data field (a pickle in tomotopy's own files), "
                         "which this package never writes")
    model.init_params = {"k": model.k, "version": tp.__version__}   # what tomotopy's summary() reads
    return model


def stored(model: Any) -> tuple[np.ndarray, dict[str, str]]:
    """What a run folder keeps of a fitted tomotopy model: its binary (:func:`model_bytes`) and,
    for model.json, the binary's SHA-256: tomotopy's loader ends the whole process on a damaged
    binary, so :func:`rebuild` checks the hash before it hands the bytes over."""
    data = model_bytes(model)
    return data, {"sha256": hashlib.sha256(data.tobytes()).hexdigest()}


def rebuild(data: np.ndarray | None, state: dict[str, Any], owner: TopicModel) -> Any:
    """The tomotopy model of :func:`stored`, for ``owner`` (its settings and saved arrays set):
    a ``ValueError`` unless the bytes match their hash and the model read gives ``owner``'s
    saved topics."""
    if (data is None or data.dtype != np.uint8 or data.ndim != 1
            or hashlib.sha256(data.tobytes()).hexdigest() != str(state["sha256"])):
        raise ValueError("the tomotopy model in model.npz is missing or does not match its hash in model.json")
    try:
        model = model_from_bytes(data)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"unreadable tomotopy model ({exc})") from None
    saved = getattr(owner, "topic_word_", np.zeros((0, 0)))
    if model.k != owner.num_topics or not np.array_equal(normalize_rows(topic_word_of(model, saved.shape[1])), saved):
        raise ValueError("the tomotopy model and the saved topic-word array disagree")
    return model
