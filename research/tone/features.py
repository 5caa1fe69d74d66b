"""Linguistic tone features: counts of stance markers, normalised for length.

Bags of words learn *who* wrote a text (an outlet's topics and house style); the
features here describe *how* it is written, which carries across outlets (Krüger et
al. 2017, "Classifying news versus opinion articles by stylometric and linguistic
features", Natural Language Engineering). Everything is regex and word-list counting,
so about 3,000 news-length documents take a few seconds.

Normalisation: ``/word`` = occurrences per word, ``/sentence`` = share of sentences,
``/char`` = share of characters. No feature grows with document length.

The author's voice: features marked * are counted outside double quotes (their ``/word``
is per unquoted word). A report that quotes "I think we must ..." is still a report; the
quotes show up in ``quote_share`` and ``attribution`` instead.

==============  =========  ========================================  ==============================
name            unit       what                                      why
==============  =========  ========================================  ==============================
pron_i*         /word      I, me, my, mine, myself                   the author speaks in person
pron_we*        /word      we, us, our, ours, let's ("US" is not     collective voice, advocacy
                           "us")
pron_you*       /word      you, your, yours, yourself                addresses the reader
pron_third      /word      he, she, they, him, her, them, his,       reports speak about others
                           their ...
modal*          /word      can, could, may, might, must, shall,      possibility and stance, not
                           should, will, would, ought                fact
obligation*     /word      must, should, ought, need(s)/have/has to  prescription
future*         /word      will, 'll, shall, won't, going to + verb  predictions and commitments
hedge*          /word      perhaps, maybe, possibly, probably,       epistemic caution
                           likely, seems, arguably, apparently, ...
booster*        /word      very, really, extremely, clearly,         intensified, certain stance
                           obviously, undoubtedly, indeed, truly,
                           ...
superlative*    /word      best, worst, greatest, ..., most/least +  ranking, exaggeration
                           word
comparative*    /word      better, worse, ..., more/less +           weighing, evaluation
                           adjective
eval_pos*       /word      positive evaluation (good, strong,        upbeat evaluation
                           successful, bright, prosperity,           (promotional)
                           remarkable, ...)
eval_neg*       /word      negative evaluation (bad, failure,        critical evaluation
                           crisis, wrong, mistrust, disastrous,
                           ...)
eval_balance*   ratio      (pos - neg) / (pos + neg + 2), in (-1,    net polarity: upbeat vs
                           1)                                        critical
subjective*     /word      emotive and judgement words (absurd,      loaded, emotive language
                           stunning, sadly, shameful, whopping, so-
                           called, ...)
stance_adverb*  /word      sadly, fortunately, frankly, arguably,    the author comments on the
                           rightly                                   claim
importance*     /word      important, significant, crucial, vital,   salience judgements
                           pivotal, indispensable, ...
stance_phrase*  /word      I/we think, believe, argue; in my view;   explicit opinion statements
                           it is clear/time/true; the fact is; of
                           course ...
negation*       /word      not, n't, no, never, nor, neither,        argument by denial
                           nothing, ...
contrast*       /word      but, however, yet, although, though,      weighing of positions
                           instead, whereas, despite, ...
causal*         /word      because, therefore, thus, hence, so,      argumentation
                           since ...
demonstrative*  /word      this, that, these, those, such            discourse deixis ("this is
                                                                     why")
ly_adverb*      /word      words ending in -ly                       manner and stance adverbs
adj_suffix*     /word      words ending in -ous -ful -ive -able      descriptive, evaluative
                           -ible -less -ish -ical -istic             adjectives
present_tense*  /word      is, are, am, has, have, does, do (+ n't)  commentary is in the present
past_tense      /word      was, were, had, did + words ending in     reports narrate past events
                           -ed
question        /sentence  sentences ending in '?'                   rhetorical questions
exclamation     /sentence  sentences ending in '!'                   emphasis, appeal
imperative      /sentence  sentences opening with a bare verb (let,  calls to action
                           consider, imagine, remember, ...)
conj_start      /sentence  sentences opening with and, but, so,      essayistic rhythm
                           yet, or
attribution     /sentence  said, says, told, according to, added,    news attributes its claims
                           stated, announced, confirmed, spokesman,
                           ...
quote_share     /char      characters inside double quotes (" " and  uoted speech
                           “ ”)   q
number          /word      tokens with digits                        figures, scores, money
date            /word      weekdays, months, years, yesterday,       news is anchored in time
                           today, ...
proper_noun     /word      capitalised words not opening a sentence  names of people and places
sent_len_mean   words      mean sentence length                      syntactic style
sent_len_sd     words      standard deviation of sentence length     argued prose varies its rhythm
word_len        chars      mean word length                          lexical formality
ttr             ratio      mean type/token ratio over 50-word        vocabulary variety
                           segments
==============  =========  ========================================  ==============================

Word lists are general English stance vocabulary written for this module (not fitted
to any data set); they are module constants so a run can record them.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, OrderedDict

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from research.errors import ConfigError
from research.text.paragraphs import split_paragraphs
from research.text.sentences import split_sentences
from research.text.words import feature_words
from research.tone.lexicon import (
    ATTRIBUTION,
    BOOSTERS,
    CAUSAL,
    COMPARATIVES,
    CONJ_OPENERS,
    CONTRAST,
    DATE_WORDS,
    DEMONSTRATIVES,
    EVAL_NEG,
    EVAL_POS,
    FUTURE,
    HEDGES,
    IMPERATIVE_OPENERS,
    IMPORTANCE,
    MODALS,
    MONTHS,
    NEGATION,
    OBLIGATION,
    PAST,
    PRESENT,
    PRON_I,
    PRON_THIRD,
    PRON_WE,
    PRON_YOU,
    STANCE_ADVERBS,
    SUBJECTIVE,
    SUPERLATIVES,
)

__all__ = [
    "FEATURE_NAMES",
    "ToneFeatures",
    "document_features",
    "polarity_counts",
    "split_paragraphs",
    "split_sentences",
    "tokenize",
]


_NEGATED = re.compile(r"n['’]t\b", re.I)
_QUOTED = re.compile(r"\"[^\"\n]{1,600}\"|“[^”\n]{1,600}”")
_STANCE = re.compile(
    r"\b(?:(?:i|we)\s+(?:do\s+)?(?:think|believe|feel|argue|contend|hope|suspect|doubt|"
    r"fear|urge|insist)|in\s+(?:my|our)\s+(?:view|opinion|judgment|judgement)|"
    r"it\s+is\s+(?:clear|obvious|time|true|evident|worth|wrong|right|high\s+time)|"
    r"the\s+fact\s+(?:is|that)|there\s+is\s+no\s+doubt|of\s+course|to\s+be\s+sure)\b", re.I)
_MULTI_OBLIGATION = re.compile(r"\b(?:need|needs|have|has)\s+to\b", re.I)
_GOING_TO = re.compile(r"\bgoing\s+to\s+[a-z]", re.I)
_ACCORDING = re.compile(r"\baccording\s+to\b", re.I)
_MOST = re.compile(r"\b(?:most|least)\s+[a-z]{4,}", re.I)
_MORE = re.compile(r"\b(?:more|less)\s+[a-z]{4,}(?:ly|ous|ful|ive|ble|ant|ent|ic|al)\b", re.I)
_ADJ_SUFFIXES = ("ous", "ful", "ive", "able", "ible", "less", "ish", "ical", "istic")
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
_KEEP_CASE = {"US": "U.S.", "May": "May_", "Will": "Will_"}

FEATURE_NAMES: tuple[str, ...] = (
    "pron_i", "pron_we", "pron_you", "pron_third", "modal", "obligation", "future", "hedge",
    "booster", "superlative", "comparative", "eval_pos", "eval_neg", "eval_balance",
    "subjective", "stance_adverb", "importance", "stance_phrase", "negation", "contrast",
    "causal", "demonstrative", "ly_adverb", "adj_suffix", "present_tense", "past_tense",
    "question", "exclamation", "imperative", "conj_start", "attribution", "quote_share",
    "number", "date", "proper_noun", "sent_len_mean", "sent_len_sd", "word_len", "ttr",
)


def tokenize(text: str) -> list[str]:
    """Word tokens with case kept (numbers included); apostrophes unified to ' (the text
    toolkit's :func:`research.text.words.feature_words`)."""
    return feature_words(text)


def _lower(tokens: list[str]) -> list[str]:
    """Lower-case, except words whose capitalised form is another word: "US" (not "us"),
    "May" (the month or a name, not the modal)."""
    return [_KEEP_CASE.get(t, t.lower()) for t in tokens]


def _rate(counts: Counter, words: frozenset[str]) -> int:
    return sum(counts[w] for w in words if w in counts)


def _segment_ttr(lower: list[str], size: int = 50) -> float:
    if len(lower) < size:
        return len(set(lower)) / max(len(lower), 1)
    spans = [lower[i:i + size] for i in range(0, len(lower) - size + 1, size)]
    return float(np.mean([len(set(s)) / size for s in spans]))


def _sentence_stats(sentences: list[str]) -> dict[str, float]:
    lengths, questions, exclaims, imperatives, attributions, capitals, conj = [], 0, 0, 0, 0, 0, 0
    for sent in sentences:
        toks = tokenize(sent)
        if not toks:
            continue
        lengths.append(len(toks))
        end = sent.rstrip("\"”’') ]")
        questions += end.endswith("?")
        exclaims += end.endswith("!")
        first = toks[0].lower()
        imperatives += first in IMPERATIVE_OPENERS and toks[0][0].isupper()
        conj += first in CONJ_OPENERS
        lower = set(_lower(toks))
        attributions += bool(lower & ATTRIBUTION) or bool(_ACCORDING.search(sent))
        capitals += sum(1 for t in toks[1:] if t[0].isupper() and t.lower() not in PRON_I)
    n = max(len(lengths), 1)
    return {"question": questions / n, "exclamation": exclaims / n,
            "imperative": imperatives / n, "attribution": attributions / n,
            "conj_start": conj / n, "capitals": capitals,
            "sent_len_mean": float(np.mean(lengths)) if lengths else 0.0,
            "sent_len_sd": float(np.std(lengths)) if lengths else 0.0}


def _suffix_rate(counts: Counter, suffixes: tuple[str, ...], n: int) -> float:
    return sum(c for w, c in counts.items() if len(w) > 5 and w.endswith(suffixes)) / n


def _voice_features(text: str) -> dict[str, float]:
    """Stance markers of the author's own voice: counted outside double quotes."""
    own = _QUOTED.sub(" ", text)
    lower = _lower(tokenize(own))
    n = max(len(lower), 1)
    counts = Counter(lower)
    pos, neg = _rate(counts, EVAL_POS), _rate(counts, EVAL_NEG)
    return {
        "pron_i": _rate(counts, PRON_I) / n,
        "pron_we": _rate(counts, PRON_WE) / n,
        "pron_you": _rate(counts, PRON_YOU) / n,
        "modal": _rate(counts, MODALS) / n,
        "obligation": (_rate(counts, OBLIGATION) + len(_MULTI_OBLIGATION.findall(own))) / n,
        "future": (_rate(counts, FUTURE) + len(_GOING_TO.findall(own))) / n,
        "hedge": _rate(counts, HEDGES) / n,
        "booster": _rate(counts, BOOSTERS) / n,
        "superlative": (_rate(counts, SUPERLATIVES) + len(_MOST.findall(own))) / n,
        "comparative": (_rate(counts, COMPARATIVES) + len(_MORE.findall(own))) / n,
        "eval_pos": pos / n,
        "eval_neg": neg / n,
        "eval_balance": (pos - neg) / (pos + neg + 2),
        "subjective": _rate(counts, SUBJECTIVE) / n,
        "stance_adverb": _rate(counts, STANCE_ADVERBS) / n,
        "importance": _rate(counts, IMPORTANCE) / n,
        "stance_phrase": len(_STANCE.findall(own)) / n,
        "negation": (_rate(counts, NEGATION) + len(_NEGATED.findall(own))) / n,
        "contrast": _rate(counts, CONTRAST) / n,
        "causal": _rate(counts, CAUSAL) / n,
        "demonstrative": _rate(counts, DEMONSTRATIVES) / n,
        "ly_adverb": _suffix_rate(counts, ("ly",), n),
        "adj_suffix": _suffix_rate(counts, _ADJ_SUFFIXES, n),
        "present_tense": _rate(counts, PRESENT) / n,
    }


def polarity_counts(text: str) -> tuple[int, int]:
    """Positive and negative evaluative words in the author's own voice (outside quotes)."""
    counts = Counter(_lower(tokenize(_QUOTED.sub(" ", text))))
    return _rate(counts, EVAL_POS), _rate(counts, EVAL_NEG)


def document_features(text: str) -> dict[str, float]:
    """All features of one text, as a name -> value dict (see the module docstring)."""
    toks = tokenize(text)
    lower = _lower(toks)
    words = [t for t in lower if not t[0].isdigit()]
    n = max(len(toks), 1)
    counts = Counter(lower)
    sent = _sentence_stats(split_sentences(text))
    dates = _rate(counts, MONTHS - {"may", "march"}) + _rate(counts, DATE_WORDS) + sum(
        c for w, c in counts.items() if _YEAR.match(w))
    out = _voice_features(text)
    out.update({
        "pron_third": _rate(counts, PRON_THIRD) / n,
        "past_tense": (_rate(counts, PAST) + sum(
            c for w, c in counts.items() if len(w) > 4 and w.endswith("ed"))) / n,
        "question": sent["question"],
        "exclamation": sent["exclamation"],
        "imperative": sent["imperative"],
        "conj_start": sent["conj_start"],
        "attribution": sent["attribution"],
        "quote_share": sum(len(m) for m in _QUOTED.findall(text)) / max(len(text), 1),
        "number": sum(1 for t in toks if t[0].isdigit()) / n,
        "date": dates / n,
        "proper_noun": sent["capitals"] / n,
        "sent_len_mean": sent["sent_len_mean"],
        "sent_len_sd": sent["sent_len_sd"],
        "word_len": float(np.mean([len(w) for w in words])) if words else 0.0,
        "ttr": _segment_ttr(lower),
    })
    return out


_CACHE_SIZE = 100_000
_VECTOR_CACHE: OrderedDict[bytes, np.ndarray] = OrderedDict()


def _feature_vector(text: str) -> np.ndarray:
    """Features of one text in FEATURE_NAMES order, memoised by a digest of the text
    (cross-validation folds and the sentence models score the same texts many times;
    the digest, not the text, is kept). Read-only float32."""
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    vec = _VECTOR_CACHE.get(key)
    if vec is None:
        feats = document_features(text)
        vec = np.array([feats[k] for k in FEATURE_NAMES], dtype=np.float32)
        vec.setflags(write=False)
        _VECTOR_CACHE[key] = vec
        if len(_VECTOR_CACHE) > _CACHE_SIZE:
            _VECTOR_CACHE.popitem(last=False)
    return vec


class ToneFeatures(TransformerMixin, BaseEstimator):
    """Raw texts -> a dense matrix of length-normalised tone features.

    Parameters
    ----------
    features : sequence of str or None
        Names to keep, in this order (``None`` = all of :data:`FEATURE_NAMES`).

    Stateless apart from checking the names, so ``fit`` only records ``feature_names_in_``
    -style state: ``features_`` (the names used) and ``n_features_out_``.
    """

    def __init__(self, features=None):
        self.features = features

    def fit(self, X, y=None):  # noqa: ARG002
        names = list(FEATURE_NAMES if self.features is None else self.features)
        unknown = sorted(set(names) - set(FEATURE_NAMES))
        if unknown or not names:
            raise ConfigError(f"tone.tone_features: unknown or empty feature list "
                              f"{unknown or names}; choose from {', '.join(FEATURE_NAMES)}")
        self.features_ = tuple(names)
        self.n_features_out_ = len(names)
        return self

    def transform(self, X):
        check_is_fitted(self, "features_")
        index = [FEATURE_NAMES.index(k) for k in self.features_]
        rows = [_feature_vector(str(text)) for text in X]
        if not rows:
            return np.zeros((0, len(index)))
        return np.vstack(rows)[:, index].astype(float)

    def get_feature_names_out(self, input_features=None):  # noqa: ARG002
        check_is_fitted(self, "features_")
        return np.asarray(self.features_, dtype=object)
