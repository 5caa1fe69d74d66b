"""The ``lda``, ``nmf`` and ``embed`` experiment kinds: fit, evaluate, write tables and figures.

With a list of ``topics.num_topics`` one model is fitted per K; every metric is recorded
per K (``metrics.json: by_k``), the best K by ``topics.best_by`` is marked, and its model,
tables and figures are the run's outputs. With ``topics.seed_words`` the topics are guided
(:mod:`research.experiment.guided`) and the run adds ``seed_topics.csv`` and ``seed_words.csv``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research.config.load import Config
from research.corpus.read import read_corpus
from research.errors import ConfigError, ModelError, ParameterError
from research.evaluate import (
    CoherenceScorer,
    fit_across_seeds,
    heldout_fit,
    label_agreement,
    month_of,
    prevalence_by_group,
    seed_labels,
    topic_diversity,
    topic_similarity,
    topic_stability,
)
from research.experiment.guided import resolve_seed_words, write_seed_report
from research.experiment.kinds import register_kind
from research.experiment.over_time import over_time_table
from research.experiment.stages import Prepared
from research.experiment.topic_groups import check_compare_field, comparison, write_by_group
from research.experiment.topic_reduce import labels_of, reduce_best, reducing, write_representatives
from research.runs.artifacts import save_artifact
from research.runs.folder import RunFolder
from research.topics import TOPIC_BACKENDS, build_topic_model
from research.topics.layout import document_labels, write_intertopic
from research.topics.ldavis import ldavis_page
from research.util.progress import progress_iter
from research.util.tables import write_csv
from research.util.workers import call
from research.vectorise import term_counts

__all__ = ["LOWER_IS_BETTER", "topic_metric_names"]

LOWER_IS_BETTER = {"perplexity", "reconstruction_error", "centroid_distance", "topic_similarity"}
OTHER_METRICS = ("topic_diversity", "topic_similarity", "perplexity", "reconstruction_error", "centroid_distance",
                 "nmi", "ari", "stability")


def topic_metric_names(config: Config) -> list[str]:
    return list(config["topics"]["evaluate"]["coherence"]) + list(OTHER_METRICS)


def _backend(config: Config) -> tuple[str, str, dict[str, Any]]:
    """(registered back-end name, its config section, its settings) for ``model.kind``."""
    kind = config["model"]["kind"]
    backend = config["topics"][f"{kind}_backend"]
    section = f"topics.{kind}_{backend}"
    if f"{kind}.{backend}" not in TOPIC_BACKENDS:
        allowed = [n.split(".", 1)[1] for n in TOPIC_BACKENDS.names(f"{kind}.")]
        raise ConfigError(f"topics.{kind}_backend: unknown back-end {backend!r}; registered {kind} back-ends: "
                          f"{' or '.join(repr(a) for a in allowed)}")
    return f"{kind}.{backend}", section, dict(config["topics"].get(f"{kind}_{backend}") or {})


def _ks(config: Config) -> list[int]:
    value = config["topics"]["num_topics"]
    return list(value) if isinstance(value, list) else [value]


def build_model(config: Config, k: int, seed: int | None = None, seed_words: dict[str, list[str]] | None = None):
    """The configured back-end; a library :class:`ParameterError` is re-raised naming the
    config key the value came from (``topics.nmf_sklearn.max_iter``, ``topics.num_topics``).

    Guided topics: ``topics.seed_words`` (or ``seed_words``, the same topics as vocabulary
    terms) and ``topics.seed_strength`` are passed when seed words are set."""
    name, section, params = _backend(config)
    if config["topics"]["seed_words"]:
        params.update(seed_words=dict(seed_words or config["topics"]["seed_words"]),
                      seed_strength=config["topics"]["seed_strength"])
    try:
        return build_topic_model(name, k, config["seed"] if seed is None else seed, **params)
    except ParameterError as exc:
        keys = {"num_topics": "topics.num_topics", "seed": "seed", "seed_words": "topics.seed_words",
                "seed_strength": "topics.seed_strength"}
        raise exc.at(keys.get(exc.param, f"{section}.{exc.param}")) from None


def precheck(config: Config) -> None:
    """Everything about the model settings that can be refused before reading any data."""
    name, _, _ = _backend(config)
    if TOPIC_BACKENDS.get(name).needs_counts and config["vectorizer"]["kind"] != "count":
        raise ConfigError(f"vectorizer.kind is 'tfidf' but {name.split('.')[0].upper()} is a model of word "
                          "counts: its likelihood draws whole words from topics, so TF-IDF weights are not "
                          "valid input; set vectorizer.kind: count")
    for k in _ks(config):
        build_model(config, k)
    valid = topic_metric_names(config)
    if config["topics"]["best_by"] not in valid:
        raise ConfigError(f"topics.best_by: unknown metric '{config['topics']['best_by']}'; valid: {', '.join(valid)}")
    reference = config["topics"]["evaluate"]["reference"]
    if reference is not None and not Path(reference).exists():
        raise ConfigError(f"topics.evaluate.reference: no such file or folder: {reference}; "
                          "give an existing corpus path or null for the training texts")
    check_compare_field(config)


def _check_sizes(config: Config, prepared: Prepared) -> None:
    n_docs, n_words = prepared.matrix.shape
    for k in _ks(config):
        if k > n_docs:
            raise ModelError(f"topics.num_topics={k} is more than the {n_docs} documents the corpus allows; "
                             "lower it (or use corpus.unit: paragraph for a small corpus)")
    for key in ("top_n", "evaluate.coherence_top_n", "evaluate.diversity_top_n"):
        value = config.get(f"topics.{key}")
        if value > n_words:
            raise ModelError(f"topics.{key}={value} is larger than the vocabulary ({n_words} words); lower it")


def _split(n_docs: int, share: float, seed: int, max_k: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n_docs)
    n_out = round(share * n_docs)
    if n_out < 1 or n_docs - n_out < max_k:
        return np.sort(order), np.array([], dtype=int)
    return np.sort(order[n_out:]), np.sort(order[:n_out])


def _reference_tokens(config: Config, prepared: Prepared, run: RunFolder) -> list[list[str]]:
    reference = config["topics"]["evaluate"]["reference"]
    if reference is None:
        return prepared.tokens
    docs = read_corpus({**config["corpus"], "source": reference, "where": {}, "limit": None})
    run.log.info("coherence reference: %d documents from %s", len(docs), reference)
    return [prepared.cleaned.pipeline.tokenize(d.text) for d in docs]


def _evaluate(config: Config, model, prepared: Prepared, scorers: dict, heldout: np.ndarray) -> dict[str, Any]:
    ev = config["topics"]["evaluate"]
    result = model.result()
    topics = result.topics(ev["coherence_top_n"])
    out: dict[str, Any] = {"num_topics": result.num_topics}
    for name, scorer in scorers.items():
        score = scorer.score(topics, ev["coherence_top_n"])
        out[name] = score.mean
        out[f"{name}_per_topic"] = list(score.per_topic)
    out["topic_diversity"] = topic_diversity(result.topics(ev["diversity_top_n"]), ev["diversity_top_n"])
    similarity = topic_similarity(result.topics(ev["coherence_top_n"]), ev["similarity"], ev["coherence_top_n"])
    out["topic_similarity"] = float(similarity.mean)
    if heldout.size:
        out.update(heldout_fit(model, prepared.matrix[heldout]))
        out["heldout_documents"] = int(heldout.size)
    return out


def _doc_topic(model, prepared: Prepared, heldout: np.ndarray) -> np.ndarray:
    return model.transform(prepared.matrix) if heldout.size else model.doc_topic_


def _labels_agreement(prepared: Prepared, doc_topic: np.ndarray) -> dict[str, float]:
    labels = [d.label for d in prepared.documents]
    if any(lab is None for lab in labels) or len(set(labels)) < 2:
        return {}
    return label_agreement(doc_topic, labels)


def _fit_one(config: Config, k: int, prepared: Prepared, split: tuple[np.ndarray, np.ndarray],
             scorers: dict, run: RunFolder, fitted=None,
             seed_terms: dict[str, list[str]] | None = None) -> tuple[Any, np.ndarray, dict[str, Any], list]:
    """Fit and evaluate one K on ``split`` = (training rows, held-out rows);
    ``fitted(model, doc_topic)`` is called before evaluating; ``seed_terms``: the seed words
    as vocabulary terms (guided topics). Last: the models fitted for stability, kept when
    topics are merged (their merged topics' stability)."""
    train, heldout = split
    model = build_model(config, k, seed_words=seed_terms).fit(prepared.matrix[train], feature_names=list(prepared.vocabulary))
    doc_topic = _doc_topic(model, prepared, heldout)
    if fitted is not None:
        fitted(model, doc_topic)
    metrics = _evaluate(config, model, prepared, scorers, heldout)
    metrics.update(_labels_agreement(prepared, doc_topic))
    seeds, seed_models = config["topics"]["evaluate"]["stability_seeds"], []
    if len(seeds) >= 2:
        ev = config["topics"]["evaluate"]
        seed_models = fit_across_seeds(build_model(config, k, seed_words=seed_terms), prepared.matrix[train],
                                       list(prepared.vocabulary), seeds)
        stability = topic_stability([m.result().topics(ev["coherence_top_n"]) for m in seed_models],
                                    ev["similarity"], ev["coherence_top_n"])
        metrics["stability"] = float(stability.mean)
        metrics["stability_seeds"] = list(seeds)
    summary = ", ".join(f"{key}={metrics[key]:.4f}" for key in scorers if key in metrics)
    run.log.info("K=%d: %s, diversity=%.3f", k, summary, metrics["topic_diversity"])
    return model, doc_topic, metrics, seed_models if reducing(config) else []


def _best(by_k: list[dict[str, Any]], metric: str) -> int:
    values = [m.get(metric) for m in by_k]
    if any(v is None for v in values):
        raise ModelError(f"topics.best_by: metric '{metric}' was not computed for every K; pick a computed one")
    pick = np.argmin if metric in LOWER_IS_BETTER else np.argmax
    return int(pick(values))  # type: ignore[arg-type]


@register_kind("lda", precheck=precheck)
@register_kind("nmf", precheck=precheck)
@register_kind("embed", precheck=precheck)   # research.topics.embed (the optional embeddings extra)
def run_topics(config: Config, run: RunFolder, prepared: Prepared) -> dict[str, Any]:
    _check_sizes(config, prepared)
    comparison(config, _group_fields(config, prepared)[1])   # refuse unknown values before fitting
    ev = config["topics"]["evaluate"]
    ks = _ks(config)
    train, heldout = _split(prepared.matrix.shape[0], ev["heldout"], config["seed"], max(ks))
    if ev["heldout"] > 0 and not heldout.size:
        run.warn(f"topics.evaluate.heldout={ev['heldout']}: too few documents to hold any out; no held-out fit")
    with run.stage("fit+evaluate"):
        reference = _reference_tokens(config, prepared, run)
        scorers = {m: CoherenceScorer(reference, m) for m in ev["coherence"]}
        guided = resolve_seed_words(config, prepared, run)
        # one K and a helper process (large corpora): the helper draws its figures while it
        # is evaluated; otherwise they are drawn with the outputs, for the best K
        early = (lambda model, doc_topic: _draw_topic_figures(config, run, prepared, model, doc_topic)) \
            if len(ks) == 1 and run.background.helpers and not reducing(config) else None
        fitted = [_fit_one(config, k, prepared, (train, heldout), scorers, run, early, guided)
                  for k in progress_iter(ks, "fitting", unit="models")]
    by_k = [metrics for _, _, metrics, _ in fitted]
    best = _best(by_k, config["topics"]["best_by"]) if len(ks) > 1 else 0
    model, doc_topic, metrics, seed_models = fitted[best]
    reduced: dict[str, Any] = {}
    if reducing(config):
        with run.stage("merge topics"):
            evaluate = lambda m, shares: {**_evaluate(config, m, prepared, scorers, heldout[:0]),  # noqa: E731
                                          **_labels_agreement(prepared, shares)}
            model, doc_topic, metrics, reduced = reduce_best(config, run, (model, doc_topic, metrics), seed_models,
                                                             evaluate)
    with run.stage("outputs"):
        if early is None:
            _draw_topic_figures(config, run, prepared, model, doc_topic)
        save_artifact(model, run.path / "artifacts" / "model")   # model.json, .npz (+ .skops)
        extra = _write_outputs(config, run, prepared, model, doc_topic, metrics, guided)
        if len(ks) > 1:
            _write_by_k(config, run, by_k, ks[best])
        run.background.wait()
    out = {k: v for k, v in metrics.items() if not k.endswith("_per_topic")}
    out.update(extra)
    out.update(reduced)
    out.update({"model": model.name, "best_k": ks[best], "best_by": config["topics"]["best_by"],
                "by_k": [{k: v for k, v in m.items() if not k.endswith("_per_topic")} for m in by_k],
                "documents_heldout": int(heldout.size)})
    if len(ks) > 1:
        names = [n for n in topic_metric_names(config) if all(isinstance(m.get(n), float) for m in by_k)]
        out["mean_over_k"] = {n: float(np.mean([m[n] for m in by_k])) for n in names}
    return out


def _full_result(prepared: Prepared, model, doc_topic: np.ndarray):
    """The model's result with every document's topic shares (held-out ones included)."""
    result = model.result()
    ids = tuple(d.id for d in prepared.documents)
    return type(result)(result.topic_word, doc_topic, result.vocabulary, ids, result.model, result.params)


def _draw_topic_figures(config: Config, run: RunFolder, prepared: Prepared, model,
                        doc_topic: np.ndarray) -> None:
    result, figures = _full_result(prepared, model, doc_topic), run.path / "figures"
    _draw(run, "plot_top_words", result, figures / "top_words.png", n=config["topics"]["top_n"])
    _draw(run, "plot_doc_topic_heatmap", result, figures / "doc_topic_heatmap.png",
          labels=document_labels(prepared.documents))
    _draw(run, "plot_intertopic_map", result, figures / "intertopic_map.png")


def _write_outputs(config: Config, run: RunFolder, prepared: Prepared, model, doc_topic: np.ndarray,
                   metrics: dict[str, Any], seeds: dict[str, list[str]] | None = None) -> dict[str, Any]:
    result = _full_result(prepared, model, doc_topic)
    top_n = config["topics"]["top_n"]
    labels = labels_of(config, result, seed_labels(seeds, result.num_topics) if seeds else None)
    write_csv(run.path / "topics.csv", [{"topic": t, "label": labels[t], "rank": r + 1, "word": w,
                                         "weight": round(x, 8)}
                                        for t, words in enumerate(result.top_words(top_n))
                                        for r, (w, x) in enumerate(words)])
    write_csv(run.path / "doc_topics.csv", [{**d.metadata(), **{f"topic_{k}": round(float(v), 6)
                                                                for k, v in enumerate(row)}}
                                            for d, row in zip(prepared.documents, doc_topic, strict=True)])
    _write_topic_table(run, result, metrics, top_n, labels, write_representatives(config, run, prepared, result, labels))
    write_intertopic(run.path, result, top_n)    # the report's interactive intertopic map
    if model.generative:   # pyLDAvis shows a generative model's distributions
        _write_ldavis(run, prepared, result)
    extra = _write_prevalence(config, run, prepared, result)
    extra.update(_write_over_time(config, run, prepared, result))
    return {**extra, **write_seed_report(config, run, result, seeds)} if seeds else extra


def _write_over_time(config: Config, run: RunFolder, prepared: Prepared, result) -> dict[str, Any]:
    """topics_over_time.csv and its figure (``topics.over_time``), and metrics' ``over_time``."""
    table, summary = over_time_table(config, run, prepared, result.doc_topic)
    if table is not None:
        _draw(run, "plot_topics_over_time", table, run.path / "figures" / "topics_over_time.png",
              min_documents=config["topics"]["over_time"]["min_documents"], freq=summary["freq"],
              labels=labels_of(config, result))
    return {"over_time": summary} if summary else {}


def _draw(run: RunFolder, figure: str, *args: Any, **kwargs: Any) -> None:
    """Draw a figure of :mod:`research.topics.figures` as a background job of the run (in a
    helper process for large corpora; this process then never imports matplotlib)."""
    run.background.submit(call, f"research.topics.figures.{figure}", *args, **kwargs)


def _write_ldavis(run: RunFolder, prepared: Prepared, result) -> None:
    """pyLDAvis's interactive view, when pyLDAvis is installed (optional). Topics keep the
    numbering of topics.csv (``sort_topics=False``; pyLDAvis numbers from 1)."""
    try:
        import pyLDAvis
    except ImportError:
        return
    counts = np.asarray(prepared.matrix.sum(axis=0)).ravel()
    keep = counts > 0
    data = pyLDAvis.prepare(topic_term_dists=result.topic_word[:, keep], doc_topic_dists=result.doc_topic,
                            doc_lengths=np.asarray(prepared.matrix.sum(axis=1)).ravel(),
                            vocab=[w for w, k in zip(result.vocabulary, keep, strict=True) if k], term_frequency=counts[keep],
                            sort_topics=False, start_index=0, n_jobs=1)   # joblib workers cost ~15 s here
    (run.path / "ldavis.html").write_text(ldavis_page(data), encoding="utf-8")   # works offline


def _write_topic_table(run: RunFolder, result, metrics: dict[str, Any], top_n: int, labels: list[str],
                       representatives: list[str] | None) -> None:
    prevalence = result.prevalence()
    rows = []
    for t, words in enumerate(result.topics(top_n)):
        row = {"topic": t, "label": labels[t], "prevalence": round(float(prevalence[t]), 6),
               "top_words": " ".join(words)}
        for key, values in metrics.items():
            if key.endswith("_per_topic"):
                row[key.removesuffix("_per_topic")] = round(values[t], 6)
        if representatives is not None:
            row["representative_docs"] = representatives[t]
        rows.append(row)
    write_csv(run.path / "topic_metrics.csv", rows)


def _group_values(prepared: Prepared, group: str) -> list[Any]:
    docs = prepared.documents
    if group == "month":
        return month_of([d.date for d in docs])
    return [d.field(group) for d in docs]


def _group_fields(config: Config, prepared: Prepared) -> tuple[list[str], dict[str, list[Any]]]:
    """Each group_by field's value per document, for the fields with at least two values;
    and why each other field was left out."""
    fields, left_out = {}, []
    for group in config["topics"]["evaluate"]["group_by"]:
        values = _group_values(prepared, group)
        found = {v for v in values if v is not None}
        if len(found) < 2:
            left_out.append(f"prevalence by {group} left out: " + (f"every document has {group} "
                            f"{next(iter(found))!r}" if found else f"no document has a {group}"))
            continue
        fields[group] = values
    return left_out, fields


def _write_prevalence(config: Config, run: RunFolder, prepared: Prepared, result) -> dict[str, Any]:
    """Mean topic share per group, and each group's most distinctive topic; the by-group
    tables and figures (:mod:`research.experiment.topic_groups`)."""
    distinctive: dict[str, Any] = {}
    left_out, fields = _group_fields(config, prepared)
    for reason in left_out:
        run.log.warning(reason)
    for group, values in fields.items():
        table = prevalence_by_group(result.doc_topic, values)
        table.to_csv(run.path / f"prevalence_by_{group}.csv", float_format="%.6f")
        if group == "month":
            _draw(run, "plot_prevalence_by_group", result, values,
                  run.path / "figures" / f"prevalence_by_{group}.png", kind="lines")
        distinctive[group] = _distinctive(table)
    counts = term_counts(prepared.vectorizer, prepared.matrix, prepared.tokens)
    out: dict[str, Any] = {"distinctive_topics": distinctive} if distinctive else {}
    out.update(write_by_group(config, run, result, counts, prepared.vocabulary, fields,
                              lambda figure, *args, **kwargs: _draw(run, figure, *args, **kwargs)))
    return out


def _distinctive(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """For each group: the topic whose share most exceeds its mean share in the other groups."""
    shares = table.drop(columns="documents")
    out = {}
    for group in shares.index:
        others = shares.drop(index=group).mean(axis=0)
        lift = shares.loc[group] - others
        topic = str(lift.idxmax())
        out[str(group)] = {"topic": int(topic.removeprefix("topic_")), "share": round(float(shares.loc[group, topic]), 4),
                           "others_share": round(float(others[topic]), 4)}
    return out


def _write_by_k(config: Config, run: RunFolder, by_k: list[dict[str, Any]], best_k: int) -> None:  # noqa: ARG001
    names = [n for n in topic_metric_names(config) if all(n in m for m in by_k)]
    table = pd.DataFrame([{n: m[n] for n in names} for m in by_k], index=[m["num_topics"] for m in by_k])
    table.index.name = "num_topics"
    table.to_csv(run.path / "metrics_by_k.csv", float_format="%.6f")
    best_by = config["topics"]["best_by"]
    _draw(run, "plot_metric_vs_k", table, run.path / "figures" / "metrics_vs_k.png", best_by=best_by,
          higher_is_better=best_by not in LOWER_IS_BETTER)
