"""The console (issue: "a console a person can follow"): the ``research`` logger hierarchy
silences runs started from Python while log.txt keeps every line; --quiet, --verbose and
--progress (and make QUIET=1 ...); progress bars only on a terminal or when asked for.

Every run here is a real subprocess on the embedded sample corpus, so stderr is what a
person (or a CI log) would see."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from research.cli.make import MakeError, command
from tests.helpers import ROOT, run_dirs

BAR_MARKS = ("\r", "█", "%|")          # what a tqdm bar writes: carriage returns, blocks, "45%|"
ENV = {k: v for k, v in os.environ.items() if k != "RESEARCH_PROGRESS"}


def _run(args: list[str], env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env or ENV)


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "research", *args], env)


def _corpus_with_nul(sample_dir: Path, target: Path) -> Path:
    """The sample corpus with a NUL byte in one file: reading it warns (a CorpusWarning)."""
    target.mkdir()
    for path in sample_dir.iterdir():
        if path.suffix in (".txt", ".csv"):
            shutil.copy(path, target / path.name)
    first = sorted(target.glob("*.txt"))[0]
    first.write_bytes(first.read_bytes() + b"\x00")
    return target


PYTHON_RUN = textwrap.dedent("""
    import logging, sys
    import research
    if sys.argv[1] == "silenced":
        logging.getLogger("research").setLevel(logging.WARNING)
    config = research.load_config("tfidf.yaml", [f"corpus.source={sys.argv[2]}", "corpus.date_column=published",
                                                 "corpus.label_column=tone"])
    print(research.run_experiment(config, results_dir=sys.argv[3]))
""")


@pytest.mark.parametrize("mode", ["silenced", "default"])
def test_the_research_logger_silences_a_run_started_from_python(tmp_path, sample_dir, mode):
    corpus = _corpus_with_nul(sample_dir, tmp_path / "corpus")
    done = _run([sys.executable, "-c", PYTHON_RUN, mode, str(corpus), str(tmp_path / "results")])
    assert done.returncode == 0, done.stderr
    [run] = run_dirs(tmp_path / "results")
    lines = done.stderr.splitlines()
    log = (run / "log.txt").read_text(encoding="utf-8")
    warning = "warning: " + f"{corpus / sorted(p.name for p in corpus.glob('*.txt'))[0]}: dropped 1 NUL bytes"
    assert warning in lines                                       # warnings still show
    for expected in ("INFO stage load ...", "INFO headline: ", "DEBUG process ", f"WARNING {warning}"):
        assert expected in log                                    # log.txt keeps every line either way
    if mode == "silenced":
        assert all(line.startswith("warning: ") for line in lines), done.stderr
    else:                                                         # nothing configured: INFO lines on stderr
        assert "stage load ..." in lines and any(line.startswith("headline: ") for line in lines)
        assert not any(line.startswith("process ") for line in lines)    # DEBUG is not shown by default
    assert not any(mark in done.stderr for mark in BAR_MARKS)     # stderr is not a terminal: no bars


def test_quiet_shows_no_info_line_and_the_path(tmp_path):
    quiet = _cli("experiment", "tfidf.yaml", "--quiet", "--results", str(tmp_path))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""                                     # no INFO lines, no bars, no headline
    [run] = run_dirs(tmp_path)
    assert quiet.stdout.splitlines() == [str(run)]                # the run's path only
    assert "INFO headline: " in (run / "log.txt").read_text(encoding="utf-8")


def test_verbose_shows_debug_lines_and_no_bars_off_a_terminal(tmp_path):
    verbose = _cli("experiment", "tfidf.yaml", "--verbose", "--results", str(tmp_path))
    assert verbose.returncode == 0, verbose.stderr
    lines = verbose.stderr.splitlines()
    assert any(line.startswith("process ") and "numpy " in line for line in lines)   # a DEBUG line
    assert "stage load ..." in lines and not any(mark in verbose.stderr for mark in BAR_MARKS)


def test_progress_draws_bars_for_each_long_stage_and_never_in_log_txt(tmp_path):
    bars = _cli("experiment", "nmf.yaml", "--progress", "--set", "topics.evaluate.stability_seeds=[]",
                "--results", str(tmp_path))
    assert bars.returncode == 0, bars.stderr
    assert "reading: 5 documents [" in bars.stderr and "documents/s]" in bars.stderr   # no total: count, rate
    for stage in ("cleaning", "fitting", "coherence c_npmi"):
        assert f"{stage}: 100%|" in bars.stderr, stage            # share, count, time, time left, rate
    assert "fitting: 100%|██████████| 4/4 [" in bars.stderr and "models/s]" in bars.stderr   # a step per K
    [run] = run_dirs(tmp_path)
    log = (run / "log.txt").read_text(encoding="utf-8")
    assert "headline: " in log and not any(mark in log for mark in BAR_MARKS)


def test_research_progress_env_and_quiet_against_it(tmp_path):
    env = {**ENV, "RESEARCH_PROGRESS": "1"}
    shown = _cli("experiment", "tfidf.yaml", "--results", str(tmp_path), env=env)
    assert shown.returncode == 0 and "reading: 5 documents [" in shown.stderr and "cleaning: 100%|" in shown.stderr
    hidden = _cli("experiment", "tfidf.yaml", "--quiet", "--results", str(tmp_path), env=env)
    assert hidden.returncode == 0 and hidden.stderr == ""


def test_make_switches_become_console_options():
    def args(target: str, **values: str) -> list[str]:
        return command(target, {"CONFIG": "lda.yaml", "GRID": "seed=1,2", **values})[3:]

    assert args("experiment", QUIET="1") == ["experiment", "--quiet", "--results=results", "--", "lda.yaml"]
    assert args("sweep", VERBOSE="yes", PROGRESS="1")[:3] == ["sweep", "--verbose", "--progress"]
    assert args("compare", QUIET="0", VERBOSE="") == ["compare", "--results=results", "--format=text", "--"]
    with pytest.raises(MakeError, match=r"QUIET='maybe': give QUIET=1 \(on\) or QUIET=0 \(off\)"):
        args("apply", RUN="r", CORPUS="c", QUIET="maybe")
    with pytest.raises(MakeError, match="QUIET=1 and VERBOSE=1 contradict"):
        args("experiment", QUIET="1", VERBOSE="1")


def test_make_quiet_runs_with_warnings_and_the_path_only(tmp_path):
    cmd = ["make", "--no-print-directory", "-o", ".venv/.installed", f"PY={sys.executable}", "experiment",
           "CONFIG=tfidf.yaml", "QUIET=1", f"RESULTS={tmp_path}"]
    done = _run(cmd)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout.splitlines() == [str(run_dirs(tmp_path)[0])]
