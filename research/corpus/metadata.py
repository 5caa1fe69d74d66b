"""Joining a ``.txt`` folder's ``metadata.csv`` to its files, and saying what did not join.

A row joins the file it names exactly (``doc2.txt``) or by stem (``doc2``). A row whose
name matches only when case and surrounding spaces are ignored (``doc2.TXT``,
``"doc2.txt "``) joins too when exactly one file fits, with a :class:`CorpusWarning` naming
it. Rows that name no file, and files that no row names, are listed in a warning (counts
and the first few names): before, they were dropped in silence and their documents had no
outlet or label. Two rows for one file are refused.
"""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path
from typing import Any

from research.errors import CorpusError

__all__ = ["join_metadata"]

SHOWN = 5   # names listed in a warning


def join_metadata(meta_path: Path, text: str, files: list[Path], file_column: str,
                  warning: type[Warning]) -> dict[str, dict[str, Any]]:
    """File name -> its metadata row, for the files in ``files``."""
    rows = _rows(meta_path, text, file_column)
    exact = {**_unique(files, lambda p: p.stem), **{p.name: p for p in files}}   # a name beats a stem
    loose = {**_unique(files, lambda p: p.stem.casefold()), **_unique(files, lambda p: p.name.casefold())}
    joined: dict[str, tuple[int, dict[str, Any]]] = {}
    loosely, unmatched = [], []
    for line, name, row in rows:
        path = exact.get(name)
        if path is None and (path := loose.get(name.strip().casefold())) is not None:
            loosely.append(f"{name!r} -> {path.name}")
        if path is None:
            unmatched.append(repr(name))
            continue
        if path.name in joined:
            raise CorpusError(f"{meta_path}: lines {joined[path.name][0]} and {line} both give metadata for "
                              f"{path.name}; keep one row per file")
        joined[path.name] = (line, row)
    missing = [p.name for p in files if p.name not in joined]
    _warn(meta_path, file_column, len(files), loosely, unmatched, missing, warning)
    return {name: row for name, (_, row) in joined.items()}


def _rows(meta_path: Path, text: str, file_column: str) -> list[tuple[int, str, dict[str, Any]]]:
    """(line number, file name, row) for each row of metadata.csv."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if file_column not in (reader.fieldnames or []):
            raise CorpusError(f"{meta_path}: no column '{file_column}' naming the files (columns: "
                              f"{', '.join(reader.fieldnames or [])}); set corpus.file_column")
        return [(reader.line_num, row.get(file_column) or "", row) for row in reader]
    except csv.Error as exc:
        raise CorpusError(f"{meta_path} line {reader.line_num}: malformed CSV ({exc}); fix the file") from None


def _unique(files: list[Path], key) -> dict[str, Path]:
    """``key(file) -> file`` for the keys exactly one file has (ambiguous keys left out)."""
    counts: dict[str, int] = {}
    for path in files:
        counts[key(path)] = counts.get(key(path), 0) + 1
    return {key(p): p for p in files if counts[key(p)] == 1}


def _warn(meta_path: Path, file_column: str, total: int, loosely: list[str], unmatched: list[str],
          missing: list[str], warning: type[Warning]) -> None:
    if loosely:
        warnings.warn(f"{meta_path}: {len(loosely)} row(s) matched a file only when case and surrounding "
                      f"spaces are ignored ({_first(loosely)}); correct the '{file_column}' column",
                      warning, stacklevel=4)
    if unmatched:
        warnings.warn(f"{meta_path}: {len(unmatched)} row(s) name no .txt file of the folder and are unused "
                      f"({_first(unmatched)}); check the '{file_column}' column", warning, stacklevel=4)
    if missing:
        warnings.warn(f"{meta_path.parent}: {len(missing)} of {total} .txt file(s) have no row in "
                      f"{meta_path.name} and get no outlet, date or label ({_first(missing)}); add rows "
                      "for them", warning, stacklevel=4)


def _first(names: list[str]) -> str:
    more = f", and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more
