"""Shared figure helpers (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["plot_term_panels", "save"]


def save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_term_panels(groups: dict[str, list[tuple[str, float]]], path: Path, title: str,
                     xlabel: str = "mean TF-IDF weight", max_panels: int = 12) -> Path:
    """One horizontal bar panel of top terms per group (outlet, topic, class...)."""
    items = list(groups.items())[:max_panels]
    cols = min(3, max(1, len(items)))
    rows = math.ceil(len(items) / cols) or 1
    n_terms = max((len(t) for _, t in items), default=1)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 0.28 * n_terms * rows + 1.2 * rows), squeeze=False)
    for ax, (name, terms) in zip(axes.flat, items, strict=False):
        words = [t for t, _ in terms][::-1]
        weights = [w for _, w in terms][::-1]
        ax.barh(words, weights, color="#4477aa")
        ax.set_title(str(name)[:40], fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_xlabel(xlabel, fontsize=8)
    for ax in list(axes.flat)[len(items):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return save(fig, path)
