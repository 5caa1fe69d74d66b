"""LDA back-ends: gensim (``lda.gensim``) and scikit-learn (``lda.sklearn``).

Both take a document x word matrix of counts. Fractional weights (TF-IDF) are accepted, as
scikit-learn's own LDA accepts them, so that either vectoriser can stand in front of them in a
``Pipeline``; an experiment config refuses ``vectorizer.kind: tfidf`` for LDA, because LDA's
likelihood draws whole words.

``score(X)`` is the per-word variational bound of ``X`` (a log-likelihood: higher is better).

Perplexity (held-out documents, lower is better) is each library's own definition, so the
two back-ends' numbers are not comparable with each other:

* gensim: ``2 ** (-log_perplexity(corpus))``, i.e. 2 raised to minus the per-word
  variational bound (a natural-log quantity) -- the figure gensim itself logs;
* scikit-learn: ``LatentDirichletAllocation.perplexity(X)`` = ``exp(-bound / word count)``.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager, nullcontext

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import LatentDirichletAllocation

from research.errors import ModelError, ParameterError
from research.topics._base import NONE, POSITIVE, TOPIC_BACKENDS, TopicModel, either, int_range, one_of, real_range
from research.topics.seeding import seed_gensim_start, seeded_eta
from research.util.console import bars_on
from research.util.progress import Progress

__all__ = ["GensimLDA", "SklearnLDA"]


@contextmanager
def _pass_bar(num_topics: int, passes: int):
    """gensim callbacks that move a progress bar one step per pass (None when no bar is drawn;
    they read nothing and change nothing in the model)."""
    if not bars_on() or passes < 2:
        yield None
        return
    from gensim.models.callbacks import Metric

    with Progress(None, f"LDA K={num_topics}", total=passes, unit="passes") as progress:
        class _Pass(Metric):
            logger, title = None, "pass"

            def get_value(self, **kwargs) -> float:  # noqa: ARG002
                progress.advance()
                return 0.0

        yield [_Pass()]


@contextmanager
def _blas_flags_ignored():
    """Ignore the floating-point flags that OpenBLAS raises spuriously inside gensim.

    gensim's float32 inference multiplies a K-vector by a K x (words of a document) matrix,
    for every document (``np.dot`` -> OpenBLAS sgemv). With the OpenBLAS 0.3.31 bundled in
    numpy 2.4 (SkylakeX kernels), about one process in twenty sees these calls raise the
    *invalid* flag, hundreds of times per fit, although every input and every result is
    finite: over 40 test processes, the 2 affected ones fitted topics and document shares
    bit-identical to those of the 38 that saw no flag. numpy reports the flag as
    ``RuntimeWarning: invalid value encountered in dot``. The flags (invalid, overflow) are
    therefore ignored while gensim computes, and :func:`_finite` checks what it returns.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        yield


def _finite(values, what: str) -> np.ndarray:
    """``values`` as an array, or a ModelError if gensim produced NaN or infinity."""
    values = np.asarray(values)
    if not np.all(np.isfinite(values)):
        raise ModelError(f"gensim LDA produced non-finite {what} (NaN or infinity); check "
                         "that the documents hold words, or set fixed positive model.alpha "
                         "and model.eta instead of 'auto'")
    return values


def _bow(X: sp.csr_matrix) -> list[list[tuple[int, float]]]:
    """CSR counts -> gensim bag-of-words lists (built once, iterated every pass); counts stay
    integers, fractional weights stay as they are."""
    counts = np.array_equal(X.data, np.round(X.data))
    ind, ptr = X.indices.tolist(), X.indptr.tolist()
    data = (X.data.astype(np.int64) if counts else X.data).tolist()
    return [list(zip(ind[a:b], data[a:b], strict=True)) for a, b in itertools.pairwise(ptr)]


@TOPIC_BACKENDS.register("lda.gensim")
class GensimLDA(TopicModel):
    """gensim ``LdaModel`` (``workers=1``) or ``LdaMulticore`` (``workers > 1``).

    ``alpha``: symmetric | asymmetric | auto | a positive number; ``eta``: symmetric | auto |
    a positive number. ``eval_every=None`` turns gensim's costly perplexity logging off.

    Determinism: with ``workers=1`` the same matrix and seed give bit-identical topics.
    ``LdaMulticore`` hands chunks to worker processes and merges their statistics in the
    order they finish, so ``workers > 1`` is *not* reproducible (three fits of octis_bbc,
    K=10, chunksize 100, same seed: topic-word probabilities differed by up to 0.03); use
    it for speed, not for recorded results. With a single chunk per pass it happens to
    repeat, which proves nothing.

    ``seed_words`` (guided topics, :mod:`research.topics.seeding`): ``eta`` becomes a K x V
    matrix: the base prior, plus pseudo-counts (``seed_strength`` times the seeds' mean count)
    on each seeded topic's seeds, also added to gensim's random start. Not with ``partial_fit``.
    """

    name = "lda.gensim"
    online = True
    seedable = True
    artifact = "gensim"
    needs_counts = True
    generative = True
    _constraints = {
        "alpha": either(one_of("symmetric", "asymmetric", "auto"), POSITIVE),
        "eta": either(one_of("symmetric", "auto"), POSITIVE),
        "passes": int_range(1),
        "iterations": int_range(1),
        "chunksize": int_range(1),
        "decay": real_range(0.5, 1.0),
        "offset": real_range(0, low_open=True),
        "gamma_threshold": real_range(0, low_open=True),
        "eval_every": either(NONE, int_range(1)),
        "workers": int_range(1),
    }

    def __init__(self, num_topics: int = 10, seed: int = 42, *, alpha="symmetric",
                 eta="symmetric", passes: int = 10, iterations: int = 50,
                 chunksize: int = 2000, decay: float = 0.5, offset: float = 1.0,
                 gamma_threshold: float = 0.001, eval_every: int | None = None,
                 workers: int = 1, seed_words: dict[str, list[str]] | None = None,
                 seed_strength: float = 1.0):
        self.num_topics = num_topics
        self.seed = seed
        self.alpha = alpha
        self.eta = eta
        self.passes = passes
        self.iterations = iterations
        self.chunksize = chunksize
        self.decay = decay
        self.offset = offset
        self.gamma_threshold = gamma_threshold
        self.eval_every = eval_every
        self.workers = workers
        self.seed_words = seed_words
        self.seed_strength = seed_strength

    def _check_combinations(self) -> None:
        if self.workers > 1 and self.alpha == "auto":
            raise ParameterError("alpha", "symmetric, asymmetric or a number when workers > 1 "
                                 "(gensim LdaMulticore does not support 'auto')", self.alpha)
        if self.seeded and self.eta == "auto":
            raise ParameterError("eta", "symmetric or a number when seed_words is set (gensim learns 'auto' "
                                 "as one vector shared by all topics, which would drop the seeded rows)", self.eta)

    def _base_eta(self) -> float:
        return 1.0 / self.num_topics if self.eta == "symmetric" else float(self.eta)   # gensim's 1/K

    def _eta(self, X):
        """``eta`` as given, or the seeded K x V matrix (:func:`~research.topics.seeding.seeded_eta`)."""
        if not self.seeded:
            return self.eta
        return seeded_eta(self._base_eta(), self.num_topics, X, self._seed_columns(), self.seed_strength)

    def _fit(self, X):
        corpus = _bow(X)
        kwargs = dict(
            corpus=corpus, num_topics=self.num_topics,
            id2word={i: str(i) for i in range(X.shape[1])}, chunksize=self.chunksize,
            passes=self.passes, alpha=self.alpha, eta=self._eta(X), decay=self.decay,
            offset=self.offset, eval_every=self.eval_every, iterations=self.iterations,
            gamma_threshold=self.gamma_threshold, random_state=self.seed)
        if self.workers > 1:
            from gensim.models import LdaMulticore as Lda  # here: gensim takes ~0.7 s to import

            kwargs["workers"] = self.workers
        else:
            from gensim.models import LdaModel as Lda
        bar = _pass_bar(self.num_topics, self.passes) if self.workers == 1 else nullcontext(None)
        with _blas_flags_ignored(), bar as callbacks:   # LdaMulticore takes no callbacks
            if callbacks is not None:
                kwargs["callbacks"] = callbacks
            if self.seeded:   # made without the corpus, seeded, then trained as the constructor would
                self.model_ = Lda(**{**kwargs, "corpus": None})
                seed_gensim_start(self.model_, kwargs["eta"], self._base_eta())
                self.model_.update(corpus)
            else:
                self.model_ = Lda(**kwargs)
        self.model_.callbacks = None      # the bar is gone; the model keeps no reference to it
        self.alpha_ = _finite(self.model_.alpha, "alpha").astype(np.float64)
        return _finite(self.model_.get_topics(), "topic-word weights"), self._gamma(corpus)

    def _transform(self, X):
        return self._gamma(_bow(X))

    def _partial_fit(self, X, first: bool, stream_documents: int | None):  # noqa: ARG002
        """gensim's online update (Hoffman et al.) with the documents of X, in ``chunksize``
        chunks; a streamed run calls it part by part, once per pass."""
        from gensim.models import LdaModel

        with _blas_flags_ignored():
            if first:
                self.model_ = LdaModel(
                    corpus=None, num_topics=self.num_topics, id2word={i: str(i) for i in range(X.shape[1])},
                    chunksize=self.chunksize, passes=1, alpha=self.alpha, eta=self.eta, decay=self.decay,
                    offset=self.offset, eval_every=self.eval_every, iterations=self.iterations,
                    gamma_threshold=self.gamma_threshold, random_state=self.seed)
            self.model_.update(_bow(X), chunksize=self.chunksize, passes=1, eval_every=self.eval_every)
        self.alpha_ = _finite(self.model_.alpha, "alpha").astype(np.float64)
        return _finite(self.model_.get_topics(), "topic-word weights")

    def _gamma(self, corpus) -> np.ndarray:
        """Variational doc-topic weights, as ``get_document_topics`` computes them."""
        with self._fixed_random_state(), _blas_flags_ignored():
            out = [self.model_.inference(corpus[i:i + 2000])[0]
                   for i in range(0, len(corpus), 2000)]
        return _finite(np.vstack(out), "document-topic weights").astype(np.float64)

    def perplexity(self, X) -> float:
        """gensim's held-out perplexity ``2 ** (-per-word bound)`` of count matrix ``X``."""
        self._check_fitted()
        corpus = _bow(self._check_matrix(X))
        with self._fixed_random_state(), _blas_flags_ignored():
            bound = self.model_.log_perplexity(corpus)
        return float(2.0 ** -_finite(bound, "per-word bound"))

    def score(self, X, y=None) -> float:  # noqa: ARG002
        """gensim's per-word variational bound of ``X`` (``log_perplexity``; higher is better)."""
        self._check_fitted()
        corpus = _bow(self._check_matrix(X))
        with self._fixed_random_state(), _blas_flags_ignored():
            return float(_finite(self.model_.log_perplexity(corpus), "per-word bound"))

    @contextmanager
    def _fixed_random_state(self):
        """gensim's inference draws its start from the model's RNG; fix it so that
        transforming the same documents twice gives the same shares."""
        saved = self.model_.random_state
        self.model_.random_state = np.random.RandomState(self.seed)
        try:
            yield
        finally:
            self.model_.random_state = saved


@TOPIC_BACKENDS.register("lda.sklearn")
class SklearnLDA(TopicModel):
    """scikit-learn ``LatentDirichletAllocation``, batch or online variational Bayes.

    ``doc_topic_prior`` / ``topic_word_prior`` = None means 1 / num_topics (sklearn's rule).

    Cannot be seeded (``seed_words`` is refused): scikit-learn's topic-word prior is one
    number for every topic and word, and its start (``components_``) cannot be given; a
    K x V prior set on the fitted object behind its back would also make its bound, so its
    perplexity and ``score``, wrong. Use ``lda.gensim`` or NMF for guided topics.
    """

    name = "lda.sklearn"
    skops_types = ("sklearn.decomposition._lda.LatentDirichletAllocation",)
    needs_counts = True
    generative = True
    _constraints = {
        "learning_method": one_of("batch", "online"),
        "max_iter": int_range(1),
        "batch_size": int_range(1),
        "learning_decay": real_range(0.5, 1.0),
        "learning_offset": real_range(1.0),
        "doc_topic_prior": either(NONE, POSITIVE),
        "topic_word_prior": either(NONE, POSITIVE),
        "mean_change_tol": real_range(0, low_open=True),
        "max_doc_update_iter": int_range(1),
    }

    def __init__(self, num_topics: int = 10, seed: int = 42, *,
                 learning_method: str = "batch", max_iter: int = 10, batch_size: int = 128,
                 learning_decay: float = 0.7, learning_offset: float = 10.0,
                 doc_topic_prior: float | None = None, topic_word_prior: float | None = None,
                 mean_change_tol: float = 0.001, max_doc_update_iter: int = 100,
                 seed_words: dict[str, list[str]] | None = None, seed_strength: float = 1.0):
        self.num_topics = num_topics
        self.seed = seed
        self.learning_method = learning_method
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.doc_topic_prior = doc_topic_prior
        self.topic_word_prior = topic_word_prior
        self.mean_change_tol = mean_change_tol
        self.max_doc_update_iter = max_doc_update_iter
        self.seed_words = seed_words
        self.seed_strength = seed_strength

    def _fit(self, X):
        self.model_ = LatentDirichletAllocation(
            n_components=self.num_topics, doc_topic_prior=self.doc_topic_prior,
            topic_word_prior=self.topic_word_prior, learning_method=self.learning_method,
            learning_decay=self.learning_decay, learning_offset=self.learning_offset,
            max_iter=self.max_iter, batch_size=self.batch_size,
            mean_change_tol=self.mean_change_tol,
            max_doc_update_iter=self.max_doc_update_iter, random_state=self.seed)
        doc_topic = self.model_.fit_transform(X)
        return self.model_.components_, doc_topic

    def _transform(self, X):
        return self.model_.transform(X)

    def perplexity(self, X) -> float:
        """scikit-learn's perplexity ``exp(-bound / word count)`` of count matrix ``X``."""
        self._check_fitted()
        return float(self.model_.perplexity(self._check_matrix(X)))

    def score(self, X, y=None) -> float:  # noqa: ARG002
        """scikit-learn's variational bound of ``X`` per word (higher is better)."""
        self._check_fitted()
        X = self._check_matrix(X)
        return float(self.model_.score(X) / max(X.sum(), 1.0))
