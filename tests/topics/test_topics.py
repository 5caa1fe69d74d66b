"""research.topics back-ends, research.evaluate.topic_metrics and research.topics.figures."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

import research.evaluate as evaluate
import research.topics as topics
from research.errors import ModelError, ParameterError
from research.evaluate import (
    fit_across_seeds,
    heldout_fit,
    label_agreement,
    month_of,
    prevalence_by_group,
    rank_biased_overlap,
    topic_diversity,
    topic_similarity,
    topic_stability,
)
from research.topics import TopicResult, backend_params, beta_divergence, build_topic_model, figures

pytestmark = pytest.mark.shared_data

# small settings so every back-end fits in well under a second on 300 documents
FAST = {
    ("lda", "gensim"): {"passes": 2, "iterations": 20},
    ("lda", "sklearn"): {"max_iter": 5},
    ("lda", "tomotopy"): {"iterations": 50},
    ("nmf", "sklearn"): {"max_iter": 400},
    ("nmf", "sklearn_minibatch"): {"max_iter": 5, "batch_size": 100},
}
ALL_BACKENDS = sorted(FAST)


@pytest.fixture(scope="module")
def bbc(shared_data):
    folder = shared_data / "octis_bbc"
    with open(folder / "corpus.tsv", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    with open(folder / "vocabulary.txt", encoding="utf-8") as f:
        vocabulary = f.read().split()
    rows = rows[::7][:300]  # a spread-out sample of all five categories
    docs = [r[0] for r in rows]
    opts = dict(vocabulary=vocabulary, tokenizer=str.split, token_pattern=None, lowercase=False)
    return {
        "counts": CountVectorizer(**opts).fit_transform(docs),
        "tfidf": TfidfVectorizer(**opts).fit_transform(docs),
        "vocabulary": vocabulary,
        "labels": [r[2] for r in rows],
        "ids": [f"bbc-{i}" for i in range(len(rows))],
    }


def matrix_for(kind, bbc):
    return bbc["counts"] if kind == "lda" else bbc["tfidf"]


def fit(kind, backend, bbc, seed=3, k=5, **extra):
    model = build_topic_model(f"{kind}.{backend}", k, seed, **{**FAST[(kind, backend)], **extra})
    return model.fit(matrix_for(kind, bbc), feature_names=bbc["vocabulary"])


# -- one interface ------------------------------------------------------------------------
@pytest.mark.parametrize("kind,backend", ALL_BACKENDS)
def test_fit_gives_normalised_state_and_transform_shares(bbc, kind, backend):
    model = fit(kind, backend, bbc)
    n, v = bbc["counts"].shape
    assert model.topic_word_.shape == (5, v) and model.doc_topic_.shape == (n, 5)
    np.testing.assert_allclose(model.topic_word_.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(model.doc_topic_.sum(axis=1), 1.0, atol=1e-9)
    assert model.vocabulary_ == bbc["vocabulary"]
    shares = model.transform(matrix_for(kind, bbc)[:17])
    assert shares.shape == (17, 5)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-9)
    assert np.all(shares >= 0)
    top = model.top_words(7)
    assert len(top) == 5 and all(len(t) == 7 for t in top)
    weights = [w for _, w in top[0]]
    assert weights == sorted(weights, reverse=True)
    assert top[0][0][1] == pytest.approx(model.topic_word_[0].max())
    params = model.get_params()
    assert params["num_topics"] == 5 and params["seed"] == 3


@pytest.mark.parametrize("kind,backend", ALL_BACKENDS)
def test_fit_and_transform_leave_the_callers_matrix_as_it_was(bbc, kind, backend):
    """Integer counts with each row's words in reverse column order (as a vectoriser may leave
    them): lda.sklearn sorted the index array it shared with X, scrambling X's counts."""
    X = matrix_for(kind, bbc).copy()
    X = X.astype(np.int64) if kind == "lda" else X
    for a, b in zip(X.indptr[:-1], X.indptr[1:], strict=True):
        X.indices[a:b], X.data[a:b] = X.indices[a:b][::-1].copy(), X.data[a:b][::-1].copy()
    X.has_sorted_indices = False
    before = (X.indices.copy(), X.data.copy(), X.toarray())
    model = build_topic_model(f"{kind}.{backend}", 5, 0, **FAST[(kind, backend)]).fit(X, feature_names=bbc["vocabulary"])
    model.transform(X)
    assert np.array_equal(X.indices, before[0]) and np.array_equal(X.data, before[1])
    assert np.array_equal(X.toarray(), before[2])


@pytest.mark.parametrize("kind,backend", ALL_BACKENDS)
def test_same_seed_same_topics_bit_for_bit(bbc, kind, backend):
    a, b = fit(kind, backend, bbc, seed=11), fit(kind, backend, bbc, seed=11)
    assert np.array_equal(a.topic_word_, b.topic_word_)
    assert np.array_equal(a.doc_topic_, b.doc_topic_)
    X = matrix_for(kind, bbc)[:20]
    assert np.array_equal(a.transform(X), b.transform(X))
    assert np.array_equal(a.transform(X), a.transform(X))  # transform does not drift


@pytest.mark.parametrize("kind,backend", [("lda", "gensim"), ("lda", "sklearn"), ("lda", "tomotopy")])
def test_another_seed_gives_other_lda_topics(bbc, kind, backend):
    assert not np.array_equal(fit(kind, backend, bbc, seed=1).topic_word_,
                              fit(kind, backend, bbc, seed=2).topic_word_)


def test_gensim_non_finite_output_is_an_error_not_a_silent_nan(bbc):
    # gensim runs with numpy's 'invalid' flag ignored (OpenBLAS raises it spuriously), so
    # what gensim returns is checked instead: a NaN it produced must still stop the run
    model = fit("lda", "gensim", bbc)
    real = model.model_.inference

    def nan_inference(chunk, *args, **kwargs):
        gamma, sstats = real(chunk, *args, **kwargs)
        gamma[0, 0] = np.nan
        return gamma, sstats

    model.model_.inference = nan_inference
    with pytest.raises(ModelError, match="non-finite document-topic weights"):
        model.transform(bbc["counts"][:5])
    model.model_.inference = real
    assert np.all(np.isfinite(model.transform(bbc["counts"][:5])))


def test_result_is_plain_and_agrees_with_model(bbc):
    model = fit("nmf", "sklearn", bbc)
    result = model.result(bbc["ids"])
    assert isinstance(result, TopicResult) and result.model == "nmf.sklearn"
    assert result.top_words(10) == model.top_words(10)
    assert result.topics(3) == [[w for w, _ in t[:3]] for t in model.top_words(3)]
    assert result.doc_ids[0] == "bbc-0" and result.num_topics == 5
    assert result.prevalence().sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="doc_ids"):
        model.result(["only-one"])


def test_backend_params_match_constructor_and_factory(bbc):
    for kind, backend in ALL_BACKENDS:
        defaults = backend_params(f"{kind}.{backend}")
        model = build_topic_model(f"{kind}.{backend}", 4, 0)
        assert {k: v for k, v in model.get_params().items()
                if k not in ("num_topics", "seed")} == defaults
    assert isinstance(build_topic_model("lda.gensim", 4, 0), topics.GensimLDA)
    assert isinstance(build_topic_model("nmf.sklearn_minibatch", 4, 0),
                      topics.MiniBatchSklearnNMF)


def test_nmf_records_convergence_instead_of_warning(bbc):
    # pytest turns warnings into errors: reaching max_iter must not warn
    short = build_topic_model("nmf.sklearn", 5, 0, max_iter=2).fit(bbc["tfidf"], feature_names=
                                                                     bbc["vocabulary"])
    assert short.n_iter_ == 2 and short.converged_ is False
    assert fit("nmf", "sklearn", bbc).converged_ is True


# -- errors name the parameter (the experiment names the config key: tests/experiment) ----
@pytest.mark.parametrize("call,pattern", [
    (lambda: build_topic_model("lda.mallet", 5, 0),
     r"^backend must be one of lda\.gensim, lda\.sklearn, lda\.tomotopy, nmf\.sklearn, nmf\.sklearn_minibatch, "
     r"embed\.sklearn; got 'lda\.mallet'"),
    (lambda: build_topic_model("hdp.gensim", 5, 0), r"^backend must be one of lda\.gensim"),
    (lambda: build_topic_model("lda.gensim", 1, 0), r"^num_topics must be an integer >= 2; got 1"),
    (lambda: build_topic_model("lda.gensim", 5, 0, passes=0), r"^passes must be an integer >= 1; got 0"),
    (lambda: build_topic_model("lda.gensim", 5, 0, alpha="auto", workers=2),
     r"^alpha must be .* when workers > 1 \(gensim LdaMulticore does not support 'auto'\)"),
    (lambda: build_topic_model("lda.gensim", 5, 0, eta="asymmetric"), r"^eta must"),
    (lambda: build_topic_model("lda.sklearn", 5, 0, alpha=0.1),
     r"^alpha must be a setting of lda\.sklearn \(.*doc_topic_prior"),
    (lambda: build_topic_model("nmf.sklearn", 5, 0, loss="kullback-leibler"),
     r"^solver must be 'mu' when loss='kullback-leibler'; got 'cd'"),
    (lambda: build_topic_model("nmf.sklearn", 5, 0, init="svd"), r"^init must be one of"),
    (lambda: build_topic_model("nmf.sklearn", 5, -1), r"^seed must be an integer >= 0"),
    (lambda: build_topic_model("lda.gensim", 5, 0, passes=1.5), r"^passes must be an integer"),
    (lambda: build_topic_model("lda.gensim", 5, 0, alpah=0.1), r"^alpah must be a setting of lda\.gensim"),
    (lambda: build_topic_model("nmf.sklearn", 5, 0, solver="mu", init="nndsvd"),
     r"^init must be nndsvda or nndsvdar when solver='mu' \(nndsvd leaves zeros"),
])
def test_bad_settings_raise_one_parameter_error(call, pattern):
    with pytest.raises(ParameterError, match=pattern) as info:
        call()
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ModelError) and isinstance(info.value, ValueError)
    assert info.value.at("topics.x.y").args[0].startswith("topics.x.y must be ")


@pytest.mark.parametrize("backend", ["gensim", "sklearn"])
def test_lda_takes_tfidf_weights_as_fractional_counts(bbc, backend):
    # scikit-learn's own LDA accepts real-valued input, so LDA can stand behind a
    # TfidfVectorizer in a Pipeline; an experiment config still refuses vectorizer.kind: tfidf
    # for LDA (tests/experiment/test_topic.py)
    model = build_topic_model(f"lda.{backend}", 5, 0, **FAST[("lda", backend)])
    model.fit(bbc["tfidf"], feature_names=bbc["vocabulary"])
    assert np.isfinite(model.topic_word_).all() and model.topic_word_.shape == (5, len(bbc["vocabulary"]))
    assert topics.LDA.__name__ == "LDA" and build_topic_model(f"lda.{backend}", 5, 0).needs_counts


def test_num_topics_above_documents_raises_at_fit(bbc):
    model = build_topic_model("nmf.sklearn", 12, 0)
    with pytest.raises(ParameterError, match=r"^num_topics must be at most .*\(n_samples = 10\).*got 12"):
        model.fit(bbc["tfidf"][:10], feature_names=bbc["vocabulary"])
    model.set_params(num_topics=0)  # checked again at fit, sklearn style
    with pytest.raises(ParameterError, match=r"^num_topics must be an integer >= 2"):
        model.fit(bbc["tfidf"], feature_names=bbc["vocabulary"])


def test_shape_mismatch_and_unfitted_use_raise_value_error(bbc):
    model = build_topic_model("nmf.sklearn", 3, 0)
    with pytest.raises(ValueError, match="not fitted"):
        model.transform(bbc["tfidf"])
    with pytest.raises(ValueError, match=r"^feature_names must be one word per column of X"):
        model.fit(bbc["tfidf"], feature_names=bbc["vocabulary"][:-1])
    model.fit(bbc["tfidf"], feature_names=bbc["vocabulary"])
    with pytest.raises(ValueError, match="X has 2948 features, but SklearnNMF is expecting 2949"):
        model.transform(bbc["tfidf"][:, :-1])


# -- held-out fit ---------------------------------------------------------------------------
def test_perplexity_and_reconstruction_error(bbc):
    train, test = slice(0, 250), slice(250, None)
    for backend in ("gensim", "sklearn"):
        model = build_topic_model(f"lda.{backend}", 5, 0, **FAST[("lda", backend)])
        model.fit(bbc["counts"][train], feature_names=bbc["vocabulary"])
        value = heldout_fit(model, bbc["counts"][test])["perplexity"]
        assert np.isfinite(value) and value > 1 and value == model.perplexity(bbc["counts"][test])
    skl = model.model_
    assert model.perplexity(bbc["counts"][test]) == pytest.approx(skl.perplexity(
        bbc["counts"][test]), rel=1e-12)
    for loss, solver in (("frobenius", "cd"), ("kullback-leibler", "mu")):
        X = sp.csr_matrix(bbc["tfidf"][train])
        skl = NMF(5, solver=solver, beta_loss=loss, init="nndsvda", max_iter=400, random_state=0)
        W = skl.fit_transform(X)
        assert beta_divergence(X, W, skl.components_, loss) == pytest.approx(
            skl.reconstruction_err_, rel=1e-9)
        nmf = build_topic_model("nmf.sklearn", 5, 0, loss=loss, solver=solver,
                                init="nndsvda", max_iter=400)
        nmf.fit(X, feature_names=bbc["vocabulary"])
        assert heldout_fit(nmf, bbc["tfidf"][test])["reconstruction_error"] > 0


# -- metrics --------------------------------------------------------------------------------
def test_diversity_similarity_and_rbo_on_known_lists():
    a, b, c = ["x", "y", "z", "w"], ["x", "y", "q", "r"], ["s", "t", "u", "v"]
    assert topic_diversity([a, b, c], topn=4) == 10 / 12
    assert topic_diversity([a, a], topn=4) == 0.5
    sim = topic_similarity([a, b, c], "jaccard", topn=4)
    assert sim.matrix[0, 1] == pytest.approx(2 / 6) and sim.matrix[0, 2] == 0
    assert sim.mean == pytest.approx((2 / 6) / 3)
    assert rank_biased_overlap(a, a) == pytest.approx(1.0)
    assert rank_biased_overlap(a, c) == 0.0
    assert rank_biased_overlap(a, b) > rank_biased_overlap(a, ["q", "r", "x", "y"])
    assert topic_similarity([a, b], "rbo").matrix[0, 1] == pytest.approx(rank_biased_overlap(a, b))


def test_stability_matches_permuted_topics_and_real_seeds(bbc):
    run = [["x", "y"], ["p", "q"], ["m", "n"]]
    assert topic_stability([run, run[::-1]]).mean == 1.0
    assert topic_stability([run, [["x", "z"], ["p", "q"], ["a", "b"]]]).mean == \
        pytest.approx((1 / 3 + 1 + 0) / 3)
    model = build_topic_model("nmf.sklearn", 5, 0, init="random", max_iter=400)
    fitted = fit_across_seeds(model, bbc["tfidf"], bbc["vocabulary"], [1, 2, 3])
    assert [m.seed for m in fitted] == [1, 2, 3] and model.get_params()["seed"] == 0
    stab = topic_stability([m.result().topics(10) for m in fitted])
    assert stab.matrix.shape == (3, 3) and 0 < stab.mean <= 1


def test_label_agreement_nmi_ari(bbc):
    perfect = np.eye(3)[[0, 0, 1, 2, 2]]
    assert label_agreement(perfect, ["a", "a", "b", "c", "c"]) == {"nmi": 1.0, "ari": 1.0}
    model = fit("nmf", "sklearn", bbc)
    got = label_agreement(model.doc_topic_, bbc["labels"])
    dominant = model.doc_topic_.argmax(axis=1)
    assert got["nmi"] == normalized_mutual_info_score(bbc["labels"], dominant)
    assert got["ari"] == adjusted_rand_score(bbc["labels"], dominant)
    assert got["nmi"] > 0.3  # five BBC categories are recoverable


def test_prevalence_by_group_and_months():
    shares = np.array([[0.2, 0.8], [0.4, 0.6], [1.0, 0.0], [0.5, 0.5]])
    table = prevalence_by_group(shares, ["b", "a", "b", None])
    assert list(table.index) == ["a", "b"] and list(table["documents"]) == [1, 2]
    assert table.loc["b", "topic_0"] == pytest.approx(0.6)
    assert month_of(["2024-03-07", "2023-1-2T10:00:00Z", None, "n/a"]) == \
        ["2024-03", "2023-01", None, None]


# -- figures --------------------------------------------------------------------------------
def test_figures_are_written(bbc, tmp_path):
    result = fit("nmf", "sklearn", bbc).result(bbc["ids"])
    groups = bbc["labels"]
    paths = [
        figures.plot_top_words(result, tmp_path / "top_words.png"),
        figures.plot_doc_topic_heatmap(result, tmp_path / "doc_topic.png", max_docs=25),
        figures.plot_intertopic_map(result, tmp_path / "map.png"),
        figures.plot_prevalence_by_group(result, groups, tmp_path / "by_label.png"),
        figures.plot_prevalence_by_group(result, groups, tmp_path / "lines.png", kind="lines"),
        figures.plot_metric_vs_k({"c_npmi": {5: 0.1, 10: 0.2}, "diversity": {5: 0.9, 10: 0.8}},
                                 tmp_path / "k.png"),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2000
    xy = figures.intertopic_coordinates(result.topic_word)
    assert xy.shape == (5, 2)
    np.testing.assert_array_equal(xy, figures.intertopic_coordinates(result.topic_word))


def test_exported_members_exist():
    for module in (topics, evaluate, figures):
        assert sorted(module.__all__) == sorted(set(module.__all__))
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
