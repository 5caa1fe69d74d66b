"""The report's topic sections: one table of topics (label, top words, per-topic metrics,
representative documents) and the interactive topic figures (intertopic map, topics over
time, topics by group and the differences between groups)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from research.runs.report.html import e, first, fmt, read_csv, table
from research.runs.report.plots import Plots, difference_traces, group_traces, intertopic_traces, time_traces

MAX_TOPICS = 100
MAX_GROUPS = 8            # bars per topic in "topics by group"
MAX_DIFFERENCES = 30      # rows of the differences figure
REPRESENTATIVE = 3        # documents per topic in the topics table


def topic_labels(folder: Path) -> dict[int, str]:
    """Each topic's label: a ``label`` column of topic_metrics.csv or topics.csv when the run
    wrote one, else its three heaviest words."""
    table_ = read_csv(folder / "topic_metrics.csv")
    if table_ is not None and {"topic", "label"} <= set(table_.columns):
        return {int(t): str(v) for t, v in zip(table_["topic"], table_["label"], strict=True) if v == v}
    if table_ is not None and {"topic", "top_words"} <= set(table_.columns):
        return {int(t): " · ".join(str(w).split()[:3]) for t, w in zip(table_["topic"], table_["top_words"],
                                                                        strict=True)}
    words = read_csv(folder / "topics.csv")
    if words is None or not {"topic", "word"} <= set(words.columns):
        return {}
    return {int(t): " · ".join(map(str, part["word"].head(3))) for t, part in words.groupby("topic", sort=True)}


def topics_section(folder: Path) -> str:
    topics = read_csv(folder / "topics.csv")
    metrics = read_csv(folder / "topic_metrics.csv")
    if topics is None and metrics is None:
        return ""
    words = _weighted_words(topics)
    per_topic = {r["topic"]: r for r in metrics.to_dict(orient="records")} \
        if metrics is not None and "topic" in metrics.columns else {}
    extra = [c for c in (metrics.columns if metrics is not None else []) if c not in ("topic", "top_words", "label")]
    labels = topic_labels(folder)
    docs = _representative(folder)
    rows = []
    for topic in list(dict.fromkeys([*words, *per_topic]))[:MAX_TOPICS]:
        info = per_topic.get(topic, {})
        cell = " ".join(words.get(topic, [])) or e(info.get("top_words", ""))
        rows.append([e(topic), e(labels.get(int(topic), "")), *(e(fmt(info.get(c))) for c in extra),
                     f'<div class="words">{cell}</div>', docs.get(int(topic), "")])
    headers = ["topic", "label", *extra, "top words (weight)", "representative documents"]
    if not docs:
        headers, rows = headers[:-1], [r[:-1] for r in rows]
    note = f'<p class="muted">first {MAX_TOPICS} topics; all in topics.csv</p>' if len(words) > MAX_TOPICS else ""
    intro = ('<p class="meaning">One row per topic: its label, its share of the corpus (prevalence), its '
             "coherence per metric (see the headline metrics for what good values are) and its heaviest "
             "words.</p>")
    return intro + table(headers, rows, raw=True, summary="topics") + note


def _weighted_words(topics) -> dict[Any, list[str]]:
    words: dict[Any, list[str]] = {}
    if topics is None or not {"topic", "word"} <= set(topics.columns):
        return words
    order = ["topic", "rank"] if "rank" in topics.columns else ["topic"]
    for row in topics.sort_values(order, kind="stable").to_dict(orient="records"):
        weight = f" ({fmt(row['weight'])})" if "weight" in row else ""
        words.setdefault(row["topic"], []).append(f"<span>{e(row['word'])}{e(weight)}</span>")
    return words


def _representative(folder: Path) -> dict[int, str]:
    """representative_docs.csv (when the run wrote it): per topic, its first documents as a
    list of title (or id), outlet and date."""
    frame = read_csv(folder / "representative_docs.csv")
    if frame is None or "topic" not in frame.columns:
        return {}
    out = {}
    for topic, part in frame.groupby("topic", sort=True):
        items = []
        for row in part.head(REPRESENTATIVE).to_dict(orient="records"):
            name = first(row.get("title"), row.get("id"), row.get("document"))
            meta = ", ".join(fmt(row[c]) for c in ("outlet", "date", "share") if first(row.get(c)) != "")
            items.append(f"<li>{e(name)}{' (' + e(meta) + ')' if meta else ''}</li>")
        out[int(topic)] = f"<ul>{''.join(items)}</ul>"
    return out


def topic_plots(folder: Path, plots: Plots) -> list[str]:
    """The interactive topic figures this run has data for, each with its caption."""
    labels = topic_labels(folder)
    out = [_intertopic(folder, labels, plots), _over_time(folder, labels, plots)]
    for path in sorted(folder.glob("topic_shares_by_*.csv")):
        out.append(_by_group(path, labels, plots))
    out.append(_differences(folder, labels, plots))
    return [o for o in out if o]


def intertopic_rows(folder: Path) -> list[dict[str, Any]]:
    """intertopic.csv, or (a run written before it existed) the map computed from the saved
    model's topic-word matrix with prevalence and words from topic_metrics.csv."""
    frame = read_csv(folder / "intertopic.csv")
    if frame is not None and {"topic", "x", "y", "prevalence", "top_words"} <= set(frame.columns):
        return frame.to_dict(orient="records")
    metrics = read_csv(folder / "topic_metrics.csv")
    model = folder / "artifacts" / "model.npz"
    if metrics is None or not model.is_file() or not {"prevalence", "top_words"} <= set(metrics.columns):
        return []
    from research.topics.layout import intertopic_coordinates

    with np.load(model, allow_pickle=False) as arrays:
        name = next((n for n in arrays.files if n.startswith("topic_word")), None)
        if name is None or arrays[name].shape[0] != len(metrics):
            return []
        xy = intertopic_coordinates(arrays[name])
    return [{"topic": int(r["topic"]), "x": float(x), "y": float(y), "prevalence": float(r["prevalence"]),
             "top_words": r["top_words"]} for r, (x, y) in zip(metrics.to_dict(orient="records"), xy, strict=True)]


def _intertopic(folder: Path, labels: dict[int, str], plots: Plots) -> str:
    rows = intertopic_rows(folder)
    if len(rows) < 2:
        return ""
    layout = {"title": {"text": "Intertopic distance map"}, "showlegend": False,
              "xaxis": {"title": {"text": "PC1"}, "zeroline": True}, "yaxis": {"title": {"text": "PC2"}}}
    caption = ("Topics placed by how different their word distributions are (Jensen-Shannon distance, "
               "classical MDS: close circles share words); circle area grows with the topic's share of the "
               "corpus. Hover a circle for its label and top words.")
    return plots.add("intertopic", intertopic_traces(rows, labels), layout, caption, height=560)


def _over_time(folder: Path, labels: dict[int, str], plots: Plots) -> str:
    frame = read_csv(folder / "topics_over_time.csv")
    needed = {"period", "period_start", "documents", "enough", "topic", "share", "share_low", "share_high", "words"}
    if frame is None or not needed <= set(frame.columns) or frame.empty:
        return ""
    thin = int((frame.drop_duplicates("period")["enough"].astype(str).str.lower() != "true").sum())
    layout = {"title": {"text": "Topics over time"}, "xaxis": {"title": {"text": "period"}},
              "yaxis": {"title": {"text": "share of the period's documents"}, "tickformat": ".0%"}}
    caption = ("Each topic's share of the documents of each period (line) with its interval (band). "
               f"Open grey markers: periods with too few documents for a reliable share ({thin} of "
               f"{frame['period'].nunique()} periods). Hover a point for the period's words; click a legend "
               "entry to hide a topic.")
    return plots.add("over-time", time_traces(frame, labels), layout, caption, height=520)


def _by_group(path: Path, labels: dict[int, str], plots: Plots) -> str:
    frame = read_csv(path)
    field = path.stem.removeprefix("topic_shares_by_")
    if frame is None or not {"group", "documents", "topic", "share", "share_low", "share_high"} <= set(frame.columns):
        return ""
    sizes = frame.drop_duplicates("group").sort_values("documents", ascending=False, kind="stable")
    groups = [str(g) for g in sizes["group"].head(MAX_GROUPS)]
    shown = (f"the {len(groups)} largest of {len(sizes)} groups" if len(sizes) > len(groups)
             else f"all {len(groups)} groups")
    layout = {"title": {"text": f"Topics by {field}"}, "barmode": "group",
              "yaxis": {"title": {"text": "mean topic share"}, "tickformat": ".0%"}}
    caption = (f"Each {e(field)}'s mean share of each topic with its interval (error bars); {e(shown)}, "
               f"by number of documents (all in {e(path.name)}). Hover a bar for the numbers.")
    return plots.add(f"by-{field}", group_traces(frame, labels, groups), layout, caption)


def _differences(folder: Path, labels: dict[int, str], plots: Plots) -> str:
    frame = read_csv(folder / "topic_differences.csv")
    needed = {"field", "group_a", "group_b", "topic", "difference", "difference_low", "difference_high",
              "p_value", "q_value", "significant"}
    if frame is None or not needed <= set(frame.columns) or frame.empty:
        return ""
    frame = frame.assign(size=frame["difference"].abs()).sort_values("size", ascending=False, kind="stable")
    shown = frame.head(MAX_DIFFERENCES).iloc[::-1]
    n_sig = int((frame["significant"].astype(str).str.lower() == "true").sum())
    layout = {"title": {"text": "Differences in topic share between groups"},
              "xaxis": {"title": {"text": "share in group a minus share in group b"}, "tickformat": ".0%",
                        "zeroline": True}, "margin": {"l": 330, "t": 50, "r": 20}, "showlegend": False}
    caption = (f"The {len(shown)} largest of {len(frame)} differences in topic share (topic_differences.csv), "
               f"with intervals; filled markers: significant after correcting for multiple tests ({n_sig} in "
               "all). Hover a marker for p and q values.")
    return plots.add("differences", difference_traces(shown, labels), layout, caption,
                     height=max(420, 60 + 22 * len(shown)))
