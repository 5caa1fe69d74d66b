"""The report's tone section, from ``predictions.csv``: how each split was scored, the most
and least promotional documents per split and the most promotional per outlet, each with
the reasons of the classifier in plain English, and a glossary of the features named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from research.runs.report.html import e, first, fmt, load_json, read_csv, table
from research.tone.glossary import glossary, parse_reasons, readable_feature

ROWS = 10                 # most and least promotional documents per split
PER_OUTLET = 3            # most promotional documents per outlet
MAX_OUTLETS = 15
SPLITS = {"cv": "cross-validation: out-of-fold probabilities of the training documents, each from a model "
                "that did not see it",
          "test": "held-out test: documents of tone.test_sources, scored by the final model"}
HEADERS = {"promotional_score": "promotional score", "label": "true label"}
PREDICTED = ("predicted", "prediction", "predicted_label", "pred", "label_predicted")


def _positive(folder: Path, predictions) -> str | None:
    """The P(positive class) column: tone.positive of config.yaml, else the first p_ column."""
    try:
        positive = (yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8")) or {})["tone"]["positive"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        positive = None
    columns = [c for c in predictions.columns if c.startswith("p_")]
    return f"p_{positive}" if f"p_{positive}" in columns else (columns[0] if columns else None)


def tone_section(folder: Path) -> str:
    predictions = read_csv(folder / "predictions.csv")
    if predictions is None:
        return ""
    if "split" not in predictions.columns:
        predictions = predictions.assign(split="all")
    p_column = _positive(folder, predictions)
    score = "promotional_score" if "promotional_score" in predictions.columns else p_column
    out = [_splits(predictions)]
    if score is not None:
        ranked = predictions.sort_values(score, ascending=False, kind="stable", na_position="last")
        columns = _columns(ranked, p_column, score)
        what = "promotional" if score == "promotional_score" else f"likely {score.removeprefix('p_')}"
        for split, part in ranked.groupby("split", sort=False):
            n = min(ROWS, len(part))
            out.append(f"<h3>Most {e(what)} documents, {e(split)} split ({n} of {len(part)})</h3>"
                       + _documents(part.head(n), columns))
            out.append(f"<details><summary>Least {e(what)} documents, {e(split)} split</summary>"
                       + _documents(part.dropna(subset=[score]).tail(n).iloc[::-1], columns) + "</details>")
        out.append(_per_outlet(ranked, columns, what))
    out.append(_glossary(folder, predictions))
    return "".join(out)


def _splits(predictions) -> str:
    """Documents per split and per predicted class, and what each split's scores are."""
    predicted = next((c for c in PREDICTED if c in predictions.columns), None)
    rows = []
    for split, part in predictions.groupby("split", sort=False):
        counts = part[predicted].astype(str).value_counts() if predicted else {}
        rows.append([split, len(part), ", ".join(f"{k}: {v}" for k, v in counts.items()),
                     SPLITS.get(str(split), "")])
    intro = (f"<p>{len(predictions)} documents scored (predictions.csv).</p>"
             '<p class="meaning">predictions.csv scores every document once, never by a model trained on it. '
             "Reasons: the features that pushed the final model towards the class it finds most likely, with "
             "their contribution to the log-odds (weight x standardised value: a feature also pushes by being "
             "unusually rare in the text; see the glossary below).</p>")
    return intro + table(["split", "documents", "predicted", "how it was scored"], rows, summary="splits")


def _columns(ranked, p_column: str | None, score: str) -> list[str]:
    wanted = ["split", "outlet", "date", "label", next((c for c in PREDICTED if c in ranked.columns), ""),
              p_column or "", score]
    return list(dict.fromkeys(c for c in wanted if c and c in ranked.columns))


def _documents(part, columns: list[str]) -> str:
    headers = ["document", *(HEADERS.get(c) or (f"P({c[2:]})" if c.startswith("p_") else c) for c in columns),
               "reasons (contribution)"]
    rows = []
    for row in part.to_dict(orient="records"):
        name = first(row.get("title"), row.get("id"))
        reasons = "; ".join(f"{readable_feature(n)} ({v:+.2g})" for n, v in parse_reasons(row.get("top_reasons")))
        rows.append([name, *(fmt(row.get(c)) for c in columns), reasons])
    return table(headers, rows, summary="documents")


def _per_outlet(ranked, columns: list[str], what: str) -> str:
    if "outlet" not in ranked.columns or ranked["outlet"].nunique() < 2:
        return ""
    sizes = ranked["outlet"].value_counts()
    outlets = list(sizes.index[:MAX_OUTLETS])
    parts = [ranked[ranked["outlet"] == o].head(PER_OUTLET) for o in outlets]
    import pandas as pd

    shown = f"the {len(outlets)} outlets with most documents of {len(sizes)}" if len(sizes) > len(outlets) \
        else f"all {len(outlets)} outlets"
    return (f"<h3>Most {e(what)} documents per outlet (up to {PER_OUTLET} each; {e(shown)})</h3>"
            + _documents(pd.concat(parts), columns))


def _glossary(folder: Path, predictions) -> str:
    names = [n for text in predictions.get("top_reasons", []) for n, _ in parse_reasons(text)]
    metrics: dict[str, Any] = load_json(folder / "metrics.json") or {}
    for items in (metrics.get("top_features") or {}).values():
        names += [str(item[0]) for item in items if isinstance(item, list) and item]
    if not names:
        return ""
    rows = [[plain, meaning, name] for name, plain, meaning in sorted(glossary(names), key=lambda r: r[1])]
    return ("<h3>Glossary of the features named</h3>"
            + table(["feature", "what it measures", "id in the model"], rows, summary="glossary"))
