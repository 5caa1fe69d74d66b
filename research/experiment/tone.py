"""The ``tone`` experiment kind: opinion vs reported news, and a promotional score.

Training data: ``corpus`` plus ``tone.extra_sources``, labels mapped by ``tone.label_map``.
Evaluation: cross-validation (grouped when ``tone.group_column`` is set; paragraph-level
and grouped by document when ``tone.unit: paragraph``) and, when ``tone.test_sources`` are
given, a held-out test on other data. The headline metrics are the held-out ones when a
test exists, the cross-validated ones otherwise. ``predictions.csv`` holds out-of-fold (or
held-out) probabilities, never in-sample ones. ``tone.threshold: auto`` and
``tone.calibration`` are tuned inside the classifier's ``fit`` (so inside each CV fold, on its
training part), grouped by ``tone.group_column``; the final model's threshold is
``metrics.json``'s ``threshold``, and calibration per group is in ``calibration_by_group.csv``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.frozen import FrozenEstimator

from research.config.load import Config
from research.corpus.documents import STANDARD_FIELDS, Document
from research.corpus.read import read_corpus
from research.errors import ConfigError, ModelError, ParameterError
from research.experiment.kinds import register_kind
from research.experiment.stages import Prepared
from research.experiment.tone_confounding import check_confounding, measure_run_confounding, write_confounding
from research.experiment.tone_sentences import check_sentences, sentence_scorers
from research.runs.artifacts import save_artifact
from research.runs.folder import RunFolder
from research.tone import (
    ToneSettings,
    build_classifier,
    cross_validate,
    evaluate_holdout,
    paragraph_cross_validate,
    top_features,
)
from research.tone.calibration import write_group_calibration
from research.tone.classifier import ToneClassifier
from research.tone.evaluation import decide
from research.util.tables import write_csv

__all__ = ["load_training_documents", "score_documents", "tone_fitter"]

SMALL_CORPUS = 30


# -- data --------------------------------------------------------------------------------
def _read_source(settings: dict[str, Any], fallback_group: str | None, where: str) -> list[Document]:
    group = settings.get("group_column") or fallback_group
    corpus = {k: v for k, v in settings.items() if k not in ("label", "group_column", "max_documents")}
    if group and group not in STANDARD_FIELDS and corpus["keep_columns"] != "all":
        corpus["keep_columns"] = sorted(set(corpus["keep_columns"]) | {group})
    docs = read_corpus(corpus)
    if settings.get("max_documents") and len(docs) > settings["max_documents"]:
        keep = np.sort(np.random.default_rng(0).choice(len(docs), settings["max_documents"], replace=False))
        docs = [docs[i] for i in keep]
    out = []
    for doc in docs:
        label = settings.get("label") or doc.label
        value = doc.field(group) if group else None
        out.append(replace(doc, label=label, meta={**doc.meta, "group": value, "source": where}))
    return out


def _map_labels(docs: list[Document], label_map: dict[str, str], where: str) -> list[Document]:
    missing = [d.id for d in docs if d.label is None]
    if missing:
        raise ConfigError(f"{where}: {len(missing)} document(s) have no label (e.g. '{missing[0]}'); set "
                          "corpus.label_column to the column holding the labels, or a source's `label`")
    if label_map:
        allowed = set(label_map) | set(label_map.values())
        unmapped = sorted({d.label for d in docs} - allowed)  # type: ignore[type-var]
        if unmapped:
            raise ConfigError(f"tone.label_map: label value(s) {', '.join(map(repr, unmapped))} in {where} are not "
                              "mapped; add them to tone.label_map")
    return [replace(d, label=label_map.get(d.label, d.label)) for d in docs]  # type: ignore[arg-type]


def load_training_documents(config: Config) -> list[Document]:
    """``corpus`` + ``tone.extra_sources``, labelled and grouped; ids unique across sources."""
    tone = config["tone"]
    main = {**config["corpus"], "label": None, "group_column": None, "max_documents": None}
    sources = [("corpus", main)] + [(f"tone.extra_sources.{i}", s) for i, s in enumerate(tone["extra_sources"])]
    docs: list[Document] = []
    for where, settings in sources:
        read = _read_source(settings, tone["group_column"], where)
        docs += _map_labels(read, tone["label_map"], where)
    return _unique_ids(docs)


def _unique_ids(docs: list[Document]) -> list[Document]:
    seen: dict[str, int] = {}
    out = []
    for doc in docs:
        seen[doc.id] = seen.get(doc.id, 0) + 1
        out.append(doc if seen[doc.id] == 1 else replace(doc, id=f"{doc.meta['source']}:{doc.id}"))
    return out


def _test_documents(config: Config, cleaner) -> list[Document]:
    tone = config["tone"]
    docs: list[Document] = []
    for i, settings in enumerate(tone["test_sources"]):
        where = f"tone.test_sources.{i}"
        read = _map_labels(_read_source(settings, tone["group_column"], where), tone["label_map"], where)
        docs += [d.with_text(cleaner.clean_for_scoring(d.text)) for d in read]   # as reuse and apply do
    return _unique_ids(docs)


# -- checks --------------------------------------------------------------------------------
def precheck(config: Config) -> None:
    tone = config["tone"]
    try:
        tone_settings(config).check(sentence_scorers="trained in the run")
    except ParameterError as exc:
        raise _at_config_key(exc) from None
    if "sentences" in tone["features"]:
        check_sentences(tone["sentences"])
    check_confounding(config)
    if tone["test_sources"] and tone["unit"] == "paragraph":
        raise ModelError("tone.test_sources with tone.unit: paragraph is not supported; use tone.unit: document")
    if tone["unit"] == "paragraph" and (tone["threshold"] == "auto" or tone["calibration"] != "none"):
        key = "tone.threshold: auto" if tone["threshold"] == "auto" else f"tone.calibration: {tone['calibration']}"
        raise ConfigError(f"{key} needs tone.unit: document; set a number (e.g. 0.5) and calibration none "
                          "for paragraph units")
    for key in ("extra_sources", "test_sources"):
        for i, source in enumerate(tone[key]):
            if not Path(source["source"]).exists():
                raise ConfigError(f"tone.{key}.{i}.source: no such file or folder: {source['source']}")


def _check_training(config: Config, labels: list[str], groups: list[Any] | None) -> None:
    tone = config["tone"]
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ModelError(f"tone.label_map: only one class after mapping ({classes[0]!r}); a classifier needs two "
                         "or more (add a source with another label, e.g. tone.extra_sources)")
    if tone["positive"] not in classes:
        raise ConfigError(f"tone.positive: {tone['positive']!r} is not a class; classes are {', '.join(classes)}")
    folds = tone["evaluation"]["folds"]
    unit_counts = {c: labels.count(c) for c in classes}
    small = {c: n for c, n in unit_counts.items() if n < folds}
    if small and groups is None:
        raise ModelError(f"tone.evaluation.folds={folds}: class(es) {small} have fewer documents than folds; "
                         "lower tone.evaluation.folds or add documents")
    if groups is not None and tone["evaluation"]["scheme"] != "stratified":
        n_groups = len(set(groups))
        need = 2 if tone["evaluation"]["scheme"] == "leave_one_group_out" else folds
        if n_groups < need:
            raise ModelError(f"tone.group_column: {n_groups} group(s), fewer than the {need} folds of "
                             f"tone.evaluation.folds; lower the folds, use more groups or set tone.group_column: null")


def tone_settings(config: Config) -> ToneSettings:
    """The classifier settings of a tone config: the ``tone`` section, the ``vectorizer``
    section for TF-IDF features and the run's seed."""
    tone, vec = config["tone"], config["vectorizer"]
    tfidf_params = {"min_df": vec["min_df"], "max_df": vec["max_df"], "ngram_range": tuple(vec["ngram_range"]),
                    "sublinear_tf": vec["sublinear_tf"], "max_features": vec["max_features"]}
    return ToneSettings(
        features=tuple(tone["features"]), model=tone["model"], C=tone["C"], class_weight=tone["class_weight"],
        max_iter=tone["max_iter"], calibration_folds=tone["calibration_folds"], nb_alpha=tone["nb_alpha"],
        tone_features=tone["tone_features"], tfidf_params=tfidf_params,
        sentence_threshold=tone["sentences"]["threshold"], sentence_min_words=tone["sentences"]["min_words"],
        sentence_quantiles=tuple(tone["sentences"]["quantiles"]),
        char_ngram_range=tuple(tone["chars"]["ngram_range"]), char_min_df=tone["chars"]["min_df"],
        random_state=config["seed"])


def _estimator(config: Config, scorers, confounding=None):
    settings = tone_settings(config)
    if confounding is not None and confounding.tone_features is not None:
        settings = replace(settings, tone_features=confounding.tone_features)
    try:
        return build_classifier(settings, sentence_scorers=scorers)
    except ParameterError as exc:
        raise _at_config_key(exc) from None


# the evaluation's parameters -> the config keys they are read from (ParameterError.at)
EVALUATION_KEYS = {"scheme": "tone.evaluation.scheme", "n_splits": "tone.evaluation.folds",
                   "groups": "tone.group_column", "positive": "tone.positive", "y": "corpus.label_column",
                   "y_true": "tone.test_sources.label_column"}


def _at_config_key(exc: ParameterError) -> ParameterError:
    """A tone library ParameterError naming the config key: the evaluation's parameters by
    EVALUATION_KEYS, the classifier's settings (C, model, ...) as ``tone.<param>``."""
    return exc.at(EVALUATION_KEYS.get(exc.param, f"tone.{exc.param}"))


# -- the run -------------------------------------------------------------------------------
def _cross_validate(config: Config, estimator, texts, labels, groups):
    tone = config["tone"]
    ev = tone["evaluation"]
    common = dict(positive=tone["positive"], threshold=tone["threshold"], n_boot=ev["bootstrap"], seed=config["seed"])
    try:
        if tone["unit"] == "paragraph":
            return paragraph_cross_validate(estimator, texts, labels, n_splits=ev["folds"],
                                            min_words=tone["paragraph_min_words"], **common)
        return cross_validate(_classifier(config, estimator), texts, labels, groups=groups, n_splits=ev["folds"],
                              scheme=ev["scheme"], **common)   # each fold tunes threshold/calibration on its own
    except ParameterError as exc:
        raise _at_config_key(exc) from None


def _classifier(config: Config, estimator) -> ToneClassifier:
    tone = config["tone"]
    return ToneClassifier(estimator, positive=tone["positive"], unit=tone["unit"],
                          paragraph_min_words=tone["paragraph_min_words"],
                          promotional_prior=tone["promotional"]["prior"], threshold=tone["threshold"],
                          calibration=tone["calibration"], inner_folds=tone["evaluation"]["folds"],
                          random_state=config["seed"])


def _fit_final(config: Config, estimator, texts, labels, groups) -> ToneClassifier:
    try:
        return _classifier(config, estimator).fit(texts, labels, groups=groups)
    except ParameterError as exc:
        raise _at_config_key(exc) from None


def tone_fitter(config: Config, log: logging.Logger | None = None):
    """``fit(texts, labels, groups=None) -> ToneClassifier`` as a run of ``config`` fits its
    final model (sentence models trained once, the config's features, classifier, threshold
    and calibration), for benches and tests that need the config's model on other data.
    ``tone.confounding`` is not applied: a run measures it on its own training groups."""
    scorers = sentence_scorers(config, log or logging.getLogger("research"), {})
    estimator = _estimator(config, scorers)
    return lambda texts, labels, groups=None: _fit_final(config, estimator, texts, labels, groups)


def score_documents(model: ToneClassifier, docs: list[Document], proba: np.ndarray, top: int,
                    promotional: bool, extra: dict[str, Any] | None = None,
                    threshold: float | np.ndarray = 0.5) -> list[dict[str, Any]]:
    """Rows of predictions.csv: metadata, prediction, class probabilities, promotional score, reasons.

    ``predicted`` follows ``threshold`` (one, or one per row) on P(positive) as the metrics do
    (:func:`decide`). A row
    of NaN probabilities (a text with nothing left to read) gets empty scores."""
    classes = [str(c) for c in model.classes_]
    positive = classes.index(model.positive)
    readable = np.flatnonzero(~np.isnan(proba).any(axis=1))
    texts = [docs[i].text for i in readable]
    promo = dict(zip(readable.tolist(), model.promotional_score(texts, proba[readable, positive]), strict=True)) \
        if promotional and len(readable) else {}
    reasons = dict(zip(readable.tolist(), model.reasons(texts, top), strict=True)) if len(readable) else {}
    predicted = decide(proba, classes, model.positive, threshold)
    rows = []
    for i, doc in enumerate(docs):
        row = {**doc.metadata(), **(extra or {}), "predicted": predicted[i] or ""}
        row.update({f"p_{c}": _rounded(proba[i, k]) for k, c in enumerate(classes)})
        if promotional:
            row["promotional_score"] = _rounded(promo.get(i, np.nan))
        row["top_reasons"] = reasons.get(i, "")
        rows.append(row)
    return rows


def _rounded(value: float) -> float | str:
    return "" if np.isnan(value) else round(float(value), 6)


def _headline(evaluation) -> dict[str, Any]:
    summary = evaluation.summary()
    return {**{k: v for k, v in summary["metrics"].items()}, "intervals": summary["intervals"],
            "confusion": summary["confusion"], "classes": summary["classes"], "scheme": summary["scheme"],
            "n": summary["n"]}


def _training_groups(tone: dict[str, Any], docs: list[Document]) -> list[str] | None:
    """Each training document's group, when a source names a group column (never for paragraphs)."""
    if tone["unit"] == "paragraph" or not (tone["group_column"] or any(
            s["group_column"] for s in tone["extra_sources"])):
        return None
    return [str(d.meta.get("group")) for d in docs]


def _promote_headline(metrics: dict[str, Any]) -> None:
    """Copy the headline split's (test, else cv) numbers and intervals to the top level."""
    headline = metrics["test"] if "test" in metrics else metrics["cv"]
    metrics.update({k: headline[k] for k in ("macro_f1", "accuracy", "roc_auc", "pr_auc", "brier") if k in headline})
    metrics["intervals"] = headline["intervals"]


@register_kind("tone", precheck=precheck, loader=load_training_documents)
def run_tone(config: Config, run: RunFolder, prepared: Prepared) -> dict[str, Any]:
    tone = config["tone"]
    docs = prepared.documents
    texts, labels = [d.text for d in docs], [str(d.label) for d in docs]
    groups = _training_groups(tone, docs)
    _check_training(config, labels, groups)
    if len(docs) < SMALL_CORPUS:
        run.warn(f"only {len(docs)} training documents: enough to exercise the pipeline, not to support "
                 "conclusions about tone; train on the shared data sets for real use")
    metrics: dict[str, Any] = {"evaluation": "cross_validation"}
    with run.stage("sentence models"):
        scorers = sentence_scorers(config, run.log, metrics)
    with run.stage("feature confounding"):
        confounding = measure_run_confounding(config, run, texts, labels, groups, scorers, tone_settings(config))
    estimator = _estimator(config, scorers, confounding)
    with run.stage("cross-validate"):
        cv = _cross_validate(config, estimator, texts, labels, groups)
    with run.stage("fit"):
        model = _fit_final(config, estimator, texts, labels, groups)
        save_artifact(model, run.path / "artifacts" / "model")   # model.json + model.skops
    metrics["cv"] = _headline(cv)
    cv_proba = _align(cv, model)
    rows = score_documents(model, docs, cv_proba, config["tone"]["explain_top"], tone["promotional"]["enabled"],
                           {"split": "cv"}, cv.threshold)     # each fold's own threshold, as its metrics
    metrics.update(threshold=model.decision_threshold(), threshold_selection=_selection(tone, model, cv))
    evaluations = {"cv": cv}
    if tone["test_sources"]:
        with run.stage("test"):
            test, test_rows = _held_out(config, prepared, model, texts, labels)
            metrics["test"] = _headline(test)
            metrics["evaluation"] = "held_out_test"
            rows += test_rows
            evaluations["test"] = test
    _promote_headline(metrics)
    with run.stage("outputs"):
        write_csv(run.path / "predictions.csv", rows)
        write_confounding(run.path / "feature_confounding.csv", confounding, model.pipeline_, tone["positive"])
        _figures(run, model, evaluations, "test" if "test" in evaluations else "cv", tone["positive"])
        metrics["calibration_by_group"] = write_group_calibration(run.path, evaluations, rows, tone["positive"])
        metrics["top_features"] = {c: [[n, round(w, 4)] for n, w in f] for c, f in top_features(model.pipeline_).items()}
    metrics["documents"] = {r["id"]: {k: r[k] for k in r if k.startswith("p_") or k == "promotional_score"}
                            for r in rows[:50]}
    metrics["training_documents"] = len(docs)
    return metrics


def _held_out(config: Config, prepared: Prepared, model: ToneClassifier, texts, labels):
    """The final model on ``tone.test_sources``: its evaluation and its predictions.csv rows."""
    tone = config["tone"]
    test_docs = _test_documents(config, prepared.cleaned.pipeline)
    try:
        _, test = evaluate_holdout(FrozenEstimator(model), texts, labels,
                                   [d.text for d in test_docs], [str(d.label) for d in test_docs],
                                   positive=tone["positive"], threshold=model.decision_threshold(),
                                   n_boot=tone["evaluation"]["bootstrap"], seed=config["seed"])
    except ParameterError as exc:
        raise _at_config_key(exc) from None
    rows = score_documents(model, test_docs, _align(test, model), tone["explain_top"],
                           tone["promotional"]["enabled"], {"split": "test"}, model.decision_threshold())
    return test, rows


def _selection(tone: dict[str, Any], model: ToneClassifier, cv) -> dict[str, Any]:
    """How the threshold was set: the setting, the final model's inner choice, each CV fold's."""
    folds = [f["threshold"] for f in cv.folds if "threshold" in f]
    inner = [f["inner_folds"] for f in cv.folds if "inner_folds" in f]
    return {"setting": tone["threshold"], "calibration": tone["calibration"],
            "final_model": model.threshold_choice_,
            **({"cv_folds": folds, "cv_inner_folds": inner} if folds else {})}


def _align(evaluation, model: ToneClassifier) -> np.ndarray:
    """The evaluation's probabilities with columns in the model's class order."""
    order = [list(map(str, evaluation.classes)).index(str(c)) for c in model.classes_]
    return np.asarray(evaluation.proba)[:, order]


def _figures(run: RunFolder, model: ToneClassifier, evaluations: dict[str, Any], shown: str,
             positive: str) -> None:
    """The figures of split ``shown`` (the headline one), and beside them the data of every
    figure for every split (``figures/<name>.csv``), so each can be checked against
    ``predictions.csv``."""
    from research.tone.figures import (  # matplotlib
        calibration_table,
        plot_calibration,
        plot_confusion,
        plot_top_features,
    )

    figures = run.path / "figures"
    calibration, confusion = [], []
    for split, evaluation in evaluations.items():
        classes = [str(c) for c in evaluation.classes]
        p_positive = np.asarray(evaluation.proba)[:, classes.index(positive)]
        calibration += [{"split": split, **{k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()}}
                        for row in calibration_table(evaluation.y_true, p_positive, positive)]
        cm = np.asarray(evaluation.confusion)
        confusion += [{"split": split, "true": t, "predicted": c, "documents": int(cm[i, j])}
                      for i, t in enumerate(classes) for j, c in enumerate(classes)]
    write_csv(figures / "calibration.csv", calibration)
    write_csv(figures / "confusion.csv", confusion)
    top = top_features(model.pipeline_)
    write_csv(figures / "top_features.csv", [{"class": c, "rank": r + 1, "feature": n, "weight": round(w, 6)}
                                             for c, found in top.items() for r, (n, w) in enumerate(found)])
    evaluation = evaluations[shown]
    classes = [str(c) for c in evaluation.classes]
    plot_calibration(evaluation.y_true, np.asarray(evaluation.proba)[:, classes.index(positive)], positive,
                     figures / "calibration.png", title=f"Reliability of P({{positive}}), {shown} split")
    plot_confusion(np.asarray(evaluation.confusion), classes, figures / "confusion.png",
                   title=f"Confusion matrix, {shown} split")
    plot_top_features(top, figures / "top_features.png")
