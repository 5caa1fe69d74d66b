"""Run lifecycle and file-system faults (issue 10, items 3, 4 and 9): pid and heartbeat in
run.json and runs shown as ``died``; a sweep stopped by SIGINT/SIGTERM leaves no run
``running``; helper processes exit when the main process is SIGKILLed; a read-only or full
results folder, a file as --results and a 300-character name each end as one line (exit 2)
with no .tmp left; compare flags edited metrics.json / config.yaml.

Real processes, real signals, real tmpfs and read-only mounts (made and removed by each
test; skipped only where this platform cannot mount, e.g. not root)."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import research
import research.runs.lifecycle as lifecycle
from research.errors import RunError
from research.runs.compare import collect
from research.runs.folder import RunFolder
from research.runs.lifecycle import effective_status
from tests.helpers import ROOT, run_dirs

SAMPLE_CONFIG = "tfidf.yaml"


# -- helpers ---------------------------------------------------------------------------------
def _cli(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "research", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def _error_line(proc: subprocess.CompletedProcess) -> str:
    """The one ``error:`` line on stderr (no traceback)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and proc.stderr.rstrip().splitlines()[-1] == errors[0], proc.stderr
    return errors[0]


def _no_tmp_files(root: Path) -> None:
    left = [p for p in root.rglob("*.tmp")]
    assert not left, left


def _records(results: Path) -> dict[str, dict]:
    """run.json of every run folder (sweep folders aside); a folder without one fails here."""
    return {p.name: json.loads((p / "run.json").read_text()) for p in run_dirs(results)
            if not (p / "sweep.json").exists()}


@pytest.fixture
def mount_point(tmp_path):
    """A factory of real mounts under tmp_path (unmounted afterwards)."""
    mounts: list[Path] = []

    def make(size: str = "2m") -> Path:
        if os.geteuid() != 0 or not shutil.which("mount"):
            pytest.skip("mounting a tmpfs needs root")
        point = tmp_path / f"mnt{len(mounts)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounts.append(point)
        return point

    yield make
    for point in reversed(mounts):
        subprocess.run(["umount", "-l", str(point)], check=False)


def _remount_read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


# -- item 3: pid, heartbeat, died ------------------------------------------------------------
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_effective_status_tells_dead_runs_from_live_ones():
    now = dt.datetime.now(dt.UTC)
    fresh = now.isoformat(timespec="seconds")
    stale = (now - dt.timedelta(seconds=lifecycle.STALE_AFTER + 60)).isoformat(timespec="seconds")
    here = {"hostname": socket.gethostname()}
    me = {"pid": os.getpid(), "pid_started": lifecycle.process_identity()["pid_started"]}

    def record(**fields):
        return {"status": "running", "host": here, "heartbeat": fresh, **fields}

    assert effective_status({"status": "complete"}, now) == "complete"
    assert effective_status({"status": "failed", "pid": _dead_pid(), "host": here}, now) == "failed"
    assert effective_status(record(**me), now) == "running"
    assert effective_status(record(**me, heartbeat=stale), now) == "running"   # alive here: stopped, not dead
    assert effective_status(record(pid=_dead_pid()), now) == "died"
    assert effective_status(record(pid=os.getpid(), pid_started="1"), now) == "died"   # pid reused
    other = {"hostname": "some-other-host"}
    assert effective_status(record(pid=os.getpid(), host=other), now) == "running"
    assert effective_status(record(pid=os.getpid(), host=other, heartbeat=stale), now) == "died"
    assert effective_status({"status": "running", "started": stale}, now) == "died"   # an older run.json
    assert effective_status({"status": "running", "started": fresh}, now) == "running"


def test_heartbeat_thread_refreshes_run_json_and_stops_with_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(lifecycle, "HEARTBEAT_INTERVAL", 0.3)
    run = RunFolder.create(tmp_path, "beat", "tfidf", 1, ["test"])
    first = json.loads((run.path / "run.json").read_text())
    assert first["pid"] == os.getpid() and first["host"]["hostname"] == socket.gethostname()
    with run:
        with run.stage("long"):
            deadline = time.monotonic() + 5
            while json.loads((run.path / "run.json").read_text())["heartbeat"] == first["heartbeat"]:
                assert time.monotonic() < deadline, "no heartbeat within 5 s"
                time.sleep(0.1)
    assert not run._heartbeat._thread.is_alive()
    assert json.loads((run.path / "run.json").read_text())["status"] == "complete"


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        out |= {int(c) for c in (task / "children").read_text().split()}
    return out


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while pids and time.monotonic() < deadline:
        pids = {p for p in pids if lifecycle.pid_alive(p)}
        time.sleep(0.1)
    return pids


@pytest.mark.shared_data
def test_sigkill_of_the_main_process_ends_its_helpers_and_compare_shows_it_died(tmp_path):
    results = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "research", "experiment", "nmf_20newsgroups.yaml",
                             "--results", str(results)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (_children(proc.pid) and run_dirs(results)):     # the helper is up, the run started
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(2)
        helpers = _children(proc.pid)
        assert helpers
    finally:
        proc.kill()
        proc.wait()
    assert not _wait_gone(helpers, 5.0), "helper processes outlived the main process by 5 s"
    comparison = collect(results_dir=results)
    assert list(comparison.not_ranked["status"]) == ["died"]
    assert f"process {proc.pid}" in comparison.not_ranked["error"].iloc[0]
    assert len(comparison.table) == 0
    assert json.loads((run_dirs(results)[0] / "run.json").read_text())["status"] == "running"  # the file as left


@pytest.mark.parametrize("signum, delay, group", [(signal.SIGINT, 0.0, False), (signal.SIGINT, 1.5, False),
                                                  (signal.SIGTERM, 0.5, False), (signal.SIGINT, 1.0, True)])
def test_an_interrupted_sweep_leaves_no_run_running(tmp_path, signum, delay, group):
    """SIGINT to the sweep alone, or (``group``, like Ctrl-C in a terminal) to every process
    of its group, workers included."""
    results = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "research", "sweep", "lda.yaml", "--grid",
                             "topics.num_topics=3,4,5,6", "--jobs", "2", "--results", str(results)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=group)
    deadline = time.monotonic() + 120
    while not [p for p in run_dirs(results) if "-sweep-" not in p.name]:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
        time.sleep(0.05)
    time.sleep(delay)
    if group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    name = signal.Signals(signum).name
    assert proc.returncode == 130
    line = _error_line(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    assert f"interrupted by {name}" in line and "recorded as failed" in line and str(results) in line
    runs = _records(results)
    assert runs and all(r["status"] in ("complete", "failed") for r in runs.values()), runs
    assert any(r["status"] == "failed" and r["error"]["message"] == f"interrupted by {name}" for r in runs.values())
    assert not _wait_gone({r["pid"] for r in runs.values()}, 5.0)      # no worker left behind
    sweep = json.loads(next(results.glob("*-sweep-*/sweep.json")).read_text())
    assert sweep["status"] == "failed"
    _no_tmp_files(results)


# -- item 4: file-system faults --------------------------------------------------------------
def test_read_only_results_is_one_line_and_creates_nothing(mount_point):
    point = mount_point("1m")
    (point / "results").mkdir()
    _remount_read_only(point)
    for results in (point / "results", point / "new" / "results"):
        proc = _cli(["experiment", SAMPLE_CONFIG, "--results", str(results)])
        line = _error_line(proc)
        assert proc.returncode == 2 and str(results) in line and "read-only" in line and "writable" in line
    assert list(point.rglob("*")) == [point / "results"]


def test_results_pointing_at_a_file_is_one_line(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    for results in (target, target / "sub"):
        proc = _cli(["experiment", SAMPLE_CONFIG, "--results", str(results)])
        line = _error_line(proc)
        assert proc.returncode == 2 and str(results) in line and "give --results a folder" in line
    assert target.read_text() == "mine" and list(tmp_path.iterdir()) == [target]


def test_full_disk_is_one_line_and_every_folder_is_failed_with_no_tmp(mount_point):
    point = mount_point("200k")
    results = point / "results"
    for _ in range(2):                           # the second run starts on a disk already full
        proc = _cli(["experiment", SAMPLE_CONFIG, "--results", str(results)])
        line = _error_line(proc)
        assert proc.returncode == 2 and str(results) in line and "no space left" in line
        assert "another disk" in line
        _no_tmp_files(point)
        for name, record in _records(results).items():     # no folder without run.json, none running
            assert record["status"] == "failed", name
    assert len(run_dirs(results)) >= 1


def test_full_disk_while_writing_the_cleaning_cache_leaves_no_tmp(mount_point):
    point = mount_point("300k")
    filler = point / "someone-elses-file"
    filler.write_bytes(b"x" * 250_000)       # ~50 kB left: less than the sample's cleaning cache
    proc = _cli(["experiment", SAMPLE_CONFIG, "--results", str(point / "results")])
    assert proc.returncode == 2 and "no space left" in _error_line(proc)
    _no_tmp_files(point)
    assert all(r["status"] == "failed" for r in _records(point / "results").values())   # or no folder
    assert filler.stat().st_size == 250_000


def _fill(path: Path) -> OSError:
    """Write ``path`` until the disk is full; the ENOSPC error."""
    with path.open("wb") as handle:
        try:
            while True:
                handle.write(b"x" * 65536)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            error = exc
    return error


def _full_disk_run(results: Path, filler: Path | None = None) -> tuple[Path, str]:
    run = RunFolder.create(results, "full", "tfidf", 1, ["test"])
    run.write_config({"name": "full", "seed": 1})
    if filler is not None:
        _fill(filler)                            # someone else's file fills the disk
    with pytest.raises(RunError) as info:
        with run:
            (run.path / "artifacts" / "cleaner.joblib").write_bytes(b"partial")
            raise _fill(run.path / "doc_topics.csv")
    return run.path, str(info.value)


def test_when_run_json_cannot_be_written_partial_outputs_go_and_a_failed_record_stays(mount_point):
    point = mount_point("256k")
    folder, message = _full_disk_run(point / "results")
    assert "no space left" in message and "partial outputs were removed" in message and str(folder) in message
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "failed" and record["outputs_removed"] is True
    assert record["error"]["type"] == "OSError"
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["config.yaml", "log.txt", "run.json"]
    _no_tmp_files(point)


def test_when_not_even_a_failed_record_fits_the_run_folder_goes_and_nothing_else(mount_point):
    point = mount_point("256k")
    filler = point / "someone-elses-file"
    folder, message = _full_disk_run(point / "results", filler)
    assert "the run folder was removed" in message and not folder.exists()
    assert filler.stat().st_size > 100_000                 # never anything outside the run
    _no_tmp_files(point)


def test_a_300_character_name_is_cut_in_the_folder_name_and_kept_in_run_json(tmp_path):
    name = "pakistan-us-" + "relations-" * 29
    assert len(name) >= 300
    results = tmp_path / "results"
    proc = _cli(["experiment", SAMPLE_CONFIG, "--set", f"name={name}", "--results", str(results)])
    assert proc.returncode == 0, proc.stderr
    folder = Path(proc.stdout.splitlines()[-1])
    assert folder.parent == results and len(folder.name.encode()) < 255
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "complete" and record["config_name"] == name
    assert yaml.safe_load((folder / "config.yaml").read_text())["name"] == name
    again = _cli(["experiment", SAMPLE_CONFIG, "--set", f"name={name}", "--results", str(results)])
    assert again.returncode == 0 and Path(again.stdout.splitlines()[-1]) != folder    # still unique


# -- item 9: edited files --------------------------------------------------------------------
def test_compare_flags_runs_whose_metrics_or_config_were_edited(tmp_path):
    results = tmp_path / "results"
    base = research.run_experiment(research.load_config(SAMPLE_CONFIG), results_dir=results)
    for name in ("20990101-000001-tfidf-metrics", "20990101-000002-tfidf-config"):
        shutil.copytree(base, results / name)
    metrics = results / "20990101-000001-tfidf-metrics" / "metrics.json"
    metrics.write_text(metrics.read_text().replace('"documents_kept": 4', '"documents_kept": 40'))
    config = results / "20990101-000002-tfidf-config" / "config.yaml"
    config.write_text(config.read_text().replace("min_df: 1", "min_df: 3"))
    comparison = collect(results_dir=results)
    edited = {r: e if isinstance(e, str) else None for r, e in zip(comparison.table["run"], comparison.table["edited"], strict=True)}
    assert edited == {base.name: None, "20990101-000001-tfidf-metrics": "metrics.json",
                      "20990101-000002-tfidf-config": "config.yaml"}
    table = comparison.table.set_index("run")
    assert table.loc["20990101-000001-tfidf-metrics", "documents_kept"] == 40   # the edited value, flagged
    assert table.loc["20990101-000002-tfidf-config", "vectorizer.min_df"] == 3   # read from the file
    text = comparison.render("text")
    assert "20990101-000001-tfidf-metrics (edited)" in text and f"{base.name} (edited)" not in text
    assert "(edited): 2 runs whose metrics.json or config.yaml differ from the SHA-256" in text
