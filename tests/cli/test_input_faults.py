"""Issue 10, items 5, 6 and 9: values reach make targets literally, data is never dropped in
silence, and a config that is a folder is named as one."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import research
from research.cli.make import MakeError, command, words
from research.config.load import load_config
from research.corpus.read import CorpusWarning, read_corpus
from research.errors import ConfigError, CorpusError
from tests.helpers import ROOT, run_dirs

SPACED = "Pakistan US – Ärger 2018"


def corpus_settings(source, *sets):
    return load_config(None, [f"corpus.source={source}", *sets])["corpus"]


def make(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Real make on the project's Makefile, with this interpreter and no reinstall."""
    cmd = ["make", "--no-print-directory", "-o", ".venv/.installed", f"PY={sys.executable}", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def copy_sample(sample_dir: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for path in sample_dir.iterdir():
        if path.suffix in (".txt", ".csv"):
            shutil.copy(path, target / path.name)
    return target


# -- item 5: make variables ------------------------------------------------------------------
@pytest.mark.parametrize("config", ["tfidf.yaml;echo INJECTED", "tfidf.yaml$(shell echo INJECTED)",
                                    "tfidf.yaml`echo INJECTED`", "tfidf.yaml' ; echo INJECTED ; '"])
def test_make_never_runs_a_value_as_code(tmp_path, config):
    done = make("experiment", f"CONFIG={config}", f"RESULTS={tmp_path / 'results'}")
    assert done.returncode == 2
    assert "INJECTED" not in done.stdout.splitlines() and "INJECTED" not in done.stderr.splitlines()
    assert error_lines(done.stderr) == [f"error: config file not found: {config} (looked in ./ and configs/); "
                                        "give a path or a name from configs/"]
    assert "Traceback" not in done.stderr and not run_dirs(tmp_path / "results")


@pytest.mark.parametrize("target, variable", [("apply", "CORPUS"), ("compare", "SORT"), ("compare", "WHERE"),
                                              ("sweep", "GRID"), ("test", "PYTEST_ARGS")])
def test_every_target_keeps_values_out_of_the_shell(tmp_path, target, variable):
    done = make(target, "RUN=r", "CORPUS=c", "GRID=seed=1,2", f"RESULTS={tmp_path}", "CONFIG=tfidf.yaml",
                f"{variable}=x;echo INJECTED;'\"$$(echo INJECTED)")   # the last assignment wins
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "INJECTED" not in done.stdout.splitlines() + done.stderr.splitlines()


def test_make_runs_a_corpus_whose_path_has_spaces_quotes_and_non_ascii(tmp_path, sample_dir):
    corpus = copy_sample(sample_dir, tmp_path / SPACED)
    results = tmp_path / "runs it's – ü"
    sets = f"corpus.source='{corpus}' corpus.label_column=tone  corpus.date_column=published seed=7"
    done = make("experiment", "CONFIG=tfidf.yaml", f"SET={sets}", f"RESULTS={results}")
    assert done.returncode == 0, done.stderr
    [folder] = run_dirs(results)
    assert done.stdout.splitlines()[-1] == str(folder)
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    assert config["corpus"]["source"] == str(corpus) and config["seed"] == 7
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    docs = data["documents"] if isinstance(data, dict) else data
    assert sorted(d["id"] for d in docs) == sorted(p.stem for p in sample_dir.glob("*.txt"))
    assert {d["label"] for d in docs} == {"reported_news", "opinion", "promotional_opinion"}
    assert all(str(corpus) in d["source"] for d in docs)


def test_make_errors_are_one_line(tmp_path):
    for args, message in [
        (["experiment", "CONFIG=configs"], "error: config configs is a folder, not a config file; "
                                           "give one YAML file such as configs/lda.yaml"),
        (["experiment", "CONFIG=tfidf.yaml", "SET=corpus.source='unclosed"], "error: SET: No closing quotation"),
        (["apply", f"RESULTS={tmp_path}"], "error: make apply needs RUN and CORPUS"),
    ]:
        done = make(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        [line] = error_lines(done.stderr)
        assert line.startswith(message)


def test_make_help_documents_values_with_spaces():
    done = make("help")
    assert "RESULTS=" in done.stdout and "SET=\"corpus.source='../my data/corpus' seed=7\"" in done.stdout


def test_list_variables_split_like_shell_words_and_single_values_stay_whole():
    assert words("SET", "vectorizer.min_df=2   seed=7") == ["vectorizer.min_df=2", "seed=7"]
    assert words("SET", "corpus.source='/a b/Ärger' x=\"it's\"\nseed=1") == [
        "corpus.source=/a b/Ärger", "x=it's", "seed=1"]
    args = command("experiment", {"CONFIG": "-my config.yaml", "SET": "", "RESULTS": "r s"})
    assert args[1:] == ["-m", "research", "experiment", "--results=r s", "--", "-my config.yaml"]
    args = command("compare", {"RUNS": "'a b' c", "WHERE": "seed!=1 model.kind=nmf", "FORMAT": ""})
    assert args[3:] == ["compare", "--results=results", "--format=text", "--where=seed!=1",
                        "--where=model.kind=nmf", "--", "a b", "c"]
    args = command("sweep", {"CONFIG": "lda.yaml", "GRID": "seed=1,2 topics.num_topics=3,4", "SET": "seed=3"})
    assert args[3:] == ["sweep", "--grid=seed=1,2 topics.num_topics=3,4", "--jobs=2", "--set=seed=3",
                        "--results=results", "--", "lda.yaml"]
    with pytest.raises(MakeError, match="SET: No closing quotation"):
        command("experiment", {"CONFIG": "x", "SET": "a='b"})


# -- item 6: metadata rows and files that do not join ----------------------------------------
def _folder(tmp_path: Path, names: list[str], metadata: str) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in names:
        (folder / name).write_text(f"A report named {name} on trade talks.", encoding="utf-8")
    (folder / "metadata.csv").write_text(metadata, encoding="utf-8")
    return folder


def test_unjoined_metadata_rows_and_files_are_named_in_warnings(tmp_path):
    names = [f"doc{i}.txt" for i in range(1, 10)]
    rows = "".join(f"gone{i}.txt,X,news\n" for i in range(7))
    folder = _folder(tmp_path, names, "file,outlet,label\ndoc1.txt,A,news\ndoc2.TXT,B,news\n"
                                      f'"doc3.txt ",C,opinion\ndoc4,D,opinion\n{rows}')
    with pytest.warns(CorpusWarning) as caught:
        docs = read_corpus(corpus_settings(folder))
    assert [(d.id, d.outlet, d.label) for d in docs[:5]] == [
        ("doc1", "A", "news"), ("doc2", "B", "news"), ("doc3", "C", "opinion"), ("doc4", "D", "opinion"),
        ("doc5", None, None)]
    loose, unmatched, missing = (str(w.message) for w in caught)
    assert "2 row(s) matched a file only when case and surrounding spaces are ignored" in loose
    assert "'doc2.TXT' -> doc2.txt, 'doc3.txt ' -> doc3.txt" in loose
    assert "7 row(s) name no .txt file" in unmatched
    assert "'gone0.txt', 'gone1.txt', 'gone2.txt', 'gone3.txt', 'gone4.txt', and 2 more" in unmatched
    assert "5 of 9 .txt file(s) have no row in metadata.csv" in missing
    assert "(doc5.txt, doc6.txt, doc7.txt, doc8.txt, doc9.txt)" in missing


def test_loose_match_only_when_unambiguous_and_one_row_per_file(tmp_path):
    folder = _folder(tmp_path, ["a.txt", "A.TXT"], "file,outlet\nA.txt,X\n")
    with pytest.warns(CorpusWarning) as caught:
        docs = read_corpus(corpus_settings(folder))
    assert all(d.outlet is None for d in docs)
    assert "1 row(s) name no .txt file of the folder and are unused ('A.txt')" in str(caught[0].message)
    assert "2 of 2 .txt file(s) have no row" in str(caught[1].message)
    (folder / "metadata.csv").write_text("file,outlet\na.txt,X\nA.TXT,Y\na,Z\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"metadata.csv: lines 2 and 4 both give metadata for a.txt"):
        read_corpus(corpus_settings(folder))


def test_sample_run_records_metadata_warnings_in_run_json(tmp_path, sample_dir):
    corpus = copy_sample(sample_dir, tmp_path / "sample")
    first = sorted(corpus.glob("*.txt"))[0]
    first.rename(first.with_suffix(".TXT"))
    lines = (corpus / "metadata.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (corpus / "metadata.csv").write_text("".join(lines[:-1]), encoding="utf-8")   # drop 004's row
    config = load_config("tfidf.yaml", [f"corpus.source={corpus}", "corpus.label_column=tone"])
    folder = research.run_experiment(config, results_dir=tmp_path / "results")
    record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "complete"
    assert any(f"'{first.name}' -> {first.stem}.TXT" in w for w in record["warnings"])
    assert any("1 of 5 .txt file(s) have no row in metadata.csv" in w and "004_" in w for w in record["warnings"])
    for where in ("seed=2019-02-30", "seed=" + "9" * 5000):   # YAML that PyYAML cannot read: compared as text
        assert research.compare(str(folder), where=where).empty


# -- item 6: one .txt file, JSONL texts that are not strings ---------------------------------
def test_a_single_txt_file_is_one_document(sample_dir, tmp_path):
    path = sorted(sample_dir.glob("*.txt"))[3]
    docs = read_corpus(corpus_settings(path))
    assert [(d.id, d.text) for d in docs] == [(path.stem, path.read_text(encoding="utf-8"))]
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Café\tZürich\x00 – naïve".encode("cp1252"))
    with pytest.warns(CorpusWarning) as caught:
        [doc] = read_corpus(corpus_settings(latin))
    assert doc.text == "Café\tZürich – naïve" and len(caught) == 2
    table = tmp_path / "table.txt"
    table.write_text("text\tlabel\nfirst\ta\nsecond\tb\n", encoding="utf-8")
    assert [d.label for d in read_corpus(corpus_settings(table, "corpus.format=tsv"))] == ["a", "b"]


@pytest.mark.parametrize("value, kind", [("12", "a number"), ('["a", "b"]', "a list"), ("null", "null"),
                                         ("true", "a boolean"), ('{"p": 1}', "an object")])
@pytest.mark.parametrize("name", ["j.jsonl", "j.jsonl.gz"])
def test_jsonl_text_that_is_not_a_string_is_refused_with_its_line(tmp_path, value, kind, name):
    payload = f'{{"text": "fine"}}\n\n{{"text": {value}}}\n'.encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(payload) if name.endswith(".gz") else payload)
    with pytest.raises(CorpusError, match=rf"{name} line 3: field 'text' is {kind}, not a string"):
        read_corpus(corpus_settings(path))


def test_csv_rows_with_empty_or_missing_text_are_kept_as_empty_documents(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text('id,text,outlet\n1,"Some text.",A\n2,,B\n3\n', encoding="utf-8")
    assert [(d.id, d.text) for d in read_corpus(corpus_settings(path))] == [("1", "Some text."), ("2", ""), ("3", "")]


# -- item 6: YAML keys stated twice ----------------------------------------------------------
DUPLICATES = [
    ("seed: 1\nmodel:\n  kind: tfidf\nseed: 2\n", "duplicate key 'seed' (lines 1 and 4)"),
    ("corpus:\n  source: sample\n  limit: 3\n  source: other\n", "duplicate key 'corpus.source' (lines 2 and 4)"),
    ("model:\n  kind: tone\ntone:\n  label_map:\n    opinion: opinion\n    news: reported\n    opinion: x\n",
     "duplicate key 'tone.label_map.opinion' (lines 5 and 7)"),
    ("tone:\n  extra_sources:\n    - source: a.jsonl\n      label: x\n      label: y\n",
     "duplicate key 'tone.extra_sources.0.label' (lines 4 and 5)"),
    ("corpus: {where: {outlet: A, outlet: B}}\n", "duplicate key 'corpus.where.outlet' (lines 1 and 1)"),
]


@pytest.mark.parametrize("text, message", DUPLICATES)
def test_a_yaml_key_stated_twice_is_refused_with_file_key_and_lines(tmp_path, text, message):
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: {message}; YAML would keep only the last one, so state each key once"


def test_duplicate_keys_in_overrides_and_yaml_merge_keys(tmp_path):
    with pytest.raises(ConfigError, match=r"override 'tone.label_map=\{a: x, a: y\}': duplicate key 'a';"):
        load_config("tfidf.yaml", ["tone.label_map={a: x, a: y}"])
    path = tmp_path / "anchors.yaml"   # an explicit key beside a merge key overrides it: not a duplicate
    path.write_text("corpus:\n  where: &w {outlet: A}\ntone:\n  label_map:\n    <<: {a: b}\n    a: c\n",
                    encoding="utf-8")
    assert load_config(path)["tone"]["label_map"] == {"a": "c"}


def test_unreadable_yaml_values_are_config_errors_with_their_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nseed: 2019-02-30\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: line 2, column 7: YAML syntax error: cannot read "
                                          r"'2019-02-30' \(day is out of range for month\)"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"override 'seed=2019-02-30': seed: input should be a valid integer"):
        load_config("tfidf.yaml", ["seed=2019-02-30"])


# -- item 9: a folder given as the config ----------------------------------------------------
def test_a_folder_as_config_is_named_as_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(ConfigError, match=r"^config configs is a folder, not a config file; give one YAML "
                                          r"file such as configs/lda.yaml$"):
        load_config("configs")
    with pytest.raises(ConfigError, match=rf"^config {tmp_path} is a folder, not a config file; give one "
                                          r"YAML file such as configs/lda.yaml$"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="not a usable path"):
        load_config("x" * 5000)


# -- crashes the property tests (tests/corpus/test_properties.py) found, kept as plain regressions ------
@pytest.mark.parametrize("name, payload, sets, match", [
    ("h.jsonl", b'{"text": "\\n\\nBody only."}\n', ["corpus.strip_email_headers=true"], None),
    ("deep.jsonl", b"[" * 100000 + b"\n", [], r"deep.jsonl line 1: not valid JSON \(RecursionError\)"),
    ("big.jsonl", b"1" * 5000 + b"\n", [], r"big.jsonl line 1: not valid JSON \(ValueError\)"),
    ("metadata", b"file,outlet\na.txt,X\rY\n", [], None),   # csv.Error before: a CR ends the row now
])
def test_inputs_that_used_to_crash(tmp_path, name, payload, sets, match):
    if name == "metadata":
        (tmp_path / "a.txt").write_text("Text.", encoding="utf-8")
        (tmp_path / "metadata.csv").write_bytes(payload)
        source = tmp_path
    else:
        source = tmp_path / name
        source.write_bytes(payload)
    settings = corpus_settings(source, *sets)
    if name == "metadata":
        with pytest.warns(CorpusWarning, match=r"1 row\(s\) name no .txt file of the folder and are unused \('Y'\)"):
            assert [d.outlet for d in read_corpus(settings)] == ["X"]
    elif match is None:   # no header block: the text stays as it is
        assert [d.text for d in read_corpus(settings)] == ["\n\nBody only."]
    else:
        with pytest.raises(CorpusError, match=match):
            read_corpus(settings)


def test_paths_too_long_for_the_file_system_are_one_line_errors():
    with pytest.raises(CorpusError, match=r"corpus.source: cannot use 'xxx.*' as a path \(File name too long\)"):
        read_corpus(corpus_settings("x" * 5000))
    for override in ("tone=5", "tone=null"):
        with pytest.raises(ConfigError, match=rf"override '{override}': tone: input should be a valid dictionary"):
            load_config("tfidf.yaml", [override])
