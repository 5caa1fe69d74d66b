"""A real small sweep on the sample corpus (configs/nmf.yaml, 2 K values x 2 seeds, 2 jobs):
every run's console line carries its combination's tag, and sweep_summary.csv's mean and
spread over seeds are those of the runs' own metrics.json."""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.helpers import ROOT

TAGS = [f"[K={k} seed={s}]" for k in (3, 4) for s in (1, 2)]


def test_a_parallel_sweep_tags_every_run_line_and_summarises_over_seeds(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "research", "sweep", "nmf.yaml", "--grid", "topics.num_topics=3,4 seed=1,2",
         "--jobs", "2", "--set", "topics.evaluate.stability_seeds=[]", "--set", "topics.evaluate.coherence=[c_npmi]",
         "--results", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    sweep = Path(done.stdout.splitlines()[-1])
    lines = done.stderr.splitlines()
    run_lines = [line for line in lines if line.startswith("[K=")]
    for tag in TAGS:                                  # each run's lines, whole and attributable
        assert any(line == f"{tag} stage load ..." for line in run_lines), tag
        assert sum(line.startswith(f"{tag} headline: ") for line in run_lines) == 1, tag
    assert all(line.split("] ", 1)[0] + "]" in TAGS for line in run_lines)
    assert sum(line.startswith("[") and "/4] complete: num_topics=" in line for line in lines) == 4

    combos = json.loads((sweep / "sweep.json").read_text())["combinations"]
    metrics = {(c["overrides"]["topics.num_topics"], c["overrides"]["seed"]):
               json.loads((tmp_path / c["run"] / "metrics.json").read_text()) for c in combos}
    summary = pd.read_csv(sweep / "sweep_summary.csv")
    assert list(summary["topics.num_topics"]) == [3, 4] and list(summary["seeds"]) == [2, 2]
    assert "seed" not in summary.columns and list(summary["failed"]) == [0, 0]
    for row in summary.itertuples(index=False):
        k = str(row[0])
        assert sorted(row.runs.split()) == sorted(c["run"] for c in combos if c["overrides"]["topics.num_topics"] == k)
        for metric in ("c_npmi", "topic_diversity", "reconstruction_error", "nmi"):
            values = [metrics[(k, s)][metric] for s in ("1", "2")]
            assert math.isclose(getattr(row, f"{metric}_mean"), statistics.mean(values), rel_tol=1e-12, abs_tol=1e-15)
            assert math.isclose(getattr(row, f"{metric}_std"), statistics.stdev(values), rel_tol=1e-9, abs_tol=1e-15)
            assert (getattr(row, f"{metric}_min"), getattr(row, f"{metric}_max")) == (min(values), max(values))
    table = lines[lines.index("sweep summary over seeds (mean ± std [min, max]):") + 1:]
    assert table[0].split()[:3] == ["num_topics", "seeds", "c_npmi"] and len(table) == 3
    c_npmi = [metrics[("3", s)]["c_npmi"] for s in ("1", "2")]
    assert f"{statistics.mean(c_npmi):.4f} ± {statistics.stdev(c_npmi):.4f}" in table[1]


def test_silencing_the_research_logger_silences_a_parallel_sweep_from_python(tmp_path):
    script = ("import logging, sys, research\n"
              "logging.getLogger('research').setLevel(logging.WARNING)\n"
              "print(research.run_sweep('tfidf.yaml', 'seed=1,2', jobs=2, results_dir=sys.argv[1]))\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0 and done.stderr == "", done.stderr      # the workers' lines too
    runs = json.loads((Path(done.stdout.strip()) / "sweep.json").read_text())["combinations"]
    for combo in runs:                                                  # each run's log.txt has them all
        log = (tmp_path / combo["run"] / "log.txt").read_text(encoding="utf-8")
        assert "INFO stage load ..." in log and "INFO headline: " in log
