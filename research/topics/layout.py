"""Where topics sit relative to each other, and how documents are named in figures; no
matplotlib, so a run's own process can write the data that the report draws.

:func:`intertopic_coordinates` places topics in 2-D (classical MDS of Jensen-Shannon
distances), :func:`write_intertopic` writes ``intertopic.csv`` (``topic, x, y,
prevalence, top_words``) for the report's interactive map, and :func:`document_labels`
names documents for a reader (a truncated title, else outlet and date, else the id).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.distance import jensenshannon

__all__ = ["INTERTOPIC_NAME", "document_labels", "intertopic_coordinates", "write_intertopic"]

INTERTOPIC_NAME = "intertopic.csv"
LABEL_CHARS = 48


def intertopic_coordinates(topic_word: np.ndarray) -> np.ndarray:
    """2-D coordinates of topics by classical MDS (PCoA) of the Jensen-Shannon distances
    between their word distributions; signs fixed so the layout is reproducible."""
    k = topic_word.shape[0]
    dist = np.array([[jensenshannon(topic_word[i], topic_word[j], base=2) for j in range(k)]
                     for i in range(k)])
    centre = np.eye(k) - 1.0 / k
    b = -0.5 * centre @ (dist**2) @ centre
    values, vectors = np.linalg.eigh(b)
    top = np.argsort(values)[::-1][:2]
    coords = vectors[:, top] * np.sqrt(np.clip(values[top], 0, None))
    if coords.shape[1] < 2:
        coords = np.column_stack([coords, np.zeros(k)])
    flip = np.sign(coords[np.argmax(np.abs(coords), axis=0), [0, 1]])
    return coords * np.where(flip == 0, 1.0, flip)


def write_intertopic(folder: str | Path, result: Any, top_n: int = 10) -> Path:
    """``<folder>/intertopic.csv``: each topic's map position (:func:`intertopic_coordinates`),
    its prevalence (mean share over documents) and its ``top_n`` words, space-separated."""
    xy = intertopic_coordinates(result.topic_word)
    prevalence = result.prevalence()
    path = Path(folder) / INTERTOPIC_NAME
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["topic", "x", "y", "prevalence", "top_words"])
        for k, words in enumerate(result.topics(top_n)):
            writer.writerow([k, round(float(xy[k, 0]), 6), round(float(xy[k, 1]), 6),
                             round(float(prevalence[k]), 6), " ".join(words)])
    return path


def document_labels(documents: Sequence[Any], chars: int = LABEL_CHARS) -> list[str]:
    """A reader's name for each document: its title cut to ``chars`` characters, else
    "outlet, date", else its id."""
    out = []
    for doc in documents:
        title = " ".join(str(getattr(doc, "title", None) or "").split())
        if title:
            out.append(title if len(title) <= chars else title[:chars - 1].rstrip() + "…")
            continue
        parts = [str(v) for v in (getattr(doc, "outlet", None), getattr(doc, "date", None)) if v]
        out.append(", ".join(parts) or str(doc.id))
    return out
