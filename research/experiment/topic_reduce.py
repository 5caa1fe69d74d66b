"""A topic run's merged topics (``topics.reduce_to`` / ``topics.merge_threshold``), topic
labels (``topics.labels``) and representative documents (``topics.representative_docs``).

Merging follows the fit of the chosen K (the best by ``topics.best_by`` when ``num_topics`` is
a list): :func:`research.topics.merge.merge_groups` groups its topics, a
:class:`~research.topics.merge.MergedTopicModel` becomes the run's model (saved, reused by
``load_run(...).transform``), and every metric is computed again on the merged topics; the
unmerged model's metrics stay under ``before_reduction``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from research.config.load import Config
from research.errors import ModelError
from research.evaluate import topic_stability
from research.experiment.stages import Prepared
from research.runs.folder import RunFolder
from research.topics import TopicResult
from research.topics.labels import topic_labels
from research.topics.merge import MergedTopicModel, Reduction, merge_groups, merge_matrix
from research.topics.representative import representative_documents, titles_of
from research.util.tables import write_csv

__all__ = ["HELDOUT_KEYS", "labels_of", "merged", "reduce_best", "reducing", "write_representatives"]

HELDOUT_KEYS = ("perplexity", "reconstruction_error", "centroid_distance", "heldout_documents")
Evaluate = Callable[[Any, np.ndarray], dict[str, Any]]


def reducing(config: Config) -> bool:
    topics = config["topics"]
    return topics["reduce_to"] is not None or topics["merge_threshold"] is not None


def merged(config: Config, model) -> tuple[MergedTopicModel, Reduction]:
    """``model``'s topics merged by the config's rule (weights: mean training shares)."""
    topics = config["topics"]
    prevalence = model.doc_topic_.mean(axis=0)
    reduction = merge_groups(model.topic_word_, prevalence, topics["reduce_to"], topics["merge_threshold"])
    return MergedTopicModel(model, reduction.groups, prevalence), reduction


def reduce_best(config: Config, run: RunFolder, fit: tuple[Any, np.ndarray, dict[str, Any]], seed_models: list,
                evaluate: Evaluate) -> tuple[MergedTopicModel, np.ndarray, dict[str, Any], dict[str, Any]]:
    """(merged model, merged shares of every document, its metrics, what metrics.json adds);
    writes merged_topics.csv."""
    model, doc_topic, before = fit
    reduced, reduction = merged(config, model)
    shares = doc_topic @ merge_matrix(reduction.groups, model.num_topics)
    metrics = evaluate(reduced, shares)
    metrics.update({k: before[k] for k in HELDOUT_KEYS if k in before})
    if seed_models:
        ev = config["topics"]["evaluate"]
        runs = [merged(config, m)[0].result().topics(ev["coherence_top_n"]) for m in seed_models]
        metrics["stability"] = float(topic_stability(runs, ev["similarity"], ev["coherence_top_n"]).mean)
        metrics["stability_seeds"] = list(ev["stability_seeds"])
    _write_merged(run, reduction)
    k, n = model.num_topics, reduced.num_topics
    run.log.info("merged %d topics into %d (%s); the metrics from here on refer to the reduced model "
                 "(the %d-topic model's are under before_reduction in metrics.json; held-out perplexity or "
                 "reconstruction error stay the fitted model's: merging does not refit)",
                 k, n, _describe(config), k)
    scorers = [m for m in config["topics"]["evaluate"]["coherence"] if m in metrics]
    run.log.info("reduced K=%d: %s, diversity=%.3f", n, ", ".join(f"{m}={metrics[m]:.4f}" for m in scorers),
                 metrics["topic_diversity"])
    extra = {"reduced": {"from": k, "to": n, "groups": reduction.groups},
             "before_reduction": {key: v for key, v in before.items() if not key.endswith("_per_topic")}}
    return reduced, shares, metrics, extra


def _describe(config: Config) -> str:
    topics = config["topics"]
    if topics["reduce_to"] is not None:
        return f"topics.reduce_to={topics['reduce_to']}"
    return f"topics.merge_threshold={topics['merge_threshold']}"


def _write_merged(run: RunFolder, reduction: Reduction) -> None:
    write_csv(run.path / "merged_topics.csv",
              [{"topic": t, "merged_from": " ".join(map(str, group)),
                "similarity": None if sim is None else round(sim, 6)}
               for t, (group, sim) in enumerate(zip(reduction.groups, reduction.similarity, strict=True))])


def labels_of(config: Config, result: TopicResult, seed_names: dict[int, str] | None = None) -> list[str]:
    """Each topic's label: ``topics.labels``, else a seeded topic's name, else its top words."""
    try:
        return topic_labels(result, config["topics"]["top_n"], config["topics"]["labels"], seed_names)
    except ValueError as exc:
        raise ModelError(f"topics.labels: {exc} (after merging); use those indices (as in topics.csv)") from None


def write_representatives(config: Config, run: RunFolder, prepared: Prepared, result: TopicResult,
                          labels: list[str]) -> list[str] | None:
    """representative_docs.csv; per topic its documents' titles joined (None when switched off)."""
    n = config["topics"]["representative_docs"]
    if n == 0:
        return None
    rows = representative_documents(result.doc_topic, prepared.documents, n, labels)
    write_csv(run.path / "representative_docs.csv", rows)
    return titles_of(rows, result.num_topics)
