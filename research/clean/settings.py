"""The ``clean:`` section's choices and numeric ranges, declared once.

The config schema (:mod:`research.config.schema`) builds its fields from :data:`RANGES` and
:data:`CHOICES`, and :func:`check_values` checks the same table when a library caller passes
the settings without the schema (``clean_corpus(documents, settings)``), so a range can
never differ between the two. This module imports nothing heavy: the schema loads it.
"""

from __future__ import annotations

from typing import Any

from research.errors import ConfigError

__all__ = ["CHOICES", "RANGES", "check_values", "choice", "get_setting"]

CHOICES: dict[str, tuple[str, ...]] = {
    "duplicates.action": ("drop", "keep"),
    "duplicates.paragraphs": ("drop", "keep", "off"),
    "tokens.numbers": ("drop", "keep"),
    "tokens.stop_words": ("english", "none"),
}
# dotted key -> bounds as pydantic Field keywords (ge/gt/le/lt)
RANGES: dict[str, dict[str, float]] = {
    "furniture.short_line_max_words": {"ge": 0, "le": 50},
    "furniture.repeated_min_docs": {"ge": 2},
    "furniture.repeated_min_share": {"gt": 0, "le": 1},
    "duplicates.threshold": {"gt": 0, "le": 1},
    "duplicates.paragraph_threshold": {"gt": 0, "le": 1},
    "tokens.min_length": {"ge": 1},
    "tokens.phrases.min_count": {"ge": 1},
    "tokens.phrases.threshold": {"gt": -1, "le": 1},
    "min_tokens": {"ge": 0},
    "workers": {"ge": 1, "le": 64},
}
_OPS = {"ge": (">=", lambda v, b: v >= b), "gt": (">", lambda v, b: v > b),
        "le": ("<=", lambda v, b: v <= b), "lt": ("<", lambda v, b: v < b)}


def get_setting(settings: dict, dotted: str) -> Any:
    """``settings["a"]["b"]`` for ``"a.b"``; a missing key is a one-line ConfigError."""
    node: Any = settings
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"clean.{dotted} is missing from the settings; "
                              "pass the resolved clean: section of defaults.yaml")
        node = node[part]
    return node


def choice(settings: dict, dotted: str) -> str:
    value = get_setting(settings, dotted)
    value = {False: "off", None: "none"}.get(value, value)  # YAML 1.1: off -> False
    if value not in CHOICES[dotted]:
        raise ConfigError(f"clean.{dotted}: expected one of {', '.join(CHOICES[dotted])}, "
                          f"got {value!r}")
    return value


def describe(bounds: dict[str, float]) -> str:
    """``{"gt": 0, "le": 1}`` -> ``"a number > 0 and <= 1"``."""
    return "a number " + " and ".join(f"{_OPS[op][0]} {bound}" for op, bound in bounds.items())


def check_values(settings: dict) -> None:
    """Every choice and range of :data:`CHOICES` and :data:`RANGES` in ``settings``."""
    for dotted in CHOICES:
        choice(settings, dotted)
    for dotted, bounds in RANGES.items():
        value = get_setting(settings, dotted)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not all(
                _OPS[op][1](value, bound) for op, bound in bounds.items()):
            raise ConfigError(f"clean.{dotted}: expected {describe(bounds)}, got {value!r}")
