"""``TextPipeline``: the per-text steps of cleaning (unicode repair, furniture, links, short
lines, tokens, learned phrases), what a run saves as its ``cleaner`` and what reuse applies to
new texts; and the checks of the ``clean:`` settings (a library caller may pass them without
the config schema).
"""

from __future__ import annotations

from dataclasses import replace

from research.clean.furniture import CleanedText, FurnitureRules, clean_lines
from research.clean.repair import repair_text
from research.clean.settings import check_values, get_setting
from research.clean.tokens import (
    apply_phrases,
    check_language,
    learn_phrases,
    phrases_from_state,
    phrases_state,
    stop_word_set,
    token_segments,
)
from research.errors import ConfigError

__all__ = ["TextPipeline", "check_settings"]


def check_settings(settings: dict) -> None:
    """The clean: settings' choices and ranges (:mod:`research.clean.settings`, the table the
    schema is built from) and that simplemma lemmatises the language."""
    check_values(settings)
    language = get_setting(settings, "tokens.language")
    if get_setting(settings, "tokens.lemmatize") and check_language(language) is not None:
        raise ConfigError(f"clean.tokens.language: simplemma has no lemmas for {language!r}; "
                          "use a code such as en, de, fr, es, or set clean.tokens.lemmatize: "
                          "false")


class TextPipeline:
    """The per-text steps of a cleaning run, picklable, to tokenise new texts as in training.

    ``unicode``, ``furniture`` and ``tokens`` are the sections of the same name under
    ``clean:``. Learned state: ``phrases_`` (gensim ``FrozenPhrases`` or None). Corpus
    steps (repeated lines, duplicates, repeated paragraphs) are not part of it.
    """

    def __init__(self, unicode: dict, furniture: dict, tokens: dict):
        self.unicode = unicode
        self.furniture = furniture
        self.tokens = tokens

    @classmethod
    def from_settings(cls, settings: dict) -> TextPipeline:
        return cls(dict(get_setting(settings, "unicode")), dict(get_setting(settings, "furniture")),
                   dict(get_setting(settings, "tokens")))

    def get_params(self, deep: bool = False) -> dict:  # noqa: ARG002
        return {"unicode": self.unicode, "furniture": self.furniture, "tokens": self.tokens}

    def _prepared(self) -> TextPipeline:
        if not hasattr(self, "rules_"):
            self.rules_ = FurnitureRules.from_settings(self.furniture,
                                                       bool(self.unicode["drop_junk"]))
            stop = self.tokens["stop_words"]
            self.stop_words_ = stop_word_set(None if stop in (None, "none") else stop,
                                             self.tokens["extra_stop_words"] or [])
            self.token_options_ = {k: self.tokens[k] for k in (
                "lowercase", "lemmatize", "language", "numbers", "min_length")}
        return self

    def clean_text(self, text: str) -> CleanedText:
        """Unicode repair, junk, furniture patterns, links and short lines of one text."""
        self._prepared()
        return clean_lines(repair_text(text, bool(self.unicode["repair"])), self.rules_)

    def clean_for_scoring(self, text: str) -> str:
        """The cleaned text of a new text given for scoring (reuse, ``apply``).

        As :meth:`clean_text`, except that a text the short-line rule alone would empty is
        kept: that rule tells a heading from the article under it and needs the page around
        it, so a headline scored on its own (``"North Korea missile test"``) keeps its words.
        Patterns, junk and links still apply. Training never calls this: a scraped page
        whose every line is short is still dropped there, as before.
        """
        found = self.clean_text(text)
        kept = found.text()
        if kept.strip() or not any(r["reason"] == "short_line" for r in found.removed):
            return kept
        rules = replace(self.rules_, short_lines=False)
        return clean_lines(repair_text(text, bool(self.unicode["repair"])), rules).text()

    def segments(self, cleaned_text: str) -> list[list[str]]:
        """Filtered tokens of already-cleaned text, in runs a phrase may not cross."""
        self._prepared()
        if not hasattr(self, "_token_cache"):
            self._token_cache: dict = {}
        return token_segments(cleaned_text, self.token_options_, self.stop_words_,
                              self._token_cache, breaks=bool(self.tokens["phrases"]["enabled"]))

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_token_cache"}

    def to_state(self) -> dict:
        """The settings and learned phrases as plain JSON data (no code, no pickle):
        what the cleaning cache and a run's ``cleaner`` artefact store."""
        frozen = getattr(self, "phrases_", None)
        phrases = None if frozen is None else phrases_state(frozen)
        return {"unicode": self.unicode, "furniture": self.furniture, "tokens": self.tokens,
                "fitted": hasattr(self, "phrases_"), "phrases": phrases}

    @classmethod
    def from_state(cls, state: dict) -> TextPipeline:
        """Inverse of :meth:`to_state`: the same tokens for every text."""
        pipeline = cls(dict(state["unicode"]), dict(state["furniture"]), dict(state["tokens"]))
        if state.get("fitted"):
            pipeline.phrases_ = None if state["phrases"] is None else phrases_from_state(state["phrases"])
        return pipeline

    def fit_phrases(self, segment_lists: list[list[list[str]]]) -> TextPipeline:
        """Learn phrases from the segments of the corpus (no-op when phrases are off)."""
        options = self.tokens["phrases"]
        self.phrases_ = None
        if options["enabled"]:
            flat = [segment for segments in segment_lists for segment in segments]
            self.phrases_ = learn_phrases(flat, int(options["min_count"]),
                                          float(options["threshold"]))
        return self

    def fit(self, texts: list[str]) -> TextPipeline:
        """Learn phrases from raw texts (the per-text steps are applied first)."""
        return self.fit_phrases([self.segments(self.clean_text(t).text()) for t in texts])

    def tokens_of(self, cleaned_text: str) -> list[str]:
        return apply_phrases(self.segments(cleaned_text), getattr(self, "phrases_", None))

    def tokenize(self, text: str) -> list[str]:
        """Raw text -> tokens, exactly as a training document with the same text.

        The line rules apply to a single line too: ``"Washington said"`` (a short line
        without sentence punctuation) gives no tokens, ``"Washington said so."`` does.
        """
        return self.tokens_of(self.clean_text(text).text())


