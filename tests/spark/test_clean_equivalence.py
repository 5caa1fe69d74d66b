"""research.spark.clean: the Spark cleaning gives clean_corpus's results, document by document,
on the embedded sample, BBC and 20 Newsgroups (their configs' own clean settings)."""

from __future__ import annotations

import copy
import json

import pytest

from research.clean.cleaner import CleanResult, clean_corpus
from research.config.load import load_config
from research.corpus.documents import Document
from research.corpus.read import iter_documents
from research.errors import CleaningError
from tests.spark.conftest import both as _both
from tests.spark.conftest import frame_of as _frame

RECORD_FIELDS = ("chars_before", "chars_after", "lines_removed", "paragraphs_removed",
                 "repeated_paragraphs_kept", "junk_removed", "links_removed", "duplicate_of",
                 "duplicate_similarity", "kept", "drop_reason", "n_tokens")
JSON_FIELDS = {"lines_removed", "paragraphs_removed", "repeated_paragraphs_kept"}


def _check_equal(docs: list[Document], local: CleanResult, result, rows) -> None:
    assert [r["index"] for r in rows] == list(range(len(docs)))
    kept_text = {d.id: d.text for d in local.documents}
    kept_tokens = {d.id: t for d, t in zip(local.documents, local.tokens, strict=True)}
    for doc, record, row in zip(docs, local.records, rows, strict=True):
        assert row["id"] == record["id"] == doc.id
        got = {k: json.loads(row[k]) if k in JSON_FIELDS else row[k] for k in RECORD_FIELDS}
        assert got == {k: record[k] for k in RECORD_FIELDS}, doc.id
        # passthrough columns unchanged
        assert (row["title"], row["outlet"], row["date"], row["label"]) == (doc.title, doc.outlet, doc.date, doc.label)
        assert json.loads(row["meta"]) == doc.meta
        if record["kept"]:
            assert row["text"] == kept_text[doc.id], doc.id
            assert row["tokens"] == kept_tokens[doc.id], doc.id
        else:
            assert row["tokens"] == [], doc.id
        assert len(row["text"]) == record["chars_after"]
    assert result.duplicate_pairs == local.duplicate_pairs
    assert result.summary == local.summary
    assert (result.documents_in, result.documents_kept) == (len(docs), len(local.documents))
    assert result.pipeline.to_state() == local.pipeline.to_state()


@pytest.fixture(scope="module")
def sample(spark):
    found = _both(spark, None, ("corpus.source=sample",))
    yield found
    found[2].unpersist()


@pytest.fixture(scope="module")
def bbc(spark):
    found = _both(spark, "nmf_bbc.yaml")
    yield found
    found[2].unpersist()


@pytest.fixture(scope="module")
def newsgroups(news20):
    return news20


def test_sample_equals_local(sample):
    _check_equal(*sample)


def test_sample_with_phrases_keep_actions_and_min_tokens(spark):
    """The other branches: phrases learned (streamed to the driver), duplicates and repeated
    paragraphs kept and reported, documents dropped for too few tokens."""
    settings = copy.deepcopy(load_config(None, ["corpus.source=sample"])["clean"])
    settings["tokens"]["phrases"]["enabled"] = True
    settings["duplicates"]["action"] = "keep"
    settings["duplicates"]["paragraphs"] = "keep"
    settings["min_tokens"] = 200
    docs, local, result, rows = _both(spark, None, ("corpus.source=sample",), settings)
    try:
        _check_equal(docs, local, result, rows)
        assert local.pipeline.phrases_ is not None and local.pipeline.phrases_.phrasegrams
        assert local.summary["dropped_empty"] > 0 and local.duplicate_pairs
        assert any(r["repeated_paragraphs_kept"] for r in local.records)
    finally:
        result.unpersist()


TEMPLATES = ("The editors of this site wish every reader a calm and pleasant week ahead.",
             "Our small team thanks the many patient people who write to us with corrections.")


@pytest.mark.parametrize("duplicates", [True, False])
def test_templates_across_outlets_and_clusters_equal_local(spark, duplicates):
    """Repeated template lines (an outlet and a null outlet, near-duplicate clusters counted
    once, an exact copy), removed, then the duplicates searched again: as local; and with
    the duplicate search off (every document its own cluster)."""
    base = list(iter_documents(load_config(None, ["corpus.source=sample"])["corpus"]))
    docs = [Document(f"wire-{i}", f"{d.text}\n\n{TEMPLATES[0]}", outlet="Wire") for i, d in enumerate(base)]
    docs += [Document(f"none-{i}", f"{TEMPLATES[1]}\n\n{d.text}") for i, d in enumerate(base)]
    docs.append(Document("copy-2", docs[2].text, outlet="Wire"))
    docs.append(Document("empty", "Home\n\n", outlet="Wire"))
    settings = copy.deepcopy(load_config(None, ["corpus.source=sample"])["clean"])
    settings["duplicates"]["enabled"] = duplicates
    local = clean_corpus(docs, copy.deepcopy(settings))
    from research.spark.clean import clean_spark

    result = clean_spark(spark, _frame(spark, docs), settings)
    try:
        _check_equal(docs, local, result, result.frame.collect())
        assert local.summary["lines_removed_by_reason"]["repeated_line"] >= 8
        assert any(p["kind"] == "exact" for p in local.duplicate_pairs) == duplicates
    finally:
        result.unpersist()


def test_no_document_left_raises_as_local(spark):
    config = load_config(None, ["corpus.source=sample"])
    docs = list(iter_documents(config["corpus"]))
    settings = copy.deepcopy(config["clean"])
    settings["min_tokens"] = 10**6
    from research.spark.clean import clean_spark

    with pytest.raises(CleaningError) as local_error:
        clean_corpus(docs, copy.deepcopy(settings))
    with pytest.raises(CleaningError) as spark_error:
        clean_spark(spark, _frame(spark, docs), settings)
    assert str(spark_error.value) == str(local_error.value)


@pytest.mark.shared_data
def test_bbc_equals_local(bbc):
    _check_equal(*bbc)


@pytest.mark.shared_data
def test_bbc_finds_its_167_near_duplicate_pairs(bbc):
    _docs, local, result, _rows = bbc
    assert len(result.duplicate_pairs) == len(local.duplicate_pairs) == 167
    assert result.summary["dropped_duplicates"] == local.summary["dropped_duplicates"]


@pytest.mark.shared_data
def test_20newsgroups_equals_local(newsgroups):
    _check_equal(*newsgroups)


@pytest.mark.shared_data
def test_bbc_with_phrases_equals_local(spark):
    """Phrases counted per partition and summed (gensim's own counting) equal a fit over the
    whole corpus: the same phrasegrams, so the same tokens."""
    settings = copy.deepcopy(load_config("nmf_bbc.yaml")["clean"])
    settings["tokens"]["phrases"]["enabled"] = True
    docs, local, result, rows = _both(spark, "nmf_bbc.yaml", ("corpus.limit=600",), settings)
    try:
        _check_equal(docs, local, result, rows)
        assert len(local.pipeline.phrases_.phrasegrams) > 100
    finally:
        result.unpersist()
