"""Faults in the cleaning cache (issue 10): damaged, wrong, crafted or stale entries are never
trusted or executed, only rebuilt with one warning; the cache is bounded and inspectable."""

from __future__ import annotations

import ast
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import research
import research.clean.cache as cache
import research.clean.cache_entry as cache_entry
from research.config.load import load_config
from tests.helpers import ROOT, write_config

OUTPUTS = ("metrics.json", "topics.csv", "doc_topics.csv", "cleaning.csv", "data.json")
NMF = ["topics.num_topics=3", "topics.evaluate.stability_seeds=[]"]   # nmf.yaml, fast


def run(results: Path, config: str = "tfidf.yaml", *overrides: str) -> Path:
    return research.run_experiment(load_config(config, list(overrides)), results_dir=results)


def record(folder: Path) -> dict:
    return json.loads((folder / "run.json").read_text(encoding="utf-8"))


def entry_of(folder: Path) -> Path:
    return folder.parent / ".cache" / record(folder)["clean_cache"]["entry"]


def assert_same_outputs(a: Path, b: Path, names=OUTPUTS) -> None:
    for name in names:
        if (a / name).exists() or (b / name).exists():
            assert (a / name).read_bytes() == (b / name).read_bytes(), name


def cache_warnings(folder: Path) -> list[str]:
    return [w for w in record(folder)["warnings"] if "cleaning cache entry" in w]


def sections_of(path: Path) -> tuple[dict, dict[str, bytes]]:
    manifest_line, payload = path.read_bytes().split(b"\n", 1)
    manifest, parts, at = json.loads(manifest_line), {}, 0
    for name, size in manifest["sections"]:
        parts[name], at = payload[at:at + size], at + size
    return manifest, parts


def rewrite(path: Path, sections: dict[str, bytes] | None = None, **manifest_updates) -> None:
    """Replace some sections and/or manifest fields of an entry, with a correct checksum: a
    valid entry as far as the format goes."""
    manifest, parts = sections_of(path)
    manifest.update(manifest_updates)
    parts.update(sections or {})
    path.write_bytes(cache_entry.entry_bytes(manifest["key"], manifest["fingerprint"], manifest["documents"], parts))


def test_a_hit_gives_byte_identical_outputs_to_a_miss_and_to_no_cache(tmp_path):
    miss = run(tmp_path, "nmf.yaml", *NMF)
    hit = run(tmp_path, "nmf.yaml", *NMF)
    off = run(tmp_path / "off", "nmf.yaml", *NMF, "clean.cache=false")
    assert [record(f)["clean_cache"]["status"] for f in (miss, hit, off)] == ["miss", "hit", "off"]
    assert record(hit)["clean_cache"]["entry"] == record(miss)["clean_cache"]["entry"]
    assert (hit / "topics.csv").stat().st_size > 0
    assert_same_outputs(miss, hit)
    assert_same_outputs(miss, off)
    assert not (tmp_path / "off" / ".cache").exists()


def _flip(data: bytes) -> bytes:
    i = len(data) * 2 // 3
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]


DAMAGE = {
    "flipped byte": (_flip, "checksum mismatch"),
    "zero byte written": (lambda d: d[:len(d) // 2] + b"\0" + d[len(d) // 2 + 1:], "checksum mismatch"),
    "truncated": (lambda d: d[:len(d) - 100], "checksum mismatch"),
    "manifest damaged": (lambda d: b"x" + d[1:], "unreadable manifest"),
    "empty": (lambda d: b"", "no manifest line"),
}


def test_a_damaged_entry_is_rebuilt_with_one_warning_and_identical_outputs(tmp_path):
    first = run(tmp_path)
    entry = entry_of(first)
    for damage, (change, reason) in DAMAGE.items():
        entry.write_bytes(change(entry.read_bytes()))
        again = run(tmp_path)
        status = record(again)["clean_cache"]
        assert status["status"] == "rebuilt" and reason in status["reason"], damage
        assert cache_warnings(again) == [f"cleaning cache entry {entry.name} ignored: {status['reason']}; "
                                         "cleaning again and replacing it"]
        assert record(again)["status"] == "complete"
        assert_same_outputs(first, again)
    last = run(tmp_path)   # the rebuilt entry replaced the damaged one
    assert record(last)["clean_cache"]["status"] == "hit" and not cache_warnings(last)


def test_an_entry_of_other_documents_under_this_key_is_rejected(tmp_path):
    first = run(tmp_path)
    other = run(tmp_path / "other", "tfidf.yaml", "corpus.limit=4")
    entry = entry_of(first)
    key = json.loads(entry.read_bytes().split(b"\n", 1)[0])["key"]
    shutil.copyfile(entry_of(other), entry)   # as it is: its manifest names its own key
    second = run(tmp_path)
    assert "key differs" in record(second)["clean_cache"]["reason"]
    shutil.copyfile(entry_of(other), entry)   # with this key and a correct checksum
    rewrite(entry, key=key)
    third = run(tmp_path)
    status = record(third)["clean_cache"]
    assert status["status"] == "rebuilt" and status["reason"].startswith("wrong content")
    assert len(cache_warnings(third)) == 1
    assert_same_outputs(first, third)


WRONG_SECTIONS = [
    ({"records": b"[]"}, "records are not one per input document"),
    ({"summary": b'"a JSON string, not a summary"'}, "of the wrong type"),
    ({"pipeline": b'{"unicode": 1}'}, "pipeline settings differ"),
    ({"kept": b"[0]"}, "kept documents differ"),
    ({"vocabulary": b"[1, 2, 3]"}, "not a list of strings"),
    ({"token_ids": b"\x00\x01\x02"}, "cannot be decoded"),
    ({"texts": b"\xff\xfe"}, "cannot be decoded"),
    ({"text_lengths": b"\x01" * 8}, "text lengths do not match"),
    ({"records": b"{not json"}, "cannot be decoded"),
]


def test_a_valid_entry_of_the_wrong_shape_is_rebuilt(tmp_path):
    first = run(tmp_path)
    for sections, reason in WRONG_SECTIONS:
        rewrite(entry_of(first), sections)
        again = run(tmp_path)
        status = record(again)["clean_cache"]
        assert status["status"] == "rebuilt" and status["reason"].startswith("wrong content"), status
        assert reason in status["reason"], status
        assert len(cache_warnings(again)) == 1 and record(again)["status"] == "complete"
        assert_same_outputs(first, again)


def test_an_entry_of_another_layout_or_with_moved_tokens_is_rebuilt(tmp_path):
    first = run(tmp_path)
    entry = entry_of(first)
    # the manifest is outside the checksum: its layout is checked on its own
    entry.write_bytes(entry.read_bytes().replace(b'"sections":[["summary"', b'"sections":[["summarx"', 1))
    assert "sections are not this format's" in record(run(tmp_path))["clean_cache"]["reason"]
    counts = np.frombuffer(sections_of(entry)[1]["token_counts"], dtype="<i8").copy()
    counts[0], counts[1] = counts[0] - 1, counts[1] + 1   # one token moved to the next document
    rewrite(entry, {"token_counts": counts.tobytes()})
    third = run(tmp_path)
    assert "token counts differ from the records" in record(third)["clean_cache"]["reason"]
    assert_same_outputs(first, third)


class _Exploit:
    """Unpickling this runs a shell command (what a crafted cache file did before)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_crafted_pickles_in_the_cache_are_never_executed(tmp_path):
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_Exploit(proof)))    # the payload is live: unpickling runs it
    assert proof.exists()
    first = run(tmp_path / "results")
    entry = entry_of(first)
    marker = tmp_path / "executed"
    crafted = pickle.dumps(_Exploit(marker))
    legacy = entry.with_suffix(".pickle")
    legacy.write_bytes(crafted)
    entry.write_bytes(crafted)
    second = run(tmp_path / "results")
    assert not marker.exists()
    assert not legacy.exists()
    warnings = cache_warnings(second)
    assert warnings[0] == f"cleaning cache entry {legacy.name} deleted unread: a pickle (the old format) can run code"
    assert warnings[1].startswith(f"cleaning cache entry {entry.name} ignored: ") and len(warnings) == 2
    assert record(second)["clean_cache"]["status"] == "rebuilt"
    assert_same_outputs(first, second)
    assert b"\x80" not in entry.read_bytes()[:2] and entry.read_bytes().startswith(b'{"format"')


def test_changed_cleaning_code_is_a_miss_and_a_forged_fingerprint_is_rejected(tmp_path, monkeypatch):
    first = run(tmp_path)
    changed = tmp_path / "changed-code"
    shutil.copytree(cache.PACKAGE_DIR, changed, ignore=shutil.ignore_patterns("__pycache__", "data"))
    with (changed / "clean" / "furniture.py").open("a", encoding="utf-8") as handle:
        handle.write("\n# a change to the cleaning code\n")
    monkeypatch.setattr(cache, "PACKAGE_DIR", changed)
    cache.code_fingerprint.cache_clear()
    try:
        second = run(tmp_path)
    finally:
        monkeypatch.undo()
        cache.code_fingerprint.cache_clear()
    before, after = record(first)["clean_cache"], record(second)["clean_cache"]
    assert after["status"] == "miss" and after["fingerprint"] != before["fingerprint"]
    assert after["entry"] != before["entry"] and not cache_warnings(second)
    assert_same_outputs(first, second)
    rewrite(entry_of(first), fingerprint="0" * 64)   # under the right key, claiming other code
    third = run(tmp_path)
    assert "code fingerprint differs" in record(third)["clean_cache"]["reason"]


def test_the_fingerprint_covers_every_module_cleaning_imports():
    seen, todo = set(), ["clean.cleaner"]
    while todo:
        name = todo.pop()
        seen.add(name)
        tree = ast.parse((cache.PACKAGE_DIR / f"{name.replace('.', '/')}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            found = [node.module] if isinstance(node, ast.ImportFrom) and node.module else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for module in found:
                inner = module.removeprefix("research.")
                if module.startswith("research.") and (cache.PACKAGE_DIR / f"{inner.replace('.', '/')}.py").is_file():
                    if inner not in seen:
                        todo.append(inner)
    assert seen == set(cache.CLEANING_MODULES)


def test_the_size_bound_evicts_the_least_recently_used_entry(tmp_path):
    results = tmp_path / "results"
    a = entry_of(run(results, "tfidf.yaml", "clean.tokens.min_length=3"))
    b = entry_of(run(results, "tfidf.yaml", "clean.tokens.min_length=4"))
    c = entry_of(run(results, "tfidf.yaml", "clean.tokens.min_length=5"))
    for age, path in ((300, a), (200, b), (100, c)):
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime - age))
    assert record(run(results, "tfidf.yaml", "clean.tokens.min_length=3"))["clean_cache"]["status"] == "hit"
    probe = entry_of(run(tmp_path / "probe", "tfidf.yaml", "clean.tokens.min_length=6"))
    bound = sum(p.stat().st_size for p in (a, b, c)) + probe.stat().st_size - 1
    d = run(results, "tfidf.yaml", "clean.tokens.min_length=6", f"cache.max_size={bound}")
    assert record(d)["clean_cache"]["evicted"] == [b.name]   # b: least recently used (a was hit)
    assert a.exists() and not b.exists() and c.exists() and entry_of(d).exists()
    e = run(results, "tfidf.yaml", "clean.tokens.min_length=7", "cache.max_size=1")
    assert entry_of(e).exists() and sorted((results / ".cache").iterdir()) == [entry_of(e)]


def test_concurrent_runs_leave_one_valid_entry(tmp_path):
    command = [sys.executable, "-m", "research", "experiment", "tfidf.yaml", "--results", str(tmp_path)]
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    folders = [Path(r.communicate(timeout=300)[0].decode().splitlines()[-1]) for r in runs]
    assert [r.returncode for r in runs] == [0, 0]
    assert all(record(f)["status"] == "complete" and not cache_warnings(f) for f in folders)
    assert [p.suffix for p in (tmp_path / ".cache").iterdir()] == [".entry"]   # no temporary left
    after = run(tmp_path)
    assert record(after)["clean_cache"]["status"] == "hit"
    assert_same_outputs(folders[0], after)
    assert_same_outputs(folders[1], after)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "research", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_cache_info_and_clear_through_the_cli(tmp_path):
    entry = entry_of(run(tmp_path))
    legacy = tmp_path / ".cache" / "clean-0123456789abcdef0123456789abcdef.pickle"
    legacy.write_bytes(b"\x80\x04N.")
    damaged = tmp_path / ".cache" / "clean-fedcba9876543210fedcba9876543210.entry"
    damaged.write_bytes(b"garbage")
    info = _cli("cache", "info", "--results", str(tmp_path))
    assert info.returncode == 0, info.stderr
    lines = info.stdout.splitlines()
    assert lines[0] == f"cleaning cache: {tmp_path / '.cache'}"
    assert any(line.startswith(entry.name) and line.endswith("ok") for line in lines)
    assert any(line.startswith(legacy.name) and "legacy pickle" in line for line in lines)
    assert any(line.startswith(damaged.name) and "damaged: no manifest line" in line for line in lines)
    assert lines[-1].startswith("3 entries, ") and lines[-1].endswith("of cache.max_size 4.0 GB")
    cleared = _cli("cache", "clear", "--results", str(tmp_path))
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.stdout.startswith("removed 3 cleaning cache entries (")
    assert not entry.exists() and not legacy.exists()
    empty = _cli("cache", "info", "--results", str(tmp_path))
    assert empty.returncode == 0 and empty.stdout.splitlines()[-1] == "0 entries, 0 B of cache.max_size 4.0 GB"


@pytest.mark.parametrize("value", ["lots", "-5", "1.5", "4XB", "true"])
def test_a_bad_max_size_is_a_one_line_error(tmp_path, value):
    done = _cli("experiment", "tfidf.yaml", "--set", f"cache.max_size={value}", "--results", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: override 'cache.max_size=")
    assert "cache.max_size: allowed: a number of bytes >= 0 or a size such as 500MB, 4GB, 2GiB" in done.stderr
    assert not any(tmp_path.iterdir())


def test_a_bad_max_size_in_a_config_file_names_the_file(tmp_path):
    path = write_config(tmp_path, {"cache": {"max_size": "4 gigs"}})
    done = _cli("experiment", str(path), "--results", str(tmp_path / "results"))
    assert done.returncode == 2 and done.stderr == (
        f"error: {path}: cache.max_size: allowed: a number of bytes >= 0 or a size such as "
        "500MB, 4GB, 2GiB, got '4 gigs'\n")


@pytest.mark.parametrize("given, expected", [
    (0, 0), (12345, 12345), ("4GB", 4 * 10**9), ("500MB", 5 * 10**8), ("2GiB", 2 * 2**30),
    (" 1.5 gb ", 15 * 10**8), ("100kB", 10**5), ("77", 77)])
def test_sizes_are_read_in_bytes(given, expected):
    assert cache.parse_size(given) == expected


def test_a_cache_that_cannot_be_written_costs_a_warning_not_the_run(tmp_path):
    (tmp_path / ".cache").write_text("not a folder")
    folder = run(tmp_path)
    assert record(folder)["status"] == "complete"
    assert [w.split(":")[0] for w in cache_warnings(folder)] == [
        f"cleaning cache entry {record(folder)['clean_cache']['entry']} not written"]
