"""Words. Cleaning's tokens (the vocabulary of every topic model and of TF-IDF) and the tone
features' words are cut by the patterns here.

``WORD``: letters and digits of any script, with inner apostrophes (``Pakistan's``,
``don't``); ``ASCII_WORD`` is the same on ASCII text, faster. ``TOKEN_OR_BREAK`` adds the
punctuation and blank lines that end a phrase (cleaning learns phrases inside them).

``FEATURE_WORD``: the tone features' words keep English shapes that carry stance and
register: hyphenated compounds (``long-term``) and numbers with decimals or a percent sign
(``3.5%``) count as one word. The two patterns are not merged: the tone features are
counted on these words, the vocabulary on the others, and merging changes the results of
both (the tone features of most texts with a hyphen or a decimal).
"""

from __future__ import annotations

import re

__all__ = ["APOSTROPHE", "ASCII_WORD", "FEATURE_WORD", "TOKEN_OR_BREAK", "WORD", "feature_words"]

WORD = re.compile(r"[^\W_]+(?:['’ʼ‘][^\W_]+)*")
ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*")   # WORD on ASCII text
TOKEN_OR_BREAK = re.compile(r"[^\W_]+(?:['’ʼ‘][^\W_]+)*|[.,;:!?()\[\]\"“”«»—–]|\n\s*\n")
APOSTROPHE = re.compile(r"['’ʼ‘]")
FEATURE_WORD = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*|\d+(?:[.,:]\d+)*%?")


def feature_words(text: str) -> list[str]:
    """The tone features' words with case kept (numbers included); apostrophes unified to '."""
    return [t.replace("’", "'") for t in FEATURE_WORD.findall(text)]
