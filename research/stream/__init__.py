"""Streaming stages for corpora that do not fit in memory (issue 12).

A streamed run reads the corpus in chunks of ``scale.chunk_documents`` documents and never
holds the corpus, its cleaned text or its token lists in memory at once:

- :mod:`research.stream.store`: the on-disk token store (Parquet files, checksummed, keyed by
  the cleaning settings and code; reused by later runs and by a re-run after a crash);
- :mod:`research.stream.clean`: cleaning in chunks, with near-duplicates found by MinHash LSH
  (:mod:`research.stream.minhash`) and repeated template lines counted in two streaming passes;
- :mod:`research.stream.vectorise`: the vocabulary in two passes (document frequencies, then
  the matrix, written in parts on disk); the vectoriser is a plain scikit-learn object;
- :mod:`research.stream.topics`: models that learn from the parts (MiniBatchNMF over epochs,
  gensim's online LDA), documents' topic shares, prevalence and coherence accumulated chunk by
  chunk;
- :mod:`research.stream.progress`: progress lines with counts, throughput and time left.

Whether a run streams is decided by ``scale.stream`` (``auto``: when the corpus has more than
``scale.stream_above_documents`` documents; the rule is in ``defaults.yaml``).
"""
