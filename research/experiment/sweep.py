"""Sweeps: one ordinary run per combination of a grid of config values, run in parallel.

``run_sweep("lda.yaml", "topics.num_topics=10,20,40 seed=1,2,3", jobs=2)`` runs the 9
combinations of the cartesian product, each as a normal run folder under ``results/``
(named like any run of that config; its ``run.json`` command ends with
``(sweep <id> combination <i>)``), in parallel joblib (loky) worker processes.

Every combination's config is resolved and validated before any run starts: an unknown key,
a bad value, a key given both in the grid and in ``--set``, or two combinations that resolve
to the same config are refused with one :class:`~research.errors.ConfigError` line, and
nothing is created. A combination that fails while running is recorded as failed; the
others go on.

SIGINT (Ctrl-C) or SIGTERM during a sweep stops it: the worker processes are stopped, every
run folder a combination started that is not complete is recorded as ``failed`` with the
error ``interrupted by SIGINT`` (or SIGTERM), the sweep itself as failed, and the command
exits with one ``error:`` line (:class:`SweepInterrupted`).

The sweep writes ``results/<stamp>-sweep-<config>-<id>/``:

    sweep.json   kind "sweep", status, the grid, the --set overrides, and per combination its
                 overrides, run folder name, status, error and seconds (updated as runs end)
    sweep.csv    one row per combination: index, grid values, status, main metrics, run, error
    sweep_summary.csv  one row per combination of the grid's values other than seed: mean, std,
                 min and max over the seeds of each main metric, seeds, failed, runs
                 (:mod:`research.experiment.sweep_summary`); printed as a table at the end
    figures/     the main metric across the combinations (PNG)

On the console, each combination's lines are prefixed with its values (``[K=5 seed=1]``), so
the lines of runs in parallel stay attributable; the workers send them to the sweep's process,
which writes each whole (around its progress bar of the combinations done) through its own
logging handlers, so silencing or redirecting the ``research`` logger covers the workers too
(see :mod:`research.util.console`).

``research compare results/<sweep folder>`` compares the sweep's runs; listing ``results/``
shows sweep folders in their own small table.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from research.config.load import Config, load_config
from research.errors import ConfigError, ResearchError
from research.experiment.sweep_interrupt import SweepInterrupted, interrupted, signals_interrupt
from research.experiment.sweep_summary import SUMMARY_FILE, render, seed_summary
from research.runs.folder import unique_folder, write_text_atomic
from research.runs.summary import MAIN_METRICS, read_summary
from research.util import console
from research.util.progress import Progress

__all__ = ["SWEEP_FILE", "SweepInterrupted", "grid_combinations", "parse_grid", "run_sweep"]

SWEEP_FILE = "sweep.json"
_OPEN, _CLOSE = "[{(", "]})"
_SHORT = {"num_topics": "K"}     # names in the console's tag of a combination
log = logging.getLogger("research.sweep")


def parse_grid(grid: str | Sequence[str]) -> dict[str, list[str]]:
    """``"a.b=1,2 c=x,y"`` (or a list of such strings) -> ``{"a.b": ["1", "2"], "c": ["x", "y"]}``.

    Values stay text (parsed as YAML by the config, like ``--set``); commas and spaces inside
    brackets or quotes belong to the value: ``vectorizer.ngram_range=[1, 1],[1, 2]``.
    """
    text = grid if isinstance(grid, str) else " ".join(grid)
    items: list[str] = []
    for chunk in _split(text, " \t\n"):
        if items and "=" not in _top_level(chunk) and (items[-1].endswith(",") or chunk.startswith(",")):
            items[-1] += chunk                          # "seed=1, 2" -> "seed=1,2"
        else:
            items.append(chunk)
    out: dict[str, list[str]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--grid '{item}' must look like key.path=v1,v2 (e.g. topics.num_topics=10,20)")
        if key in out:
            raise ConfigError(f"--grid names '{key}' twice; give all its values once: {key}=v1,v2")
        values = [v.strip() for v in _split(raw, ",")]
        if not values or any(v == "" for v in values):
            raise ConfigError(f"--grid '{item}': empty value; give comma-separated values, e.g. {key}=1,2")
        if len(set(values)) != len(values):
            raise ConfigError(f"--grid '{item}': a value is repeated")
        out[key] = values
    if not out:
        raise ConfigError("--grid is empty; give e.g. --grid \"topics.num_topics=10,20 seed=1,2\"")
    return out


def _split(text: str, separators: str) -> list[str]:
    """Split on any of ``separators`` outside brackets and quotes; drop empty parts."""
    parts, current, depth, quote = [], [], 0, ""  # type: ignore[var-annotated]
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        elif char in separators and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()] if separators.strip() == "" else parts


def _top_level(chunk: str) -> str:
    return _split(chunk, ",")[0]


def grid_combinations(grid: dict[str, list[str]]) -> list[dict[str, str]]:
    """The cartesian product, first key varying slowest."""
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def _label(combo: dict[str, str]) -> str:
    return " ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in combo.items())


def _tag(combo: dict[str, str]) -> str:
    """The prefix of a combination's console lines: ``K=5 seed=1``."""
    names = {k: k.rsplit(".", 1)[-1] for k in combo}
    return " ".join(f"{_SHORT.get(names[k], names[k])}={v}" for k, v in combo.items())


def _validate(config: str | Path, combos: list[dict[str, str]], overrides: Sequence[str]) -> list[Config]:
    set_keys = {o.split("=", 1)[0].strip() for o in overrides}
    clash = sorted(set_keys & set(combos[0]))
    if clash:
        raise ConfigError(f"--grid and --set both give {', '.join(clash)}; keep it in one of them")
    configs, seen = [], {}  # type: ignore[var-annotated]
    for index, combo in enumerate(combos):
        try:
            resolved = load_config(config, [*overrides, *(f"{k}={v}" for k, v in combo.items())])
            _precheck(resolved)
        except ResearchError as exc:
            raise ConfigError(f"--grid combination {_label(combo)}: {exc}") from None
        key = json.dumps(resolved.data, sort_keys=True, default=str)
        if key in seen:
            raise ConfigError(f"--grid combinations {_label(combos[seen[key]])} and {_label(combo)} "
                              "resolve to the same config; drop one value")
        seen[key] = index
        configs.append(resolved)
    return configs


def _precheck(config: Config) -> None:
    """What ``run_experiment`` checks before it creates a run folder: a known model.kind and
    the kind's own checks of its settings."""
    import research.experiment.runner  # noqa: F401  (registers every kind)
    from research.experiment.kinds import precheck

    precheck(config)


def _check_jobs(jobs: Any) -> int:
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not (jobs >= 1 or jobs == -1):
        raise ConfigError(f"--jobs: allowed: an integer >= 1, or -1 for every core, got {jobs!r}")
    return jobs


def run_sweep(config: str | Path, grid: str | Sequence[str] | dict[str, list[Any]], *,
              overrides: Sequence[str] = (), jobs: int = 2, results_dir: str | Path = "results",
              command: list[str] | None = None, echo: Callable[[str], None] | None = log.info) -> Path:
    """Run every combination of ``grid``; return the sweep folder (see the module docstring).
    ``echo`` gets a line as each combination ends, and the summary table (default: the
    ``research.sweep`` logger)."""
    jobs = _check_jobs(jobs)
    grid = {k: [str(v) for v in vs] for k, vs in grid.items()} if isinstance(grid, dict) else parse_grid(grid)
    combos = grid_combinations(grid)
    configs = _validate(config, combos, list(overrides))            # before anything is created
    results = Path(results_dir)
    folder = unique_folder(results, configs[0].name, infix="sweep-")
    base_command = list(command if command is not None else sys.argv)
    record: dict[str, Any] = {
        "id": folder.name, "kind": "sweep", "status": "running", "config": str(config),
        "config_name": configs[0].name, "grid": grid, "overrides": list(overrides), "jobs": jobs,
        "started": _now(), "ended": None, "duration_s": None, "command": base_command,
        "combinations": [{"index": i, "overrides": combo, "run": None, "status": "pending", "error": None,
                          "seconds": None} for i, combo in enumerate(combos)]}
    t0 = time.perf_counter()
    _write_json(folder / SWEEP_FILE, record)
    tasks = [(i, cfg, str(results), [*base_command, f"(sweep {folder.name} combination {i})"], _tag(combo))
             for i, (cfg, combo) in enumerate(zip(configs, combos, strict=True))]
    summary = None
    with signals_interrupt() as quiet:
        try:
            _run_tasks(tasks, jobs, record, folder, echo)
            record["status"] = "complete"
        except BaseException as exc:
            quiet()                  # a second Ctrl-C must not cut the clean-up short
            record["status"] = "failed"
            record["error"] = {"type": type(exc).__name__, "message": " ".join(str(exc).split())}
            if isinstance(exc, KeyboardInterrupt):
                raise interrupted(exc, results, folder) from None
            raise
        finally:
            record["ended"] = _now()
            record["duration_s"] = round(time.perf_counter() - t0, 3)
            _write_json(folder / SWEEP_FILE, record)
            summary = _write_summary(folder, record, configs)
    table = render(summary, list(grid)) if echo and summary is not None and len(summary) else ""
    if echo and table:
        echo(table)
    return folder


def _run_tasks(tasks: list[tuple], jobs: int, record: dict[str, Any], folder: Path,
               echo: Callable[[str], None] | None) -> None:
    outcomes = _execute(tasks, jobs)
    try:
        with Progress(None, "sweep", total=len(tasks), unit="runs") as progress:
            _collect(outcomes, tasks, record, folder, echo, progress)
    finally:
        outcomes.close()             # an interrupt: joblib stops its workers


def _collect(outcomes, tasks: list[tuple], record: dict[str, Any], folder: Path,
             echo: Callable[[str], None] | None, progress: Progress) -> None:
    for done, outcome in enumerate(outcomes, 1):
        record["combinations"][outcome["index"]].update(outcome)
        _write_json(folder / SWEEP_FILE, record)
        progress.update(done, force=True)
        if echo:
            combo = record["combinations"][outcome["index"]]
            echo(f"[{done}/{len(tasks)}] {combo['status']}: {_label(combo['overrides'])} -> "
                 f"{combo['run'] or '-'}{'  (' + combo['error'] + ')' if combo['error'] else ''}")


def _execute(tasks: list[tuple], jobs: int):
    if jobs == 1 or len(tasks) == 1:
        yield from (_run_one(*task) for task in tasks)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=min(jobs, len(tasks)) if jobs > 0 else jobs, backend="loky",
                        return_as="generator_unordered")
    settings = {**console.settings(), "bars": False, "handler": False}   # workers draw no bars
    with _lines_queue() as queue, console.listening(queue):
        yield from parallel(delayed(_run_in_worker)(settings, queue, *task) for task in tasks)


@contextmanager
def _lines_queue():
    """A queue the workers' console lines reach this process through (a manager process that
    Ctrl-C leaves alone: the sweep stops it after its workers)."""
    from multiprocessing.managers import SyncManager

    manager = SyncManager()
    manager.start(_manager_started)
    try:
        yield manager.Queue()
    finally:
        manager.shutdown()


def _manager_started() -> None:
    from research.util.workers import watch_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent()              # a sweep killed outright leaves no manager behind


def _run_in_worker(settings: dict[str, Any], queue, *task) -> dict[str, Any]:
    """:func:`_run_one` in a loky worker, which exits when the sweep's process dies, at the
    sweep's console level, its lines sent to the sweep's process (whole, each written there)."""
    from research.util.workers import watch_parent

    watch_parent()
    with console.configured(**settings), console.relayed(queue):
        return _run_one(*task)


def _run_one(index: int, config: Config, results_dir: str, command: list[str], tag: str) -> dict[str, Any]:
    """Run one combination (in a worker process), its console lines prefixed with ``[tag]``;
    never raises for a failed run."""
    from research.experiment.runner import run_experiment

    t0 = time.perf_counter()
    outcome: dict[str, Any] = {"index": index, "status": "complete", "error": None}
    try:
        with console.tagged(tag):
            outcome["run"] = run_experiment(config, results_dir=results_dir, command=command).name
    except Exception as exc:  # one failed combination must not stop the others
        outcome.update(status="failed", run=_find_run(Path(results_dir), command),
                       error=f"{type(exc).__name__}: {' '.join(str(exc).split())}")
    outcome["seconds"] = round(time.perf_counter() - t0, 3)
    return outcome


def _find_run(results: Path, command: list[str]) -> str | None:
    """The run folder a failed combination left (its run.json records the unique command)."""
    for folder in sorted(results.iterdir(), reverse=True) if results.is_dir() else []:
        try:
            if json.loads((folder / "run.json").read_text(encoding="utf-8")).get("command") == command:
                return folder.name
        except (OSError, ValueError):
            continue
    return None


def _write_summary(folder: Path, record: dict[str, Any], configs: list[Config]):
    """sweep.csv, sweep_summary.csv and the figure of the main metric, from the runs'
    metrics.json; returns the summary over seeds."""
    import pandas as pd

    results = folder.parent
    rows, keys = [], list(record["grid"])
    for combo in record["combinations"]:
        metrics = read_summary(results / combo["run"]).metrics if combo["run"] else {}
        rows.append({"index": combo["index"], **combo["overrides"], "status": combo["status"],
                     **metrics, "run": combo["run"], "error": combo["error"]})
    frame = pd.DataFrame(rows)
    present = [m for m in MAIN_METRICS if m in frame.columns]
    frame = frame.reindex(columns=["index", *keys, "status", *present, "run", "error"])
    for metric in present:          # counts stay integers next to a failed combination's gap
        values = frame[metric].dropna()
        if len(values) and all(float(v).is_integer() for v in values):
            frame[metric] = frame[metric].astype("Int64")
    frame.to_csv(folder / "sweep.csv", index=False)
    summary = seed_summary(frame, keys)
    summary.to_csv(folder / SUMMARY_FILE, index=False)
    metric = _main_metric(configs[0], present, frame)  # type: ignore[assignment]
    if metric:
        _plot(frame, metric, record, folder / "figures" / f"{metric}.png")
    return summary


def _main_metric(config: Config, present: list[str], frame) -> str | None:
    best_by = (config.data.get("topics") or {}).get("best_by")
    candidates = ([best_by] if best_by in present else []) + present
    return next((m for m in candidates if frame[m].notna().any()), None)


def _plot(frame, metric: str, record: dict[str, Any], path: Path) -> Path:
    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from research.runs.summary import LOWER_IS_BETTER

    labels = [_label(c["overrides"]) + ("" if c["status"] == "complete" else f" ({c['status']})")
              for c in record["combinations"]]
    values = [0.0 if pd.isna(v) else float(v) for v in frame[metric]]
    fig = Figure(figsize=(7.5, 0.32 * len(labels) + 1.3))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.barh(labels[::-1], values[::-1], color="#4477aa")
    order = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
    ax.set_xlabel(f"{metric} ({order})")
    ax.set_title(f"Sweep {record['config_name']}: {metric} by combination", fontsize=10)
    ax.tick_params(axis="y", labelsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def _write_json(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")
