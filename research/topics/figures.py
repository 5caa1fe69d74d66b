"""Figures of a fitted topic model. Each takes a :class:`TopicResult` (or a metric table) and
an output path, writes a PNG (or whatever the suffix says) and returns the path.

Figures are drawn on ``matplotlib.figure.Figure`` objects rendered with the Agg canvas, so
nothing here touches pyplot's global state or needs a display.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from math import ceil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from research.evaluate.topic_metrics import prevalence_by_group
from research.topics._base import TopicResult
from research.topics.layout import intertopic_coordinates

__all__ = [
    "doc_topic_heatmap_figure",
    "intertopic_coordinates",
    "metric_vs_k_figure",
    "plot_doc_topic_heatmap",
    "plot_intertopic_map",
    "plot_metric_vs_k",
    "plot_prevalence_by_group",
    "plot_prevalence_table",
    "plot_top_words",
    "plot_topic_differences",
    "plot_topic_shares",
    "plot_topics_over_time",
    "representative_rows",
]


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110)
    return path


def plot_top_words(result: TopicResult, path: str | Path, n: int = 10,
                   ncols: int = 4) -> Path:
    """One horizontal bar panel per topic: its ``n`` heaviest words and their weights.

    Laid out by hand from the longest word, not by matplotlib's constrained layout, which
    took ~1 s of a 20-topic figure's 1.4 s."""
    tops = result.top_words(n)
    ncols = max(1, min(ncols, len(tops)))
    nrows = ceil(len(tops) / ncols)
    width, height = 3.0 * ncols, 0.28 * n * nrows + 0.9 * nrows
    label = 0.2 + 0.07 * max((len(w) for words in tops for w, _ in words), default=1)  # inches
    left, right, top, bottom, gap = label, 0.15, 0.7, 0.3, 0.45
    axis_w = (width - left - right - (ncols - 1) * label) / ncols
    axis_h = (height - top - bottom - (nrows - 1) * gap) / nrows
    fig = Figure(figsize=(width, height))
    grid = fig.add_gridspec(nrows, ncols, left=left / width, right=1 - right / width,
                            top=1 - top / height, bottom=bottom / height,
                            wspace=label / axis_w, hspace=gap / axis_h)
    for k in range(nrows * ncols):
        ax = fig.add_subplot(grid[k // ncols, k % ncols])
        if k >= len(tops):
            ax.set_axis_off()
            continue
        words, weights = zip(*tops[k], strict=True)
        ax.barh(range(len(words)), weights, color="tab:blue")
        ax.set_yticks(range(len(words)), labels=words, fontsize=9)
        ax.set_ylim(len(words) - 0.5, -0.5)
        ax.set_title(f"topic {k}", fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    fig.suptitle(f"top {n} words per topic ({result.model or 'topic model'})", y=1 - 0.15 / height,
                 va="top")
    return _save(fig, path)


def representative_rows(doc_topic: np.ndarray, max_docs: int = 40) -> np.ndarray:
    """Row indices of the documents most representative of each topic: per topic, in topic
    order, the documents with the largest share of it (each document once), about
    ``max_docs`` in all (at least one per topic)."""
    k = doc_topic.shape[1]
    per_topic = max(1, max_docs // max(k, 1))
    chosen: list[int] = []
    for t in range(k):
        order = np.argsort(-doc_topic[:, t], kind="stable")
        taken = set(chosen)
        chosen += [int(i) for i in order if int(i) not in taken][:per_topic]
    return np.array(chosen[:max(max_docs, k)], dtype=int)


def doc_topic_heatmap_figure(result: TopicResult, max_docs: int = 40,
                             labels: Sequence[str] | None = None) -> Figure:
    """:func:`plot_doc_topic_heatmap`'s figure (for measuring it without saving)."""
    rows = representative_rows(result.doc_topic, max_docs)
    names = list(labels) if labels is not None else list(result.doc_ids or range(len(result.doc_topic)))
    shares = result.doc_topic[rows]
    fig = Figure(figsize=(max(8.0, 6.0 + 0.45 * result.num_topics), 1.8 + 0.26 * len(rows)),
                 layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(shares, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(range(len(rows)), labels=[str(names[i]) for i in rows], fontsize=9)
    ax.set_xticks(range(result.num_topics), labels=range(result.num_topics), fontsize=9)  # type: ignore[arg-type]
    ax.set_xlabel("topic", fontsize=10)
    fig.colorbar(im, ax=ax, label="topic share")
    fig.suptitle(f"topic shares of the documents most representative of each topic\n"
                 f"({len(rows)} of {len(result.doc_topic):,} documents shown, grouped by topic)", fontsize=11)
    return fig


def plot_doc_topic_heatmap(result: TopicResult, path: str | Path, max_docs: int = 40,
                           labels: Sequence[str] | None = None) -> Path:
    """Topic shares of the documents most representative of each topic (see
    :func:`representative_rows`; about ``max_docs`` rows), rows named by ``labels`` (one per
    document: titles or outlet and date, see :func:`research.topics.layout.document_labels`;
    default: document ids); the title says how many of how many documents are shown."""
    return _save(doc_topic_heatmap_figure(result, max_docs, labels), path)


def plot_intertopic_map(result: TopicResult, path: str | Path) -> Path:
    """Topics as circles on their MDS coordinates (see :func:`intertopic_coordinates`),
    area proportional to prevalence, labelled by topic number."""
    xy = intertopic_coordinates(result.topic_word)
    prevalence = result.prevalence()
    fig = Figure(figsize=(6.5, 6), layout="constrained")
    ax = fig.subplots()
    ax.scatter(xy[:, 0], xy[:, 1], s=2500 * prevalence / prevalence.max() + 30,
               alpha=0.35, color="tab:blue", edgecolor="navy")
    for k, (x, y) in enumerate(xy):
        ax.annotate(str(k), (x, y), ha="center", va="center", fontsize=8)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    pad = 0.1 * (np.ptp(xy) or 1.0)
    ax.set_xlim(xy[:, 0].min() - pad, xy[:, 0].max() + pad)
    ax.set_ylim(xy[:, 1].min() - pad, xy[:, 1].max() + pad)
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.set_title("intertopic distance map (Jensen-Shannon, classical MDS)")
    return _save(fig, path)


def plot_prevalence_by_group(result: TopicResult, groups: Sequence[Any],
                             path: str | Path, kind: str = "heatmap") -> Path:
    """Mean topic share per group: a heatmap (groups x topics) or, for ordered groups such
    as months, ``kind="lines"`` (one line per topic)."""
    table = prevalence_by_group(result.doc_topic, groups).drop(columns="documents")
    return plot_prevalence_table(table, result.num_topics, path, kind)


def plot_prevalence_table(table, num_topics: int, path: str | Path, kind: str = "heatmap") -> Path:
    """:func:`plot_prevalence_by_group` from the table itself (groups x ``topic_k`` columns; a
    streamed run adds it up chunk by chunk)."""
    table = table.drop(columns="documents", errors="ignore")
    if kind not in ("heatmap", "lines"):
        raise ValueError(f"kind must be 'heatmap' or 'lines'; got {kind!r}")
    fig = Figure(figsize=(max(5, 0.4 * num_topics + 2), max(3, 0.3 * len(table) + 1.5)),
                 layout="constrained")
    ax = fig.subplots()
    if kind == "heatmap":
        im = ax.imshow(table.to_numpy(), aspect="auto", cmap="magma_r", vmin=0,
                       interpolation="nearest")
        ax.set_yticks(range(len(table)), labels=[str(g) for g in table.index], fontsize=8)
        ax.set_xticks(range(num_topics), labels=range(num_topics), fontsize=7)  # type: ignore[arg-type]
        ax.set_xlabel("topic")
        fig.colorbar(im, ax=ax, label="mean topic share")
    else:
        for k, column in enumerate(table.columns):
            ax.plot(range(len(table)), table[column], marker="o", ms=3, label=str(k))
        ax.set_xticks(range(len(table)), labels=[str(g) for g in table.index], rotation=45,
                      fontsize=7)
        ax.set_ylabel("mean topic share")
        ax.legend(title="topic", fontsize=6, ncols=2)
    ax.set_title("topic prevalence by group")
    return _save(fig, path)


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[:width - 1] + "\u2026"


def _interval_bars(ax, value, low, high, y, **style: Any) -> None:
    """Horizontal interval bars from ``low`` to ``high`` with a dot at ``value``, at heights ``y``."""
    xerr = [np.asarray(value) - np.asarray(low), np.asarray(high) - np.asarray(value)]
    ax.errorbar(value, y, xerr=np.clip(xerr, 0, None), fmt="o", capsize=2, elinewidth=1.2, **style)


def plot_topic_shares(table: pd.DataFrame, path: str | Path, field: str = "group",
                      topic_labels: Sequence[str] | None = None, overall: Sequence[float] | None = None,
                      max_groups: int = 20, ncols: int = 4) -> Path:
    """One panel per topic: each group's mean share of the topic (dot) with its 95% interval
    (bar), from the long table of :func:`research.evaluate.by_group.topic_shares`; groups
    are named (with their number of documents), the largest ``max_groups`` of them shown;
    ``overall`` (each topic's share in the whole corpus) is drawn as a dashed line."""
    sizes = table.drop_duplicates("group").set_index("group")["documents"]
    shown = sorted(sizes.sort_values(ascending=False, kind="stable").index[:max_groups])
    topics = sorted(table["topic"].unique())
    ncols = max(1, min(ncols, len(topics)))
    nrows = ceil(len(topics) / ncols)
    fig = Figure(figsize=(11, nrows * (0.22 * len(shown) + 0.9) + 0.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, sharex=True, squeeze=False)).ravel()
    y = np.arange(len(shown))
    for ax, topic in zip(axes, topics, strict=False):
        rows = table[table["topic"] == topic].set_index("group").loc[shown]
        _interval_bars(ax, rows["share"], rows["share_low"], rows["share_high"], y, color="tab:blue", ms=3.5)
        if overall is not None:
            ax.axvline(overall[topic], color="grey", ls="--", lw=0.8)
        ax.set_title(_short(topic_labels[topic] if topic_labels else f"topic {topic}", 34), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(topics):]:
        ax.set_axis_off()
    axes[0].set_yticks(y, labels=[f"{_short(str(g))} ({sizes[g]})" for g in shown])
    axes[0].set_ylim(len(shown) - 0.5, -0.5)
    more = f"; the {len(shown)} largest of {len(sizes)} groups" if len(sizes) > len(shown) else ""
    fig.suptitle(f"Topic share by {field}: mean share of each topic in each {field}'s documents (number of "
                 f"documents in brackets)\nbars: 95% bootstrap interval; dashed: share in the whole corpus{more}",
                 fontsize=10)
    fig.supxlabel("mean topic share", fontsize=9)
    return _save(fig, path)


def plot_topic_differences(table: pd.DataFrame, path: str | Path,
                           topic_labels: Sequence[str] | None = None) -> Path:
    """The difference test (``topic_differences.csv``): per topic, share in group a minus
    share in group b with its 95% bootstrap interval; topics with q < 0.05 in red."""
    y = np.arange(len(table))
    significant = table["significant"].to_numpy(dtype=bool)
    fig = Figure(figsize=(10, 0.32 * len(table) + 1.8), layout="constrained")
    ax = fig.subplots()
    for mask, color, label in ((~significant, "grey", "q >= 0.05"), (significant, "tab:red", "q < 0.05")):
        rows = table[mask]
        if len(rows):
            _interval_bars(ax, rows["difference"], rows["difference_low"], rows["difference_high"], y[mask],
                           color=color, ms=4, label=label)
    ax.axvline(0, color="black", lw=0.8)
    names = [topic_labels[t] if topic_labels else f"topic {t}" for t in table["topic"]]
    marks = [_short(n, 40) + (" *" if s else "") for n, s in zip(names, significant, strict=True)]
    ax.set_yticks(y, labels=marks, fontsize=8)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    first = table.iloc[0]
    ax.set_xlabel(f"difference in mean topic share ({_short(str(first['group_a']), 30)} minus "
                  f"{_short(str(first['group_b']), 30)})")
    ax.set_title(f"Which topics differ by {first['field']}: {_short(str(first['group_a']), 30)} "
                 f"({first['documents_a']} documents) vs {_short(str(first['group_b']), 30)} "
                 f"({first['documents_b']})\nbars: 95% bootstrap interval; red *: q < 0.05 (permutation test, "
                 "Benjamini-Hochberg over the topics)", fontsize=10)
    return _save(fig, path)


def metric_vs_k_figure(table: pd.DataFrame | Mapping[str, Mapping[int, float]],
                       best_by: str | None = None, higher_is_better: bool = True,
                       ncols: int = 3) -> Figure:
    """:func:`plot_metric_vs_k`'s figure: a grid of panels, ``ncols`` to a row."""
    frame = pd.DataFrame(table).sort_index()
    if frame.empty:
        raise ValueError("plot_metric_vs_k needs at least one metric value")
    best_by = best_by or frame.columns[0]
    if best_by not in frame.columns:
        raise ValueError(f"best_by {best_by!r} is not a metric in the table: "
                         f"{', '.join(map(str, frame.columns))}")
    scores = frame[best_by]
    best_k = scores.idxmax() if higher_is_better else scores.idxmin()
    ncols = max(1, min(ncols, len(frame.columns)))
    nrows = ceil(len(frame.columns) / ncols)
    fig = Figure(figsize=(3.8 * ncols, 2.9 * nrows + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, column in zip(axes, frame.columns, strict=False):
        ax.plot(frame.index, frame[column], marker="o")
        ax.axvline(best_k, color="tab:red", ls="--", lw=1)
        ax.set_title(str(column) + (" (chooses K)" if column == best_by else ""), fontsize=11)
        ax.set_xlabel("K (number of topics)", fontsize=10)
        ax.tick_params(labelsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[len(frame.columns):]:
        ax.set_axis_off()
    fig.suptitle(f"metrics vs number of topics; best K = {best_k} by {best_by} (red line)", fontsize=12)
    return fig


def plot_metric_vs_k(table: pd.DataFrame | Mapping[str, Mapping[int, float]],
                     path: str | Path, best_by: str | None = None,
                     higher_is_better: bool = True) -> Path:
    """One panel per metric against the number of topics K, three panels to a row; the best
    K by ``best_by`` (default: the first metric) is marked on every panel.

    ``table``: a DataFrame indexed by K with one column per metric, or
    ``{metric: {K: value}}``.
    """
    return _save(metric_vs_k_figure(table, best_by, higher_is_better), path)


def _period_middles(periods: pd.DataFrame) -> tuple[pd.Series, float]:
    """The middle day of each period (where its share and count are drawn) and the bar width
    in days (periods are consecutive; the last is as long as the one before it)."""
    starts = pd.to_datetime(periods["period_start"]).reset_index(drop=True)
    lengths = starts.diff().shift(-1)
    lengths.iloc[-1] = lengths.iloc[-2] if len(lengths) > 1 else pd.Timedelta(days=30)
    return starts + lengths / 2, float(lengths.min() / pd.Timedelta(days=1))


def _topic_panel(ax, frame: pd.DataFrame, x: pd.Series, title: str) -> None:
    """One topic's shares: a line with its interval band over the periods with enough
    documents; hollow grey markers for the periods with too few (triangles at the top edge
    when above the range of the others, which sets the scale)."""
    enough = frame["enough"].to_numpy(dtype=bool)
    share, low, high = (frame[c].to_numpy(dtype=float) for c in ("share", "share_low", "share_high"))
    ax.fill_between(x, np.where(enough, low, np.nan), np.where(enough, high, np.nan), color="tab:blue", alpha=0.2,
                    lw=0)
    ax.vlines(x[enough], low[enough], high[enough], color="tab:blue", alpha=0.5, lw=1)   # an isolated period's too
    ax.plot(x, np.where(enough, share, np.nan), color="tab:blue", marker="o", ms=3, lw=1.4)
    scale = np.concatenate([share[enough], high[enough]]) if enough.any() else share
    top = 1.1 * max(0.05, float(np.nanmax(scale)) if np.isfinite(scale).any() else 0.0)
    sparse_x, sparse_y = x[~enough], share[~enough]
    ax.plot(sparse_x[sparse_y <= top], sparse_y[sparse_y <= top], ls="none", marker="o", ms=4, mfc="none", mec="grey")
    ax.plot(sparse_x[sparse_y > top], np.full((sparse_y > top).sum(), 0.96 * top), ls="none", marker="^", ms=5, mfc="none",
            mec="grey")
    ax.set_ylim(0, top)
    ax.set_title(title, fontsize=8.5, loc="left")
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, lw=0.5)


def _count_strip(ax, periods: pd.DataFrame, x: pd.Series, width: float, min_documents: int) -> None:
    colours = np.where(periods["enough"].to_numpy(dtype=bool), "tab:blue", "lightgrey")
    ax.bar(x, periods["documents"], width=0.85 * width, color=colours)
    ax.axhline(min_documents, color="grey", ls="--", lw=0.8)
    ax.set_ylabel("documents", fontsize=8)
    ax.tick_params(labelsize=7)


def plot_topics_over_time(table: pd.DataFrame, path: str | Path, min_documents: int = 5, freq: str = "period",
                          labels: Sequence[str] | None = None, max_topics: int = 12, ncols: int = 4) -> Path:
    """Small multiples of ``topics_over_time.csv`` (a :func:`research.evaluate.over_time.topics_over_time`
    table): one panel per topic (the ``max_topics`` largest by mean share) on a shared date axis,
    above them the number of documents per period (grey: fewer than ``min_documents``)."""
    periods = table.drop_duplicates("period").reset_index(drop=True)
    x, width = _period_middles(periods)
    weight = table.dropna(subset=["share"]).assign(mass=lambda f: f["share"] * f["documents"])
    shown = list(weight.groupby("topic")["mass"].sum().sort_values(ascending=False, kind="stable").index[:max_topics])
    ncols = max(1, min(ncols, len(shown)))
    nrows = ceil(len(shown) / ncols)
    fig = Figure(figsize=(11, 1.9 + 1.9 * nrows), layout="constrained")
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[0.7] + [1.0] * nrows)
    strip = fig.add_subplot(grid[0, :])
    _count_strip(strip, periods, x, width, min_documents)
    for i, topic in enumerate(shown):
        ax = fig.add_subplot(grid[1 + i // ncols, i % ncols], sharex=strip)
        words = f": {labels[topic]}" if labels is not None else ""
        _topic_panel(ax, table[table["topic"] == topic].reset_index(drop=True), x, f"topic {topic}{words}")
    locator = AutoDateLocator(maxticks=6)
    strip.xaxis.set_major_locator(locator)
    strip.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    n_topics = table["topic"].nunique()
    more = f"the {len(shown)} largest of {n_topics} topics; " if len(shown) < n_topics else ""
    interval = "with its 95% bootstrap interval (band)" if table["share_low"].notna().any() else "(no intervals)"
    fig.suptitle(f"Topic shares over time: mean share per {freq} {interval}\n{more}"
                 f"hollow grey = fewer than {min_documents} documents (triangle: above the panel's range)", fontsize=10)
    with warnings.catch_warnings():   # a span matplotlib has no tick interval for: it falls back to 6, which reads fine
        warnings.filterwarnings("ignore", "AutoDateLocator was unable", UserWarning)
        return _save(fig, path)
