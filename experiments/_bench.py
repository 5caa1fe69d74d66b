"""Helpers for the benchmark scripts: run a command, measure wall time and peak memory."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tree_rss(root: int) -> int:
    """Resident memory (KB) of process ``root`` and all its descendants, from /proc."""
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        try:
            with open(f"/proc/{pid}/status") as handle:
                total += next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    frontier += [int(c) for c in handle.read().split()]
        except (OSError, ValueError):
            continue
    return total


def _own_rss(pid: int) -> int:
    """Resident memory (KB) of process ``pid`` alone (the Python driver of a Spark run, say)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
    except (OSError, ValueError):
        return 0


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Record in ``seen`` the CPU seconds (user + system) of ``root`` and its descendants so far."""
    tick = os.sysconf("SC_CLK_TCK")
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            seen[pid] = max(seen.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / tick)
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    frontier += [int(c) for c in handle.read().split()]
        except (OSError, ValueError, IndexError):
            continue


def run_measured(args: list[str], results: str | None = None, command: list[str] | None = None) -> dict:
    """Run ``python -m research ARGS`` (or ``command``) in a fresh process; wall seconds, peak
    RSS (MB), CPU seconds of the whole process tree, and the run folder (research runs only)."""
    results = results or tempfile.mkdtemp(prefix="bench-")
    cmd = command or [sys.executable, "-m", "research", *args, "--results", results]
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: exec so that RUSAGE of this child is the run alone
        os.chdir(ROOT)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        out = os.open(os.path.join(results, ".stdout"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execv(cmd[0], cmd)
    tree_peak = root_peak = 0
    cpu: dict[int, float] = {}
    stage_peaks: dict[str, int] = {}   # the run's stage (run.json, read about once a second) -> peak KB
    stage, samples = None, 0
    while True:   # sample the run's whole process tree (it starts helper processes)
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        rss = _tree_rss(pid)
        tree_peak = max(tree_peak, rss)
        root_peak = max(root_peak, _own_rss(pid))
        _tree_cpu(pid, cpu)
        if samples % 20 == 0:
            stage = _current_stage(results) or stage
        if stage:
            stage_peaks[stage] = max(stage_peaks.get(stage, 0), rss)
        samples += 1
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(args or cmd)}")
    # (CPU per process as last sampled, at most 50 ms before it ended: wait4's usage would
    # count helpers the run waited for twice)
    if command is not None:
        return {"wall_s": wall, "tree_peak_mb": tree_peak / 1024, "tree_cpu_s": sum(cpu.values())}
    run = Path(Path(results, ".stdout").read_text().strip().splitlines()[-1])
    record = json.loads((run / "run.json").read_text())
    return {"wall_s": wall, "peak_mb": usage.ru_maxrss / 1024, "tree_peak_mb": tree_peak / 1024,
            "root_peak_mb": root_peak / 1024,
            "tree_cpu_s": sum(cpu.values()),
            "stage_peak_mb": {k: v / 1024 for k, v in stage_peaks.items()}, "run": run, "record": record,
            "metrics": json.loads((run / "metrics.json").read_text())}


def _current_stage(results: str) -> str | None:
    """The stage a run under ``results`` is in, from its run.json (None before it exists)."""
    for path in Path(results).glob("*/run.json"):
        try:
            return json.loads(path.read_text()).get("stage")
        except (OSError, ValueError):
            return None
    return None


def table(title: str, header: list[str], rows: list[list]) -> str:
    cells = [header] + [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in cells[1:]]
    return "\n".join(lines)


def shared_data() -> Path | None:
    path = ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None
