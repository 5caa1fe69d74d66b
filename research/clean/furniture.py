"""Page furniture: lines that are navigation, promotion, captions or links, not article text.

A text is read line by line; a line holding several sentences is also split into
sentences ("segments"), so furniture glued into a one-line scrape (hyperpartisan) can go
while the rest of the line stays. Each removal is recorded with its reason:

``pattern:<name>``
    the whole line, or one of its segments, matches a pattern of
    :data:`DEFAULT_PATTERNS` (``clean.furniture.patterns: default``), of the user's own
    list (``pattern:custom_<i>``) or of ``extra_patterns`` (``pattern:extra_<i>``).
    Patterns are case-insensitive and searched in the whitespace-normalised line. The
    defaults are general, not copied from any page, and each carries a word limit (a line
    or sentence longer than that is not tested), so that a real sentence mentioning an app
    store or cookies stays; user patterns have no limit.
``short_line``
    a line of at most ``short_line_max_words`` words without sentence punctuation
    (``. ! ? … ; : "``): headings, buttons, one-word captions.
``repeated_line``
    a segment (at least two words) found in at least ``repeated_min_docs`` documents of
    one outlet and in at least ``repeated_min_share`` of that outlet's documents: site
    templates, author boxes, donation appeals. Documents of one near-duplicate cluster
    count once, so two copies of an article do not make its body "repeated"; documents
    without an outlet form one group.
    Numbers are ignored when comparing (``Join over 240,000 readers`` = ``... 250,000``).
``junk``
    nothing but junk characters (see :mod:`research.clean.repair`).
``links``
    nothing left once links are deleted.

Hard-wrapped prose (e-mail, Usenet) is protected: a line that continues the sentence of
the line above (that line is at least 40 characters long and does not end a sentence) is
never a short line; and a line that is visibly inside a sentence (it continues the line
above and starts with a lowercase word, or it does not end a sentence and the next line
starts with a lowercase word: "read the entire Bible ..." mid-paragraph) is not tested
against the patterns either.

Links inside kept text (``http(s)://``, ``www.``, ``t.co/``, ``pic.twitter.com/``) and
e-mail addresses are deleted from the sentence; a line that is only links goes as
``pattern:url_only``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from research.clean.repair import document_is_bad, remove_junk
from research.errors import ConfigError
from research.text.sentences import split_line

__all__ = [
    "DEFAULT_PATTERNS",
    "CleanedText",
    "FurnitureRules",
    "clean_lines",
]

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_NO_END_PUNCT = r"(?!.*[.!?][\"”’)]?$)"
_SOCIAL = (r"(?:google news|twitter|x|facebook|instagram|whatsapp|telegram|youtube|"
           r"linkedin|tiktok|threads|bluesky|our (?:app|channel|page))")
_BUTTONS = (r"(?:share(?: this(?: article| story| post)?)?|tweet|e-?mail|print|follow(?: us)?|"
            r"subscribe|like|save|copy link|short (?:url|link)|permalink|whatsapp|facebook|"
            r"twitter|linkedin|reddit|pinterest|telegram|comments?)")
_CREDIT = (r"(?:reuters|afp|ap|associated press|getty|getty images|epa|anadolu|xinhua|pti|"
           r"ani|shutterstock|photo|photos|image|file|courtesy|handout|supplied|"
           r"screengrab|screenshot|istock|alamy)")

#: name -> (at most this many words, trigger words, regex): the documented default furniture
#: list (``patterns: default``). A regex is only searched (case-insensitively) in a line of
#: at most that many words that contains one of the trigger words (a speed gate: searching
#: 19 regexes in each of 600,000 lines of 20 Newsgroups would take 20 s).
DEFAULT_PATTERNS: dict[str, tuple[int, str, str]] = {
    # a line that is only links: "https://t.co/x pic.twitter.com/y"
    "url_only": (60, "http https www pic co",
        r"^(?:(?:https?://|www\.|pic\.twitter\.com/|t\.co/)\S*[\s,;|]*)+$"),
    # embedded-tweet attribution: "— Name (@handle) March 5, 2023"
    "tweet_attribution": (20, "@",
        rf"^[—–-]{{1,2}}\s*[^()]{{0,80}}\(@\w{{1,30}}\)\s+{_MONTH}\s+\d{{1,2}},\s+\d{{4}}$"),
    # share / follow / print buttons, alone or in a row: "Share | Tweet | Email", "Short Url"
    "share_buttons": (12, "share tweet email e mail print follow subscribe like save copy short "
        "permalink whatsapp facebook twitter linkedin reddit pinterest telegram "
        "comment comments",
        rf"^{_BUTTONS}(?:\s*[|/,·•]?\s*{_BUTTONS})*\s*:?$"),
    # "Follow us on Twitter", "Follow our latest ... via Google news"
    "social_follow": (30, "follow like join find connect subscribe",
        rf"^(?:follow|like us|join|find|connect with|subscribe to)\s.{{0,160}}\b(?:on|via|at)\s+{_SOCIAL}\b"),
    # prompts to comment or share: "Please comment below and share this news!"
    "share_prompt": (15, "share comment join",
        r"\b(?:share (?:this|it) (?:article|story|post|news)|share this news|comment below|leave a comment|join the (?:discussion|conversation))\b"),
    # app-store promotion without a full stop: "Get it on Google Play", "... Android App"
    "app_promo": (15, "play app store",
        rf"\b(?:google play|app store|android app|ios app|iphone app|download (?:our|the) app|get the app)\b{_NO_END_PUNCT}"),
    # newsletters: "Sign up for our newsletter", "... delivered right to your inbox"
    "newsletter": (30, "newsletter newsletters inbox",
        r"\b(?:sign up|subscribe|register)\b.{0,80}\bnewsletters?\b|\bdelivered (?:right |straight )?to your inbox\b"),
    # cookie banners
    "cookies": (40, "cookies cookie",
        r"\b(?:we use cookies|(?:site|website|page) uses cookies|(?:our|see the) cookie (?:policy|notice)|cookie (?:settings|preferences)|(?:accept|manage) (?:all )?cookies)\b"),
    # comment counters and links: "COMMENTS (1)", "12 comments", "View all comments"
    "comment_count": (6, "comment comments response responses replies reaction reactions",
        r"^(?:(?:comments?|responses?|replies|reactions?)\s*[(\[]?\d*[)\]]?|\d+\s+(?:comments?|responses?|replies)|(?:view|show|hide|load|read|add|post|leave) (?:all |more |the |a |your )?comments?(?: \(\d+\))?)\s*:?$"),
    # comment-policy footers: "Comments are moderated ...", "... our Comments FAQ"
    "comment_policy": (40, "comment comments commenting",
        r"\b(?:comments? (?:are|is) (?:moderated|closed|reviewed)|comments? (?:policy|faq|guidelines)|commenting (?:is|has been) (?:closed|disabled))\b"),
    # link lines without a full stop: "Read Bilawal warns West ...", "Read more: ...", "Related: ..."
    "read_more": (20, "read watch listen see also related recommended more",
        r"^(?:(?:read|watch|listen)(?: (?:more|also|next|this|the full story))?|see also|also read|related(?: articles?| stories| coverage| news)?|recommended|more on this)\b(?!.*[.!?](?:\s|$))\s*[:|>»\-–—]?(?:\s+\S.*)?$"),
    # time stamps: "Updated 13 February 2023", "Published: 01:14 AM, 16 Sep, 2024"
    "dateline": (10, "updated published posted modified created",
        rf"^(?:last\s+)?(?:updated|published|posted|modified|first published|created)(?:\s+(?:on|at))?\s*:?\s*(?=.*\d)(?:(?:\d{{1,4}}(?:st|nd|rd|th)?|{_MONTH}|{_WEEKDAY}|[ap]\.?m\.?|gmt|utc|[a-z]{{2,4}}t|on|at)[\s,:./\-]*)+$"),
    # captions with a credit after the full stop, or a credit with a slash or photo word:
    # "... on February 19, 2015. (REUTERS/File)", "... (AP Photo/Evan Vucci)"
    "caption_credit": (60, "reuters afp ap associated getty epa anadolu xinhua pti ani "
        "shutterstock photo photos image file courtesy handout supplied "
        "screengrab screenshot istock alamy credit",
        rf"(?:[.!?]\s*[(\[]\s*{_CREDIT}\b[^()\[\]]{{0,40}}|[(\[]\s*{_CREDIT}\b[^()\[\]]{{0,40}}(?:/|\bphotos?\b|\bfile\b|\bimages?\b)[^()\[\]]{{0,40}}|[(\[]\s*(?:file |staff )?(?:photo|image|picture)s?(?:\s*[:/]|\s+(?:by|credit|courtesy)\b|(?=\s*[)\]]))[^()\[\]]{{0,40}})[)\]]$"),
    # credit lines: "Photo by J. Smith/Getty Images", "Featured image screengrab via YouTube"
    "photo_credit": (12, "photo photos image images picture pictures video videos",
        rf"^(?:featured |file |top |main )?(?:photo|image|picture|video)s?\b{_NO_END_PUNCT}(?:\s+(?:by|credit|credits|source|courtesy(?: of)?|via)\b|\s*[:,]|\s+\S+(?:\s+\S+)?\s+(?:by|via)\b)"),
    # taxonomy lines: "Categories : Opinion", "Tags: Pakistan, US"
    "category_tags": (20, "categories category tag tags filed topic topics section",
        r"^(?:categories|category|tags?|filed under|topics?|section)\s*:"),
    # copyright and syndication notices
    "copyright": (30, "© c copyright reserved published reproduced republished redistributed",
        r"©|\(c\)\s*\d{4}|\bcopyright\b\s*(?:©|\(c\))?\s*\d{4}|\ball rights reserved\b|\bmay not be (?:published|reproduced|republished|redistributed)\b"),
    # advertising slots: "Advertisement", "Sponsored Sponsored", "Story continues below"
    "advertisement": (8, "advertisement advertisements sponsored ad ads promoted story continue "
        "scroll skip",
        r"^(?:advertisements?|sponsored(?: content| links?| stories)?|ads?|promoted(?: content| stories)?|story continues below(?: advertisement)?|continue reading(?: below| the main story)?|scroll (?:down )?to continue(?: with content)?|skip advert(?:isement)?)(?:\s+(?:advertisements?|sponsored))*\s*$"),
    # agency credits: "The Associated Press contributed to this report."
    "contributor_credit": (20, "contributed contributing",
        r"\bcontributed (?:reporting )?to this (?:report|story|article)\b|\bcontributed reporting\b|\bassociated press contributed\b"),
    # appeals for money: "please consider making a small donation", "support our journalism"
    "donation_appeal": (30, "donation donate support",
        r"\b(?:(?:make|making) a (?:small |one-time )?donation|donate (?:now|today)|support (?:us|our (?:work|journalism|site|reporting)) (?:by|with|today|on)\b)"),
    # video-player notices: "No compatible source was found for this video."
    "player_notice": (20, "compatible video playback browser javascript",
        r"\bno compatible source\b|\bthis (?:live )?video (?:has ended|cannot be (?:played|viewed|watched)|is (?:not |un)available in your)\b|\bexperiencing playback (?:issues?|errors?)\b|\byour browser (?:does not|doesn't) support\b|\benable javascript\b"),
}

_LINK = re.compile(r"(?:https?://|www\.)\S+|\b(?:pic\.twitter\.com|t\.co)/\S+"
                   r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_SENTENCE_PUNCT = frozenset('.!?…;:"“”«»')
_LINE_END = frozenset('.!?…:;)"”’]')
_GATE_TABLE = {c: " " for c in range(33, 127) if not chr(c).isalnum()} | {
    ord("@"): " @ ", ord("©"): " © "}
_GATE_BYTES = bytes(b if chr(b).isalnum() or b == ord("@") or b > 127 else ord(" ")
                    for b in range(256))
_WORD_BYTES = bytes(b if chr(b).isalnum() and b < 128 else ord(" ") for b in range(256))


class Pattern(NamedTuple):
    """A compiled furniture pattern, tried only on lines of at most ``max_words`` words that
    hold one of ``triggers`` (both None for user patterns: always tried)."""

    name: str
    regex: re.Pattern
    max_words: int | None = None
    triggers: frozenset | None = None


@dataclass
class FurnitureRules:
    """The furniture settings, compiled. Picklable (compiled regexes pickle by source)."""

    enabled: bool
    patterns: list[Pattern]
    short_lines: bool
    short_line_max_words: int
    drop_junk: bool

    def __post_init__(self) -> None:
        self.trigger_index: dict[str, list[int]] = {}
        for i, pattern in enumerate(self.patterns):
            for word in pattern.triggers or ():
                self.trigger_index.setdefault(word, []).append(i)
        self.ungated = [p for p in self.patterns if p.triggers is None]
        self.triggers = frozenset(self.trigger_index)
        self.byte_triggers = frozenset(w.encode() for w in self.triggers if w.isascii())
        # trigger words found in a line -> (its candidate patterns, the most words one allows)
        self.candidate_cache: dict[frozenset, tuple[list[Pattern], float]] = {}

    def __getstate__(self) -> dict:
        return {k: self.__dict__[k] for k in ("enabled", "patterns", "short_lines", "short_line_max_words",
                                                "drop_junk")}

    def __setstate__(self, state: dict) -> None:
        """The settings only; the derived tables are rebuilt (a cleaner pickled by research
        0.1.0 has none of the newer ones)."""
        self.__dict__.update({k: state[k] for k in ("enabled", "patterns", "short_lines",
                                                    "short_line_max_words", "drop_junk")})
        self.__post_init__()

    @classmethod
    def from_settings(cls, furniture: dict, drop_junk: bool) -> FurnitureRules:
        patterns = compile_patterns(furniture["patterns"], furniture["extra_patterns"])
        return cls(enabled=bool(furniture["enabled"]), patterns=patterns,
                   short_lines=bool(furniture["short_lines"]),
                   short_line_max_words=int(furniture["short_line_max_words"]),
                   drop_junk=drop_junk)


def _compile(name: str, regex: str, key: str, max_words: int | None = None,
             triggers: str | None = None) -> Pattern:
    try:
        return Pattern(name, re.compile(regex, re.IGNORECASE), max_words,
                       frozenset(triggers.split()) if triggers is not None else None)
    except (re.error, TypeError) as exc:
        raise ConfigError(f"{key}: {regex!r} is not a valid regular expression ({exc}); "
                          "fix or remove it") from None


def compile_patterns(patterns, extra) -> list[Pattern]:
    """``patterns`` is ``default``, None/[] (none) or a list of regexes; ``extra`` is added."""
    if patterns == "default":
        out = [_compile(n, r, "clean.furniture.patterns", w, t)
               for n, (w, t, r) in DEFAULT_PATTERNS.items()]
    elif patterns in (None, "none") or isinstance(patterns, list):
        out = [_compile(f"custom_{i}", r, f"clean.furniture.patterns[{i}]")
               for i, r in enumerate(patterns or [])]
    else:
        raise ConfigError(f"clean.furniture.patterns: expected 'default' or a list of "
                          f"regexes, got {patterns!r}")
    out += [_compile(f"extra_{i}", r, f"clean.furniture.extra_patterns[{i}]")
            for i, r in enumerate(extra or [])]
    return out


@dataclass
class CleanedText:
    """One text after the per-line steps.

    ``lines[i]`` is None when line i was removed, ``[]`` when it was blank, else the kept
    segments (sentences) of the line.
    """

    lines: list = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    junk: int = 0
    links: int = 0

    def remove(self, text: str, reason: str) -> None:
        self.removed.append({"line": text[:200], "reason": reason})

    def text(self) -> str:
        out: list[str] = []
        for segments in self.lines:
            if segments is None or (not segments and (not out or out[-1] == "")):
                continue
            out.append(" ".join(segments))
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out)


def trigger_words(text: str) -> frozenset:
    """Lowercased words of a line, with ``@`` and ``©`` as words of their own."""
    if text.isascii():
        words = text.lower().encode().translate(_GATE_BYTES).decode()
        return frozenset((words.replace("@", " @ ") if "@" in words else words).split())
    return frozenset(text.lower().translate(_GATE_TABLE).split())


def _trigger_hits(text: str, rules: FurnitureRules) -> frozenset:
    """``rules.triggers & trigger_words(text)`` (as bytes for ASCII text), without making
    the set of all the line's words (3x faster). In ASCII text the words are the runs of
    letters and digits, and ``@`` is a word wherever it occurs."""
    if text.isascii():
        hits = rules.byte_triggers.intersection(
            text.lower().encode().translate(_WORD_BYTES).split())
        if "@" in text and b"@" in rules.byte_triggers:
            hits |= {b"@"}
        return hits
    return rules.triggers.intersection(text.lower().translate(_GATE_TABLE).split())


def _candidates(hits: frozenset, rules: FurnitureRules) -> tuple[list[Pattern], float]:
    """Patterns with one of the trigger words ``hits``, then the ungated user patterns; and
    the most words any of them allows (a longer text matches none). Cached per ``hits``:
    a corpus has few distinct sets of trigger words."""
    found = rules.candidate_cache.get(hits)
    if found is None:
        gated = sorted({i for word in hits for i in rules.trigger_index[
            word if isinstance(word, str) else word.decode()]})
        patterns = [rules.patterns[i] for i in gated] + rules.ungated
        limit = max((float("inf") if p.max_words is None else p.max_words for p in patterns),
                    default=0)
        found = rules.candidate_cache[hits] = (patterns, limit)
    return found


def _match(text: str, rules: FurnitureRules, candidates: list[Pattern] | None = None
           ) -> str | None:
    """The reason of the first pattern that matches ``text`` (None: no pattern does).
    ``candidates``: :func:`_candidates` of ``text`` when known."""
    if candidates is None:
        candidates = _candidates(_trigger_hits(text, rules), rules)[0]
    n_words = text.count(" ") + 1
    for pattern in candidates:   # they all have a trigger word of the text
        if (pattern.max_words is None or n_words <= pattern.max_words) \
                and pattern.regex.search(text) is not None:
            return f"pattern:{pattern.name}"
    return None


def _has_link_hint(text: str) -> bool:
    """Whether ``text`` may hold a link: ``re.search(r"[/@]|www", text, re.IGNORECASE)``,
    8x faster (only ``w`` and ``W`` lowercase to, or match ignoring case, ``w``)."""
    return "/" in text or "@" in text or "www" in text.lower()


def _line_facts(lines: list[str]) -> tuple[list[bool], list[bool]]:
    """Per line: (is open: >= 40 characters, no sentence end; starts with a lowercase word)."""
    opened, lower = [], []
    for line in lines:
        stripped = line.rstrip()
        opened.append(len(stripped) >= 40 and stripped[-1] not in _LINE_END)
        first = line.split(None, 1)[0] if stripped else ""
        lower.append(first.isalpha() and first.islower())
    return opened, lower


def _is_short(line: str, rules: FurnitureRules) -> bool:
    return (line.count(" ") < rules.short_line_max_words
            and _SENTENCE_PUNCT.isdisjoint(line))


def _strip_links(segment: str, out: CleanedText) -> str:
    if not _has_link_hint(segment):
        return segment
    cleaned, n = _LINK.subn(" ", segment)
    out.links += n
    return " ".join(cleaned.split()) if n else segment


def _drop_furniture_segments(segments: list[str], rules: FurnitureRules, out: CleanedText,
                             limit: float = float("inf")) -> list[str]:
    """The segments no pattern matches. ``limit``: the most words a pattern that can match
    a segment of this line allows; a longer segment is kept untested."""
    kept = []
    for segment in segments:
        reason = _match(segment, rules) if segment.count(" ") < limit else None
        if reason is None:
            kept.append(segment)
        else:
            out.remove(segment, reason)
    return kept


def _furniture(line: str, raw: str, continuation: bool, prose: bool, rules: FurnitureRules,
               out: CleanedText) -> list[str] | None:
    """Patterns (line, then sentences), links and the short-line rule for one line.

    ``continuation``: the line goes on with the sentence above; ``prose``: it is visibly
    inside a hard-wrapped sentence (no pattern is tried then).
    """
    candidates, limit = (_candidates(_trigger_hits(line, rules), rules)
                         if rules.patterns and not prose else ((), 0))
    if candidates:
        reason = _match(line, rules, candidates)
        if reason is not None:
            out.remove(raw.strip(), reason)
            return None
        segments = split_line(line)
        if len(segments) > 1:
            # a segment's words are words of the line (segments are cut at spaces), so only
            # the line's candidates can match it, and only if it is short enough for one;
            # except in a line with control characters, which the line keeps inside words
            safe = line.isascii() or line.isprintable()
            segments = _drop_furniture_segments(segments, rules, out,
                                                limit if safe else float("inf"))
    else:
        segments = split_line(line)
    if _has_link_hint(line):
        segments = [s for s in (_strip_links(s, out) for s in segments) if s]
    if not segments:
        out.remove(raw.strip(), "links")
        return None
    if rules.short_lines and not (continuation or prose) and _is_short(
            " ".join(segments), rules):
        out.remove(raw.strip(), "short_line")
        return None
    return segments


def _clean_line(raw: str, bad: bool, rules: FurnitureRules,
                out: CleanedText) -> str:
    """The line without junk and extra whitespace ('' when nothing is left)."""
    line = raw
    if rules.drop_junk:
        line, n_junk = remove_junk(raw, bad)
        out.junk += n_junk
    return " ".join(line.split())


def clean_lines(text: str, rules: FurnitureRules) -> CleanedText:
    """Junk, furniture patterns, links and the short-line rule, line by line."""
    bad = rules.drop_junk and document_is_bad(text)
    out = CleanedText()
    flat = text.replace("\t", " ")
    raws = flat.split("\n")
    # printable ASCII has no junk: skip the per-line junk check (same result, less work)
    plain = flat.isascii() and flat.replace("\n", "").isprintable()
    opened, lower = _line_facts(raws)
    opened.append(False)
    lower.append(False)
    for i, raw in enumerate(raws):
        line = " ".join(raw.split()) if plain else _clean_line(raw, bad, rules, out)
        if not line:
            if raw.strip():
                out.remove(raw.strip(), "junk")
            out.lines.append(None if raw.strip() else [])
        elif not rules.enabled:
            out.lines.append(split_line(line))
        else:
            continuation = i > 0 and opened[i - 1]
            prose = ((continuation and lower[i])
                     or (line[-1] not in _LINE_END and lower[i + 1]))
            out.lines.append(_furniture(line, raw, continuation, prose, rules, out))
    return out
