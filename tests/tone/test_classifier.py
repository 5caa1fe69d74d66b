"""research.tone.ToneClassifier as a scikit-learn classifier of texts, on real editorials
and BBC reports: clone, GridSearchCV, the estimator API checks that apply to text input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils import estimator_checks as ec

import research
from research.tone import ToneClassifier, build_classifier

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def genre(shared_data):
    """60 editorials (three outlets) and 60 BBC reports (five sections)."""
    with (shared_data / "webis_editorials" / "webis_editorials.jsonl").open(encoding="utf-8") as handle:
        eds = [json.loads(line)["text"] for line in handle][::15][:60]
    with (shared_data / "bbc_news" / "bbc_news.jsonl").open(encoding="utf-8") as handle:
        news = [json.loads(line)["text"] for line in handle][::37][:60]
    return eds + news, ["opinion"] * len(eds) + ["reported_news"] * len(news)


def test_fit_predict_score_and_promotional(genre):
    texts, labels = genre
    clf = ToneClassifier(build_classifier(features=("tone",), C=0.1))
    assert clf.fit(texts, labels) is clf
    proba = clf.predict_proba(texts[:5] + texts[-5:])
    assert proba.shape == (10, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(clf.classes_) == ["opinion", "reported_news"]
    assert 0.8 < clf.score(texts, labels) <= 1.0          # macro-F1 on its own training texts
    promo = clf.promotional_score(texts[:3])
    assert promo.shape == (3,) and np.all((promo >= 0) & (promo <= 1))
    assert len(clf.reasons(texts[:2], top=3)) == 2


def test_clone_is_unfitted_and_grid_search_runs(genre):
    texts, labels = genre
    clf = ToneClassifier(build_classifier(features=("tone",)), unit="paragraph", paragraph_min_words=8)
    copy = clone(clf)
    assert copy.get_params()["unit"] == "paragraph" and not hasattr(copy, "pipeline_")
    with pytest.raises(NotFittedError):
        copy.predict(texts[:2])
    search = GridSearchCV(ToneClassifier(build_classifier(features=("tone",))),
                          {"classifier__clf__C": [0.01, 1.0]},
                          cv=StratifiedKFold(3, shuffle=True, random_state=0)).fit(texts, labels)
    assert search.best_params_["classifier__clf__C"] in (0.01, 1.0)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.pipeline_.named_steps["clf"].C == search.best_params_["classifier__clf__C"]


# scikit-learn's check_estimator runs no check on an estimator whose input is text
# (input_tags.two_d_array = False: it warns "Can't test estimator ..." and yields nothing), so
# the checks of the estimator API that do not feed numeric arrays are run one by one here.
API_CHECKS = [ec.check_no_attributes_set_in_init, ec.check_parameters_default_constructible,
              ec.check_get_params_invariance, ec.check_set_params, ec.check_estimator_repr,
              ec.check_estimator_cloneable, ec.check_estimator_tags_renamed, ec.check_valid_tag_types]


@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
def test_estimator_api_checks_that_apply_to_text_input(check):
    check("ToneClassifier", ToneClassifier())


def test_bad_unit_is_a_parameter_error(genre):
    texts, labels = genre
    with pytest.raises(research.ParameterError, match=r"^unit must be one of document, paragraph; got 'page'$"):
        ToneClassifier(unit="page").fit(texts, labels)
