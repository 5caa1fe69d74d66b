"""Tone benchmarks: the four target figures, each re-run from the shared data sets.

    .venv/bin/python experiments/bench_tone.py [--data ../shared/data] [--out bench-out/tone]
                                               [--boot 1000] [--seed 0]

1. cross-outlet genre: train on aljazeera + foxnews editorials and BBC business,
   entertainment, sport, tech; test on guardian editorials + BBC politics; macro-F1 at
   P(opinion) > 0.5, with TF-IDF-only and tone-only baselines.
2. CheckThat 2025 English subjectivity: train on train + dev, score dev_test. The
   target model is 0.5 x fine-tuned all-MiniLM-L6-v2 (seeds 0, 1, 2) + 0.5 x logistic
   regression on tone features + sentence embeddings (optional extra
   ``research[embeddings]``, ~10 min on 2 cores; the benchmark says so and scores the
   tone-only models when it is absent). Every setting (C, class_weight="balanced",
   threshold 0.5, the fine-tuning recipe and the half-and-half average) was chosen by
   5-fold cross-validation on train + dev and by train -> dev, never on dev_test:
   ``--checkthat-cv`` prints the logistic regressions' selection figures;
   ``research/tone/finetune.py`` records the fine-tuned model's.
3. the embedded sample, scored by models trained on shared data only: opinion and
   promotional orderings; plus the promotional score's validation on hyperpartisan
   articles (advocacy part) and BBC headline polarity (positivity part).
4. the whole genre run (2,491 editorials + BBC reports: sentence models, 5-fold grouped
   cross-validation, figures), timed.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from research.tone import (  # noqa: E402
    PromotionalScorer,
    SentenceScorer,
    build_classifier,
    cross_validate,
    evaluate_holdout,
    explain,
    plot_calibration,
    plot_confusion,
    plot_top_features,
    top_features,
)
from research.tone.embeddings import embeddings_available  # noqa: E402
from research.tone.evaluation import bootstrap_intervals, classification_metrics  # noqa: E402
from research.tone.features import EVAL_NEG, EVAL_POS  # noqa: E402
from research.tone.finetune import finetune_available  # noqa: E402

SAMPLE = ROOT / "research" / "data" / "sample_pak_us"
C_GENRE = 0.1


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def genre_corpus(data: Path) -> list[tuple[str, str, str]]:
    """(text, label, group) for editorials (group = outlet) and BBC (group = bbc_<category>)."""
    webis = read_jsonl(data / "webis_editorials" / "webis_editorials.jsonl")
    bbc = read_jsonl(data / "bbc_news" / "bbc_news.jsonl")
    return ([(r["text"], "opinion", r["outlet"]) for r in webis]
            + [(r["text"], "reported_news", f"bbc_{r['category']}") for r in bbc])


def sentence_scorers(data: Path) -> dict[str, SentenceScorer]:
    ct = [r for name in ("train", "dev")
          for r in read_tsv(data / "checkthat2025_en" / f"{name}_en.tsv")]
    subj = SentenceScorer(positive="SUBJ").fit([r["sentence"] for r in ct],
                                               [r["label"] for r in ct])
    ptc = [r for r in read_tsv(data / "ptc_propaganda" / "derived_train_sentences.tsv")
           if len(r["sentence"].split()) >= 3]
    prop = SentenceScorer(positive="1").fit([r["sentence"] for r in ptc],
                                            [r["propaganda"] for r in ptc])
    return {"subjective": subj, "propaganda": prop}


def sample_texts() -> tuple[list[str], list[str], list[str]]:
    """(ids, lightly cleaned texts, tones): lines of fewer than 5 words dropped."""
    with open(SAMPLE / "metadata.csv", encoding="utf-8", newline="") as f:
        meta = {r["file"]: r["tone"] for r in csv.DictReader(f)}
    ids, texts, tones = [], [], []
    for path in sorted(SAMPLE.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        ids.append(path.name[:3])
        texts.append("\n".join(line for line in lines if len(line.split()) >= 5))
        tones.append(meta[path.name])
    return ids, texts, tones


def fmt(ev, metrics=("macro_f1", "accuracy", "roc_auc", "pr_auc", "brier")) -> str:
    parts = []
    for m in metrics:
        v, ci = ev.metrics[m], ev.intervals.get(m)
        parts.append(f"{m} {v:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""))
    return "  ".join(parts)


def target_genre(corpus, scorers, boot, seed) -> dict:
    train = [r for r in corpus if r[2] not in ("guardian", "bbc_politics")]
    test = [r for r in corpus if r[2] in ("guardian", "bbc_politics")]
    print(f"\n1. cross-outlet genre: train {len(train)} (aljazeera, foxnews, BBC x4), "
          f"test {len(test)} (guardian, BBC politics); threshold 0.5")
    configs = {
        "tone+sentences logreg": dict(features=("tone", "sentences"), C=C_GENRE),
        "tone logreg (baseline)": dict(features=("tone",), C=C_GENRE),
        "tfidf logreg (baseline)": dict(features=("tfidf",), C=1.0),
        "tfidf+tone+sentences logreg": dict(features=("tfidf", "tone", "sentences"), C=C_GENRE),
        "tone+sentences linear_svm": dict(features=("tone", "sentences"), model="linear_svm",
                                          C=C_GENRE),
    }
    out = {}
    for name, kw in configs.items():
        est = build_classifier(sentence_scorers=scorers, max_iter=5000, **kw)
        _, ev = evaluate_holdout(est, [r[0] for r in train], [r[1] for r in train],
                                 [r[0] for r in test], [r[1] for r in test], positive="opinion",
                                 n_boot=boot, seed=seed)
        out[name] = ev.metrics["macro_f1"]
        print(f"  {name:30s} {fmt(ev)}")
    ok = out["tone+sentences logreg"] >= 0.90
    print(f"  target macro-F1 >= 0.90 (tone+sentences logreg): {'PASS' if ok else 'FAIL'}")
    return out


FINE_TUNED = "tone + embeddings + fine-tuned MiniLM x3, balanced"


def checkthat_models(fine_tuned=False) -> list[tuple[str, object]]:
    """(name, estimator): the CheckThat candidates; embeddings only when installed, and
    the fine-tuned ensemble (minutes per fit) only when ``fine_tuned``."""
    models = [("tone sentence model", SentenceScorer(positive="SUBJ")),
              ("tone, balanced", SentenceScorer(positive="SUBJ", class_weight="balanced")),
              ("tone + char n-grams", SentenceScorer(positive="SUBJ", char_ngrams=True)),
              ("tfidf logreg (baseline)",
               build_classifier(features=("tfidf",), C=1.0, tfidf_params={"min_df": 1}))]
    if embeddings_available():
        models += [("tone + embeddings, balanced",
                    SentenceScorer(positive="SUBJ", embeddings=True, class_weight="balanced")),
                   ("tone + embeddings",
                    SentenceScorer(positive="SUBJ", embeddings=True))]
        if fine_tuned and finetune_available():
            models.append((FINE_TUNED, SentenceScorer(positive="SUBJ", embeddings=True,
                                                      class_weight="balanced",
                                                      fine_tune=(0, 1, 2))))
    return models


def checkthat_selection(data, seeds=(0, 1)) -> None:
    """Model selection without dev_test: 5-fold CV on train + dev (out-of-fold macro-F1
    at 0.5, ROC-AUC, the CV-best threshold), and train -> dev."""
    from sklearn.base import clone
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    folder = data / "checkthat2025_en"
    tr, dv = (read_tsv(folder / f"{n}_en.tsv") for n in ("train", "dev"))
    X = np.array([r["sentence"] for r in tr + dv], dtype=object)
    y = np.array([r["label"] for r in tr + dv], dtype=object)
    yb = (y == "SUBJ").astype(int)

    def mf1(t, p, th=0.5):
        return f1_score(t, (p > th).astype(int), average="macro")

    print(f"\n2a. CheckThat model selection (no dev_test): 5-fold CV on train+dev "
          f"x {len(seeds)} seeds; train {len(tr)} -> dev {len(dv)}")
    for name, est in checkthat_models():
        f, auc, best = [], [], []
        for seed in seeds:
            p = np.zeros(len(y))
            for a, b in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
                m = clone(est).fit(list(X[a]), list(y[a]))
                p[b] = m.predict_proba(list(X[b]))[:, list(m.classes_).index("SUBJ")]
            f.append(mf1(yb, p))
            auc.append(roc_auc_score(yb, p))
            ths = np.linspace(0.2, 0.8, 61)
            best.append(ths[int(np.argmax([mf1(yb, p, t) for t in ths]))])
        m = clone(est).fit([r["sentence"] for r in tr], [r["label"] for r in tr])
        pd = m.predict_proba([r["sentence"] for r in dv])[:, list(m.classes_).index("SUBJ")]
        yd = np.array([r["label"] == "SUBJ" for r in dv], dtype=int)
        print(f"  {name:30s} CV macro_f1 {np.mean(f):.3f}  roc_auc {np.mean(auc):.3f}  "
              f"best threshold {np.mean(best):.2f} | train->dev macro_f1 {mf1(yd, pd):.3f}  "
              f"roc_auc {roc_auc_score(yd, pd):.3f}")


def target_checkthat(data, boot, seed) -> float:
    folder = data / "checkthat2025_en"
    train = [r for name in ("train", "dev") for r in read_tsv(folder / f"{name}_en.tsv")]
    test = read_tsv(folder / "dev_test_en.tsv")
    print(f"\n2. CheckThat 2025 English: train+dev {len(train)}, dev_test {len(test)}; "
          "threshold 0.5")
    scores, models = {}, checkthat_models(fine_tuned=True)
    width = max(len(name) for name, _ in models)
    for name, est in models:
        start = time.perf_counter()
        model, ev = evaluate_holdout(est, [r["sentence"] for r in train],
                                     [r["label"] for r in train], [r["sentence"] for r in test],
                                     [r["label"] for r in test], positive="SUBJ", n_boot=boot,
                                     seed=seed)
        scores[name] = ev.metrics["macro_f1"]
        print(f"  {name:{width}s} {fmt(ev)}  ({time.perf_counter() - start:.0f} s)", flush=True)
        if getattr(model, "fine_tuned_", None) is not None:
            per_seed = ", ".join(f"{t:.0f}" for t in model.fine_tuned_.fit_seconds_)
            print(f"  {'':{width}s} fine-tuning seconds per seed: {per_seed}")
    target = FINE_TUNED
    if target not in scores:
        print("  target model needs the optional extra (pip install 'research[embeddings]'); "
              f"tone-only best {max(scores.values()):.3f}: target macro-F1 >= 0.70: FAIL")
        return scores["tone sentence model"]
    best = scores[target]
    print(f"  target macro-F1 >= 0.70 ({target}): {'PASS' if best >= 0.70 else 'FAIL'}")
    return best


GOOD_NEWS = ("rise rises rising jump jumps soar soars boost boosts boosted record surge "
             "surges gain gains growth grows climb climbs rebound recovery upbeat hail hails")
BAD_NEWS = ("fall falls fell drop drops slump slumps slide slides cut cuts loss losses plunge "
            "plunges warn warns woe woes slowdown blow attack attacks criticised row strike "
            "probe quit quits")


def _headline_polarity(data: Path):
    """BBC stories whose headline announces good vs bad news, by headline words that are
    not in the evaluation word lists (so the check is independent of the lexicon)."""
    def pattern(words: str):
        kept = [w for w in words.split() if w not in EVAL_POS | EVAL_NEG]
        return re.compile(rf"\b({'|'.join(kept)})\b", re.I)

    up_re, down_re = pattern(GOOD_NEWS), pattern(BAD_NEWS)
    bbc = read_jsonl(data / "bbc_news" / "bbc_news.jsonl")
    good = [r["text"] for r in bbc if up_re.search(r["title"]) and not down_re.search(r["title"])]
    bad = [r["text"] for r in bbc if down_re.search(r["title"]) and not up_re.search(r["title"])]
    return good, bad


def target_sample(data, corpus, scorers, boot, seed) -> dict:
    print("\n3. the sample, scored by models trained on shared data only")
    texts, labels = [r[0] for r in corpus], [r[1] for r in corpus]
    est = build_classifier(features=("tone", "sentences"), C=C_GENRE, sentence_scorers=scorers)
    promo = PromotionalScorer(est, positive="opinion").fit(texts, labels)
    ids, sample, tones = sample_texts()
    cols = promo.transform(sample)
    for i, tone, (adv, pos, score) in zip(ids, tones, cols, strict=True):
        print(f"  {i} {tone:20s} P(opinion) {adv:.3f}  positivity {pos:.3f}  "
              f"promotional {score:.3f}")
    news = [k for k, t in enumerate(tones) if t == "reported_news"]
    i3, i4 = ids.index("003"), ids.index("004")
    opinion_ok = min(cols[i3, 0], cols[i4, 0]) > max(cols[news, 0])
    promo_ok = cols[i4, 2] > cols[i3, 2] > max(cols[news, 2])
    print(f"  opinion axis: 003 and 004 above every reported-news document: "
          f"{'PASS' if opinion_ok else 'FAIL'}")
    print(f"  promotional axis: 004 > 003 > reported news: {'PASS' if promo_ok else 'FAIL'}")
    for i, e in zip(ids, explain(promo.advocacy_, sample, top=3, label="opinion"), strict=True):
        push = ", ".join(f"{n.split('__')[-1]} {c:+.2f}" for n, c, _ in e["towards"])
        pull = ", ".join(f"{n.split('__')[-1]} {c:+.2f}" for n, c, _ in e["against"])
        print(f"    {i} towards opinion: {push}; against: {pull}")

    print("  validation of the promotional score's parts on held-out data:")
    hyp = read_jsonl(data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl")
    parts = promo.transform([h["text"] for h in hyp])
    y = ["one_sided" if h["hyperpartisan"] == "true" else "balanced" for h in hyp]
    doms = [h["domain"] for h in hyp]
    for k, name in [(0, "advocacy P(opinion)"), (1, "positivity"), (2, "promotional")]:
        proba = np.column_stack([1 - parts[:, k], parts[:, k]])
        m = classification_metrics(y, proba, ["balanced", "one_sided"], "one_sided")
        ci = bootstrap_intervals(y, proba, ["balanced", "one_sided"], "one_sided", groups=doms,
                                 n_boot=boot, seed=seed)["roc_auc"]
        print(f"    hyperpartisan (one-sided vs not, {len(hyp)} articles, CI over domains): "
              f"ROC-AUC of {name} {m['roc_auc']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]")
    good, bad = _headline_polarity(data)
    pos = promo.positivity(good + bad)
    y = ["good"] * len(good) + ["bad"] * len(bad)
    proba = np.column_stack([1 - pos, pos])
    m = classification_metrics(y, proba, ["bad", "good"], "good")
    ci = bootstrap_intervals(y, proba, ["bad", "good"], "good", n_boot=boot, seed=seed)["roc_auc"]
    print(f"    BBC headline polarity ({len(good)} good-news vs {len(bad)} bad-news stories; "
          f"body text only): ROC-AUC of positivity {m['roc_auc']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]")
    return {"opinion_order": bool(opinion_ok), "promotional_order": bool(promo_ok)}


def target_runtime(data, out: Path, boot, seed) -> float:
    print("\n4. whole genre run: sentence models + 5-fold grouped CV + figures")
    start = time.perf_counter()
    corpus = genre_corpus(data)
    scorers = sentence_scorers(data)
    est = build_classifier(features=("tone", "sentences"), C=C_GENRE, sentence_scorers=scorers)
    texts, labels, groups = zip(*corpus, strict=True)
    ev = cross_validate(est, texts, labels, groups=groups, n_splits=5, scheme="group",
                        positive="opinion", n_boot=boot, seed=seed)
    model = est.fit(list(texts), list(labels))
    plot_calibration(ev.y_true, ev.proba[:, ev.classes.index("opinion")], "opinion",
                     out / "calibration.png")
    plot_confusion(ev.confusion, ev.classes, out / "confusion.png")
    plot_top_features(top_features(model, 12), out / "top_features.png")
    took = time.perf_counter() - start
    print(f"  {len(texts)} documents, {len(set(groups))} groups: {fmt(ev)}")
    print(f"  figures in {out}; took {took:.1f} s; target < 120 s: "
          f"{'PASS' if took < 120 else 'FAIL'}")
    return took


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-out" / "tone")
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=("all", "checkthat"), default="all",
                    help="checkthat: run only target 2 (needs no other data set)")
    ap.add_argument("--checkthat-cv", action="store_true",
                    help="also print the CheckThat model selection (CV on train+dev, train->dev)")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: shared data folder {args.data} not found; pass --data", file=sys.stderr)
        return 2
    print(f"tone benchmarks: data {args.data}, {args.boot} bootstrap resamples, seed {args.seed}")
    if args.checkthat_cv:
        checkthat_selection(args.data)
    if args.only == "checkthat":
        target_checkthat(args.data, args.boot, args.seed)
        return 0
    took = target_runtime(args.data, args.out, args.boot, args.seed)
    corpus = genre_corpus(args.data)
    scorers = sentence_scorers(args.data)
    target_genre(corpus, scorers, args.boot, args.seed)
    target_checkthat(args.data, args.boot, args.seed)
    target_sample(args.data, corpus, scorers, args.boot, args.seed)
    print(f"\nre-run: .venv/bin/python experiments/bench_tone.py (run 4 took {took:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
