"""Publication dates in their common written forms, on the hyperpartisan corpus's real dates."""

import datetime as dt
import email.utils
import json
import re

import numpy as np
import pytest

from research.corpus.dates import parse_date, parse_dates

HYPERPARTISAN = ("hyperpartisan", "hyperpartisan_byarticle.jsonl")


@pytest.fixture(scope="module")
def rows(shared_data):
    with open(shared_data.joinpath(*HYPERPARTISAN), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def days(rows):
    """Distinct real publication days of the corpus (ISO in the file)."""
    return sorted({dt.date.fromisoformat(r["published_at"]) for r in rows if r["published_at"]})


FORMATS = {
    "iso": lambda d: d.isoformat(),
    "iso_time_utc": lambda d: f"{d.isoformat()}T12:00:00Z",
    "iso_time_offset": lambda d: f"{d.isoformat()}T23:30:00-05:00",   # the day as written, not converted
    "month_name_first": lambda d: d.strftime("%b %d, %Y"),
    "day_first_long": lambda d: d.strftime("%d %B %Y"),
    "rfc2822": lambda d: email.utils.format_datetime(dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.UTC)),
    "year_first_slashes": lambda d: d.strftime("%Y/%m/%d"),
}


@pytest.mark.shared_data
@pytest.mark.parametrize("form", sorted(FORMATS))
@pytest.mark.parametrize("dayfirst", [False, True])
def test_every_supported_form_gives_the_same_day(days, form, dayfirst):
    written = [FORMATS[form](d) for d in days]
    assert [parse_date(w, dayfirst) for w in written] == days, written[:3]


@pytest.mark.shared_data
def test_dayfirst_decides_numeric_dates(days):
    ambiguous = [d for d in days if d.day <= 12 and d.day != d.month]
    assert len(ambiguous) > 20
    day_month = [d.strftime("%d/%m/%Y") for d in ambiguous]
    assert [parse_date(w, dayfirst=True) for w in day_month] == ambiguous
    swapped = [parse_date(w, dayfirst=False) for w in day_month]
    assert swapped == [dt.date(d.year, d.day, d.month) for d in ambiguous]
    assert parse_date("10/09/2017", dayfirst=False) == dt.date(2017, 10, 9)
    assert parse_date("10/09/2017", dayfirst=True) == dt.date(2017, 9, 10)


@pytest.mark.parametrize("value", ["2017", "Sep 2017", "n/a", "yesterday", "2019-02-30", "31/31/2017", "10"])
def test_values_that_name_no_day_are_not_guessed(value):
    assert parse_date(value) is None and parse_date(value, dayfirst=True) is None


@pytest.mark.shared_data
def test_unreadable_dates_are_counted_and_named_once(rows):
    sample = rows[::5]
    values = [r["published_at"] or None for r in sample]
    broken = {3: "n/a", 10: "Sep 2017", 17: "31/31/2017"}
    for i, value in broken.items():
        values[i] = value
    ids = [r["id"] for r in sample]
    parsed = parse_dates(values, ids)
    undated = sum(v is None for v in values)
    assert undated > 0 and parsed.undated == undated and parsed.unparsed == 3
    assert parsed.dated == len(values) - undated - 3
    assert all(np.isnat(parsed.days[i]) for i in broken)
    assert parsed.days[0] == np.datetime64(values[0])
    message = parsed.warning()
    assert message is not None and message.startswith("3 document(s) have a date that could not be read")
    for i, value in broken.items():
        assert f"{ids[i]} ({value!r})" in message


def test_warning_names_the_first_few_and_counts_the_rest():
    values = ["soon", "later", "soon", "tbc", "a", "b", "c", "d", "2017-09-10", "e"]
    parsed = parse_dates(values, [f"doc{i}" for i in range(len(values))])
    message = parsed.warning()
    assert parsed.unparsed == 9 and parsed.dated == 1
    assert "doc0 and 1 more ('soon')" in message and "doc1 ('later')" in message and "doc5 ('b')" in message
    assert len(re.findall(r"doc\d", message)) == 5 and "and 3 more with other values" in message
