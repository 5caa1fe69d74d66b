"""A researcher's own corpus, as the README's "Your own corpus in one step" shows it: the
commands of that section run as written on 60 real hyperpartisan articles written out as a
folder of .txt + metadata.csv and as one CSV; ``read_corpus`` on a DataFrame; ``run.clean``;
and ``apply`` keeping every column of the corpus."""

from __future__ import annotations

import csv
import json
import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest

import research
from research.clean.cache import cache_key, code_fingerprint, entry_path
from research.clean.cache_entry import read_entry
from research.cli.main import main
from research.cli.make import command
from research.config.load import load_config
from research.errors import ConfigError, CorpusError
from research.experiment.apply import apply_run
from tests.helpers import ROOT, run_dirs

pytestmark = pytest.mark.shared_data

N_DOCS = 60
SECTION = "### Your own corpus in one step"
# only shorten the fits; the corpus settings are the README's own
FASTER = ["topics.evaluate.stability_seeds=[]", "topics.lda_gensim.passes=3", "topics.lda_gensim.iterations=20",
          "topics.evaluate.coherence=[c_npmi]"]


def _articles(shared_data: Path) -> list[dict]:
    path = shared_data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl"
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line, _ in zip(handle, range(N_DOCS), strict=False)]


def _write_corpora(root: Path, articles: list[dict]) -> None:
    """``root/my_corpus/`` (.txt files + metadata.csv with the default column names and a
    url column) and ``root/my_news.csv`` (other column names), as the README describes."""
    folder = root / "my_corpus"
    folder.mkdir()
    with (folder / "metadata.csv").open("w", newline="", encoding="utf-8") as meta, \
            (root / "my_news.csv").open("w", newline="", encoding="utf-8") as news:
        rows, table = csv.writer(meta), csv.writer(news)
        rows.writerow(["file", "outlet", "date", "title", "label", "url"])
        table.writerow(["body", "site", "published", "headline", "hyperpartisan", "url"])
        for a in articles:
            (folder / f"article_{a['id']}.txt").write_text(a["text"], encoding="utf-8")
            rows.writerow([f"article_{a['id']}.txt", a["domain"], a["published_at"], a["title"],
                           a["hyperpartisan"], a["url"]])
            table.writerow([a["text"], a["domain"], a["published_at"], a["title"], a["hyperpartisan"], a["url"]])


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start)
    return text[start:end]


def _blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def _make_lines(section: str) -> list[list[str]]:
    lines = [line.split("#")[0].strip() for block in _blocks(section, "bash") for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("make experiment")]


@pytest.fixture(scope="module")
def project(tmp_path_factory, shared_data):
    """A project folder (with configs/) beside my_corpus/ and my_news.csv, the README's layout."""
    root = tmp_path_factory.mktemp("own")
    articles = _articles(shared_data)
    _write_corpora(root, articles)
    (root / "project").mkdir()
    shutil.copytree(ROOT / "configs", root / "project" / "configs")
    (yaml_block,) = _blocks(_readme_section(), "yaml")
    (root / "project" / "my_news.yaml").write_text(yaml_block, encoding="utf-8")
    return root / "project", {str(a["id"]): a for a in articles}


def _run_make_line(words: list[str], monkeypatch, project_dir: Path) -> Path:
    """A README ``make experiment ...`` line, through the Makefile's own argument builder."""
    values = dict(w.split("=", 1) for w in words[2:])
    args = command(words[1], values)[3:]
    cut = args.index("--")
    args = [*args[:cut], *(f"--set={s}" for s in FASTER), *args[cut:]]
    monkeypatch.chdir(project_dir)
    before = set(run_dirs(project_dir / "results"))
    assert main(args) == 0
    (new,) = set(run_dirs(project_dir / "results")) - before
    return new


def _doc_topics(run: Path) -> dict[str, dict]:
    with (run / "doc_topics.csv").open(encoding="utf-8") as handle:
        return {r["id"]: r for r in csv.DictReader(handle)}


def test_readme_quick_start_has_the_commands_tested_here(project, monkeypatch):
    project_dir, _ = project
    lines = _make_lines(_readme_section())
    assert [w[2] for w in lines] == ["CONFIG=lda.yaml", "CONFIG=my_news.yaml", "CONFIG=my_news.yaml"]
    monkeypatch.chdir(project_dir)   # the override line: the same file, its SET applied
    sets = dict(w.split("=", 1) for w in lines[2][2:])["SET"].split()
    config = load_config("my_news.yaml", sets)
    assert (config["topics"]["num_topics"], config["seed"], config["corpus"]["text_column"]) == (20, 7, "body")


@pytest.mark.parametrize(("line", "id_of", "kept"), [
    (0, lambda i: f"article_{i}", ()),                  # the folder, default column names
    (1, lambda i: str(int(i) + 1), ("url",)),           # the CSV, mapped by my_news.yaml (ids: row numbers)
], ids=["folder", "csv"])
def test_readme_quick_start_command_runs(project, monkeypatch, line, id_of, kept):
    project_dir, articles = project
    run = _run_make_line(_make_lines(_readme_section())[line], monkeypatch, project_dir)
    assert json.loads((run / "run.json").read_text())["status"] == "complete"
    rows = _doc_topics(run)
    assert len(rows) == N_DOCS   # whole articles, none lost in the mapping
    for key, a in articles.items():
        row = rows[id_of(key)]
        assert (row["outlet"], row["date"], row["title"], row["label"], *(row[k] for k in kept)) == tuple(
            a[k] or "" for k in ("domain", "published_at", "title", "hyperpartisan", *kept))
    outlets = pd.read_csv(run / "prevalence_by_outlet.csv")
    assert set(outlets.iloc[:, 0]) <= {a["domain"] for a in articles.values()} and len(outlets) > 1


def test_read_corpus_takes_a_dataframe_mapped_like_a_csv(shared_data):
    frame = pd.read_json(shared_data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl", lines=True).head(N_DOCS)
    frame.loc[3, "domain"] = None
    docs = research.read_corpus(frame, outlet_column="domain", date_column="published_at",
                                label_column="hyperpartisan", keep_columns=["url"], where={"hyperpartisan": "true"})
    expected = frame[frame["hyperpartisan"].astype(str) == "true"]
    assert [d.id for d in docs] == [str(i) for i in expected["id"]]
    first = docs[0]
    row = expected.iloc[0]
    assert (first.text, first.title, first.outlet, first.date, first.label, first.meta) == (
        row["text"], row["title"], row["domain"], row["published_at"].date().isoformat(), "true", {"url": row["url"]})
    assert research.read_corpus(frame, outlet_column="domain")[3].outlet is None   # NaN is no value
    by_index = research.read_corpus(frame.set_index("url"), id_column=None, limit=5, keep_columns="all")
    assert [d.id for d in by_index] == list(frame["url"][:5])
    assert set(by_index[0].meta) == {"id", "title", "published_at", "domain", "hyperpartisan", "labeled_by"}
    with pytest.raises(CorpusError, match="DataFrame: no text column 'body'.*set text_column"):
        research.read_corpus(frame, text_column="body")
    with pytest.raises(ConfigError, match="corpus.keep_column"):
        research.read_corpus(frame, keep_column=["url"])
    assert len(research.read_corpus({"source": "sample", "limit": 2})) == 2   # a corpus: mapping, partial


def test_run_clean_reproduces_the_runs_own_tokens(project, monkeypatch):
    project_dir, _ = project
    monkeypatch.chdir(project_dir)
    config = load_config("tfidf.yaml", ["corpus.source=../my_corpus", "clean.tokens.phrases.enabled=true",
                                        "clean.tokens.phrases.min_count=3"])
    path = research.run_experiment(config, results_dir=project_dir / "results")
    run = research.load_run(path)
    raw = research.read_corpus(run.config["corpus"])
    records = {d["id"]: d["cleaning"] for d in json.loads((path / "data.json").read_text())["documents"]}
    settings = run.config["clean"]
    key = cache_key(raw, settings, code_fingerprint())   # the run's own tokens, as its cleaning stored them
    assert json.loads((path / "run.json").read_text())["clean_cache"]["entry"] == entry_path(Path(), key).name
    stored = read_entry(entry_path(project_dir / "results" / ".cache", key), key, code_fingerprint(), raw, settings)
    tokens = dict(zip((d.id for d in stored.documents), stored.tokens, strict=True))
    cleaned = run.clean([d.text for d in raw])
    alone = [i for i, d in enumerate(raw) if d.id in tokens
             and not any(r["reason"] == "repeated_line" for r in records[d.id]["lines_removed"])]
    assert len(alone) >= N_DOCS - 10
    for i in alone:
        assert cleaned[i] == tokens[raw[i].id]
        assert len(cleaned[i]) == records[raw[i].id]["n_tokens"]
    assert any("_" in t for i in alone for t in cleaned[i])   # the run's learned phrases are applied
    assert run.clean(raw[alone[0]].text) == [tokens[raw[alone[0]].id]]


def test_apply_keeps_every_column_and_leaves_no_empty_folder(project, tmp_path_factory):
    project_dir, articles = project
    results = tmp_path_factory.mktemp("apply")
    tone = research.run_experiment(load_config("tone.yaml"), results_dir=results)
    out = apply_run(tone, str(project_dir.parent / "my_news.csv"), results_dir=results,
                    overrides=["corpus.text_column=body", "corpus.outlet_column=site"])
    frame = pd.read_csv(out / "predictions.csv", dtype=str, keep_default_na=False)
    assert {"site", "published", "headline", "hyperpartisan", "url"} <= set(frame.columns)
    assert list(frame["outlet"]) == list(frame["site"]) == [a["domain"] for a in articles.values()]
    assert "body" not in frame.columns and len(frame) == N_DOCS
    assert list(frame["url"]) == [a["url"] for a in articles.values()]
    assert not [p for p in out.rglob("*") if p.is_dir() and not any(p.iterdir())]
    with pytest.raises(CorpusError, match="no text column 'text'"):   # a failed apply: no empty folder either
        apply_run(tone, str(project_dir.parent / "my_news.csv"), results_dir=results)
    with pytest.raises(ConfigError, match="only engine.* and corpus.* keys"):
        apply_run(tone, str(project_dir.parent / "my_news.csv"), results_dir=results, overrides=["seed=3"])
    leftovers = [p for p in results.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert not leftovers
