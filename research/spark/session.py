"""Starting a Spark session from the ``engine:`` config section, with one-line errors for a
missing pyspark or Java instead of a stack trace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from research.errors import ResearchError

__all__ = ["EngineError", "owned_session", "require_pyspark", "session_info", "start_session"]

LOG4J = Path(__file__).with_name("log4j2.properties")
LOCAL_MEMORY = "4g"   # spark.driver.memory of a local[N] master unless engine.spark.conf sets it
INSTALL_EXTRA = "make spark (or: pip install 'research[spark]')"
INSTALL_JAVA = "apt-get install openjdk-17-jre-headless (Spark 4 needs Java 17 or 21)"


class EngineError(ResearchError):
    """The Spark engine cannot start or a Spark job failed."""


def require_pyspark():
    """The pyspark module, or an :class:`EngineError` naming the command that installs it."""
    try:
        import pyspark
    except ImportError:
        raise EngineError(f"engine.kind: spark needs the spark extra, which is not installed; run {INSTALL_EXTRA}") from None
    return pyspark


def java_major() -> int | None:
    """The major version of the Java that Spark will start (JAVA_HOME first, then PATH)."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    for part in out.split('"')[1:2]:
        head = part.split(".")[0]
        major = part.split(".")[1] if head == "1" else head
        return int(major) if major.isdigit() else None
    return None


def start_session(engine: dict[str, Any], app_name: str = "research", event_log: Path | None = None):
    """A SparkSession for ``engine`` (the resolved ``engine:`` section): master, partitions,
    free-form conf; Spark's UI off unless conf asks for it, its event log written to
    ``event_log`` when given. A session already running in this process (a notebook's, a test's)
    is used as it is: see :func:`owned_session`."""
    require_pyspark()
    major = java_major()
    if major is None:
        raise EngineError(f"engine.kind: spark needs a Java runtime and none was found (JAVA_HOME or java on PATH); "
                          f"install one: {INSTALL_JAVA}")
    if major < 17:
        raise EngineError(f"engine.kind: spark: the Java found is version {major}, but Spark 4 needs 17 or newer; "
                          f"install one: {INSTALL_JAVA}")
    import warnings

    # pyspark warns at start-up that it does not fully support pandas 3; the engine uses no pandas API
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    from pyspark.sql import SparkSession

    spark_cfg = engine["spark"]
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ   # started by spark-submit: its --master and --conf rule
    # executors run this interpreter (its venv) unless the cluster's conf names another
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if not submitted:
        builder = builder.master(str(spark_cfg["master"]))
    quiet = f"-Dlog4j2.configurationFile={LOG4J.as_uri()}"
    conf = {"spark.driver.extraJavaOptions": quiet, "spark.executor.extraJavaOptions": quiet,
            "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": str(spark_cfg["partitions"]),
            "spark.default.parallelism": str(spark_cfg["partitions"]),
            "spark.python.worker.reuse": "true",
            # adaptive execution would merge a small corpus's partitions into one after each shuffle,
            # and the Python stages (cleaning, shares) would then run on one core
            "spark.sql.adaptive.coalescePartitions.enabled": "false"}
    if str(spark_cfg["master"]).startswith("local"):
        # one JVM is driver and executors: Spark's 1g default ran out of memory joining the
        # shingles of 50,000 benchmark documents (engine.spark.conf overrides it)
        conf["spark.driver.memory"] = LOCAL_MEMORY
    if event_log is not None:
        event_log.mkdir(parents=True, exist_ok=True)
        conf.update({"spark.eventLog.enabled": "true", "spark.eventLog.dir": event_log.resolve().as_uri()})
    conf.update({str(k): str(v) for k, v in (spark_cfg.get("conf") or {}).items()})
    if submitted:   # the driver's JVM is up already: its options are spark-submit's
        conf.pop("spark.driver.extraJavaOptions")
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:   # Java's own message, first line only
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineError(f"engine.spark.master {spark_cfg['master']!r}: Spark did not start ({first[:300]}); "
                          "check engine.spark.master and engine.spark.conf") from None
    return spark


@contextmanager
def owned_session(engine: dict[str, Any], app_name: str, event_log: Path | None = None) -> Iterator[Any]:
    """:func:`start_session` for the length of a run: the session is stopped afterwards only if
    this run started it (a session the caller already had stays up for them)."""
    require_pyspark()
    from pyspark.sql import SparkSession

    had = SparkSession.getActiveSession() is not None
    spark = start_session(engine, app_name, event_log)
    try:
        yield spark
    finally:
        if not had:
            spark.stop()


def session_info(spark) -> dict[str, Any]:
    """What run.json records about the engine."""
    sc = spark.sparkContext
    try:
        executors = sc._jsc.sc().getExecutorMemoryStatus().size()   # the driver counts as one in local mode
    except Exception:
        executors = None
    return {"kind": "spark", "master": sc.master, "spark_version": spark.version,
            "default_parallelism": sc.defaultParallelism, "executors": executors,
            "application_id": sc.applicationId}
