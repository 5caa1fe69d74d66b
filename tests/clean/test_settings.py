"""clean/settings.py: the clean: section's choices and ranges are one table, read by the config
schema and by the library check; both accept and refuse the same values."""

from __future__ import annotations

import copy
import typing

import pytest

from research import load_config
from research.clean.cleaner import clean_corpus
from research.clean.settings import CHOICES, RANGES, check_values
from research.config.schema import CleanCfg
from research.errors import ConfigError

SETTINGS = load_config("tfidf.yaml")["clean"]


def _with(dotted: str, value) -> dict:
    settings = copy.deepcopy(dict(SETTINGS))
    node = settings
    *parents, last = dotted.split(".")
    for part in parents:
        node[part] = dict(node[part])
        node = node[part]
    node[last] = value
    return settings


def _edges(bounds: dict) -> list:
    """Values at each bound and just past it."""
    out = []
    for op, bound in bounds.items():
        step = 1 if float(bound).is_integer() and op in ("ge", "le") and bound != 1 else 1e-9
        out += [bound, bound - step if op in ("ge", "gt") else bound + step]
    return out


@pytest.mark.parametrize("dotted", sorted(RANGES))
def test_the_schema_and_the_library_accept_and_refuse_the_same_values(dotted):
    for value in _edges(RANGES[dotted]):
        settings = _with(dotted, value)
        try:
            check_values(settings)
            library = True
        except ConfigError as exc:
            assert str(exc).startswith(f"clean.{dotted}: expected a number ")
            library = False
        try:
            CleanCfg.model_validate(settings, strict=False)
            schema = True
        except ValueError:
            schema = False
        assert library == schema, (dotted, value)


def test_every_bound_is_checked_closed_or_open_as_declared():
    for dotted, bounds in RANGES.items():
        for op, bound in bounds.items():
            at, past = _edges({op: bound})
            assert _refused(dotted, past), (dotted, op, past)
            assert _refused(dotted, at) == (op in ("gt", "lt")), (dotted, op, at)


def _refused(dotted, value) -> bool:
    try:
        check_values(_with(dotted, value))
    except ConfigError:
        return True
    return False


def test_the_schema_s_choices_are_the_library_s():
    fields = {"duplicates.action": CleanCfg.model_fields["duplicates"].annotation.model_fields["action"],
              "duplicates.paragraphs": CleanCfg.model_fields["duplicates"].annotation.model_fields["paragraphs"],
              "tokens.numbers": CleanCfg.model_fields["tokens"].annotation.model_fields["numbers"],
              "tokens.stop_words": CleanCfg.model_fields["tokens"].annotation.model_fields["stop_words"]}
    assert set(fields) == set(CHOICES)
    for dotted, field in fields.items():
        assert typing.get_args(field.annotation) == CHOICES[dotted]


def test_a_library_caller_gets_the_same_range_as_a_config():
    with pytest.raises(ConfigError, match=r"^clean\.furniture\.repeated_min_share: expected a number > 0 and <= 1, got 0$"):
        clean_corpus([], _with("furniture.repeated_min_share", 0))
