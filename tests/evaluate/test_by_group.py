"""Topics by group on real data: shares with bootstrap intervals, c-TF-IDF words per group
and the two-group difference test, on BBC News (categories) and hyperpartisan news (outlets)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from research.evaluate.by_group import (
    SHARE_COLUMNS,
    WORD_COLUMNS,
    class_topic_words,
    compare_groups,
    group_rows,
    rng_for,
    topic_shares,
)
from research.topics import NMF

pytestmark = pytest.mark.shared_data

SPORT_WORDS = {"match", "game", "games", "cup", "players", "player", "team", "win", "won", "season", "club", "coach",
               "champion", "championship", "championships", "england", "rugby", "football", "tennis", "league",
               "injury", "final", "olympic", "olympics", "athletics", "athlete", "medal", "race", "title", "squad"}


def _rows(path, per_group: int, key: str) -> list[dict]:
    """The first ``per_group`` rows of each value of ``key``, in file order."""
    seen: Counter = Counter()
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if seen[row[key]] < per_group:
                seen[row[key]] += 1
                out.append(row)
    return out


def _fit(texts: list[str], k: int):
    counts = CountVectorizer(stop_words="english", min_df=3, max_df=0.5).fit(texts)
    matrix = counts.transform(texts)
    doc_topic = NMF(k, seed=0).fit_transform(TfidfTransformer(sublinear_tf=True).fit_transform(matrix),
                                             feature_names=list(counts.get_feature_names_out()))
    return matrix, counts.get_feature_names_out(), doc_topic


@pytest.fixture(scope="module")
def bbc(shared_data):
    rows = _rows(shared_data / "bbc_news" / "bbc_news.jsonl", 90, "category")
    matrix, vocabulary, doc_topic = _fit([r["text"] for r in rows], 6)
    return [r["category"] for r in rows], matrix, vocabulary, doc_topic


@pytest.fixture(scope="module")
def hyperpartisan(shared_data):
    with (shared_data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle][:400]
    _, _, doc_topic = _fit([r["text"] for r in rows], 5)
    return [r["domain"] for r in rows], doc_topic


def test_outlet_shares_have_intervals_around_them_and_are_deterministic(hyperpartisan):
    outlets, doc_topic = hyperpartisan
    groups, small = group_rows(outlets, 3)
    sizes = Counter(outlets)
    assert groups and small and all(sizes[g] >= 3 for g in groups) and all(n < 3 for n in small.values())
    assert sum(len(r) for r in groups.values()) + sum(small.values()) == len(outlets)
    table = topic_shares(doc_topic, groups, 200, 42, "outlet")
    assert list(table.columns) == SHARE_COLUMNS and len(table) == 5 * len(groups)
    assert (table["share_low"] <= table["share"] + 1e-9).all() and (table["share"] <= table["share_high"] + 1e-9).all()
    assert np.allclose(table.groupby("group")["share"].sum(), 1.0, atol=1e-6)
    assert table.groupby("group")["documents"].first().to_dict() == {g: sizes[g] for g in groups}
    assert table.equals(topic_shares(doc_topic, groups, 200, 42, "outlet"))
    other_seed = topic_shares(doc_topic, groups, 200, 7, "outlet")
    assert not np.allclose(other_seed["share_low"], table["share_low"])   # the seed is used...
    assert np.array_equal(other_seed["share"], table["share"])            # ...for the intervals only
    # a group's interval does not depend on which other groups are there
    one = dict(list(groups.items())[:1])
    assert topic_shares(doc_topic, one, 200, 42, "outlet").equals(table.iloc[:5].reset_index(drop=True))


def test_intervals_narrow_with_more_documents(bbc):
    labels, _, _, doc_topic = bbc
    groups, _ = group_rows(labels, 3)
    sport = groups["sport"]
    wide = topic_shares(doc_topic, {"sport": sport[:10]}, 200, 42, "label")
    narrow = topic_shares(doc_topic, {"sport": sport}, 200, 42, "label")
    assert (narrow["share_high"] - narrow["share_low"]).mean() < (wide["share_high"] - wide["share_low"]).mean()


def _words(table, group, topic, n=10) -> list[str]:
    rows = table[(table["group"] == group) & (table["topic"] == topic)].sort_values("rank")
    return list(rows["word"][:n])


def test_class_based_words_are_the_groups_own(bbc):
    labels, matrix, vocabulary, doc_topic = bbc
    groups, _ = group_rows(labels, 3)
    table = class_topic_words(matrix, doc_topic, groups, vocabulary, 10)
    assert list(table.columns) == WORD_COLUMNS
    assert set(table["group"]) == set(groups) and set(table["topic"]) == set(range(6))
    assert (table.groupby(["group", "topic"])["rank"].apply(list) == [list(range(1, 11))] * 30).all()
    sport_topic = int(np.argmax(doc_topic[groups["sport"]].mean(axis=0)))
    sport = _words(table, "sport", sport_topic)
    assert len(SPORT_WORDS & set(sport)) >= 3, sport
    business = _words(table, "business", sport_topic)
    assert len(SPORT_WORDS & set(business)) < len(SPORT_WORDS & set(sport)), business
    assert len(set(sport) & set(business)) < 5
    # the same group's words differ from topic to topic
    assert len({tuple(_words(table, "sport", k)) for k in range(6)}) == 6


def test_class_based_weights_follow_the_ctfidf_formula(bbc):
    """Recompute one weight by hand: tf within the class x log(1 + A / f_word)."""
    labels, matrix, vocabulary, doc_topic = bbc
    groups, _ = group_rows(labels, 3)
    table = class_topic_words(matrix, doc_topic, groups, vocabulary, 3)
    counts = matrix.toarray().astype(float)
    classes = {(g, k): (doc_topic[rows, k][:, None] * counts[rows]).sum(axis=0)
               for g, rows in groups.items() for k in range(doc_topic.shape[1])}
    frequency = np.sum(list(classes.values()), axis=0)
    average = np.sum([c.sum() for c in classes.values()]) / len(classes)
    for _, row in table[table["rank"] == 1].iterrows():
        c = classes[(row["group"], row["topic"])]
        j = list(vocabulary).index(row["word"])
        assert row["weight"] == pytest.approx(c[j] / c.sum() * np.log(1 + average / frequency[j]), rel=1e-6)
        assert j == int(np.argmax(c / c.sum() * np.log(1 + average / frequency)))


def test_two_categories_differ_and_two_halves_of_one_do_not(bbc):
    labels, _, _, doc_topic = bbc
    labels = np.array(labels)
    table = compare_groups(doc_topic, labels == "sport", labels == "business", 200, 2000, rng_for(42, "t"))
    assert table["significant"].any() and table["q_value"].min() < 0.05
    top = table.loc[table["difference"].abs().idxmax()]
    assert top["significant"] and top["difference_low"] <= top["difference"] <= top["difference_high"]
    assert (table["difference_low"] > 0).sum() + (table["difference_high"] < 0).sum() >= 1
    assert (table["q_value"] >= table["p_value"] - 1e-12).all()
    assert table.equals(compare_groups(doc_topic, labels == "sport", labels == "business", 200, 2000,
                                       rng_for(42, "t")))
    sport = np.flatnonzero(labels == "sport")
    half = np.zeros(len(labels), dtype=bool)
    half[np.random.default_rng(3).permutation(sport)[: len(sport) // 2]] = True
    other = (labels == "sport") & ~half
    halves = compare_groups(doc_topic, half, other, 200, 2000, rng_for(42, "halves"))
    assert halves["significant"].sum() <= 1, halves
    assert halves["p_value"].min() > table["p_value"].min()
