"""Tone of news texts: opinion vs reported news, and how promotional a text is.

    features.py    ToneFeatures: length-normalised stance markers (pronouns, modals,
                   hedges, evaluation, attribution, quotes, ...) that carry across outlets
    sentences.py   SentenceScorer (CheckThat subjectivity, PTC propaganda) and
                   SentenceShares: the share of such sentences in a document
    embeddings.py  SentenceEmbeddings (optional extra): MiniLM sentence embeddings
    finetune.py    FineTunedSentenceClassifier (optional extra): fine-tuned MiniLM
    model.py       build_classifier(ToneSettings) (tfidf / tone / sentences x the
                   registered classifiers: tone.logreg, tone.linear_svm, tone.naive_bayes),
                   PromotionalScorer, explain / top_features
    classifier.py  ToneClassifier: what a tone run saves, a scikit-learn classifier of texts
    evaluation.py  stratified, grouped and leave-one-group-out folds, held-out data sets,
                   paragraph mode, metrics with bootstrap intervals
    figures.py     calibration curve, confusion matrix, top features
    confounding.py which features tell outlets apart more than genres (outlet spread /
                   genre spread), and which to drop

The library takes lists of texts, labels and groups; reading corpora and configs, and
writing run folders, belong to the pipeline that calls it.
"""

from research.tone.classifier import ToneClassifier
from research.tone.evaluation import (
    SCHEMES,
    ToneEvaluation,
    bootstrap_intervals,
    classification_metrics,
    cross_validate,
    evaluate_holdout,
    make_folds,
    paragraph_cross_validate,
)
from research.tone.features import FEATURE_NAMES, ToneFeatures, split_paragraphs, split_sentences
from research.tone.finetune import FineTunedSentenceClassifier
from research.tone.model import (
    CLASSIFIERS,
    FEATURE_KINDS,
    PromotionalScorer,
    ToneSettings,
    build_classifier,
    explain,
    linear_weights,
    top_features,
)
from research.tone.sentences import SentenceScorer, SentenceShares, sentence_features

__all__ = [
    "CLASSIFIERS",
    "FEATURE_KINDS",
    "FEATURE_NAMES",
    "SCHEMES",
    "FineTunedSentenceClassifier",
    "PromotionalScorer",
    "SentenceScorer",
    "SentenceShares",
    "ToneClassifier",
    "ToneEvaluation",
    "ToneFeatures",
    "ToneSettings",
    "bootstrap_intervals",
    "build_classifier",
    "classification_metrics",
    "cross_validate",
    "evaluate_holdout",
    "explain",
    "linear_weights",
    "make_folds",
    "paragraph_cross_validate",
    "plot_calibration",
    "plot_confusion",
    "plot_top_features",
    "sentence_features",
    "split_paragraphs",
    "split_sentences",
    "top_features",
]

_FIGURES = ("plot_calibration", "plot_confusion", "plot_top_features")


def __getattr__(name: str):
    """The figure functions, imported on first use (matplotlib takes ~0.4 s to import)."""
    if name in _FIGURES:
        from research.tone import figures

        return getattr(figures, name)
    raise AttributeError(f"module 'research.tone' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_FIGURES))
