"""A local Spark (local[2]) shared by the tests of this folder, which `make test-spark` runs in one
process (one JVM; `make test` leaves them out: with the JVM they take about 7 minutes on 2 cores).
They are skipped when pyspark is not installed, and fail instead when RESEARCH_REQUIRE_SPARK=1 (set
by .ci/run, which installs the extra and Java), so CI cannot pass by skipping them."""

from __future__ import annotations

import copy
import json
import os
import time

import pytest

from research.clean.cleaner import clean_corpus
from research.config.load import load_config
from research.corpus.documents import Document
from research.corpus.read import iter_documents


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


def frame_of(spark, docs: list[Document]):
    """A Spark frame of documents (index = position), as research.spark.read gives it."""
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField("index", T.LongType(), False)]
                          + [T.StructField(name, T.StringType(), name not in ("id", "text"))
                             for name in ("id", "title", "outlet", "date", "label", "source", "meta", "text")])
    rows = [(i, d.id, d.title, d.outlet, d.date, d.label, d.source, json.dumps(d.meta, sort_keys=True), d.text)
            for i, d in enumerate(docs)]
    return spark.createDataFrame(spark.sparkContext.parallelize(rows, 4), schema)


def both(spark, config_name: str | None, overrides: tuple[str, ...] = (), settings: dict | None = None):
    """(documents, clean_corpus's result, clean_spark's result, its rows) for a config's corpus."""
    from research.spark.clean import clean_spark

    config = load_config(config_name, list(overrides))
    docs = list(iter_documents(config["corpus"]))
    settings = copy.deepcopy(settings if settings is not None else config["clean"])
    started = time.perf_counter()
    local = clean_corpus(docs, copy.deepcopy(settings))
    local_s = time.perf_counter() - started
    started = time.perf_counter()
    result = clean_spark(spark, frame_of(spark, docs), settings)
    rows = result.frame.collect()
    spark_s = time.perf_counter() - started
    print(f"\n{config_name or 'defaults'}: {len(docs)} documents, local {local_s:.1f}s, spark {spark_s:.1f}s")
    return docs, local, result, rows


@pytest.fixture(scope="session")
def news20(spark):
    """20 Newsgroups cleaned by both engines (nmf_20newsgroups.yaml's settings), shared by the
    equivalence tests and the model tests (which start from the local tokens)."""
    found = both(spark, "nmf_20newsgroups.yaml")
    yield found
    found[2].unpersist()
