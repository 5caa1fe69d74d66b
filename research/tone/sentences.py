"""Sentence models, and the document features they yield.

A :class:`SentenceScorer` is trained on labelled sentences: CheckThat! 2025 (OBJ/SUBJ:
does the sentence state the author's own view?) or the PTC propaganda lines (does the
line hold a propaganda technique: loaded language, flag-waving, exaggeration ...?). It
uses the length-normalised tone features of :mod:`research.tone.features` (optionally
with character n-grams), scaled, into a logistic regression; a bag of words learnt on
1,300 sentences does not carry to other outlets (measured in ``experiments/bench_tone.py``).

With ``embeddings=True`` the all-MiniLM-L6-v2 sentence embeddings
(:mod:`research.tone.embeddings`, an optional extra: ``pip install 'research[embeddings]'``)
are added, standardised like the tone features. With ``fine_tune`` as well, P(positive) is
0.5 x that logistic regression + 0.5 x fine-tuned MiniLM networks
(:mod:`research.tone.finetune`, same extra, minutes per seed). Trained on CheckThat! 2025
English train + dev and scored on dev_test (n=484, macro-F1 at 0.5, bootstrap 95%):
tone features 0.660 [0.611, 0.707]; tone + embeddings, balanced 0.686 [0.637, 0.732];
with ``fine_tune=True`` as well 0.704 [0.650, 0.749] (chosen on train -> dev before its
dev_test score was seen; read the caveats in :mod:`research.tone.finetune`). Re-run:
``experiments/bench_tone.py --only checkthat``.

:class:`SentenceShares` turns fitted scorers into document features: it splits each
document into sentences and returns, per scorer, the share of sentences scored above
``threshold`` and the mean probability, and optionally quantiles of the sentences'
probabilities (``quantiles=(0.25, 0.5, 0.75, 0.9)`` -> ``<name>_q25`` ... ``<name>_q90``:
how subjective a document's least, typical and most subjective sentences are). Scorers are frozen inside it
(:class:`sklearn.frozen.FrozenEstimator`), so cloning a pipeline for cross-validation
keeps them trained, and fitting the document classifier never refits them.

Scores are memoised per (trained scorer, sentence): cross-validation transforms the same
documents once per fold, and the cache makes every pass after the first cost nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from research.errors import ModelError, ParameterError
from research.text.sentences import split_sentences
from research.tone.features import ToneFeatures
from research.tone.labels import binary_target

__all__ = ["SentenceScorer", "SentenceShares", "sentence_features"]

_CACHE_SIZE = 200_000
_SCORE_CACHE: OrderedDict[tuple[str, bytes], float] = OrderedDict()


def _key(fingerprint: str, sentence: str) -> tuple[str, bytes]:
    return fingerprint, hashlib.blake2b(sentence.encode("utf-8", "surrogatepass"),
                                        digest_size=16).digest()


class SentenceScorer(ClassifierMixin, BaseEstimator):
    """Probability that a sentence belongs to the ``positive`` class.

    Parameters
    ----------
    positive : str
        The label scored (``"SUBJ"`` for CheckThat, ``1`` for PTC propaganda lines).
    C : float or None
        Inverse regularisation of the logistic regression; None = 0.3, or 0.003 with
        ``embeddings`` (423 standardised columns need far stronger shrinkage than 39;
        both chosen by cross-validation on CheckThat train + dev).
    class_weight : None or "balanced"
        "balanced" makes the 0.5 threshold independent of the training class shares
        (CheckThat's splits hold 36%, 52% and 25% SUBJ).
    char_ngrams : bool
        Add character 2-5-gram TF-IDF to the tone features (off by default: it learns
        the training outlets' vocabulary and scored lower across data sets).
    embeddings : bool
        Add sentence embeddings (optional extra, see :mod:`research.tone.embeddings`);
        fitting raises :class:`ModelError` when the extra is not installed.
    max_iter : int
    fine_tune : bool or tuple of int
        Off (False) by default. True (seeds 0, 1, 2) or a tuple of seeds: average the
        logistic regression's probability with that of a
        :class:`~research.tone.finetune.FineTunedSentenceClassifier` over these seeds,
        half and half (needs ``embeddings=True``; about 3 min per seed on 2 cores).
    fine_tune_epochs : int
        Training epochs of each fine-tuned network (4, the recipe of
        :mod:`research.tone.finetune`; fewer only for quick checks).
    fine_tune_threads : int
        torch threads while fine-tuning and scoring (fixed, so that results repeat); 1 is
        faster than 2 when other jobs share the cores.
    """

    DEFAULT_C = 0.3        # C=None: tone.sentences.C of defaults.yaml (a test compares them) ...
    EMBEDDINGS_C = 0.003   # ... or this with embeddings=True (384 dense dimensions need more penalty)

    def __init__(self, positive="SUBJ", C=None, class_weight=None, char_ngrams=False,
                 embeddings=False, max_iter=2000, fine_tune=False, fine_tune_epochs=4,
                 fine_tune_threads=2):
        self.positive = positive
        self.C = C
        self.class_weight = class_weight
        self.char_ngrams = char_ngrams
        self.embeddings = embeddings
        self.max_iter = max_iter
        self.fine_tune = fine_tune
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_threads = fine_tune_threads

    def _fine_tuner(self):
        """The fine-tuned classifier to fit, or None."""
        if self.fine_tune is False or self.fine_tune is None:
            return None
        if not self.embeddings:
            raise ModelError("tone.sentences.fine_tune: needs embeddings=True (the fine-tuned "
                             "networks are averaged with the embeddings model)")
        from research.tone.finetune import FineTunedSentenceClassifier
        seeds = (0, 1, 2) if self.fine_tune is True else tuple(self.fine_tune)
        return FineTunedSentenceClassifier(positive=self.positive, seeds=seeds,
                                           epochs=self.fine_tune_epochs, n_threads=self.fine_tune_threads)

    def _pipeline(self) -> Pipeline:
        parts = [("tone", Pipeline([("features", ToneFeatures()),
                                    ("scale", StandardScaler())]))]
        if self.embeddings:
            from research.tone.embeddings import SentenceEmbeddings
            parts.append(("embeddings", Pipeline([("encode", SentenceEmbeddings()),
                                                  ("scale", StandardScaler())])))
        if self.char_ngrams:
            parts.append(("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                                                   min_df=2, sublinear_tf=True)))
        C = self.C if self.C is not None else (self.EMBEDDINGS_C if self.embeddings else self.DEFAULT_C)
        clf = LogisticRegression(C=C, class_weight=self.class_weight,
                                 max_iter=self.max_iter)
        return Pipeline([("features", FeatureUnion(parts)), ("clf", clf)])

    def fit(self, X, y):
        y = list(y)
        self.classes_, target = binary_target(y, self.positive)
        fine_tuner = self._fine_tuner()
        texts = [str(x) for x in X]
        self.pipeline_ = self._pipeline().fit(texts, target)
        self.fine_tuned_ = None if fine_tuner is None else fine_tuner.fit(texts, y)
        self.fingerprint_ = uuid.uuid4().hex
        return self

    def predict_proba(self, X):
        """Columns follow ``classes_``: [the other label, ``positive``]."""
        check_is_fitted(self, "pipeline_")
        texts = [str(x) for x in X]
        proba = self.pipeline_.predict_proba(texts)
        if getattr(self, "fine_tuned_", None) is None:
            return proba
        p = 0.5 * self.fine_tuned_.predict_proba(texts)[:, 1] + 0.5 * proba[:, 1]  # type: ignore[union-attr]
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]

    def score_sentences(self, sentences) -> np.ndarray:
        """P(positive) per sentence, memoised for this trained scorer."""
        check_is_fitted(self, "pipeline_")
        sentences = [str(s) for s in sentences]
        keys = [_key(self.fingerprint_, s) for s in sentences]
        found = {k: _SCORE_CACHE[k] for k in keys if k in _SCORE_CACHE}
        missing = {k: s for k, s in zip(keys, sentences, strict=True) if k not in found}
        if missing:
            probs = self.predict_proba(list(missing.values()))[:, 1].tolist()
            found.update(zip(missing.keys(), probs, strict=True))
            _SCORE_CACHE.update(zip(missing.keys(), probs, strict=True))
            while len(_SCORE_CACHE) > _CACHE_SIZE:
                _SCORE_CACHE.popitem(last=False)
        return np.array([found[k] for k in keys], dtype=float)


class SentenceShares(TransformerMixin, BaseEstimator):
    """Documents -> per scorer: share of sentences above ``threshold``, mean probability and
    the ``quantiles`` of the sentences' probabilities.

    Parameters
    ----------
    scorers : list of (name, fitted SentenceScorer)
        Wrap them with :func:`sentence_features` (or :class:`FrozenEstimator`) so that a
        cloned pipeline keeps them trained.
    threshold : float
        A sentence counts towards ``<name>_share`` when its probability exceeds this.
    min_words : int
        Sentences with fewer words (headings, captions, bylines) are ignored.
    quantiles : tuple of float
        Quantiles in (0, 1) of each document's sentence probabilities, as features
        ``<name>_q<100 x q>`` (e.g. 0.9 -> ``subjective_q90``); none by default. A document
        without sentences gets 0 for every feature.
    """

    def __init__(self, scorers=(), threshold=0.5, min_words=3, quantiles=()):
        self.scorers = scorers
        self.threshold = threshold
        self.min_words = min_words
        self.quantiles = quantiles

    def fit(self, X=None, y=None):  # noqa: ARG002
        if isinstance(self.threshold, bool) or not (isinstance(self.threshold, (int, float))
                                                    and 0.0 < self.threshold < 1.0):
            raise ParameterError("threshold", "a number in (0, 1)", self.threshold)
        qs = self.quantiles
        if (isinstance(qs, (str, bytes)) or not all(
                isinstance(q, (int, float)) and not isinstance(q, bool) and 0.0 < q < 1.0 for q in qs)
                or len({_q_name(q) for q in qs}) != len(qs)):
            raise ParameterError("quantiles", "distinct numbers in (0, 1)", qs)
        if not self.scorers:
            raise ModelError("tone.sentences: no sentence scorer given; train one on "
                             "CheckThat or PTC sentences, or drop 'sentences' from tone.features")
        for name, scorer in self.scorers:
            inner = getattr(scorer, "estimator", scorer)
            if not hasattr(inner, "fingerprint_"):
                raise ModelError(f"tone.sentences: scorer {name!r} is not trained; fit it "
                                 "on labelled sentences first")
        self.names_ = tuple(name for name, _ in self.scorers)
        return self

    def _sentences(self, text: str) -> list[str]:
        return [s for s in split_sentences(str(text)) if len(s.split()) >= self.min_words]

    def transform(self, X):
        check_is_fitted(self, "names_")
        docs = [self._sentences(t) for t in X]
        flat = [s for doc in docs for s in doc]
        bounds = np.cumsum([0] + [len(d) for d in docs])
        qs = [float(q) for q in self.quantiles]
        width = 2 + len(qs)
        out = np.zeros((len(docs), width * len(self.scorers)))
        for j, (_, scorer) in enumerate(self.scorers):
            inner = getattr(scorer, "estimator", scorer)
            probs = inner.score_sentences(flat) if flat else np.zeros(0)
            for i in range(len(docs)):
                p = probs[bounds[i]:bounds[i + 1]]
                if p.size:
                    out[i, width * j] = float(np.mean(p > self.threshold))
                    out[i, width * j + 1] = float(np.mean(p))
                    if qs:
                        out[i, width * j + 2:width * (j + 1)] = np.quantile(p, qs)
        return out

    def get_feature_names_out(self, input_features=None):  # noqa: ARG002
        check_is_fitted(self, "names_")
        kinds = ("share", "mean", *(_q_name(q) for q in self.quantiles))
        return np.array([f"{n}_{kind}" for n in self.names_ for kind in kinds], dtype=object)


def _q_name(q: float) -> str:
    """0.25 -> "q25", 0.9 -> "q90", 0.975 -> "q97.5"."""
    return f"q{round(100 * float(q), 1):g}"


def sentence_features(scorers: dict, threshold: float = 0.5, min_words: int = 3,
                      quantiles=()) -> SentenceShares:
    """A :class:`SentenceShares` over ``{name: fitted scorer}``, each frozen."""
    frozen = [(name, s if isinstance(s, FrozenEstimator) else FrozenEstimator(s))
              for name, s in scorers.items()]
    return SentenceShares(scorers=frozen, threshold=threshold, min_words=min_words,
                          quantiles=tuple(quantiles))
