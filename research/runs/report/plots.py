"""Interactive figures of the report, drawn by plotly.js inlined once in the page.

Each figure is a plotly spec (``data`` traces and a ``layout``) built here from the run's
CSV files as plain dicts, so the Python plotly package is needed only for the offline
bundle of plotly.js (``plotly.offline.get_plotlyjs()``, ~4.8 MB, in the ``report`` extra).
Without it the page keeps its static figures and says which extra draws the others.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

__all__ = ["PLOTLY_EXTRA", "Plots", "plotly_js"]

PLOTLY_EXTRA = ("interactive figures need the 'report' extra (plotly): "
                "pip install 'research[report]'")
CONFIG = {"displaylogo": False, "responsive": True}
FONT = {"size": 13}


def plotly_js() -> str | None:
    """plotly.js (minified) from the installed plotly package, or None without it."""
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        return None
    return get_plotlyjs()


def _script_safe(text: str) -> str:
    return text.replace("</", "<\\/")


class Plots:
    """The page's interactive figures: :meth:`add` returns the figure's placeholder and
    caption; :meth:`scripts` returns plotly.js and the calls that draw every figure."""

    def __init__(self) -> None:
        self.specs: list[tuple[str, dict[str, Any]]] = []

    @cached_property
    def library(self) -> str | None:
        """plotly.js, read once per page (None without the report extra)."""
        return plotly_js()

    def add(self, key: str, traces: list[dict[str, Any]], layout: dict[str, Any], caption: str,
            height: int = 480) -> str:
        div = f"plot-{key}"
        base = {"height": height, "font": FONT, "hovermode": "closest", "margin": {"t": 50, "r": 20}}
        self.specs.append((div, {"data": traces, "layout": {**base, **layout}}))
        return (f'<figure><div id="{div}" class="plot" data-plot="{key}"></div>'
                f"<figcaption>{caption}</figcaption></figure>")

    def scripts(self) -> str:
        library = self.library if self.specs else None
        if library is None:
            return ""
        calls = "".join(f"Plotly.newPlot({json.dumps(div)},{_script_safe(json.dumps(spec['data']))},"
                        f"{_script_safe(json.dumps(spec['layout']))},{json.dumps(CONFIG)});"
                        for div, spec in self.specs)
        return f"<script>{_script_safe(library)}</script><script>{calls}</script>"


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def intertopic_traces(rows: list[dict[str, Any]], labels: dict[int, str]) -> list[dict[str, Any]]:
    """Circles at the topics' map positions, area ~ prevalence, hover: label and top words."""
    biggest = max((r["prevalence"] for r in rows), default=1.0) or 1.0
    hover = [f"<b>topic {r['topic']}: {_html(labels.get(r['topic'], ''))}</b><br>"
             f"share of the corpus {percent(r['prevalence'])}<br>top words: {_html(r['top_words'])}"
             for r in rows]
    return [{"type": "scatter", "mode": "markers+text", "x": [r["x"] for r in rows],
             "y": [r["y"] for r in rows], "text": [str(r["topic"]) for r in rows],
             "hovertext": hover, "hoverinfo": "text", "textposition": "middle center",
             "marker": {"size": [12 + 60 * (r["prevalence"] / biggest) ** 0.5 for r in rows],
                        "color": "rgba(31,119,180,0.35)", "line": {"color": "#1f4e79", "width": 1}}}]


def time_traces(frame, labels: dict[int, str]) -> list[dict[str, Any]]:
    """Per topic: its share per period as a line, the interval as a band, and periods with
    too few documents (``enough`` false) drawn as open grey markers."""
    traces: list[dict[str, Any]] = []
    for n, (topic, part) in enumerate(frame.sort_values("period_start").groupby("topic", sort=True)):
        colour = f"hsl({(n * 137) % 360},60%,42%)"
        name = f"{topic}: {labels.get(int(topic), '')}"
        x = [str(v) for v in part["period_start"]]
        enough = [str(v).lower() == "true" for v in part["enough"]]
        band = {"type": "scatter", "mode": "lines", "x": x + x[::-1], "legendgroup": name,
                "y": list(part["share_high"]) + list(part["share_low"])[::-1], "fill": "toself",
                "fillcolor": colour.replace("hsl", "hsla").replace(")", ",0.15)"), "line": {"width": 0},
                "hoverinfo": "skip", "showlegend": False}
        hover = [f"<b>topic {name}</b><br>{_html(p)}: {percent(s)} [{percent(lo)}, {percent(hi)}]<br>"
                 f"{d} documents{'' if ok else ' (too few for a reliable share)'}<br>words: {_html(w)}"
                 for p, s, lo, hi, d, ok, w in zip(part["period"], part["share"], part["share_low"],
                                                   part["share_high"], part["documents"], enough,
                                                   part["words"], strict=True)]
        line = {"type": "scatter", "mode": "lines+markers", "x": x, "y": list(part["share"]), "name": name,
                "legendgroup": name, "line": {"color": colour}, "hovertext": hover, "hoverinfo": "text",
                "marker": {"symbol": ["circle" if ok else "circle-open" for ok in enough], "size": 8,
                           "color": [colour if ok else "#9aa3ab" for ok in enough]}}
        traces += [band, line]
    return traces


def group_traces(frame, labels: dict[int, str], groups: list[str]) -> list[dict[str, Any]]:
    """One bar per (group, topic) with the interval as error bars; ``groups`` in order."""
    traces = []
    for group in groups:
        part = frame[frame["group"].astype(str) == group].sort_values("topic")
        x = [f"{t}: {labels.get(int(t), '')}" for t in part["topic"]]
        hover = [f"<b>{_html(group)}</b> ({d} documents)<br>topic {_html(name)}: {percent(s)} "
                 f"[{percent(lo)}, {percent(hi)}]" for name, s, lo, hi, d in
                 zip(x, part["share"], part["share_low"], part["share_high"], part["documents"], strict=True)]
        traces.append({"type": "bar", "name": group, "x": x, "y": list(part["share"]), "hovertext": hover,
                       "hoverinfo": "text", "error_y": {
                           "type": "data", "symmetric": False,
                           "array": list(part["share_high"] - part["share"]),
                           "arrayminus": list(part["share"] - part["share_low"])}})
    return traces


def difference_traces(frame, labels: dict[int, str]) -> list[dict[str, Any]]:
    """Differences in topic share between two groups with their intervals; significant
    ones (after the multiple-testing correction) filled, the others open."""
    rows = [f"{a} - {b} | topic {t}: {labels.get(int(t), '')}" for a, b, t in
            zip(frame["group_a"], frame["group_b"], frame["topic"], strict=True)]
    significant = [str(v).lower() == "true" for v in frame["significant"]]
    hover = [f"<b>{_html(r)}</b><br>difference {percent(d)} [{percent(lo)}, {percent(hi)}]<br>"
             f"p = {p:.3g}, q = {q:.3g}{' (significant)' if s else ''}"
             for r, d, lo, hi, p, q, s in zip(rows, frame["difference"], frame["difference_low"],
                                              frame["difference_high"], frame["p_value"], frame["q_value"],
                                              significant, strict=True)]
    return [{"type": "scatter", "mode": "markers", "y": rows, "x": list(frame["difference"]),
             "hovertext": hover, "hoverinfo": "text",
             "marker": {"size": 9, "color": "#b3261e", "symbol": ["circle" if s else "circle-open"
                                                                  for s in significant]},
             "error_x": {"type": "data", "symmetric": False, "color": "#7a8590",
                         "array": list(frame["difference_high"] - frame["difference"]),
                         "arrayminus": list(frame["difference"] - frame["difference_low"])}}]


def _html(value: Any) -> str:
    """Text for plotly's hover labels, which read a small subset of HTML."""
    import html

    return html.escape("" if value is None else str(value), quote=False)
