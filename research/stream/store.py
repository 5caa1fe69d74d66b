"""The on-disk token store: cleaned chunks as Parquet files, checksummed and keyed.

``<scale.store_dir or results/.store>/<key>/`` holds one ``chunk-<input>.parquet`` per chunk of
documents, where ``<key>`` digests the ``clean:`` settings, the chunk size and the cleaning code
(:func:`research.clean.cache.code_fingerprint`) and ``<input>`` digests the chunk's documents
(ids, metadata, text). Beside each file, ``.sha256`` holds the file's SHA-256, written after the
file is complete; a chunk is reused only when that checksum matches, so a run killed at 80% is
re-run from its verified chunks and a damaged file is cleaned again. Parquet holds data only:
reading a store never runs code (the pickle cache it replaces for streamed runs could).

A full disk while writing is one :class:`StoreError` line naming the folder, the megabytes
written and those still needed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from research.errors import ResearchError

__all__ = ["StoreError", "TokenStore", "digest_json", "sha256_file"]

FORMAT_VERSION = 1
_FULL = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded"}


class StoreError(ResearchError):
    """The token store cannot be written (a full disk, a read-only folder)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digest_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


class TokenStore:
    """One folder of verified Parquet chunks (see the module docstring)."""

    def __init__(self, root: Path, key: str):
        self.folder = Path(root) / key[:24]
        self.verified: set[Path] = set()
        self.written_bytes = 0
        self.reused = 0
        self.rejected = 0

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def has(self, name: str) -> bool:
        """True when chunk ``name`` is complete and its checksum matches (checked once)."""
        path = self.path(name)
        if path in self.verified:
            return True
        sidecar = path.with_suffix(".sha256")
        try:
            ok = sidecar.read_text().strip() == sha256_file(path)
        except OSError:
            return False
        if not ok:   # damaged or half-written: cleaned again
            self.rejected += 1
            for p in (path, sidecar):
                p.unlink(missing_ok=True)
            return False
        self.verified.add(path)
        return True

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        if not self.has(name):
            raise StoreError(f"{self.path(name)}: missing or damaged token-store chunk; re-run the experiment "
                             "(damaged chunks are cleaned again)")
        return pq.read_table(self.path(name), columns=columns)

    def write(self, name: str, table: pa.Table, needed_mb: float | None = None) -> None:
        """Write chunk ``name`` (to a temporary name, then its checksum, then into place)."""
        path = self.path(name)
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, tmp, compression="zstd")
            checksum = sha256_file(tmp)
            os.replace(tmp, path)
            side_tmp = tmp.with_suffix(".sha256")
            side_tmp.write_text(checksum + "\n")
            os.replace(side_tmp, path.with_suffix(".sha256"))
        except OSError as exc:
            for p in (tmp, tmp.with_suffix(".sha256")):
                p.unlink(missing_ok=True)
            raise self._error(exc, needed_mb) from None
        self.verified.add(path)
        self.written_bytes += path.stat().st_size

    def _error(self, exc: OSError, needed_mb: float | None) -> StoreError:
        written = self.written_bytes / 1e6
        if exc.errno in _FULL:
            need = f", about {needed_mb:,.0f} MB needed in all" if needed_mb else ""
            return StoreError(f"{self.folder}: {_FULL[exc.errno]} while writing the token store "
                              f"({written:,.0f} MB written{need}); free space there or set scale.store_dir "
                              "to a folder with room, then re-run (finished chunks are reused)")
        return StoreError(f"{self.folder}: cannot write the token store ({exc.strerror or exc}); "
                          "check the folder or set scale.store_dir")
