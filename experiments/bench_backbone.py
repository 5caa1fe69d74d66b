"""Backbone benchmark: the sample TF-IDF run, and load+clean+vectorise of 20 Newsgroups.

Targets (issue 2): sample run < 10 s wall including Python start-up; 20 Newsgroups
(18,846 posts) < 60 s and < 2 GB peak memory.
"""

from __future__ import annotations

import statistics

from _bench import run_measured, shared_data, table


def main() -> None:
    sample = [run_measured(["experiment", "tfidf.yaml"]) for _ in range(3)]
    rows = [["sample tfidf (median of 3)", 5, statistics.median(r["wall_s"] for r in sample),
             max(r["peak_mb"] for r in sample), "-", "< 10 s"]]
    if shared_data():
        big = run_measured(["experiment", "tfidf_20newsgroups.yaml"])
        stages = big["record"]["stages"]
        front = stages["load"] + stages["clean"] + stages["vectorise"]
        n = big["metrics"]["documents_read"]
        rows.append([f"20newsgroups load+clean+vectorise ({front:.1f} s in stages)", n, big["wall_s"],
                     big["peak_mb"], f"{n / front:,.0f}", "< 60 s, < 2048 MB"])
    print(table("Backbone (wall includes Python start-up; peak = max RSS of the run's process)",
                ["run", "docs", "wall_s", "peak_MB", "docs/s", "target"], rows))


if __name__ == "__main__":
    main()
