"""HTML building blocks of the report: escaping, number formatting, tables (long ones folded
into <details> and paged by a small inline script), and tolerant readers of run files."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

PAGE_ROWS = 25          # rows per page of a long table
FOLD_ROWS = 12          # tables longer than this start folded

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;
padding:0 1.2rem 3rem;color:#1d2329;background:#fff}
h1{font-size:1.5rem;margin:1.4rem 0 .3rem}h2{font-size:1.2rem;margin:2.2rem 0 .6rem;
border-bottom:1px solid #d6dbe0;padding-bottom:.2rem}h3{font-size:1.02rem;margin:1.3rem 0 .4rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:13.5px}
th,td{border:1px solid #d6dbe0;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f8fa;border:1px solid #d6dbe0;padding:.7rem;overflow:auto;font-size:12.5px}
figure{margin:1.2rem 0}figure img{max-width:100%;height:auto;border:1px solid #e3e6e9}
figcaption{font-size:13.5px;color:#3d4750;max-width:62rem}.muted{color:#59636e}
.bad{color:#b3261e;font-weight:600}.lead{font-size:1.02rem;max-width:62rem}
nav a{margin-right:.8rem}details{margin:.4rem 0}summary{cursor:pointer;font-weight:600}
.words span{white-space:nowrap;margin-right:.45rem}.meaning{color:#3d4750;font-size:13.5px}
.pager{font-size:13px;margin:-.6rem 0 1rem}.pager button{margin-right:.4rem}
.plot{width:100%;min-height:420px;border:1px solid #e3e6e9}
"""

PAGER_JS = """
document.querySelectorAll('table[data-page]').forEach(function(t){
 var size=+t.dataset.page,rows=Array.prototype.slice.call(t.tBodies[0].rows),page=0,
 pages=Math.ceil(rows.length/size),bar=document.createElement('div');bar.className='pager';
 var prev=document.createElement('button'),next=document.createElement('button'),
 label=document.createElement('span');prev.textContent='previous';next.textContent='next';
 function show(){rows.forEach(function(r,i){r.style.display=(i>=page*size&&i<(page+1)*size)?'':'none';});
  label.textContent=' page '+(page+1)+' of '+pages+' ('+rows.length+' rows) ';
  prev.disabled=page===0;next.disabled=page>=pages-1;}
 prev.onclick=function(){page--;show();};next.onclick=function(){page++;show();};
 bar.appendChild(prev);bar.appendChild(next);bar.appendChild(label);
 t.parentNode.insertBefore(bar,t.nextSibling);show();});
"""


def e(value: Any) -> str:
    """``value`` as escaped HTML text (None as empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any) -> str:
    """A readable number or text: 4 significant digits, whole floats without a fraction."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def first(*values: Any) -> Any:
    """The first value that is not None, NaN or empty (a CSV's missing cells), else ""."""
    return next((v for v in values if v is not None and v == v and v != ""), "")


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def interval(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return f"[{fmt(float(value[0]))}, {fmt(float(value[1]))}]"
    return ""


def kv_table(items: Iterable[tuple[Any, Any]]) -> str:
    return table(["", ""], [[k, fmt(v)] for k, v in items], header=False)


def table(headers: Sequence[Any], rows: Sequence[Sequence[Any]], raw: bool = False,
          header: bool = True, summary: str | None = None, fold: bool = True) -> str:
    """An HTML table; cells are escaped unless ``raw`` (then the caller escaped them). Cells
    that read as numbers are right-aligned. Longer than :data:`FOLD_ROWS` rows: folded into
    <details> (``summary`` names it; not when ``fold`` is false) and paged, :data:`PAGE_ROWS` rows at a time."""
    head = "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr></thead>" if header else ""
    body = "".join("<tr>" + "".join(_cell(c, raw) for c in row) + "</tr>" for row in rows)
    paged = f' data-page="{PAGE_ROWS}"' if len(rows) > PAGE_ROWS else ""
    out = f"<table{paged}>{head}<tbody>{body}</tbody></table>"
    if fold and len(rows) > FOLD_ROWS:
        out = f"<details><summary>{e(summary or 'table')} ({len(rows):,} rows)</summary>{out}</details>"
    return out


def _cell(value: Any, raw: bool) -> str:
    text = str(value)
    try:
        numeric = bool(text.strip()) and math.isfinite(float(text))
    except ValueError:
        numeric = False
    css = ' class="n"' if numeric else ""
    return f"<td{css}>{text if raw else e(text)}</td>"


def load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_csv(path: Path):
    """``path`` as a DataFrame, or None when it is missing or unreadable (its section is then
    left out)."""
    if not path.is_file():
        return None
    import pandas as pd

    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, pd.errors.ParserError):
        return None
