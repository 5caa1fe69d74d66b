"""LDA back-ends side by side: gensim, scikit-learn and tomotopy on the same tokens, K=20.

    python experiments/bench_lda_backends.py                      # full corpora, 3 repeats
    python experiments/bench_lda_backends.py --every 10 --repeats 3   # every 10th document
    python experiments/bench_lda_backends.py --tomotopy-iterations 1000 200

For 20 Newsgroups (headers stripped, tokens as in bench_topics.py: lowercase alphabetic
tokens of >= 3 letters, scikit-learn's English stop words, min_df 5, max_df 0.5) and BBC
(octis_bbc: its lemmatised tokens and fixed vocabulary as they are), each back-end is fitted
on one count matrix with its defaults.yaml settings (tomotopy also with fewer Gibbs sweeps),
repeat r with seed 42 + r; within a repeat the back-ends take turns in an order that rotates
from repeat to repeat, so that a slow spell of a shared machine does not fall on one of them.
Printed: medians over the repeats of the wall seconds of ``fit``, NPMI (c_npmi of the top 10
words, the package's CoherenceScorer on the training texts), topic diversity (top 25), and
NPMI per second (median NPMI / median seconds). BLAS is held to one thread and tomotopy uses
one worker: every back-end gets one core.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import shared_data, table

from research.evaluate import CoherenceScorer, topic_diversity
from research.topics import build_topic_model

K = 20
TOKEN = r"(?u)\b[a-z]{3,}\b"


def identity(doc):
    return doc


def newsgroups(data: Path, every: int) -> tuple[list[list[str]], object, list[str]]:
    with gzip.open(data / "20newsgroups" / "20newsgroups_bydate.jsonl.gz", "rt", encoding="utf-8") as f:
        posts = [json.loads(line)["text"] for line in f][::every]
    analyse = CountVectorizer(token_pattern=TOKEN, stop_words="english").build_analyzer()
    texts = [analyse(p.split("\n\n", 1)[1] if "\n\n" in p else "") for p in posts]
    counts = CountVectorizer(analyzer=identity, min_df=5, max_df=0.5)
    return texts, counts.fit_transform(texts), list(counts.get_feature_names_out())


def octis_bbc(data: Path, every: int) -> tuple[list[list[str]], object, list[str]]:
    with open(data / "octis_bbc" / "corpus.tsv", encoding="utf-8") as f:
        texts = [line.split("\t")[0].split() for line in f][::every]
    with open(data / "octis_bbc" / "vocabulary.txt", encoding="utf-8") as f:
        vocabulary = f.read().split()
    X = CountVectorizer(analyzer=identity, vocabulary=vocabulary).fit_transform(texts)
    return texts, X, vocabulary


def settings(tomotopy_iterations: list[int]) -> list[tuple[str, str, dict]]:
    """(label, back-end, settings beyond defaults.yaml's)."""
    rows: list[tuple[str, str, dict]] = [("gensim (defaults)", "gensim", {}), ("sklearn (defaults)", "sklearn", {})]
    rows += [(f"tomotopy ({n} sweeps)", "tomotopy", {"iterations": n}) for n in tomotopy_iterations]
    return rows


def measure(texts, X, vocabulary, rows, repeats: int) -> list[list]:
    scorer = CoherenceScorer(texts, "c_npmi")
    found: dict[str, list[tuple[float, float, float]]] = {label: [] for label, _, _ in rows}
    for r in range(repeats):
        turn = rows[r % len(rows):] + rows[:r % len(rows)]
        for label, backend, params in turn:
            with threadpool_limits(limits=1):
                t0 = time.perf_counter()
                model = build_topic_model(f"lda.{backend}", K, 42 + r, **params).fit(X, feature_names=vocabulary)
                seconds = time.perf_counter() - t0
            result = model.result()
            found[label].append((seconds, scorer.score(result.topics(10)).mean, topic_diversity(result.topics(25))))
            print(f"  repeat {r + 1}: {label}: {seconds:.1f} s, NPMI {found[label][-1][1]:.3f}", file=sys.stderr,
                  flush=True)
    out = []
    for label, _, _ in rows:
        seconds, npmi, td = (float(np.median(v)) for v in zip(*found[label], strict=True))
        spread = " ".join(f"{v[1]:.3f}" for v in found[label])
        out.append([label, seconds, npmi, td, f"{npmi / seconds:.5f}", spread])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="keep every N-th document (1 = all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tomotopy-iterations", type=int, nargs="+", default=[1000, 200])
    parser.add_argument("--part", choices=["all", "20ng", "bbc"], default="all")
    parser.add_argument("--data", type=Path, default=shared_data())
    args = parser.parse_args(argv)
    if args.data is None or not args.data.is_dir():
        raise SystemExit("bench_lda_backends: shared data not found; pass --data PATH")
    print(f"command: python experiments/bench_lda_backends.py --every {args.every} --repeats {args.repeats} "
          f"--tomotopy-iterations {' '.join(map(str, args.tomotopy_iterations))} --part {args.part}")
    corpora: dict[str, tuple[str, Any]] = {"20ng": ("20 Newsgroups", newsgroups), "bbc": ("BBC (octis_bbc)", octis_bbc)}
    for part, (title, read) in corpora.items():
        if args.part not in ("all", part):
            continue
        texts, X, vocabulary = read(args.data, args.every)
        rows = measure(texts, X, vocabulary, settings(args.tomotopy_iterations), args.repeats)
        print(table(f"{title}: {X.shape[0]} documents, {len(vocabulary)} words, {int(X.sum())} tokens, K={K}; "
                    f"medians of {args.repeats} repeats (seeds 42..{41 + args.repeats}), one core each",
                    ["back-end", "fit wall s", "NPMI", "TD", "NPMI per s", "NPMI per repeat"], rows), flush=True)


if __name__ == "__main__":
    # `make bench` runs this file through runpy with bench.py's own argv: ignore that
    main(sys.argv[1:] if Path(sys.argv[0]).name == "bench_lda_backends.py" else [])
