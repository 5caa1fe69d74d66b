"""Run folders: one folder per run, written as the run goes and read back for reuse.

Layout of ``results/<YYYYMMDD-HHMMSS>-<config name>-<short id>/``::

    run.json       status (running / complete / failed), times, stage timings, seed, versions,
                   git commit, host, the error of a failed run, and every artefact's SHA-256
    config.yaml    the fully resolved config
    metrics.json   the run's numbers
    data.json      each input document's id and content hash, and what cleaning did to it
    log.txt        the run's log
    artifacts/     reusable objects, none of them a pickle (cleaner.json, vectorizer.skops,
                   model.json + model.npz / model.skops; see research.artifacts)
    figures/       PNG figures

A run is ``complete`` only once every file is written; an exception or interrupt leaves it
``failed`` with the error, never looking complete.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import yaml

from ._workers import Background
from .errors import RunError

__all__ = ["RunFolder", "library_versions", "sha256_file", "read_run_json", "unique_folder", "RUN_FILES"]

RUN_FILES = ("run.json", "config.yaml", "metrics.json", "data.json", "log.txt")
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


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def unique_folder(results_dir: str | Path, name: str, infix: str = "") -> Path:
    """Create ``<results>/<YYYYMMDD-HHMMSS>-<infix><name>-<6 hex>``: unique even within a second."""
    results = Path(results_dir)
    results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    for _ in range(100):
        path = results / f"{stamp}-{infix}{safe}-{secrets.token_hex(3)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RunError(f"{results}: could not create a unique folder")  # pragma: no cover - 16M ids a second


def read_run_json(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "run.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{folder}: no run.json; not a run folder (give a folder under results/)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: corrupt run.json ({exc}); the run cannot be read") from None


class RunFolder:
    """Writes one run. Use as a context manager: the status is always recorded on exit."""

    def __init__(self, path: Path, kind: str, config_name: str, seed: int, command: list[str]):
        self.path = path
        self.record: dict[str, Any] = {
            "id": path.name, "status": "running", "kind": kind, "config_name": config_name,
            "started": _now(), "ended": None, "duration_s": None, "stages": {}, "seed": seed,
            "git_commit": git_commit(), "versions": library_versions(),
            "host": {"hostname": socket.gethostname(), "platform": platform.platform(),
                     "cpus": os.cpu_count()},
            "command": command, "error": None, "warnings": [], "artifacts": {},
        }
        self._t0 = time.perf_counter()
        self.log = self._make_logger()
        self.background = Background()   # file-writing jobs in a helper process, if any

    @classmethod
    def create(cls, results_dir: str | Path, config_name: str, kind: str, seed: int,
               command: list[str] | None = None) -> "RunFolder":
        path = unique_folder(results_dir, config_name)
        (path / "artifacts").mkdir()
        (path / "figures").mkdir()
        run = cls(path, kind, config_name, seed, command or sys.argv)
        run._write_record()
        return run

    def _make_logger(self) -> logging.Logger:
        logger = logging.getLogger(f"research.run.{self.path.name}")
        logger.setLevel(logging.INFO)
        logger.propagate = False
        handler = logging.FileHandler(self.path / "log.txt", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(console)
        return logger

    def _close_logger(self) -> None:
        for handler in list(self.log.handlers):
            handler.close()
            self.log.removeHandler(handler)

    def __enter__(self) -> "RunFolder":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        failed_late = None
        try:   # background jobs end before the run is hashed or marked failed
            self.background.wait()
        except Exception as err:  # noqa: BLE001 - reported as the run's error
            if exc is None:
                exc_type, exc = type(err), err
                failed_late = err
        if exc is None:
            self.record["artifacts"] = self._hash_outputs()
            self.record["status"] = "complete"
        else:
            self.record["status"] = "failed"
            self.record["error"] = {"type": exc_type.__name__, "message": " ".join(str(exc).split()) or exc_type.__name__}
            self.log.error("run failed: %s: %s", exc_type.__name__, exc)
        self.record["ended"] = _now()
        self.record["duration_s"] = round(time.perf_counter() - self._t0, 3)
        self._write_record()
        self._close_logger()
        if failed_late is not None:
            raise failed_late
        return False

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.log.info("stage %s ...", name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            seconds = round(time.perf_counter() - t0, 3)
            self.record["stages"][name] = seconds
            self.log.info("stage %s done in %.2f s", name, seconds)
            self._write_record()

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

    def _write_record(self) -> None:
        self.write_json("run.json", self.record)

    def _hash_outputs(self) -> dict[str, str]:
        files = sorted(p for p in self.path.rglob("*") if p.is_file() and p.name not in ("run.json", "log.txt"))
        return {p.relative_to(self.path).as_posix(): sha256_file(p) for p in files}


def write_json(path: Path, data: Any, rows: str | None = None) -> Path:
    """:meth:`RunFolder.write_json` to a path (written whole, then renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dumps_json(data, rows) + "\n", encoding="utf-8")
    tmp.replace(path)
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
