"""The document type that flows through every stage, keeping its id and metadata."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["STANDARD_FIELDS", "Document"]

STANDARD_FIELDS = ("id", "title", "outlet", "date", "label")


@dataclass(frozen=True)
class Document:
    """One text with its identity and metadata.

    ``id`` is unique within a corpus. ``meta`` holds any further columns the reader was
    asked to keep. Stages never mutate a document; they return a new one with
    :meth:`with_text`, so the id and metadata survive into every output.
    """

    id: str
    text: str
    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    label: str | None = None
    source: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def with_text(self, text: str) -> Document:
        return replace(self, text=text)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the text, so a run records exactly which input it saw."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def field(self, name: str) -> Any:
        """A standard field (id, title, outlet, date, label) or a kept column from ``meta``."""
        return getattr(self, name) if name in STANDARD_FIELDS else self.meta.get(name)

    def metadata(self) -> dict[str, Any]:
        """id and metadata as one flat dict (for CSV outputs)."""
        out = {"id": self.id, "title": self.title, "outlet": self.outlet,
               "date": self.date, "label": self.label}
        out.update({k: v for k, v in self.meta.items() if k not in out})
        return out
