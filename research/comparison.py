"""Compare run folders: one table of runs, their differing settings and their main metrics.

``compare("results/*")`` returns a pandas DataFrame with one row per readable complete run:
``run``, ``config_name``, ``kind``, the flattened config keys whose values differ between
those runs (``vectorizer.min_df``), every numeric metric in ``metrics.json``, and ``path``.
:func:`collect` returns the whole picture the command line prints: that table, the runs that
are not ranked (failed, running, unreadable), and sweep folders.

What is read: only ``run.json``, ``config.yaml`` and ``metrics.json`` of each folder (and
``sweep.json`` of a sweep folder); artefacts are never loaded, so 200 runs take well under a
second. A folder whose ``run.json`` is missing or corrupt is listed as ``unreadable``.

Which runs: with no targets, every folder under ``results_dir``. A target is a run folder, a
run id (a folder name under ``results_dir``), a folder of runs, a glob (``"results/*lda*"``)
or a sweep folder (expanded to its runs). Sweep folders met while listing a folder of runs
are listed apart as sweeps; their runs are ordinary run folders and appear in the table.
"""

from __future__ import annotations

import glob as _glob
import json
import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import yaml

from .errors import ConfigError, RunError

if TYPE_CHECKING:  # pandas is imported when a table is built: `import research` stays light
    import pandas as pd

__all__ = ["compare", "collect", "Comparison", "RunSummary", "read_summary", "MAIN_METRICS",
           "LOWER_IS_BETTER", "FORMATS"]

try:  # libyaml is ten times faster on 200 configs
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

#: Metrics shown in the table, in this order, when at least one listed run has them.
MAIN_METRICS = ("c_npmi", "c_v", "u_mass", "c_uci", "topic_diversity", "stability", "nmi", "ari",
                "perplexity", "reconstruction_error", "best_k",
                "macro_f1", "accuracy", "roc_auc", "pr_auc", "brier",
                "documents_kept", "vocabulary_size")
#: Metrics where smaller is better (sorted ascending); every other metric sorts descending.
LOWER_IS_BETTER = frozenset({"perplexity", "reconstruction_error", "topic_similarity", "brier",
                             "log_loss", "ece"})
FORMATS = ("text", "markdown", "csv", "json")
RUN_FIELDS = ("id", "run", "kind", "status", "config_name", "seed", "git_commit")
NOT_RANKED_COLUMNS = ["run", "config_name", "kind", "status", "error"]
SHOWN_ELSEWHERE = ("model.kind",)      # the kind column already shows it
MAX_TEXT_PARAMS = 8                    # text and markdown tables; csv and json carry them all


@dataclass
class RunSummary:
    """What ``compare`` knows about one folder (never raises while reading it)."""

    path: Path
    status: str                      # complete / failed / running / unreadable / sweep
    kind: str | None = None
    config_name: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)    # flattened dotted keys
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def id(self) -> str:
        return self.path.name

    def lookup(self, key: str) -> tuple[bool, Any]:
        """(found, value) for a run.json field, a dotted config key or a metric."""
        if key in ("id", "run"):
            return True, self.id
        if key in RUN_FIELDS and key in self.record:
            return True, self.record[key]
        for source in (self.config, self.metrics):
            if key in source:
                return True, source[key]
        return False, None


def read_summary(folder: str | Path) -> RunSummary:
    """Read one run (or sweep) folder's small files; problems become ``status='unreadable'``."""
    folder = Path(folder)
    if (folder / "sweep.json").is_file() and not (folder / "run.json").exists():
        return _read_sweep(folder)
    try:
        record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        return RunSummary(folder, "unreadable", error="no run.json")
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return RunSummary(folder, "unreadable", error=f"corrupt run.json ({_one_line(exc)})")
    summary = RunSummary(folder, str(record.get("status") or "unknown"), record.get("kind"),
                         record.get("config_name"), record, error=_error_text(record.get("error")))
    try:
        summary.config = flatten(_read_yaml(folder / "config.yaml"))
        summary.metrics = numeric_metrics(_read_json(folder / "metrics.json"))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        if summary.status == "complete":
            summary.status, summary.error = "unreadable", _one_line(exc)
    return summary


def _read_sweep(folder: Path) -> RunSummary:
    try:
        record = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return RunSummary(folder, "unreadable", "sweep", error=f"corrupt sweep.json ({_one_line(exc)})")
    return RunSummary(folder, "sweep", "sweep", record.get("config_name"), record)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    if data is not None and not isinstance(data, dict):
        raise ValueError(f"{path.name}: not a mapping")
    return data or {}


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"corrupt {path.name} ({_one_line(exc)})") from None
    return data if isinstance(data, dict) else {}


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists and empty mappings are leaf values."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def numeric_metrics(data: dict[str, Any]) -> dict[str, float]:
    """Top-level numeric scalars of ``metrics.json`` (and of a nested ``metrics`` mapping)."""
    out = {k: v for k, v in data.items() if _is_number(v)}
    nested = data.get("metrics")
    if isinstance(nested, dict):
        out.update({k: v for k, v in nested.items() if _is_number(v) and k not in out})
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _error_text(error: Any) -> str | None:
    if not error:
        return None
    if isinstance(error, dict):
        return _one_line(f"{error.get('type', 'Error')}: {error.get('message', '')}")
    return _one_line(error)


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


# -- which folders ---------------------------------------------------------------------------
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
        raise RunError(f"{sweep_folder}: corrupt sweep.json ({_one_line(exc)})") from None
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

    def render(self, fmt: str = "text") -> str:
        """The comparison as ``text``, ``markdown``, ``csv`` or ``json``."""
        if fmt not in FORMATS:
            raise ConfigError(f"--format {fmt}: allowed: {', '.join(FORMATS)}")
        if self.side_by_side:
            return _render_side(self, fmt)
        return _RENDERERS[fmt](self)


def collect(targets: Sequence[str | Path] | str | Path | None = None, *,
            results_dir: str | Path = "results", where: Iterable[str] | str = (),
            sort: str | None = None) -> Comparison:
    """Read the targeted folders and build the comparison (see the module docstring)."""
    targets = [targets] if isinstance(targets, (str, Path)) else list(targets or [])
    where = split_where([where] if isinstance(where, str) else list(where))
    found = find_folders(targets, results_dir)
    summaries = [read_summary(p) for p in found.runs]
    sweeps = [read_summary(p) for p in found.sweeps]
    summaries, sweeps = _apply_where(summaries, sweeps, where)
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
    return Comparison(table, _not_ranked(others), _sweep_table(sweeps), params, metrics, main, sort,
                      side_by_side=found.explicit and len(complete) >= 2, source=source)


def compare(runs: Sequence[str | Path] | str | Path | None = None, *, results_dir: str | Path = "results",
            where: Iterable[str] | str = (), sort: str | None = None) -> pd.DataFrame:
    """One row per readable complete run: run, config_name, kind, differing params, metrics, path.

    ``runs`` is a run folder, a folder of runs, a glob, or a list of those (default: every
    folder under ``results_dir``); ``where`` items are ``key=value`` or ``key!=value`` on
    config keys, run.json fields or metrics; ``sort`` is a metric (best first).
    """
    return collect(runs, results_dir=results_dir, where=where, sort=sort).table


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
        values = {_canonical(config[key]) for config in relevant if key in config}
        if len(values) > 1:
            out.append(key)
    return out


def relevant_config(run: RunSummary) -> dict[str, Any]:
    """The run's flattened config without the sections its kind does not read (``tone.*`` for a
    topic run, ``topics.*`` for a tone run, the back-ends a topic run did not use)."""
    config = run.config
    kind = run.kind or config.get("model.kind")
    drop: list[str] = []
    if kind not in ("lda", "nmf"):
        drop.append("topics.")
    if kind not in ("tone", "apply"):
        drop.append("tone.")
    if kind in ("lda", "nmf"):
        used = f"topics.{kind}_{config.get(f'topics.{kind}_backend', '')}."
        other = "nmf" if kind == "lda" else "lda"
        drop += [f"topics.{other}_"] + [k.rsplit(".", 1)[0] + "." for k in config
                                        if k.startswith(f"topics.{kind}_") and k.count(".") >= 2
                                        and not k.startswith(used)]
    return {k: v for k, v in config.items() if not k.startswith(tuple(drop))}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


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
             **{m: r.metrics.get(m, math.nan) for m in metrics}, "path": str(r.path)}
            for r, config in zip(runs, relevant)]
    columns = ["run", "config_name", "kind", *params, *metrics, "path"]
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


# -- --where ---------------------------------------------------------------------------------
def split_where(items: Sequence[str]) -> list[str]:
    """``["kind=lda seed=1"]`` -> ``["kind=lda", "seed=1"]`` (shell-like quoting keeps spaces)."""
    out = []
    for item in items:
        try:
            out += shlex.split(item)
        except ValueError as exc:
            raise ConfigError(f"--where {item}: {exc}") from None
    return out


def parse_where(item: str) -> tuple[str, bool, str]:
    """``key=value`` -> (key, True, value); ``key!=value`` -> (key, False, value)."""
    if "=" not in item:
        raise ConfigError(f"--where '{item}' must look like key=value (e.g. model.kind=nmf or status=failed)")
    key, raw = item.split("=", 1)
    negate = key.endswith("!")
    key = key.rstrip("!").strip()
    if not key:
        raise ConfigError(f"--where '{item}': no key before '='")
    return key, not negate, raw.strip()


def _apply_where(runs: list[RunSummary], sweeps: list[RunSummary],
                 items: list[str]) -> tuple[list[RunSummary], list[RunSummary]]:
    for item in items:
        key, equal, raw = parse_where(item)
        known = [s for s in runs + sweeps if s.lookup(key)[0]]
        if runs + sweeps and not known:
            raise ConfigError(f"--where {item}: no run has '{key}'; use a run.json field "
                              f"({', '.join(RUN_FIELDS[1:])}), a dotted config key (e.g. model.kind) "
                              "or a metric")
        runs = [s for s in runs if _matches(s, key, raw, equal)]
        sweeps = [s for s in sweeps if _matches(s, key, raw, equal)]
    return runs, sweeps


def _matches(summary: RunSummary, key: str, raw: str, equal: bool) -> bool:
    """Whether the run's ``key`` equals (or, ``equal=False``, differs from) ``raw``; a run
    without the key (an unreadable one, say) matches neither."""
    found, value = summary.lookup(key)
    return found and _same(value, raw) == equal


def _same(value: Any, raw: str) -> bool:
    try:
        parsed = yaml.load(raw, Loader=_Loader) if raw else ""
    except (yaml.YAMLError, ValueError, OverflowError):   # ValueError: 'date=2019-02-30', a 5,000-digit int
        parsed = raw
    if _is_number(value) and _is_number(parsed):
        return math.isclose(value, parsed, rel_tol=1e-12, abs_tol=0.0)
    return value == parsed or str(value) == raw or _canonical(value) == _canonical(parsed)


# -- rendering -------------------------------------------------------------------------------
def fmt_value(value: Any) -> str:
    """A cell for people: ints as they are, floats to 4 significant digits (1 decimal from 1000)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value if isinstance(value, str) else json.dumps(value, default=str)
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.1f}" if 1e3 <= abs(value) < 1e6 else f"{value:.4g}"


def fmt_delta(value: Any, base: Any) -> str:
    if not (_is_number(value) and _is_number(base)) or math.isnan(value) or math.isnan(base):
        return ""
    delta = value - base
    return f"{'+' if delta >= 0 else '-'}{fmt_value(abs(delta))}"


def _sort_note(comp: Comparison) -> str:
    if not comp.sort:
        return ""
    order = "lower is better" if comp.sort in LOWER_IS_BETTER else "higher is better"
    return f", sorted by {comp.sort} ({order})"


def _shown(comp: Comparison) -> tuple[list[str], list[list[str]]]:
    params = comp.params[:MAX_TEXT_PARAMS]
    columns = ["run", "config_name", "kind", *params, *comp.main_metrics]
    headers = ["run", "config", "kind", *params, *comp.main_metrics]
    return headers, _cells(comp.table, columns)


def _more_params(comp: Comparison) -> str:
    more = comp.params[MAX_TEXT_PARAMS:]
    if not more:
        return ""
    return (f"{len(more)} more differing setting{'s' * (len(more) != 1)} not shown: {', '.join(more)} "
            "(--format csv or json has them all)")


def _sections(comp: Comparison) -> list[tuple[str, pd.DataFrame, list[str]]]:
    out = []
    if len(comp.not_ranked):
        out.append((f"not ranked ({len(comp.not_ranked)} failed, running or unreadable)",
                    comp.not_ranked, NOT_RANKED_COLUMNS))
    if len(comp.sweeps):
        out.append((f"sweeps ({len(comp.sweeps)}; compare one with: research compare <sweep folder>)",
                    comp.sweeps, ["run", "config_name", "status", "combinations", "complete", "failed"]))
    return out


def _cells(frame: pd.DataFrame, columns: list[str], width: int = 100) -> list[list[str]]:
    """Cells of a small table for people; long errors are cut (csv and json keep them whole)."""
    rows = [[fmt_value(v) for v in row] for row in frame[columns].itertuples(index=False)]
    return [[c if len(c) <= width else c[:width - 3] + "..." for c in row] for row in rows]


def _title(comp: Comparison) -> str:
    n = len(comp.table)
    return f"{n} complete run{'s' * (n != 1)} in {comp.source}{_sort_note(comp)}"


def _render_text(comp: Comparison) -> str:
    parts = [_title(comp)]
    if len(comp.table):
        parts += [_text_table(*_shown(comp))] + ([_more_params(comp)] if _more_params(comp) else [])
    for title, frame, columns in _sections(comp):
        parts += ["", title + ":", _text_table(columns, _cells(frame, columns))]
    return "\n".join(parts) + "\n"


def _render_markdown(comp: Comparison) -> str:
    parts = [_title(comp), ""]
    if len(comp.table):
        parts += [_md_table(*_shown(comp)), ""] + ([_more_params(comp), ""] if _more_params(comp) else [])
    for title, frame, columns in _sections(comp):
        parts += [f"**{title}**", "", _md_table(columns, _cells(frame, columns)), ""]
    return "\n".join(parts)


def _flat_frame(comp: Comparison) -> pd.DataFrame:
    import pandas as pd

    ranked = comp.table.assign(status="complete", error=None)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    others = pd.concat([f for f in (comp.not_ranked, comp.sweeps) if len(f)], ignore_index=True) \
        if len(comp.not_ranked) or len(comp.sweeps) else None
    columns = ["rank", "run", "config_name", "kind", "status", *comp.params, *comp.metrics, "error", "path"]
    frames = [ranked] + ([others] if others is not None else [])
    frames = [f.reindex(columns=columns).astype(object) for f in frames]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _render_csv(comp: Comparison) -> str:
    frame = _flat_frame(comp)
    frame["rank"] = frame["rank"].map(lambda v: "" if v is None or v != v else int(v))
    for column in comp.params:          # lists as JSON, booleans as true/false, missing as empty
        frame[column] = frame[column].map(_csv_param)
    return frame.to_csv(index=False, lineterminator="\n")


def _csv_param(value: Any) -> Any:
    value = _jsonable(value)
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _jsonable(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _render_json(comp: Comparison) -> str:
    runs = _records(comp.table)
    for rank, row in enumerate(runs, 1):
        row["rank"] = rank
    data = {"source": comp.source, "sort": comp.sort,
            "ascending": comp.sort in LOWER_IS_BETTER if comp.sort else None,
            "params": comp.params, "metrics": comp.metrics, "runs": runs,
            "not_ranked": _records(comp.not_ranked), "sweeps": _records(comp.sweeps)}
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


_RENDERERS = {"text": _render_text, "markdown": _render_markdown, "csv": _render_csv, "json": _render_json}


def side_by_side_frame(comp: Comparison) -> pd.DataFrame:
    """Rows: config_name, kind, each differing config key, each metric; one column per run and
    a ``delta <run>`` column (metric minus the first run's) for every run after the first."""
    import pandas as pd

    table = comp.table
    ids = list(table["run"])
    rows = []
    items = [("run", c) for c in ("config_name", "kind")] + [("param", p) for p in comp.params] \
        + [("metric", m) for m in comp.metrics]
    for section, item in items:
        values = list(table[item])
        row = {"section": section, "item": item, **{i: _jsonable(v) for i, v in zip(ids, values)}}
        if section == "metric":
            row.update({f"delta {i}": _delta(v, values[0]) for i, v in zip(ids[1:], values[1:])})
        rows.append(row)
    columns = ["section", "item", *ids, *[f"delta {i}" for i in ids[1:]]]
    return pd.DataFrame(rows, columns=columns)


def _delta(value: Any, base: Any) -> float | None:
    value, base = _jsonable(value), _jsonable(base)
    if value is None or base is None or not (_is_number(value) and _is_number(base)):
        return None
    delta = value - base
    return int(delta) if float(value).is_integer() and float(base).is_integer() else delta


def _render_side(comp: Comparison, fmt: str) -> str:
    frame = side_by_side_frame(comp)
    ids = list(comp.table["run"])
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\n")
    if fmt == "json":
        data = {"baseline": ids[0], "runs": ids, "sort": comp.sort, "rows": _records(frame),
                "not_ranked": _records(comp.not_ranked)}
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    rows = []
    for rec in frame.to_dict(orient="records"):
        cells = [fmt_value(rec[ids[0]])]
        for i in ids[1:]:
            delta = fmt_delta(rec[i], rec[ids[0]]) if rec["section"] == "metric" else ""
            cells.append(fmt_value(rec[i]) + (f" ({delta})" if delta else ""))
        rows.append([rec["item"], *cells])
    title = f"{len(ids)} runs side by side{_sort_note(comp)}; deltas vs {ids[0]}"
    table = _text_table(["", *ids], rows) if fmt == "text" else _md_table(["", *ids], rows)
    parts = [title, "", table] if fmt == "markdown" else [title, table]
    for section_title, sub, columns in _sections(comp):
        render = _text_table if fmt == "text" else _md_table
        parts += ["", section_title + ":", render(columns, _cells(sub, columns))]
    return "\n".join(parts) + "\n"


def _text_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    numeric = [all(_looks_numeric(r[i]) for r in rows) and bool(rows) for i in range(len(headers))]
    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _looks_numeric(cell: str) -> bool:
    head = cell.split(" (")[0]
    try:
        float(head)
    except ValueError:
        return head == "-"
    return True


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
    return "\n".join([line(headers), "|" + "---|" * len(headers)] + [line(r) for r in rows])


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
