"""The tone classifier builder, the promotional score, and per-document explanations.

Two axes:

* **opinion** — ``build_classifier(...)`` returns an sklearn ``Pipeline`` whose
  ``predict_proba`` gives P(opinion) against reported news (or any label pair it is fit
  on). Features are any of ``tfidf`` (a bag of words: strong within one outlet, weak
  across outlets), ``chars`` (character 2-4-gram TF-IDF within word boundaries,
  ``tone.chars``), ``tone`` (:mod:`research.tone.features`) and ``sentences``
  (:mod:`research.tone.sentences`: shares of subjective / propaganda sentences).

* **promotional** — :class:`PromotionalScorer`: one-sided, upbeat advocacy of its
  subject. No labelled promotional corpus exists, so the score is a product of two
  parts that can each be trained or checked on data that do exist::

      promotional = P(advocacy | text) * positivity(text)
      positivity  = (pos + prior/2) / (pos + neg + prior)

  ``P(advocacy)`` is a genre classifier (opinion vs reported news, trained on shared
  data): promotion argues, it does not report. ``positivity`` is the smoothed share of
  positive among the evaluative words in the author's own voice (quotes removed, so a
  report quoting an upbeat minister is not promotional); ``prior`` pulls texts with few
  evaluative words towards 0.5. A critical column is opinion but not upbeat; an upbeat
  sports report is upbeat but not opinion; only advocacy that is also upbeat scores high.
  Validation (``experiments/bench_tone.py``), each part on data it can be checked on:
  the advocacy part on hyperpartisan articles (one-sided vs not: an independent data set
  from 287 other web domains; intervals resample domains); the positivity part on BBC
  stories whose *headline* announces good or bad news (rises, record, rebound vs falls,
  cuts, warns: headline words kept out of the evaluation lexicon, and only the body is
  scored); the whole score on the ordering of the embedded sample (004 > 003 > reports).
  Hyperpartisan articles score *low* on positivity: partisanship is mostly attack, so
  the promotional axis is deliberately not a partisanship detector.
  The whole score is also checked on a labelled set of promotional opinion, critical
  opinion and reported news (:mod:`research.tone.promo_check`, labelled with a lexicon
  that shares no word with this one; ``experiments/bench_tone_promotional.py``).

Explanations (:func:`explain`, :func:`top_features`) work for all three model kinds,
because each is linear in the transformed features: logistic regression and the linear
SVM (coefficients averaged over the calibration folds) through ``coef_``, naive Bayes
through the log-ratio of its class-conditional word probabilities. A feature's
contribution to a document is weight x (scaled) value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from research.errors import ConfigError, ModelError, ParameterError
from research.tone.features import ToneFeatures, polarity_counts
from research.tone.sentences import SentenceShares, sentence_features
from research.util.registry import Registry

__all__ = [
    "CLASSIFIERS",
    "FEATURE_KINDS",
    "PromotionalScorer",
    "ToneSettings",
    "build_classifier",
    "explain",
    "linear_weights",
    "top_features",
]

FEATURE_KINDS = ("tfidf", "chars", "tone", "sentences")
CLASSIFIERS: Registry[Callable[[ToneSettings], Any]] = Registry("tone classifier")
"""``"tone.logreg"``, ``"tone.linear_svm"``, ``"tone.naive_bayes"`` -> a function that builds
the final estimator from :class:`ToneSettings`. A builder with ``nonnegative = True`` gets
its dense features scaled to [0, 1] instead of standardised."""


@dataclass(frozen=True)
class ToneSettings:
    """The settings of :func:`build_classifier`; names and defaults are those of the ``tone``
    section of ``defaults.yaml`` (a test compares them), ``tfidf_params`` is the
    ``vectorizer`` section's (scikit-learn's defaults) and ``random_state`` the run's seed."""

    features: tuple[str, ...] = ("tone",)
    model: str = "logreg"
    C: float = 0.1
    class_weight: str | None = None
    max_iter: int = 2000
    calibration_folds: int = 3
    nb_alpha: float = 1.0
    tone_features: tuple[str, ...] | None = None
    tfidf_params: dict[str, Any] = field(default_factory=dict)
    sentence_threshold: float = 0.5
    sentence_min_words: int = 3
    sentence_quantiles: tuple[float, ...] = ()
    char_ngram_range: tuple[int, int] = (2, 4)
    char_min_df: int = 2
    random_state: int = 42

    def check(self, sentence_scorers: Any = None) -> None:
        """A :class:`ParameterError` for the first bad setting (the experiment names the key)."""
        features = self.features
        if not features or any(f not in FEATURE_KINDS for f in features) or len(set(features)) != len(features):
            raise ParameterError("features", f"one or more of {', '.join(FEATURE_KINDS)}, each once",
                                 list(features))
        CLASSIFIERS.get(f"tone.{self.model}", "model")
        if isinstance(self.C, bool) or not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ParameterError("C", "a number > 0", self.C)
        if self.class_weight not in (None, "balanced"):
            raise ParameterError("class_weight", "null or 'balanced'", self.class_weight)
        if "sentences" in features and not sentence_scorers:
            raise ParameterError("sentences", "trained sentence scorers when 'sentences' is in features",
                                 sentence_scorers)

    def sentence_shares(self, sentence_scorers: Any) -> SentenceShares:
        """The ``sentences`` features of these settings over ``{name: fitted scorer}`` (the model's
        step, and the columns the outlet-confounding table measures)."""
        return sentence_features(dict(sentence_scorers or {}), threshold=self.sentence_threshold,
                                 min_words=self.sentence_min_words, quantiles=self.sentence_quantiles)


@CLASSIFIERS.register("tone.logreg")
def _logreg(s: ToneSettings) -> Any:
    return LogisticRegression(C=s.C, class_weight=s.class_weight, max_iter=s.max_iter)


@CLASSIFIERS.register("tone.linear_svm")
def _linear_svm(s: ToneSettings) -> Any:
    svm = LinearSVC(C=s.C, class_weight=s.class_weight, max_iter=s.max_iter, random_state=s.random_state)
    return CalibratedClassifierCV(svm, cv=s.calibration_folds, method="sigmoid")


@CLASSIFIERS.register("tone.naive_bayes")
def _naive_bayes(s: ToneSettings) -> Any:
    # naive Bayes has no class weights: 'balanced' means uniform class priors
    return MultinomialNB(alpha=s.nb_alpha, fit_prior=s.class_weight is None)


_naive_bayes.nonnegative = True  # type: ignore[attr-defined]  # multinomial NB needs x >= 0


def _minmax() -> MinMaxScaler:
    return MinMaxScaler(clip=True)


def build_classifier(settings: ToneSettings | None = None, /, *, tfidf: Any = None,
                     sentence_scorers: dict[str, Any] | None = None, **changes: Any) -> Pipeline:
    """An unfitted ``Pipeline([("features", FeatureUnion), ("clf", estimator)])``.

    ``settings`` (default :class:`ToneSettings`), with any field replaced by ``changes``
    (``build_classifier(features=("tfidf", "tone"), C=1.0)``). ``tfidf``: a
    ``TfidfVectorizer`` to use (cloned), else one built from ``settings.tfidf_params``.
    ``sentence_scorers``: ``{name: fitted SentenceScorer}``. Dense features are standardised
    (scaled to [0, 1] for a ``nonnegative`` classifier such as naive Bayes).
    """
    if "features" in changes and isinstance(changes["features"], str):
        changes["features"] = (changes["features"],)
    s = replace(settings or ToneSettings(), **changes)
    s.check(sentence_scorers)
    builder = CLASSIFIERS.get(f"tone.{s.model}", "model")
    scaler = _minmax if getattr(builder, "nonnegative", False) else StandardScaler
    parts: list[tuple[str, Any]] = []
    if "tfidf" in s.features:
        parts.append(("tfidf", clone(tfidf) if tfidf is not None else TfidfVectorizer(**s.tfidf_params)))
    if "chars" in s.features:   # character n-grams inside word boundaries: spelling, affixes, punctuation
        parts.append(("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(s.char_ngram_range),
                                               min_df=s.char_min_df, sublinear_tf=True)))
    if "tone" in s.features:
        parts.append(("tone", Pipeline([("features", ToneFeatures(features=s.tone_features)),
                                        ("scale", scaler())])))
    if "sentences" in s.features:
        parts.append(("sentences", Pipeline([("features", s.sentence_shares(sentence_scorers)),
                                             ("scale", scaler())])))
    return Pipeline([("features", FeatureUnion(parts)), ("clf", builder(s))])


def linear_weights(pipeline) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(feature names, weights [one row per class, or one row for binary], classes).

    For binary problems the single row pushes towards ``classes[1]``.
    """
    check_is_fitted(pipeline)
    clf = pipeline[-1]
    names = np.asarray(pipeline[:-1].get_feature_names_out(), dtype=object)
    if isinstance(clf, LogisticRegression):
        w = clf.coef_
    elif isinstance(clf, CalibratedClassifierCV):
        w = np.mean([c.estimator.coef_ for c in clf.calibrated_classifiers_], axis=0)
    elif isinstance(clf, MultinomialNB):
        logp = clf.feature_log_prob_
        w = logp[1:2] - logp[0:1] if len(clf.classes_) == 2 else logp - logp.mean(axis=0)
    else:
        raise ModelError(f"tone.model: explanations need a linear model, got {type(clf).__name__}")
    return names, np.atleast_2d(w), clf.classes_


def top_features(pipeline, n=15) -> dict[str, list[tuple[str, float]]]:
    """The ``n`` most heavily weighted features for each class."""
    names, w, classes = linear_weights(pipeline)
    rows = [(-w[0], classes[0]), (w[0], classes[1])] if w.shape[0] == 1 else zip(w, classes, strict=True)
    out = {}
    for row, label in rows:
        order = np.argsort(-row)[:n]
        out[str(label)] = [(str(names[j]), float(row[j])) for j in order if row[j] > 0]
    return out


def explain(pipeline, texts, top=5, label=None) -> list[dict]:
    """Per document: the class explained (``label``; default: binary ``classes[1]``,
    else the predicted class), its probability, and the ``top`` features that pushed
    towards and against it, each as (feature, contribution = weight x scaled value,
    scaled value). Contributions add up, with the intercept, to the model's log-odds
    (logistic regression and naive Bayes) or decision value (linear SVM)."""
    names, w, classes = linear_weights(pipeline)
    labels = [str(c) for c in classes]
    if label is not None and str(label) not in labels:
        raise ModelError(f"tone.positive: {label!r} is not one of the classes {labels}")
    if label is not None and w.shape[0] == 1 and str(label) == labels[0]:
        w = -w
        classes = classes[::-1]
    X = pipeline[:-1].transform(list(texts))
    X = X.tocsr() if sp.issparse(X) else np.asarray(X)
    proba = pipeline.predict_proba(list(texts))
    out = []
    for i in range(X.shape[0]):
        if w.shape[0] == 1:
            k, row = 1, w[0]
        else:
            k = labels.index(str(label)) if label is not None else int(np.argmax(proba[i]))
            row = w[k]
        x = X[i].toarray().ravel() if sp.issparse(X) else X[i]
        contrib = row * x
        order = np.argsort(contrib)
        pos = [j for j in order[::-1][:top] if contrib[j] > 0]
        neg = [j for j in order[:top] if contrib[j] < 0]
        column = labels.index(str(classes[k]))
        out.append({
            "label": str(classes[k]), "probability": float(proba[i, column]),
            "towards": [(str(names[j]), float(contrib[j]), float(x[j])) for j in pos],
            "against": [(str(names[j]), float(contrib[j]), float(x[j])) for j in neg],
        })
    return out


class PromotionalScorer(TransformerMixin, BaseEstimator):
    """promotional = P(advocacy | text) x positivity(text); see the module docstring.

    Parameters
    ----------
    advocacy : estimator with predict_proba
        Unfitted (it is cloned and fit on the genre data given to :meth:`fit`), or an
        already trained model wrapped in ``sklearn.frozen.FrozenEstimator``.
    positive : label
        The advocacy class in the training labels (``"opinion"``).
    prior : float
        Pseudo-counts of evaluative words (half positive, half negative) added to each
        text before taking the positive share; larger = more evidence needed to move
        away from 0.5.
    """

    def __init__(self, advocacy=None, positive="opinion", prior=4.0):
        self.advocacy = advocacy
        self.positive = positive
        self.prior = prior

    def fit(self, X, y=None):
        if self.advocacy is None:
            raise ConfigError("tone.promotional: no advocacy (genre) classifier given")
        if isinstance(self.prior, bool) or not (isinstance(self.prior, (int, float)) and self.prior > 0):
            raise ParameterError("prior", "a number > 0", self.prior)
        self.advocacy_ = clone(self.advocacy).fit(X, y)
        classes = list(self.advocacy_.classes_)
        if self.positive not in classes:
            raise ModelError(f"tone.promotional.positive: {self.positive!r} is not a class of "
                             f"the advocacy model ({classes})")
        self.positive_index_ = classes.index(self.positive)
        return self

    def positivity(self, texts) -> np.ndarray:
        counts = np.array([polarity_counts(str(t)) for t in texts], dtype=float).reshape(-1, 2)
        return (counts[:, 0] + self.prior / 2) / (counts.sum(axis=1) + self.prior)

    def transform(self, X):
        """Columns: advocacy probability, positivity, promotional score."""
        check_is_fitted(self, "advocacy_")
        texts = [str(t) for t in X]
        adv = self.advocacy_.predict_proba(texts)[:, self.positive_index_]
        pos = self.positivity(texts)
        return np.column_stack([adv, pos, adv * pos])

    def score_texts(self, X) -> np.ndarray:
        """The promotional score alone, in [0, 1]."""
        return self.transform(X)[:, 2]

    def get_feature_names_out(self, input_features=None):  # noqa: ARG002
        return np.array(["advocacy", "positivity", "promotional"], dtype=object)
