"""The Spark engine (``engine.kind: spark``): the same experiment config run on Apache Spark.

Each stage of :mod:`research.stream` becomes distributed work: reading through Spark's readers
(:mod:`research.spark.read`), the per-document cleaning steps on the executors and the
corpus-level ones with Spark joins and grouped counts (:mod:`research.spark.clean`), the
vocabulary with Spark ML (:mod:`research.spark.vectorise`), LDA with Spark ML and NMF from
mini-batches streamed to the driver (:mod:`research.spark.topics`). pyspark is an optional
extra: importing this package does not import it; :func:`research.spark.session.start_session`
does, and names the command that installs it when it is missing.
"""
