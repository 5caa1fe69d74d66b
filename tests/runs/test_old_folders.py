"""Run folders written before the sub-package layout (issue 11) still load and give the same numbers.

``tests/fixtures/runs_v0_2/`` holds tfidf, lda, nmf and tone runs written by main at commit
3149c90 (flat modules: ``research/clean.py``, ``research/tone_run.py``; pickle-free
artefacts), made by ``tests/fixtures/make_runs_v0_2.py``; ``expected.json`` holds what that
code's ``load_run`` gave for a few texts. Their ``model.json``/``cleaner.json`` name classes
by the old paths, which :mod:`research._compat` maps. No ``trusted=True`` is needed: nothing
in these folders is a pickle.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import research
from research import _compat
from research.runs.reuse import VersionWarning

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runs_v0_2"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
# gensim infers an LDA document's topics by iterating until the mean change falls below
# gamma_threshold (1e-3): the same code on another CPU (other SIMD kernels in numpy/BLAS) may stop
# one iteration apart, which moves shares by ~1e-7 (3e-8 seen between two Xeons) and the
# perplexity bound (which runs the same inference) by ~1e-7 of its value. NMF's transform stays
# exact to 1e-12.
TRANSFORM_ATOL = {"lda": 1e-6, "nmf": 1e-12}
KINDS = ["tfidf", "lda", "nmf", "tone"]


def _load(kind: str):
    with warnings.catch_warnings():   # the fixtures record the versions they were made with
        warnings.simplefilter("ignore", VersionWarning)
        return research.load_run(FIXTURES / kind)


def test_the_fixtures_name_classes_by_their_old_paths():
    tags = {json.loads(p.read_text(encoding="utf-8"))["class"] for p in FIXTURES.glob("*/artifacts/*.json")}
    assert "research.clean.TextPipeline" in tags and "research.tone_run.DocumentToneModel" in tags
    assert all(_compat.current(tag) != tag for tag in tags if not tag.startswith("research.topics."))


@pytest.mark.parametrize("kind", KINDS)
def test_old_run_folder_loads_and_gives_the_same_numbers(kind):
    run, expected, texts = _load(kind), EXPECTED["runs"][kind], EXPECTED["texts"]
    if "vectorize" in expected:
        np.testing.assert_allclose(run.vectorize(texts).toarray(), expected["vectorize"], rtol=0, atol=1e-12)
    if "transform" in expected:
        np.testing.assert_allclose(run.transform(texts), expected["transform"], rtol=0, atol=TRANSFORM_ATOL[kind])
    if "perplexity" in expected:
        assert abs(run.model.perplexity(run.vectorize(texts)) - expected["perplexity"]) <= 1e-6 * expected["perplexity"]
    if "predict_proba" in expected:
        assert [str(c) for c in run.model.classes_] == expected["classes"]
        np.testing.assert_allclose(run.predict_proba(texts), expected["predict_proba"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(run.model.promotional_score(texts), expected["promotional_score"],
                                   rtol=0, atol=1e-12)


def test_old_module_paths_are_served_only_while_loading():
    import sys

    with _compat.legacy_modules():
        from research.tone_run import DocumentToneModel  # type: ignore[import-not-found]  # noqa: F401
        assert sys.modules["research.tone_run"].__name__ == "research.tone_run"
    assert "research.tone_run" not in sys.modules
