"""One run folder read for comparison: :class:`RunSummary` from ``run.json``, ``config.yaml``
and ``metrics.json`` (hashed as they are read), and the metric names and orders shared by
the comparison table (:mod:`research.runs.compare`) and its renderings
(:mod:`research.runs.compare_render`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from research.runs.lifecycle import died_reason

__all__ = [
    "FORMATS",
    "LOWER_IS_BETTER",
    "MAIN_METRICS",
    "MAX_TEXT_PARAMS",
    "NOT_RANKED_COLUMNS",
    "RUN_FIELDS",
    "SHOWN_ELSEWHERE",
    "YAML_LOADER",
    "RunSummary",
    "flatten",
    "is_number",
    "numeric_metrics",
    "one_line",
    "read_summary",
    "topic_families",
]

try:  # libyaml is ten times faster on 200 configs
    YAML_LOADER: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    YAML_LOADER = yaml.SafeLoader

#: Metrics shown in the table, in this order, when at least one listed run has them.
MAIN_METRICS = ("c_npmi", "c_v", "u_mass", "c_uci", "topic_diversity", "stability", "nmi", "ari",
                "perplexity", "reconstruction_error", "centroid_distance", "best_k",
                "macro_f1", "accuracy", "roc_auc", "pr_auc", "brier",
                "documents_kept", "vocabulary_size")
#: Metrics where smaller is better (sorted ascending); every other metric sorts descending.
LOWER_IS_BETTER = frozenset({"perplexity", "reconstruction_error", "centroid_distance", "topic_similarity", "brier",
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
    status: str                      # complete / failed / running / died / unreadable / sweep
    kind: str | None = None
    config_name: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)    # flattened dotted keys
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    edited: list[str] = field(default_factory=list)   # small files whose SHA-256 differs from run.json

    @property
    def id(self) -> str:
        return self.path.name

    def lookup(self, key: str) -> tuple[bool, Any]:
        """(found, value) for a run.json field, a dotted config key or a metric."""
        if key in ("id", "run"):
            return True, self.id
        if key == "status" and self.status == "died":
            return True, "died"
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
        return RunSummary(folder, "unreadable", error=f"corrupt run.json ({one_line(exc)})")
    status, error = str(record.get("status") or "unknown"), _error_text(record.get("error"))
    if status == "running" and (reason := died_reason(record)):
        status, error = "died", f"died: {reason}"
    summary = RunSummary(folder, status, record.get("kind"), record.get("config_name"), record, error=error)
    try:
        summary.config, summary.edited = _read_config(folder, record)
        metrics, edited = _read_checked(folder / "metrics.json", _recorded(record, "metrics.json"))
        summary.metrics = numeric_metrics(_parse_json(metrics, "metrics.json"))
        summary.edited += edited
    except (OSError, ValueError, yaml.YAMLError) as exc:
        if summary.status == "complete":
            summary.status, summary.error = "unreadable", one_line(exc)
    return summary


def _recorded(record: dict[str, Any], name: str) -> str | None:
    """The SHA-256 run.json recorded for ``name`` (every output of a complete run; the
    config of any run that records ``config_sha256``)."""
    artifacts = record.get("artifacts")
    digest = artifacts.get(name) if isinstance(artifacts, dict) else None
    return digest or (record.get("config_sha256") if name == "config.yaml" else None)


def _read_checked(path: Path, digest: str | None) -> tuple[bytes | None, list[str]]:
    """The file's bytes (None if absent) and ``[name]`` when they differ from ``digest``."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None, []
    edited = digest is not None and hashlib.sha256(data).hexdigest() != digest
    return data, [path.name] if edited else []


def _read_config(folder: Path, record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The flattened config: from run.json's JSON copy when config.yaml's bytes are the ones
    recorded (25x faster than parsing YAML), else from config.yaml itself."""
    digest = _recorded(record, "config.yaml")
    data, edited = _read_checked(folder / "config.yaml", digest)
    if data is None:
        return {}, []
    copy = record.get("config")
    if digest and not edited and isinstance(copy, dict):
        return flatten(copy), []
    parsed = yaml.load(data.decode("utf-8"), Loader=YAML_LOADER)
    if parsed is not None and not isinstance(parsed, dict):
        raise ValueError("config.yaml: not a mapping")
    return flatten(parsed or {}), edited


def _read_sweep(folder: Path) -> RunSummary:
    try:
        record = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return RunSummary(folder, "unreadable", "sweep", error=f"corrupt sweep.json ({one_line(exc)})")
    return RunSummary(folder, "sweep", "sweep", record.get("config_name"), record)


def _parse_json(data: bytes | None, name: str) -> dict[str, Any]:
    if data is None:
        return {}
    try:
        parsed = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise ValueError(f"corrupt {name} ({one_line(exc)})") from None
    return parsed if isinstance(parsed, dict) else {}


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
    out = {k: v for k, v in data.items() if is_number(v)}
    nested = data.get("metrics")
    if isinstance(nested, dict):
        out.update({k: v for k, v in nested.items() if is_number(v) and k not in out})
    return out


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _error_text(error: Any) -> str | None:
    if not error:
        return None
    if isinstance(error, dict):
        return one_line(f"{error.get('type', 'Error')}: {error.get('message', '')}")
    return one_line(error)


def one_line(value: Any) -> str:
    return " ".join(str(value).split())


# -- which folders ---------------------------------------------------------------------------


def topic_families(topics_keys: Iterable[str]) -> list[str]:
    """The topic families (lda, nmf, ...) a run's config knows, from the keys of its
    ``topics`` section: one ``<family>_backend`` key each. Nothing names the families in code,
    so a new family's runs are compared and reused like the others."""
    return [k.removesuffix("_backend") for k in topics_keys if k.endswith("_backend") and "." not in k]
