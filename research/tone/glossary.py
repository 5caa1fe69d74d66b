"""Plain-English names of the tone classifier's features, for reports.

The classifier names its features by the part of the model they come from:
``tone__booster`` (a stance-marker rate, :mod:`research.tone.features`),
``tfidf__<word>`` (a word's TF-IDF weight), ``chars__<letters>`` (a character n-gram's),
``sentences__subjective_share`` (the share of sentences a sentence model calls subjective).
:func:`readable_feature` turns such a name into words a reader knows, :func:`glossary`
explains every feature that a report shows, and :func:`parse_reasons` reads the
``top_reasons`` column of ``predictions.csv``.
"""

from __future__ import annotations

import re

__all__ = ["TONE_FEATURES", "glossary", "parse_reasons", "readable_feature"]

# feature -> (short name, what it measures); markers are counted outside quotes (author's voice)
TONE_FEATURES: dict[str, tuple[str, str]] = {
    "pron_i": ("first person: I, me, my", "per word; the author speaks in person"),
    "pron_we": ("collective 'we', 'us', 'our'", "per word; collective voice, advocacy"),
    "pron_you": ("addressing the reader: you, your", "per word"),
    "pron_third": ("third person: he, she, they", "per word; reports speak about others"),
    "modal": ("modal verbs: can, may, must, should", "per word; possibility and stance"),
    "obligation": ("obligation: must, should, need to", "per word; prescription"),
    "future": ("future: will, shall, going to", "per word; predictions and commitments"),
    "hedge": ("hedges: perhaps, probably, seems", "per word; epistemic caution"),
    "booster": ("boosters: very, clearly, indeed", "per word; intensified, certain stance"),
    "superlative": ("superlatives: best, greatest, most", "per word; ranking, exaggeration"),
    "comparative": ("comparatives: better, more", "per word; weighing, evaluation"),
    "eval_pos": ("positive evaluation: good, successful", "per word; upbeat evaluation"),
    "eval_neg": ("negative evaluation: bad, failure, crisis", "per word; critical evaluation"),
    "eval_balance": ("net positive vs negative evaluation",
                     "(positive - negative) / (positive + negative + 2), from -1 to 1"),
    "subjective": ("emotive words: absurd, stunning, sadly", "per word; loaded language"),
    "stance_adverb": ("stance adverbs: frankly, fortunately", "per word; the author comments"),
    "importance": ("importance words: crucial, vital", "per word; salience judgements"),
    "stance_phrase": ("opinion phrases: I think, in my view", "per word; explicit opinion"),
    "negation": ("negation: not, never, nothing", "per word; argument by denial"),
    "contrast": ("contrast: but, however, although", "per word; weighing of positions"),
    "causal": ("causal links: because, therefore", "per word; argumentation"),
    "demonstrative": ("demonstratives: this, that, such", "per word; discourse deixis"),
    "ly_adverb": ("-ly adverbs", "per word; manner and stance adverbs"),
    "adj_suffix": ("evaluative adjectives (-ous, -ful, -ive)", "per word"),
    "present_tense": ("present tense: is, are, has", "per word; commentary is in the present"),
    "past_tense": ("past tense: was, had, -ed", "per word; reports narrate past events"),
    "question": ("questions", "share of sentences ending in '?'"),
    "exclamation": ("exclamations", "share of sentences ending in '!'"),
    "imperative": ("imperatives: let, consider, imagine", "share of sentences; calls to action"),
    "conj_start": ("sentences opening with and/but/so", "share of sentences; essayistic rhythm"),
    "attribution": ("attribution: said, according to", "share of sentences; news attributes claims"),
    "quote_share": ("quoted speech", "share of characters inside double quotes"),
    "number": ("numbers", "per word; figures, scores, money"),
    "date": ("dates and times", "per word; news is anchored in time"),
    "proper_noun": ("names of people and places", "per word; capitalised words mid-sentence"),
    "sent_len_mean": ("sentence length", "mean words per sentence"),
    "sent_len_sd": ("variation in sentence length", "standard deviation of words per sentence"),
    "word_len": ("word length", "mean characters per word"),
    "ttr": ("vocabulary variety", "type/token ratio over 50-word segments"),
}
SENTENCE_MODELS = {"subjective": "subjective sentences (CheckThat! model)",
                   "propaganda": "propaganda-like sentences (PTC model)"}
SENTENCE_KINDS = {"share": ("share of", "share of sentences the model flags"),
                  "mean": ("mean probability of", "mean probability over sentences"),
                  # tone.sentences.quantiles: the document's sentence probabilities, ranked
                  "q10": ("the least flagged sentences (10th percentile) for",
                          "probability below which 10% of the document's sentences fall"),
                  "q25": ("the lower quartile of", "probability below which a quarter of the sentences fall"),
                  "q50": ("the median sentence for", "probability below which half of the sentences fall"),
                  "q75": ("the upper quartile of", "probability below which three quarters of the sentences fall"),
                  "q90": ("the most flagged sentences (90th percentile) for",
                          "probability below which 90% of the document's sentences fall")}
QUANTILE = re.compile(r"q(\d+(?:\.\d+)?)$")
REASON = re.compile(r"\s*(.+?)\s+\(([+-]?\d+(?:\.\d+)?)\)\s*$")


def _explain(name: str) -> tuple[str, str]:
    part, _, rest = name.partition("__")
    if not rest:
        return name, "a feature of the classifier"
    if part == "tone" and rest in TONE_FEATURES:
        return TONE_FEATURES[rest]
    if part == "tfidf":
        return f"the word '{rest}'", "TF-IDF weight of the word (or phrase) in the document"
    if part == "chars":   # char_wb n-grams: a word's edges are padded with one space
        return (f"the letters '{rest}'",
                "TF-IDF weight of the letter sequence inside words (a space marks a word's start or end)")
    if part == "sentences":
        model, _, kind = rest.rpartition("_")
        if model in SENTENCE_MODELS and kind in SENTENCE_KINDS:
            prefix, meaning = SENTENCE_KINDS[kind]
            return f"{prefix} {SENTENCE_MODELS[model]}", meaning
        q = QUANTILE.match(kind)
        if model in SENTENCE_MODELS and q:      # a quantile without a name of its own
            return (f"{q.group(1)}th percentile of {SENTENCE_MODELS[model]}",
                    f"probability below which {q.group(1)}% of the document's sentences fall")
    if part == "embeddings" or rest.startswith("emb"):
        return f"sentence-embedding dimension {rest.removeprefix('emb')}", "a dimension of a sentence encoder"
    return rest.replace("_", " "), f"a feature from the {part} part of the classifier"


def readable_feature(name: str) -> str:
    """``tone__booster`` -> "boosters: very, clearly, indeed"; unknown names keep their text."""
    return _explain(name)[0]


def glossary(names: list[str]) -> list[tuple[str, str, str]]:
    """(feature id, plain name, what it measures) for each distinct name, in order."""
    return [(n, *_explain(n)) for n in dict.fromkeys(names)]


def parse_reasons(text: str) -> list[tuple[str, float]]:
    """``"tone__hedge (+0.20); tone__booster (-0.10)"`` -> ``[("tone__hedge", 0.2), ...]``;
    parts that do not read as ``name (value)`` are left out."""
    out = []
    for part in str(text or "").split(";"):
        match = REASON.match(part)
        if match:
            out.append((match.group(1), float(match.group(2))))
    return out
