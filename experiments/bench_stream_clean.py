"""Streamed cleaning against in-memory cleaning on real corpora (issue 12): what changes.

    python experiments/bench_stream_clean.py

For 20 Newsgroups, BBC and hyperpartisan: duplicate pairs found by the exact search over every
pair (in memory) and by MinHash LSH + exact verification (streamed), documents kept, and how
many kept documents have identical tokens. Seconds are wall time of each cleaning.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import ROOT, shared_data, table

CORPORA = [("20 Newsgroups", "nmf_20newsgroups.yaml", None), ("BBC", "nmf_bbc.yaml", None),
           ("hyperpartisan", "nmf.yaml", "../shared/data/hyperpartisan/hyperpartisan_byarticle.jsonl")]


def compare(config_name: str, source: str | None) -> list[str]:
    from research.clean.cleaner import clean_corpus
    from research.config.load import load_config
    from research.corpus.read import read_corpus
    from research.stream.clean import clean_stream

    config = load_config(ROOT / "configs" / config_name)
    corpus = {**config["corpus"], **({"source": str(ROOT / source)} if source else {})}
    docs = read_corpus(corpus)
    t0 = time.perf_counter()
    memory = clean_corpus(docs, config["clean"])
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        streamed = clean_stream(iter(docs), config["clean"], Path(folder), 2000, 1, lambda _m: None)
        t2 = time.perf_counter()
        a = {(p["a"], p["b"]) for p in memory.duplicate_pairs}
        b = {(p["a"], p["b"]) for p in streamed.duplicate_pairs}
        tokens = dict(zip((d.id for d in memory.documents), memory.tokens, strict=True))
        same = 0
        for part in streamed.tables(["id", "tokens"]):
            for i, t in zip(part.column("id").to_pylist(), part.column("tokens").to_pylist(), strict=True):
                same += tokens.get(i) == (t.split(" ") if t else [])
    return [f"{len(a):,}", f"{len(b):,}", f"{len(a & b):,}", f"{len(b - a):,}",
            f"{memory.summary['documents_kept']:,}", f"{streamed.documents_kept:,}", f"{same:,}",
            f"{t1 - t0:.1f}", f"{t2 - t1:.1f}"]


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()   # --help; no options
    if shared_data() is None:
        print("bench_stream_clean: ../shared/data not found; skipped")
        return
    rows = [[name, *compare(config, source)] for name, config, source in CORPORA]
    print(table("Streamed cleaning (MinHash LSH, chunks of 2,000) against in-memory cleaning (every pair): "
                "duplicate pairs, kept documents, kept documents with identical tokens",
                ["corpus", "pairs in memory", "pairs streamed", "in both", "streamed only", "kept in memory",
                 "kept streamed", "same tokens", "memory s", "streamed s"], rows))


if __name__ == "__main__":
    main()
