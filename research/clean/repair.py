"""Unicode repair and removal of text that cannot be repaired.

Two character-level steps run on every text before anything looks at its lines:

``repair_text``
    ftfy's ``fix_text`` (mojibake that can be undone, HTML entities, curly quotes, line
    breaks, NFC). Pure-ASCII texts without HTML entities cannot hold mojibake, so they skip
    ftfy (it costs ~0.5 ms per post) and only get their line breaks normalised. In other
    texts ftfy only sees the lines it could change (:func:`_fix_text`).

``remove_junk``
    Deletes, line by line, what is left that is not text:

    1. characters of categories that never carry words: other and modifier symbols
       (``So``, ``Sk``) from U+2190 on (arrows, box drawing, Braille art, dingbats, emoji,
       flags, skin tones, the replacement character; ``© ® ° ™`` below it stay for the
       furniture patterns), enclosing marks (``Me``: the keycap), variation selectors,
       format characters (``Cf``: zero-width joiners, BOM), control, private-use,
       surrogate and unassigned code points;
    2. in a document that ftfy's ``badness.is_bad`` flags, mis-decoded UTF-8 whose bytes
       were lost (e.g. an emoji read as cp1257 becomes ``ļøā£``; one byte of it is gone,
       so ftfy cannot restore it). Each maximal run of non-ASCII characters is re-encoded
       with the legacy code pages that produce such text (cp1252, cp1257, cp1250,
       latin-1); a run is junk when one of those encodings contains a UTF-8 lead byte
       followed by a continuation byte (``[C2-F4][80-BF]``), i.e. it is a fragment of a
       multi-byte UTF-8 sequence, or when ftfy's ``BADNESS_RE`` matches inside it. In a
       line that had such a run, a lone non-ASCII character standing apart from any word
       whose encoding is a UTF-8 lead byte (the ``š`` left of a 4-byte emoji) is junk too.

The code-page test only runs in documents ftfy already judges bad, so legitimate accented
words (``café``, ``těžký``) in clean documents are never touched.
"""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy
from ftfy.badness import BADNESS_RE

__all__ = ["document_is_bad", "remove_junk", "repair_text"]

_CODEPAGES = ("cp1252", "cp1257", "cp1250", "latin-1")
_UTF8_FRAGMENT = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
_UTF8_LEAD = re.compile(rb"^[\xc2-\xf4]$")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f\s]+")
_NON_ASCII_RUN_ANY = re.compile(r"[^\x00-\x7f]+")
_BADNESS_REACH = 6   # BADNESS_RE matches are 1 to 7 characters long (ftfy 6.3)
_HTML_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]\w*);")
_JUNK_CATEGORIES = frozenset({"Me", "Cf", "Cc", "Co", "Cs", "Cn"})
_SYMBOLS = frozenset({"So", "Sk"})
_FIRST_PICTOGRAPHIC = 0x2190  # arrows onwards; below: © ® ° ™ and accents, kept
_KEEP_CONTROLS = frozenset("\t\n")
_FTFY_CONFIG = ftfy.TextFixerConfig(explain=False)   # what ftfy.fix_text uses
# a line ftfy leaves as it is: printable ASCII and tabs, no "&" (see _fix_text)
_FTFY_UNCHANGED = re.compile(r"[\t\x20-\x25\x27-\x7e]*\n?")


def repair_text(text: str, repair: bool = True) -> str:
    """Fix what can be fixed: ftfy + NFC (or only line breaks when ``repair`` is off)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not repair:
        return text
    if text.isascii() and not _HTML_ENTITY.search(text):
        return text
    if text.isascii():
        return html.unescape(text) if "<" not in text else text
    return _fix_text(text)


def _fix_text(text: str) -> str:
    r"""``ftfy.fix_text(text)``, without calling ftfy on the lines it cannot change.

    fix_text fixes each line (up to ``max_decode_length`` characters) on its own with
    ``fix_and_explain``. On a line of printable ASCII and tabs without ``&`` none of its
    steps changes anything: no entity to unescape (they start with ``&``), no mojibake
    (ftfy's encoding fix returns ASCII as is), no C1/control character, terminal escape
    (``\x1b``), ligature, wide character, curly quote, surrogate or line break other than
    ``\n``, and ASCII is NFC already. So such lines (most lines of a news text with a few
    accents or dashes) are copied; ftfy's own loop is kept, with its rule that no line after
    one holding ``<`` gets HTML entities unescaped. Same result, ~20% less time on news.
    """
    config = _FTFY_CONFIG
    out, pos = [], 0
    while pos < len(text):
        textbreak = text.find("\n", pos) + 1 or len(text)
        textbreak = min(textbreak, pos + config.max_decode_length)
        segment = text[pos:textbreak]
        if config.unescape_html == "auto" and "<" in segment:
            config = config._replace(unescape_html=False)
        if _FTFY_UNCHANGED.fullmatch(segment) is None:
            segment = ftfy.fix_and_explain(segment, config).text
        out.append(segment)
        pos = textbreak
    return "".join(out)


def document_is_bad(text: str) -> bool:
    """True when ftfy sees mojibake in the (already repaired) text: ``is_bad(text)``, with
    ``BADNESS_RE`` searched only around the non-ASCII characters.

    Every match of ``BADNESS_RE`` holds a non-ASCII character and is at most
    :data:`_BADNESS_REACH` + 1 characters long, and the regex has no lookaround (its one
    ``^`` matches at position 0 only, also with ``pos``); so a match exists iff one exists
    in a window reaching that far on both sides of a run of non-ASCII characters (checked
    against ftfy's regex in tests/clean/test_speedups.py). A news text is mostly
    ASCII: this searches a few dozen characters instead of the whole text.
    """
    if text.isascii():
        return False
    lo = hi = 0
    for run in _NON_ASCII_RUN_ANY.finditer(text):
        start, end = max(run.start() - _BADNESS_REACH, 0), run.end() + _BADNESS_REACH
        if start > hi:   # a new window: search the one before
            if hi and BADNESS_RE.search(text, lo, hi):
                return True
            lo = start
        hi = end
    return BADNESS_RE.search(text, lo, hi) is not None


def _is_junk_char(char: str) -> bool:
    if char in _KEEP_CONTROLS:
        return False
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return True
    category = unicodedata.category(char)
    if category in _SYMBOLS:
        return code >= _FIRST_PICTOGRAPHIC
    return category in _JUNK_CATEGORIES


def _drop_junk_chars(line: str) -> tuple[str, int]:
    if line.isascii() and line.isprintable():
        return line, 0
    junk = {c for c in set(line) if _is_junk_char(c)}
    if not junk:
        return line, 0
    kept = "".join(c for c in line if c not in junk)
    return kept, len(line) - len(kept)


def _encodings(run: str) -> list[bytes]:
    out = []
    for codec in _CODEPAGES:
        try:
            out.append(run.encode(codec))
        except UnicodeEncodeError:
            continue
    return out


def _is_mojibake_run(run: str) -> bool:
    if BADNESS_RE.search(run):
        return True
    return any(_UTF8_FRAGMENT.search(raw) for raw in _encodings(run))


def _is_lone_lead(line: str, match: re.Match) -> bool:
    run, start, end = match.group(), match.start(), match.end()
    if len(run) != 1:
        return False
    touching = line[start - 1:start] + line[end:end + 1]
    if any(c.isalnum() for c in touching):
        return False
    return any(_UTF8_LEAD.match(raw) for raw in _encodings(run))


def _drop_mojibake_runs(line: str) -> tuple[str, int]:
    runs = list(_NON_ASCII_RUN.finditer(line))
    bad = [m for m in runs if _is_mojibake_run(m.group())]
    if not bad:
        return line, 0
    bad += [m for m in runs if m not in bad and _is_lone_lead(line, m)]
    spans = sorted(m.span() for m in bad)
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(line[last:start])
        last = end
    pieces.append(line[last:])
    return " ".join(pieces), sum(end - start for start, end in spans)


def remove_junk(line: str, document_bad: bool) -> tuple[str, int]:
    """Return the line without junk and the number of junk characters removed."""
    line, removed = _drop_junk_chars(line)
    if document_bad and not line.isascii():
        line, more = _drop_mojibake_runs(line)
        removed += more
    return line, removed
