"""A sweep's summary over seeds: ``sweep_summary.csv`` and the table printed at its end.

One row per combination of the grid's values other than ``seed`` (every combination when the
grid has no ``seed``), with, for each main metric the runs have (c_npmi, topic_diversity,
... for topic models; macro_f1, roc_auc, ... for tone), its mean, standard deviation over
the seeds (sample, n - 1; empty with one seed), minimum and maximum, computed from the
complete runs' ``metrics.json``; then ``seeds`` (complete runs in the row), ``failed``
(combinations of the row that did not complete) and ``runs`` (their folders, space-separated).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from research.runs.summary import MAIN_METRICS

__all__ = ["SEED_KEYS", "SUMMARY_FILE", "render", "seed_summary"]

SUMMARY_FILE = "sweep_summary.csv"
SEED_KEYS = ("seed",)
#: counts that do not vary with the seed: in sweep.csv, not summarised
NOT_SUMMARISED = ("best_k", "documents_kept", "vocabulary_size")
STATISTICS = ("mean", "std", "min", "max")


def seed_summary(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The summary of ``frame`` (sweep.csv's rows: the grid ``keys``, ``status``, metrics, ``run``)."""
    groups = [k for k in keys if k not in SEED_KEYS] or keys
    metrics = [m for m in MAIN_METRICS if m in frame.columns and m not in NOT_SUMMARISED]
    rows = [_row(dict(zip(groups, values, strict=True)), part, metrics)
            for values, part in frame.groupby(groups, sort=False, dropna=False)]
    return pd.DataFrame(rows, columns=[*groups, *(f"{m}_{s}" for m in metrics for s in STATISTICS),
                                       "seeds", "failed", "runs"])


def _row(row: dict[str, Any], part: pd.DataFrame, metrics: list[str]) -> dict[str, Any]:
    complete = part[part["status"] == "complete"]
    for metric in metrics:
        values = complete[metric].dropna().astype(float)
        row.update({f"{metric}_mean": values.mean() if len(values) else math.nan,
                    f"{metric}_std": values.std(ddof=1) if len(values) > 1 else math.nan,
                    f"{metric}_min": values.min() if len(values) else math.nan,
                    f"{metric}_max": values.max() if len(values) else math.nan})
    row.update(seeds=len(complete), failed=len(part) - len(complete), runs=" ".join(complete["run"].astype(str)))
    return row


def render(summary: pd.DataFrame, keys: list[str]) -> str:
    """The summary as a text table: ``mean ± std [min, max]`` per metric ("" without metrics)."""
    groups = [k for k in keys if k in summary.columns]
    metrics = [c.removesuffix("_mean") for c in summary.columns if c.endswith("_mean")]
    table = pd.DataFrame({k.rsplit(".", 1)[-1]: summary[k] for k in groups})
    table["seeds"] = summary["seeds"].astype(str) + summary["failed"].map(lambda n: f" ({n} failed)" if n else "")
    for metric in metrics:
        if summary[f"{metric}_mean"].notna().any():
            table[metric] = [_cell(*row) for row in summary[[f"{metric}_{s}" for s in STATISTICS]].itertuples(index=False)]
    if len(table.columns) == len(groups) + 1:      # no metric to show (e.g. tfidf runs)
        return ""
    return "sweep summary over seeds (mean ± std [min, max]):\n" + table.to_string(index=False)


def _cell(mean: float, std: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "-"
    if math.isnan(std):
        return f"{mean:.4f}"
    return f"{mean:.4f} ± {std:.4f} [{low:.4f}, {high:.4f}]"
