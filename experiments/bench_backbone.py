"""Backbone benchmark: the sample TF-IDF run, and load+clean+vectorise of 20 Newsgroups.

Targets (issue 2): sample run < 10 s wall including Python start-up; 20 Newsgroups
(18,846 posts) < 60 s and < 2 GB peak memory.
"""

from __future__ import annotations

import argparse
import statistics

from _bench import run_measured, shared_data, table


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()   # --help; no options
    sample = [run_measured(["experiment", "tfidf.yaml"]) for _ in range(3)]
    rows = [["sample tfidf (median of 3)", 5, statistics.median(r["wall_s"] for r in sample),
             max(r["peak_mb"] for r in sample), max(r["tree_peak_mb"] for r in sample), "-", "< 10 s"]]
    if shared_data():
        big = run_measured(["experiment", "tfidf_20newsgroups.yaml"])
        stages = big["record"]["stages"]
        front = stages["load"] + stages["clean"] + stages["vectorise"]
        n = big["metrics"]["documents_read"]
        rows.append([f"20newsgroups load+clean+vectorise ({front:.1f} s in stages)", n, big["wall_s"],
                     big["peak_mb"], big["tree_peak_mb"], f"{n / front:,.0f}", "< 60 s, < 2048 MB"])
    print(table("Backbone (wall includes Python start-up; peak_MB = max RSS of the run's process, "
                "all_MB = with its helper process, sampled every 50 ms)",
                ["run", "docs", "wall_s", "peak_MB", "all_MB", "docs/s", "target"], rows))
    if shared_data():
        whole_topic_runs()


def whole_topic_runs() -> None:
    """Whole `make experiment` topic runs on 20 Newsgroups, K = 20 (issue 3 targets)."""
    import tempfile

    rows = []
    for config, target in (("lda_20newsgroups.yaml", "<= 60 s"), ("nmf_20newsgroups.yaml", "<= 15 s")):
        results = tempfile.mkdtemp(prefix="bench-")
        for label in ("first run (cleaning computed)", "repeat run (cleaning cache)"):
            r = run_measured(["experiment", config], results)
            stages = r["record"]["stages"]
            rows.append([config, label, r["wall_s"], stages.get("clean", 0.0), stages.get("fit+evaluate", 0.0),
                         r["peak_mb"], r["tree_peak_mb"], f"{r['metrics']['c_npmi']:.4f}",
                         f"{r['metrics']['topic_diversity']:.3f}", target + ", < 2048 MB"])
    print()
    print(table("Whole topic-model runs on 20 Newsgroups (18,846 posts, K = 20); peak_MB: the run's "
                "process, all_MB: with its helper process (sampled every 50 ms)",
                ["config", "run", "wall_s", "clean_s", "fit+eval_s", "peak_MB", "all_MB", "c_npmi", "diversity",
                 "target"], rows))


if __name__ == "__main__":
    main()
