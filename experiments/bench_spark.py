"""Spark table (issue 13): whole LDA runs (K=20) on a local Spark with 1 and 2 cores.

    python experiments/bench_spark.py                                  # 20 Newsgroups and the 1M benchmark corpus
    BENCH_SPARK_SIZES=100000 python experiments/bench_spark.py         # another benchmark size (0: none)

Each row is ``configs/lda_spark_20newsgroups.yaml`` (20 Newsgroups as it is, or pointed at a
``../shared/bench/make_corpus.py`` corpus of N documents) run by ``python -m research experiment``
with ``engine.spark.master`` = ``local[1]`` then ``local[2]``, alternately, in a fresh process and
results folder. Printed: wall time, documents per second (documents read / wall), the 1 -> 2 core
speed-up (the issue aims at >= 1.7x), the cores kept busy (CPU seconds of the whole process tree /
wall: with local[1] the JVM's own threads and the driver already use part of the second core), the
peak memory of the Python driver process alone (what must
not grow with the corpus: vocabulary, model, a few partitions) and of the whole process tree (in
local mode the JVM is driver and executors at once, and holds Spark's caches), the stages' seconds
and the NPMI. Needs the spark extra (``make spark``) and Java 17+.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import run_measured, shared_data, table
from bench_scale import SETTINGS, corpus

STAGES = ("load", "clean", "vectorise", "fit+evaluate", "outputs")


def measure(name: str, sets: list[str], cores: int) -> dict:
    sets = [*sets, f"engine.spark.master=local[{cores}]", f"engine.spark.partitions={4 * cores}"]
    result = run_measured(["experiment", "lda_spark_20newsgroups.yaml", *(a for s in sets for a in ("--set", s))])
    m = result["metrics"]
    return {"name": name, "cores": cores, "wall": result["wall_s"], "docs": m["documents_read"],
            "busy": result["tree_cpu_s"] / result["wall_s"],
            "driver_mb": result["root_peak_mb"], "tree_mb": result["tree_peak_mb"], "npmi": m["c_npmi"],
            "stages": {k: result["record"]["stages"].get(k, 0.0) for k in STAGES}}


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()   # --help; no options
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("bench_spark: the spark extra is not installed (make spark); skipped")
        return
    cases: list[tuple] = []
    if shared_data() is not None:
        cases.append(("20 Newsgroups", []))
    sizes = [int(s) for s in os.environ.get("BENCH_SPARK_SIZES", "1000000").split(",") if s.strip() and int(s)]
    cases += [(f"bench {n:,}", ["corpus.source=", *SETTINGS], n) for n in sizes]
    rows = []
    for case in cases:
        name, sets = case[0], list(case[1])
        if len(case) == 3:   # written only when its row comes
            sets[0] = f"corpus.source={corpus(case[2])}"
        one, two = measure(name, sets, 1), measure(name, sets, 2)
        for r in (one, two):
            rows.append([r["name"], f"local[{r['cores']}]", round(r["wall"], 1), round(r["docs"] / r["wall"], 1),
                         f"{one['wall'] / two['wall']:.2f}x" if r is two else "", f"{r['busy']:.2f}",
                         round(r["driver_mb"]),
                         round(r["tree_mb"]), "/".join(f"{r['stages'][s]:.0f}" for s in STAGES), round(r["npmi"], 4)])
        print(table("", ["corpus", "master", "wall s", "docs/s", "speed-up 1->2", "cores busy", "driver peak MB",
                         "tree peak MB", "load/clean/vec/fit/out s", "c_npmi"], rows[-2:]), flush=True)
    print(table("Spark engine: LDA K=20 (configs/lda_spark_20newsgroups.yaml), local[1] vs local[2] "
                "(aim: speed-up >= 1.7x; driver memory flat in N)",
                ["corpus", "master", "wall s", "docs/s", "speed-up 1->2", "cores busy", "driver peak MB",
                 "tree peak MB", "load/clean/vec/fit/out s", "c_npmi"], rows))


if __name__ == "__main__":
    main()
