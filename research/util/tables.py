"""CSV tables from rows of dicts: the one writer every stage's tables go through."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

__all__ = ["write_csv"]


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``rows`` to ``path``; the columns are every key in first-seen order."""
    fields: list[str] = []
    for row in rows:
        fields.extend(k for k in row if k not in fields)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path
