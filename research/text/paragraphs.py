"""Paragraphs. In cleaned text a paragraph is a non-empty line: :func:`split_paragraphs`
gives the units of ``corpus.unit: paragraph`` and ``tone.unit: paragraph``. Raw text can be
hard-wrapped (20 Newsgroups, e-mail): :func:`wrapped_paragraphs` groups such lines back into
paragraphs, each ending at a blank line or at a line that ends in paragraph punctuation; the
repeated-paragraph check of cleaning reads paragraphs that way."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["PARAGRAPH_END", "split_paragraphs", "wrapped_paragraphs"]

PARAGRAPH_END = frozenset('.!?…"”’)')
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*\S)")


def split_paragraphs(text: str, min_words: int = 1) -> list[str]:
    """The non-empty lines of ``text``, stripped, that have at least ``min_words`` words."""
    paras = (p.strip() for p in _PARAGRAPH.split(text))
    return [p for p in paras if p and len(p.split()) >= min_words]


def wrapped_paragraphs(lines: Sequence[Sequence[str] | None]) -> list[list[int]]:
    """Indices of the lines of each paragraph of hard-wrapped text. ``lines[i]`` holds the
    sentences of line i, as in :class:`research.clean.furniture.CleanedText`: a blank line
    (``[]``) or a removed one (None) ends the paragraph too."""
    out: list[list[int]] = []
    current: list[int] = []
    for i, segments in enumerate(lines):
        if not segments:
            if current:
                out.append(current)
            current = []
            continue
        current.append(i)
        if segments[-1][-1:] in PARAGRAPH_END:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out
