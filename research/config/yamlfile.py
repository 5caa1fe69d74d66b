"""YAML as users write it: safe loading that refuses what PyYAML would accept in silence.

``yaml.safe_load`` keeps the last of two equal keys in a mapping (so a config that states
``corpus.source`` twice runs on whichever comes last) and raises a bare ``ValueError`` for a
timestamp-looking scalar such as ``2019-02-30``. :func:`parse_yaml` refuses both with one
line naming where the text came from, the key and (for files) both line numbers.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from research.errors import ConfigError

__all__ = ["YAML_ERRORS", "parse_yaml"]

MERGE_TAG = "tag:yaml.org,2002:merge"
# What loading untrusted YAML text can raise besides ConfigError: PyYAML's own errors, and
# ValueError/OverflowError from its timestamp and number constructors ('2019-02-30').
YAML_ERRORS = (yaml.YAMLError, ValueError, OverflowError, RecursionError)


_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present: ten times faster


class _Loader(_BASE):
    """SafeLoader whose scalar errors ('2019-02-30', a 5,000-digit int) carry their line."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_short(node.value)} ({_short(exc)})", node.start_mark) from None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else f"{text[:limit - 3]}..."


def parse_yaml(text: str, where: str, lines: bool = True) -> Any:
    """The one YAML document in ``text``; a duplicate key raises :class:`ConfigError`.

    Other YAML problems propagate as one of :data:`YAML_ERRORS` for the caller to word
    (a file reports a syntax error, an override falls back to the raw string). ``lines``:
    name line numbers in the message (files) or not (one-line overrides).
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_duplicates(loader, node, where, lines)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _refuse_duplicates(loader: _Loader, root: Node, where: str, lines: bool) -> None:
    """Walk the node tree (each node once: aliases may share or even nest nodes)."""
    stack: list[tuple[Node, str]] = [(root, "")]
    visited: set[int] = set()
    while stack:
        node, prefix = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((item, f"{prefix}{i}.") for i, item in enumerate(node.value))
        elif isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = _key(loader, key_node)
                if key is not None and key in seen:
                    raise ConfigError(_duplicate_message(where, f"{prefix}{key}", seen[key],
                                                         key_node.start_mark.line + 1, lines))
                if key is not None:
                    seen[key] = key_node.start_mark.line + 1
                stack.append((value_node, f"{prefix}{key}."))


def _key(loader: _Loader, node: Node) -> Any:
    """A mapping key as YAML reads it (``1`` and ``01`` are one key), or None for keys that
    are not plain hashable scalars (merge keys ``<<``, lists: PyYAML deals with those)."""
    if not isinstance(node, ScalarNode) or node.tag == MERGE_TAG:
        return None
    key = loader.construct_object(node, deep=True)
    try:
        hash(key)
    except TypeError:  # pragma: no cover - scalars construct to hashable values
        return None
    return key


def _duplicate_message(where: str, key: str, first: int, second: int, lines: bool) -> str:
    at = f" (lines {first} and {second})" if lines else ""
    return f"{where}: duplicate key '{key}'{at}; YAML would keep only the last one, so state each key once"
