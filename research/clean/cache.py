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
import uuid
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from research.clean.cleaner import CleanResult, TextPipeline, clean_corpus
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

FORMAT = "research-clean-cache"
FORMAT_VERSION = 1
PACKAGE_DIR = Path(__file__).resolve().parents[1]   # research/
CLEANING_MODULES = ("clean.cleaner", "util.gc", "util.workers", "clean.dedup", "corpus.documents", "errors",
                    "clean.furniture", "clean.repair", "clean.tokens", "util.hashing")   # the cleaner and all it imports
CLEANING_LIBRARIES = ("ftfy", "simplemma", "gensim", "scikit-learn", "numpy")
UNKEYED_SETTINGS = ("cache", "workers")   # they never change a cleaning result (tested)
STALE_TEMP_SECONDS = 3600
MANIFEST_MAX_BYTES = 1 << 16
RECORD_FIELDS = frozenset({"id", "kept", "drop_reason", "chars_before", "chars_after", "lines_removed",
                           "paragraphs_removed", "duplicate_of", "duplicate_similarity", "n_tokens"})


class CacheProblem(Exception):
    """Why an entry cannot be used (one line); the entry is then rebuilt."""


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


# ---------------------------------------------------------------- one entry: write

SECTIONS = ("summary", "duplicate_pairs", "pipeline", "records", "kept", "vocabulary",   # JSON
            "texts", "text_lengths", "token_ids", "token_counts")   # UTF-8, <i8, <u4, <i8
_ARRAYS = {"text_lengths": "<i8", "token_ids": "<u4", "token_counts": "<i8"}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      default=_json_default).encode("utf-8")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):   # numpy scalars
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def encode_sections(cleaned: CleanResult, raw: list[Document]) -> dict[str, bytes]:
    """The payload's sections: JSON, or plain UTF-8 and little-endian integers for the bulk
    (texts and tokens), which decode many times faster than JSON strings."""
    index = {doc.id: i for i, doc in enumerate(raw)}
    texts = [doc.text for doc in cleaned.documents]
    vocabulary: dict[str, int] = {}
    ids = np.fromiter((vocabulary.setdefault(w, len(vocabulary)) for t in cleaned.tokens for w in t),
                      dtype="<u4")
    return {"summary": _dumps(cleaned.summary), "duplicate_pairs": _dumps(cleaned.duplicate_pairs),
            "pipeline": _dumps(cleaned.pipeline.to_state()), "records": _dumps(cleaned.records),
            "kept": _dumps([index[doc.id] for doc in cleaned.documents]),
            "vocabulary": _dumps(list(vocabulary)),
            "texts": "".join(texts).encode("utf-8", "surrogatepass"),
            "text_lengths": np.array([len(t) for t in texts], dtype="<i8").tobytes(),
            "token_ids": ids.tobytes(),
            "token_counts": np.array([len(t) for t in cleaned.tokens], dtype="<i8").tobytes()}


def entry_bytes(key: str, fingerprint: str, documents: int, sections: dict[str, bytes]) -> bytes:
    """A whole entry: the manifest line, then the sections in :data:`SECTIONS` order."""
    payload = b"".join(sections[name] for name in SECTIONS)
    manifest = {"format": FORMAT, "version": FORMAT_VERSION, "key": key, "fingerprint": fingerprint,
                "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "documents": documents, "sections": [[name, len(sections[name])] for name in SECTIONS],
                "payload_bytes": len(payload), "payload_sha256": hashlib.sha256(payload).hexdigest()}
    return _dumps(manifest) + b"\n" + payload


def write_entry(path: Path, key: str, fingerprint: str, cleaned: CleanResult,
                raw: list[Document]) -> int:
    """Write ``cleaned`` as an entry (temporary name, then an atomic rename); its size."""
    data = entry_bytes(key, fingerprint, len(raw), encode_sections(cleaned, raw))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(data)


# ---------------------------------------------------------------- one entry: read

def read_manifest(data: bytes) -> tuple[dict, int]:
    """The manifest at the start of ``data`` and where the payload starts."""
    end = data.find(b"\n", 0, MANIFEST_MAX_BYTES)
    if end < 0:
        raise CacheProblem("no manifest line (not a cache entry of this format)")
    try:
        manifest = json.loads(data[:end])
    except (ValueError, RecursionError):
        raise CacheProblem("unreadable manifest (not a cache entry of this format)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CacheProblem("not a cache entry of this format")
    if manifest.get("version") != FORMAT_VERSION:
        raise CacheProblem(f"format version {manifest.get('version')!r}, this code reads {FORMAT_VERSION}")
    return manifest, end + 1


def read_entry(path: Path, key: str, fingerprint: str, raw: list[Document],
               settings: dict) -> CleanResult:
    """The entry at ``path``, checked against its checksum, key, fingerprint, the settings
    and the input documents; :class:`CacheProblem` says what is wrong."""
    data = path.read_bytes()
    manifest, start = read_manifest(data)
    if manifest.get("key") != key:
        raise CacheProblem("its key differs from the file name's (an entry of other documents or settings)")
    if manifest.get("fingerprint") != fingerprint:
        raise CacheProblem("written by other cleaning code (code fingerprint differs)")
    payload = memoryview(data)[start:]
    if len(payload) != manifest.get("payload_bytes") or \
            hashlib.sha256(payload).hexdigest() != manifest.get("payload_sha256"):
        raise CacheProblem("checksum mismatch (the entry was altered or truncated)")
    try:
        return _rebuild(_split_sections(payload, manifest.get("sections")), raw, settings)
    except CacheProblem:
        raise
    except (ValueError, RecursionError):   # also JSONDecodeError and UnicodeDecodeError
        raise CacheProblem("wrong content: a section cannot be decoded") from None
    except (TypeError, KeyError, IndexError, AttributeError) as exc:
        raise CacheProblem(f"wrong content ({type(exc).__name__}: {' '.join(str(exc).split())})") from None


def _split_sections(payload: memoryview, layout: Any) -> dict[str, Any]:
    """Each section decoded: JSON values, one str of all texts, integer arrays."""
    _require(isinstance(layout, list) and [item[0] for item in layout] == list(SECTIONS)
             and sum(item[1] for item in layout) == len(payload), "its sections are not this format's")
    parts, at = {}, 0
    for name, size in layout:
        chunk = payload[at:at + size]
        at += size
        if name in _ARRAYS:
            parts[name] = np.frombuffer(chunk, dtype=_ARRAYS[name])
        elif name == "texts":
            parts[name] = bytes(chunk).decode("utf-8", "surrogatepass")  # type: ignore[assignment]
        else:
            parts[name] = json.loads(bytes(chunk))
    return parts


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise CacheProblem(f"wrong content: {what}")


def _rebuild(parts: dict[str, Any], raw: list[Document], settings: dict) -> CleanResult:
    summary, pairs, state, records = (parts[k] for k in ("summary", "duplicate_pairs", "pipeline", "records"))
    _require(isinstance(summary, dict) and isinstance(pairs, list) and isinstance(state, dict),
             "summary, duplicate pairs or pipeline of the wrong type")
    _require(all(state.get(k) == settings[k] for k in ("unicode", "furniture", "tokens")),
             "its pipeline settings differ from clean:")
    _check_records(records, raw)
    kept = parts["kept"]
    _require(kept == [i for i, r in enumerate(records) if r["kept"]], "kept documents differ from the records")
    _require(summary.get("documents_in") == len(raw) and summary.get("documents_kept") == len(kept),
             "summary counts differ from the documents")
    texts = _texts(parts["texts"], parts["text_lengths"], len(kept))
    tokens = _tokens(parts["vocabulary"], parts["token_ids"], parts["token_counts"], len(kept))
    _require(all(len(t) == records[i]["n_tokens"] for i, t in zip(kept, tokens, strict=True)),
             "token counts differ from the records")
    return CleanResult(documents=[raw[i].with_text(text) for i, text in zip(kept, texts, strict=True)], tokens=tokens,
                       records=records, duplicate_pairs=pairs, summary=summary,
                       pipeline=TextPipeline.from_state(state))


def _texts(joined: str, lengths: np.ndarray, n: int) -> list[str]:
    _require(len(lengths) == n and (lengths >= 0).all() and int(lengths.sum()) == len(joined),  # type: ignore[arg-type]
             "text lengths do not match the texts")
    ends = np.cumsum(lengths).tolist()
    return [joined[end - length:end] for end, length in zip(ends, lengths.tolist(), strict=True)]


def _tokens(vocabulary: Any, ids: np.ndarray, counts: np.ndarray, n: int) -> list[list[str]]:
    _require(isinstance(vocabulary, list) and all(isinstance(w, str) for w in vocabulary),
             "a vocabulary that is not a list of strings")
    _require(len(counts) == n and (counts >= 0).all() and int(counts.sum()) == len(ids)  # type: ignore[arg-type]
             and (len(ids) == 0 or int(ids.max()) < len(vocabulary)), "token ids do not match")
    words = np.array(vocabulary, dtype=object)[ids]   # one str object per distinct word
    ends = np.cumsum(counts).tolist()
    return [words[end - count:end].tolist() for end, count in zip(ends, counts.tolist(), strict=True)]


def _check_records(records: Any, raw: list[Document]) -> None:
    _require(isinstance(records, list) and len(records) == len(raw),
             "records are not one per input document")
    for record, doc in zip(records, raw, strict=True):
        _require(isinstance(record, dict) and record.get("id") == doc.id
                 and record.get("chars_before") == len(doc.text),
                 f"the record of document {doc.id!r} is not its own")
        _require(RECORD_FIELDS.issubset(record) and isinstance(record["kept"], bool)
                 and isinstance(record["n_tokens"], int), f"the record of document {doc.id!r} is incomplete")


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
