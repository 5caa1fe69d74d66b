"""Which runs and columns a comparison shows, as the tracking tools let you choose them.

* ``--where`` / ``WHERE``: ``key=value``, ``key!=value``, and on numbers ``key>x``, ``key>=x``,
  ``key<x``, ``key<=x`` (``==`` is ``=``), on config keys (``topics.num_topics>=10``),
  run.json fields (``status=failed``) and metrics (``c_npmi>0.1``); all must hold. A run
  whose value is missing, or not a number for an order, does not match. A key no run has is
  one error line listing the closest names.
* ``--columns`` / ``COLUMNS``: the columns to show after ``run`` (any config key, metric or
  run.json field), in that order.
* ``--group-by`` / ``GROUP``: one row per combination of these keys, with ``n`` (runs) and the
  mean and standard deviation (``std``, n-1 in the denominator; empty for one run) of each
  numeric column: the spread over seeds of one setting.
"""

from __future__ import annotations

import difflib
import math
import re
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import yaml

from research.errors import ConfigError
from research.runs.summary import RUN_FIELDS, YAML_LOADER, RunSummary, is_number

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ORDERS", "apply_where", "close_names", "group_runs", "known_names", "parse_where", "split_where",
           "split_words"]

ORDERS = (">=", "<=", "!=", "==", "=", ">", "<")
_FILTER = re.compile(r"^([^<>=!]+)(>=|<=|!=|==|=|>|<)(.*)$", re.S)
_COMPARE = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b}


def split_words(option: str, items: Sequence[str]) -> list[str]:
    """``["a=1 b=2"]`` -> ``["a=1", "b=2"]`` (shell-like quoting keeps spaces)."""
    out = []
    for item in items:
        try:
            out += shlex.split(item)
        except ValueError as exc:
            raise ConfigError(f"{option} {item}: {exc}") from None
    return out


def split_where(items: Sequence[str]) -> list[str]:
    return split_words("--where", items)


def parse_where(item: str) -> tuple[str, str, str]:
    """``key<op>value`` -> (key, op, value) with op one of :data:`ORDERS` (``==`` read as ``=``)."""
    found = _FILTER.match(item)
    if not found or not found.group(1).strip():
        raise ConfigError(f"--where '{item}' must look like key=value, key!=value or key>number (also >=, <, <=), "
                          "e.g. model.kind=nmf, c_npmi>0.1, topics.num_topics>=10")
    key, op, raw = found.group(1).strip(), found.group(2), found.group(3).strip()
    op = "=" if op == "==" else op
    if op in _COMPARE and _number(raw) is None:
        raise ConfigError(f"--where '{item}': '{op}' compares numbers; give one after it (e.g. {key}{op}0.1)")
    return key, op, raw


def known_names(runs: Sequence[RunSummary]) -> list[str]:
    """Every name a filter or column may use: run.json fields, config keys, metrics."""
    names: dict[str, None] = dict.fromkeys(RUN_FIELDS)
    for run in runs:
        names.update(dict.fromkeys(run.config))
        names.update(dict.fromkeys(run.metrics))
    return list(names)


def close_names(name: str, runs: Sequence[RunSummary]) -> str:
    """' (close: a, b)' for the known names nearest ``name``, or '' when none is near."""
    known = known_names(runs)
    tail = {k.rsplit(".", 1)[-1]: k for k in known}
    close = difflib.get_close_matches(name, known, n=5, cutoff=0.6)
    close += [tail[t] for t in difflib.get_close_matches(name.rsplit(".", 1)[-1], list(tail), n=3, cutoff=0.75)
              if tail[t] not in close]
    return f" (close: {', '.join(close[:5])})" if close else ""


def apply_where(runs: list[RunSummary], sweeps: list[RunSummary],
                items: list[str]) -> tuple[list[RunSummary], list[RunSummary]]:
    """The runs and sweeps for which every filter holds."""
    for item in items:
        key, op, raw = parse_where(item)
        if runs + sweeps and not any(s.lookup(key)[0] for s in runs + sweeps):
            raise ConfigError(f"--where {item}: no run has '{key}'{close_names(key, runs + sweeps)}; use a run.json "
                              f"field ({', '.join(RUN_FIELDS[1:])}), a dotted config key (e.g. model.kind) or a metric")
        runs = [s for s in runs if _matches(s, key, op, raw)]
        sweeps = [s for s in sweeps if _matches(s, key, op, raw)]
    return runs, sweeps


def _matches(summary: RunSummary, key: str, op: str, raw: str) -> bool:
    """Whether the run's ``key`` satisfies ``op raw``; a run without the key matches nothing."""
    found, value = summary.lookup(key)
    if not found:
        return False
    if op in _COMPARE:
        return is_number(value) and not math.isnan(value) and _COMPARE[op](value, _number(raw))
    return _same(value, raw) == (op == "=")


def _number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _same(value: Any, raw: str) -> bool:
    import json

    try:
        parsed = yaml.load(raw, Loader=YAML_LOADER) if raw else ""
    except (yaml.YAMLError, ValueError, OverflowError):   # ValueError: 'date=2019-02-30', a 5,000-digit int
        parsed = raw
    if is_number(value) and is_number(parsed):
        return math.isclose(value, parsed, rel_tol=1e-12, abs_tol=0.0)  # type: ignore[arg-type]
    canonical = json.dumps(value, sort_keys=True, default=str) == json.dumps(parsed, sort_keys=True, default=str)
    return value == parsed or str(value) == raw or canonical


def group_runs(table: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """One row per combination of ``keys``: the keys, ``n`` and ``<column> mean`` / ``<column> std``
    for each numeric column of ``columns`` (in table order of first appearance)."""
    import pandas as pd

    numeric = [c for c in columns if c not in keys and pd.api.types.is_numeric_dtype(table[c])
               and not pd.api.types.is_bool_dtype(table[c])]
    rows = []
    for _, part in table.groupby([table[k].map(_hashable) for k in keys], sort=False, dropna=False):
        row: dict[str, Any] = {k: part[k].iloc[0] for k in keys}
        row["n"] = len(part)
        for column in numeric:
            found = part[column].dropna()
            row[f"{column} mean"] = float(found.mean()) if len(found) else math.nan
            row[f"{column} std"] = float(found.std(ddof=1)) if len(found) > 1 else math.nan
        rows.append(row)
    out = [*keys, "n", *(f"{c} {s}" for c in numeric for s in ("mean", "std"))]
    return pd.DataFrame(rows, columns=out)


def _hashable(value: Any) -> Any:
    import json

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return value if isinstance(value, (str, int, float, bool)) else json.dumps(value, sort_keys=True, default=str)
