"""Short names for topics.

Automatic label: the first ``LABEL_WORDS`` (3) distinct words of a topic's ``top_n`` heaviest
words, joined with ``" / "`` (words may hold ``_`` from phrase detection). A word is skipped
when it contains, or is contained in, a word already taken ("minister" after
"prime_minister", "pakistani" after "pakistan"), so the label names three different things.

Precedence: a user's label (``topics.labels``) wins over a seeded topic's name, which wins over
the automatic label. Two topics that would get the same label keep it, each followed by
``" (topic k)"``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from research.topics._base import TopicResult

__all__ = ["LABEL_SEPARATOR", "LABEL_WORDS", "auto_label", "topic_labels"]

LABEL_WORDS = 3
LABEL_SEPARATOR = " / "


def auto_label(words: Sequence[str], n: int = LABEL_WORDS) -> str:
    """The first ``n`` words of ``words`` none of which contains another, joined."""
    taken: list[str] = []
    for word in words:
        if any(word in t or t in word for t in taken):
            continue
        taken.append(word)
        if len(taken) == n:
            break
    return LABEL_SEPARATOR.join(taken)


def topic_labels(result: TopicResult, top_n: int, user_map: Mapping[int, str] | None = None,
                 seed_names: Mapping[int, str] | None = None) -> list[str]:
    """One label per topic of ``result`` (see the module doc); ``user_map`` and ``seed_names``
    map topic indices to names. An index outside the topics raises ValueError."""
    k = result.num_topics
    for what, names in (("user label", user_map), ("seed name", seed_names)):
        bad = sorted(int(i) for i in (names or {}) if not 0 <= int(i) < k)
        if bad:
            raise ValueError(f"{what} for topic {bad[0]}, but the model has topics 0..{k - 1}")
    labels = [auto_label(words) for words in result.topics(top_n)]
    for names in (seed_names, user_map):   # the later wins
        for i, name in (names or {}).items():
            labels[int(i)] = str(name)
    counts = Counter(labels)
    return [f"{label} (topic {t})" if counts[label] > 1 else label for t, label in enumerate(labels)]
