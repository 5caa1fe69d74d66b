"""``research export mlflow RUN... --to DIR``: run folders into an MLflow tracking store.

The store is MLflow's SQLite backend, offline, no server: ``DIR/mlflow.db`` with the
artefacts under ``DIR/artifacts`` (MLflow 3 no longer accepts its old file store by default).
One MLflow run per run folder, in the experiment ``research`` (``--experiment``):

* params: the resolved config, flattened (``topics.num_topics``; lists and mappings as JSON);
* metrics: the numeric values of ``metrics.json`` (top level and a nested ``metrics``
  mapping); a topic run's per-K values (``by_k``) as ``by_k.<metric>`` with the step = K;
* artefacts: every file of the run folder, as it is;
* tags: ``research.run_id`` (the folder's id), ``research.kind``, ``research.config_name``,
  ``mlflow.runName`` (the folder's id) and ``mlflow.source.git.commit`` (from run.json);
* status and times: FINISHED / FAILED / RUNNING / KILLED (a run that died) with run.json's
  start and end.

A run already in the store (same ``research.run_id``) is skipped, so exporting twice never
duplicates it. Needs the ``mlflow`` extra (``make mlflow``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from research.errors import RunError
from research.runs.summary import RunSummary, flatten, is_number, read_summary

__all__ = ["STATUS", "export_mlflow", "require_mlflow", "tracking_uri"]

STATUS = {"complete": "FINISHED", "failed": "FAILED", "running": "RUNNING", "died": "KILLED"}
EXPERIMENT = "research"
RUN_ID_TAG = "research.run_id"
MAX_PARAM = 6000   # MLflow's limit on a param value


def require_mlflow() -> Any:
    """The mlflow module, or a :class:`RunError` naming the extra and the make target."""
    try:
        import mlflow
    except ImportError:
        raise RunError("export mlflow needs the mlflow extra, which is not installed; run make mlflow "
                       "(or pip install -e '.[mlflow]')") from None
    return mlflow


def tracking_uri(folder: str | Path) -> str:
    """The SQLite tracking URI of a store folder (what ``mlflow.set_tracking_uri`` takes)."""
    return f"sqlite:///{Path(folder).resolve() / 'mlflow.db'}"


def export_mlflow(runs: Sequence[str | Path], to: str | Path, experiment: str = EXPERIMENT) -> list[tuple[str, str, str]]:
    """Write each run folder into the store at ``to``; returns ``(run id, MLflow run id,
    'exported' or 'already in the store, skipped')`` per folder (see the module docstring)."""
    require_mlflow()
    summaries = [_readable(Path(r)) for r in runs]
    store = Path(to)
    try:
        store.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"--to {store}: cannot make the store folder ({exc.strerror}); give a writable folder") from None
    with _quiet():
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=tracking_uri(store))
        experiment_id = _experiment(client, experiment, store)
        return [_export_one(client, experiment_id, s) for s in summaries]


def _readable(folder: Path) -> RunSummary:
    summary = read_summary(folder)
    if summary.status in ("unreadable", "sweep"):
        why = summary.error or "a sweep folder: export its runs"
        raise RunError(f"{folder}: cannot export it ({why}); give run folders under results/")
    return summary


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """MLflow's and SQLAlchemy's own deprecation warnings and table-creation log lines are
    not the user's business."""
    loggers = [logging.getLogger(n) for n in ("mlflow", "alembic")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _experiment(client: Any, name: str, store: Path) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    return client.create_experiment(name, artifact_location=(store / "artifacts").resolve().as_uri())


def _export_one(client: Any, experiment_id: str, summary: RunSummary) -> tuple[str, str, str]:
    existing = client.search_runs([experiment_id], filter_string=f"tags.`{RUN_ID_TAG}` = '{summary.id}'")
    if existing:
        return summary.id, existing[0].info.run_id, "already in the store, skipped"
    from mlflow.entities import Metric, Param, RunTag

    record = summary.record
    tags = {RUN_ID_TAG: summary.id, "research.kind": str(summary.kind), "research.config_name": str(summary.config_name),
            "mlflow.runName": summary.id, "mlflow.source.git.commit": str(record.get("git_commit") or "")}
    run = client.create_run(experiment_id, start_time=_millis(record.get("started")), tags=tags, run_name=summary.id)
    run_id = run.info.run_id
    now = _millis(record.get("ended")) or _millis(record.get("started")) or 0
    params = [Param(k, _param(v)) for k, v in flatten(_config(summary)).items()]
    metrics = [Metric(k, float(v), now, 0) for k, v in summary.metrics.items() if math.isfinite(v)]
    metrics += [Metric(k, v, now, step) for k, v, step in _per_k(summary.path)]
    for start in range(0, max(len(params), len(metrics)), 100):   # MLflow takes at most 100 params per batch
        client.log_batch(run_id, metrics=metrics[start:start + 100], params=params[start:start + 100],
                         tags=[RunTag("research.exported", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))]
                         if start == 0 else [])
    client.log_artifacts(run_id, str(summary.path))
    client.set_terminated(run_id, STATUS.get(summary.status, "FAILED"), end_time=_millis(record.get("ended")))
    return summary.id, run_id, "exported"


def _config(summary: RunSummary) -> dict[str, Any]:
    """The run's resolved config as a nested mapping (run.json's copy, else config.yaml's keys)."""
    copy = summary.record.get("config")
    return copy if isinstance(copy, dict) else summary.config


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= MAX_PARAM else text[:MAX_PARAM - 3] + "..."


def _per_k(folder: Path) -> list[tuple[str, float, int]]:
    """``(by_k.<metric>, value, K)`` for each numeric value of metrics.json's ``by_k`` list."""
    try:
        by_k = json.loads((folder / "metrics.json").read_text(encoding="utf-8")).get("by_k")
    except (OSError, ValueError, AttributeError):
        return []
    out = []
    for entry in by_k if isinstance(by_k, list) else []:
        k = entry.get("num_topics") if isinstance(entry, dict) else None
        if not isinstance(k, int):
            continue
        out += [(f"by_k.{name}", float(v), k) for name, v in entry.items()
                if name != "num_topics" and is_number(v) and math.isfinite(v)]
    return out


def _millis(stamp: Any) -> int | None:
    if not isinstance(stamp, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp() * 1000)
