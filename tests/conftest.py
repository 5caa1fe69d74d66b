"""Shared fixtures. Tests that need ../shared/data are marked ``shared_data``: they are
skipped only when that folder is absent, and fail instead when CI sets
RESEARCH_REQUIRE_SHARED_DATA=1 (so CI can never pass by skipping them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    if SHARED_DATA.is_dir():
        return
    if os.environ.get("RESEARCH_REQUIRE_SHARED_DATA") == "1":
        raise pytest.UsageError(f"{SHARED_DATA} is missing but RESEARCH_REQUIRE_SHARED_DATA=1")
    skip = pytest.mark.skip(reason=f"{SHARED_DATA} is absent")
    for item in items:
        if "shared_data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return ROOT / "research" / "data" / "sample_pak_us"
