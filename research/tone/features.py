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

__all__ = [
    "FEATURE_NAMES",
    "ToneFeatures",
    "document_features",
    "polarity_counts",
    "split_paragraphs",
    "split_sentences",
    "tokenize",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PRON_I = _words("i me my mine myself i'm i've i'd i'll")
PRON_WE = _words("we us our ours ourselves we're we've we'd we'll let's")
PRON_YOU = _words("you your yours yourself yourselves you're you've you'd you'll")
PRON_THIRD = _words("he she they him her them his hers their theirs himself herself themselves "
                    "he's she's they're they've")
MODALS = _words("can could may might must shall should will would ought can't cannot couldn't "
                "mustn't shouldn't won't wouldn't 'll")
OBLIGATION = _words("must should ought mustn't shouldn't")
FUTURE = _words("will shall won't 'll i'll we'll you'll he'll she'll they'll it'll")
HEDGES = _words("perhaps maybe possibly probably likely unlikely seem seems seemed seemingly "
                "appear appears apparently arguably somewhat presumably conceivably supposedly "
                "suggest suggests might perchance roughly partly largely mostly")
BOOSTERS = _words("very really extremely truly clearly obviously undoubtedly certainly indeed "
                  "highly deeply absolutely surely definitely undeniably entirely totally utterly "
                  "completely incredibly remarkably profoundly immensely hugely greatly so too "
                  "particularly especially exceptionally vastly")
SUPERLATIVES = _words("best worst greatest biggest largest highest lowest strongest weakest "
                      "finest brightest deepest toughest hardest easiest richest poorest "
                      "smartest wisest bravest boldest fastest safest latest")
EVAL_POS = _words(
    "good better best great greater greatest excellent outstanding remarkable impressive "
    "exceptional extraordinary wonderful fantastic brilliant superb splendid magnificent "
    "strong stronger strongest robust successful success successes succeed succeeded positive "
    "bright brighter promising prosperous prosperity thriving thrive flourishing flourish "
    "vibrant resilient resilience stable stability peaceful progress achievement achievements "
    "accomplishment accomplishments benefit benefits beneficial valuable constructive fruitful "
    "productive effective innovative visionary historic landmark milestone enduring lasting "
    "trusted reliable committed commitment dedication determination determined proud pride "
    "hope hopeful optimism optimistic opportunity opportunities friendship friendly welcome "
    "welcomed celebrate celebrated praise praised admire admirable honour honor generous "
    "generosity improve improved improvement improvements strengthen strengthening "
    "strengthened empower healthy safer win-win winning victory triumph ideal excellence "
    "leading leadership renowned respected esteemed cherished pioneering transformative "
    "seamless harmonious harmony cordial warm unity solidarity bold courageous wise")
EVAL_NEG = _words(
    "bad worse worst poor terrible awful horrible dreadful disastrous disaster catastrophe "
    "catastrophic failure failures failed fail fails failing wrong mistake mistakes crisis "
    "chaos chaotic corrupt corruption weak weaker weakness dangerous danger harmful harm "
    "damage damaging hostile hostility mistrust distrust troubled problem problems "
    "problematic difficult difficulty difficulties blame blamed shameful shame humiliation "
    "humiliating absurd ridiculous outrageous outrage scandal scandalous incompetent reckless "
    "irresponsible cynical hypocrisy hypocritical lies lying fraud unfair unjust injustice "
    "cruel brutal brutality anger angry fear fears sad tragic tragedy decline collapse "
    "deteriorated deteriorating worsen worsening bleak grim dismal fraught bickering "
    "insignificant useless pointless flawed misguided doomed toxic divisive shocking "
    "appalling alarming deplorable disgraceful pathetic miserable worthless failing "
    "unacceptable inept chaos turmoil mess setback setbacks threat threats threaten "
    "threatening detrimental painful bitter stupid foolish naive")
SUBJECTIVE = _words(
    "absurd amazing amazingly appalling astonishing awesome awful beautiful beloved bizarre "
    "blatant breathtaking charming cheap clumsy cute dazzling delicious delight delightful "
    "disappointing disappointed disgusting dreadful dull dumb elegant embarrassing embarrassed "
    "exciting excited fabulous fascinating fun funny glorious gorgeous hilarious horrific "
    "incredible insane lovely lucky marvellous marvelous mediocre nasty nice obnoxious odd "
    "perfect perfectly pleasant pretty ridiculous scary silly sleek smart spectacular strange "
    "stunning superb terrific tragic ugly unbelievable unfortunate weird worthy boring "
    "crazy dire grotesque heartbreaking hideous idiotic infuriating irritating laughable "
    "lousy magical mighty monstrous nightmare nonsense notorious obscene pathetic petty "
    "pitiful preposterous sensational shameless sham farce hoax shocking sinister sloppy "
    "smug spiteful stellar sublime tasty thrilling tremendous vile vulgar wicked woeful "
    "wretched love loves loved hate hates hated adore despise enjoy enjoyed enjoying "
    "worry worried regret wish hopefully sadly fortunately unfortunately frankly honestly "
    "thankfully luckily ironically admittedly mercifully shockingly tragically "
    "disgracefully regrettably alas whopping huge massive staggering astonishingly "
    "desperately desperate painfully bravely heroic hero heroes villain evil "
    "so-called regime thugs thug elites propaganda disgrace fiasco debacle travesty "
    "nonsense rubbish outrageously brutally fiercely bitterly savage savagely")
STANCE_ADVERBS = _words("sadly fortunately unfortunately frankly honestly thankfully luckily "
                        "ironically admittedly mercifully hopefully surely clearly obviously "
                        "undoubtedly arguably certainly naturally evidently regrettably "
                        "tragically curiously interestingly importantly crucially notably "
                        "rightly wrongly")
COMPARATIVES = _words("better worse greater bigger larger higher lower stronger weaker "
                      "harder easier richer poorer smarter wiser safer tougher deeper")
DEMONSTRATIVES = _words("this that these those such")
IMPORTANCE = _words("important significant crucial vital essential pivotal indispensable "
                    "instrumental fundamental critical paramount central notable considerable "
                    "key major unprecedented")
NEGATION = _words("not no never nor neither none nobody nothing nowhere cannot n't without")
CONTRAST = _words("but however yet although though nevertheless nonetheless whereas instead "
                  "despite conversely rather unlike while")
CAUSAL = _words("because therefore thus hence consequently accordingly so since")
PRESENT = _words("is are am has have does do isn't aren't hasn't haven't doesn't don't")
PAST = _words("was were had did wasn't weren't hadn't didn't")
ATTRIBUTION = _words("said says say told tells according added adds stated states announced "
                     "confirmed confirms claimed claims explained noted insisted warned "
                     "denied reported reports spokesman spokeswoman spokesperson quoted "
                     "commented remarked acknowledged revealed disclosed declared")
IMPERATIVE_OPENERS = _words("let let's consider imagine remember think look take make stop give "
                            "don't do be keep ask note forget try join read watch vote "
                            "recall support demand")
CONJ_OPENERS = _words("and but so yet or nor")
MONTHS = _words("january february march april may june july august september october "
                "november december jan feb mar apr jun jul aug sep sept oct nov dec")
DATE_WORDS = _words("monday tuesday wednesday thursday friday saturday sunday yesterday "
                    "today tomorrow tonight weekend")

_TOKEN = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*|\d+(?:[.,:]\d+)*%?")
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
_SENT_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’')\]]))\s+(?=[\"“‘'(\[]?[A-Z0-9])")
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Maj|Capt|Sgt|Rep|Sen|Gov|St|Jr|Sr|"
                     r"No|vs|etc|Inc|Ltd|Co|Corp|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|"
                     r"Dec)|\b[A-Z])\.$")
_KEEP_CASE = {"US": "U.S.", "May": "May_", "Will": "Will_"}
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*\S)")

FEATURE_NAMES: tuple[str, ...] = (
    "pron_i", "pron_we", "pron_you", "pron_third", "modal", "obligation", "future", "hedge",
    "booster", "superlative", "comparative", "eval_pos", "eval_neg", "eval_balance",
    "subjective", "stance_adverb", "importance", "stance_phrase", "negation", "contrast",
    "causal", "demonstrative", "ly_adverb", "adj_suffix", "present_tense", "past_tense",
    "question", "exclamation", "imperative", "conj_start", "attribution", "quote_share",
    "number", "date", "proper_noun", "sent_len_mean", "sent_len_sd", "word_len", "ttr",
)


def tokenize(text: str) -> list[str]:
    """Word tokens with case kept (numbers included); apostrophes unified to '."""
    return [t.replace("’", "'") for t in _TOKEN.findall(text)]


def _lower(tokens: list[str]) -> list[str]:
    """Lower-case, except words whose capitalised form is another word: "US" (not "us"),
    "May" (the month or a name, not the modal)."""
    return [_KEEP_CASE.get(t, t.lower()) for t in tokens]


def split_sentences(text: str) -> list[str]:
    """Split on line breaks and on sentence punctuation followed by a capital, keeping
    abbreviations such as "Dr." and "U.S." inside their sentence."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = _SENT_END.split(line)
        buf = ""
        for part in parts:
            buf = f"{buf} {part}" if buf else part
            if not _ABBREV.search(buf.rstrip("\"”’')]")):
                out.append(buf)
                buf = ""
        if buf:
            out.append(buf)
    return out


def split_paragraphs(text: str, min_words: int = 1) -> list[str]:
    """Paragraphs: blocks separated by line breaks, kept when they have ``min_words``."""
    paras = (p.strip() for p in _PARAGRAPH.split(text))
    return [p for p in paras if p and len(p.split()) >= min_words]


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
