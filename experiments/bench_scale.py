"""Scale benchmark (issue 12): the whole NMF experiment on benchmark corpora of N documents.

    python experiments/bench_scale.py                      # N = 20,000 and 100,000 (about 6 minutes)
    python experiments/bench_scale.py --sizes 20000,100000,300000,1000000

Corpora come from ``../shared/bench/make_corpus.py`` (seeded, distinct news-like documents;
written once into ``results/.bench-corpora/``, which git ignores). Each N runs
``configs/nmf_20newsgroups.yaml`` pointed at that corpus (label = category), with a fresh
results folder, so cleaning is computed, not read from the cache. Printed: wall time,
documents per second, the stages' own seconds, the peak memory of the run's whole process
tree (sampled every 50 ms) and per document, and the growth from the smallest N to the
largest against the issue's targets (time ratio <= 11 and memory ratio <= 1.5 for 100k ->
1M, 1M under 4 GB and 30 minutes). A figure of time and memory against N is written to
``results/bench_scale.png``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import ROOT, run_measured, table

MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"
CORPORA = ROOT / "results" / ".bench-corpora"
SETTINGS = ["corpus.label_column=category", "corpus.keep_columns=[]", "corpus.strip_email_headers=false",
            "topics.evaluate.group_by=[]"]


def corpus(n: int) -> Path:
    path = CORPORA / f"news_{n}.jsonl.gz"
    if not path.is_file():
        CORPORA.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(path), str(n)], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def measure(n: int) -> dict:
    sets = [f"corpus.source={corpus(n)}", *SETTINGS]
    result = run_measured(["experiment", "nmf_20newsgroups.yaml", *(a for s in sets for a in ("--set", s))])
    stages = result["record"]["stages"]
    return {"n": n, "wall": result["wall_s"], "clean": stages.get("clean", 0.0),
            "fit": stages.get("fit+evaluate", 0.0), "mb": result["tree_peak_mb"],
            "npmi": result["metrics"].get("c_npmi")}


def figure(rows: list[dict]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["n"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(n, [r["wall"] for r in rows], "o-")
    left.set(xlabel="documents", ylabel="wall seconds", title="time", xscale="log", yscale="log")
    right.plot(n, [r["mb"] / 1024 for r in rows], "o-")
    right.axhline(4, color="grey", linestyle="--", label="target: 4 GB")
    right.set(xlabel="documents", ylabel="peak GB (process tree)", title="memory", xscale="log")
    right.legend()
    fig.tight_layout()
    path = ROOT / "results" / "bench_scale.png"
    fig.savefig(path, dpi=100)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000", help="comma-separated numbers of documents")
    args = parser.parse_args(argv)
    if not MAKE_CORPUS.is_file():
        print(f"bench_scale: {MAKE_CORPUS} not found; skipped")
        return
    rows = [measure(int(n)) for n in args.sizes.split(",")]
    out = [[f"{r['n']:,}", f"{r['wall']:.0f}", f"{r['n'] / r['wall']:,.0f}", f"{r['clean']:.0f}",
            f"{r['fit']:.0f}", f"{r['mb']:,.0f}", f"{r['mb'] * 1024 / r['n']:.1f}",
            f"{r['npmi']:.3f}" if r["npmi"] is not None else "-"] for r in rows]
    print(table("Whole NMF experiment (nmf_20newsgroups.yaml on make_corpus.py corpora, K=20); "
                "MB: peak of the process tree", ["documents", "wall s", "docs/s", "clean s", "fit+eval s",
                                                 "peak MB", "KB/doc", "c_npmi"], out))
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        scale = last["n"] / first["n"]
        print(f"from {first['n']:,} to {last['n']:,} documents (x{scale:.0f}): time x{last['wall'] / first['wall']:.1f}, "
              f"memory x{last['mb'] / first['mb']:.1f} (targets for 100k -> 1M: time <= x11, memory <= x1.5; "
              "1M under 4 GB and 30 minutes)")
        print(f"figure: {figure(rows)}")


if __name__ == "__main__":
    main()
