"""The promotional axis, validated on a labelled check set (issue 15 item 5).

    .venv/bin/python experiments/bench_tone_promotional.py [--data ../shared/data] [--boot 1000]
                                                           [--select]

1. the check set (research/tone/promo_check.py: promotional opinion, critical or
   analytic opinion, reported news; labelling rule in its docstring): counts per class
   and source.
2. ROC-AUC of the promotional score with 95% bootstrap intervals, promotional vs the rest
   and promotional vs critical opinion (the hard pair). The advocacy model has the
   settings of configs/tone_promotional.yaml (tone + sentence features, logreg C 0.1,
   prior 4) but is cross-fitted: each check text is scored by models trained on
   editorials and BBC stories that do not include it (leave one editorial outlet out;
   never hyperpartisan or BBC politics). Rows: the shipped score, the same with tone
   features only, and, as a diagnostic, the positivity part alone (it needs no model).
2a. (--select) how the shipped settings were kept: candidates scored on a selection set
   disjoint from the check (research.tone.promo_check.selection_set), never on the check.
3. the embedded sample scored by the shipped config's model trained on all its training
   data (every editorial and BBC story): P(promotional) of 004, 003 and the reports;
   the required order is 004 > 003 > reports.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from research.config.load import load_config  # noqa: E402
from research.experiment.tone import tone_fitter  # noqa: E402
from research.tone import PromotionalScorer, ToneClassifier, build_classifier  # noqa: E402
from research.tone.promo_check import (  # noqa: E402
    CRITICAL,
    SELECTION_NEWS,
    axis_auc,
    build_check_set,
    cross_fit_scores,
    selection_set,
    training_corpus,
)

SAMPLE = ROOT / "research" / "data" / "sample_pak_us"
CONFIG = ROOT / "configs" / "tone_promotional.yaml"


def shipped_fitter(overrides=()):
    """``fit(texts, labels) -> ToneClassifier`` built as a run of tone_promotional.yaml
    builds it (research.experiment.tone: its sentence models, trained once on CheckThat
    train+dev and PTC lines, its classifier settings and promotional prior)."""
    return tone_fitter(load_config(CONFIG, list(overrides)), logging.getLogger(__name__))


def tone_only_fit(texts, labels):
    return ToneClassifier(build_classifier(features=("tone",), C=0.1)).fit(texts, labels)


def sample_texts() -> tuple[list[str], list[str]]:
    """(ids, texts) of the embedded sample, lines of fewer than 5 words dropped (as in
    experiments/bench_tone.py)."""
    ids, texts = [], []
    for path in sorted(SAMPLE.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        ids.append(path.name[:3])
        texts.append("\n".join(line for line in lines if len(line.split()) >= 5))
    return ids, texts


def selection(data: Path) -> None:
    """The scorer's settings chosen on a set disjoint from the check (PTC articles that
    annotators found propaganda-dense, labelled by the same rule, + BBC tech stories;
    models trained without BBC tech): the shipped settings against class_weight balanced
    (P(opinion) not deflated by the 266:1808 class ratio) and positivity priors 2 and 8."""
    sel = selection_set(data)
    counts = ", ".join(f"{k} {sum(v.values())}" for k, v in sorted(sel.counts().items()))
    print(f"\n2a. settings selection on a disjoint set ({counts}); no bootstrap, ROC-AUC only")
    train = training_corpus(data, leave_news=SELECTION_NEWS)
    for weight in ("null", "balanced"):
        model = shipped_fitter([f"tone.class_weight={weight}"])(*train)
        adv = model.predict_proba(sel.texts)[:, list(model.classes_).index("opinion")]
        for prior in ((2.0, 4.0, 8.0) if weight == "null" else (4.0,)):
            score = adv * PromotionalScorer(prior=prior).positivity(sel.texts)
            rest, hard = axis_auc(sel.labels, score, n_boot=0), \
                axis_auc(sel.labels, score, negatives=[CRITICAL], n_boot=0)
            mark = "  (shipped)" if weight == "null" and prior == 4.0 else ""
            print(f"  class_weight {weight:8s} prior {prior:3.0f}: vs rest {rest['roc_auc']:.3f}"
                  f"   vs critical {hard['roc_auc']:.3f}{mark}")


# other ways to join the two parts (2b): P(opinion) flattened, so that within opinion the
# positivity decides, and P(opinion) only as a gate against reported news
COMBINATIONS = {"P(opinion) x positivity (shipped)": lambda a, p: a * p,
                "P(opinion)^0.25 x positivity": lambda a, p: a ** 0.25 * p,
                "P(opinion)^0.5 x positivity": lambda a, p: a ** 0.5 * p,
                "min(P(opinion) / 0.1, 1) x positivity": lambda a, p: np.minimum(a / 0.1, 1) * p + 1e-3 * a,
                "min(P(opinion) / 0.3, 1) x positivity": lambda a, p: np.minimum(a / 0.3, 1) * p + 1e-3 * a}


def opinion_fitter(fit):
    """``fit`` whose model scores P(opinion) (for :func:`cross_fit_scores`)."""
    def fitted(texts, labels):
        model = fit(texts, labels)
        column = list(model.classes_).index("opinion")
        return SimpleNamespace(score_texts=lambda X: model.predict_proba(X)[:, column])
    return fitted


def combinations(data: Path, check) -> None:
    """2b: each combination on the selection set (where a choice may be made) and, as a
    diagnostic only, on the check (cross-fitted P(opinion) as in 2)."""
    sel = selection_set(data)
    fit = shipped_fitter()
    sel_adv = opinion_fitter(fit)(*training_corpus(data, leave_news=SELECTION_NEWS)).score_texts(sel.texts)
    check_adv = cross_fit_scores(check, data, opinion_fitter(fit))
    scorer = PromotionalScorer(prior=4.0)
    print("\n2b. other combinations of the two parts (prior 4): selection set, then the check "
          "(diagnostic: not a choice)")
    for name, join in COMBINATIONS.items():
        cells = []
        for labels, adv, texts in ((sel.labels, sel_adv, sel.texts), (check.labels, check_adv, check.texts)):
            score = join(adv, scorer.positivity(texts))
            cells.append(f"{axis_auc(labels, score, n_boot=0)['roc_auc']:.3f} / "
                         f"{axis_auc(labels, score, negatives=[CRITICAL], n_boot=0)['roc_auc']:.3f}")
        print(f"  {name:40s} selection {cells[0]}   check {cells[1]}   (vs rest / vs critical)")


def report_auc(name: str, labels, scores, boot: int, seed: int) -> dict:
    rest = axis_auc(labels, scores, n_boot=boot, seed=seed)
    hard = axis_auc(labels, scores, negatives=[CRITICAL], n_boot=boot, seed=seed)
    print(f"  {name:44s} vs rest {rest['roc_auc']:.3f} [{rest['low']:.3f}, {rest['high']:.3f}]"
          f"   vs critical {hard['roc_auc']:.3f} [{hard['low']:.3f}, {hard['high']:.3f}]")
    return {"rest": rest, "hard": hard}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--select", action="store_true",
                    help="also print the settings selection on the disjoint set and other ways to "
                         "join the two parts (about a minute more)")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: shared data folder {args.data} not found; pass --data", file=sys.stderr)
        return 2
    start = time.perf_counter()
    check = build_check_set(args.data)
    print(f"promotional axis: data {args.data}, {args.boot} bootstrap resamples, seed {args.seed}")
    print("\n1. check set (rule: research/tone/promo_check.py)")
    for label, by_source in sorted(check.counts().items()):
        parts = ", ".join(f"{s} {n}" for s, n in sorted(by_source.items()))
        print(f"  {label:20s} {sum(by_source.values()):4d}  ({parts})")

    print("\n2. ROC-AUC of P(promotional), 95% bootstrap intervals (texts resampled within class);"
          "\n   cross-fitted: no check text is in the training data of the model that scores it")
    fit = shipped_fitter()
    shipped = report_auc("shipped (tone+sentences, config settings)", check.labels,
                         cross_fit_scores(check, args.data, fit), args.boot, args.seed)
    report_auc("tone features only", check.labels,
               cross_fit_scores(check, args.data, tone_only_fit), args.boot, args.seed)
    positivity = fit(*training_corpus(args.data, leave_out="guardian")).positivity(check.texts)
    report_auc("diagnostic: positivity part alone (no model)", check.labels, positivity,
               args.boot, args.seed)
    ok = shipped["rest"]["roc_auc"] >= 0.85 and shipped["hard"]["roc_auc"] >= 0.85
    print(f"  target ROC-AUC >= 0.85 (shipped, both): {'PASS' if ok else 'FAIL'}")
    if args.select:
        selection(args.data)
        combinations(args.data, check)

    print("\n3. the sample, shipped config's model trained on all its training data")
    ids, texts = sample_texts()
    model = fit(*training_corpus(args.data, leave_out=None, news_all=True))
    scores = model.promotional_score(texts)
    for i, s in zip(ids, scores, strict=True):
        print(f"  {i} P(promotional) {s:.3f}")
    by = dict(zip(ids, scores, strict=True))
    order = by["004"] > by["003"] > max(by[i] for i in ("000", "001", "002"))
    print(f"  004 > 003 > reports: {'PASS' if order else 'FAIL'}")
    print(f"\ntook {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
