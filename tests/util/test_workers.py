"""Helper processes (research.util.workers) and the hashes they must agree on (research.util.hashing)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from research.clean.dedup import shingle_entries, shingle_hashes, words
from research.clean.furniture import CleanedText
from research.clean.templates import segment_key_hashes, segment_keys
from research.util.hashing import _BASE, string_hashes
from research.util.workers import Background, call, map_shared
from tests.helpers import ROOT, slow_pid

MASK = 2**64 - 1


def _reference_hash(text: str) -> int:
    """The definition in research.util.hashing, one byte at a time."""
    data = text.encode("utf-8")
    h = 0
    for byte in data:
        h = (h * _BASE + byte + 1) & MASK
    h ^= (len(data) * 0x9E3779B97F4A7C15) & MASK
    return (h * 0xBF58476D1CE4E5B9) & MASK


def test_string_hashes_follow_their_definition():
    strings = ["pakistan us relations", "a", "the same words", "ünïcödé — text", "the same words"]
    got = string_hashes(strings).tolist()
    assert got == [_reference_hash(s) for s in strings]
    assert got[2] == got[4] and len(set(got)) == 4


def test_shingle_hashes_equal_for_equal_shingles_only():
    text = "one two three four five six one two three four five"
    hashes = shingle_hashes(words(text)).tolist()
    assert len(hashes) == 7 and hashes[0] == hashes[6] and len(set(hashes)) == 6


def test_hashes_are_the_same_in_another_process():
    """Cleaning hashes shingles and template lines in several processes: the values must
    not depend on the process (Python's own hash is salted per process)."""
    texts = [p.read_text(encoding="utf-8")
             for p in sorted((ROOT / "research" / "data" / "sample_pak_us").glob("*.txt"))]
    script = ("import sys, pickle\n"
              "from research.clean.dedup import shingle_entries\n"
              "from research.util.hashing import string_hashes\n"
              "texts = pickle.load(sys.stdin.buffer)\n"
              "out = [(d, h.tolist()) for d, h in shingle_entries(texts)], string_hashes(texts[0].split()).tolist()\n"
              "pickle.dump(out, sys.stdout.buffer)\n")
    import pickle

    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", script], input=pickle.dumps(texts), capture_output=True,
                           check=True, cwd=ROOT, env=env).stdout
    entries, split_hashes = pickle.loads(other)
    assert entries == [(d, h.tolist()) for d, h in shingle_entries(texts)]
    assert split_hashes == string_hashes(texts[0].split()).tolist()
    assert sum(len(h) for _, h in entries) > 1000


def test_map_shared_returns_every_chunk_in_order_worked_on_by_both_processes():
    chunks = [list(range(i, i + 3)) for i in range(0, 120, 3)]
    results = map_shared(slow_pid, chunks, 1, 0.1)
    assert [r for r, _ in results] == [[x * 2 for x in c] for c in chunks]
    pids = [pid for _, pid in results]
    assert pids[0] == os.getpid() and pids[-1] != os.getpid()   # front here, back in the helper
    assert pids == sorted(pids, key=lambda p: p != os.getpid())  # the ends never interleave


def test_map_shared_without_helpers_runs_here():
    results = map_shared(slow_pid, [[1], [2]], 0, 0.0)
    assert results == [([2], os.getpid()), ([4], os.getpid())]


def test_background_job_errors_reach_the_caller():
    jobs = Background()
    jobs.helpers = 1
    jobs.submit(call, "os.path.join", "a", "b")
    jobs.submit(call, "math.sqrt", -1.0)
    with pytest.raises(ValueError, match="math domain error"):
        jobs.wait()
    jobs.wait()   # nothing left


def test_background_runs_at_once_without_helpers(tmp_path):
    jobs = Background()
    jobs.submit(call, "shutil.copyfile", ROOT / "pyproject.toml", tmp_path / "copy.toml")
    assert (tmp_path / "copy.toml").read_bytes() == (ROOT / "pyproject.toml").read_bytes()


def test_segment_key_hashes_of_a_chunk_match_each_text_alone():
    """The per-document pass hashes a chunk's template-line keys in one pass; every text,
    also one with no kept segment at the start, in the middle or at the end of the chunk,
    gets exactly the hashes of its own keys."""
    empty = CleanedText(lines=[None, []])
    report = CleanedText(lines=[["Read more about this story", "Share"], [], ["Pakistan and the US met 3 times"]])
    footer = CleanedText(lines=[["Subscribe to our newsletter today"]])
    for texts in ([empty, report], [empty, empty, footer], [report, empty, footer], [footer, empty]):
        got = segment_key_hashes(texts)
        for text, hashes in zip(texts, got, strict=True):
            segments = [s for seg in text.lines if seg for s in seg]
            own = string_hashes([k for k in segment_keys(segments) if k is not None])
            assert hashes.tolist() == own.tolist()
