"""CheckThat! 2025 English subjectivity from configs: the core install and the fine-tuned model.

    .venv/bin/python experiments/bench_tone_finetune.py [--out bench-out/tone_finetune]
        [--reuse RUN_FOLDER ...] [--skip-finetuned]

Rows (each a ``research experiment`` run, scored once on dev_test, n=484; macro-F1 at
P(SUBJ) > 0.5 with the run's bootstrap 95% interval):

1. ``configs/tone_subjectivity.yaml`` as shipped: character 2-4-gram TF-IDF within word
   boundaries (``features: [chars, tone]``) + tone features, C 1.0, train + dev -> dev_test.
   Chosen on train -> dev only (dev macro-F1 0.695 against 0.677 for the settings before it,
   from about 500 candidates: C, n-gram ranges, min_df, word and character views, NB-SVM,
   naive Bayes, the sentence model's features, an inner-CV threshold; all balanced).
2. the settings before (word TF-IDF of words and word pairs + tone features, C 0.3): no torch
   needed for either.
3. ``configs/tone_subjectivity_finetuned.yaml`` (train + dev -> dev_test; the embeddings extra):
   0.5 x fine-tuned MiniLM (seeds 0, 1, 2, 4 epochs) + 0.5 x tone + embeddings LR. Its
   fine-tuning seconds per seed are read from the run's metrics.json.

``--reuse`` takes finished run folders (matched to rows by their config name) instead of
running them again: the fine-tuned run takes tens of minutes on 2 shared cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORE = "tone_subjectivity"
CORE_BEFORE = ["tone.features=[tfidf, tone]", "tone.C=0.3"]
FINETUNED = "tone_subjectivity_finetuned"
WINNER = 0.805          # CheckThat! 2025 English, best submitted macro-F1


def _run(config: str, overrides: list[str], out: Path) -> Path:
    import research
    from research.config.load import load_config

    return research.run_experiment(load_config(ROOT / "configs" / f"{config}.yaml", overrides), results_dir=out)


def _row(name: str, folder: Path) -> dict:
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    low, high = metrics["intervals"]["macro_f1"]
    seconds = metrics.get("sentence_models", {}).get("subjective", {}).get("fine_tune_seconds", {})
    return {"model": name, "macro_f1": metrics["macro_f1"], "low": low, "high": high,
            "accuracy": metrics["accuracy"], "roc_auc": metrics.get("roc_auc"), "n": metrics["test"]["n"],
            "seconds": seconds, "run": folder}


def _config_of(folder: Path) -> tuple[str, list[str]]:
    import yaml

    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    name = folder.name.split("-", 2)[-1].rsplit("-", 1)[0]
    before = name == CORE and "tfidf" in config["tone"]["features"] and config["tone"]["C"] == 0.3
    return name, CORE_BEFORE if before else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out" / "tone_finetune")
    parser.add_argument("--reuse", type=Path, nargs="*", default=[])
    parser.add_argument("--skip-finetuned", action="store_true")
    args = parser.parse_args()
    reused = {}
    for folder in args.reuse:
        name, overrides = _config_of(folder)
        reused[(name, tuple(overrides))] = folder
    plan = [("core, as shipped: chars + tone (train + dev)", CORE, []),
            ("core, before: word TF-IDF + tone (train + dev)", CORE, CORE_BEFORE)]
    from research.tone.finetune import finetune_available

    if not args.skip_finetuned:
        if finetune_available():
            plan.append(("0.5 fine-tuned MiniLM x3 + 0.5 LR (train + dev)", FINETUNED, []))
        else:
            print("the embeddings extra is not installed (make embeddings): the fine-tuned row is skipped")
    rows = []
    for label, config, overrides in plan:
        folder = reused.get((config, tuple(overrides))) or _run(config, overrides, args.out)
        rows.append(_row(label, folder))
    print(f"\nCheckThat! 2025 English, dev_test (n={rows[0]['n']}), macro-F1 at 0.5 [bootstrap 95%]; "
          f"2025 winner {WINNER}")
    print(f"{'model':<48} {'macro-F1':>8} {'interval':>16} {'acc.':>6} {'AUC':>6}  fine-tuning s/seed")
    for r in rows:
        secs = ", ".join(f"seed {k}: {v:.0f}" for k, v in r["seconds"].items()) or "-"
        auc = f"{r['roc_auc']:.3f}" if r["roc_auc"] is not None else "-"
        print(f"{r['model']:<48} {r['macro_f1']:>8.3f} [{r['low']:.3f}, {r['high']:.3f}] {r['accuracy']:>6.3f} "
              f"{auc:>6}  {secs}")
    for r in rows:
        print(f"  {r['model']}: {r['run']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
