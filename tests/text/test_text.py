"""research.text: paragraphs, sentences and words, and who uses them."""

from __future__ import annotations

import research.clean.furniture as furniture
import research.clean.tokens as tokens
import research.tone.features as features
from research.text import split_line, split_paragraphs, split_sentences, wrapped_paragraphs
from research.text.words import WORD, feature_words


def test_a_paragraph_is_a_non_empty_line_with_enough_words():
    text = "First paragraph has five words.\n\n  \nShort one.\r\nThird line here with words\n"
    assert split_paragraphs(text) == ["First paragraph has five words.", "Short one.",
                                      "Third line here with words"]
    assert split_paragraphs(text, min_words=5) == ["First paragraph has five words.",
                                                   "Third line here with words"]


def test_wrapped_paragraphs_split_at_blank_lines_and_sentence_ends():
    lines = [["A first line that goes on"], ["and ends here."], [], ["Next."], None, ["Last"]]
    assert wrapped_paragraphs(lines) == [[0, 1], [3], [5]]


def test_the_two_sentence_rules_and_where_they_differ():
    # an ellipsis ends a segment of cleaning, not a tone sentence; 'Fig.' is an abbreviation to cleaning only
    text = 'Lt. Gen. Lodhi said so. He left for the U.S. on Monday. "Is it over?" Yes…  Fig. 3 shows it.'
    assert split_sentences(text) == ["Lt. Gen. Lodhi said so.", "He left for the U.S. on Monday.",
                                     '"Is it over?"', "Yes…  Fig.", "3 shows it."]
    assert split_line(text) == ["Lt. Gen. Lodhi said so.", "He left for the U.S. on Monday.",
                                '"Is it over?"', "Yes…", "Fig. 3 shows it."]
    assert split_sentences("one\ntwo") == ["one", "two"]


def test_cleaning_and_tone_features_use_the_toolkit_not_their_own():
    assert furniture.split_line is split_line
    assert features.split_sentences is split_sentences and features.split_paragraphs is split_paragraphs
    assert tokens.WORD is WORD
    assert features.tokenize("A long-term rise of 3.5% isn’t small") == \
        ["A", "long-term", "rise", "of", "3.5%", "isn't", "small"] == feature_words("A long-term rise of 3.5% isn’t small")
    assert WORD.findall("A long-term rise of 3.5% isn’t small") == ["A", "long", "term", "rise", "of", "3", "5", "isn’t", "small"]
