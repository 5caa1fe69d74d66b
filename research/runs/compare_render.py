"""Rendering of a :class:`~research.runs.compare.Comparison`: text and markdown tables for
people, csv and json for programs, and the side-by-side view of two or more runs."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from research.runs.summary import LOWER_IS_BETTER, MAX_TEXT_PARAMS, NOT_RANKED_COLUMNS, is_number

if TYPE_CHECKING:
    import pandas as pd

    from research.runs.compare import Comparison

__all__ = ["fmt_delta", "fmt_value", "render", "side_by_side_frame"]


def fmt_value(value: Any) -> str:
    """A cell for people: ints as they are, floats to 4 significant digits (1 decimal from 1000)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value if isinstance(value, str) else json.dumps(value, default=str)
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:.1f}" if 1e3 <= abs(value) < 1e6 else f"{value:.4g}"


def fmt_delta(value: Any, base: Any) -> str:
    if not (is_number(value) and is_number(base)) or math.isnan(value) or math.isnan(base):
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
    if comp.columns:
        columns = headers = list(dict.fromkeys(["run", *comp.columns]))
    rows = _cells(comp.table, columns)
    for row, edited in zip(rows, _edited(comp), strict=True):
        row[0] += EDITED_MARK if edited else ""
    return headers, rows


EDITED_MARK = " (edited)"


def _edited(comp: Comparison) -> list[bool]:
    column = comp.table["edited"] if "edited" in comp.table else []
    return [isinstance(v, str) and bool(v) for v in column]


def _edited_note(comp: Comparison) -> str:
    """A note under the table when a run's metrics.json or config.yaml was changed."""
    n = sum(_edited(comp))
    if not n:
        return ""
    return (f"{EDITED_MARK.strip()}: {n} run{'s' * (n != 1)} whose metrics.json or config.yaml differ from the "
            "SHA-256 in their run.json (changed after the run); their numbers or settings may not be the run's")


def _more_params(comp: Comparison) -> str:
    more = [] if comp.columns else comp.params[MAX_TEXT_PARAMS:]
    if not more:
        return ""
    return (f"{len(more)} more differing setting{'s' * (len(more) != 1)} not shown: {', '.join(more)} "
            "(--format csv or json has them all)")


def _sections(comp: Comparison) -> list[tuple[str, pd.DataFrame, list[str]]]:
    out = []
    if len(comp.not_ranked):
        died = ", died" if (comp.not_ranked["status"] == "died").any() else ""
        out.append((f"not ranked ({len(comp.not_ranked)} failed, running{died} or unreadable)",
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
        parts += [_text_table(*_shown(comp))] + [n for n in (_more_params(comp), _edited_note(comp)) if n]
    for title, frame, columns in _sections(comp):
        parts += ["", title + ":", _text_table(columns, _cells(frame, columns))]
    return "\n".join(parts) + "\n"


def _render_markdown(comp: Comparison) -> str:
    parts = [_title(comp), ""]
    if len(comp.table):
        parts += [_md_table(*_shown(comp)), ""] + [x for n in (_more_params(comp), _edited_note(comp)) if n
                                                   for x in (n, "")]
    for title, frame, columns in _sections(comp):
        parts += [f"**{title}**", "", _md_table(columns, _cells(frame, columns)), ""]
    return "\n".join(parts)


def _flat_frame(comp: Comparison) -> pd.DataFrame:
    import pandas as pd

    ranked = comp.table.assign(status="complete", error=None)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    others = pd.concat([f for f in (comp.not_ranked, comp.sweeps) if len(f)], ignore_index=True) \
        if len(comp.not_ranked) or len(comp.sweeps) else None
    columns = list(dict.fromkeys(["rank", "run", "config_name", "kind", "status", *comp.params, *comp.metrics,
                                  "error", "edited", "path"]))
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


def render(comp: Comparison, fmt: str) -> str:
    """The comparison as ``text``, ``markdown``, ``csv`` or ``json`` (checked by the caller)."""
    if comp.groups is not None:
        return _render_groups(comp, fmt)
    return _render_side(comp, fmt) if comp.side_by_side else _RENDERERS[fmt](comp)


def _render_groups(comp: Comparison, fmt: str) -> str:
    """``--group-by``: one row per group, each numeric column as ``mean ± std`` (csv and json:
    ``<column> mean`` and ``<column> std`` apart)."""
    groups, keys = comp.groups, comp.group_by or []
    assert groups is not None
    if fmt == "csv":
        return groups.to_csv(index=False, lineterminator="\n")
    if fmt == "json":
        data = {"source": comp.source, "group_by": keys, "groups": _records(groups),
                "not_ranked": _records(comp.not_ranked)}
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    numeric = [c.removesuffix(" mean") for c in groups.columns if c.endswith(" mean")]
    headers = [*keys, "n", *numeric]
    rows = [[fmt_value(_jsonable(rec[k])) for k in keys] + [str(rec["n"])]
            + [_spread(rec[f"{c} mean"], rec[f"{c} std"]) for c in numeric] for rec in groups.to_dict("records")]
    n = len(comp.table)
    title = (f"{len(groups)} group{'s' * (len(groups) != 1)} of {n} complete run{'s' * (n != 1)} in {comp.source} "
             f"by {', '.join(keys)}: mean ± std (n-1) over each group's runs")
    table = _text_table(headers, rows) if fmt == "text" else _md_table(headers, rows)
    parts = [title, table] if fmt == "text" else [title, "", table]
    for section_title, sub, columns in _sections(comp):
        draw = _text_table if fmt == "text" else _md_table
        parts += ["", section_title + ":", draw(columns, _cells(sub, columns))]
    return "\n".join(parts) + "\n"


def _spread(mean: Any, std: Any) -> str:
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return fmt_value(mean)
    return f"{fmt_value(mean)} ± {fmt_value(std)}"


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
        row = {"section": section, "item": item, **{i: _jsonable(v) for i, v in zip(ids, values, strict=True)}}
        if section == "metric":
            row.update({f"delta {i}": _delta(v, values[0]) for i, v in zip(ids[1:], values[1:], strict=True)})
        rows.append(row)
    columns = ["section", "item", *ids, *[f"delta {i}" for i in ids[1:]]]
    return pd.DataFrame(rows, columns=columns)


def _delta(value: Any, base: Any) -> float | None:
    value, base = _jsonable(value), _jsonable(base)
    if value is None or base is None or not (is_number(value) and is_number(base)):
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
    headers = ["", *(i + EDITED_MARK * e for i, e in zip(ids, _edited(comp), strict=True))]
    table = _text_table(headers, rows) if fmt == "text" else _md_table(headers, rows)
    parts = ([title, "", table] if fmt == "markdown" else [title, table]) + \
        ([_edited_note(comp)] if _edited_note(comp) else [])
    for section_title, sub, columns in _sections(comp):
        render = _text_table if fmt == "text" else _md_table
        parts += ["", section_title + ":", render(columns, _cells(sub, columns))]
    return "\n".join(parts) + "\n"


def _text_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    numeric = [all(_looks_numeric(r[i]) for r in rows) and bool(rows) for i in range(len(headers))]
    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric, strict=True)).rstrip()
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


