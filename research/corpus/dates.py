"""Publication dates read from the strings corpora hold them in.

Accepted: ISO 8601 (``2017-09-10``, ``2017-09-10T12:00:00Z``), month names (``Sep 10, 2017``,
``10 September 2017``), RFC 2822 (``Sun, 10 Sep 2017 12:00:00 +0000``) and numeric dates
(``10/09/2017``: the 9th of October, or the 10th of September with ``dayfirst``; the
``corpus.date_dayfirst`` key). The result is the calendar day as written: a time zone is
not converted (``2017-09-10T23:30:00-05:00`` is the 10th). A value must name a day: ``2017``
or ``Sep 2017`` are not precise enough and count as unparsed, like ``n/a`` or ``yesterday``.

Nothing is dropped silently: :func:`parse_dates` counts the documents without a date and
those whose date could not be read, and names the first few of the latter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from dateutil import parser as date_parser

__all__ = ["ParsedDates", "parse_date", "parse_dates"]

_ISO_DAY = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:$|[T\s])")
_YEAR_FIRST = re.compile(r"\s*\d{4}(?:[-/.]|\d{4}(?!\d))")   # 2017/09/10, 20170910: always year-month-day
# two defaults differing in year, month and day: a value that names all three parses to the
# same day with both; one that leaves any out (``2017``, ``Sep 2017``) does not
_DEFAULTS = (dt.datetime(2000, 1, 1), dt.datetime(2001, 2, 2))
EXAMPLES = 5


def _iso(text: str) -> dt.date | None:
    match = _ISO_DAY.match(text)
    if match is None:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:   # 2019-02-30
        return None


def parse_date(value: Any, dayfirst: bool = False) -> dt.date | None:
    """The day ``value`` names (a string in one of the accepted forms, a date or datetime),
    or None when it names none."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    found = _iso(text)
    if found is not None or _ISO_DAY.match(text):
        return found
    year_first = bool(_YEAR_FIRST.match(text))
    try:
        first, second = (date_parser.parse(text, dayfirst=dayfirst and not year_first, yearfirst=year_first,
                                           default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):   # dateutil's ParserError is a ValueError
        return None
    return first.date() if first.date() == second.date() else None


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or \
        (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class ParsedDates:
    """``days``: one ``datetime64[D]`` per document, NaT where it has no date (``undated``
    documents) or one that could not be read (``unparsed``; ``examples`` names the first few
    distinct unreadable values as ``(value, documents holding it, the first one's id)``)."""

    days: np.ndarray
    undated: int
    unparsed: int
    examples: tuple[tuple[str, int, str], ...]

    @property
    def dated(self) -> int:
        return int((~np.isnat(self.days)).sum())

    def warning(self, key: str = "corpus.date_column") -> str | None:
        """One sentence about the unreadable dates (None when every date was read)."""
        if not self.unparsed:
            return None
        named = ", ".join(f"{i} ({v!r})" if n == 1 else f"{i} and {n - 1} more ({v!r})" for v, n, i in self.examples)
        rest = self.unparsed - sum(n for _, n, _ in self.examples)
        more = f" and {rest} more with other values" if rest else ""
        return (f"{self.unparsed} document(s) have a date that could not be read as a day and are left out of "
                f"the analysis over time: {named}{more}; give dates as 2017-09-10, Sep 10, 2017, 10 September "
                f"2017, an RFC 2822 date or 10/09/2017 (corpus.date_dayfirst), or check {key}")


def parse_dates(values: Sequence[Any], ids: Sequence[str], dayfirst: bool = False) -> ParsedDates:
    """Every document's day (see :func:`parse_date`); each distinct string is parsed once."""
    if len(values) != len(ids):
        raise ValueError(f"{len(values)} dates for {len(ids)} documents")
    cache: dict[Any, dt.date | None] = {}
    days = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    undated, bad = 0, []
    for i, value in enumerate(values):
        if _missing(value):
            undated += 1
            continue
        key = value if isinstance(value, str) else repr(value)
        if key not in cache:
            cache[key] = parse_date(value, dayfirst)
        if cache[key] is None:
            bad.append(i)
        else:
            days[i] = np.datetime64(cache[key], "D")
    return ParsedDates(days, undated, len(bad), _examples([str(values[i]) for i in bad], [str(ids[i]) for i in bad]))


def _examples(values: list[str], ids: list[str]) -> tuple[tuple[str, int, str], ...]:
    """(value, how many documents hold it, the first one's id) for the first few distinct values."""
    found: dict[str, list] = {}
    for value, doc in zip(values, ids, strict=True):
        if value in found:
            found[value][0] += 1
        elif len(found) < EXAMPLES:
            found[value] = [1, doc]
    return tuple((value, n, doc) for value, (n, doc) in found.items())
