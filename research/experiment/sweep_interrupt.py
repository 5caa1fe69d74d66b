"""A sweep stopped by SIGINT (Ctrl-C) or SIGTERM: no run it started is left ``running``.

While a sweep runs, both signals raise :class:`SweepInterrupted` in its main thread. The
sweep then stops its workers (joblib's own clean-up, and a SIGKILL for any worker still
running one of its runs), records every run folder it started that is not complete as
``failed`` with the error ``interrupted by SIGINT`` (or SIGTERM), and the command prints
one ``error:`` line.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from research.runs.folder import write_json
from research.runs.lifecycle import now_iso, parent_pid, pid_alive
from research.runs.naming import STAGING, remove_dead_staging

__all__ = ["SweepInterrupted", "fail_started_runs"]


class SweepInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped a sweep; ``line`` is the one line the command prints."""

    def __init__(self, signal_name: str, line: str = ""):
        super().__init__(f"interrupted by {signal_name}")
        self.signal_name = signal_name
        self.line = line


@contextmanager
def signals_interrupt():
    """SIGINT and SIGTERM raise :class:`SweepInterrupted` (main thread only); the yielded
    ``quiet()`` ignores both from then on; the previous handlers come back on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    def raise_interrupt(signum, frame):  # noqa: ARG001
        raise SweepInterrupted(signal.Signals(signum).name)
    previous = {s: signal.signal(s, raise_interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: [signal.signal(s, signal.SIG_IGN) for s in previous]
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def interrupted(exc: KeyboardInterrupt, results: Path, folder: Path) -> SweepInterrupted:
    name = getattr(exc, "signal_name", "SIGINT")
    marked = fail_started_runs(results, folder.name, f"interrupted by {name}")
    line = (f"sweep {folder} interrupted by {name}; {marked} of its runs did not finish and "
            f"{'is' if marked == 1 else 'are'} recorded as failed; rerun the sweep to finish it")
    return SweepInterrupted(name, line)


def fail_started_runs(results: Path, sweep_id: str, message: str, wait: float = 10.0) -> int:
    """Record every run folder the sweep ``sweep_id`` started that is not complete as failed
    with ``message``, once its process is gone (a worker still running it is killed). Returns
    how many of its runs are failed now."""
    marker = f"(sweep {sweep_id} combination "
    marked = 0
    _stop_creating(results, wait)          # first: a folder it was about to rename is seen below
    for run in sorted(p for p in results.iterdir() if p.is_dir()):
        try:
            record = json.loads((run / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        command = record.get("command") or [""]
        if not str(command[-1]).startswith(marker) or record.get("status") == "complete":
            continue
        if _stop_process(record, wait) and record.get("status") == "running":
            record = json.loads((run / "run.json").read_text(encoding="utf-8"))  # it may have ended
        error = record.get("error")
        own = isinstance(error, dict) and error.get("type") == "KeyboardInterrupt"  # Ctrl-C reached the worker
        if record.get("status") == "running" or own:
            record.update(status="failed", ended=record.get("ended") or now_iso(),
                          error={"type": "KeyboardInterrupt", "message": message})
            write_json(run / "run.json", record)
        marked += record.get("status") == "failed"
        for tmp in run.glob("*.tmp"):    # a killed worker's half-written files
            tmp.unlink(missing_ok=True)
    return marked


def _stop_creating(results: Path, wait: float) -> None:
    """Kill this process's workers still creating a run folder; remove what they left."""
    for folder in results.glob(f"{STAGING}*"):
        pid = folder.name[len(STAGING):].split("-", 1)[0]
        if pid.isdigit() and parent_pid(int(pid)) == os.getpid():
            _stop_process({"pid": int(pid)}, wait)
    remove_dead_staging(results)


def _stop_process(record: dict[str, Any], wait: float) -> bool:
    """Kill the worker still running a run of this sweep (same host); True if one was stopped."""
    pid, started = record.get("pid"), record.get("pid_started")
    if not isinstance(pid, int) or pid == os.getpid() or not pid_alive(pid, started):
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + wait
    while pid_alive(pid, started) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


