"""The fast paths of the per-document cleaning give what the plain code they replace gives
(ftfy's own functions, a regex, the set of all words, a numpy pass)."""

from __future__ import annotations

import random
import re
import re._parser as sre_parse  # reads BADNESS_RE's structure
import sys

import ftfy
import numpy as np
import pytest
from ftfy.badness import BADNESS_RE, is_bad

from research.clean import furniture, repair, templates
from research.clean.pipeline import TextPipeline
from research.config.load import load_config
from research.text.sentences import split_line

_ALPHABET = ("ab AZ.,!?\n\t&;<>#x1amp@/wW©é€Ã©â‚Äœ\u2028\x85\x1b\x01\x7f’“£—…⠀的"
             "ØÙà√≈вЂВГРСΒΓΞΟβā×²°")


def _random_texts(n: int, seed: int, longest: int = 60) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, longest)))
            for _ in range(n)]


_TEXTS = [
    "a &amp; b\ncafé", "x < y\n&amp; é", "é\n&amp;\n<\n&lt;", "\x1b[31mred\x1b[0m é",
    "tab\there é\n\x0c\x7f\x01ok", "Ã©tÃ© &eacute;\nplain line\nâ€œquotedâ€\n", "\n\né\n",
    "P&EACUTE;REZ é\n<b>x</b>\n&amp;", "line\u2028sep é\nnext\x85x", "Ã ", "ok Ã ok",
    "Follow us on Twitter @Name — The “Times” © 2024", "Ѕhare thіs www.x.com",
]


def test_fix_text_is_ftfys():
    for text in _TEXTS + _random_texts(3000, 1):
        assert repair._fix_text(text) == ftfy.fix_text(text), text


def test_badness_matches_are_short_and_hold_a_non_ascii_character():
    """What document_is_bad's windows rely on."""
    (op, (_, alternatives)), = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags).data
    assert op is sre_parse.BRANCH
    assert sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags).getwidth()[1] \
        <= repair._BADNESS_REACH + 1

    def non_ascii_only(item) -> bool:
        kind, value = item
        if kind is sre_parse.LITERAL:
            return value >= 128
        if kind is sre_parse.IN:
            return all((k is sre_parse.LITERAL and v >= 128)
                       or (k is sre_parse.RANGE and v[0] >= 128) for k, v in value)
        return False

    for alternative in alternatives:
        assert any(non_ascii_only(item) for item in alternative.data), alternative
        assert all(kind not in (sre_parse.ASSERT, sre_parse.ASSERT_NOT)
                   for kind, _ in alternative.data)


def test_document_is_bad_is_ftfys():
    texts = _TEXTS + _random_texts(20000, 2) + _random_texts(200, 3, longest=3000)
    for text in texts:
        assert repair.document_is_bad(text) == (not text.isascii() and is_bad(text)), text


def test_link_hint_is_the_regex():
    hint = re.compile(r"[/@]|www", re.IGNORECASE)
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    assert [c for c in chars if hint.search(c * 3)] == ["/", "@", "W", "w"]
    assert [c for c in chars if "w" in c.lower()] == ["W", "w"]
    for text in _TEXTS + _random_texts(5000, 4):
        assert furniture._has_link_hint(text) == (hint.search(text) is not None), text


@pytest.fixture(scope="module")
def rules():
    pipeline = TextPipeline.from_settings(load_config()["clean"])
    return pipeline._prepared().rules_


def test_trigger_hits_and_segments(rules):
    words = sorted(rules.triggers) + ["Share", "COMMENTS", "x", "café", "e-mail"]
    rng = random.Random(5)
    seps = [" ", " ", ". ", "! ", ", ", "@", "/", "-", "_", "é", " (", ") ", "\x01", "©"]
    for _ in range(5000):
        line = "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 12)))
        line = " ".join(line.split())
        hits = furniture._trigger_hits(line, rules)
        expected = rules.triggers & furniture.trigger_words(line)
        assert {h if isinstance(h, str) else h.decode() for h in hits} == expected, line
        if line.isascii() or line.isprintable():   # the segment shortcut of _furniture
            for segment in split_line(line):
                assert furniture.trigger_words(segment) <= furniture.trigger_words(line)


def _numpy_squeeze(data: bytes) -> np.ndarray:
    """templates._squeeze as it was (numpy)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if len(raw) > 1:
        raw = raw[np.concatenate(([True], (raw[1:] != 48) | (raw[:-1] != 48)))]
    n = len(raw)
    space = raw == 32
    before = np.concatenate(([10], raw[:-1]))
    next_other = np.where(space, n, np.arange(n))
    next_other = np.minimum.accumulate(next_other[::-1])[::-1]
    after = np.append(raw, 10)[next_other]
    return raw[~space | ((before != 32) & (before != 10) & (after != 10))]


def test_squeeze_is_the_numpy_pass():
    rng = random.Random(6)
    for _ in range(20000):
        data = bytes(rng.choice(b"0 \n ab0 \xc3\xa9") for _ in range(rng.randint(0, 30)))
        assert templates._squeeze(data).tobytes() == _numpy_squeeze(data).tobytes(), data


def test_ascii_words_are_the_pattern():
    from research.clean.tokens import _ascii_words
    from research.text.words import ASCII_WORD

    rng = random.Random(7)
    texts = ["don't 'quoted' a''b rock'n'roll O'Neill's '' ' x'", "end'", "'start", ""]
    texts += ["".join(rng.choice("ab1 '\n\t.-_\x1c") for _ in range(rng.randint(0, 40)))
              for _ in range(20000)]
    for text in texts:
        assert _ascii_words(text) == ASCII_WORD.findall(text), text
