"""A labelled check of the promotional axis: promotional opinion vs critical or analytic
opinion vs reported news, built from the shared data sets (``../shared/data``).

No corpus is labelled "promotional", so the check set is labelled by a documented rule
whose evidence is independent of what :class:`~research.tone.model.PromotionalScorer`
measures (the positive share of its own ``EVAL_POS`` / ``EVAL_NEG`` words):

* **genre** comes from the data sets, not from the text: Webis-Editorials-16 editorials
  and SemEval-2019 hyperpartisan articles that the *annotators* judged one-sided
  (``hyperpartisan == "true"``) are opinion; BBC News stories are reported news.
* **polarity** of an opinion text comes from a *different* lexicon: VADER's
  crowd-rated valence lexicon (Hutto & Gilbert 2014; the ``vaderSentiment`` package, in
  the ``test`` extra), with every word of the scorer's ``EVAL_POS`` and ``EVAL_NEG``
  removed (193 of its 7,506 entries), only words rated at least 1 in absolute valence,
  counted in the author's own voice (outside double quotes), and flipped when one of the
  three words before it negates (not, no, never, nor, without, cannot, -n't). The
  text's *positive share* is the summed positive valence over the summed absolute
  valence. Texts with fewer than ``MIN_VALENCED`` such words are left out.

Rule (:func:`label_opinion`):

    promotional opinion        positive share >= PROMO_AT_LEAST (0.6): mostly positive
    critical/analytic opinion  positive share <  CRITICAL_BELOW (0.5): mostly negative
                               or balanced
    (unlabelled)               in between, or too little evidence: left out
    reported news              BBC stories of ``NEWS_CATEGORY`` (politics), every one

Counts with the shared data as distributed (``experiments/bench_tone_promotional.py``
prints them): promotional 112 (editorials 70: aljazeera 14, foxnews 28, guardian 28;
hyperpartisan 42), critical 277 (editorials 148: 65, 40, 43; hyperpartisan 129),
reported news 395 (417 politics stories less 22 exact duplicates); 48 editorials and 67 one-sided hyperpartisan articles fall between
the thresholds or have too little evidence and are left out. The opinion texts of both
classes come from the same four sources (three editorial outlets and the hyperpartisan
set), so the hard pair (promotional vs critical) cannot be told apart by source.

Training data disjoint from the check (:func:`cross_fit_scores`): the advocacy (genre)
model is trained on editorials and BBC stories only, never on hyperpartisan articles
or BBC politics. Each editorial outlet's check texts are scored by a model trained on
the *other two* outlets' editorials plus BBC business, entertainment, sport and tech
(leave one outlet out); hyperpartisan and BBC politics texts by the mean of the three
outlet models, none of which saw them.

Caveats: VADER and the scorer's lexicon both measure evaluative polarity, so they agree
more than two unrelated kinds of evidence would; removing the shared words keeps the
label from being a function of the scorer's counts, not from being correlated with
them. "Mostly positive" is about the whole text's evaluative language, not its stance
toward one named subject. Hyperpartisan articles are one-sided by annotation, but many
are news-styled, not editorials.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from research.errors import ConfigError
from research.evaluate.intervals import percentile_interval
from research.tone.features import _QUOTED, tokenize
from research.tone.lexicon import EVAL_NEG, EVAL_POS

__all__ = [
    "CRITICAL",
    "NEWS",
    "PROMOTIONAL",
    "CheckSet",
    "axis_auc",
    "build_check_set",
    "cross_fit_scores",
    "label_opinion",
    "valence_lexicon",
]

PROMOTIONAL, CRITICAL, NEWS = "promotional_opinion", "critical_opinion", "reported_news"
PROMO_AT_LEAST = 0.6
CRITICAL_BELOW = 0.5
MIN_VALENCED = 8
MIN_ABS_VALENCE = 1.0
NEWS_CATEGORY = "politics"
OUTLETS = ("aljazeera", "foxnews", "guardian")
_NEGATORS = frozenset("not no never nor without cannot".split())


@lru_cache(maxsize=1)
def valence_lexicon() -> dict[str, float]:
    """VADER's word valences (-4..4), minus the scorer's own evaluation words, only words
    with |valence| >= MIN_ABS_VALENCE."""
    try:
        import vaderSentiment
    except ImportError:
        raise ConfigError("tone.promo_check: the labelling lexicon needs the vaderSentiment "
                          "package; install the test extra (pip install -e '.[test]')") from None
    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    out: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        word, value = parts[0], float(parts[1])
        if word.isalpha() and word.islower() and abs(value) >= MIN_ABS_VALENCE \
                and word not in EVAL_POS and word not in EVAL_NEG:
            out[word] = value
    return out


def label_opinion(text: str) -> tuple[str | None, float, int]:
    """(class or None, positive share, valenced words) of an opinion text by the rule."""
    lex = valence_lexicon()
    toks = [t.lower() for t in tokenize(_QUOTED.sub(" ", text))]
    pos = neg = 0.0
    n = 0
    for i, tok in enumerate(toks):
        value = lex.get(tok)
        if value is None:
            continue
        if any(w in _NEGATORS or w.endswith("n't") for w in toks[max(0, i - 3):i]):
            value = -value
        n += 1
        pos, neg = (pos + value, neg) if value > 0 else (pos, neg - value)
    share = pos / (pos + neg) if pos + neg else 0.5
    if n < MIN_VALENCED:
        return None, share, n
    if share >= PROMO_AT_LEAST:
        return PROMOTIONAL, share, n
    if share < CRITICAL_BELOW:
        return CRITICAL, share, n
    return None, share, n


@dataclass(frozen=True)
class CheckSet:
    """Texts, their class, their source (``webis:<outlet>``, ``hyperpartisan``,
    ``bbc:politics``) and their id in the source data set."""

    texts: list[str]
    labels: list[str]
    sources: list[str]
    ids: list[str]

    def counts(self) -> dict[str, dict[str, int]]:
        """class -> source -> count."""
        out: dict[str, dict[str, int]] = {}
        for lab, src in zip(self.labels, self.sources, strict=True):
            out.setdefault(lab, {}).setdefault(src, 0)
            out[lab][src] += 1
        return out


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ConfigError(f"tone.promo_check: {path} not found; pass the shared data folder")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def build_check_set(data: str | Path) -> CheckSet:
    """The check set from the shared data folder ``data`` (deterministic: file order; an
    exact duplicate of a text already taken is left out)."""
    data = Path(data)
    texts, labels, sources, ids = [], [], [], []

    seen: set[str] = set()

    def add(text, label, source, id_):
        if text in seen:            # BBC and hyperpartisan hold a few exact duplicates
            return
        seen.add(text)
        texts.append(text)
        labels.append(label)
        sources.append(source)
        ids.append(str(id_))

    for r in _jsonl(data / "webis_editorials" / "webis_editorials.jsonl"):
        label = label_opinion(r["text"])[0]
        if label:
            add(r["text"], label, f"webis:{r['outlet']}", r["id"])
    for r in _jsonl(data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl"):
        if r["hyperpartisan"] == "true":
            label = label_opinion(r["text"])[0]
            if label:
                add(r["text"], label, "hyperpartisan", r["id"])
    for r in _jsonl(data / "bbc_news" / "bbc_news.jsonl"):
        if r["category"] == NEWS_CATEGORY:
            add(r["text"], NEWS, f"bbc:{NEWS_CATEGORY}", r["id"])
    return CheckSet(texts, labels, sources, ids)


SELECTION_NEWS = "tech"
SELECTION_MIN_PROPAGANDA = 0.25


def selection_set(data: str | Path) -> CheckSet:
    """A model-selection set disjoint from the check set, for choosing the scorer's settings
    without touching the check: PTC propaganda-corpus articles (lines joined in order)
    whose annotated propaganda line share is at least SELECTION_MIN_PROPAGANDA (one-sided
    by annotation), labelled by the same polarity rule, and BBC ``SELECTION_NEWS`` stories
    as reported news. Score it with models trained on :func:`training_corpus` with
    ``leave_news=SELECTION_NEWS``."""
    import csv

    data = Path(data)
    folder = data / "ptc_propaganda"
    ratio = {r["article_id"]: r["prop_line_ratio"] for r in _jsonl(folder / "derived_train_articles.jsonl")}
    lines: dict[str, list[tuple[int, str]]] = {}
    with open(folder / "derived_train_sentences.tsv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            lines.setdefault(r["article_id"], []).append((int(r["line_no"]), r["sentence"]))
    out = CheckSet([], [], [], [])
    for article, rows in lines.items():
        text = "\n".join(s for _, s in sorted(rows))
        label = label_opinion(text)[0] if ratio.get(article, 0) >= SELECTION_MIN_PROPAGANDA else None
        if label:
            out.texts.append(text)
            out.labels.append(label)
            out.sources.append("ptc")
            out.ids.append(article)
    for r in _jsonl(data / "bbc_news" / "bbc_news.jsonl"):
        if r["category"] == SELECTION_NEWS and r["text"] not in out.texts:
            out.texts.append(r["text"])
            out.labels.append(NEWS)
            out.sources.append(f"bbc:{SELECTION_NEWS}")
            out.ids.append(str(r["id"]))
    return out


def training_corpus(data: str | Path, leave_out: str | None = None, news_all: bool = False,
                    leave_news: str | None = None) -> tuple[list[str], list[str]]:
    """(texts, labels) of the advocacy model: editorials (``opinion``) of every outlet
    but ``leave_out``, and BBC stories (``reported_news``) of every category but
    NEWS_CATEGORY (every category with ``news_all``: the shipped config's training data,
    for scoring texts outside the check set; ``leave_news``: a category also left out).
    Never hyperpartisan articles."""
    data = Path(data)
    webis = [r["text"] for r in _jsonl(data / "webis_editorials" / "webis_editorials.jsonl")
             if r["outlet"] != leave_out]
    bbc = [r["text"] for r in _jsonl(data / "bbc_news" / "bbc_news.jsonl")
           if (news_all or r["category"] != NEWS_CATEGORY) and r["category"] != leave_news]
    return webis + bbc, ["opinion"] * len(webis) + ["reported_news"] * len(bbc)


def cross_fit_scores(check: CheckSet, data: str | Path,
                     fit: Callable[[list[str], list[str]], Any]) -> np.ndarray:
    """Promotional scores of the check texts, each from a model that never saw it.

    ``fit(texts, labels)`` returns a fitted :class:`~research.tone.ToneClassifier` (its
    ``promotional_score``) or :class:`~research.tone.model.PromotionalScorer` (its
    ``score_texts``). One model per editorial outlet left out (see the
    module docstring); returns the scores in check-set order."""
    scores = np.zeros(len(check.texts))
    others = [i for i, s in enumerate(check.sources) if not s.startswith("webis:")]
    for outlet in OUTLETS:
        model = fit(*training_corpus(data, leave_out=outlet))
        score = getattr(model, "promotional_score", None) or model.score_texts
        mine = [i for i, s in enumerate(check.sources) if s == f"webis:{outlet}"]
        scores[mine] = score([check.texts[i] for i in mine])
        scores[others] += score([check.texts[i] for i in others]) / len(OUTLETS)
    return scores


def axis_auc(labels, scores, negatives=None, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """ROC-AUC of ``scores`` for promotional against ``negatives`` (default: every other
    class), with a 95% percentile bootstrap interval resampling texts within each class."""
    from sklearn.metrics import roc_auc_score

    labels, scores = np.asarray(labels), np.asarray(scores, dtype=float)
    keep = np.isin(labels, [PROMOTIONAL, *negatives]) if negatives else np.ones(len(labels), bool)
    y, s = (labels[keep] == PROMOTIONAL).astype(int), scores[keep]
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(int(n_boot)):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        draws.append(roc_auc_score(y[idx], s[idx]))
    lo, hi = percentile_interval(np.asarray(draws)) if draws else (np.nan, np.nan)
    return {"roc_auc": float(roc_auc_score(y, s)), "low": float(lo), "high": float(hi),
            "n_positive": len(pos), "n_negative": len(neg)}
