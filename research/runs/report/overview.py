"""The report's general sections: the headline metrics with their meaning, every metric
(folded), the data and cleaning summary, the run's provenance, and the resolved config
limited to the sections the run used."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from research.runs.report.html import e, fmt, interval, is_scalar, kv_table, load_json, table
from research.runs.report.meanings import EVALUATIONS, METRICS

MAX_DOCUMENT_ROWS = 300       # per-document cleaning table (the full table is cleaning.csv)
META_COLUMNS = ("title", "outlet", "date", "label")
# config sections by kind of run (besides the top-level keys such as seed)
COMMON_SECTIONS = ("corpus", "clean", "vectorizer", "model")
KIND_SECTIONS = {"lda": ("topics",), "nmf": ("topics",), "tone": ("tone",), "tfidf": ("report",)}


def summary_line(record: dict[str, Any], metrics: dict[str, Any] | None) -> str:
    """One sentence under the title: what kind of run on which config, and how it ended."""
    parts = [f"A <b>{e(record.get('kind') or 'run')}</b> run"]
    if record.get("config_name"):
        parts.append(f"of config <b>{e(record['config_name'])}</b>")
    if record.get("duration_s") is not None:
        parts.append(f"that took {e(fmt(record['duration_s']))} s")
    text = " ".join(parts) + "."
    if metrics and metrics.get("evaluation") in EVALUATIONS:
        text += f" Evaluated by {e(EVALUATIONS[metrics['evaluation']])}."
    error = record.get("error")
    if error:
        message = f"{error.get('type')}: {error.get('message')}" if isinstance(error, dict) else error
        text += f' <span class="bad">It failed: {e(message)}</span>'
    warnings = "".join(f"<li>{e(w)}</li>" for w in record.get("warnings") or [])
    return f'<p class="lead">{text}</p>' + (f"<p><b>Warnings</b></p><ul>{warnings}</ul>" if warnings else "")


def headline_section(metrics: dict[str, Any] | None) -> str:
    """The main numbers first, each with its interval (when the run has one) and meaning;
    every metric follows, folded."""
    if not metrics:
        return ""
    intervals = metrics.get("intervals") if isinstance(metrics.get("intervals"), dict) else {}
    rows = [[f"<b>{e(name)}</b>", e(fmt(metrics[name])), e(interval(intervals.get(name))),  # type: ignore[union-attr]
             f'<span class="meaning">{e(meaning)}</span>']
            for name, meaning in METRICS.items() if is_scalar(metrics.get(name)) and name in metrics]
    if "best_k" in metrics:
        rows = [r for r in rows if r[0] != "<b>num_topics</b>"]
    head = table(["metric", "value", "95% interval", "what it means"], rows, raw=True, fold=False) if rows else ""
    return head + f"<details><summary>Every metric (metrics.json)</summary>{mapping(metrics, 0)}</details>"


def mapping(data: dict[str, Any], depth: int) -> str:
    """Scalars as one table (with an interval column when ``intervals`` gives them), then each
    nested value under its own heading; deeper levels fold into <details>."""
    intervals = data.get("intervals") if isinstance(data.get("intervals"), dict) else {}
    scalars = [(k, v) for k, v in data.items() if is_scalar(v)]
    out = []
    if scalars:
        rows = [[k, fmt(v), interval(intervals.get(k))] for k, v in scalars]  # type: ignore[union-attr]
        width = 3 if any(r[2] for r in rows) else 2
        headers = ["metric" if depth == 0 else "", "value", "interval"][:width]
        out.append(table(headers, [r[:width] for r in rows], header=depth == 0 or width == 3,
                         summary="values"))
    for key, value in data.items():
        if is_scalar(value) or (key == "intervals" and intervals) or key.endswith("_per_topic"):
            continue                                   # per-topic values: the Topics table
        content = structured(key, value, data, depth + 1)
        tag = "h3" if depth == 0 else "summary"
        body = f"<{tag}>{e(key)}</{tag}>{content}"
        out.append(body if depth == 0 else f"<details>{body}</details>")
    return "".join(out)


def structured(key: str, value: Any, parent: dict[str, Any], depth: int = 1) -> str:
    if key == "confusion" and _is_matrix(value):
        classes = [str(c) for c in parent.get("classes") or range(len(value))]
        rows = [[f"true {c}", *map(fmt, row)] for c, row in zip(classes, value, strict=True)]
        return table(["", *(f"predicted {c}" for c in classes)], rows)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        headers = list(dict.fromkeys(k for v in value for k, x in v.items() if is_scalar(x)))
        return table(headers, [[fmt(v.get(h)) for h in headers] for v in value], summary=key)
    if isinstance(value, list) and all(is_scalar(v) for v in value):
        text = ", ".join(fmt(v) for v in value[:200]) + (" ..." if len(value) > 200 else "")
        return f"<p>{e(text)}</p>"
    if isinstance(value, dict) and depth <= 4:
        return mapping(value, depth)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f"<pre>{e(text[:3000] + (' ...' if len(text) > 3000 else ''))}</pre>"


def _is_matrix(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(r, list) for r in value)


def data_section(folder: Path) -> str:
    data = load_json(folder / "data.json")
    if not data:
        return ""
    summary = data.get("summary") or {}
    out = [kv_table((k, v) for k, v in summary.items() if is_scalar(v))]
    reasons = summary.get("lines_removed_by_reason") or {}
    if reasons:
        out.append("<h3>Lines removed, by reason</h3>"
                   + table(["reason", "lines"], [[k, fmt(v)] for k, v in reasons.items()], summary="reasons"))
    pairs = data.get("duplicate_pairs") or []
    if pairs:
        out.append("<h3>Duplicate pairs</h3>" + structured("duplicate pairs", pairs, {}))
    if data.get("duplicate_pairs_total", 0) > len(pairs):
        out.append(f'<p class="muted">first {len(pairs):,} of {data["duplicate_pairs_total"]:,} pairs</p>')
    documents = data.get("documents") or []
    if documents and data.get("documents_sampled"):   # a streamed run lists a seeded sample
        out.append(f"<h3>Documents (a seeded sample of {len(documents):,} of {data.get('documents_total', 0):,})</h3>"
                   + _documents_table(documents)
                   + '<p class="muted">every document: cleaning.parquet and data.parquet</p>')
    elif documents:
        out.append(f"<h3>Documents ({len(documents)})</h3>" + _documents_table(documents))
    return "".join(out)


def _documents_table(documents: Sequence[dict[str, Any]]) -> str:
    headers = ["id", *META_COLUMNS, "kept", "drop reason", "duplicate of", "chars before", "chars after",
               "tokens", "lines removed"]
    rows = []
    for doc in documents[:MAX_DOCUMENT_ROWS]:
        clean = doc.get("cleaning") or {}
        removed = clean.get("lines_removed") or []
        lines = "".join(f"<li>{e(r.get('reason'))}: {e(r.get('line'))}</li>" if isinstance(r, dict)
                        else f"<li>{e(r)}</li>" for r in removed)
        cell = f"<details><summary>{len(removed)}</summary><ul>{lines}</ul></details>" if removed else "0"
        values = [doc.get("id"), *(doc.get(c) for c in META_COLUMNS), clean.get("kept"),
                  clean.get("drop_reason"), clean.get("duplicate_of"), clean.get("chars_before"),
                  clean.get("chars_after"), clean.get("n_tokens")]
        rows.append([e(fmt(v)) for v in values] + [cell])
    note = (f'<p class="muted">first {MAX_DOCUMENT_ROWS} of {len(documents)} documents; all in cleaning.csv</p>'
            if len(documents) > MAX_DOCUMENT_ROWS else "")
    return table(headers, rows, raw=True, summary="documents") + note


def provenance_section(record: dict[str, Any]) -> str:
    status = record.get("status")
    if status == "running":          # write_report is called as the run's last step
        status = "(report written at the end of the run; run.json has the final status)"
    rows = [("id", record.get("id")), ("kind", record.get("kind")), ("config", record.get("config_name")),
            ("status", status), ("started", record.get("started")), ("ended", record.get("ended")),
            ("duration (s)", record.get("duration_s")), ("seed", record.get("seed")),
            ("git commit", record.get("git_commit")),
            ("host", " ".join(str(v) for v in (record.get("host") or {}).values())),
            ("command", " ".join(map(str, record.get("command") or [])))]
    out = [kv_table((k, v) for k, v in rows if v not in (None, ""))]
    if record.get("stages"):
        out.append("<h3>Stages (seconds)</h3>" + kv_table(record["stages"].items()))
    for key, title in (("versions", "Library versions"), ("artifacts", "Outputs and their SHA-256")):
        if record.get(key):
            out.append(f"<details><summary>{title}</summary>{kv_table(record[key].items())}</details>")
    return "".join(out)


def config_section(folder: Path, kind: str | None) -> str:
    """The resolved config's top-level keys and the sections this kind of run reads; the
    other sections are named (config.yaml has them all)."""
    path = folder / "config.yaml"
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        config = None
    if not isinstance(config, dict) or kind not in KIND_SECTIONS:
        return f"<pre>{e(text)}</pre>"
    used = set(COMMON_SECTIONS) | set(KIND_SECTIONS[kind])
    if isinstance(config.get("engine"), dict) and config["engine"].get("kind") not in (None, "local"):
        used.add("engine")
    shown = {k: v for k, v in config.items() if not isinstance(v, dict) or k in used}
    left = [k for k, v in config.items() if isinstance(v, dict) and k not in used]
    note = (f'<p class="muted">Sections this {e(kind)} run does not read are left out: {e(", ".join(left))} '
            "(all in config.yaml).</p>") if left else ""
    return note + f"<pre>{e(yaml.safe_dump(shown, sort_keys=False, allow_unicode=True))}</pre>"
