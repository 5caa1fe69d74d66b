"""A local Spark (local[2]) shared by the tests of this folder. They are skipped when pyspark is
not installed, and fail instead when RESEARCH_REQUIRE_SPARK=1 (set by .ci/run, which installs the
extra and Java), so CI cannot pass by skipping them."""

from __future__ import annotations

import os
import sys

import pytest


@pytest.fixture(scope="session", autouse=True)
def executor_python():
    """Spark's Python workers run this interpreter (the venv's, with the package's
    dependencies), not whatever ``python3`` is first on PATH: pyspark reads PYSPARK_PYTHON
    when the session starts, so this autouse fixture runs before ``spark``."""
    before = os.environ.get("PYSPARK_PYTHON")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    yield os.environ["PYSPARK_PYTHON"]
    if before is None:
        os.environ.pop("PYSPARK_PYTHON", None)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("RESEARCH_REQUIRE_SPARK") == "1":
            raise
        pytest.skip("pyspark is not installed (make spark)")
    from research.spark.session import start_session

    engine = {"spark": {"master": "local[2]", "partitions": 4, "conf": {}}}
    session = start_session(engine, "research-tests", tmp_path_factory.mktemp("spark-events"))
    yield session
    session.stop()
