"""The shared front of every experiment: load -> clean -> vectorise, recorded in the run."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from research.clean.cache import cached_clean, parse_size
from research.clean.cleaner import TOKEN_PATTERN, CleanResult, clean_corpus
from research.config.load import Config
from research.corpus.documents import Document
from research.corpus.read import read_corpus
from research.errors import CleaningError
from research.runs.artifacts import save_artifact
from research.runs.folder import RunFolder, write_json
from research.text.paragraphs import split_paragraphs
from research.util.tables import write_csv
from research.util.workers import helpers_for
from research.vectorise import fit_vectorizer, top_terms_by_group, top_terms_per_row

__all__ = ["Prepared", "prepare", "read_with_warnings", "write_csv"]


@dataclass
class Prepared:
    """What the front stages hand to a model: documents, tokens, matrix and fitted objects."""

    raw: list[Document]
    cleaned: CleanResult
    vectorizer: Any
    matrix: sparse.csr_matrix
    vocabulary: np.ndarray
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def documents(self) -> list[Document]:
        return self.cleaned.documents

    @property
    def tokens(self) -> list[list[str]]:
        return self.cleaned.tokens


def prepare(config: Config, run: RunFolder, loader=None, raw: list[Document] | None = None) -> Prepared:
    """Load (with ``loader(config)`` when a kind reads several corpora; ``raw`` when the
    documents were read already), clean, vectorise."""
    if raw is None:
        with run.stage("load"):
            read = loader or (lambda cfg: read_corpus(cfg["corpus"]))
            raw = read_with_warnings(lambda: read(config), run)
    run.log.info("read %d documents from %s", len(raw), config["corpus"]["source"])
    run.background.helpers = helpers_for(config["clean"]["workers"], len(raw))
    with run.stage("clean"):
        cleaned = _clean_cached(raw, config, run)
        documents_kept = len(cleaned.documents)
        _write_data_json(run, raw, cleaned)
        save_artifact(cleaned.pipeline, run.path / "artifacts" / "cleaner")   # cleaner.json
        run.log.info("kept %d of %d documents after cleaning", len(cleaned.documents), len(raw))
        if config["corpus"]["unit"] == "paragraph":
            cleaned = to_paragraphs(cleaned, config["corpus"]["paragraph_min_words"])
            run.log.info("modelling %d paragraphs", len(cleaned.documents))
    with run.stage("vectorise"):
        lowercase = config["clean"]["tokens"]["lowercase"]
        vectorizer, matrix = fit_vectorizer(cleaned.tokens, config["vectorizer"], TOKEN_PATTERN, lowercase)
        save_artifact(vectorizer, run.path / "artifacts" / "vectorizer")   # vectorizer.skops
        vocabulary = vectorizer.get_feature_names_out()
    prepared = Prepared(raw, cleaned, vectorizer, matrix, vocabulary)
    prepared.metrics.update(_front_metrics(prepared, documents_kept, config["corpus"]["unit"]))
    return prepared


def _clean_cached(raw: list[Document], config: Config, run: RunFolder) -> CleanResult:
    """Clean, or reuse an identical cleaning from ``<results>/.cache`` (:mod:`research.clean.cache`)."""
    if not config["clean"]["cache"]:
        run.record["clean_cache"] = {"status": "off"}
        return clean_corpus(raw, config["clean"])
    cleaned, record = cached_clean(raw, config["clean"], run.path.parent / ".cache",
                                   parse_size(config["cache"]["max_size"]), run.warn)
    run.record["clean_cache"] = record
    run.log.info("cleaning cache: %s %s", record["status"], record["entry"])
    return cleaned


def to_paragraphs(cleaned: CleanResult, min_words: int) -> CleanResult:
    """Each paragraph (:func:`research.text.split_paragraphs`: a non-empty line) of a kept document becomes a unit with the document's metadata."""
    docs, tokens = [], []
    for doc in cleaned.documents:
        lines = split_paragraphs(doc.text, min_words)
        for number, line in enumerate(lines, start=1):
            found = cleaned.pipeline.tokens_of(line)
            if found:
                docs.append(replace(doc, id=f"{doc.id}#{number}", text=line,
                                    meta={**doc.meta, "document": doc.id}))
                tokens.append(found)
    if not docs:
        raise CleaningError(f"no paragraphs of at least corpus.paragraph_min_words={min_words} words; "
                            "lower it or use corpus.unit: document")
    return replace(cleaned, documents=docs, tokens=tokens)


def read_with_warnings(read, run: RunFolder) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        docs = read()
    for item in caught:
        if issubclass(item.category, UserWarning):
            run.warn(str(item.message))
        else:  # pragma: no cover - re-emit what is not ours
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    return docs


def _write_data_json(run: RunFolder, raw: list[Document], cleaned: CleanResult) -> None:
    """data.json and cleaning.csv, written in the background (see :class:`RunFolder`)."""
    records = {r["id"]: r for r in cleaned.records}
    documents = [{**doc.metadata(), "source": doc.source, "sha256": doc.content_hash,
                  "cleaning": records.get(doc.id)} for doc in raw]
    data = {"summary": cleaned.summary, "duplicate_pairs": cleaned.duplicate_pairs, "documents": documents}
    run.background.submit(_write_data_files, run.path, data, cleaned.records)


def _write_data_files(folder: Path, data: dict[str, Any], records: list[dict[str, Any]]) -> None:
    write_json(folder / "data.json", data, rows="documents")
    rows = [{"id": r["id"], "kept": r["kept"], "drop_reason": r["drop_reason"],
             "chars_before": r["chars_before"], "chars_after": r["chars_after"],
             "lines_removed": len(r["lines_removed"]), "paragraphs_removed": len(r["paragraphs_removed"]),
             "duplicate_of": r["duplicate_of"], "duplicate_similarity": r["duplicate_similarity"],
             "n_tokens": r["n_tokens"]} for r in records]
    write_csv(folder / "cleaning.csv", rows)


def _front_metrics(p: Prepared, documents_kept: int, unit: str) -> dict[str, Any]:
    lengths = np.array([len(t) for t in p.tokens])
    return {"documents_read": len(p.raw), "documents_kept": documents_kept,
            "duplicate_pairs": len(p.cleaned.duplicate_pairs),
            "vocabulary_size": len(p.vocabulary), "matrix_nnz": int(p.matrix.nnz),
            "matrix_density": round(float(p.matrix.nnz) / max(1, p.matrix.shape[0] * p.matrix.shape[1]), 6),
            "tokens_per_document_mean": round(float(lengths.mean()), 3) if len(lengths) else 0.0,
            "unit": unit, "units_modelled": len(p.documents)}


def write_top_terms(run: RunFolder, prepared: Prepared, n: int) -> dict[str, list[tuple[str, float]]]:
    """Top TF-IDF terms per document and per outlet, as CSV tables."""
    per_doc = top_terms_per_row(prepared.matrix, prepared.vocabulary, n)
    rows = []
    for doc, terms in zip(prepared.documents, per_doc, strict=True):
        meta = doc.metadata()
        rows += [{"id": doc.id, "outlet": meta["outlet"], "label": meta["label"], "rank": r + 1,
                  "term": t, "weight": round(w, 6)} for r, (t, w) in enumerate(terms)]
    write_csv(run.path / "top_terms_documents.csv", rows)
    by_outlet = top_terms_by_group(prepared.matrix, [d.outlet for d in prepared.documents], prepared.vocabulary, n)
    write_csv(run.path / "top_terms_outlets.csv",
              [{"outlet": g, "rank": r + 1, "term": t, "weight": round(w, 6)}
               for g, terms in by_outlet.items() for r, (t, w) in enumerate(terms)])
    return by_outlet
