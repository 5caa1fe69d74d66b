"""Corpora: files -> :class:`~research.documents.Document` streams.

Formats (``corpus.format``, or ``auto`` by suffix): a folder of ``.txt`` files with an
optional ``metadata.csv`` (joined on ``corpus.file_column``), ``.csv``, ``.tsv``,
``.jsonl`` and ``.jsonl.gz``. Readers are generators, so a corpus need not fit in memory
until a stage needs it whole. Each document keeps its id and metadata through every stage.

Text decoding: UTF-8; a file that is not UTF-8 but decodes as cp1252 (or Latin-1) is read
with a :class:`CorpusWarning`; NUL bytes are dropped with a warning; a file that looks
binary is refused.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .documents import Document
from .errors import CorpusError

__all__ = ["read_corpus", "iter_documents", "BUILTIN_CORPORA", "CorpusWarning", "decode_bytes"]

DATA_DIR = Path(__file__).with_name("data")
DEFAULTS_PATH = Path(__file__).with_name("defaults.yaml")
BUILTIN_CORPORA = {"sample": DATA_DIR / "sample_pak_us"}
FORMATS = ("txt", "csv", "tsv", "jsonl")
csv.field_size_limit(2**31 - 1)


class CorpusWarning(UserWarning):
    """Something in the corpus was repaired on reading (encoding, NUL bytes)."""


def read_corpus(settings: dict[str, Any]) -> list[Document]:
    """Read the whole corpus described by the ``corpus:`` config section."""
    docs = list(iter_documents(settings))
    if not docs:
        raise CorpusError(f"corpus.source {settings['source']}: no documents read"
                          + (" after corpus.where" if settings.get("where") else "")
                          + "; check the path, format and filters")
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            raise CorpusError(f"corpus.source {settings['source']}: duplicate document id '{doc.id}'; "
                              "set corpus.id_column to a column with unique values (or null for row numbers)")
        seen.add(doc.id)
    return docs


def iter_documents(settings: dict[str, Any]) -> Iterator[Document]:
    """Yield documents lazily, applying ``where`` and ``limit``."""
    settings = _resolve_builtin(settings)
    path = Path(settings["source"])
    if not path.exists():
        raise CorpusError(f"corpus.source: no such file or folder: {path}; give an existing path "
                          f"or a built-in corpus name ({', '.join(BUILTIN_CORPORA)})")
    fmt = _detect_format(path, settings["format"])
    reader = {"txt": _read_txt_folder, "csv": _read_table, "tsv": _read_table,
              "jsonl": _read_jsonl}[fmt]
    count = 0
    for row, default_id, source in reader(path, settings, fmt):
        if not _matches(row, settings["where"]):
            continue
        doc = _make_document(row, settings, default_id, source)
        if settings["strip_email_headers"]:
            doc = doc.with_text(strip_email_headers(doc.text))
        yield doc
        count += 1
        if settings["limit"] and count >= settings["limit"]:
            return


def _resolve_builtin(settings: dict[str, Any]) -> dict[str, Any]:
    folder = BUILTIN_CORPORA.get(settings["source"])
    if folder is None:
        return settings
    spec = yaml.safe_load((folder / "corpus.yaml").read_text(encoding="utf-8"))
    defaults = yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8"))["corpus"]
    chosen = {k: v for k, v in spec.items() if settings.get(k) == defaults.get(k)}   # the user's own choices win
    return {**settings, **chosen, "source": str(folder)}


def _detect_format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        if path.is_dir() != (fmt == "txt"):
            raise CorpusError(f"corpus.format is '{fmt}' but {path} is a "
                              f"{'folder' if path.is_dir() else 'file'}; use corpus.format: auto")
        return fmt
    if path.is_dir():
        return "txt"
    name = path.name.lower()
    for suffix, found in ((".jsonl.gz", "jsonl"), (".jsonl", "jsonl"), (".json.gz", "jsonl"),
                          (".csv", "csv"), (".tsv", "tsv"), (".txt", "tsv")):
        if name.endswith(suffix):
            return found
    raise CorpusError(f"corpus.source {path}: cannot tell the format from the name; set corpus.format "
                      f"to one of {', '.join(FORMATS)}")


def decode_bytes(raw: bytes, where: str) -> str:
    """UTF-8, else cp1252/Latin-1 with a warning; NULs dropped with a warning; binary refused."""
    if raw.count(b"\x00"):
        if _looks_binary(raw):
            raise CorpusError(f"{where}: looks like a binary file, not text; remove it from the corpus")
        nuls = raw.count(b"\x00")
        warnings.warn(f"{where}: dropped {nuls} NUL bytes", CorpusWarning, stacklevel=3)
        raw = raw.replace(b"\x00", b"")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _looks_binary(raw):
        raise CorpusError(f"{where}: looks like a binary file, not text; remove it from the corpus")
    for encoding in ("cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        warnings.warn(f"{where}: not UTF-8; read as {encoding}", CorpusWarning, stacklevel=3)
        return text
    raise CorpusError(f"{where}: not UTF-8 and not Latin-1 text; convert it to UTF-8")  # pragma: no cover


Row = tuple[dict[str, Any], str, str]   # (columns, default id, source location)


def _looks_binary(raw: bytes) -> bool:
    """Many NULs, or control characters other than tab/newline/CR/form feed: not text."""
    sample = raw[:8192]
    size = max(len(sample), 1)
    control = sum(b < 32 and b not in (0, 9, 10, 12, 13) for b in sample)
    return sample.count(0) > 0.25 * size or control > 0.05 * size


def _read_txt_folder(folder: Path, settings: dict[str, Any], fmt: str) -> Iterator[Row]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".txt")
    if not files:
        raise CorpusError(f"corpus.source {folder}: folder has no .txt files; "
                          "point corpus.source at a folder of .txt files or at a data file")
    metadata = _folder_metadata(folder, settings)
    for path in files:
        text = decode_bytes(path.read_bytes(), str(path))
        row = metadata.get(path.name) or metadata.get(path.stem) or {}
        row = {**row, settings["text_column"]: text}
        yield row, path.stem, str(path)


def _folder_metadata(folder: Path, settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    meta_path = folder / "metadata.csv"
    if not meta_path.is_file():
        return {}
    text = decode_bytes(meta_path.read_bytes(), str(meta_path))
    reader = csv.DictReader(io.StringIO(text))
    key = settings["file_column"]
    if key not in (reader.fieldnames or []):
        raise CorpusError(f"{meta_path}: no column '{key}' naming the files (columns: "
                          f"{', '.join(reader.fieldnames or [])}); set corpus.file_column")
    return {row[key]: row for row in reader}


def _read_table(path: Path, settings: dict[str, Any], fmt: str) -> Iterator[Row]:
    text = decode_bytes(path.read_bytes(), str(path))
    delimiter = "\t" if fmt == "tsv" else ","
    quoting = csv.QUOTE_MINIMAL if settings["quoting"] else csv.QUOTE_NONE
    reader = csv.DictReader(io.StringIO(text, newline=""), fieldnames=settings["columns"],
                            delimiter=delimiter, quoting=quoting)
    columns = reader.fieldnames or []
    if settings["text_column"] not in columns:
        raise CorpusError(f"{path}: no text column '{settings['text_column']}' (columns: "
                          f"{', '.join(columns) or 'none'}); set corpus.text_column")
    try:
        for number, row in enumerate(reader, start=1):
            yield row, str(number), f"{path}:{reader.line_num}"
    except csv.Error as exc:
        raise CorpusError(f"{path} line {reader.line_num}: malformed {fmt.upper()} ({exc}); "
                          "fix the file or set corpus.quoting: false") from None


def _read_jsonl(path: Path, settings: dict[str, Any], fmt: str) -> Iterator[Row]:
    for number, line in _jsonl_lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path} line {number}: not valid JSON ({exc.msg}); fix or remove that line") from None
        if not isinstance(row, dict):
            raise CorpusError(f"{path} line {number}: expected a JSON object, got {type(row).__name__}")
        if settings["text_column"] not in row:
            raise CorpusError(f"{path} line {number}: no field '{settings['text_column']}' (fields: "
                              f"{', '.join(row)}); set corpus.text_column")
        yield row, str(number), f"{path}:{number}"


def _jsonl_lines(path: Path) -> Iterator[tuple[int, str]]:
    if path.name.lower().endswith(".gz"):
        try:
            with gzip.open(path, "rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    yield number, decode_bytes(raw, f"{path} line {number}")
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise CorpusError(f"{path}: truncated or corrupt gzip file ({type(exc).__name__}); "
                              "re-create or re-download it") from None
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            yield number, decode_bytes(raw, f"{path} line {number}")


def _make_document(row: dict[str, Any], settings: dict[str, Any], default_id: str, source: str) -> Document:
    def column(key: str) -> Any:
        name = settings.get(key)
        value = row.get(name) if name else None
        return None if value in ("", None) else str(value)

    text = row.get(settings["text_column"])
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    meta = {c: row.get(c) for c in settings["keep_columns"] if c in row}
    return Document(id=column("id_column") or default_id, text=text, title=column("title_column"),
                    outlet=column("outlet_column"), date=column("date_column"),
                    label=column("label_column"), source=source, meta=meta)


def _matches(row: dict[str, Any], where: dict[str, Any]) -> bool:
    for key, wanted in where.items():
        value = row.get(key)
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if str(value) not in {str(w) for w in allowed}:
            return False
    return True


def strip_email_headers(text: str) -> str:
    """Drop an e-mail header block: everything up to the first blank line."""
    head, sep, body = text.partition("\n\n")
    return body if sep and ":" in head.splitlines()[0] else text

