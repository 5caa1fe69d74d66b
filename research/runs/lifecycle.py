"""Is a ``running`` run alive? Its process id, host and heartbeat, and the file-system faults
a run folder can meet.

A run records in ``run.json`` the ``pid`` of the process running it, that process's start
time (``pid_started``, Linux: from ``/proc``, so a pid reused by another process is not taken
for the run), the host name (``host.hostname``) and a ``heartbeat``: an ISO time refreshed at
every stage boundary and by a daemon thread every :data:`HEARTBEAT_INTERVAL` seconds while
the run goes on (so during long stages too).

:func:`effective_status` turns a record's ``status`` into what it really is now: a record
left ``running`` is ``died``

* on this host, when its pid is gone (or now belongs to another process);
* on another host, or when the pid is unknown (older runs), when its heartbeat (or, with
  none, its start) is older than :data:`STALE_AFTER` seconds (3 minutes: six missed beats).

A run on this host whose process is alive stays ``running`` however old its heartbeat (a
process stopped with Ctrl-Z, or busy in C code that holds the interpreter, is not dead).
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import socket
import threading
import weakref
from collections.abc import Callable
from typing import Any

__all__ = [
    "DISK_ERRNOS",
    "HEARTBEAT_INTERVAL",
    "STALE_AFTER",
    "Heartbeat",
    "died_reason",
    "disk_error_hint",
    "effective_status",
    "pid_alive",
    "process_identity",
]

HEARTBEAT_INTERVAL = 30.0    # seconds between heartbeats during a stage
STALE_AFTER = 180.0          # a heartbeat older than this is a dead run (other host / no pid)
#: errors of the file system itself (not of the program): reported as one line, exit 2
DISK_ERRNOS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
               errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
               errno.EPERM: "permission denied", errno.EFBIG: "file too large",
               errno.ENAMETOOLONG: "file name too long", errno.ENOTDIR: "a path component is a file",
               errno.EEXIST: "a file is in the way", errno.EIO: "input/output error"}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (Linux), else None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), else None."""
    fields = _proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else None


def parent_pid(pid: int) -> int | None:
    """The parent of process ``pid`` (Linux), else None."""
    fields = _proc_stat(pid)
    return int(fields[1]) if fields and len(fields) > 1 and fields[1].isdigit() else None


def process_identity() -> dict[str, Any]:
    """``pid`` and ``pid_started`` of this process, for ``run.json``."""
    return {"pid": os.getpid(), "pid_started": _process_start(os.getpid())}


def pid_alive(pid: int, started: str | None = None) -> bool:
    """Whether process ``pid`` runs on this host (not a zombie; given its start time, the
    same process and not a later one that reused the pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass                     # exists, owned by someone else
    fields = _proc_stat(pid)
    if fields is None:           # not Linux (or gone this instant): the signal said it exists
        return True
    if fields[0] in ("Z", "X"):  # killed, not yet reaped by its parent
        return False
    return started is None or len(fields) <= 19 or fields[19] == started


def _age(record: dict[str, Any], now: dt.datetime) -> float | None:
    stamp = record.get("heartbeat") or record.get("started")
    try:
        then = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.astimezone()
    return (now - then).total_seconds()


def died_reason(record: dict[str, Any], now: dt.datetime | None = None,
                hostname: str | None = None) -> str | None:
    """Why a ``running`` record is a dead run, or None when it may be alive (see the module)."""
    if record.get("status") != "running":
        return None
    now = now or dt.datetime.now(dt.UTC)
    hostname = hostname or socket.gethostname()
    host = (record.get("host") or {}).get("hostname") if isinstance(record.get("host"), dict) else None
    pid = record.get("pid")
    if host == hostname and isinstance(pid, int) and pid > 0:
        if pid_alive(pid, record.get("pid_started")):
            return None
        return f"process {pid} on {host} is gone (last heartbeat {record.get('heartbeat') or '-'})"
    age = _age(record, now)
    if age is not None and age > STALE_AFTER:
        where = f"pid {pid} on {host}" if pid else f"host {host or '?'}"
        return f"no heartbeat for {age / 60:.0f} min ({where}, last {record.get('heartbeat') or record.get('started')})"
    return None


def effective_status(record: dict[str, Any], now: dt.datetime | None = None,
                     hostname: str | None = None) -> str:
    """``record['status']``, except ``died`` for a ``running`` run that is dead (see the module)."""
    status = str(record.get("status") or "unknown")
    return "died" if died_reason(record, now, hostname) else status


class Heartbeat:
    """A daemon thread calling ``beat()`` every ``interval`` seconds until :meth:`stop`.

    ``beat`` must be thread-safe with the caller's own writes (RunFolder holds a lock); an
    error in it (a full disk) is kept quiet here: the run's own next write reports it."""

    def __init__(self, beat: Callable[[], None], interval: float | None = None):
        # a weak reference: a run folder never exited (a bug elsewhere) is not kept alive, and
        # its thread ends once the folder object is gone
        self._beat = weakref.WeakMethod(beat) if hasattr(beat, "__self__") else (lambda: beat)
        self._interval = HEARTBEAT_INTERVAL if interval is None else interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="research-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            beat = self._beat()
            if beat is None:
                return
            try:
                beat()
            except Exception:
                pass
            del beat

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()


def disk_error_hint(exc: BaseException) -> str | None:
    """A short description of a file-system fault (full disk, read-only, ...), or None."""
    if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS:
        return DISK_ERRNOS[exc.errno]
    return None
