"""A threshold that travels: the genre config (configs/tone_genre.yaml) at a fixed 0.5 and at
``tone.threshold: auto``, with each ``tone.calibration``.

    .venv/bin/python experiments/bench_tone_threshold.py [--boot 100] [--folds 5]
                                                         [--calibrations none,sigmoid,isotonic]

One full tone run per calibration (threshold auto: chosen by outlet-grouped inner CV inside
each outer fold, and for the final model on all training data). The same out-of-fold and
held-out probabilities are then scored at 0.5 and at the thresholds the run chose (each
fold's own in CV), so the two columns differ only by the threshold. Printed: the thresholds
chosen, macro-F1 (grouped CV; Guardian + BBC politics test) at 0.5 and auto, overall Brier,
and the Brier score per training outlet (out-of-fold) and per test group (held-out).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _bench import shared_data, table  # noqa: E402

from research import run_experiment  # noqa: E402
from research.config.load import load_config  # noqa: E402
from research.tone.evaluation import classification_metrics  # noqa: E402


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _scored(rows: list[dict], split: str, threshold: float) -> float:
    """Macro-F1 of one split's probabilities in predictions.csv at ``threshold``."""
    part = [r for r in rows if r["split"] == split and r["p_opinion"] != ""]
    p = np.array([float(r["p_opinion"]) for r in part])
    proba = np.column_stack([p, 1 - p])
    found = classification_metrics([r["label"] for r in part], proba, ["opinion", "reported_news"], "opinion",
                                   threshold)
    return float(found["macro_f1"])


def measure(calibration: str, boot: int, folds: int, results: Path) -> dict:
    config = load_config("tone_genre.yaml", [f"tone.evaluation.bootstrap={boot}", f"tone.evaluation.folds={folds}",
                                             "tone.threshold=auto", f"tone.calibration={calibration}"])
    start = time.perf_counter()
    run = run_experiment(config, results_dir=results)
    seconds = time.perf_counter() - start
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    rows = _rows(run / "predictions.csv")
    fold_thresholds = metrics["threshold_selection"].get("cv_folds", [])
    return {"calibration": calibration, "seconds": seconds, "threshold": metrics["threshold"],
            "fold_thresholds": fold_thresholds, "final_choice": metrics["threshold_selection"]["final_model"],
            "cv_f1_half": _scored(rows, "cv", 0.5), "cv_f1_auto": metrics["cv"]["macro_f1"],
            "test_f1_half": _scored(rows, "test", 0.5), "test_f1_auto": metrics["test"]["macro_f1"],
            "cv_brier": metrics["cv"]["brier"], "test_brier": metrics["test"]["brier"],
            "by_group": metrics["calibration_by_group"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boot", type=int, default=100)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--calibrations", default="none,sigmoid,isotonic")
    args = parser.parse_args()
    if shared_data() is None:
        print("skipped: ../shared/data is not there")
        return 0
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for calibration in args.calibrations.split(","):
            found.append(measure(calibration.strip(), args.boot, args.folds, Path(tmp)))
            print(f"calibration {calibration}: {found[-1]['seconds']:.0f} s", flush=True)
    print(table("Genre across outlets: macro-F1 at P(opinion) > 0.5 vs the auto threshold (grouped inner CV)",
                ["calibration", "final threshold", "CV fold thresholds", "CV F1 @0.5", "CV F1 @auto",
                 "test F1 @0.5", "test F1 @auto", "CV Brier", "test Brier"],
                [[f["calibration"], f["threshold"], " ".join(f"{t:.2f}" for t in f["fold_thresholds"]),
                  f["cv_f1_half"], f["cv_f1_auto"], f["test_f1_half"], f["test_f1_auto"], f["cv_brier"],
                  f["test_brier"]] for f in found]))
    print()
    groups = [(split, g) for split in ("cv", "test") for g in found[0]["by_group"].get(split, {})]
    print(table("Brier score per group (cv: out-of-fold, training outlets; test: held out), by calibration",
                ["split", "group", "documents", "share opinion", *(f["calibration"] for f in found)],
                [[split, g, found[0]["by_group"][split][g]["documents"],
                  found[0]["by_group"][split][g]["share_positive"],
                  *(f["by_group"][split][g]["brier"] for f in found)] for split, g in groups]))
    print("\ninner choice of the final model:", {f["calibration"]: f["final_choice"] for f in found})
    return 0


if __name__ == "__main__":
    sys.exit(main())
