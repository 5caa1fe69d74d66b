"""A whole topic run writes topics_over_time.csv and its figure (topics.over_time), reading
dates written in several forms; sparse periods are marked, unreadable dates named."""

import csv
import datetime as dt
import email.utils
import json

import matplotlib.image
import pytest

from research.cli.main import main
from research.evaluate.over_time import COLUMNS
from tests.helpers import run_dirs

WRITE = (lambda d: d.isoformat(), lambda d: d.strftime("%b %d, %Y"),
         lambda d: email.utils.format_datetime(dt.datetime(d.year, d.month, d.day, 9, tzinfo=dt.UTC)),
         lambda d: d.strftime("%d %B %Y"), lambda d: d.strftime("%d/%m/%Y"))
BROKEN = {1: "n/a", 4: "sometime in 2017", 7: "2017"}


def _cli(results, *overrides):
    args = ["experiment", "nmf.yaml", "--results", str(results)]
    for item in ("topics.num_topics=5", "topics.evaluate.stability_seeds=[]", "topics.evaluate.coherence=[c_npmi]",
                 *overrides):
        args += ["--set", item]
    assert main(args) == 0
    return run_dirs(results)[-1]


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def hyperpartisan_run(shared_data, tmp_path_factory):
    """Every fourth article, its date rewritten in one of five forms (numeric ones day first),
    three made unreadable."""
    folder = tmp_path_factory.mktemp("over_time")
    with open(shared_data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for i, line in enumerate(handle) if i % 4 == 0]
    iso = {r["id"]: r["published_at"] for r in rows}
    for i, row in enumerate(rows):
        if row["published_at"]:
            row["published_at"] = BROKEN.get(i) or WRITE[i % len(WRITE)](dt.date.fromisoformat(row["published_at"]))
    source = folder / "hyperpartisan_mixed_dates.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    run = _cli(folder / "results", f"corpus.source={source}", "corpus.unit=document", "corpus.date_column=published_at",
               "corpus.outlet_column=domain", "corpus.label_column=hyperpartisan", "corpus.date_dayfirst=true",
               "topics.evaluate.group_by=[label, month]", "topics.over_time.freq=quarter",
               "clean.tokens.lemmatize=false")
    return run, iso, [rows[i]["id"] for i in BROKEN]


@pytest.mark.shared_data
def test_run_writes_topics_over_time_with_the_schema(hyperpartisan_run):
    run, _, _ = hyperpartisan_run
    with (run / "topics_over_time.csv").open(encoding="utf-8") as handle:
        assert handle.readline().strip() == ",".join(COLUMNS)
    rows = _rows(run / "topics_over_time.csv")
    assert {int(r["topic"]) for r in rows} == set(range(5))
    assert {r["enough"] for r in rows} == {"true", "false"}
    for r in rows:
        assert dt.date.fromisoformat(r["period_start"]).day == 1 and r["period"][-2:] in ("Q1", "Q2", "Q3", "Q4")
        if r["enough"] == "false":
            assert r["share_low"] == r["share_high"] == "" and int(r["documents"]) < 5
        else:
            assert float(r["share_low"]) <= float(r["share"]) <= float(r["share_high"]) and r["words"]
        if r["documents"] == "0":
            assert r["share"] == r["words"] == ""
    image = matplotlib.image.imread(run / "figures" / "topics_over_time.png")
    assert image.shape[1] >= 1200
    assert (run / "prevalence_by_month.csv").exists()   # month in group_by still works
    assert "topics_over_time.csv (topics.over_time) is the better view" in (run / "log.txt").read_text()


@pytest.mark.shared_data
def test_dates_in_every_form_land_in_their_quarter(hyperpartisan_run):
    run, iso, broken = hyperpartisan_run
    kept = [r["id"] for r in _rows(run / "doc_topics.csv")]
    expected: dict[str, int] = {}
    for doc in kept:
        if iso[doc] and doc not in broken:
            day = dt.date.fromisoformat(iso[doc])
            key = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
            expected[key] = expected.get(key, 0) + 1
    counts = {r["period"]: int(r["documents"]) for r in _rows(run / "topics_over_time.csv") if r["topic"] == "0"}
    assert {p: n for p, n in counts.items() if n} == {p: expected[p] for p in counts if p in expected}
    summary = json.loads((run / "metrics.json").read_text())["over_time"]
    assert summary["freq"] == "quarter" and summary["periods"] == len(counts) >= 2
    assert summary["periods_enough"] == sum(n >= 5 for n in counts.values())
    assert summary["documents_dated"] == sum(expected.values()) == sum(counts.values()) + summary["documents_outside"]
    assert summary["documents_undated"] == sum(not iso[d] for d in kept) > 0


@pytest.mark.shared_data
def test_unreadable_dates_are_one_named_warning(hyperpartisan_run):
    run, _, broken = hyperpartisan_run
    kept = {r["id"] for r in _rows(run / "doc_topics.csv")}
    warnings = [w for w in json.loads((run / "run.json").read_text())["warnings"] if "could not be read" in w]
    assert len(warnings) == 1
    named = [doc for doc in broken if doc in kept]
    assert warnings[0].startswith(f"{len(named)} document(s)") and all(doc in warnings[0] for doc in named)
    assert json.loads((run / "metrics.json").read_text())["over_time"]["documents_unparsed"] == len(named) > 0


def test_freq_none_switches_it_off(tmp_path):
    run = _cli(tmp_path, "topics.over_time.freq=none")
    assert not (run / "topics_over_time.csv").exists() and not (run / "figures" / "topics_over_time.png").exists()
    assert "over_time" not in json.loads((run / "metrics.json").read_text())


def test_no_readable_date_says_why_in_one_line(tmp_path):
    run = _cli(tmp_path, "corpus.date_column=genre")   # the sample's genre column: 'news report', ...
    log = (run / "log.txt").read_text()
    assert log.count("topics over time left out: no document has a readable date") == 1
    assert not (run / "topics_over_time.csv").exists()
    summary = json.loads((run / "metrics.json").read_text())["over_time"]
    assert summary["documents_dated"] == 0 and summary["documents_unparsed"] > 0 and summary["periods"] == 0
