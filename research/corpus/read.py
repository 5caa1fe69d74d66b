"""Corpora: files -> :class:`~research.corpus.documents.Document` streams.

Formats (``corpus.format``, or ``auto`` by suffix): a folder of ``.txt`` files with an
optional ``metadata.csv`` (joined on ``corpus.file_column``; see :mod:`research.corpus.metadata`
for rows and files that do not join), one ``.txt`` file (one document), ``.csv``, ``.tsv``,
``.jsonl`` and ``.jsonl.gz`` (a ``text`` value that is not a string is refused). Readers
are generators, so a corpus need not fit in memory until a stage needs it whole. Each document keeps its id and metadata through every stage.

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
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from research.corpus.documents import Document
from research.corpus.metadata import join_metadata
from research.errors import CorpusError
from research.util.progress import Tracked

__all__ = ["BUILTIN_CORPORA", "CorpusWarning", "decode_bytes", "iter_documents", "read_corpus", "read_rows",
           "reading"]

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULTS_PATH = Path(__file__).resolve().parents[1] / "config" / "defaults.yaml"
BUILTIN_CORPORA = {"sample": DATA_DIR / "sample_pak_us"}
FORMATS = ("txt", "csv", "tsv", "jsonl")
csv.field_size_limit(2**31 - 1)


class CorpusWarning(UserWarning):
    """Something in the corpus was repaired on reading (encoding, NUL bytes), or a
    ``metadata.csv`` row and a ``.txt`` file did not join exactly."""


def read_corpus(settings: dict[str, Any]) -> list[Document]:
    """Read the whole corpus described by the ``corpus:`` config section."""
    position: dict[str, int] = {}
    return _checked(list(reading(iter_documents(settings, position), position)), settings)


def read_rows(rows: Iterable[tuple[Any, dict[str, Any]]], settings: dict[str, Any],
              columns: Sequence[str], name: str = "DataFrame") -> list[Document]:
    """Documents from in-memory rows (``(index, {column: value})``, e.g. a DataFrame's), mapped
    by the same ``corpus.*_column`` settings as a CSV file; the index is the default id.
    Missing values must be None (the caller converts NaN). ``settings['source']`` names the
    rows in messages."""
    if settings["text_column"] not in columns:
        raise CorpusError(f"{name}: no text column '{settings['text_column']}' (columns: "
                          f"{', '.join(map(str, columns)) or 'none'}); set text_column")
    return _checked(list(_documents(((row, str(index), f"{name} row {index}") for index, row in rows),
                                    settings)), settings)


def _checked(docs: list[Document], settings: dict[str, Any]) -> list[Document]:
    """``docs`` unless empty or holding one id twice (a CorpusError saying what to set)."""
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


def reading(documents: Iterator[Document], position: dict[str, int]) -> Tracked[Document]:
    """``documents`` counted on a progress bar; the share of a JSON-lines file read so far
    (``position``, kept by :func:`iter_documents`) estimates the total."""
    return Tracked(documents, "reading",
                   fraction=lambda: position["read"] / position["total"] if position.get("total") else None)


def iter_documents(settings: dict[str, Any], position: dict[str, int] | None = None) -> Iterator[Document]:
    """Yield documents lazily, applying ``where`` and ``limit``. ``position`` (a dict), when
    given, is kept up to date with ``read`` and ``total`` bytes of a JSON-lines file (the
    compressed bytes of a .gz), for progress lines."""
    settings = _resolve_builtin(settings)
    path = Path(settings["source"])
    if not _exists(path):
        raise CorpusError(f"corpus.source: no such file or folder: {path}; give an existing path "
                          f"or a built-in corpus name ({', '.join(BUILTIN_CORPORA)})")
    fmt = _detect_format(path, settings["format"])
    reader = {"txt": _read_txt_folder if path.is_dir() else _read_txt_file, "csv": _read_table,
              "tsv": _read_table, "jsonl": _read_jsonl}[fmt]
    rows = _read_jsonl(path, settings, fmt, position) if fmt == "jsonl" else reader(path, settings, fmt)
    yield from _documents(_unless_unreadable(rows, path), settings)


def _documents(rows: Iterable[Row], settings: dict[str, Any]) -> Iterator[Document]:
    """The rows that pass ``where`` as documents, at most ``limit`` of them."""
    count = 0
    for row, default_id, source in rows:
        if not _matches(row, settings["where"]):
            continue
        doc = _make_document(row, settings, default_id, source)
        if settings["strip_email_headers"]:
            doc = doc.with_text(strip_email_headers(doc.text))
        yield doc
        count += 1
        if settings["limit"] and count >= settings["limit"]:
            return


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError as exc:   # a name too long for the file system, say
        raise CorpusError(f"corpus.source: cannot use {str(path)[:80]!r} as a path ({exc.strerror}); "
                          "give an existing file or folder") from None


def _unless_unreadable(rows: Iterator[Row], path: Path) -> Iterator[Row]:
    """The reader's rows; a file the system will not let us read is a CorpusError."""
    try:
        yield from rows
    except OSError as exc:
        where = exc.filename or path
        raise CorpusError(f"{where}: cannot read it ({exc.strerror or type(exc).__name__}); "
                          "check that it exists and is readable") from None


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
        if path.is_dir() and fmt != "txt":   # txt: a folder of .txt files, or one text file
            raise CorpusError(f"corpus.format is '{fmt}' but {path} is a folder; use corpus.format: auto")
        return fmt
    if path.is_dir():
        return "txt"
    name = path.name.lower()
    for suffix, found in ((".jsonl.gz", "jsonl"), (".jsonl", "jsonl"), (".json.gz", "jsonl"),
                          (".csv", "csv"), (".tsv", "tsv"), (".txt", "txt")):
        if name.endswith(suffix):
            return found
    raise CorpusError(f"corpus.source {path}: cannot tell the format from the name; set corpus.format "
                      f"to one of {', '.join(FORMATS)} (txt: the whole file is one document)")


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


def _read_txt_folder(folder: Path, settings: dict[str, Any], fmt: str) -> Iterator[Row]:  # noqa: ARG001
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".txt")
    if not files:
        raise CorpusError(f"corpus.source {folder}: folder has no .txt files; "
                          "point corpus.source at a folder of .txt files or at a data file")
    metadata = _folder_metadata(folder, files, settings)
    for path in files:
        text = decode_bytes(path.read_bytes(), str(path))
        row = {**metadata.get(path.name, {}), settings["text_column"]: text}
        yield row, path.stem, str(path)


def _read_txt_file(path: Path, settings: dict[str, Any], fmt: str) -> Iterator[Row]:  # noqa: ARG001
    """One text file given as corpus.source: one document, id = the file's stem (a table
    named .txt needs corpus.format: tsv or csv)."""
    yield {settings["text_column"]: decode_bytes(path.read_bytes(), str(path))}, path.stem, str(path)


def _folder_metadata(folder: Path, files: list[Path], settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    meta_path = folder / "metadata.csv"
    if not meta_path.is_file():
        return {}
    text = decode_bytes(meta_path.read_bytes(), str(meta_path))
    return join_metadata(meta_path, text, files, settings["file_column"], CorpusWarning)


def _read_table(path: Path, settings: dict[str, Any], fmt: str) -> Iterator[Row]:
    text = decode_bytes(path.read_bytes(), str(path))
    delimiter = "\t" if fmt == "tsv" else ","
    quoting = csv.QUOTE_MINIMAL if settings["quoting"] else csv.QUOTE_NONE
    reader = csv.DictReader(io.StringIO(text, newline=""), fieldnames=settings["columns"],  # type: ignore[call-overload]
                            delimiter=delimiter, quoting=quoting)
    try:
        columns = reader.fieldnames or []
        if settings["text_column"] not in columns:
            raise CorpusError(f"{path}: no text column '{settings['text_column']}' (columns: "
                              f"{', '.join(columns) or 'none'}); set corpus.text_column")
        for number, row in enumerate(reader, start=1):
            yield row, str(number), f"{path}:{reader.line_num}"
    except csv.Error as exc:
        raise CorpusError(f"{path} line {reader.line_num}: malformed {fmt.upper()} ({exc}); "
                          "fix the file or set corpus.quoting: false") from None


def _read_jsonl(path: Path, settings: dict[str, Any], fmt: str,  # noqa: ARG001
                position: dict[str, int] | None = None) -> Iterator[Row]:
    for number, line in _jsonl_lines(path, position):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as exc:   # JSONDecodeError, a 5,000-digit number, deep nesting
            problem = getattr(exc, "msg", None) or type(exc).__name__
            raise CorpusError(f"{path} line {number}: not valid JSON ({problem}); fix or remove that line") from None
        if not isinstance(row, dict):
            raise CorpusError(f"{path} line {number}: expected a JSON object, got {type(row).__name__}")
        text = settings["text_column"]
        if text not in row:
            raise CorpusError(f"{path} line {number}: no field '{text}' (fields: "
                              f"{', '.join(row)}); set corpus.text_column")
        if not isinstance(row[text], str):
            raise CorpusError(f"{path} line {number}: field '{text}' is {_json_type(row[text])}, not a string; "
                              "fix that line (\"\" for an empty text) or set corpus.text_column")
        yield row, str(number), f"{path}:{number}"


def _json_type(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _jsonl_lines(path: Path, position: dict[str, int] | None = None) -> Iterator[tuple[int, str]]:
    """(line number, line) of a JSON-lines file; a .gz that is truncated or corrupt part-way
    is a CorpusError naming the line and the compressed byte offset where reading stopped."""
    position = {} if position is None else position
    position["total"] = path.stat().st_size
    position["read"] = 0
    if path.name.lower().endswith(".gz"):
        number = 0
        with path.open("rb") as raw_file:
            try:
                with gzip.open(raw_file, "rb") as handle:
                    for number, raw in enumerate(handle, start=1):
                        if number % 1000 == 0:
                            position["read"] = raw_file.tell()
                        yield number, decode_bytes(raw, f"{path} line {number}")
            except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
                raise CorpusError(f"{path}: truncated or corrupt gzip file at line {number + 1} (byte {raw_file.tell():,} "
                                  f"of {position['total']:,} compressed; {number:,} lines read; {type(exc).__name__}); "
                                  "re-create or re-download it") from None
        position["read"] = position["total"]
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number % 1000 == 0:
                position["read"] = handle.tell()
            yield number, decode_bytes(raw, f"{path} line {number}")
    position["read"] = position["total"]


def _make_document(row: dict[str, Any], settings: dict[str, Any], default_id: str, source: str) -> Document:
    def column(key: str) -> Any:
        name = settings.get(key)
        value = row.get(name) if name else None
        return None if value in ("", None) else str(value)

    text = row.get(settings["text_column"])
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    keep = settings["keep_columns"]
    names = [c for c in row if c != settings["text_column"]] if keep == "all" else keep
    meta = {c: row.get(c) for c in names if c in row}
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
    first = head.splitlines()[:1]
    return body if sep and first and ":" in first[0] else text

