"""``report.html``: one self-contained page that describes a run folder, top-down.

:func:`write_report` reads what the run wrote and writes ``report.html`` next to it. The
page reads from the answer to the detail: a line on the run and its warnings; the headline
metrics, each with its interval and what it means; the topics (label, top words, coherence,
representative documents) or the tone results (documents by split and outlet with their
reasons in plain English and a glossary); the figures with captions (interactive ones
drawn by plotly.js inlined once in the page); the data and cleaning summary; the run's
provenance; and last the resolved config, limited to the sections this kind of run reads.
Any input file may be missing; its section is then left out. Long tables are folded and
paged.

The page needs nothing else: figures are inline, scripts and CSS are inline, and a
Content-Security-Policy forbids every request to anywhere. Every piece of text from the
run is escaped.
"""

from __future__ import annotations

import json
from pathlib import Path

from research.errors import RunError
from research.runs.folder import read_run_json, sha256_file, write_text_atomic
from research.runs.report.figures import figures_section
from research.runs.report.html import CSS, PAGER_JS, e, load_json
from research.runs.report.overview import (
    config_section,
    data_section,
    headline_section,
    provenance_section,
    summary_line,
)
from research.runs.report.plots import Plots
from research.runs.report.tone import tone_section
from research.runs.report.topics import topics_section

__all__ = ["CSP", "REPORT_NAME", "render_report", "write_report"]

REPORT_NAME = "report.html"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


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
    metrics = load_json(folder / "metrics.json")
    plots = Plots()
    sections = [
        ("metrics", "Headline metrics", headline_section(metrics)),
        ("topics", "Topics", topics_section(folder)),
        ("tone", "Tone", tone_section(folder)),
        ("figures", "Figures", figures_section(folder, plots)),
        ("data", "Data and cleaning", data_section(folder)),
        ("run", "Run details", provenance_section(record)),
        ("config", "Resolved config", config_section(folder, record.get("kind"))),
    ]
    sections = [s for s in sections if s[2]]
    nav = "".join(f'<a href="#{key}">{e(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{e(title)}</h2>{content}</section>'
                   for key, title, content in sections)
    title = f"Run {record.get('id') or folder.name}"
    pager = f"<script>{PAGER_JS}</script>" if "data-page=" in body else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{e(title)}</h1>{summary_line(record, metrics)}<nav>{nav}</nav>{body}"
            f"{plots.scripts()}{pager}</body></html>\n")
