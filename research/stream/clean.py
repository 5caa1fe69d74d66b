"""Cleaning in chunks: the same steps as :func:`research.clean.cleaner.clean_corpus`, with
the corpus-level steps done by streaming passes over the token store.

Pass 1 (per chunk of ``scale.chunk_documents`` documents, shared with the helper process):
every per-document step (:func:`research.clean.cleaner.pass_chunk`), plus each document's
MinHash band hashes (:mod:`research.stream.minhash`). The chunk goes to the token store
(:mod:`research.stream.store`); a chunk already there with a good checksum is reused.

Then, over the store, with only small per-document summaries in memory (outlet code, digest,
band hashes: about 220 bytes a document):

1. near-duplicates: exact copies by digest, near copies from LSH candidates verified with the
   exact 5-shingle containment (shingles recomputed for candidates only);
2. repeated template lines: a first pass keeps the (outlet, line) keys whose share of the
   outlet's near-duplicate clusters reaches ``repeated_min_share`` *within some chunk* (a key
   that reaches it corpus-wide must reach it in at least one chunk), a second pass counts those
   keys exactly, once per cluster; the documents that hold a repeated key are cleaned of it
   and their duplicates searched again, as in memory;
3. phrases (when enabled) learned over the kept documents in one streaming pass, then the
   final parts: one Parquet file per chunk with each document's record and final tokens.

What differs from the in-memory cleaning (measured in the closing note of issue 12):
near-duplicate candidates come from MinHash LSH instead of every pair of documents, and the
containment counts every shingle (in memory, shingles found in more than 1% of documents are
left out); a template key is counted over near-duplicate clusters chunk by chunk, so a
cluster that spans chunks may count in more than one.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from research.clean.cache import code_fingerprint
from research.clean.cleaner import (
    TextPipeline,
    fail_no_documents,
    pack_segments,
    pass_chunk,
    pass_options,
    unpack_segments,
)
from research.clean.dedup import MIN_SHINGLES, DuplicatePair, assign_duplicates, cluster_labels, shingle_entries
from research.clean.furniture import CleanedText
from research.clean.pipeline import check_settings
from research.clean.settings import choice, get_setting
from research.clean.templates import drop_repeated_segments
from research.clean.tokens import apply_phrases, learn_phrases
from research.corpus.documents import Document
from research.errors import CleaningError
from research.stream.minhash import N_BANDS, band_hashes, candidate_pairs, signatures
from research.stream.progress import Progress
from research.stream.store import TokenStore, digest_json
from research.util.batches import batched
from research.util.workers import map_shared

__all__ = ["StreamedCleaning", "clean_stream", "store_key"]

VERIFY_BLOCK = 1000                 # candidate documents whose shingles are hashed at once: hashing
#                                     36,700 texts in one numpy pass took 3 GB at 1M documents
SUB_CHUNK = 250                     # documents per job handed to a process within a chunk
_OUTLET_MIX = np.uint64(0x9E3779B97F4A7C15)
STREAM_MODULES = ("clean.py", "minhash.py", "store.py")


def store_key(settings: dict, chunk_documents: int) -> str:
    """The token store's folder key: clean settings, chunk size, cleaning and streaming code."""
    here = Path(__file__).resolve().parent
    code = hashlib.sha256(code_fingerprint().encode())
    for name in STREAM_MODULES:
        code.update((here / name).read_bytes())
    return digest_json({"clean": settings, "chunk": chunk_documents, "code": code.hexdigest()})


@dataclass
class StreamedCleaning:
    """What :func:`clean_stream` returns: the final parts (Parquet, one per chunk, in corpus
    order) and the corpus-level results; per-document data stays on disk."""

    store: TokenStore
    folder: Path                       # the final parts' folder
    parts: list[str]
    documents_in: int
    documents_kept: int
    summary: dict
    duplicate_pairs: list[dict]
    pipeline: TextPipeline = field(repr=False)
    reused: dict = field(default_factory=dict)

    def tables(self, columns: list[str] | None = None, kept_only: bool = True) -> Iterator[pa.Table]:
        """The final parts one at a time (only the kept documents by default)."""
        for name in self.parts:
            wanted = None if columns is None else list(dict.fromkeys([*columns, "kept"]))
            table = self.store.read(f"{self.folder.name}/{name}", wanted)
            if kept_only:
                table = table.filter(table.column("kept"))
            yield table if columns is None else table.select(columns)

    def token_chunks(self) -> Iterator[list[list[str]]]:
        """The kept documents' tokens, chunk by chunk."""
        for table in self.tables(["tokens"]):
            yield [t.split(" ") if t else [] for t in table.column("tokens").to_pylist()]


# -- pass 1: per chunk -------------------------------------------------------------------------

def _clean_part(texts: list[str], pipeline: TextPipeline, options: dict) -> dict[str, Any]:
    """One job: the per-document steps and the MinHash bands of ``texts`` (runs in a helper)."""
    passes = pass_chunk(texts, pipeline, options)
    empty = np.empty(0, dtype=np.uint64)
    hashes = [p.shingles[1] if p.shingles is not None else empty for p in passes]
    out = {"lines": [p.cleaned.lines for p in passes],   # type: ignore[union-attr]
           "removed": [json.dumps(p.removed, ensure_ascii=False) for p in passes],
           "found": [json.dumps(p.found, ensure_ascii=False) for p in passes],
           "junk": [p.junk for p in passes], "links": [p.links for p in passes],
           "chars_after": [len(p.text) for p in passes], "tokens": [p.tokens for p in passes],
           "keys": [p.keys if p.keys is not None else empty for p in passes],
           "digest": [p.shingles[0] if p.shingles is not None else b"" for p in passes],
           "n_shingles": [len(h) for h in hashes]}
    out["bands"] = band_hashes(signatures(hashes)) if options["shingles"] else \
        np.zeros((len(texts), N_BANDS), dtype=np.uint64)
    return out


def _chunk_name(docs: list[Document]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for doc in docs:
        meta = json.dumps(doc.metadata(), sort_keys=True, default=str, ensure_ascii=False)
        digest.update(f"{len(meta)}:{meta}{len(doc.text)}:".encode("utf-8", "surrogatepass"))
        digest.update(doc.text.encode("utf-8", "surrogatepass"))
        digest.update((doc.source or "").encode("utf-8", "surrogatepass"))
    return "chunk-" + digest.hexdigest()


def _chunk_table(docs: list[Document], pipeline: TextPipeline, options: dict, helpers: int) -> pa.Table:
    texts = [d.text for d in docs]
    jobs = [texts[i:i + SUB_CHUNK] for i in range(0, len(texts), SUB_CHUNK)]
    parts = map_shared(_clean_part, jobs, helpers, pipeline, options)
    col: dict[str, list] = {}
    for part in parts:
        for key, values in part.items():
            col.setdefault(key, []).append(values)
    merged: dict[str, Any] = {k: (np.vstack(v) if k == "bands" else [x for vs in v for x in vs])
                              for k, v in col.items()}
    metas = [d.metadata() for d in docs]
    return pa.table({
        "id": [d.id for d in docs], "title": [d.title for d in docs], "outlet": [d.outlet for d in docs],
        "date": [None if d.date is None else str(d.date) for d in docs], "label": [d.label for d in docs],
        "meta": [json.dumps({k: v for k, v in m.items() if k not in ("id", "title", "outlet", "date", "label")},
                            default=str, ensure_ascii=False) for m in metas],
        "source": [d.source for d in docs], "sha256": [d.content_hash for d in docs],
        "chars_before": pa.array([len(d.text) for d in docs], pa.int64()),
        "lines": pa.array(merged["lines"], pa.list_(pa.list_(pa.string()))),
        "removed": merged["removed"], "found": merged["found"],
        "junk": pa.array(merged["junk"], pa.int64()), "links": pa.array(merged["links"], pa.int64()),
        "chars_after": pa.array(merged["chars_after"], pa.int64()), "tokens": merged["tokens"],
        "keys": pa.array(merged["keys"], pa.list_(pa.uint64())),
        "digest": pa.array(merged["digest"], pa.binary()),
        "n_shingles": pa.array(merged["n_shingles"], pa.int64()),
        "bands": pa.FixedSizeListArray.from_arrays(pa.array(merged["bands"].ravel(), pa.uint64()), N_BANDS),
    })


@dataclass
class _Index:
    """The per-document summaries kept in memory (corpus order)."""

    names: list[str] = field(default_factory=list)      # pass-1 chunk names
    starts: list[int] = field(default_factory=lambda: [0])
    outlets: dict = field(default_factory=dict)          # outlet -> code
    outlet_code: list[np.ndarray] = field(default_factory=list)
    digest: list[np.ndarray] = field(default_factory=list)
    n_shingles: list[np.ndarray] = field(default_factory=list)
    bands: list[np.ndarray] = field(default_factory=list)

    def add(self, name: str, table: pa.Table) -> None:
        self.names.append(name)
        self.starts.append(self.starts[-1] + table.num_rows)
        codes = [self.outlets.setdefault(o, len(self.outlets)) for o in table.column("outlet").to_pylist()]
        self.outlet_code.append(np.asarray(codes, dtype=np.int32))
        digests = table.column("digest").to_pylist()
        self.digest.append(np.frombuffer(b"".join(d.ljust(16, b"\0") for d in digests), dtype=np.uint64)
                           .reshape(-1, 2) if digests else np.empty((0, 2), np.uint64))
        self.n_shingles.append(table.column("n_shingles").to_numpy())
        bands = table.column("bands").combine_chunks()
        self.bands.append(bands.values.to_numpy().reshape(-1, N_BANDS))

    def freeze(self) -> None:
        self.codes = np.concatenate(self.outlet_code)
        self.digests = np.concatenate(self.digest)
        self.sizes = np.concatenate(self.n_shingles)
        self.band_matrix = np.concatenate(self.bands)
        self.outlet_code, self.digest, self.n_shingles, self.bands = [], [], [], []

    @property
    def n(self) -> int:
        return self.starts[-1]

    def chunk_of(self, index: int) -> int:
        return int(np.searchsorted(self.starts, index, side="right") - 1)


# -- the corpus-level steps --------------------------------------------------------------------

class _Texts:
    """Cleaned texts of chosen documents, read back from the store (changed texts first)."""

    def __init__(self, store: TokenStore, index: _Index, changed: dict[int, str]):
        self.store, self.index, self.changed = store, index, changed

    def get(self, wanted: np.ndarray) -> dict[int, str]:
        out = {i: self.changed[i] for i in wanted.tolist() if i in self.changed}
        rest = np.array(sorted(set(wanted.tolist()) - out.keys()), dtype=np.int64)
        chunk = np.searchsorted(self.index.starts, rest, side="right") - 1
        for c in np.unique(chunk).tolist():
            rows = rest[chunk == c] - self.index.starts[c]
            lines = self.store.read(self.index.names[c], ["lines"]).column("lines").take(pa.array(rows)).to_pylist()
            for i, ls in zip((rows + self.index.starts[c]).tolist(), lines, strict=True):
                out[i] = CleanedText(lines=ls).text()
        return out


def _exact_pairs(index: _Index) -> tuple[list[DuplicatePair], np.ndarray]:
    """Exact copies (equal digests of the word sequence) and the first copies' indices."""
    digests = index.digests
    nonempty = np.flatnonzero(digests.any(axis=1))
    view = np.ascontiguousarray(digests[nonempty]).view([("a", np.uint64), ("b", np.uint64)]).ravel()
    _, first_pos, inverse = np.unique(view, return_index=True, return_inverse=True)
    first_of = nonempty[first_pos][inverse.ravel()]
    copies = nonempty[first_of != nonempty]
    pairs = [DuplicatePair(int(a), int(b), 1.0, "exact")
             for a, b in zip(first_of[first_of != nonempty].tolist(), copies.tolist(), strict=True)]
    unique = np.ones(index.n, dtype=bool)
    unique[copies] = False
    return pairs, np.flatnonzero(unique)


def _near_pairs(index: _Index, unique: np.ndarray, texts: _Texts, threshold: float) -> list[DuplicatePair]:
    rows = unique[index.sizes[unique] >= MIN_SHINGLES]
    candidates = candidate_pairs(index.band_matrix, rows)
    if not len(candidates):
        return []
    wanted = np.unique(candidates)
    shingles: dict[int, np.ndarray] = {}
    for start in range(0, len(wanted), VERIFY_BLOCK):
        found = texts.get(wanted[start:start + VERIFY_BLOCK])
        ids = list(found)
        shingles.update(zip(ids, (e[1] for e in shingle_entries([found[i] for i in ids])), strict=True))
        del found
    pairs = []
    for a, b in candidates.tolist():
        sa, sb = shingles[a], shingles[b]
        smaller = min(len(sa), len(sb))
        if smaller < MIN_SHINGLES:
            continue
        similarity = len(np.intersect1d(sa, sb, assume_unique=True)) / smaller
        if similarity >= threshold:
            pairs.append(DuplicatePair(a, b, round(float(similarity), 4), "near"))
    return pairs


def _duplicates(index: _Index, texts: _Texts, threshold: float) -> list[DuplicatePair]:
    pairs, unique = _exact_pairs(index)
    if len(unique) > 1:
        pairs += _near_pairs(index, unique, texts, threshold)
    return sorted(pairs, key=lambda p: (p.a, p.b))


def _flat_keys(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    keys = table.column("keys").combine_chunks()
    offsets = keys.offsets.to_numpy()
    return keys.values.to_numpy(), np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))


def _combined(keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return keys ^ (codes.astype(np.uint64) * _OUTLET_MIX)


def _repeated_keys(store: TokenStore, index: _Index, clusters: np.ndarray, furniture: dict) -> set[tuple]:
    """(outlet, key hash) of the repeated template lines (see the module docstring)."""
    min_docs, share = int(furniture["repeated_min_docs"]), float(furniture["repeated_min_share"])
    candidates = []
    for c, name in enumerate(index.names):
        keys, doc = _flat_keys(store.read(name, ["keys"]))
        start, stop = index.starts[c], index.starts[c + 1]
        codes, cl = index.codes[start:stop], clusters[start:stop]
        if not keys.size:
            continue
        combined = _combined(keys, codes[doc])
        triples = np.unique(np.column_stack((combined, cl[doc].astype(np.uint64))), axis=0)
        values, counts = np.unique(triples[:, 0], return_counts=True)
        pairs = np.unique(np.column_stack((codes, cl)), axis=0)
        chunk_sizes = np.bincount(pairs[:, 0], minlength=len(index.outlets))
        value_code = _value_codes(combined, codes[doc], values)
        hit = counts >= share * chunk_sizes[value_code]
        candidates.append(values[hit])
    if not candidates:
        return set()
    wanted = np.unique(np.concatenate(candidates))
    seen = []
    for c, name in enumerate(index.names):
        keys, doc = _flat_keys(store.read(name, ["keys"]))
        if not keys.size:
            continue
        start = index.starts[c]
        codes = index.codes[start:index.starts[c + 1]]
        combined = _combined(keys, codes[doc])
        mask = np.isin(combined, wanted)
        seen.append(np.column_stack((combined[mask], clusters[start + doc[mask]].astype(np.uint64),
                                     codes[doc[mask]].astype(np.uint64), keys[mask])))
    rows = np.unique(np.concatenate(seen), axis=0) if seen else np.empty((0, 4), np.uint64)
    values, first, counts = np.unique(rows[:, 0], return_index=True, return_counts=True)
    outlet_pairs = np.unique(np.column_stack((index.codes, clusters)), axis=0)
    sizes = np.bincount(outlet_pairs[:, 0], minlength=len(index.outlets))
    code = rows[first, 2].astype(np.int64)
    hit = (counts >= min_docs) & (counts >= share * sizes[code])
    names = list(index.outlets)
    return {(names[o], int(k)) for o, k in zip(code[hit].tolist(), rows[first, 3][hit].tolist(), strict=True)}


def _value_codes(combined: np.ndarray, codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The outlet code of each distinct combined value (each value belongs to one outlet)."""
    order = np.argsort(combined, kind="stable")
    position = np.searchsorted(combined[order], values)
    return codes[order[position]]


def _apply_repeated(store: TokenStore, index: _Index, repeated: set[tuple], pipeline: TextPipeline,
                    progress: Callable[[str], None]) -> tuple[dict[int, dict], dict[int, str]]:
    """Remove repeated template lines; per changed document its new record fields and text."""
    wanted = np.unique(_combined(np.array([k for _, k in repeated], dtype=np.uint64),
                                 np.array([index.outlets[o] for o, _ in repeated], dtype=np.int64)))
    changed: dict[int, dict] = {}
    texts: dict[int, str] = {}
    for c, name in enumerate(index.names):
        table = store.read(name, ["keys"])
        keys, doc = _flat_keys(table)
        start = index.starts[c]
        codes = index.codes[start:index.starts[c + 1]]
        hit_docs = np.unique(doc[np.isin(_combined(keys, codes[doc]), wanted)]) if keys.size else doc[:0]
        if not hit_docs.size:
            continue
        rows = store.read(name, ["outlet", "lines", "removed"]).take(pa.array(hit_docs))
        for row, outlet, lines, removed in zip(hit_docs.tolist(), rows.column("outlet").to_pylist(),
                                               rows.column("lines").to_pylist(),
                                               rows.column("removed").to_pylist(), strict=True):
            cleaned = CleanedText(lines=lines, removed=json.loads(removed))
            if drop_repeated_segments(cleaned, outlet, repeated):
                text = cleaned.text()
                i = start + row
                texts[i] = text
                changed[i] = {"removed": json.dumps(cleaned.removed, ensure_ascii=False),
                              "tokens": pack_segments(pipeline.segments(text)), "chars_after": len(text)}
        progress(f"repeated lines: {len(changed):,} documents changed after {c + 1} of {len(index.names)} chunks")
    if texts:   # their duplicates are searched again on the new text
        ids = sorted(texts)
        for start in range(0, len(ids), VERIFY_BLOCK):
            block = ids[start:start + VERIFY_BLOCK]
            entries = shingle_entries([texts[i] for i in block])
            sig = band_hashes(signatures([e[1] for e in entries]))
            for k, (i, (digest, hashes)) in enumerate(zip(block, entries, strict=True)):
                index.digests[i] = np.frombuffer(digest.ljust(16, b"\0"), dtype=np.uint64)
                index.sizes[i] = len(hashes)
                index.band_matrix[i] = sig[k]
    return changed, texts


# -- the entry point ---------------------------------------------------------------------------

def clean_stream(documents: Iterable[Document], settings: dict, store_root: Path, chunk_documents: int,
                 helpers: int, log: Callable[[str], None], fraction: Callable[[], float | None] | None = None
                 ) -> StreamedCleaning:
    """Clean ``documents`` (any iterable, read once) with the ``clean:`` settings, chunk by chunk."""
    check_settings(settings)
    pipeline = TextPipeline.from_settings(settings)
    pipeline._prepared()
    options = pass_options(settings)
    store = TokenStore(store_root, store_key(settings, chunk_documents))
    index = _Index()
    progress = Progress(log, "clean")
    for docs in batched(documents, chunk_documents):
        name = _chunk_name(docs)
        if store.has(name):
            store.reused += 1
            table = store.read(name, ["outlet", "digest", "n_shingles", "bands"])
        else:
            table = _chunk_table(docs, pipeline, options, helpers)
            share = fraction() if fraction else None
            needed = (store.written_bytes / 1e6) / share if share else None
            store.write(name, table, needed)
        index.add(name, table)
        del table, docs
        progress.update(index.n, fraction() if fraction else None)
    progress.finish()
    if index.n == 0:
        raise CleaningError("no documents to clean (0 read); check corpus.path and corpus.where")
    index.freeze()
    log(f"token store {store.folder}: {len(index.names)} chunks, {store.reused} reused, "
        f"{store.rejected} rejected (checksum)")
    final = store.folder / ("corpus-" + hashlib.sha256("\n".join(index.names).encode()).hexdigest()[:24])
    manifest = final / "manifest.json"
    done = _load_manifest(store, manifest)
    if done is not None:
        log(f"cleaning reused from {final}")
        pipeline.phrases_ = None
        if done["phrases"] is not None:
            from research.clean.tokens import phrases_from_state
            pipeline.phrases_ = phrases_from_state(done["phrases"])
        return StreamedCleaning(store, final, done["parts"], index.n, done["summary"]["documents_kept"],
                                done["summary"], done["duplicate_pairs"], pipeline,
                                {"chunks": len(index.names), "chunks_reused": store.reused, "final": True})
    return _corpus_steps(store, index, settings, pipeline, final, log)


def _load_manifest(store: TokenStore, manifest: Path) -> dict | None:
    try:
        done = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    if all(store.has(f"{manifest.parent.name}/{p}") for p in done.get("parts", [])):
        return done
    return None


def _corpus_steps(store: TokenStore, index: _Index, settings: dict, pipeline: TextPipeline, final: Path,
                  log: Callable[[str], None]) -> StreamedCleaning:
    enabled = bool(get_setting(settings, "duplicates.enabled"))
    threshold = float(get_setting(settings, "duplicates.threshold"))
    texts = _Texts(store, index, {})
    pairs = _duplicates(index, texts, threshold) if enabled else []
    log(f"duplicates: {len(pairs):,} pairs")
    furniture = settings["furniture"]
    changed: dict[int, dict] = {}
    if furniture["enabled"] and furniture["repeated_lines"]:
        clusters = np.asarray(cluster_labels(index.n, pairs), dtype=np.int64)
        repeated = _repeated_keys(store, index, clusters, furniture)
        log(f"repeated lines: {len(repeated):,} (outlet, line) templates")
        if repeated:
            changed, new_texts = _apply_repeated(store, index, repeated, pipeline, _quiet)
            texts.changed = new_texts
            if changed and enabled:
                pairs = _duplicates(index, texts, threshold)
                log(f"duplicates after removing templates: {len(pairs):,} pairs")
    chosen = assign_duplicates(index.n, pairs, drop=choice(settings, "duplicates.action") == "drop")
    drop = choice(settings, "duplicates.action") == "drop"
    options = settings["tokens"]["phrases"]
    pipeline.phrases_ = None
    if options["enabled"]:
        segments = (seg for c in range(len(index.names))
                    for packed in _final_tokens(store, index, c, changed, chosen, drop)
                    for seg in unpack_segments(packed))
        pipeline.phrases_ = learn_phrases(segments, int(options["min_count"]),  # type: ignore[arg-type]
                                          float(options["threshold"]))   # gensim reads any iterable once
    ids = _ids_of(store, index, {p.a for p in chosen.values()} | {i for p in pairs for i in (p.a, p.b)})
    min_tokens = int(get_setting(settings, "min_tokens"))
    summary = _Summary()
    parts = []
    for c, _name in enumerate(index.names):
        table = _final_part(store, index, c, changed, chosen, drop, ids, pipeline, min_tokens,
                            choice(settings, "duplicates.paragraphs"))
        summary.add(table)
        part = f"part-{c:06d}"
        store.write(f"{final.name}/{part}", table)
        parts.append(part)
    result = summary.result(index.n)
    if result["documents_kept"] == 0:
        fail_no_documents(result, min_tokens)
    duplicate_pairs = [{"a": ids[p.a], "b": ids[p.b], "similarity": p.similarity, "kind": p.kind} for p in pairs]
    from research.clean.tokens import phrases_state
    state = None if pipeline.phrases_ is None else phrases_state(pipeline.phrases_)
    tmp = final / ".manifest.tmp"
    tmp.write_text(json.dumps({"parts": parts, "summary": result, "duplicate_pairs": duplicate_pairs,
                               "phrases": state}))
    tmp.replace(final / "manifest.json")
    return StreamedCleaning(store, final, parts, index.n, result["documents_kept"], result, duplicate_pairs,
                            pipeline, {"chunks": len(index.names), "chunks_reused": store.reused, "final": False})


def _quiet(_: str) -> None:
    pass


def _final_tokens(store: TokenStore, index: _Index, c: int, changed: dict[int, dict],
                  chosen: dict[int, DuplicatePair], drop: bool) -> list[str]:
    """Packed token segments of chunk c's documents that are not dropped as duplicates."""
    start = index.starts[c]
    tokens = store.read(index.names[c], ["tokens"]).column("tokens").to_pylist()
    return [changed[start + r]["tokens"] if start + r in changed else t for r, t in enumerate(tokens)
            if not (drop and start + r in chosen)]


def _ids_of(store: TokenStore, index: _Index, wanted: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    rest = np.array(sorted(wanted), dtype=np.int64)
    chunk = np.searchsorted(index.starts, rest, side="right") - 1
    for c in np.unique(chunk).tolist():
        rows = rest[chunk == c] - index.starts[c]
        ids = store.read(index.names[c], ["id"]).column("id").take(pa.array(rows)).to_pylist()
        out.update(zip((rows + index.starts[c]).tolist(), ids, strict=True))
    return out


FINAL_COLUMNS = ["id", "title", "outlet", "date", "label", "meta", "source", "sha256", "chars_before",
                 "removed", "found", "junk", "links", "chars_after", "tokens"]


def _final_part(store: TokenStore, index: _Index, c: int, changed: dict[int, dict], chosen: dict[int, DuplicatePair],
                drop: bool, ids: dict[int, str], pipeline: TextPipeline, min_tokens: int, mode: str) -> pa.Table:
    """Chunk c's documents with their final record and tokens (see :data:`FINAL_COLUMNS`)."""
    table = store.read(index.names[c], FINAL_COLUMNS)
    start = index.starts[c]
    col = {k: table.column(k).to_pylist() for k in ("removed", "chars_after", "tokens", "found")}
    kept: list[bool] = []
    reason: list[str | None] = []
    dup_of: list[str | None] = []
    dup_sim: list[float | None] = []
    n_tokens: list[int] = []
    tokens: list[str] = []
    lines_removed, paragraphs = [], []
    for r in range(table.num_rows):
        i = start + r
        if i in changed:
            for key in ("removed", "chars_after", "tokens"):
                col[key][r] = changed[i][key]
        pair = chosen.get(i)
        dup_of.append(ids[pair.a] if pair else None)
        dup_sim.append(pair.similarity if pair else None)
        if pair is not None and drop:
            kept.append(False)
            reason.append("duplicate")
            n_tokens.append(0)
            tokens.append("")
        else:
            found = apply_phrases(unpack_segments(col["tokens"][r]), pipeline.phrases_)
            n_tokens.append(len(found))
            tokens.append(" ".join(found))
            ok = len(found) >= min_tokens
            kept.append(ok)
            reason.append(None if ok else "too_few_tokens")
        lines_removed.append(col["removed"][r].count('"reason"'))
        paragraphs.append(col["found"][r].count('"duplicate_of_paragraph"') if mode == "drop" else 0)
    return pa.table({
        **{k: table.column(k) for k in ("id", "title", "outlet", "date", "label", "meta", "source", "sha256",
                                        "chars_before", "junk", "links")},
        "chars_after": pa.array(col["chars_after"], pa.int64()),
        "lines_removed": pa.array(lines_removed, pa.int64()), "removed": col["removed"],
        "paragraphs_removed": pa.array(paragraphs, pa.int64()), "found": col["found"],
        "duplicate_of": pa.array(dup_of, pa.string()), "duplicate_similarity": pa.array(dup_sim, pa.float64()),
        "kept": pa.array(kept, pa.bool_()), "drop_reason": pa.array(reason, pa.string()),
        "n_tokens": pa.array(n_tokens, pa.int64()), "tokens": tokens,
    })


class _Summary:
    """The summary of :func:`research.clean.cleaner.clean_corpus`, added up part by part."""

    def __init__(self) -> None:
        self.reasons: Counter = Counter()
        self.kept = self.duplicates = self.empty = self.paragraphs = self.junk = 0
        self.chars_before = self.chars_after = 0

    def add(self, table: pa.Table) -> None:
        kept = np.asarray(table.column("kept").to_numpy(zero_copy_only=False), dtype=bool)
        reasons = table.column("drop_reason").to_pylist()
        self.kept += int(kept.sum())
        self.duplicates += reasons.count("duplicate")
        self.empty += reasons.count("too_few_tokens")
        self.paragraphs += int(table.column("paragraphs_removed").to_numpy().sum())
        self.junk += int(table.column("junk").to_numpy().sum())
        self.chars_before += int(table.column("chars_before").to_numpy().sum())
        self.chars_after += int(table.column("chars_after").to_numpy()[kept].sum())
        for removed, n in zip(table.column("removed").to_pylist(), table.column("lines_removed").to_pylist(),
                              strict=True):
            if n:
                self.reasons.update(line["reason"] for line in json.loads(removed))

    def result(self, n: int) -> dict:
        return {"documents_in": n, "documents_kept": self.kept, "dropped_duplicates": self.duplicates,
                "dropped_empty": self.empty, "lines_removed_by_reason": dict(sorted(self.reasons.items())),
                "paragraphs_removed": self.paragraphs, "junk_removed": self.junk,
                "chars_before": self.chars_before, "chars_after": self.chars_after}
