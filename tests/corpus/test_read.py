import gzip
import json

import pytest

from research.config.load import load_config
from research.corpus.read import CorpusWarning, read_corpus
from research.errors import CorpusError


def corpus_settings(source, **overrides):
    sets = [f"corpus.source={source}"] + [f"corpus.{k}={json.dumps(v)}" for k, v in overrides.items()]
    return load_config(None, sets)["corpus"]


def test_builtin_sample_keeps_ids_and_metadata():
    docs = read_corpus(load_config("tfidf.yaml")["corpus"])
    assert [d.id[:3] for d in docs] == ["000", "001", "002", "003", "004"]
    by_id = {d.id[:3]: d for d in docs}
    assert by_id["004"].outlet == "24 News HD" and by_id["004"].label == "promotional_opinion"
    assert by_id["000"].date == "2023-02-13" and by_id["003"].label == "opinion"
    assert by_id["002"].meta["genre"] == "news report"
    assert "Short Url" in by_id["001"].text


def test_txt_folder_with_and_without_metadata(tmp_path):
    (tmp_path / "a.txt").write_text("First text.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Second text.", encoding="utf-8")
    docs = read_corpus(corpus_settings(tmp_path))
    assert [(d.id, d.outlet) for d in docs] == [("a", None), ("b", None)]
    (tmp_path / "metadata.csv").write_text("file,outlet,label\na.txt,X,news\nb,Y,opinion\n", encoding="utf-8")
    docs = read_corpus(corpus_settings(tmp_path))
    assert [(d.id, d.outlet, d.label) for d in docs] == [("a", "X", "news"), ("b", "Y", "opinion")]


def test_csv_tsv_jsonl_and_gz_with_configured_columns(tmp_path):
    (tmp_path / "c.csv").write_text('doc,body,src\n1,"Hello, world",A\n2,Bye,B\n', encoding="utf-8")
    docs = read_corpus(corpus_settings(tmp_path / "c.csv", id_column="doc", text_column="body",
                                       outlet_column="src"))
    assert [(d.id, d.text, d.outlet) for d in docs] == [("1", "Hello, world", "A"), ("2", "Bye", "B")]
    (tmp_path / "t.tsv").write_text('sentence\tlabel\nHe said "hi\tSUBJ\n', encoding="utf-8")
    docs = read_corpus(corpus_settings(tmp_path / "t.tsv", text_column="sentence", quoting=False))
    assert docs[0].text == 'He said "hi' and docs[0].label == "SUBJ" and docs[0].id == "1"
    rows = [{"id": "x", "text": "one", "category": "tech"}, {"id": "y", "text": "two", "category": "sport"}]
    payload = "\n".join(json.dumps(r) for r in rows) + "\n"
    (tmp_path / "j.jsonl").write_text(payload, encoding="utf-8")
    with gzip.open(tmp_path / "j.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(payload)
    for name in ("j.jsonl", "j.jsonl.gz"):
        docs = read_corpus(corpus_settings(tmp_path / name, label_column="category", where={"category": "tech"}))
        assert [(d.id, d.label) for d in docs] == [("x", "tech")]


def test_limit_and_email_headers(tmp_path):
    rows = [{"text": f"From: a@b\nSubject: s{i}\n\nBody {i}."} for i in range(5)]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    docs = read_corpus(corpus_settings(tmp_path / "m.jsonl", limit=2, strip_email_headers=True))
    assert [d.text for d in docs] == ["Body 0.", "Body 1."]


def _file(name, content):
    def make(folder):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is not None:
            path.write_bytes(content)
        else:
            path.mkdir()
        return path if "/" not in name else path.parent
    return make


BAD_CORPORA = [
    (lambda p: p / "missing", "no such file or folder"),
    (_file("empty", None), "folder has no .txt files"),
    (_file("bin/x.txt", bytes(range(256)) * 40), "x.txt: looks like a binary file"),
    (_file("n.csv", b"body\nx\n"), "no text column 'text'.*corpus.text_column"),
    (_file("bad.jsonl", b'{"text": "ok"}\n{"text": broken}\n'), "bad.jsonl line 2: not valid JSON"),
    (_file("t.jsonl.gz", gzip.compress(b'{"text": "a"}\n' * 500)[:60]), "truncated or corrupt gzip"),
    (_file("dup.jsonl", b'{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n'), "duplicate document id '1'"),
    (_file("file.xyz", b"x"), "set corpus.format"),
]


@pytest.mark.parametrize("make, match", BAD_CORPORA, ids=[m for _, m in BAD_CORPORA])
def test_bad_corpora_give_one_line_errors(tmp_path, make, match):
    source = make(tmp_path)
    with pytest.raises(CorpusError, match=match) as info:
        read_corpus(corpus_settings(source))
    assert "\n" not in str(info.value)


def test_latin1_is_read_with_warning_and_nuls_dropped(tmp_path):
    folder = tmp_path / "enc"
    folder.mkdir()
    (folder / "latin.txt").write_bytes("Café in Zürich – naïve".encode("cp1252"))
    (folder / "nul.txt").write_bytes(b"Some\x00 text\x00 here.")
    with pytest.warns(CorpusWarning) as caught:
        docs = read_corpus(corpus_settings(folder))
    messages = " ".join(str(w.message) for w in caught)
    assert "read as cp1252" in messages and "dropped 2 NUL bytes" in messages
    assert docs[0].text == "Café in Zürich – naïve"
    assert docs[1].text == "Some text here."


@pytest.mark.shared_data
def test_real_corpora_read(shared_data):
    bbc = read_corpus(corpus_settings(shared_data / "bbc_news" / "bbc_news.jsonl", label_column="category"))
    assert len(bbc) == 2225 and {d.label for d in bbc} == {"business", "entertainment", "politics", "sport", "tech"}
    news = read_corpus(corpus_settings(shared_data / "20newsgroups" / "20newsgroups_bydate.jsonl.gz",
                                       label_column="newsgroup", strip_email_headers=True, keep_columns=["split"]))
    assert len(news) == 18846 and len({d.label for d in news}) == 20
    assert not any(d.text.startswith("From:") for d in news[:200])
    checkthat = read_corpus(corpus_settings(shared_data / "checkthat2025_en" / "dev_test_en.tsv",
                                            text_column="sentence", id_column="sentence_id", quoting=False))
    assert len(checkthat) == 484 and {d.label for d in checkthat} == {"OBJ", "SUBJ"}
    octis = read_corpus(corpus_settings(shared_data / "octis_bbc" / "corpus.tsv", quoting=False,
                                        columns=["text", "partition", "label"], where={"partition": "train"}))
    assert len(octis) == 1556 and octis[0].label == "tech" and octis[0].text.startswith("broadband ahead")
