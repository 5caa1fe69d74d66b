"""The whole NMF / LDA experiment against a hand-written script (issue 12), in CPU seconds.

    python experiments/bench_script.py

The script (``experiments/handwritten.py``) does only what a notebook would: read 20 Newsgroups,
scikit-learn's TfidfVectorizer (or CountVectorizer) with the config's min_df/max_df and English
stop words, NMF (or gensim LdaModel) with K = 20, and gensim's CoherenceModel (c_npmi). The
package's run does more (cleaning, duplicates, three coherence measures, held-out fit,
prevalence, figures, report). Each is run 3 times alternately in fresh processes; the table
gives medians of the CPU seconds of the whole process tree (user + system, sampled from /proc)
and of wall seconds, with the package's runs once with a fresh results folder (cleaning
computed) and once with the cleaning cache of an earlier run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import run_measured, shared_data, table

SCRIPT = Path(__file__).resolve().parent / "handwritten.py"


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each (default 3)")
    args = parser.parse_args(argv)
    if shared_data() is None:
        print("bench_script: ../shared/data not found; skipped")
        return
    rows = []
    for kind in ("nmf", "lda"):
        config = f"{kind}_20newsgroups.yaml"
        warm = tempfile.mkdtemp(prefix="bench-warm-")
        run_measured(["experiment", config], results=warm)          # fills the cleaning cache
        script, fresh, cached = [], [], []
        for _ in range(args.repeat):
            script.append(run_measured([], command=[sys.executable, str(SCRIPT), kind]))
            fresh.append(run_measured(["experiment", config]))
            cached.append(run_measured(["experiment", config], results=warm))
        base = statistics.median(r["tree_cpu_s"] for r in script)
        for name, runs in (("hand-written script", script), ("package, cleaning computed", fresh),
                           ("package, cleaning cached", cached)):
            cpu = statistics.median(r["tree_cpu_s"] for r in runs)
            wall = statistics.median(r["wall_s"] for r in runs)
            npmi = [r["metrics"]["c_npmi"] for r in runs if "metrics" in r]
            rows.append([kind.upper(), name, f"{cpu:.1f}", f"{wall:.1f}", f"{cpu / base:.2f}",
                         f"{statistics.median(npmi):.3f}" if npmi else "-"])
    print(table(f"20 Newsgroups, K=20: the whole experiment against a hand-written script (medians of {args.repeat}, "
                "alternating; CPU of the whole process tree)",
                ["model", "run", "cpu s", "wall s", "cpu vs script", "c_npmi"], rows))


if __name__ == "__main__":
    main()
