"""Named builders: ``"lda.gensim"``, ``"nmf.sklearn"``, ``"tone.logreg"`` -> the class or
function that makes one, so that no code chooses a back-end with ``if kind == ...``.

A back-end module registers itself (``@TOPIC_BACKENDS.register("lda.gensim")``); the code
that builds from a config looks the name up, and an unknown name is a
:class:`~research.errors.ParameterError` listing the registered ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from research.errors import ParameterError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered name -> builder table; ``what`` names its entries in errors ("topic back-end")."""

    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated class or function under ``name`` (once)."""
        def add(builder: T) -> T:
            if name in self._entries and self._entries[name] is not builder:
                raise ValueError(f"{self.what} {name!r} is registered twice")
            self._entries[name] = builder
            return builder
        return add

    def get(self, name: str, param: str = "name") -> T:
        """The builder registered as ``name``; a :class:`ParameterError` naming ``param`` if none."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise ParameterError(param, f"one of {', '.join(self._entries)}", name) from None

    def names(self, prefix: str = "") -> list[str]:
        """Registered names, in registration order; only those starting with ``prefix`` if given."""
        return [n for n in self._entries if n.startswith(prefix)]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
