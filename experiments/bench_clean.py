"""Time ``clean_corpus`` on the shared data sets and report what it removed.

    .venv/bin/python experiments/bench_clean.py                 # 20 Newsgroups (18,846 posts)
    .venv/bin/python experiments/bench_clean.py --corpus bbc    # or hyperpartisan, editorials
    /usr/bin/time -v .venv/bin/python experiments/bench_clean.py   # + peak RSS of the process

Default ``clean:`` settings from research/config/defaults.yaml. Prints load and clean seconds, the
peak RSS of this process, the summary and the share of characters removed from the kept
documents (for BBC this is the "real text lost" figure: BBC pages carry no furniture).
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from research.clean.cleaner import clean_corpus  # noqa: E402
from research.corpus.documents import Document  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def _jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def load(corpus: str) -> list[Document]:
    """Documents of one shared corpus (20 Newsgroups: e-mail headers stripped)."""
    if corpus == "20ng":
        rows = _jsonl(DATA / "20newsgroups" / "20newsgroups_bydate.jsonl.gz")
        return [Document(id=f"{r['id']}/{r['split']}", text=r["text"].split("\n\n", 1)[-1],
                         label=r["newsgroup"]) for r in rows]
    if corpus == "bbc":
        rows = _jsonl(DATA / "bbc_news" / "bbc_news.jsonl")
        return [Document(id=r["id"], text=r["text"], outlet="bbc") for r in rows]
    if corpus == "hyperpartisan":
        rows = _jsonl(DATA / "hyperpartisan" / "hyperpartisan_byarticle.jsonl")
        return [Document(id=r["id"], text=r["text"], outlet=r["domain"]) for r in rows]
    rows = _jsonl(DATA / "webis_editorials" / "webis_editorials.jsonl")
    return [Document(id=r["id"], text=r["text"], outlet=r["outlet"]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="20ng",
                        choices=["20ng", "bbc", "hyperpartisan", "editorials"])
    args = parser.parse_args()
    settings = yaml.safe_load((ROOT / "research" / "config" / "defaults.yaml").read_text())["clean"]
    t0 = time.perf_counter()
    docs = load(args.corpus)
    t1 = time.perf_counter()
    result = clean_corpus(docs, settings)
    t2 = time.perf_counter()
    kept = [r for r in result.records if r["kept"]]
    removed = 1 - sum(r["chars_after"] for r in kept) / sum(r["chars_before"] for r in kept)
    print(f"corpus: {args.corpus}  documents: {len(docs)}")
    print(f"load: {t1 - t0:.1f} s  clean: {t2 - t1:.1f} s  "
          f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"characters removed from kept documents: {removed:.2%}")
    print(f"duplicate pairs: {len(result.duplicate_pairs)}")
    print(json.dumps(result.summary, indent=1))


if __name__ == "__main__":
    main()
