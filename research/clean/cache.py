"""The cleaning cache: reuse the cleaning of identical documents, settings and code, safely.

An entry is one file ``<results>/.cache/clean-<key>.entry``. Nothing in it can run code
when read: it is decoded with ``json``, ``bytes.decode`` and ``numpy.frombuffer`` only
(pickle is never used; a legacy ``clean-*.pickle`` file is deleted unread, with a warning).
Line 1 is the manifest, one JSON object::

    {"format": "research-clean-cache", "version": 1, "key": <64 hex>, "fingerprint": <64 hex>,
     "created": "<UTC time>", "documents": <input documents>, "sections": [[name, bytes], ...],
     "payload_bytes": <n>, "payload_sha256": <64 hex>}

The payload follows: the sections of :data:`SECTIONS` back to back, its SHA-256 checked on
every read. JSON: summary, duplicate pairs, ``TextPipeline.to_state()``, one record per
input document, the input index of each kept document, the distinct tokens. The bulk (3x
faster to decode than JSON strings): the kept texts as one UTF-8 string + their lengths
(int64), the tokens as uint32 indices into the distinct tokens + a count per document. Kept
documents are rebuilt from the input documents: ids and metadata never come from the cache.

The key is a SHA-256 over the format version, the code fingerprint (:func:`code_fingerprint`:
the source of every module cleaning runs and the versions of the libraries it calls), the
``clean`` settings that change results, and every document's content hash, metadata and
source. An entry that cannot be read, fails its checksum, or does not match its key,
fingerprint, settings or documents is ignored with one warning and rebuilt.

Last used is the entry file's modification time, set on every hit (no rewrite). Entries are
written to a temporary name and renamed into place, so concurrent runs never see half an
entry. After a write, least recently used entries are removed until the folder holds at
most ``cache.max_size`` bytes; the entry just written is never removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from research.clean.cache_entry import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_MAX_BYTES,
    CacheProblem,
    read_entry,
    read_manifest,
    write_entry,
)
from research.clean.cleaner import CleanResult, clean_corpus
from research.corpus.documents import Document
from research.util.gc import paused_gc
from research.util.sizes import format_size, parse_size

__all__ = [
    "CacheProblem",
    "cache_key",
    "cached_clean",
    "clear",
    "code_fingerprint",
    "describe",
    "entry_path",
    "evict",
    "format_size",
    "parse_size",
    "read_entry",
]

PACKAGE_DIR = Path(__file__).resolve().parents[1]   # research/
CLEANING_MODULES = ("clean.cleaner", "clean.pipeline", "clean.settings", "util.gc", "util.workers", "clean.dedup", "corpus.documents", "errors",
                    "clean.furniture", "clean.templates", "clean.repair", "clean.tokens", "util.hashing",
                    "text.paragraphs", "text.sentences", "text.words", "util.console", "util.progress")   # the cleaner and all it imports
CLEANING_LIBRARIES = ("ftfy", "simplemma", "gensim", "scikit-learn", "numpy")
UNKEYED_SETTINGS = ("cache", "workers")   # they never change a cleaning result (tested)
STALE_TEMP_SECONDS = 3600


# ---------------------------------------------------------------- key

@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the source of the cleaning modules and the versions of its libraries."""
    digest = hashlib.sha256(f"{FORMAT}\0{FORMAT_VERSION}\0".encode())
    for name in CLEANING_MODULES:
        source = (PACKAGE_DIR / f"{name.replace('.', '/')}.py").read_bytes()
        digest.update(f"{name}\0{len(source)}\0".encode() + source)
    for library in CLEANING_LIBRARIES:
        try:
            found = version(library)
        except PackageNotFoundError:
            found = None
        digest.update(f"{library}={found}\0".encode())
    return digest.hexdigest()


def cache_key(raw: list[Document], settings: dict, fingerprint: str) -> str:
    """SHA-256 of everything a cleaning result depends on (see the module docstring)."""
    relevant = {k: v for k, v in settings.items() if k not in UNKEYED_SETTINGS}
    digest = hashlib.sha256(json.dumps([FORMAT_VERSION, fingerprint, relevant], sort_keys=True,
                                       default=str).encode())
    for doc in raw:   # the whole document: text and every metadata field (labels are mapped before cleaning)
        meta = json.dumps([doc.metadata(), doc.source], sort_keys=True, default=str)
        digest.update(f"{doc.content_hash}\0{meta}\0".encode())
    return digest.hexdigest()


def entry_path(directory: Path, key: str) -> Path:
    return directory / f"clean-{key[:32]}.entry"


# ---------------------------------------------------------------- the cache as a whole

def cached_clean(raw: list[Document], settings: dict, directory: Path, max_size: int,
                 warn: Callable[[str], None]) -> tuple[CleanResult, dict]:
    """Cleaning of ``raw`` with ``settings`` from the cache, or cleaned and stored. Returns
    the result and what ``run.json`` records under ``clean_cache``."""
    _drop_legacy(directory, warn)
    fingerprint = code_fingerprint()
    key = cache_key(raw, settings, fingerprint)
    path = entry_path(directory, key)
    record: dict[str, Any] = {"status": None, "entry": path.name, "reason": None, "bytes": None,
                              "fingerprint": fingerprint}
    reason = None
    if path.exists():
        try:
            with paused_gc():   # millions of new strings and dicts, none in a cycle
                cleaned = read_entry(path, key, fingerprint, raw, settings)
        except FileNotFoundError:   # evicted by a concurrent run since exists(): a miss
            pass
        except Exception as exc:
            reason = str(exc) if isinstance(exc, CacheProblem) else f"unreadable ({type(exc).__name__})"
            warn(f"cleaning cache entry {path.name} ignored: {reason}; cleaning again and replacing it")
        else:
            with contextlib.suppress(OSError):   # gone meanwhile: still a hit for this run
                os.utime(path)   # last used
                record["bytes"] = path.stat().st_size
            return cleaned, {**record, "status": "hit"}
    cleaned = clean_corpus(raw, settings)
    record.update(status="rebuilt" if reason else "miss", reason=reason)
    try:
        record["bytes"] = write_entry(path, key, fingerprint, cleaned, raw)
        record["evicted"] = evict(directory, max_size, keep=path)
    except OSError as exc:   # a full or read-only disk costs the cache, not the run
        warn(f"cleaning cache entry {path.name} not written: {exc.strerror or exc}")
    return cleaned, record


def _drop_legacy(directory: Path, warn: Callable[[str], None]) -> None:
    """Pickled entries of earlier versions are deleted unread: unpickling can run code."""
    for path in sorted(directory.glob("clean-*.pickle")):
        try:
            path.unlink()
        except OSError:
            continue
        warn(f"cleaning cache entry {path.name} deleted unread: a pickle (the old format) can run code")


def evict(directory: Path, max_size: int, keep: Path | None = None) -> list[str]:
    """Remove least recently used entries until the total is at most ``max_size`` bytes
    (never ``keep``); also temporary files of writers that died over an hour ago."""
    now, entries = time.time(), []
    for path in directory.glob("clean-*"):
        try:
            info = path.stat()
        except FileNotFoundError:   # removed meanwhile by another run
            continue
        if path.suffix == ".tmp" and now - info.st_mtime > STALE_TEMP_SECONDS:
            path.unlink(missing_ok=True)
        elif path.suffix == ".entry":
            entries.append((info.st_mtime, path.name, info.st_size, path))
    total, removed = sum(e[2] for e in entries), []
    for _, name, size, path in sorted(entries):
        if total <= max_size:
            break
        if keep is not None and path == keep:
            continue
        path.unlink(missing_ok=True)
        total -= size
        removed.append(name)
    return removed


# ---------------------------------------------------------------- info and clear

def _entry_rows(directory: Path) -> list[dict]:
    rows = []
    for path in sorted(directory.glob("clean-*")):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        row = {"name": path.name, "bytes": info.st_size, "last_used": info.st_mtime,
               "created": None, "state": "ok"}
        if path.suffix in (".pickle", ".tmp"):
            row["state"] = ("legacy pickle: never loaded, deleted by the next run or cache clear"
                            if path.suffix == ".pickle" else "temporary: being written, or left by a crash")
        else:
            try:
                with path.open("rb") as handle:
                    row["created"] = read_manifest(handle.read(MANIFEST_MAX_BYTES))[0].get("created")
            except (OSError, CacheProblem) as exc:
                row["state"] = f"damaged: {exc}; rebuilt when next needed"
        rows.append(row)
    return rows


def describe(directory: Path, max_size: int) -> str:
    """``research cache info``: one line per entry, then the total against the bound."""
    rows = _entry_rows(directory)
    lines = [f"cleaning cache: {directory}"]
    if rows:
        lines.append(f"{'entry':<44} {'size':>9}  {'created':<20}  {'last used':<20}  state")
    for row in sorted(rows, key=lambda r: -r["last_used"]):
        created = (row["created"] or "-").replace("T", " ")
        used = dt.datetime.fromtimestamp(row["last_used"], dt.UTC)
        lines.append(f"{row['name']:<44} {format_size(row['bytes']):>9}  {created:<20}  "
                     f"{used:%Y-%m-%d %H:%M:%SZ}  {row['state']}")
    total = sum(r["bytes"] for r in rows)
    count = f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}"
    lines.append(f"{count}, {format_size(total)} of cache.max_size {format_size(max_size)}")
    return "\n".join(lines) + "\n"


def clear(directory: Path) -> tuple[int, int]:
    """Remove every entry (also legacy and temporary files): (files, bytes) removed."""
    count = size = 0
    for row in _entry_rows(directory):
        try:
            (directory / row["name"]).unlink()
        except FileNotFoundError:
            continue
        count, size = count + 1, size + row["bytes"]
    return count, size
