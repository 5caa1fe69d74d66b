"""Genre across outlets: which features measure the outlet, and leave-one-outlet-out.

    .venv/bin/python experiments/bench_tone_outlets.py [--data ../shared/data] [--boot 1000]
                                                       [--seed 0] [--select]

Groups: the 3 editorial outlets (aljazeera, foxnews, guardian: opinion) and the 5 BBC
sections (reported news). Features: tone + sentence shares (CheckThat, PTC), as
configs/tone_genre.yaml.

(a) the outlet-confounding table (research/tone/confounding.py) over all 8 groups and
    over the 6 training groups of configs/tone_genre.yaml, with kept at max_ratio 1.0;
(b) leave-one-group-out over the 8 groups: pooled out-of-fold macro-F1 with a 95%
    bootstrap interval over documents, and each held-out group's recall, before and after
    dropping confounded features. "after" measures the table inside each fold on its
    training groups only (nested), so the held-out group never chooses the features;
(c) train on the 6 groups, test on Guardian + BBC politics, before and after.

Settings were chosen by leave-one-group-out over the 6 training groups only (``--select``
prints that grid), never on Guardian or BBC politics. Raw JSONL texts are used (a run
also cleans and de-duplicates, so its figures differ in the third decimal).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tone import genre_corpus, sentence_scorers  # noqa: E402

from research.tone import FEATURE_NAMES, ToneFeatures, build_classifier, make_folds, sentence_features  # noqa: E402
from research.tone.confounding import measure_confounding, select_features  # noqa: E402
from research.tone.evaluation import bootstrap_intervals, classification_metrics  # noqa: E402

TEST_GROUPS = ("guardian", "bbc_politics")
POSITIVE = "opinion"
BEFORE: dict[str, Any] = {"C": 0.1, "class_weight": None, "max_ratio": None}        # configs/tone_genre.yaml before issue 15
SETTINGS: dict[str, dict[str, Any]] = {
    "before: C 0.1, all features": BEFORE,
    "C 0.1, max_ratio 1.0": {**BEFORE, "max_ratio": 1.0},           # configs/tone_genre.yaml now
    "balanced, C 0.03, all features": {"C": 0.03, "class_weight": "balanced", "max_ratio": None},
    "after: balanced, C 0.03, max_ratio 1.0": {"C": 0.03, "class_weight": "balanced", "max_ratio": 1.0},
}


def feature_matrix(texts, scorers) -> tuple[np.ndarray, list[str]]:
    """Tone features and sentence shares of every text (the columns of the genre model)."""
    shares = sentence_features(scorers).fit()
    X = np.hstack([ToneFeatures().fit(texts).transform(texts), shares.transform(texts)])
    return X, list(FEATURE_NAMES) + [str(n) for n in shares.get_feature_names_out()]


def kept_tone_features(X, labels, groups, names, max_ratio) -> tuple[str, ...] | None:
    if max_ratio is None:
        return None
    rows = select_features(measure_confounding(X, labels, groups, names), max_ratio)
    return tuple(n for n in FEATURE_NAMES if any(r.feature == n and r.kept for r in rows))


def estimator(scorers, setting, tone_features):
    return build_classifier(features=("tone", "sentences"), C=setting["C"], class_weight=setting["class_weight"],
                            max_iter=5000, tone_features=tone_features, sentence_scorers=scorers)


def scored(labels, proba, classes, boot, seed) -> str:
    found = classification_metrics(labels, proba, classes, POSITIVE)
    ci = bootstrap_intervals(labels, proba, classes, POSITIVE, n_boot=boot, seed=seed)["macro_f1"]
    return f"macro-F1 {found['macro_f1']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def looo(texts, labels, groups, X, names, scorers, setting) -> tuple[np.ndarray, list[str], dict[str, float]]:
    """Out-of-fold P(class) of leave-one-group-out, features chosen inside each fold."""
    classes = sorted(set(labels.tolist()))
    proba = np.zeros((len(texts), len(classes)))
    recall = {}
    for train, test in make_folds(labels, groups, scheme="leave_one_group_out"):
        assert not set(groups[train]) & set(groups[test])
        keep = kept_tone_features(X[train], labels[train], groups[train], names, setting["max_ratio"])
        model = estimator(scorers, setting, keep).fit([texts[i] for i in train], labels[train])
        proba[test] = model.predict_proba([texts[i] for i in test])
        predicted = np.asarray(classes)[proba[test].argmax(axis=1)]
        recall[str(groups[test][0])] = float(np.mean(predicted == labels[test]))
    return proba, classes, recall


def print_table(X, labels, groups, names, train) -> None:
    print("\n(a) outlet-confounding ratio = outlet spread / genre spread (pooled SDs); kept at max_ratio 1.0")
    every = {r.feature: r for r in select_features(measure_confounding(X, labels, groups, names), 1.0)}
    six = {r.feature: r for r in select_features(
        measure_confounding(X[train], labels[train], groups[train], names), 1.0)}
    print(f"  {'feature':17s} {'8 groups: outlet':>16s} {'genre':>6s} {'ratio':>7s} {'kept':>5s}"
          f" | {'6 training groups: ratio':>24s} {'kept':>5s}")
    for name in sorted(names, key=lambda n: -every[n].ratio):
        a, b = every[name], six[name]
        print(f"  {name:17s} {a.outlet_spread:16.3f} {a.genre_spread:6.3f} {a.ratio:7.3f} {a.kept!s:>5s}"
              f" | {b.ratio:24.3f} {b.kept!s:>5s}")


def print_looo(texts, labels, groups, X, names, scorers, boot, seed) -> None:
    print(f"\n(b) leave-one-group-out over {len(set(groups))} groups ({len(texts)} documents), "
          "pooled out-of-fold; recall of each held-out group")
    for name, setting in SETTINGS.items():
        start = time.perf_counter()
        proba, classes, recall = looo(texts, labels, groups, X, names, scorers, setting)
        print(f"  {name:40s} {scored(labels, proba, classes, boot, seed)}  ({time.perf_counter() - start:.0f} s)")
        print("    " + ", ".join(f"{g} {r:.3f}" for g, r in sorted(recall.items())))
    print("  target macro-F1 >= 0.90")


def print_holdout(texts, labels, groups, X, names, scorers, boot, seed) -> None:
    train = np.flatnonzero(~np.isin(groups, TEST_GROUPS))
    test = np.flatnonzero(np.isin(groups, TEST_GROUPS))
    print(f"\n(c) train on {len(train)} documents (6 groups), test on {len(test)} (guardian, BBC politics)")
    for name, setting in SETTINGS.items():
        keep = kept_tone_features(X[train], labels[train], groups[train], names, setting["max_ratio"])
        model = estimator(scorers, setting, keep).fit([texts[i] for i in train], labels[train])
        proba = model.predict_proba([texts[i] for i in test])
        print(f"  {name:40s} {scored(labels[test], proba, list(model.classes_), boot, seed)}")
    print("  target macro-F1 >= 0.95")


def print_selection(X, labels, groups, names) -> None:
    """Leave-one-group-out over the 6 training groups only, on the feature matrix (the same
    scaler + logistic regression as the pipeline), features chosen inside each fold."""
    from sklearn.metrics import f1_score
    train = ~np.isin(groups, TEST_GROUPS)
    X, labels, groups = X[train], labels[train], groups[train]
    print("\n(selection) leave-one-group-out over the 6 training groups: macro-F1")
    for cw in (None, "balanced"):
        for C in (0.01, 0.03, 0.1, 0.3):
            cells = []
            for max_ratio in (None, 1.5, 1.0, 0.6, 0.4):
                predicted = np.empty(len(labels), dtype=object)
                for tr, te in make_folds(labels, groups, scheme="leave_one_group_out"):
                    keep = kept_tone_features(X[tr], labels[tr], groups[tr], names, max_ratio) or FEATURE_NAMES
                    cols = [names.index(n) for n in names if n in keep or n not in FEATURE_NAMES]
                    clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, class_weight=cw, max_iter=5000))
                    predicted[te] = clf.fit(X[tr][:, cols], labels[tr]).predict(X[te][:, cols])
                cells.append(f"max_ratio {max_ratio}: {f1_score(labels, predicted, average='macro'):.3f}")
            print(f"  class_weight {cw!s:8s} C {C:<5}  " + "  ".join(cells))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--select", action="store_true", help="also print the selection grid (6 training groups)")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: shared data folder {args.data} not found; pass --data", file=sys.stderr)
        return 2
    corpus = genre_corpus(args.data)
    texts = [r[0] for r in corpus]
    labels, groups = np.array([r[1] for r in corpus]), np.array([r[2] for r in corpus])
    scorers = sentence_scorers(args.data)
    X, names = feature_matrix(texts, scorers)
    print_table(X, labels, groups, names, np.flatnonzero(~np.isin(groups, TEST_GROUPS)))
    if args.select:
        print_selection(X, labels, groups, names)
    print_looo(texts, labels, groups, X, names, scorers, args.boot, args.seed)
    print_holdout(texts, labels, groups, X, names, scorers, args.boot, args.seed)
    print("\nre-run: .venv/bin/python experiments/bench_tone_outlets.py --select")
    return 0


if __name__ == "__main__":
    sys.exit(main())
