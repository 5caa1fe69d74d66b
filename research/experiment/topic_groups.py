"""Topics by group in a topic run (``topics.by_group``): for each ``topics.evaluate.group_by``
field, topic shares with bootstrap intervals (``topic_shares_by_<g>.csv``), each group's words
for each topic by c-TF-IDF (``topic_words_by_<g>.csv``) and their figure; with
``topics.by_group.compare``, which topics differ between two groups (``topic_differences.csv``).

The computations are :mod:`research.evaluate.by_group`'s; this module picks the groups,
checks the settings against the documents, writes the tables and asks for the figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from research.config.load import Config
from research.errors import ConfigError
from research.evaluate.by_group import (
    as_text,
    class_topic_words,
    compare_groups,
    group_rows,
    rng_for,
    topic_shares,
)
from research.runs.folder import RunFolder

__all__ = ["DIFFERENCE_CSV_COLUMNS", "Comparison", "check_compare_field", "comparison", "write_by_group"]

KEY = "topics.by_group.compare"
OTHERS = "(all other documents)"
DIFFERENCE_CSV_COLUMNS = ["field", "group_a", "group_b", "documents_a", "documents_b", "topic", "share_a",
                          "share_b", "difference", "difference_low", "difference_high", "p_value", "q_value",
                          "significant"]
Draw = Callable[..., None]


def check_compare_field(config: Config) -> None:
    """Before reading data: the compared field must be one of ``topics.evaluate.group_by``."""
    compare = config["topics"]["by_group"]["compare"]
    fields = list(config["topics"]["evaluate"]["group_by"])
    if compare is not None and compare["field"] not in fields:
        raise ConfigError(f"{KEY}.field: {compare['field']!r} is not one of topics.evaluate.group_by "
                          f"({', '.join(fields) or 'empty'}); pick one of them or add it to group_by")


class Comparison:
    """The two groups of ``topics.by_group.compare`` as row masks, checked against the documents."""

    def __init__(self, field: str, values: Sequence[Any], a: Any, b: Any):
        texts = np.array([as_text(v) for v in values], dtype=object)
        sizes = Counter(t for t in texts if t is not None)
        available = sorted(sizes, key=lambda t: (-sizes[t], t))   # the most frequent first
        self.field, self.a_values = field, _wanted(a)
        self.in_a = self._mask(texts, "a", self.a_values, available)
        if b is None:
            self.b_values, self.in_b = [], ~self.in_a
        else:
            self.b_values = _wanted(b)
            self.in_b = self._mask(texts, "b", self.b_values, available)
        both = sorted(set(self.a_values) & set(self.b_values))
        if both:
            raise ConfigError(f"{KEY}: {', '.join(map(repr, both))} is in both a and b; a document belongs "
                              "to one side only")
        for side, mask in (("a", self.in_a), ("b", self.in_b)):
            if mask.sum() < 2:
                raise ConfigError(f"{KEY}.{side}: {int(mask.sum())} document(s) of {field} {self.label(side)!r}; "
                                  "the test needs at least 2 on each side; widen the group")

    def _mask(self, texts: np.ndarray, side: str, wanted: list[str], available: list[str]) -> np.ndarray:
        missing = [w for w in wanted if w not in available]
        if missing:
            shown = ", ".join(repr(v) for v in available[:30]) + (f" and {len(available) - 30} more"
                                                                    if len(available) > 30 else "")
            raise ConfigError(f"{KEY}.{side}: {', '.join(map(repr, missing))} matches no document's "
                              f"{self.field}; values of {self.field}, most documents first: {shown or '(none)'}")
        return np.isin(texts, wanted)

    def label(self, side: str) -> str:
        values = self.a_values if side == "a" else self.b_values
        return " + ".join(values) if values else OTHERS


def _wanted(value: Any) -> list[str]:
    return [t for t in (as_text(v) for v in (value if isinstance(value, list) else [value])) if t is not None]


def comparison(config: Config, fields: dict[str, list[Any]]) -> Comparison | None:
    """The configured comparison on ``fields`` (each group_by field's value per document),
    or None; refuses values that match no document, with the values there are."""
    compare = config["topics"]["by_group"]["compare"]
    if compare is None:
        return None
    check_compare_field(config)
    if compare["field"] not in fields:
        raise ConfigError(f"{KEY}.field: no two documents differ in {compare['field']!r} (see the log: "
                          f"prevalence by {compare['field']} left out); compare by another field")
    return Comparison(compare["field"], fields[compare["field"]], compare["a"], compare["b"])


def write_by_group(config: Config, run: RunFolder, result, counts: sparse.spmatrix,
                   vocabulary: Sequence[str] | np.ndarray, fields: dict[str, list[Any]],
                   draw: Draw) -> dict[str, Any]:
    """The by-group tables and figures of every field; the comparison's metrics, if any."""
    settings = config["topics"]["by_group"]
    labels = [f"{k}: {' '.join(words)}" for k, words in enumerate(result.topics(3))]
    for field, values in fields.items():
        groups, small = group_rows(values, settings["min_documents"])
        _log_left_out(run, field, small, settings["min_documents"])
        if not groups:   # no group is large enough: the plain heatmap of prevalence_by_<g>.csv
            draw("plot_prevalence_by_group", result, values, run.path / "figures" / f"prevalence_by_{field}.png")
            continue
        shares = topic_shares(result.doc_topic, groups, settings["bootstrap"], config["seed"], field)
        shares.round(6).to_csv(run.path / f"topic_shares_by_{field}.csv", index=False)
        words = class_topic_words(counts, result.doc_topic, groups, vocabulary, config["topics"]["top_n"])
        words.to_csv(run.path / f"topic_words_by_{field}.csv", index=False)
        if field != "month":   # months keep their lines figure (prevalence_by_month.png)
            draw("plot_topic_shares", shares, run.path / "figures" / f"prevalence_by_{field}.png", field=field,
                 topic_labels=labels, overall=result.prevalence())
    found = comparison(config, fields)
    return {} if found is None else _write_difference(config, run, result, found, labels, draw)


def _log_left_out(run: RunFolder, field: str, small: dict[str, int], min_documents: int) -> None:
    if small:
        names = ", ".join(repr(g) for g in list(small)[:20]) + (" ..." if len(small) > 20 else "")
        run.log.info("topics by %s: %d group(s) with fewer than topics.by_group.min_documents=%d documents "
                     "left out (%d documents): %s", field, len(small), min_documents, sum(small.values()), names)


def _write_difference(config: Config, run: RunFolder, result, found: Comparison, labels: list[str],
                      draw: Draw) -> dict[str, Any]:
    settings = config["topics"]["by_group"]
    table = compare_groups(result.doc_topic, found.in_a, found.in_b, settings["bootstrap"], settings["permutations"],
                           rng_for(config["seed"], "compare", found.field))
    head = pd.DataFrame({"field": found.field, "group_a": found.label("a"), "group_b": found.label("b"),
                         "documents_a": int(found.in_a.sum()), "documents_b": int(found.in_b.sum())},
                        index=table.index)
    out = pd.concat([head, table], axis=1)[DIFFERENCE_CSV_COLUMNS]
    out.round(6).to_csv(run.path / "topic_differences.csv", index=False)
    draw("plot_topic_differences", out, run.path / "figures" / "topic_differences.png", topic_labels=labels)
    significant = [int(t) for t in table.loc[table["significant"], "topic"]]
    run.log.info("topics differing between %s %r and %r (q < 0.05): %s", found.field, found.label("a"),
                 found.label("b"), significant or "none")
    return {"group_difference": {"field": found.field, "a": found.label("a"), "b": found.label("b"),
                                 "documents_a": int(found.in_a.sum()), "documents_b": int(found.in_b.sum()),
                                 "significant_topics": significant}}
