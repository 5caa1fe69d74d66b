"""Compare run folders: one table of runs, their differing settings and their main metrics.

``compare("results/*")`` returns a pandas DataFrame with one row per readable complete run:
``run``, ``config_name``, ``kind``, the flattened config keys whose values differ between
those runs (``vectorizer.min_df``), every numeric metric in ``metrics.json``, ``edited`` and
``path``. :func:`collect` returns the whole picture the command line prints: that table, the
runs that are not ranked (failed, running, died, unreadable), and sweep folders.

What is read: only ``run.json``, ``config.yaml`` and ``metrics.json`` of each folder (and
``sweep.json`` of a sweep folder); artefacts are never loaded. ``config.yaml`` and
``metrics.json`` are hashed as they are read: one whose SHA-256 differs from ``run.json`` is
named in ``edited``; while config.yaml's hash matches, its JSON copy in run.json is used
instead of parsing the YAML, so 1,000 runs take about a second. A folder whose ``run.json``
is missing or corrupt is listed as ``unreadable``; a ``running`` run whose process is gone is
``died`` (:func:`research.runs.lifecycle.effective_status`).

Which runs: with no targets, every folder under ``results_dir``. A target is a run folder, a
run id (a folder name under ``results_dir``), a folder of runs, a glob (``"results/*lda*"``)
or a sweep folder (expanded to its runs). Sweep folders met while listing a folder of runs
are listed apart as sweeps; their runs are ordinary run folders and appear in the table.
"""

from __future__ import annotations

import glob as _glob
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research.errors import ConfigError, RunError
from research.runs.compare_select import apply_where, close_names, group_runs, split_where, split_words
from research.runs.summary import (
    FORMATS,
    LOWER_IS_BETTER,
    MAIN_METRICS,
    NOT_RANKED_COLUMNS,
    SHOWN_ELSEWHERE,
    RunSummary,
    one_line,
    read_summary,
    topic_families,
)

if TYPE_CHECKING:  # pandas is imported when a table is built: `import research` stays light
    import pandas as pd

__all__ = [
    "FORMATS",
    "LOWER_IS_BETTER",
    "MAIN_METRICS",
    "Comparison",
    "RunSummary",
    "collect",
    "compare",
    "read_summary",
]

@dataclass
class _Targets:
    runs: list[Path] = field(default_factory=list)
    sweeps: list[Path] = field(default_factory=list)
    explicit: bool = False          # every target named one run folder


def find_folders(targets: Sequence[str | Path] = (), results_dir: str | Path = "results") -> _Targets:
    """Resolve command-line targets (see the module docstring) to run and sweep folders."""
    results = Path(results_dir)
    found = _Targets(explicit=bool(targets))
    if not targets:
        if not results.is_dir() or not _subfolders(results):
            raise RunError(f"no runs in {results}/ (run `make experiment` first, or give --results DIR "
                           "or run folders)")
        _add_results_dir(found, results)
        return found
    for target in targets:
        _add_target(found, str(target), results)
    if not found.runs and not found.sweeps:
        raise RunError(f"no runs in {', '.join(map(str, targets))} (give run folders, run ids under "
                       f"{results}/, or a glob)")
    unique: dict[Path, Path] = {}
    for path in found.runs:                  # the same run named twice is listed once
        unique.setdefault(path.resolve(), path)
    found.runs = list(unique.values())
    return found


def _add_target(found: _Targets, target: str, results: Path) -> None:
    for candidate in (Path(target), results / target):
        if candidate.is_dir():
            _add_folder(found, candidate)
            return
    if _glob.has_magic(target):
        matches = sorted(_glob.glob(target)) or sorted(_glob.glob(str(results / target)))
        found.explicit = False
        for match in matches:
            if Path(match).is_dir():
                _add_folder(found, Path(match), expand_sweeps=False)
        return
    raise RunError(f"{target}: no such run folder (looked in ./ and {results}/)")


def _add_folder(found: _Targets, folder: Path, expand_sweeps: bool = True) -> None:
    if (folder / "run.json").exists():
        found.runs.append(folder)
    elif (folder / "sweep.json").is_file():
        if expand_sweeps:
            found.explicit = False
            found.runs.extend(sweep_runs(folder))
        else:
            found.sweeps.append(folder)
    elif _looks_like_results(folder):
        found.explicit = False
        _add_results_dir(found, folder)
    else:                                     # a run folder that lost its run.json
        found.runs.append(folder)


def _add_results_dir(found: _Targets, results: Path) -> None:
    for folder in _subfolders(results):
        is_sweep = (folder / "sweep.json").is_file() and not (folder / "run.json").exists()
        (found.sweeps if is_sweep else found.runs).append(folder)


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _looks_like_results(folder: Path) -> bool:
    return any((p / "run.json").exists() or (p / "sweep.json").exists() for p in _subfolders(folder))


def sweep_runs(sweep_folder: Path) -> list[Path]:
    """The run folders a sweep recorded (those that were created), in combination order."""
    try:
        record = json.loads((sweep_folder / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunError(f"{sweep_folder}: corrupt sweep.json ({one_line(exc)})") from None
    runs = [c.get("run") for c in record.get("combinations", []) if c.get("run")]
    return [sweep_folder.parent / r for r in runs if (sweep_folder.parent / r).is_dir()]


# -- the comparison --------------------------------------------------------------------------
@dataclass
class Comparison:
    """Complete runs (``table``), runs not ranked, sweep folders, and what the table shows."""

    table: pd.DataFrame
    not_ranked: pd.DataFrame
    sweeps: pd.DataFrame
    params: list[str]
    metrics: list[str]              # every numeric metric in the table
    main_metrics: list[str]         # the ones the printed table shows
    sort: str | None = None
    side_by_side: bool = False
    source: str = ""
    columns: list[str] | None = None      # --columns: what the tables show after run, in order
    group_by: list[str] | None = None     # --group-by: ``groups`` holds a row per combination
    groups: pd.DataFrame | None = None

    def render(self, fmt: str = "text") -> str:
        """The comparison as ``text``, ``markdown``, ``csv`` or ``json``."""
        from research.runs.compare_render import render

        if fmt not in FORMATS:
            raise ConfigError(f"--format {fmt}: allowed: {', '.join(FORMATS)}")
        return render(self, fmt)


def collect(targets: Sequence[str | Path] | str | Path | None = None, *,
            results_dir: str | Path = "results", where: Iterable[str] | str = (),
            sort: str | None = None, columns: Iterable[str] | str = (),
            group_by: Iterable[str] | str = ()) -> Comparison:
    """Read the targeted folders and build the comparison (see the module docstring and
    :mod:`research.runs.compare_select` for ``where``, ``columns`` and ``group_by``)."""
    targets = [targets] if isinstance(targets, (str, Path)) else list(targets or [])
    where = split_where([where] if isinstance(where, str) else list(where))
    columns = split_words("--columns", [columns] if isinstance(columns, str) else list(columns))
    group_by = split_words("--group-by", [group_by] if isinstance(group_by, str) else list(group_by))
    found = find_folders(targets, results_dir)
    summaries = [read_summary(p) for p in found.runs]
    sweeps = [read_summary(p) for p in found.sweeps]
    summaries, sweeps = apply_where(summaries, sweeps, where)
    complete = [s for s in summaries if s.status == "complete"]
    others = [s for s in summaries if s.status != "complete"]
    params = [p for p in differing_params(complete) if p not in SHOWN_ELSEWHERE]
    metrics = _metric_names(complete)
    table = _table(complete, params, metrics)
    table = sort_table(table, sort, metrics) if sort else table
    main = [m for m in MAIN_METRICS if m in metrics]
    if sort and sort not in main:
        main.append(sort)
    source = ", ".join(map(str, targets)) or f"{results_dir}/"
    source += "".join(f" where {w}" for w in where)
    comparison = Comparison(table, _not_ranked(others), _sweep_table(sweeps), params, metrics, main, sort,
                            side_by_side=found.explicit and len(complete) >= 2 and not group_by, source=source)
    return _chosen(comparison, complete, columns, group_by)


def _chosen(comp: Comparison, runs: list[RunSummary], columns: list[str], group_by: list[str]) -> Comparison:
    """``comp`` showing only ``columns`` (any run field, config key or metric), grouped by ``group_by``."""
    wanted = list(dict.fromkeys([*group_by, *columns]))
    unknown = [c for c in wanted if c not in comp.table.columns and not any(r.lookup(c)[0] for r in runs)]
    if unknown and runs:
        option = "--group-by" if unknown[0] in group_by else "--columns"
        raise ConfigError(f"{option} {unknown[0]}: no run has it{close_names(unknown[0], runs)}; use a config key "
                          "(e.g. model.kind), a metric or a run.json field")
    by_id = {r.id: r for r in runs}
    for name in wanted:
        if name not in comp.table.columns:
            comp.table[name] = [by_id[i].lookup(name)[1] for i in comp.table["run"]]
    if columns:
        comp.columns = columns
        comp.params = [c for c in columns if c not in comp.metrics]
        comp.metrics = comp.main_metrics = [c for c in columns if c in comp.metrics]
    if group_by:
        comp.group_by = group_by
        shown = columns or [*comp.main_metrics]
        comp.groups = group_runs(comp.table, group_by, shown)
    return comp


def compare(runs: Sequence[str | Path] | str | Path | None = None, *, results_dir: str | Path = "results",
            where: Iterable[str] | str = (), sort: str | None = None, columns: Iterable[str] | str = (),
            group_by: Iterable[str] | str = ()) -> pd.DataFrame:
    """One row per readable complete run: run, config_name, kind, differing params, metrics, path
    (and any ``columns`` asked for); with ``group_by``, one row per group (``n``, mean and std).

    ``runs`` is a run folder, a folder of runs, a glob, or a list of those (default: every
    folder under ``results_dir``); ``where`` items are ``key=value``, ``key!=value`` or
    ``key>number`` (also ``>=``, ``<``, ``<=``) on config keys, run.json fields or metrics;
    ``sort`` is a metric (best first).
    """
    comp = collect(runs, results_dir=results_dir, where=where, sort=sort, columns=columns, group_by=group_by)
    return comp.groups if comp.groups is not None else comp.table


def differing_params(runs: Sequence[RunSummary]) -> list[str]:
    """Flattened config keys whose value differs between the runs, in config order.

    Only the keys that matter for each run's kind count (see :func:`relevant_config`), and a
    key a run does not have (an older defaults file, or a section its kind does not use) is
    not a difference: it differs only when two runs that have it disagree.
    """
    relevant = [relevant_config(run) for run in runs]
    keys: dict[str, None] = {}
    for config in relevant:
        keys.update(dict.fromkeys(config))
    out = []
    for key in keys:
        values = {_value_key(config[key]) for config in relevant if key in config}
        if len(values) > 1:
            out.append(key)
    return out


def relevant_config(run: RunSummary) -> dict[str, Any]:
    """The run's flattened config without the sections its kind does not read (``tone.*`` for a
    topic run, ``topics.*`` for a tone run, the back-ends a topic run did not use)."""
    cached = run.__dict__.get("_relevant")
    if cached is not None and cached[0] is run.config:
        return cached[1]
    run.__dict__["_relevant"] = (run.config, _relevant(run))
    return run.__dict__["_relevant"][1]


def _relevant(run: RunSummary) -> dict[str, Any]:
    config = run.config
    kind = config.get("model.kind", run.kind)   # an apply run's model.kind is its tone run's
    families = topic_families(k.removeprefix("topics.") for k in config if k.startswith("topics."))
    own = "topics" if kind in families else kind   # the section this kind reads
    drop = [f"{section}." for section in ("topics", "tone") if section != own]
    if kind in families:
        used = f"topics.{kind}_{config.get(f'topics.{kind}_backend', '')}."
        drop += [f"topics.{other}_" for other in families if other != kind]
        drop += [k.rsplit(".", 1)[0] + "." for k in config
                 if k.startswith(f"topics.{kind}_") and k.count(".") >= 2 and not k.startswith(used)]
    return {k: v for k, v in config.items() if not k.startswith(tuple(drop))}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _value_key(value: Any) -> Any:
    """Equal for values :func:`_canonical` makes equal (1 and 1.0 and True stay apart), but
    without JSON for plain scalars (a 1,000-run comparison makes ~80,000 of them)."""
    kind = type(value)
    if value is None or kind in (str, int, bool):
        return kind, value
    if kind is float:
        return kind, repr(value)
    return "json", _canonical(value)


def _metric_names(runs: Sequence[RunSummary]) -> list[str]:
    names: dict[str, None] = {}
    for run in runs:
        names.update(dict.fromkeys(run.metrics))
    main = [m for m in MAIN_METRICS if m in names]
    return main + [m for m in names if m not in main]


def _table(runs: Sequence[RunSummary], params: list[str], metrics: list[str]) -> pd.DataFrame:
    import pandas as pd

    relevant = [relevant_config(r) for r in runs]
    rows = [{"run": r.id, "config_name": r.config_name, "kind": r.kind,
             **{p: config.get(p) for p in params},
             **{m: r.metrics.get(m, math.nan) for m in metrics}, "edited": " ".join(r.edited) or None,
             "path": str(r.path)} for r, config in zip(runs, relevant, strict=True)]
    columns = ["run", "config_name", "kind", *params, *metrics, "edited", "path"]
    return pd.DataFrame(rows, columns=columns)


def sort_table(table: pd.DataFrame, metric: str, metrics: Sequence[str]) -> pd.DataFrame:
    """Best first: descending, or ascending for :data:`LOWER_IS_BETTER`; missing values last."""
    if metric not in metrics:
        available = ", ".join(metrics) or "(none: no complete run has metrics)"
        raise ConfigError(f"--sort {metric}: unknown metric; available: {available}")
    ascending = metric in LOWER_IS_BETTER
    return table.sort_values(metric, ascending=ascending, na_position="last", kind="stable").reset_index(drop=True)


def _not_ranked(runs: Sequence[RunSummary]) -> pd.DataFrame:
    import pandas as pd

    rows = [{"run": r.id, "config_name": r.config_name, "kind": r.kind, "status": r.status,
             "error": r.error, "path": str(r.path)} for r in runs]
    return pd.DataFrame(rows, columns=[*NOT_RANKED_COLUMNS, "path"])


def _sweep_table(sweeps: Sequence[RunSummary]) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for s in sweeps:
        combos = s.record.get("combinations", [])
        rows.append({"run": s.id, "config_name": s.config_name, "kind": "sweep",
                     "status": s.record.get("status", s.status), "combinations": len(combos),
                     "complete": sum(c.get("status") == "complete" for c in combos),
                     "failed": sum(c.get("status") == "failed" for c in combos), "path": str(s.path)})
    columns = ["run", "config_name", "kind", "status", "combinations", "complete", "failed", "path"]
    return pd.DataFrame(rows, columns=columns)


# -- figure ----------------------------------------------------------------------------------
def plot_metric(comp: Comparison, metric: str, path: str | Path) -> Path:
    """A horizontal bar figure of one metric across the table's runs (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if metric not in comp.metrics:
        available = ", ".join(comp.metrics) or "(none: no complete run has metrics)"
        raise ConfigError(f"--figure {metric}: unknown metric; available: {available}")
    table = comp.table.dropna(subset=[metric])
    labels, values = list(table["run"])[::-1], list(table[metric])[::-1]
    fig = Figure(figsize=(7.5, 0.32 * len(labels) + 1.3))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.barh(labels, values, color="#4477aa")
    order = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
    ax.set_xlabel(f"{metric} ({order})")
    ax.set_title(f"{metric} across {len(labels)} runs", fontsize=10)
    ax.tick_params(axis="y", labelsize=7)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path
