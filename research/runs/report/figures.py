"""The report's figures: the interactive ones first, then every static figure of the run
(inline PNG) with a caption that says what it shows, and a link to pyLDAvis's page."""

from __future__ import annotations

import base64
from pathlib import Path

from research.runs.report.html import e
from research.runs.report.meanings import figure_caption
from research.runs.report.plots import PLOTLY_EXTRA, Plots
from research.runs.report.topics import topic_plots

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
ORDER = ("metrics_vs_k", "top_words", "intertopic_map", "doc_topic_heatmap", "prevalence_by", "confusion",
         "calibration", "reliability", "top_features")


def _rank(path: Path) -> tuple[int, str]:
    rank = next((i for i, prefix in enumerate(ORDER) if path.stem.startswith(prefix)), len(ORDER))
    return rank, path.name


def static_figures(folder: Path, skip: tuple[str, ...] = ()) -> str:
    """Every image under figures/ but those named in ``skip``, in :data:`ORDER`."""
    folder = folder / "figures"
    if not folder.is_dir():
        return ""
    out = []
    found = (p for p in folder.glob("*") if p.suffix.lower() in IMAGE_TYPES and p.name not in skip)
    for path in sorted(found, key=_rank):
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        out.append(f'<figure><img src="data:{IMAGE_TYPES[path.suffix.lower()]};base64,{encoded}" '
                   f'alt="{e(path.stem)}"><figcaption><b>{e(path.name)}</b>: {e(figure_caption(path.stem))}'
                   "</figcaption></figure>")
    return "".join(out)


def figures_section(folder: Path, plots: Plots) -> str:
    """Interactive figures (drawn only when plotly.js is available), the pyLDAvis link, then
    the static figures."""
    interactive = topic_plots(folder, plots)
    out = []
    if interactive and plots.library is None:
        plots.specs.clear()
        out.append(f'<p class="muted">{e(PLOTLY_EXTRA)}</p>')
    else:
        out += interactive
    if (folder / "ldavis.html").is_file():
        out.append('<p>pyLDAvis\'s interactive view of the topics (works offline): '
                   '<a href="ldavis.html">ldavis.html</a>. Select a topic to see its most relevant words; '
                   "the slider trades a word's frequency in the topic against its specificity.</p>")
    drawn = any('data-plot="intertopic"' in o for o in out)    # the static map would repeat it
    out.append(static_figures(folder, ("intertopic_map.png",) if drawn else ()))
    return "".join(out)
