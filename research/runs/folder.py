"""Run folders: one folder per run, written as the run goes and read back for reuse.

Layout of ``results/<YYYYMMDD-HHMMSS>-<config name>-<short id>/``::

    run.json       status (running / complete / failed), times, stage timings, seed, versions,
                   git commit, host, pid and heartbeat (see research.runs.lifecycle), the error of a
                   failed run, and every artefact's SHA-256
    config.yaml    the fully resolved config
    metrics.json   the run's numbers
    data.json      each input document's id and content hash, and what cleaning did to it
    log.txt        the run's log
    artifacts/     reusable objects, none of them a pickle (cleaner.json, vectorizer.skops,
                   model.json + model.npz / model.skops; see research.runs.artifacts)
    figures/       PNG figures

A run is ``complete`` only once every file is written; an exception or interrupt leaves it
``failed`` with the error, never looking complete. A run whose process was killed (SIGKILL,
out of memory) stays ``running`` in its file; ``compare`` shows it as ``died``
(:func:`research.runs.lifecycle.effective_status`).

File-system faults (a full disk, a read-only or missing ``results/``, a name too long) end
as one :class:`~research.errors.RunError` line naming the path, never a ``.tmp`` file left
behind: when even ``run.json`` cannot be written, the run's own partial outputs are removed
and a small failed record is written; if that fails too, the run folder is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from research.errors import RunError
from research.runs.lifecycle import Heartbeat, disk_error_hint, now_iso, process_identity
from research.runs.naming import STAGING, _what_to_do, remove_dead_staging, unique_folder
from research.util.console import RunForward
from research.util.workers import Background

__all__ = [
    "RUN_FILES",
    "RunFolder",
    "library_versions",
    "read_run_json",
    "sha256_file",
    "unique_folder",
    "write_text_atomic",
]

RUN_FILES = ("run.json", "config.yaml", "metrics.json", "data.json", "log.txt")
KEPT_WHEN_FULL = ("run.json", "config.yaml", "log.txt")   # what a run that filled the disk keeps
TRACKED_LIBRARIES = ("research", "numpy", "scipy", "scikit-learn", "gensim", "skops", "joblib", "matplotlib",
                     "pandas", "ftfy", "simplemma", "pydantic", "pyyaml")


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_now = now_iso


def read_run_json(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "run.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{folder}: no run.json; not a run folder (give a folder under results/)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: corrupt run.json ({exc}); the run cannot be read") from None


class _LogFile(logging.FileHandler):
    """log.txt, best effort: a full disk loses log lines, not the run's one-line error
    (logging would print a traceback for every line it could not write)."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


class RunFolder:
    """Writes one run. Use as a context manager: the status is always recorded on exit."""

    def __init__(self, path: Path, kind: str, config_name: str, seed: int, command: list[str],
                 staging: Path | None = None):
        self.path = staging or path      # files go to the staging folder until create() renames it
        self.record: dict[str, Any] = {
            "id": path.name, "status": "running", "kind": kind, "config_name": config_name,
            "started": _now(), "ended": None, "duration_s": None, "stages": {}, "seed": seed,
            "git_commit": git_commit(), "versions": library_versions(),
            "host": {"hostname": socket.gethostname(), "platform": platform.platform(),
                     "cpus": os.cpu_count()},
            **process_identity(), "heartbeat": _now(), "stage": None,
            "command": command, "error": None, "warnings": [], "artifacts": {},
        }
        self._t0 = time.perf_counter()
        self._lock = threading.RLock()   # run.json is written by this thread and the heartbeat's
        self.log = self._make_logger()
        self.background = Background()   # file-writing jobs in a helper process, if any
        self._heartbeat = Heartbeat(self._beat)

    @classmethod
    def create(cls, results_dir: str | Path, config_name: str, kind: str, seed: int,
               command: list[str] | None = None) -> RunFolder:
        """Make the run folder: built as ``.creating-<pid>-<name>`` with its first run.json,
        then renamed into place, so no visible folder ever lacks a run.json (a process
        killed meanwhile leaves a hidden folder, removed by :func:`remove_dead_staging`)."""
        remove_dead_staging(Path(results_dir))
        prefix = f"{STAGING}{os.getpid()}-"
        staging = unique_folder(results_dir, config_name, prefix=prefix)
        path = staging.with_name(staging.name[len(prefix):])
        run = None
        try:
            (staging / "artifacts").mkdir()
            (staging / "figures").mkdir()
            run = cls(path, kind, config_name, seed, command or sys.argv, staging=staging)
            run._write_record()
            os.rename(staging, path)
            run.path = path
        except BaseException as exc:     # a full disk, or an interrupt: nothing is left behind
            if run is not None:
                run._close_logger()
            shutil.rmtree(staging, ignore_errors=True)
            if not isinstance(exc, OSError):
                raise
            raise RunError(f"{path.parent}: cannot start a run there ({disk_error_hint(exc) or exc.strerror}); "
                           f"{_what_to_do(exc)}") from None
        run._heartbeat.start()
        return run

    def _make_logger(self) -> logging.Logger:
        """The run's logger: every line (DEBUG up) into log.txt, whatever the console shows;
        the console gets them through the ``research.run`` logger (:class:`RunForward`), so
        ``logging.getLogger("research")`` silences or redirects them."""
        logger = logging.getLogger(f"research.run.{self.record['id']}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        handler = _LogFile(self.path / "log.txt", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.addHandler(RunForward())
        return logger

    def _close_logger(self) -> None:
        for handler in list(self.log.handlers):
            try:
                handler.close()
            except OSError:     # a full disk cannot take the last log line
                pass
            self.log.removeHandler(handler)

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:  # type: ignore[exit-return]
        self._heartbeat.stop()
        failed_late = None
        try:   # background jobs end before the run is hashed or marked failed
            self.background.wait()
        except Exception as err:
            if exc is None:
                exc = failed_late = err
        self._drop_empty_folders()
        if exc is None:
            self.record["artifacts"] = self._hash_outputs()
            self.record["status"] = "complete"
        else:
            self._mark_failed(exc)
        self.record["ended"] = _now()
        self.record["duration_s"] = round(time.perf_counter() - self._t0, 3)
        outcome, write_error = self._write_final()
        self._close_logger()
        fault = write_error or (exc if disk_error_hint(exc) else None)
        if fault is not None:
            raise self._disk_error(fault, outcome) from fault
        if failed_late is not None:
            raise failed_late
        return False

    def _drop_empty_folders(self) -> None:
        """``artifacts/`` and ``figures/`` are made up front; a run that wrote nothing there (an
        apply run, a failed run) leaves no empty folder behind."""
        for name in ("artifacts", "figures"):
            with contextlib.suppress(OSError):   # not empty, or already gone
                (self.path / name).rmdir()

    def _mark_failed(self, exc: BaseException) -> None:
        self.record["status"] = "failed"
        self.record["error"] = {"type": type(exc).__name__, "message": " ".join(str(exc).split()) or type(exc).__name__}
        try:
            self.log.error("run failed: %s: %s", type(exc).__name__, exc)
        except OSError:
            pass

    def _write_final(self) -> tuple[str, OSError | None]:
        """Write the final run.json: ``("written", None)``; on a full disk, remove this run's
        partial outputs and write a failed record (``"trimmed"``), or remove the folder."""
        try:
            self._write_record()
            return "written", None
        except OSError as exc:
            error = exc
        if self.record["status"] == "complete":
            self._mark_failed(error)
        self._remove_outputs()
        self.record.update(artifacts={}, outputs_removed=True)
        try:
            self._write_record()
            return "trimmed", error
        except OSError:
            self._close_logger()
            shutil.rmtree(self.path, ignore_errors=True)
            return "removed", error

    def _remove_outputs(self) -> None:
        """Every file of this run folder except :data:`KEPT_WHEN_FULL` (nothing outside it)."""
        for path in sorted(self.path.rglob("*"), reverse=True):
            if path.is_file() and (path.parent != self.path or path.name not in KEPT_WHEN_FULL):
                path.unlink(missing_ok=True)

    def _disk_error(self, fault: BaseException, outcome: str) -> RunError:
        where = {"written": "the run is recorded as failed",
                 "trimmed": "its partial outputs were removed and it is recorded as failed",
                 "removed": "the run folder was removed"}[outcome]
        name = f" ({Path(fault.filename).name})" if getattr(fault, "filename", None) else ""  # type: ignore[attr-defined]
        return RunError(f"{self.path}: {disk_error_hint(fault) or fault}{name}; {_what_to_do(fault)}; {where}")

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.log.info("stage %s ...", name)
        t0 = time.perf_counter()
        with self._lock:
            self.record["stage"] = name
            self._beat()
        try:
            yield
        except BaseException:
            self._end_stage(name, t0, quiet=True)   # the stage's own error is what counts
            raise
        self._end_stage(name, t0)

    def _end_stage(self, name: str, t0: float, quiet: bool = False) -> None:
        seconds = round(time.perf_counter() - t0, 3)
        self.record["stages"][name] = seconds
        try:
            self.log.info("stage %s done in %.2f s", name, seconds)
            self._beat()
        except OSError:
            if not quiet:
                raise

    def warn(self, message: str) -> None:
        self.record["warnings"].append(message)
        self.log.warning("warning: %s", message)

    def write_json(self, relative: str, data: Any, rows: str | None = None) -> Path:
        """Indented JSON; with ``rows``, that top-level list is written one item per line
        (a table of thousands of documents stays greppable and ~4x faster to write)."""
        return write_json(self.path / relative, data, rows)

    def write_yaml(self, relative: str, data: Any) -> Path:
        path = self.path / relative
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return path

    def write_config(self, data: dict[str, Any]) -> Path:
        """config.yaml, and in run.json its SHA-256 and a JSON copy of it (what ``compare``
        reads instead of parsing the YAML, as long as the file's hash still matches)."""
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        path = self.path / "config.yaml"
        path.write_text(text, encoding="utf-8")
        with self._lock:
            self.record["config_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
            self.record["config"] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            self._write_record()
        return path

    def _beat(self) -> None:
        """Refresh the heartbeat in run.json (this thread or the heartbeat thread)."""
        with self._lock:
            self.record["heartbeat"] = _now()
            self._write_record()

    def _write_record(self) -> None:
        with self._lock:
            self.write_json("run.json", self.record)

    def _hash_outputs(self) -> dict[str, str]:
        files = sorted(p for p in self.path.rglob("*") if p.is_file() and p.name not in ("run.json", "log.txt"))
        return {p.relative_to(self.path).as_posix(): sha256_file(p) for p in files}


def write_json(path: Path, data: Any, rows: str | None = None) -> Path:
    """:meth:`RunFolder.write_json` to a path (written whole, then renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, dumps_json(data, rows) + "\n")


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``<path>.tmp`` whole, then rename it into place; never leave the .tmp behind."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    return path


def dumps_json(data: Any, rows: str | None = None) -> str:
    if rows is None or not data.get(rows):
        return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default)
    marker = f"\u0000rows-{uuid.uuid4().hex}"   # cannot collide with a value in data
    text = json.dumps({**data, rows: marker}, indent=2, ensure_ascii=False, default=_json_default)
    items = ",\n    ".join(json.dumps(item, ensure_ascii=False, default=_json_default) for item in data[rows])
    return text.replace(json.dumps(marker), "[\n    " + items + "\n  ]", 1)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
