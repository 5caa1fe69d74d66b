"""Topic-model benchmark: quality on octis_bbc, speed on 20 Newsgroups. Prints tables.

    python experiments/bench_topics.py              # chosen settings + 20 Newsgroups timings
    python experiments/bench_topics.py --explore    # every setting tried (25-40 minutes)
    python experiments/bench_topics.py --part octis # or 20ng; --seed N; --data PATH

octis_bbc: its lemmatised tokens and fixed 2,949-word vocabulary as they are; for K = 10,
20, 30, 40, 50 one fit each; NPMI of the top 10 words on the octis_bbc texts themselves
(gensim's c_npmi: window 10, epsilon 1e-12, mean over topics) and topic diversity of the top
25, both averaged over the five K. Reference rows: the BERTopic paper's OCTIS rows (floor)
and the aims set for this project.

20 Newsgroups (18,846 posts, headers = text before the first blank line stripped): lowercase,
alphabetic tokens of >= 3 letters, scikit-learn's English stop words, min_df 5, max_df 0.5;
K = 20. Wall times of each stage, coherence time ours vs gensim's CoherenceModel (same
topics, same texts, both values printed) and the process's peak memory.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import shared_data, table

from research.evaluate import CoherenceScorer, coherence, topic_diversity
from research.tone.embeddings import embeddings_available
from research.topics import build_topic_model

KS = (10, 20, 30, 40, 50)
TOKEN = r"(?u)\b[a-z]{3,}\b"

# (label, kind, backend, vectoriser settings, model settings); the first row of each model is
# the setting chosen for the configs, the rest is what was tried on the way there.
# (label, model kind, back-end, vectorizer settings, model settings)
Setting = tuple[str, str, str, dict[str, Any], dict[str, Any]]
CHOSEN: list[Setting] = [
    ("NMF chosen: binary TF-IDF, Frobenius, nndsvda, 100 iter", "nmf", "sklearn",
     {"kind": "tfidf", "binary": True}, {"init": "nndsvda", "max_iter": 100}),
    ("LDA chosen: sklearn batch, 30 iter, priors 0.1/0.01", "lda", "sklearn",
     {"kind": "count"}, {"max_iter": 30, "doc_topic_prior": 0.1, "topic_word_prior": 0.01}),
    ("LDA chosen: gensim asym alpha, eta 0.01, 5 passes, chunks 500", "lda", "gensim",
     {"kind": "count"}, {"alpha": "asymmetric", "eta": 0.01, "passes": 5, "chunksize": 500}),
    ("LDA default: tomotopy, 200 sweeps (defaults.yaml)", "lda", "tomotopy", {"kind": "count"}, {}),
]
TRIED = [
    ("NMF TF-IDF, Frobenius, nndsvd", "nmf", "sklearn", {"kind": "tfidf"}, {"init": "nndsvd"}),
    ("NMF TF-IDF, Frobenius, nndsvda", "nmf", "sklearn", {"kind": "tfidf"}, {"init": "nndsvda"}),
    ("NMF sublinear TF-IDF, Frobenius, nndsvd", "nmf", "sklearn",
     {"kind": "tfidf", "sublinear_tf": True}, {"init": "nndsvd"}),
    ("NMF sublinear TF-IDF, norm none, nndsvd", "nmf", "sklearn",
     {"kind": "tfidf", "sublinear_tf": True, "norm": None}, {"init": "nndsvd"}),
    ("NMF sublinear TF-IDF, norm l1, nndsvd", "nmf", "sklearn",
     {"kind": "tfidf", "sublinear_tf": True, "norm": "l1"}, {"init": "nndsvd"}),
    ("NMF sublinear TF-IDF, smooth_idf off, nndsvd", "nmf", "sklearn",
     {"kind": "tfidf", "sublinear_tf": True, "smooth_idf": False}, {"init": "nndsvd"}),
    ("NMF sublinear, alpha_H 1e-4 l1_ratio 1", "nmf", "sklearn",
     {"kind": "tfidf", "sublinear_tf": True},
     {"init": "nndsvd", "alpha_W": 0.0, "alpha_H": 1e-4, "l1_ratio": 1.0, "max_iter": 400}),
    ("NMF sublinear, alpha_H 3e-4 l1_ratio 1", "nmf", "sklearn",
     {"kind": "tfidf", "sublinear_tf": True},
     {"init": "nndsvd", "alpha_W": 0.0, "alpha_H": 3e-4, "l1_ratio": 1.0, "max_iter": 400}),
    ("NMF sublinear, alpha_W=H 1e-4 l1_ratio .5", "nmf", "sklearn",
     {"kind": "tfidf", "sublinear_tf": True},
     {"init": "nndsvd", "alpha_W": 1e-4, "alpha_H": "same", "l1_ratio": 0.5,
      "max_iter": 400}),
    ("NMF TF-IDF, KL loss (mu), nndsvda", "nmf", "sklearn", {"kind": "tfidf"},
     {"loss": "kullback-leibler", "solver": "mu", "init": "nndsvda"}),
    ("NMF sublinear TF-IDF, KL loss (mu)", "nmf", "sklearn",
     {"kind": "tfidf", "sublinear_tf": True},
     {"loss": "kullback-leibler", "solver": "mu", "init": "nndsvda"}),
    ("NMF binary TF-IDF, nndsvd", "nmf", "sklearn", {"kind": "tfidf", "binary": True},
     {"init": "nndsvd"}),
    ("NMF binary TF-IDF, nndsvda, 200 iter", "nmf", "sklearn",
     {"kind": "tfidf", "binary": True}, {"init": "nndsvda"}),
    ("NMF binary TF-IDF, nndsvda, 500 iter, tol 1e-5", "nmf", "sklearn",
     {"kind": "tfidf", "binary": True}, {"init": "nndsvda", "max_iter": 500, "tol": 1e-5}),
    ("NMF binary TF-IDF, norm none", "nmf", "sklearn",
     {"kind": "tfidf", "binary": True, "norm": None}, {"init": "nndsvda"}),
    ("LDA gensim defaults (sym alpha, eta 1/K, 10 passes)", "lda", "gensim", {"kind": "count"},
     {}),
    ("LDA gensim alpha auto, eta auto, 20 passes", "lda", "gensim", {"kind": "count"},
     {"alpha": "auto", "eta": "auto", "passes": 20}),
    ("LDA gensim asym alpha, eta 0.01, 20 passes", "lda", "gensim", {"kind": "count"},
     {"alpha": "asymmetric", "eta": 0.01, "passes": 20}),
    ("LDA gensim asym alpha, eta 0.005, 20 passes", "lda", "gensim", {"kind": "count"},
     {"alpha": "asymmetric", "eta": 0.005, "passes": 20}),
    ("LDA gensim asym, eta 0.01, 30 passes, 100 iter", "lda", "gensim", {"kind": "count"},
     {"alpha": "asymmetric", "eta": 0.01, "passes": 30, "iterations": 100}),
    ("LDA sklearn batch defaults (10 iter, priors 1/K)", "lda", "sklearn", {"kind": "count"}, {}),
    ("LDA sklearn online, 20 iter, batch 256", "lda", "sklearn", {"kind": "count"},
     {"learning_method": "online", "max_iter": 20, "batch_size": 256}),
    ("LDA sklearn batch 30 iter, priors 0.1/0.005", "lda", "sklearn", {"kind": "count"},
     {"max_iter": 30, "doc_topic_prior": 0.1, "topic_word_prior": 0.005}),
    ("LDA sklearn batch 50 iter, priors 0.05/0.01", "lda", "sklearn", {"kind": "count"},
     {"max_iter": 50, "doc_topic_prior": 0.05, "topic_word_prior": 0.01}),
]
# embedding topics (issue 14 item 6; the optional extra, make embeddings): each document's words
# (max_words 128, heaviest first) embedded with the bundled all-MiniLM-L6-v2, PCA to 5 dims,
# KMeans, c-TF-IDF words over square-rooted counts (the defaults.yaml settings). Embeddings are memoised, so the five K encode once.
EMBED: Setting = ("Embedding topics: MiniLM, PCA 100, KMeans, sqrt c-TF-IDF", "embed", "sklearn", {"kind": "count"}, {})
# the streaming NMF (issue 12): MiniBatchNMF with its defaults.yaml settings (30 epochs,
# forget_factor 0.3, no early stopping); scikit-learn's early stopping stopped in epoch 1
MINIBATCH: Setting = ("NMF mini-batch: binary TF-IDF, defaults (30 epochs)", "nmf", "sklearn_minibatch",
             {"kind": "tfidf", "binary": True}, {})
# 20 Newsgroups speed runs (K=20): the chosen gensim LDA and NMF settings, and mini-batch NMF
NEWSGROUPS = [CHOSEN[2], CHOSEN[0], MINIBATCH]
REFERENCE = [
    ["floor: LDA (OCTIS, BERTopic paper)", "", 0.014, 0.577],
    ["floor: NMF (OCTIS, BERTopic paper)", "", 0.012, 0.549],
    ["BERTopic best (paper)", "", 0.167, 0.794],
    ["aim: LDA", "", 0.050, 0.650],
    ["aim: NMF", "", 0.180, 0.800],
]


def vectoriser(settings: dict, **fixed):
    settings = dict(settings)
    cls = TfidfVectorizer if settings.pop("kind") == "tfidf" else CountVectorizer
    return cls(**fixed, **settings)


def octis_table(data: Path, settings: list, seed: int) -> None:
    folder = data / "octis_bbc"
    with open(folder / "corpus.tsv", encoding="utf-8") as f:
        docs = [line.split("\t")[0] for line in f]
    with open(folder / "vocabulary.txt", encoding="utf-8") as f:
        vocabulary = f.read().split()
    scorer = CoherenceScorer([d.split() for d in docs], "c_npmi")
    fixed = dict(vocabulary=vocabulary, tokenizer=str.split, token_pattern=None, lowercase=False)
    rows = []
    for label, kind, backend, vec, params in settings:
        if kind == "embed" and not embeddings_available():
            rows.append([label + " (not run: needs make embeddings)", "", float("nan"), float("nan"), "", "", ""])
            continue
        X = vectoriser(vec, **fixed).fit_transform(docs)
        npmi, td, seconds = [], [], 0.0
        for k in KS:
            t0 = time.perf_counter()
            model = build_topic_model(f"{kind}.{backend}", k, seed, **params).fit(X, feature_names=vocabulary)
            seconds += time.perf_counter() - t0
            result = model.result()
            npmi.append(scorer.score(result.topics(10)).mean)
            td.append(topic_diversity(result.topics(25)))
        aim = {"nmf": (0.18, 0.80), "embed": (0.167, 0.794)}.get(kind, (0.05, 0.65))   # embed: BERTopic's paper
        met = "yes" if np.mean(npmi) >= aim[0] and np.mean(td) >= aim[1] else "no"
        rows.append([label, met, float(np.mean(npmi)), float(np.mean(td)),
                     " ".join(f"{v:.3f}" for v in npmi), " ".join(f"{v:.2f}" for v in td),
                     f"{seconds:.1f}"])
        print(f"  done: {label}", file=sys.stderr, flush=True)
    rows += [r + ["", "", ""] for r in REFERENCE]
    print(table(f"octis_bbc, mean over K={list(KS)}, seed {seed}: NPMI (top 10, gensim "
                "c_npmi on the octis texts) and topic diversity (top 25)",
                ["setting", "aim met", "NPMI", "TD", "NPMI per K", "TD per K", "fit s (5 K)"],
                rows))


class Stages:
    """Wall and CPU seconds of named stages (CPU time is steadier on a shared machine)."""

    def __init__(self):
        self.rows: dict[str, tuple[float, float]] = {}

    def __call__(self, name: str):
        return _Stage(self, name)

    def total(self, *names: str) -> tuple[float, float]:
        return (sum(self.rows[n][0] for n in names), sum(self.rows[n][1] for n in names))


class _Stage:
    def __init__(self, stages: Stages, name: str):
        self.stages, self.name = stages, name

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc):
        self.stages.rows[self.name] = (time.perf_counter() - self.wall,
                                       time.process_time() - self.cpu)


def identity(doc):
    return doc


def newsgroups_table(data: Path, seed: int) -> None:
    from gensim.corpora import Dictionary
    from gensim.models import CoherenceModel

    st = Stages()
    with st("load + strip headers"):
        with gzip.open(data / "20newsgroups" / "20newsgroups_bydate.jsonl.gz", "rt",
                       encoding="utf-8") as f:
            posts = [json.loads(line)["text"] for line in f]
        bodies = [p.split("\n\n", 1)[1] if "\n\n" in p else "" for p in posts]
    with st("tokenise"):
        analyse = CountVectorizer(token_pattern=TOKEN, stop_words="english").build_analyzer()
        texts = [analyse(b) for b in bodies]
    with st("count matrix"):
        counts = CountVectorizer(analyzer=identity, min_df=5, max_df=0.5)
        Xc = counts.fit_transform(texts)
        vocabulary = list(counts.get_feature_names_out())
    models = {}
    for label, kind, backend, vec, params in NEWSGROUPS:
        if vec["kind"] == "tfidf" and "TF-IDF matrix" not in st.rows:
            with st("TF-IDF matrix"):
                Xt = vectoriser(vec, analyzer=identity, min_df=5, max_df=0.5).fit_transform(texts)
        with st(f"fit {label}"):
            models[label] = build_topic_model(f"{kind}.{backend}", 20, seed, **params).fit(
                Xc if kind == "lda" else Xt, feature_names=vocabulary)
    prep = ("load + strip headers", "tokenise")
    rows = [[name, f"{w:.2f}", f"{c:.2f}"] for name, (w, c) in st.rows.items()]
    for label, kind, *_ in NEWSGROUPS:
        target = 60 if kind == "lda" else 15
        matrix = "count matrix" if kind == "lda" else "TF-IDF matrix"
        w, c = st.total(*prep, matrix, f"fit {label}")
        rows.append([f"whole: {label} (target <= {target} s)", f"{w:.2f}", f"{c:.2f}"])
    print(table(f"20 Newsgroups: {len(texts)} posts, {len(vocabulary)} words, K=20, seed {seed}",
                ["stage", "wall s", "cpu s"], rows))

    rows, calls = [], []
    for label, model in models.items():
        topics = model.result().topics(10)
        # both timed with BLAS limited to one thread: OpenBLAS workers keep spinning for a
        # while after the model fits and would otherwise steal the second core from either
        with threadpool_limits(limits=1):
            first = time.perf_counter()   # ours: the median of 3 calls (timeit's practice; the
            ours = coherence(topics, texts, "c_npmi")   # first call is shown too), gensim: 1
            first = time.perf_counter() - first
            for _ in range(3):
                with st("ours"):
                    ours = coherence(topics, texts, "c_npmi")
                calls.append(st.rows["ours"])
            with st("Dictionary"):
                dictionary = Dictionary(texts)
            with st("gensim"):
                theirs = CoherenceModel(topics=topics, texts=texts, dictionary=dictionary,
                                        coherence="c_npmi", topn=10,
                                        processes=1).get_coherence()
        ours_w, ours_c = sorted(calls)[1]
        calls.clear()
        (dict_w, _), (gen_w, gen_c) = (st.rows[k] for k in ("Dictionary", "gensim"))
        rows.append([label, f"{ours.mean:.12f}", f"{theirs:.12f}",
                     f"{topic_diversity(model.result().topics(25)):.3f}",
                     f"{ours_w:.2f} / {ours_c:.2f} (first {first:.2f})", f"{gen_w:.2f} / {gen_c:.2f}",
                     f"{dict_w:.2f}", f"{gen_w / ours_w:.0f}x / {gen_c / ours_c:.0f}x"])
    print(table("c_npmi of the top 10 words on the 20 Newsgroups texts: ours vs gensim "
                "CoherenceModel (processes=1; its Dictionary timed apart), seconds wall / cpu; ours: median "
                "of 3 calls after a first one",
                ["model", "NPMI ours", "NPMI gensim", "TD", "ours", "gensim",
                 "gensim Dictionary", "speed-up wall / cpu"], rows))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (ru_maxrss): {peak:.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["all", "octis", "20ng"], default="all")
    parser.add_argument("--explore", action="store_true",
                        help="also run every setting tried on the way to the chosen ones")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=shared_data())
    args = parser.parse_args(argv)
    if args.data is None or not args.data.is_dir():
        raise SystemExit("bench_topics: shared data not found; pass --data PATH")
    print(f"command: python experiments/bench_topics.py --part {args.part} --seed {args.seed}"
          + (" --explore" if args.explore else ""))
    if args.part in ("all", "octis"):
        octis_table(args.data, CHOSEN + [EMBED] + (TRIED if args.explore else []), args.seed)
    if args.part in ("all", "20ng"):
        newsgroups_table(args.data, args.seed)


if __name__ == "__main__":
    # `make bench` runs this file through runpy with bench.py's own argv: ignore that
    main(sys.argv[1:] if Path(sys.argv[0]).name == "bench_topics.py" else [])
