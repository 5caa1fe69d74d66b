"""research.clean.dedup: exact and near-duplicate documents, repeated paragraphs."""

from __future__ import annotations

import gzip
import json

import pytest

from research.clean.dedup import (
    DuplicatePair,
    ShingleCache,
    assign_duplicates,
    cluster_labels,
    find_duplicates,
    repeated_paragraphs,
    shingle_hashes,
    words,
)

REPORT = ("The second round of dialogue between Pakistan and the United States on defence "
          "and security cooperation began in Washington on Monday and will go on for four "
          "days, the foreign office said in a statement issued late on Sunday evening.")
OTHER = ("A high-level delegation from Libya called on the prime minister in Islamabad on "
         "Tuesday and discussed areas of future cooperation between the two sides, his "
         "office said, adding that both sides exchanged views on regional security.")
THIRD = ("Cricket fans queued for hours outside the stadium in Lahore before the final of "
         "the tournament, which the home side won by six wickets with two overs to spare.")


def pairs_of(texts: list[str], threshold: float = 0.8) -> set[tuple[int, int, str]]:
    return {(p.a, p.b, p.kind) for p in find_duplicates(texts, threshold)}


def test_exact_duplicates_ignore_case_and_punctuation():
    found = find_duplicates([REPORT, OTHER, REPORT.upper().replace(",", " ")], 0.8)
    assert found == [DuplicatePair(0, 2, 1.0, "exact")]


def test_containment_finds_a_report_inside_a_longer_page():
    page = "Short Url\nFollow\n" + REPORT + "\n\n" + OTHER
    found = find_duplicates([REPORT, THIRD, page], 0.8)
    assert [(p.a, p.b, p.kind, p.similarity) for p in found] == [(0, 2, "near", 1.0)]


def test_similarity_is_containment_of_the_smaller_document():
    edited = REPORT.replace("four days", "three days")
    (pair,) = find_duplicates([REPORT, edited + " " + OTHER], 0.5)
    n = len(words(REPORT)) - 4          # 5-shingles of the report
    assert pair.similarity == round((n - 5) / n, 4)
    assert find_duplicates([REPORT, edited + " " + OTHER], pair.similarity + 0.01) == []


def test_short_documents_are_only_compared_exactly():
    assert pairs_of(["the talks began on monday", REPORT]) == set()


def test_quoted_lines_do_not_make_a_reply_a_copy():
    reply = "\n".join(["> " + line for line in REPORT.split(", ")]) + "\n\n" + OTHER
    assert pairs_of([REPORT, reply]) == set()
    assert pairs_of([REPORT, REPORT + "\n" + OTHER]) == {(0, 1, "near")}


def test_assign_drops_against_kept_documents_only():
    pairs = [DuplicatePair(0, 1, 0.9, "near"), DuplicatePair(1, 2, 0.95, "near")]
    assert {b: p.a for b, p in assign_duplicates(3, pairs).items()} == {1: 0}
    assert {b: p.a for b, p in assign_duplicates(3, pairs, drop=False).items()} == {1: 0, 2: 1}
    both = pairs + [DuplicatePair(0, 2, 0.85, "near")]
    assert assign_duplicates(3, both)[2].a == 0


def test_cluster_labels_are_connected_components():
    pairs = [DuplicatePair(0, 3, 1.0, "exact"), DuplicatePair(3, 4, 0.9, "near")]
    assert cluster_labels(5, pairs) == [0, 1, 2, 0, 0]


def test_shingle_cache_reuses_entries_and_hashes_are_stable():
    cache = ShingleCache()
    first = cache.get(REPORT)
    assert cache.get(REPORT) is first
    assert sorted(set(shingle_hashes(words(REPORT)).tolist())) == list(first[1])
    assert len(set(first[1])) == len(words(REPORT)) - 4


def test_repeated_paragraphs_find_an_edited_copy():
    first = ("The United States and Pakistan now understand that if they want to revive "
             "their relationship, it must be lasting, mutually beneficial, and supported by all.")
    later = ("The United States and Pakistan now understand that if they are to revive "
             "their relationship it must be lasting, mutually beneficial, and supported by all.")
    found = repeated_paragraphs([first, OTHER, later, "Too short to count here."], 0.8)
    assert [(a, b) for a, b, _ in found] == [(2, 0)] and 0.8 <= found[0][2] < 1.0
    assert repeated_paragraphs([first, OTHER, later], 0.95) == []


@pytest.mark.shared_data
def test_twenty_newsgroups_scale_and_a_known_cross_post(shared_data):
    path = shared_data / "20newsgroups" / "20newsgroups_bydate.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    ids = [f"{r['id']}/{r['split']}" for r in rows]
    bodies = [r["text"].split("\n\n", 1)[-1] for r in rows]
    found = {(ids[p.a], ids[p.b]): p for p in find_duplicates(bodies, 0.8)}
    cross = found[("comp.sys.ibm.pc.hardware/58829/train", "comp.sys.mac.hardware/50422/train")]
    assert cross.similarity >= 0.95
    assert len(rows) == 18846 and len(found) < 0.1 * len(rows)
