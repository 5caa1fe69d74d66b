"""``research.read_corpus``: a corpus read from Python with the defaults of ``defaults.yaml``.

:func:`research.corpus.read.read_corpus` takes a complete ``corpus:`` section and knows no
defaults (the corpus layer stays below the config). This wrapper fills in the defaults,
validates the settings with the config schema (a bad key or value is one
:class:`~research.errors.ConfigError` line naming it) and reads::

    research.read_corpus("../my_corpus")                          # a folder, file or 'sample'
    research.read_corpus("../news.csv", text_column="body", outlet_column="site")
    research.read_corpus(frame, keep_columns="all")               # a pandas DataFrame
    research.read_corpus(config["corpus"])                        # a corpus: section (may be partial)

A DataFrame is mapped like a CSV file: ``text_column`` holds the text, ``id_column``,
``title_column``, ``outlet_column``, ``date_column`` and ``label_column`` the standard fields,
``keep_columns`` further columns (``all``: every one), and ``where`` / ``limit`` apply. Its
index gives the ids when there is no ``id_column`` column; missing values (NaN, None, NaT)
are no value; a date-time at midnight is written as its date (``2018-03-01``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from research.config.load import load_config
from research.corpus.documents import Document
from research.corpus.read import read_corpus as _read_settings
from research.corpus.read import read_rows

__all__ = ["corpus_settings", "read_corpus"]

FRAME_SOURCE = "DataFrame"


def corpus_settings(section: Mapping[str, Any] | None = None, **settings: Any) -> dict[str, Any]:
    """A complete, validated ``corpus:`` section: the defaults, then ``section``, then ``settings``."""
    return load_config(data={"corpus": {**(section or {}), **settings}})["corpus"]


def read_corpus(source: Any = "sample", /, **settings: Any) -> list[Document]:
    """Documents from a path (or built-in corpus name), a pandas DataFrame, or a ``corpus:``
    mapping; keyword arguments are ``corpus.*`` keys without the prefix (see the module docstring)."""
    if isinstance(source, Mapping):
        return _read_settings(corpus_settings(source, **settings))
    if _is_frame(source):
        resolved = corpus_settings(settings, source=FRAME_SOURCE)
        columns = [str(c) for c in source.columns]
        return read_rows(_frame_rows(source, columns), resolved, columns, FRAME_SOURCE)
    if isinstance(source, (str, Path)):
        return _read_settings(corpus_settings(settings, source=str(source)))
    raise TypeError(f"read_corpus: expected a path, a pandas DataFrame or a corpus: mapping, "
                    f"got {type(source).__name__}")


def _is_frame(value: Any) -> bool:
    return hasattr(value, "columns") and hasattr(value, "itertuples") and hasattr(value, "index")


def _frame_rows(frame: Any, columns: list[str]) -> Iterator[tuple[Any, dict[str, Any]]]:
    for index, values in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        yield _plain(index), {c: _plain(v) for c, v in zip(columns, values, strict=True)}


def _plain(value: Any) -> Any:
    """A cell as the CSV reader would give it: None for a missing value, a date for a
    midnight time stamp, Python scalars for numpy ones."""
    import pandas as pd

    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() and value.tz is None else value.isoformat()
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value
