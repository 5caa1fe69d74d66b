"""Representative documents of each topic: those with the highest share of it.

For topic t the ``n`` documents with the largest ``doc_topic[:, t]`` (ties: the earlier
document), each with its id, title, outlet, date, share and a snippet (the first
``SNIPPET_CHARS`` characters of the text it was modelled from, whitespace collapsed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from research.corpus.documents import Document

__all__ = ["MAX_REPRESENTATIVE", "SNIPPET_CHARS", "representative_documents", "snippet", "titles_of"]

MAX_REPRESENTATIVE = 10
SNIPPET_CHARS = 200
_SPACE = re.compile(r"\s+")


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters (with "..." when cut)."""
    flat = _SPACE.sub(" ", text or "").strip()
    return flat if len(flat) <= limit else flat[:limit].rstrip() + "..."


def representative_documents(doc_topic: np.ndarray, documents: Sequence[Document], n: int,
                             labels: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Rows ``topic, label, rank, id, title, outlet, date, share, snippet``: for each topic its
    ``n`` documents of highest share, highest first."""
    doc_topic = np.asarray(doc_topic, dtype=np.float64)
    if doc_topic.shape[0] != len(documents):
        raise ValueError(f"{doc_topic.shape[0]} rows of topic shares for {len(documents)} documents")
    rows = []
    for t in range(doc_topic.shape[1]):
        order = np.argsort(-doc_topic[:, t], kind="stable")[:n]
        for rank, i in enumerate(order, start=1):
            doc = documents[int(i)]
            rows.append({"topic": t, "label": None if labels is None else labels[t], "rank": rank, "id": doc.id,
                         "title": doc.title, "outlet": doc.outlet, "date": doc.date,
                         "share": round(float(doc_topic[i, t]), 6), "snippet": snippet(doc.text)})
    return rows


def titles_of(rows: list[dict[str, Any]], num_topics: int) -> list[str]:
    """Per topic, its representative documents' titles (the id when untitled) joined by " | "."""
    out: list[list[str]] = [[] for _ in range(num_topics)]
    for row in rows:
        out[row["topic"]].append(str(row["title"] or row["id"]))
    return [" | ".join(titles) for titles in out]
