"""research.evaluate.coherence gives gensim CoherenceModel's values (to 1e-9) on real data."""

from __future__ import annotations

import gzip
import itertools
import json
import re

import numpy as np
import pytest
from gensim.corpora import Dictionary
from gensim.models import CoherenceModel
from sklearn.feature_extraction.text import TfidfVectorizer

from research.evaluate import CoherenceScorer, CooccurrenceCounts, coherence
from research.topics import build_topic_model

TOL = 1e-9


def gensim_per_topic(topics, texts, measure, topn=10, window_size=None):
    cm = CoherenceModel(topics=topics, texts=texts, dictionary=Dictionary(texts),
                        coherence=measure, topn=topn, window_size=window_size, processes=1)
    return np.array(cm.get_coherence_per_topic())


def assert_same(ours, gensim_values):
    assert np.max(np.abs(np.array(ours.per_topic) - gensim_values)) < TOL
    assert abs(ours.mean - float(np.mean(gensim_values))) < TOL


@pytest.fixture(scope="module")
def octis(shared_data):
    folder = shared_data / "octis_bbc"
    with open(folder / "corpus.tsv", encoding="utf-8") as f:
        docs = [line.split("\t")[0] for line in f]
    with open(folder / "vocabulary.txt", encoding="utf-8") as f:
        vocabulary = f.read().split()
    return docs, [d.split() for d in docs], vocabulary


@pytest.fixture(scope="module")
def octis_topics(octis):
    docs, _, vocabulary = octis
    X = TfidfVectorizer(vocabulary=vocabulary, tokenizer=str.split, token_pattern=None,
                        lowercase=False).fit_transform(docs)
    return build_topic_model("nmf.sklearn", 10, seed=0).fit(X, feature_names=vocabulary).result().topics(10)


@pytest.mark.shared_data
@pytest.mark.parametrize("measure", ["c_npmi", "u_mass", "c_uci"])
def test_equals_gensim_on_octis_bbc_nmf_topics(octis, octis_topics, measure):
    texts = octis[1]
    assert_same(coherence(octis_topics, texts, measure, topn=10),
                gensim_per_topic(octis_topics, texts, measure))


@pytest.fixture(scope="module")
def bbc_raw(shared_data):
    with open(shared_data / "bbc_news" / "bbc_news.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in itertools.islice(f, 300)]
    return [re.findall(r"[a-z]{3,}", r["text"].lower()) for r in rows]


@pytest.mark.shared_data
def test_c_v_equals_gensim_on_bbc_news(bbc_raw):
    docs = [" ".join(t) for t in bbc_raw]
    vec = TfidfVectorizer(stop_words="english", min_df=3, max_df=0.5)
    X = vec.fit_transform(docs)
    topics = build_topic_model("nmf.sklearn", 6, seed=0).fit(
        X, feature_names=list(vec.get_feature_names_out())).result().topics(10)
    assert_same(coherence(topics, bbc_raw, "c_v"), gensim_per_topic(topics, bbc_raw, "c_v"))


@pytest.mark.shared_data
def test_20newsgroups_sample_npmi_and_window_override(shared_data):
    with gzip.open(shared_data / "20newsgroups" / "20newsgroups_bydate.jsonl.gz", "rt",
                   encoding="utf-8") as f:
        rows = [json.loads(line) for line in itertools.islice(f, 250)]
    texts = [re.findall(r"[a-z]{3,}", r["text"].split("\n\n", 1)[-1].lower()) for r in rows]
    counts = Dictionary(texts)
    common = [counts[i] for i, _ in sorted(counts.dfs.items(), key=lambda kv: -kv[1])[:60]]
    topics = [common[i:i + 12] for i in range(0, 60, 12)]  # frequent words: many co-occurrences
    for measure, window in [("c_npmi", None), ("c_uci", 25), ("c_npmi", 3)]:
        assert_same(coherence(topics, texts, measure, window_size=window, topn=12),
                    gensim_per_topic(topics, texts, measure, topn=12, window_size=window))


# gensim's edge cases, on real words rearranged so they hit each rule --------------------------
@pytest.fixture(scope="module")
def tricky_texts(octis):
    texts = octis[1][:120]
    words = sorted({w for t in texts for w in t})[:12]
    rng = np.random.default_rng(7)
    tricky = [[words[i] for i in rng.integers(0, 12, rng.integers(0, 25))] for _ in range(150)]
    return tricky + [[], [words[0]], [words[0]] * 30] + texts, words


@pytest.mark.shared_data
@pytest.mark.parametrize("measure,window", [("c_npmi", None), ("c_npmi", 4), ("c_uci", 7),
                                            ("u_mass", None), ("c_v", None), ("c_v", 5)])
def test_short_empty_and_repeated_tokens_like_gensim(tricky_texts, measure, window):
    """Texts shorter than the window (incl. empty) are one window; a token that leaves the
    window clears its flag even if another copy is still inside (gensim's update rule)."""
    texts, words = tricky_texts
    topics = [words[:6], words[6:], [words[0], words[0], words[3], words[7], words[1]]]
    assert_same(coherence(topics, texts, measure, window_size=window),
                gensim_per_topic(topics, texts, measure, window_size=window))


@pytest.mark.shared_data
def test_unknown_topic_words_are_dropped_and_truncation_follows_first_topic(tricky_texts):
    texts, words = tricky_texts
    topics = [["notaword"] + words[:5], words[5:11]]  # first topic keeps 5 known words <= topn
    for measure in ("c_npmi", "u_mass"):
        assert_same(coherence(topics, texts, measure, topn=5),
                    gensim_per_topic(topics, texts, measure, topn=5))


@pytest.mark.shared_data
def test_scorer_reuses_index_for_several_topic_sets(octis, octis_topics):
    texts = octis[1]
    scorer = CoherenceScorer(texts, "c_npmi")
    assert scorer.score(octis_topics) == coherence(octis_topics, texts, "c_npmi")
    assert scorer.score(octis_topics[:3], topn=5).per_topic == \
        coherence(octis_topics[:3], texts, "c_npmi", topn=5).per_topic


@pytest.mark.shared_data
@pytest.mark.parametrize("measure", ["c_npmi", "c_v", "u_mass"])
def test_counting_in_small_chunks_changes_nothing(octis, octis_topics, measure):
    texts = octis[1][:400]
    whole = CoherenceScorer(texts, measure).score(octis_topics)
    assert CoherenceScorer(texts, measure, chunk_entries=3000).score(octis_topics) == whole


@pytest.fixture(scope="module")
def newsgroups(shared_data):
    """All 18,846 20 Newsgroups texts (crude tokens) and 5 sets of topics (K = 5..25) built from
    frequent words, as a sweep over K would score them."""
    with gzip.open(shared_data / "20newsgroups" / "20newsgroups_bydate.jsonl.gz", "rt", encoding="utf-8") as f:
        texts = [re.findall(r"[a-z]{3,}", json.loads(line)["text"].lower()) for line in f]
    counts = Dictionary(texts)
    counts.filter_extremes(no_below=20, no_above=0.3)
    by_df = [counts[i] for i, _ in sorted(counts.dfs.items(), key=lambda kv: (-kv[1], counts[kv[0]]))]
    rng = np.random.default_rng(0)
    sets = [[list(rng.choice(by_df[:400], 10, replace=False)) for _ in range(k)] for k in (5, 10, 15, 20, 25)]
    return texts, sets


@pytest.mark.shared_data
@pytest.mark.parametrize("measure", ["c_npmi", "u_mass", "c_v"])
def test_counts_accumulated_chunk_by_chunk_give_today_s_values_on_20newsgroups(newsgroups, measure):
    """The streaming issue's check: co-occurrences counted over chunks of documents (never all
    texts at once) score every topic set as the all-in-memory scorer does, to 1e-9."""
    texts, sets = newsgroups
    whole = CoherenceScorer(texts, measure)
    counts = CooccurrenceCounts(itertools.chain.from_iterable(itertools.chain.from_iterable(sets)), measure)
    for start in range(0, len(texts), 2_999):   # uneven chunks: the last one is short
        counts.update(iter(texts[start:start + 2_999]))
    assert counts.num_texts == len(texts) == 18_846
    for topics in sets:
        expected, streamed = whole.score(topics), counts.score(topics)
        assert np.max(np.abs(np.subtract(streamed.per_topic, expected.per_topic))) <= TOL
        assert abs(streamed.mean - expected.mean) <= TOL and streamed.mean != 0


def test_counts_refuse_topic_words_they_did_not_count_and_an_empty_stream():
    counts = CooccurrenceCounts(["army", "talks"], "c_npmi")
    with pytest.raises(ValueError, match="texts is empty"):
        counts.score([["army", "talks"]])
    counts.update([["army", "talks", "today"], ["talks"]])
    assert counts.num_texts == 2 and counts.num_units == 2
    with pytest.raises(ValueError, match=r"topic words \['trade'\] were not counted"):
        counts.score([["army", "trade"]])


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="measure must be one of"):
        coherence([["a", "b"]], [["a", "b"]], "c_w2v")
    with pytest.raises(ValueError, match="topic 1 has no word"):
        coherence([["a", "b"], ["zzz"]], [["a", "b"]], "c_npmi")
    with pytest.raises(ValueError, match="window_size"):
        coherence([["a", "b"]], [["a", "b"]], "c_npmi", window_size=0)
    with pytest.raises(ValueError, match="texts is empty"):
        coherence([["a", "b"]], [], "c_npmi")
