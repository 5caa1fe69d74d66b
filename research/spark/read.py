"""Reading a corpus through Spark's readers, with the local engine's column mapping, ids and
metadata (:func:`research.corpus.read.iter_documents`): the same ``Document`` fields come out of
:func:`read_frame`, one row per document, with ``index`` its 0-based position in corpus order.

- JSON lines (``.jsonl``, ``.jsonl.gz``; a folder of such parts, in name order): Spark's text reader, each line parsed
  on the executors exactly as the local reader does (ids default to the line number);
- CSV/TSV: Spark's CSV reader (header, delimiter, ``corpus.quoting``, quoted newlines);
- a folder of ``.txt`` files: Spark's binary-file reader, each file decoded as the local reader
  does, joined to ``metadata.csv`` (read once on the driver: it is one row per file);
- Parquet (a file or a folder of parts; Spark engine only): Spark's Parquet reader.

Errors found on an executor (a line that is not JSON, a missing text field) come back as the
local engine's one-line :class:`~research.errors.CorpusError`; so do Spark's own (a missing path,
a corrupt gzip member) through :func:`spark_errors`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from research.corpus.documents import Document
from research.corpus.read import (
    _detect_format,
    _make_document,
    _matches,
    _resolve_builtin,
    decode_bytes,
    strip_email_headers,
)
from research.errors import CorpusError, ResearchError

__all__ = ["DOC_COLUMNS", "read_frame", "spark_errors", "tidy_parquet"]

DOC_COLUMNS = ["index", "id", "title", "outlet", "date", "label", "meta", "source", "sha256", "text"]
_MARK = "@@research-error@@"
_STANDARD = ("id", "title", "outlet", "date", "label")


def _doc_schema():
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    return StructType([StructField("index", LongType(), False)] +
                      [StructField(c, StringType(), c != "id" and c != "text") for c in DOC_COLUMNS[1:]])


def _fail(message: str) -> None:
    """Raise on an executor: the marker lets the driver recover the one-line message."""
    raise RuntimeError(f"{_MARK}{message}{_MARK}")


def _row_of(doc: Document, index: int) -> tuple:
    meta = json.dumps({k: v for k, v in doc.meta.items() if k not in _STANDARD}, ensure_ascii=False, default=str)
    return (index, doc.id, doc.title, doc.outlet, doc.date, doc.label, meta, doc.source, doc.content_hash, doc.text)


def _document(row: dict[str, Any], settings: dict[str, Any], default_id: str, source: str) -> Document:
    doc = _make_document(row, settings, default_id, source)
    return doc.with_text(strip_email_headers(doc.text)) if settings["strip_email_headers"] else doc


def _json_rows(lines: Iterator[tuple[str, int]], settings: dict[str, Any], path: str,
               prefix: str = "") -> Iterator[tuple]:
    """(position, Document) of the JSON lines of one partition, as ``_read_jsonl`` reads them
    (a default id is the line number, after ``prefix``: the file's name for a folder of parts)."""
    text_key = settings["text_column"]
    for line, index in lines:
        number = index + 1
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as exc:
            problem = getattr(exc, "msg", None) or type(exc).__name__
            _fail(f"{path} line {number}: not valid JSON ({problem}); fix or remove that line")
        if not isinstance(row, dict):
            _fail(f"{path} line {number}: expected a JSON object, got {type(row).__name__}")
        if text_key not in row:
            _fail(f"{path} line {number}: no field '{text_key}' (fields: {', '.join(row)}); set corpus.text_column")
        if not isinstance(row[text_key], str):
            _fail(f"{path} line {number}: field '{text_key}' is not a string; fix that line or set corpus.text_column")
        if _matches(row, settings["where"]):
            yield index, _document(row, settings, f"{prefix}{number}", f"{path}:{number}")


def _table_rows(rows: Iterator[tuple[Any, int]], settings: dict[str, Any], path: str) -> Iterator[tuple]:
    for row, index in rows:
        values = {k: ("" if v is None else v) for k, v in row.asDict().items()}
        if _matches(values, settings["where"]):
            yield index, _document(values, settings, str(index + 1), f"{path}:{index + 2}")


def _txt_rows(files: Iterator[tuple[tuple[str, bytes], int]], settings: dict[str, Any],
              metadata: dict[str, dict[str, Any]]) -> Iterator[tuple]:
    for (uri, raw), index in files:
        local = uri.removeprefix("file:")
        name = Path(local).name
        try:
            text = decode_bytes(raw, local)
        except CorpusError as exc:
            _fail(str(exc))
        row = {**metadata.get(name, {}), settings["text_column"]: text}
        if _matches(row, settings["where"]):
            yield index, _document(row, settings, Path(name).stem, local)


def _parquet_rows(rows: Iterator[tuple[Any, int]], settings: dict[str, Any], path: str) -> Iterator[tuple]:
    for row, index in rows:
        values = row.asDict()
        if _matches(values, settings["where"]):
            yield index, _document(values, settings, str(index + 1), f"{path}:{index + 1}")


def read_frame(spark, settings: dict[str, Any], partitions: int):
    """The corpus of the ``corpus:`` settings as a DataFrame of :data:`DOC_COLUMNS`, ``index``
    numbering the documents kept by ``where`` and ``limit`` from 0 in corpus order,
    repartitioned into ``partitions`` parts; ids checked unique with a grouped count."""
    settings = _resolve_builtin(settings)
    source = settings["source"]
    path = Path(source)
    if "://" not in source and not path.exists():
        raise CorpusError(f"corpus.source: no such file or folder: {path}; give an existing path")
    fmt = _folder_format(path, settings) or ("parquet" if _is_parquet(path, settings)
                                              else _detect_format(path, settings["format"]))
    with spark_errors(f"corpus.source {source}"):
        positioned = _positioned(spark, path, fmt, settings)
        # numbered in corpus order (zipWithIndex keeps partition order), then limited
        if fmt == "txt":      # binaryFiles gives no order: files go in name order, as locally
            positioned = positioned.sortByKey()
        numbered = positioned.values().zipWithIndex()
        if settings["limit"]:
            limit = int(settings["limit"])
            numbered = numbered.filter(lambda pair: pair[1] < limit)
        rows = numbered.map(lambda pair: _row_of(pair[0], pair[1]))
        frame = spark.createDataFrame(rows, _doc_schema()).repartition(partitions, "index")
        frame = frame.persist()
        n = frame.count()
        if n == 0:
            raise CorpusError(f"corpus.source {source}: no documents read"
                              + (" after corpus.where" if settings.get("where") else "")
                              + "; check the path, format and filters")
        repeated = frame.groupBy("id").count().filter("count > 1").select("id").limit(1).collect()
        if repeated:
            raise CorpusError(f"corpus.source {source}: duplicate document id '{repeated[0]['id']}'; "
                              "set corpus.id_column to a column with unique values (or null for row numbers)")
    return frame, n


def _folder_format(path: Path, settings: dict[str, Any]) -> str | None:
    """A folder of JSON-lines parts (``part-0.jsonl.gz`` ...), as Spark and other tools write
    corpora, is read as one corpus in file-name order (``corpus.format: auto``)."""
    if settings["format"] != "auto" or not path.is_dir():
        return None
    names = [p.name.lower() for p in path.iterdir() if p.is_file()]
    if any(n.endswith((".jsonl", ".jsonl.gz")) for n in names) and not any(n.endswith(".txt") for n in names):
        return "jsonl"
    return None


def _is_parquet(path: Path, settings: dict[str, Any]) -> bool:
    if settings["format"] not in ("auto",):
        return False
    if path.is_file():
        return path.suffix.lower() == ".parquet"
    return path.is_dir() and any(p.suffix == ".parquet" for p in path.iterdir()) and not any(
        p.suffix.lower() == ".txt" for p in path.iterdir())


def _positioned(spark, path: Path, fmt: str, settings: dict[str, Any]):
    """An RDD of (position in the source, Document)."""
    source = str(path)
    sc = spark.sparkContext
    if fmt == "jsonl":
        if not path.is_dir():
            return sc.textFile(source).zipWithIndex().mapPartitions(lambda part: _json_rows(part, settings, source))
        names = sorted(str(p) for p in path.iterdir() if p.name.lower().endswith((".jsonl", ".jsonl.gz")))
        return sc.union([sc.textFile(name).zipWithIndex().mapPartitions(
            lambda part, name=name: _json_rows(part, settings, name, f"{Path(name).name}:")) for name in names])
    if fmt in ("csv", "tsv"):
        reader = spark.read.option("header", settings["columns"] is None).option(
            "sep", "\t" if fmt == "tsv" else ",").option("multiLine", True).option("mode", "FAILFAST")
        reader = reader.option("quote", '"' if settings["quoting"] else "").option("escape", '"')
        frame = reader.csv(source)
        if settings["columns"]:
            frame = frame.toDF(*[str(c) for c in settings["columns"]][:len(frame.columns)])
        if settings["text_column"] not in frame.columns:
            raise CorpusError(f"{path}: no text column '{settings['text_column']}' (columns: "
                              f"{', '.join(frame.columns) or 'none'}); set corpus.text_column")
        return frame.rdd.zipWithIndex().mapPartitions(lambda part: _table_rows(part, settings, source))
    if fmt == "parquet":
        frame = spark.read.parquet(source)
        if settings["text_column"] not in frame.columns:
            raise CorpusError(f"{path}: no text column '{settings['text_column']}' (columns: "
                              f"{', '.join(frame.columns) or 'none'}); set corpus.text_column")
        return frame.rdd.zipWithIndex().mapPartitions(lambda part: _parquet_rows(part, settings, source))
    if path.is_file():   # one .txt file: one document
        text = decode_bytes(path.read_bytes(), source)
        doc = _document({settings["text_column"]: text}, settings, path.stem, source)
        return sc.parallelize([(0, doc)], 1)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".txt")
    if not files:
        raise CorpusError(f"corpus.source {path}: folder has no .txt files; "
                          "point corpus.source at a folder of .txt files or at a data file")
    from research.corpus.read import _folder_metadata

    metadata = _folder_metadata(path, files, settings)
    order = {p.name: i for i, p in enumerate(files)}
    pairs = sc.binaryFiles(str(path / "*.txt")).filter(lambda kv: Path(kv[0]).suffix == ".txt")
    placed = pairs.map(lambda kv: (kv, order.get(Path(kv[0].removeprefix("file:")).name, -1)))
    return placed.filter(lambda p: p[1] >= 0).mapPartitions(lambda part: _txt_rows(part, settings, metadata))


# -- Spark's errors as one line ------------------------------------------------------------------

_JAVA_LINES = (
    (re.compile(r"Path does not exist: (\S+)"), "no such file or folder: {0}; give an existing path"),
    (re.compile(r"(Unexpected end of input stream|invalid (block type|distance|stored block|code)|"
                r"incorrect header check|Not in GZIP format|Corrupt GZIP trailer|too many length or distance)",
                re.I), "a gzip file is truncated or corrupt ({0}); re-create or re-download it"),
    (re.compile(r"Malformed (?:CSV )?records? .*?(?:\n|$)", re.I), "malformed CSV/TSV ({0}); fix the file or set "
                                                                    "corpus.quoting: false"),
    (re.compile(r"(?:SparkOutOfMemoryError|java\.lang\.OutOfMemoryError)[^\n]*"),
     "Spark ran out of memory ({0}); give it more: engine.spark.conf spark.driver.memory on local[N] (the driver is "
     "the executor there; default 4g), spark.executor.memory on a cluster, or raise engine.spark.partitions"),
)


def error_line(exc: BaseException, where: str) -> str | None:
    """The one-line message of a failed Spark job: a package error raised on an executor, or a
    known Java error; None for anything else."""
    text = str(exc)
    found = re.search(re.escape(_MARK) + r"(.*?)" + re.escape(_MARK), text, re.S)
    if found:
        return " ".join(found.group(1).split())
    for pattern, template in _JAVA_LINES:
        hit = pattern.search(text)
        if hit:
            return f"{where}: " + template.format(hit.group(1) if hit.groups() else hit.group(0))
    return None


@contextmanager
def spark_errors(where: str, error: type[ResearchError] = CorpusError) -> Iterator[None]:
    """Turn a Spark job's failure into ``error`` with one line (see :func:`error_line`); an
    unknown failure keeps the first line of Spark's message."""
    try:
        yield
    except ResearchError:
        raise
    except Exception as exc:
        if not _is_spark_error(exc):
            raise
        line = error_line(exc, where)
        if line is None:
            text = str(exc)
            first = next((s.strip() for s in text.splitlines() if s.strip()), type(exc).__name__)
            cause = re.search(r"\b([\w.$]+(?:Exception|Error):[^\n]*)", text[text.find(first) + len(first):])
            line = f"{where}: the Spark job failed ({first[:200]}" + (f"; {cause.group(1).strip()[:200]})" if cause else ")")
        raise error(line) from exc


def _is_spark_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("pyspark", "py4j")) or _MARK in str(exc)


def tidy_parquet(folder: Path) -> None:
    """Spark's bookkeeping files (``_SUCCESS``, the ``.crc`` checksums of the local file system)
    out of a Parquet folder it wrote, so the run folder lists only data (pyarrow and pandas read
    the folder as one table)."""
    for p in Path(folder).glob("*"):
        if p.name == "_SUCCESS" or (p.name.startswith(".") and p.name.endswith(".crc")):
            p.unlink()
