"""One entry of the cleaning cache, as bytes: its manifest line and payload sections, written
and read with ``json``, ``bytes.decode`` and ``numpy.frombuffer`` only (the format is
described in :mod:`research.clean.cache`). Anything that does not check out raises
:class:`CacheProblem`, and the caller rebuilds the entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from research.clean.cleaner import CleanResult, TextPipeline
from research.corpus.documents import Document

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST_MAX_BYTES", "SECTIONS", "CacheProblem", "encode_sections", "entry_bytes",
           "read_entry", "read_manifest", "write_entry"]

FORMAT = "research-clean-cache"
FORMAT_VERSION = 1
MANIFEST_MAX_BYTES = 1 << 16
RECORD_FIELDS = frozenset({"id", "kept", "drop_reason", "chars_before", "chars_after", "lines_removed",
                           "paragraphs_removed", "duplicate_of", "duplicate_similarity", "n_tokens"})


class CacheProblem(Exception):
    """Why an entry cannot be used (one line); the entry is then rebuilt."""


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


