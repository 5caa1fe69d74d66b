"""A local Spark (local[2]) shared by the tests of this folder. They are skipped when pyspark is
not installed, and fail instead when RESEARCH_REQUIRE_SPARK=1 (set by .ci/run, which installs the
extra and Java), so CI cannot pass by skipping them."""

from __future__ import annotations

import os

import pytest


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
