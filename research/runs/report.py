"""``report.html``: one self-contained page that describes a run folder.

:func:`write_report` reads what the run wrote (``run.json``, ``config.yaml``, ``metrics.json``,
``data.json``, and when present ``topics.csv``, ``topic_metrics.csv``, ``predictions.csv`` and
``figures/*.png``) and writes ``report.html`` next to them: the run's provenance, its metrics
with their intervals, topics with their top words, tone results with the most and least
promotional documents and their reasons, the data and cleaning summary, every figure, and
the resolved config. Any of those files may be missing; its section is then left out.

The page needs nothing else: figures are inline base64 PNG, the CSS is inline, there is no
JavaScript, and a Content-Security-Policy forbids loading anything from elsewhere. Every
piece of text from the run is escaped.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from research.errors import RunError
from research.runs.folder import read_run_json, sha256_file, write_text_atomic

__all__ = ["REPORT_NAME", "render_report", "write_report"]

REPORT_NAME = "report.html"
MAX_DOCUMENT_ROWS = 300       # per-document cleaning table (the full table is cleaning.csv)
MAX_TOPICS = 100
PROMOTIONAL_ROWS = 10         # most and least promotional documents
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
PREDICTED_COLUMNS = ("predicted", "prediction", "predicted_label", "pred", "label_predicted")
META_COLUMNS = ("title", "outlet", "date", "label")

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;
padding:0 1.2rem 3rem;color:#1d2329;background:#fff}
h1{font-size:1.45rem;margin:1.4rem 0 .3rem}h2{font-size:1.15rem;margin:2rem 0 .6rem;
border-bottom:1px solid #d6dbe0;padding-bottom:.2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:13px}
th,td{border:1px solid #d6dbe0;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f8fa;border:1px solid #d6dbe0;padding:.7rem;overflow:auto;font-size:12px}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #e3e6e9}
figcaption{font-size:12px;color:#59636e}.muted{color:#59636e}.bad{color:#b3261e;font-weight:600}
nav a{margin-right:.8rem}details{margin:.3rem 0}summary{cursor:pointer}
.words span{white-space:nowrap;margin-right:.45rem}
"""


def write_report(run_folder: str | Path, *, update_record: bool = False) -> Path:
    """Write ``<run_folder>/report.html`` and return its path.

    ``update_record=True`` (used by ``research report RUN`` on a finished run) also stores the
    new file's SHA-256 in ``run.json``, so the run's list of outputs stays true.
    """
    folder = Path(run_folder)
    if not folder.is_dir():
        raise RunError(f"{folder}: no such run folder; give a folder under results/")
    page = render_report(folder)
    path = folder / REPORT_NAME
    write_text_atomic(path, page)        # no report.html.tmp is left on a full disk
    if update_record:
        _record_hash(folder, path)
    return path


def _record_hash(folder: Path, path: Path) -> None:
    record = read_run_json(folder)
    artifacts = record.get("artifacts")
    if record.get("status") != "complete" or not isinstance(artifacts, dict):
        return
    artifacts[REPORT_NAME] = sha256_file(path)
    write_text_atomic(folder / "run.json", json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def render_report(folder: Path) -> str:
    """The report page as a string (see the module docstring)."""
    record = read_run_json(folder)
    metrics = _load_json(folder / "metrics.json")
    sections = [
        ("run", "Run", _run_section(record)),
        ("metrics", "Metrics", _metrics_section(metrics)),
        ("topics", "Topics", _topics_section(folder)),
        ("tone", "Tone", _tone_section(folder)),
        ("data", "Data and cleaning", _data_section(folder)),
        ("figures", "Figures", _figures_section(folder)),
        ("config", "Resolved config", _config_section(folder)),
    ]
    sections = [s for s in sections if s[2]]
    nav = "".join(f'<a href="#{key}">{_e(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{_e(title)}</h2>{content}</section>'
                   for key, title, content in sections)
    title = f"Run {record.get('id') or folder.name}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{_e(title)}</h1><nav>{nav}</nav>{body}</body></html>\n")


# -- sections --------------------------------------------------------------------------------
def _run_section(record: dict[str, Any]) -> str:
    status = record.get("status")
    if status == "running":          # write_report is called as the run's last step
        status = "(report written at the end of the run; run.json has the final status)"
    rows = [("kind", record.get("kind")), ("config", record.get("config_name")), ("status", status),
            ("started", record.get("started")), ("ended", record.get("ended")),
            ("duration (s)", record.get("duration_s")), ("seed", record.get("seed")),
            ("git commit", record.get("git_commit")),
            ("host", " ".join(str(v) for v in (record.get("host") or {}).values())),
            ("command", " ".join(map(str, record.get("command") or [])))]
    out = [_kv_table((k, v) for k, v in rows if v not in (None, ""))]
    error = record.get("error")
    if error:
        text = f"{error.get('type')}: {error.get('message')}" if isinstance(error, dict) else error
        out.append(f'<p class="bad">error: {_e(text)}</p>')
    if record.get("warnings"):
        out.append("<h3>Warnings</h3><ul>" + "".join(f"<li>{_e(w)}</li>" for w in record["warnings"]) + "</ul>")
    if record.get("stages"):
        out.append("<h3>Stages (seconds)</h3>" + _kv_table(record["stages"].items()))
    if record.get("versions"):
        out.append("<details><summary>Library versions</summary>"
                   + _kv_table(record["versions"].items()) + "</details>")
    if record.get("artifacts"):
        out.append("<details><summary>Outputs and their SHA-256</summary>"
                   + _kv_table(record["artifacts"].items()) + "</details>")
    return "".join(out)


def _metrics_section(metrics: dict[str, Any] | None) -> str:
    if not metrics:
        return ""
    return _mapping(metrics, depth=0)


def _mapping(data: dict[str, Any], depth: int) -> str:
    """Scalars as one table (with an interval column when ``intervals`` gives them), then each
    nested value under its own heading; deeper levels fold into <details>."""
    intervals = data.get("intervals") if isinstance(data.get("intervals"), dict) else {}
    scalars = [(k, v) for k, v in data.items() if _is_scalar(v)]
    out = []
    if scalars:
        rows = [[k, _fmt(v), _interval(intervals.get(k))] for k, v in scalars]  # type: ignore[union-attr]
        width = 3 if any(r[2] for r in rows) else 2
        headers = ["metric" if depth == 0 else "", "value", "interval"][:width]
        out.append(_table(headers, [r[:width] for r in rows], header=depth == 0 or width == 3))
    for key, value in data.items():
        if _is_scalar(value) or (key == "intervals" and intervals) or key.endswith("_per_topic"):
            continue                                   # per-topic values: the Topics table
        content = _structured(key, value, data, depth + 1)
        if depth == 0:
            out.append(f"<h3>{_e(key)}</h3>{content}")
        else:
            out.append(f"<details><summary>{_e(key)}</summary>{content}</details>")
    return "".join(out)


def _structured(key: str, value: Any, parent: dict[str, Any], depth: int = 1) -> str:
    if key == "confusion" and _is_matrix(value):
        classes = [str(c) for c in parent.get("classes") or range(len(value))]
        rows = [[f"true {c}", *map(_fmt, row)] for c, row in zip(classes, value, strict=True)]
        return _table(["", *(f"predicted {c}" for c in classes)], rows)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        headers = list(dict.fromkeys(k for v in value for k, x in v.items() if _is_scalar(x)))
        return _table(headers, [[_fmt(v.get(h)) for h in headers] for v in value])
    if isinstance(value, list) and all(_is_scalar(v) for v in value):
        text = ", ".join(_fmt(v) for v in value[:200]) + (" ..." if len(value) > 200 else "")
        return f"<p>{_e(text)}</p>"
    if isinstance(value, dict) and depth <= 4:
        return _mapping(value, depth)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f"<pre>{_e(text[:3000] + (' ...' if len(text) > 3000 else ''))}</pre>"


def _topics_section(folder: Path) -> str:
    topics = _read_csv(folder / "topics.csv")
    table = _read_csv(folder / "topic_metrics.csv")
    if topics is None and table is None:
        return ""
    words: dict[Any, list[str]] = {}
    if topics is not None and {"topic", "word"} <= set(topics.columns):
        order = ["topic", "rank"] if "rank" in topics.columns else ["topic"]
        for row in topics.sort_values(order, kind="stable").to_dict(orient="records"):
            weight = f" ({_fmt(row['weight'])})" if "weight" in row else ""
            words.setdefault(row["topic"], []).append(f"<span>{_e(row['word'])}{_e(weight)}</span>")
    per_topic: dict[Any, dict[str, Any]] = {}
    if table is not None and "topic" in table.columns:
        per_topic = {r["topic"]: r for r in table.to_dict(orient="records")}
    extra = [c for c in (table.columns if table is not None else []) if c not in ("topic", "top_words")]
    rows = []
    for topic in list(dict.fromkeys([*words, *per_topic]))[:MAX_TOPICS]:
        info = per_topic.get(topic, {})
        cell = " ".join(words.get(topic, [])) or _e(info.get("top_words", ""))
        rows.append([_e(topic), *(_e(_fmt(info.get(c))) for c in extra), f'<div class="words">{cell}</div>'])
    note = f'<p class="muted">first {MAX_TOPICS} topics; all in topics.csv</p>' if len(words) > MAX_TOPICS else ""
    return _table(["topic", *extra, "top words (weight)"], rows, raw=True) + note


def _tone_section(folder: Path) -> str:
    predictions = _read_csv(folder / "predictions.csv")
    if predictions is None:
        return ""
    out = [f"<p>{len(predictions)} documents scored (predictions.csv).</p>"]
    predicted = next((c for c in PREDICTED_COLUMNS if c in predictions.columns), None)
    if predicted:
        counts = predictions[predicted].astype(str).value_counts()
        out.append("<h3>Predicted labels</h3>" + _kv_table(counts.items()))
    score = next((c for c in ("promotional_score", "p_promotional") if c in predictions.columns), None)
    if score is None:
        return "".join(out)
    ranked = predictions.sort_values(score, ascending=False, kind="stable")
    columns = [c for c in ("id", *META_COLUMNS, predicted, score, "top_reasons")
               if c and c in predictions.columns]
    n = min(PROMOTIONAL_ROWS, len(ranked))
    for title, part in ((f"Most promotional ({n})", ranked.head(n)),
                        (f"Least promotional ({n})", ranked.tail(n).iloc[::-1])):
        rows = [[_fmt(v) for v in row] for row in part[columns].itertuples(index=False)]
        out.append(f"<h3>{_e(title)}</h3>" + _table(columns, rows))
    return "".join(out)


def _data_section(folder: Path) -> str:
    data = _load_json(folder / "data.json")
    if not data:
        return ""
    summary = data.get("summary") or {}
    out = [_kv_table((k, v) for k, v in summary.items() if _is_scalar(v))]
    reasons = summary.get("lines_removed_by_reason") or {}
    if reasons:
        out.append("<h3>Lines removed, by reason</h3>"
                   + _table(["reason", "lines"], [[k, _fmt(v)] for k, v in reasons.items()]))
    pairs = data.get("duplicate_pairs") or []
    if pairs:
        out.append("<h3>Duplicate pairs</h3>" + _structured("duplicate_pairs", pairs, {}))
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
        lines = "".join(f"<li>{_e(r.get('reason'))}: {_e(r.get('line'))}</li>" if isinstance(r, dict)
                        else f"<li>{_e(r)}</li>" for r in removed)
        cell = f"<details><summary>{len(removed)}</summary><ul>{lines}</ul></details>" if removed else "0"
        values = [doc.get("id"), *(doc.get(c) for c in META_COLUMNS), clean.get("kept"),
                  clean.get("drop_reason"), clean.get("duplicate_of"), clean.get("chars_before"),
                  clean.get("chars_after"), clean.get("n_tokens")]
        rows.append([_e(_fmt(v)) for v in values] + [cell])
    note = (f'<p class="muted">first {MAX_DOCUMENT_ROWS} of {len(documents)} documents; all in cleaning.csv</p>'
            if len(documents) > MAX_DOCUMENT_ROWS else "")
    return _table(headers, rows, raw=True) + note


def _figures_section(folder: Path) -> str:
    figures = sorted(p for p in (folder / "figures").glob("*") if p.suffix.lower() in IMAGE_TYPES) \
        if (folder / "figures").is_dir() else []
    out = []
    for path in figures:
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        out.append(f'<figure><img src="data:{IMAGE_TYPES[path.suffix.lower()]};base64,{encoded}" '
                   f'alt="{_e(path.stem)}"><figcaption>{_e(path.name)}</figcaption></figure>')
    return "".join(out)


def _config_section(folder: Path) -> str:
    path = folder / "config.yaml"
    if not path.is_file():
        return ""
    return f"<pre>{_e(path.read_text(encoding='utf-8', errors='replace'))}</pre>"


# -- helpers ---------------------------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _is_matrix(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(r, list) for r in value)


def _interval(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return f"[{_fmt(float(value[0]))}, {_fmt(float(value[1]))}]"
    return ""


def _kv_table(items: Iterable[tuple[Any, Any]]) -> str:
    return _table(["", ""], [[k, _fmt(v)] for k, v in items], header=False)


def _table(headers: Sequence[Any], rows: Sequence[Sequence[Any]], raw: bool = False,
           header: bool = True) -> str:
    """An HTML table; cells are escaped unless ``raw`` (then the caller escaped them).
    Cells that read as numbers are right-aligned."""
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(_cell(c, raw) for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _cell(value: Any, raw: bool) -> str:
    text = str(value)
    try:
        numeric = bool(text.strip()) and math.isfinite(float(text))
    except ValueError:
        numeric = False
    css = ' class="n"' if numeric else ""
    return f"<td{css}>{text if raw else _e(text)}</td>"


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _read_csv(path: Path):
    if not path.is_file():
        return None
    import pandas as pd

    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, pd.errors.ParserError):
        return None
