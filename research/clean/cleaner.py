"""Cleaning: documents in, cleaned documents + tokens + an audit trail out.

``clean_corpus(documents, settings)`` runs, with ``settings`` the resolved ``clean:``
section of ``defaults.yaml``:

1. per text (also what :meth:`TextPipeline.tokenize` does to a new text): unicode repair
   and junk removal (:mod:`research.clean.repair`), page furniture by pattern and short-line
   rule, inline links (:mod:`research.clean.furniture`);
2. per document: paragraphs repeated inside it (``duplicates.paragraphs``,
   :mod:`research.clean.dedup`);
3. per corpus: near-duplicate clusters, then lines repeated across an outlet's documents
   (each cluster counted once), then exact and near-duplicate documents on the final text
   (``duplicates.action``: drop the later copy, or keep both and report the pair);
4. tokens (:mod:`research.clean.tokens`), with phrases learned on the kept documents; documents
   with fewer than ``min_tokens`` tokens are dropped and recorded.

Every input document gets a JSON-serialisable record of what was removed and why; if no
document survives, :class:`~research.errors.CleaningError` names the setting to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from research.clean.dedup import (
    DuplicatePair,
    ShingleCache,
    assign_duplicates,
    cluster_labels,
    find_duplicates,
    repeated_paragraphs,
    shingle_entries,
)
from research.clean.furniture import CleanedText
from research.clean.pipeline import TextPipeline, check_settings
from research.clean.settings import choice, get_setting
from research.clean.templates import drop_repeated_segments, find_repeated_segments, segment_key_hashes
from research.clean.tokens import (
    TOKEN_PATTERN,
    apply_phrases,
)
from research.corpus.documents import Document
from research.errors import CleaningError
from research.text.paragraphs import wrapped_paragraphs
from research.util.gc import paused_gc
from research.util.progress import Progress
from research.util.workers import helpers_for, map_shared

__all__ = [
    "TOKEN_PATTERN",
    "CleanResult",
    "TextPipeline",
    "clean_corpus",
    "clean_each",
    "fail_no_documents",
    "pack_segments",
    "pass_chunk",
    "pass_options",
    "unpack_segments",
]


@dataclass
class CleanResult:
    """What :func:`clean_corpus` returns.

    ``documents``/``tokens``: the kept documents (input order, cleaned text, id and metadata
    untouched) and their tokens. ``records``: one JSON-serialisable dict per *input*
    document: id, chars_before, chars_after (length of the cleaned text, also for a dropped
    document), lines_removed [{line, reason}], paragraphs_removed [{text,
    duplicate_of_paragraph, similarity}] (``paragraphs: drop``), repeated_paragraphs_kept
    (same, ``paragraphs: keep``), junk_removed (characters), links_removed, duplicate_of,
    duplicate_similarity, kept, drop_reason (None | duplicate | too_few_tokens), n_tokens.
    ``duplicate_pairs``: [{a, b, similarity, kind: exact|near}], b the later document.
    ``summary``: counts over the corpus (chars_after over kept documents only).
    ``pipeline``: the fitted :class:`TextPipeline`.
    """

    documents: list[Document]
    tokens: list[list[str]]
    records: list[dict]
    duplicate_pairs: list[dict]
    summary: dict
    pipeline: TextPipeline = field(repr=False)

    def __getstate__(self) -> dict:
        """Pickled with each document's tokens as one string (tokens hold no spaces): 70x
        faster to write than millions of small strings (the cleaning cache)."""
        packed = []
        for tokens in self.tokens:
            text = " ".join(tokens)
            packed.append(text if text.count(" ") == len(tokens) - 1 and all(tokens) else tokens)
        return {**self.__dict__, "tokens": packed}

    def __setstate__(self, state: dict) -> None:
        state["tokens"] = [t if isinstance(t, list) else t.split(" ") if t else []
                           for t in state["tokens"]]
        self.__dict__.update(state)


def _drop_paragraphs(cleaned: CleanedText, mode: str, threshold: float) -> list[dict]:
    """Find paragraphs that repeat an earlier one; remove them when mode is drop."""
    if mode == "off":
        return []
    groups = wrapped_paragraphs(cleaned.lines)
    texts = [" ".join(" ".join(cleaned.lines[i]) for i in group) for group in groups]
    found = []
    for later, earlier, similarity in repeated_paragraphs(texts, threshold):
        found.append({"text": texts[later][:200], "duplicate_of_paragraph": earlier,
                      "similarity": similarity})
        if mode == "drop":
            for i in groups[later]:
                cleaned.lines[i] = None
    return found


@dataclass
class _Pass:
    """What the per-document pass found for one text (see :func:`_per_document`)."""

    cleaned: CleanedText | None  # None once pickled: rebuilt from the raw text when needed
    removed: list[dict]          # cleaned.removed (the same list while cleaned is here)
    junk: int
    links: int
    found: list[dict]
    text: str
    tokens: str                  # token segments of text: tokens joined by " ", segments by "\n"
    keys: Any = None             # segment_key_hashes of cleaned, when repeated lines are looked for
    shingles: Any = None         # shingle_entries of text, when duplicates are looked for

    def __getstate__(self) -> dict:   # a helper's results travel without the lines
        return {**self.__dict__, "cleaned": None}


def pack_segments(segments: list[list[str]]) -> str:
    return "\n".join(" ".join(segment) for segment in segments)


def unpack_segments(packed: str) -> list[list[str]]:
    return [segment.split(" ") for segment in packed.split("\n")] if packed else []


def _per_document(pipeline: TextPipeline, text: str, options: dict) -> _Pass:
    """Every step that needs only the document itself; corpus steps come after."""
    cleaned = pipeline.clean_text(text)
    found = _drop_paragraphs(cleaned, options["mode"], options["threshold"])
    joined = cleaned.text()
    return _Pass(cleaned, cleaned.removed, cleaned.junk, cleaned.links, found, joined,
                 pack_segments(pipeline.segments(joined)))


def _repeated_lines(passes: list[_Pass], docs: list[Document], furniture: dict,
                    clusters: list[int], pipeline: TextPipeline, options: dict) -> list[int]:
    """Remove lines repeated across an outlet's documents; the indices of changed documents."""
    outlets = [d.outlet for d in docs]
    keys = [p.keys for p in passes]
    repeated = find_repeated_segments(keys, outlets, clusters,
                                      int(furniture["repeated_min_docs"]),
                                      float(furniture["repeated_min_share"]))
    by_outlet: dict = {}
    for outlet, key in repeated:
        by_outlet.setdefault(outlet, set()).add(key)
    changed = []
    for i, (p, outlet) in enumerate(zip(passes, outlets, strict=True)):
        if outlet not in by_outlet or by_outlet[outlet].isdisjoint(keys[i].tolist()):
            continue
        if p.cleaned is None:   # made in a helper process: the same steps again, here
            p.cleaned = _per_document(pipeline, docs[i].text, options).cleaned
            p.removed = p.cleaned.removed  # type: ignore[union-attr]
        if drop_repeated_segments(p.cleaned, outlet, repeated):  # type: ignore[arg-type]
            changed.append(i)
    return changed


def _duplicates(passes: list[_Pass], docs: list[Document], pipeline: TextPipeline,
                settings: dict, options: dict) -> list[DuplicatePair]:
    """Near-duplicate pairs, with repeated lines removed in between (texts updated in place)."""
    enabled = bool(get_setting(settings, "duplicates.enabled"))
    threshold = float(get_setting(settings, "duplicates.threshold"))
    # the per-document pass hashed every text; the second search reuses the unchanged ones
    cache = ShingleCache({p.text: p.shingles for p in passes if p.shingles is not None})
    pairs = find_duplicates([p.text for p in passes], threshold, cache) if enabled else []
    furniture = settings["furniture"]
    if furniture["enabled"] and furniture["repeated_lines"]:
        changed = _repeated_lines(passes, docs, furniture, cluster_labels(len(docs), pairs),
                                  pipeline, options)
        for i in changed:
            p = passes[i]
            p.text = p.cleaned.text()  # type: ignore[union-attr]
            p.tokens = pack_segments(pipeline.segments(p.text))
        if changed and enabled:
            pairs = find_duplicates([p.text for p in passes], threshold, cache)
    return pairs


def _record(doc: Document, p: _Pass, mode: str) -> dict:
    return {"id": doc.id, "chars_before": len(doc.text), "chars_after": len(p.text),
            "lines_removed": p.removed,
            "paragraphs_removed": p.found if mode == "drop" else [],
            "repeated_paragraphs_kept": p.found if mode == "keep" else [],
            "junk_removed": p.junk, "links_removed": p.links,
            "duplicate_of": None, "duplicate_similarity": None,
            "kept": True, "drop_reason": None, "n_tokens": 0}


def _mark_duplicates(records: list[dict], docs: list[Document], pairs: list[DuplicatePair],
                     action: str) -> None:
    for b, pair in assign_duplicates(len(docs), pairs, drop=action == "drop").items():
        records[b].update(duplicate_of=docs[pair.a].id, duplicate_similarity=pair.similarity)
        if action == "drop":
            records[b].update(kept=False, drop_reason="duplicate")


def _tokenize_kept(pipeline: TextPipeline, passes: list[_Pass], records: list[dict],
                   min_tokens: int) -> list[list[str]]:
    """Tokens of every document (empty for duplicates); drops those below min_tokens."""
    kept = [i for i, r in enumerate(records) if r["kept"]]
    segments = {i: unpack_segments(passes[i].tokens) for i in kept}
    pipeline.fit_phrases([segments[i] for i in kept])
    tokens: list[list[str]] = [[] for _ in passes]
    for i in kept:
        tokens[i] = apply_phrases(segments[i], pipeline.phrases_)
        records[i]["n_tokens"] = len(tokens[i])
        if len(tokens[i]) < min_tokens:
            records[i].update(kept=False, drop_reason="too_few_tokens")
    return tokens


def _summary(records: list[dict]) -> dict:
    reasons: dict[str, int] = {}
    for r in records:
        for line in r["lines_removed"]:
            reasons[line["reason"]] = reasons.get(line["reason"], 0) + 1
    kept = [r for r in records if r["kept"]]
    return {"documents_in": len(records), "documents_kept": len(kept),
            "dropped_duplicates": sum(r["drop_reason"] == "duplicate" for r in records),
            "dropped_empty": sum(r["drop_reason"] == "too_few_tokens" for r in records),
            "lines_removed_by_reason": dict(sorted(reasons.items())),
            "paragraphs_removed": sum(len(r["paragraphs_removed"]) for r in records),
            "junk_removed": sum(r["junk_removed"] for r in records),
            "chars_before": sum(r["chars_before"] for r in records),
            "chars_after": sum(r["chars_after"] for r in kept)}


def fail_no_documents(summary: dict, min_tokens: int) -> None:
    raise CleaningError(
        f"no documents left after cleaning ({summary['documents_in']} read, "
        f"{summary['dropped_duplicates']} duplicates, {summary['dropped_empty']} with fewer "
        f"than clean.min_tokens={min_tokens} tokens); lower clean.min_tokens or check "
        "clean.furniture and clean.tokens")


_CHUNK_DOCS = 100          # small chunks: the process that finishes first waits little


def pass_chunk(texts: list[str], pipeline: TextPipeline, options: dict) -> list[_Pass]:
    """:func:`_per_document` for a chunk of texts, then the chunk's hashes. A helper
    unpickles ``pipeline`` once for all its chunks, so its token cache stays warm."""
    with paused_gc():
        passes = [_per_document(pipeline, t, options) for t in texts]
    # hashes for the corpus steps, the same in every process, in one numpy pass per chunk
    if options["keys"]:
        for p, keys in zip(passes, segment_key_hashes([p.cleaned for p in passes]), strict=True):  # type: ignore[misc]
            p.keys = keys
    if options["shingles"]:
        for p, entry in zip(passes, shingle_entries([p.text for p in passes]), strict=True):
            p.shingles = entry
    return passes


def _per_document_all(pipeline: TextPipeline, texts: list[str], options: dict,
                      workers: int) -> list[_Pass]:
    """:func:`_per_document` for every text, shared between this process and
    ``workers - 1`` helper processes for large corpora (same results as one process; see
    :mod:`research.util.workers`)."""
    pipeline._prepared()   # compiled once here; helpers need no scikit-learn import then
    chunks = [texts[i:i + _CHUNK_DOCS] for i in range(0, len(texts), _CHUNK_DOCS)]
    helpers = helpers_for(workers, len(texts))
    with Progress(None, "cleaning", total=len(texts)) as progress:
        parts = map_shared(pass_chunk, chunks, helpers, pipeline, options,
                           progress=lambda n: progress.update(min(n * _CHUNK_DOCS, len(texts))))
    return [p for part in parts for p in part]


def pass_options(settings: dict) -> dict:
    """What :func:`pass_chunk` needs from the ``clean:`` settings."""
    furniture = settings["furniture"]
    return {"mode": choice(settings, "duplicates.paragraphs"),
            "threshold": float(get_setting(settings, "duplicates.paragraph_threshold")),
            "keys": bool(furniture["enabled"] and furniture["repeated_lines"]),
            "shingles": bool(get_setting(settings, "duplicates.enabled"))}


def clean_each(pipeline: TextPipeline, texts: list[str], settings: dict) -> list[list[str]]:
    """Each text's tokens after every step that needs only the text itself, with ``pipeline``'s
    learned phrases: unicode repair, junk, furniture patterns, short lines and links, paragraphs
    repeated inside the text (``duplicates.paragraphs``), tokens, phrases. This is what
    :func:`clean_corpus` gives a kept document that the corpus steps left alone; those steps
    need the other documents and are not applied: lines repeated across an outlet's documents
    (reason ``repeated_line`` in a run's data.json), dropping duplicate documents and
    documents below ``min_tokens``."""
    options = pass_options(settings)
    phrases = getattr(pipeline, "phrases_", None)
    return [apply_phrases(unpack_segments(_per_document(pipeline, str(t), options).tokens), phrases)
            for t in texts]


def clean_corpus(documents: list[Document], settings: dict) -> CleanResult:
    """Clean ``documents`` with the ``clean:`` settings; see the module docstring."""
    check_settings(settings)
    if not documents:
        raise CleaningError("no documents to clean (0 read); check corpus.path and corpus.where")
    pipeline = TextPipeline.from_settings(settings)
    options = pass_options(settings)
    mode = options["mode"]
    passes = _per_document_all(pipeline, [d.text for d in documents], options,
                               int(get_setting(settings, "workers")))
    pairs = _duplicates(passes, documents, pipeline, settings, options)
    records = [_record(d, p, mode) for d, p in zip(documents, passes, strict=True)]
    _mark_duplicates(records, documents, pairs, choice(settings, "duplicates.action"))
    min_tokens = int(get_setting(settings, "min_tokens"))
    tokens = _tokenize_kept(pipeline, passes, records, min_tokens)
    summary = _summary(records)
    if summary["documents_kept"] == 0:
        fail_no_documents(summary, min_tokens)
    keep = [i for i, r in enumerate(records) if r["kept"]]
    return CleanResult(documents=[documents[i].with_text(passes[i].text) for i in keep],
                       tokens=[tokens[i] for i in keep], records=records,
                       duplicate_pairs=[{"a": documents[p.a].id, "b": documents[p.b].id,
                                         "similarity": p.similarity, "kind": p.kind}
                                        for p in pairs],
                       summary=summary, pipeline=pipeline)
