"""Non-negative matrix factorisation back-ends: ``nmf.sklearn`` and ``nmf.sklearn_minibatch``.

X (documents x words, usually TF-IDF) ~ W H. ``topic_word_`` is H with rows scaled to sum
to 1, ``doc_topic_`` is W with rows scaled to sum to 1 (a document with no words gets a
uniform row). The unscaled factors stay on the fitted scikit-learn object, ``model_``.

Stopping at ``max_iter`` before the tolerance is met is routine for topic models (the top
words settle long before the loss does), so scikit-learn's ConvergenceWarning is not passed
on: ``converged_`` (False when ``n_iter_`` reached ``max_iter``) records it for the run.

The factorisation runs in float32 (the matrix is cast; results come back as float64): on
20 Newsgroups (18,398 x 25,514, K = 20) a fit takes 2.5 s instead of 4.1 s, with the same
reconstruction error (132.8375), NPMI and diversity to four decimals. Reconstruction errors
are computed in float64.

Guided topics (``seed_words``, :mod:`research.topics.seeding`): the factorisation starts from
``init='custom'`` (each seeded topic the centroid of the documents holding its seeds, with the
seeds raised to its heaviest weight; the free topics from ``init``) and the matrix gets one
pseudo-document per seeded topic, made of its seed words only (their squared weights
``seed_strength`` times the mean summed squared weight of the seeds in the data), which starts
wholly in that topic. The pseudo-documents are a soft pull, not fixed
rows: a topic may keep words beyond its seeds and may lose seeds the corpus does not support
(``seed_topics.csv`` reports how far each topic drifted). They are left out of ``doc_topic_``
and of ``reconstruction_error_``, which are the real documents' alone.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF, MiniBatchNMF
from sklearn.exceptions import ConvergenceWarning

from research.errors import ParameterError
from research.topics._base import NONE, TOPIC_BACKENDS, TopicModel, either, int_range, one_of, real_range
from research.topics.seeding import seeded_nmf_start

__all__ = ["MiniBatchSklearnNMF", "SklearnNMF", "beta_divergence"]

_EPS = np.finfo(np.float32).eps  # scikit-learn's floor inside the KL divergence
_INITS = ("nndsvd", "nndsvda", "nndsvdar", "random")
_LOSSES = ("frobenius", "kullback-leibler")


def beta_divergence(X: sp.csr_matrix, W: np.ndarray, H: np.ndarray, loss: str) -> float:
    """``||X - WH||_F`` or ``sqrt(2 * KL(X || WH))``: scikit-learn's ``reconstruction_err_``.

    Computed on the non-zeros of X only, so it never forms the dense product WH.
    """
    W, H = W.astype(np.float64, copy=False), H.astype(np.float64, copy=False)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    wh = np.einsum("ij,ij->i", W[rows], H[:, X.indices].T)
    x = X.data.astype(np.float64, copy=False)
    if loss == "frobenius":
        sq = (x @ x) - 2.0 * (x @ wh) + np.sum((W.T @ W) * (H @ H.T))
        return float(np.sqrt(max(sq, 0.0)))
    keep = x > _EPS
    div = np.dot(x[keep], np.log(x[keep] / np.maximum(wh[keep], _EPS)))
    div += np.dot(W.sum(axis=0), H.sum(axis=1)) - x[keep].sum()
    return float(np.sqrt(2.0 * max(div, 0.0)))


def _float32(X):
    return X.astype(np.float32) if X.dtype != np.float32 else X


class _NMFBase(TopicModel):
    _common = {
        "init": one_of(*_INITS),
        "loss": one_of(*_LOSSES),
        "max_iter": int_range(1),
        "tol": real_range(0),
        "alpha_W": real_range(0),
        "alpha_H": either(one_of("same"), real_range(0)),
        "l1_ratio": real_range(0, 1),
    }

    def _fit(self, X):
        if self.seeded:
            return self._fit_seeded(X)
        self.model_ = self._estimator()
        with warnings.catch_warnings():  # recorded as converged_ instead
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            W = self.model_.fit_transform(_float32(X))
        self.n_iter_ = int(self.model_.n_iter_)
        self.converged_ = self.n_iter_ < self.max_iter
        self.reconstruction_error_ = float(self.model_.reconstruction_err_)
        return self.model_.components_.astype(np.float64), W.astype(np.float64)

    def _fit_seeded(self, X):
        """``init='custom'`` from the seeds, on X with the seeded topics' pseudo-documents."""
        augmented, W0, H0 = seeded_nmf_start(X, self.num_topics, self.init, self.seed, self._seed_columns(),
                                             self.seed_strength)
        self.model_ = self._estimator().set_params(init="custom")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            W = self.model_.fit_transform(_float32(augmented), W=W0.astype(np.float32), H=H0.astype(np.float32))
        W = W[:X.shape[0]]
        self.n_iter_ = int(self.model_.n_iter_)
        self.converged_ = self.n_iter_ < self.max_iter
        self.reconstruction_error_ = beta_divergence(X, W, self.model_.components_, self.loss)
        return self.model_.components_.astype(np.float64), W.astype(np.float64)

    def _transform(self, X):
        return self.model_.transform(_float32(X)).astype(np.float64)

    def reconstruction_error(self, X) -> float:
        """Reconstruction error of (held-out) ``X`` with the topics fixed, in the units of
        ``reconstruction_error_`` (scikit-learn's ``reconstruction_err_`` on the training
        matrix): Frobenius norm, or ``sqrt(2 * KL divergence)``."""
        self._check_fitted()
        X = self._check_matrix(X)
        return beta_divergence(X, self.model_.transform(_float32(X)), self.model_.components_, self.loss)

    def score(self, X, y=None) -> float:  # noqa: ARG002
        """Minus :meth:`reconstruction_error` of ``X`` (higher is better, for ``GridSearchCV``)."""
        return -self.reconstruction_error(X)


@TOPIC_BACKENDS.register("nmf.sklearn")
class SklearnNMF(_NMFBase):
    """scikit-learn ``NMF``. ``loss='kullback-leibler'`` needs ``solver='mu'``."""

    name = "nmf.sklearn"
    seedable = True
    skops_types = ("sklearn.decomposition._nmf.NMF",)
    _constraints = {**_NMFBase._common, "solver": one_of("cd", "mu")}

    def __init__(self, num_topics: int = 10, seed: int = 42, *, loss: str = "frobenius",
                 solver: str = "cd", init: str = "nndsvda", max_iter: int = 200,
                 tol: float = 1e-4, alpha_W: float = 0.0, alpha_H="same",
                 l1_ratio: float = 0.0, seed_words: dict[str, list[str]] | None = None,
                 seed_strength: float = 1.0):
        self.num_topics = num_topics
        self.seed = seed
        self.loss = loss
        self.solver = solver
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.seed_words = seed_words
        self.seed_strength = seed_strength

    def _check_combinations(self) -> None:
        if self.loss == "kullback-leibler" and self.solver != "mu":
            raise ParameterError("solver", "'mu' when loss='kullback-leibler'", self.solver)
        if self.solver == "mu" and self.init == "nndsvd":
            raise ParameterError("init", "nndsvda or nndsvdar when solver='mu' (nndsvd leaves "
                                 "zeros that multiplicative updates cannot change)", self.init)

    def _estimator(self):
        return NMF(n_components=self.num_topics, init=self.init, solver=self.solver,
                   beta_loss=self.loss, tol=self.tol, max_iter=self.max_iter,
                   random_state=self.seed, alpha_W=self.alpha_W, alpha_H=self.alpha_H,
                   l1_ratio=self.l1_ratio)


@TOPIC_BACKENDS.register("nmf.sklearn_minibatch")
class MiniBatchSklearnNMF(_NMFBase):
    """scikit-learn ``MiniBatchNMF`` (multiplicative updates on mini-batches).

    ``partial_fit(X)`` is one mini-batch update (scikit-learn's ``partial_fit``); a streamed
    run calls it with ``batch_size`` documents at a time, over a number of epochs."""

    name = "nmf.sklearn_minibatch"
    online = True
    seedable = True   # by fit(); partial_fit refuses seed_words
    skops_types = ("sklearn.decomposition._nmf.MiniBatchNMF",)
    _constraints = {
        **_NMFBase._common,
        "batch_size": int_range(1),
        "forget_factor": real_range(0, 1),
        "max_no_improvement": either(NONE, int_range(1)),
        "fresh_restarts": (lambda v: isinstance(v, bool), "true or false"),
    }

    def __init__(self, num_topics: int = 10, seed: int = 42, *, loss: str = "frobenius",
                 init: str = "nndsvda", batch_size: int = 1024, max_iter: int = 30,
                 tol: float = 0.0, alpha_W: float = 0.0, alpha_H="same",
                 l1_ratio: float = 0.0, forget_factor: float = 0.3,
                 max_no_improvement: int | None = None, fresh_restarts: bool = False,
                 seed_words: dict[str, list[str]] | None = None, seed_strength: float = 1.0):
        self.num_topics = num_topics
        self.seed = seed
        self.loss = loss
        self.init = init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.forget_factor = forget_factor
        self.max_no_improvement = max_no_improvement
        self.fresh_restarts = fresh_restarts
        self.seed_words = seed_words
        self.seed_strength = seed_strength

    def _estimator(self):
        return MiniBatchNMF(n_components=self.num_topics, init=self.init,
                            batch_size=self.batch_size, beta_loss=self.loss, tol=self.tol,
                            max_no_improvement=self.max_no_improvement,
                            max_iter=self.max_iter, alpha_W=self.alpha_W,
                            alpha_H=self.alpha_H, l1_ratio=self.l1_ratio,
                            forget_factor=self.forget_factor,
                            fresh_restarts=self.fresh_restarts, random_state=self.seed)

    def _partial_fit(self, X, first: bool, stream_documents: int | None):
        if first:
            self.model_ = self._estimator()
            self.n_iter_ = 0
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            self.model_.partial_fit(_float32(X))
        if stream_documents:
            # fit() forgets forget_factor of the past per pass over the data (rho =
            # forget_factor ** (batch_size / n_samples)); partial_fit takes n_samples from the
            # first mini-batch, forgetting 70% at every step: on BBC, ordered by section, the
            # topics were those of the last sections read (NPMI .002 instead of .17)
            self.model_._rho = self.forget_factor ** (self.batch_size / max(stream_documents, self.batch_size))
        _rescale(self.model_)
        self.n_iter_ = int(self.model_.n_steps_)    # mini-batch updates so far
        self.converged_ = False
        return self.model_.components_.astype(np.float64)


def _rescale(model: MiniBatchNMF) -> None:
    """Give each row of H unit length, moving the scale into the next mini-batch's W.

    ``partial_fit`` solves each mini-batch's W afresh, so nothing holds the scale of W H: on
    100,000 news documents H drifted to 6e18 within 600 updates and float32 overflowed. X ~ W H
    is unchanged by W -> W d, H -> H / d; the online update keeps H = A / B with A invariant and
    B scaling with d, so B is scaled with it and the next update is the one it would have been.
    """
    H = model.components_
    scale = np.linalg.norm(H, axis=1).astype(H.dtype)
    scale[~(scale > 0)] = 1
    H /= scale[:, None]
    model._components_denominator *= scale[:, None]
