"""Text -> tokens: the token-level half of cleaning.

Composed gensim-style as a character filter, a tokenizer and token filters:

1. tokenizer: runs of letters and digits (``[^\\W_]+``), joined across inner apostrophes
   (``'’ʼ‘``); hyphens and other punctuation split. Clause punctuation (``. , ; : ! ? ( )
   "``), blank lines and every token a filter removes leave a *break*, so a learned phrase
   never spans a comma or a dropped stop word.
2. apostrophes: the clitics ``'s 're 've 'll 'd 'm`` and ``n't`` are cut (``Pakistan’s``
   -> ``Pakistan``, ``can't`` -> ``can``, ``won't`` -> ``will``); other inner apostrophes
   join (``O'Neill`` -> ``ONeill``).
3. filters, in order: lowercase; lemma (simplemma, offline, optional); drop numbers
   (tokens without a letter); drop tokens shorter than ``min_length``; drop stop words
   (checked on the word and on its lemma).
4. phrases (optional): gensim ``Phrases`` with npmi scoring, learned on the corpus'
   break-free segments and frozen; ``prime minister`` -> ``prime_minister``.

Every token emitted is matched whole by :data:`TOKEN_PATTERN`, so
``TfidfVectorizer(token_pattern=TOKEN_PATTERN)`` on ``" ".join(tokens)`` gives them back.
"""

from __future__ import annotations

import re
from functools import lru_cache

from research.text.words import APOSTROPHE, TOKEN_OR_BREAK, WORD

__all__ = [
    "TOKEN_PATTERN",
    "apply_phrases",
    "learn_phrases",
    "phrases_from_state",
    "phrases_state",
    "stop_word_set",
    "token_segments",
]

TOKEN_PATTERN = r"(?u)\b\w+\b"

_CLITICS = frozenset({"s", "re", "ve", "ll", "d", "m"})
_NT_STEMS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}
_WORD = re.compile(TOKEN_PATTERN)
_HAS_LETTER = re.compile(r"[^\W\d_]")
# an apostrophe without a letter or digit on both sides: never inside an ASCII_WORD match
_LONE_APOSTROPHE = re.compile(r"'(?:(?<![A-Za-z0-9]')|(?![A-Za-z0-9]))")
_WORD_OR_APOSTROPHE = bytes(b if b < 128 and (chr(b).isalnum() or b == ord("'")) else ord(" ")
                            for b in range(256))


def _ascii_words(text: str) -> list[str]:
    """``research.text.words.ASCII_WORD.findall(text)`` for ASCII text, 1.5-2x faster: its
    matches are the runs of letters, digits and apostrophes once the apostrophes that are
    not between two letters/digits are blanked (the pattern has no lookaround, so a match
    ends only at a character outside the run)."""
    if "'" in text:
        text = _LONE_APOSTROPHE.sub(" ", text)
    return text.encode().translate(_WORD_OR_APOSTROPHE).decode().split()


def strip_clitics(word: str) -> str:
    """``Pakistan’s`` -> ``Pakistan``, ``can't`` -> ``can``, ``O'Neill`` -> ``ONeill``."""
    parts = APOSTROPHE.split(word)
    if len(parts) == 1:
        return word
    last = parts[-1].lower()
    if last in _CLITICS:
        parts.pop()
    elif last == "t" and parts[-2][-1:] in ("n", "N") and len(parts[-2]) > 1:
        parts.pop()
        stem = parts[-1][:-1]
        parts[-1] = _NT_STEMS.get(stem.lower(), stem)
    return "".join(parts)


def stop_word_set(stop_words: str | None, extra: list[str] | tuple = ()) -> frozenset[str]:
    """``english`` = scikit-learn's list; ``none``/None = empty; plus ``extra`` (lowercased)."""
    base: frozenset[str] = frozenset()
    if stop_words == "english":   # imported here: cleaning workers never need scikit-learn
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as base  # type: ignore[no-redef]
    return frozenset(base) | frozenset(w.lower() for w in extra)


def check_language(language: str) -> str | None:
    """None when simplemma can lemmatise ``language``, else the reason it cannot."""
    import simplemma

    try:
        simplemma.lemmatize("test", lang=language)
    except ValueError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=200_000)
def _lemma(word: str, language: str) -> str:
    import simplemma

    lemma = simplemma.lemmatize(word, lang=language)
    return lemma if _WORD.fullmatch(lemma) else word


def _filter(word: str, opts: dict, stops: frozenset[str]) -> str | None:
    """One raw word -> the token to keep, or None when a filter drops it."""
    word = strip_clitics(word)
    token = word.lower() if opts["lowercase"] else word
    lowered = token.lower()
    if lowered in stops:
        return None
    if opts["lemmatize"]:
        lemma = _lemma(lowered, opts["language"])
        if lemma.lower() in stops:
            return None
        token = lemma.lower() if opts["lowercase"] else lemma
    if opts["numbers"] == "drop" and not token.isalpha() and _HAS_LETTER.search(token) is None:
        return None
    if not token.isascii() and not _WORD.fullmatch(token):
        token = "".join(_WORD.findall(token))  # e.g. 'İ'.lower() adds a combining dot
    if len(token) < opts["min_length"]:
        return None
    return token


def token_segments(text: str, opts: dict, stops: frozenset[str], cache: dict | None = None,
                   breaks: bool = True) -> list[list[str]]:
    """Tokens of ``text`` in runs without a break (see module docstring).

    ``cache`` maps a raw piece to its token (None = dropped); pass one dict per settings.
    With ``breaks`` False all tokens come back as one run (enough when no phrases are used).
    """
    cache = {} if cache is None else cache
    if not breaks:   # words only; on ASCII text _ascii_words finds the same words, faster
        pieces = _ascii_words(text) if text.isascii() else WORD.findall(text)
        for piece in set(pieces).difference(cache):
            cache[piece] = _filter(piece, opts, stops)
        found = map(cache.__getitem__, pieces)
        if opts["min_length"] >= 1:   # no kept token is empty: filter(None), 2x faster
            return [list(filter(None, found))]
        return [[t for t in found if t is not None]]
    pieces = TOKEN_OR_BREAK.findall(text)
    for piece in set(pieces).difference(cache):
        cache[piece] = _filter(piece, opts, stops) if piece[0].isalnum() else None
    tokens = list(map(cache.__getitem__, pieces))
    segments, current = [], []  # type: ignore[var-annotated]
    for token in tokens:
        if token is None:
            if current:
                segments.append(current)
                current = []
        else:
            current.append(token)
    if current:
        segments.append(current)
    return segments


def learn_phrases(segments: list[list[str]], min_count: int, threshold: float):
    """Fit gensim Phrases (npmi) on token segments; return the frozen model."""
    from gensim.models.phrases import Phrases

    model = Phrases(segments, min_count=min_count, threshold=threshold,
                    scoring="npmi", delimiter="_")
    return model.freeze()


def apply_phrases(segments: list[list[str]], frozen) -> list[str]:
    """Flatten segments into one token list, joining learned phrases with ``_``."""
    tokens: list[str] = []
    for segment in segments:
        tokens.extend(frozen[segment] if frozen is not None and len(segment) > 1 else segment)
    return tokens


def phrases_state(frozen) -> dict:
    """A gensim ``FrozenPhrases`` as plain JSON data (for the cache and ``cleaner.json``)."""
    return {"threshold": float(frozen.threshold), "min_count": int(frozen.min_count),
            "delimiter": frozen.delimiter, "connector_words": sorted(frozen.connector_words),
            "phrasegrams": {str(k): float(v) for k, v in frozen.phrasegrams.items()}}


def phrases_from_state(state: dict):
    """A gensim ``FrozenPhrases`` rebuilt from :func:`phrases_state` data (no pickle)."""
    from gensim.models.phrases import FrozenPhrases, npmi_scorer

    frozen = FrozenPhrases.__new__(FrozenPhrases)
    frozen.threshold, frozen.min_count = state["threshold"], state["min_count"]
    frozen.delimiter, frozen.scoring = state["delimiter"], npmi_scorer
    frozen.connector_words = frozenset(state["connector_words"])
    frozen.phrasegrams = dict(state["phrasegrams"])
    return frozen
