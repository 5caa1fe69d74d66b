"""Sentence labels -> the binary target of a sentence scorer (shared by the logistic and the
fine-tuned scorers)."""

from __future__ import annotations

import numpy as np

from research.errors import ModelError

__all__ = ["binary_target"]


def binary_target(y, positive) -> tuple[np.ndarray, np.ndarray]:
    """(classes_ = [the other label, positive], 0/1 target) from sentence labels, which
    are compared as strings; a one-line error when ``positive`` or a second class is missing."""
    y = np.asarray([str(v) for v in y], dtype=object)
    positive = str(positive)
    found = sorted(set(y.tolist()))
    if positive not in found:
        raise ModelError(f"tone.sentences.positive: label {positive!r} does not occur "
                         f"in the sentence labels {found}")
    if len(found) < 2:
        raise ModelError("tone.sentences: the sentence labels hold one class only; "
                         "give sentences of both classes")
    other = [v for v in found if v != positive]
    classes = np.array([other[0] if len(other) == 1 else f"not_{positive}", positive],
                       dtype=object)
    return classes, (y == positive).astype(np.int64)
