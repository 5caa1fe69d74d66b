"""Making folders under ``results/``: unique names, names cut to fit, a results path that is
unusable refused with one line, and the hidden folders of runs being created.

A run folder is built as ``.creating-<pid>-<name>`` and renamed into place once its first
``run.json`` is written (:meth:`research.runs.folder.RunFolder.create`), so no visible folder ever
lacks a ``run.json``; :func:`remove_dead_staging` removes those whose process died.
"""

from __future__ import annotations

import datetime as dt
import errno
import secrets
import shutil
from pathlib import Path

from research.errors import RunError
from research.runs.lifecycle import disk_error_hint, pid_alive

__all__ = ["MAX_NAME_BYTES", "STAGING", "remove_dead_staging", "unique_folder"]

MAX_NAME_BYTES = 100     # of the config name in a folder name (the full name is in run.json)
STAGING = ".creating-"    # prefix of a run folder being created: .creating-<pid>-<name>


def unique_folder(results_dir: str | Path, name: str, infix: str = "", prefix: str = "") -> Path:
    """Create ``<results>/<prefix><YYYYMMDD-HHMMSS>-<infix><name>-<6 hex>``: unique even within a second.

    A name longer than :data:`MAX_NAME_BYTES` (UTF-8) is cut in the folder name (the hex id
    keeps it unique; run.json keeps the whole name). A results path that is a file, read-only
    or otherwise unusable is refused with one :class:`RunError` line."""
    results = Path(results_dir)
    _make_results_dir(results)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    safe = safe.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", errors="ignore")
    for _ in range(100):
        path = results / f"{prefix}{stamp}-{infix}{safe}-{secrets.token_hex(3)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
        except OSError as exc:
            raise RunError(f"{results}: cannot create a run folder there ({disk_error_hint(exc) or exc.strerror}); "
                           f"{_what_to_do(exc)}") from None
    raise RunError(f"{results}: could not create a unique folder")  # pragma: no cover - 16M ids a second


def _make_results_dir(results: Path) -> None:
    if results.exists() and not results.is_dir():
        raise RunError(f"{results}: is a file, not a folder; give --results a folder (created if missing)")
    try:
        results.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise RunError(f"{results}: a part of this path is a file; give --results a folder") from None
    except OSError as exc:
        raise RunError(f"{results}: cannot create the results folder ({disk_error_hint(exc) or exc.strerror}); "
                       f"{_what_to_do(exc)}") from None


def _what_to_do(exc: BaseException) -> str:
    if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free some space there or give --results a folder on another disk"
    return "make it writable or give --results a writable folder"


def remove_dead_staging(results: Path) -> None:
    """Remove ``.creating-<pid>-*`` folders whose process is gone (killed while creating one)."""
    try:
        candidates = list(results.glob(f"{STAGING}*"))
    except OSError:
        return
    for folder in candidates:
        pid = folder.name[len(STAGING):].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
