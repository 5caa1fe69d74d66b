"""The text toolkit: how the package cuts text into paragraphs, sentences and words.

    paragraphs.py  split_paragraphs: a paragraph is a non-empty line (corpus.unit: paragraph,
                   tone.unit: paragraph); wrapped_paragraphs: runs of hard-wrapped lines
                   that end in paragraph punctuation (repeated-paragraph detection)
    sentences.py   split_sentences (the tone features' sentence statistics, the sentence
                   scorers) and split_line (cleaning's segments of a line): two rules that
                   cut 10% of news texts differently, kept apart because merging them
                   changes results (measured in the module's docstring)
    words.py       the word patterns: cleaning's tokens and the tone features' words

Cleaning (:mod:`research.clean`) and the tone features (:mod:`research.tone`) import these
and define none of their own. Pure functions of strings: no imports from the package.
"""

from research.text.paragraphs import split_paragraphs, wrapped_paragraphs
from research.text.sentences import split_line, split_sentences

__all__ = ["split_line", "split_paragraphs", "split_sentences", "wrapped_paragraphs"]
