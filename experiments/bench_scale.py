"""Scale benchmark (issue 12): whole streamed experiments on benchmark corpora of N documents.

    python experiments/bench_scale.py                      # NMF at 20k, 100k, 300k, 1M and LDA at 1M (about 1 hour)
    BENCH_SCALE_SIZES=20000,100000 BENCH_SCALE_LDA= make bench   # a shorter table

Corpora come from ``../shared/bench/make_corpus.py`` (seeded, distinct news-like documents;
written once into ``results/.bench-corpora/``, which git ignores). Each N runs
``configs/nmf_20newsgroups.yaml`` pointed at that corpus (label = category) with
``scale.stream: true`` (every stage in chunks, :mod:`research.stream`) and a fresh results
folder, so cleaning is computed, not read from the token store. ``--lda N`` adds LDA (K=20,
``configs/lda_20newsgroups.yaml``, one online pass at 1M by ``scale.document_visits``).
Printed: wall time, documents per second, the stages' own seconds and the peak memory of the
run's whole process tree in each stage (sampled every 50 ms; the stage read from run.json),
per document, and the growth from the smallest N to the largest against the issue's targets
(time ratio <= 11 and memory ratio <= 1.5 for 100k -> 1M, 1M under 4 GB and 30 minutes).
A figure of time and memory against N is written to ``results/bench_scale.png``.
"""

from __future__ import annotations

import argparse
import os
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


STREAM = ["scale.stream=true"]
STAGES = ("clean", "vectorise", "fit+evaluate", "outputs")


def measure(n: int, config: str = "nmf_20newsgroups.yaml", store: Path | None = None) -> dict:
    sets = [f"corpus.source={corpus(n)}", *SETTINGS, *STREAM, *([f"scale.store_dir={store}"] if store else [])]
    result = run_measured(["experiment", config, *(a for s in sets for a in ("--set", s))])
    stages = result["record"]["stages"]
    return {"n": n, "wall": result["wall_s"], "stages": {k: stages.get(k, 0.0) for k in STAGES},
            "stage_mb": result["stage_peak_mb"], "mb": result["tree_peak_mb"],
            "npmi": result["metrics"].get("c_npmi"), "epochs": result["metrics"].get("epochs"),
            "kept": result["metrics"].get("documents_kept"), "store": result["run"].parent / ".store"}


def _rows(rows: list[dict]) -> list[list[str]]:
    out = []
    for r in rows:
        stage_mb = " / ".join(f"{r['stage_mb'].get(k, 0):,.0f}" for k in STAGES)
        stage_s = " / ".join(f"{r['stages'][k]:.0f}" for k in STAGES)
        out.append([f"{r['n']:,}", f"{r['wall']:.0f}", f"{r['n'] / r['wall']:,.0f}",
                    f"{r['n'] / max(r['stages']['clean'], 1e-9):,.0f}", stage_s, stage_mb, f"{r['mb']:,.0f}",
                    f"{r['mb'] * 1024 / r['n']:.1f}", str(r["epochs"]),
                    f"{r['npmi']:.3f}" if r["npmi"] is not None else "-"])
    return out


HEADER = ["documents", "wall s", "docs/s", "clean docs/s", "s: clean / vectorise / fit+eval / outputs",
          "peak MB per stage", "peak MB", "KB/doc", "epochs", "c_npmi"]


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
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SCALE_SIZES", "20000,100000,300000,1000000"),
                        help="comma-separated numbers of documents (default: $BENCH_SCALE_SIZES or 20k..1M)")
    parser.add_argument("--lda", default=os.environ.get("BENCH_SCALE_LDA", "1000000"),
                        help="comma-separated numbers of documents for LDA rows ('' for none)")
    args = parser.parse_args(argv)
    if not MAKE_CORPUS.is_file():
        print(f"bench_scale: {MAKE_CORPUS} not found; skipped")
        return
    rows = []
    for n in args.sizes.split(","):
        rows.append(measure(int(n)))
        print(table("", HEADER, _rows(rows[-1:])).splitlines()[-1], flush=True)
    print(table("Whole streamed NMF experiment (nmf_20newsgroups.yaml, scale.stream: true, on make_corpus.py corpora, "
                "K=20); MB: peak of the process tree", HEADER, _rows(rows)))
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        scale = last["n"] / first["n"]
        print(f"from {first['n']:,} to {last['n']:,} documents (x{scale:.0f}): time x{last['wall'] / first['wall']:.1f}, "
              f"memory x{last['mb'] / first['mb']:.2f} (targets for 100k -> 1M: time <= x11, memory <= x1.5; "
              "1M under 4 GB and 30 minutes)")
        by_n = {r["n"]: r for r in rows}
        if 100_000 in by_n and 1_000_000 in by_n:
            a, b = by_n[100_000], by_n[1_000_000]
            print(f"100,000 -> 1,000,000: time x{b['wall'] / a['wall']:.1f} (target <= 11), memory "
                  f"x{b['mb'] / a['mb']:.2f} (target <= 1.5); 1M: {b['wall'] / 60:.1f} min (target < 30), "
                  f"{b['mb'] / 1024:.2f} GB (target < 4)")
        print(f"figure: {figure(rows)}")
    if args.lda:
        stores = {r["n"]: r["store"] for r in rows}
        lda = [measure(int(n), "lda_20newsgroups.yaml", stores.get(int(n))) for n in args.lda.split(",")]
        print(table("Streamed LDA experiment (lda_20newsgroups.yaml, gensim online, K=20; target at 1M: under 4 GB "
                    "and 60 minutes). Its cleaning is the same as the NMF run's: where that run measured the same N, "
                    "cleaning is read back from its token store (clean s: the read), so add the NMF row's clean s "
                    "for a cold run", HEADER, _rows(lda)))


if __name__ == "__main__":
    main()
