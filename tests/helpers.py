"""Small helpers shared by the tests (not fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

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
