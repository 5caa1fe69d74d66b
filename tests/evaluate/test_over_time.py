"""Topic shares over time on a subsample of the hyperpartisan corpus (real dates, a real NMF)."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import CountVectorizer

from research.corpus.dates import parse_dates
from research.evaluate.over_time import COLUMNS, period_labels, period_starts, topics_over_time
from research.topics._base import normalize_rows

K = 6


@pytest.fixture(scope="module")
def corpus(shared_data):
    """Every second article: its days, word counts, vocabulary and a 6-topic NMF's shares."""
    with open(shared_data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for i, line in enumerate(handle) if i % 2 == 0]
    days = parse_dates([r["published_at"] or None for r in rows], [r["id"] for r in rows]).days
    vectorizer = CountVectorizer(stop_words="english", min_df=3, max_df=0.5, token_pattern=r"(?u)\b[a-z]{3,}\b")
    counts = vectorizer.fit_transform(r["text"].lower() for r in rows)
    model = NMF(K, init="nndsvda", max_iter=300, random_state=0)
    doc_topic = normalize_rows(model.fit_transform(counts))
    vocabulary = vectorizer.get_feature_names_out()
    top_words = [[vocabulary[i] for i in np.argsort(-row)[:10]] for row in model.components_]
    return {"days": days, "counts": counts.tocsr(), "vocabulary": vocabulary, "doc_topic": doc_topic,
            "top_words": top_words}


def _over_time(corpus, **kwargs):
    return topics_over_time(corpus["doc_topic"], corpus["days"], corpus["counts"], corpus["vocabulary"], **kwargs)


@pytest.fixture(scope="module")
def monthly(corpus):
    return _over_time(corpus, freq="month", min_documents=5, bootstrap=200, seed=7)


@pytest.mark.shared_data
def test_bins_are_every_month_between_first_and_last_date(corpus, monthly):
    table = monthly.table
    assert list(table.columns) == list(COLUMNS)
    periods = table.drop_duplicates("period")
    starts = pd.to_datetime(periods["period_start"])
    assert (starts.dt.day == 1).all() and starts.is_monotonic_increasing
    assert ((starts.dt.year * 12 + starts.dt.month).diff().dropna() == 1).all()   # no month skipped
    assert list(periods["period"]) == [f"{s.year}-{s.month:02d}" for s in starts]
    empty = periods[periods["documents"] == 0]
    assert len(empty) > 5 and not empty["enough"].any() and empty["share"].isna().all()
    assert (empty["words"] == "").all()
    assert periods["documents"].sum() == monthly.documents_binned
    dated = int((~np.isnat(corpus["days"])).sum())
    assert monthly.documents_binned + monthly.documents_outside == dated


@pytest.mark.shared_data
def test_far_outlying_dates_leave_the_axis_and_are_counted(corpus, monthly):
    days = corpus["days"][~np.isnat(corpus["days"])]
    assert days.min() < np.datetime64("1970-01-01")   # the corpus holds a 1902 article
    first = pd.Timestamp(monthly.table["period_start"].iloc[0])
    assert first.year >= 2010 and monthly.documents_outside == int((days < np.datetime64(first.date())).sum())


@pytest.mark.shared_data
def test_sparse_bins_are_flagged_and_have_no_interval(monthly):
    table = monthly.table
    sparse = table[table["documents"] < 5]
    full = table[table["documents"] >= 5]
    assert len(sparse) and len(full)
    assert not sparse["enough"].any() and sparse[["share_low", "share_high"]].isna().all().all()
    assert full["enough"].all() and full[["share_low", "share_high"]].notna().all().all()
    assert monthly.periods_enough == full["period"].nunique() < monthly.periods


@pytest.mark.shared_data
def test_shares_per_period_sum_to_one(monthly):
    filled = monthly.table[monthly.table["documents"] > 0]
    assert np.allclose(filled.groupby("period")["share"].sum(), 1.0, atol=1e-9)


@pytest.mark.shared_data
def test_intervals_hold_the_share_and_repeat_for_a_seed(corpus, monthly):
    full = monthly.table[monthly.table["enough"]]
    assert (full["share_low"] <= full["share"] + 1e-12).all() and (full["share"] <= full["share_high"] + 1e-12).all()
    assert (full["share_high"] - full["share_low"] > 0).mean() > 0.9
    again = _over_time(corpus, freq="month", min_documents=5, bootstrap=200, seed=7)
    pd.testing.assert_frame_equal(again.table, monthly.table)
    other = _over_time(corpus, freq="month", min_documents=5, bootstrap=200, seed=8).table
    assert not np.allclose(other["share_low"].dropna(), full["share_low"])
    assert np.array_equal(other["share"].dropna(), monthly.table["share"].dropna())


@pytest.mark.shared_data
def test_no_bootstrap_no_interval(corpus):
    table = _over_time(corpus, freq="quarter", bootstrap=0).table
    assert table["enough"].any() and table[["share_low", "share_high"]].isna().all().all()


@pytest.mark.shared_data
def test_period_words_come_from_the_period_and_differ_from_the_overall_ones(corpus, monthly):
    table = monthly.table[monthly.table["enough"]]
    vocabulary = {w: i for i, w in enumerate(corpus["vocabulary"])}
    starts = period_starts(corpus["days"][~np.isnat(corpus["days"])], "month")
    rows = np.flatnonzero(~np.isnat(corpus["days"]))
    differ = 0
    for row in table.itertuples():
        words = row.words.split()
        assert 0 < len(words) <= 10
        in_period = rows[starts == np.datetime64(row.period_start)]
        present = np.asarray(corpus["counts"][in_period].sum(axis=0)).ravel()
        assert all(present[vocabulary[w]] > 0 for w in words)
        differ += set(words) != set(corpus["top_words"][row.topic])
    assert differ > len(table) // 2


@pytest.mark.shared_data
def test_period_words_follow_the_documented_c_tf_idf(corpus, monthly):
    """Recomputed by the module docstring's formula for the busiest period, topic by topic."""
    binned = monthly.table.loc[monthly.table["documents"] > 0, "period_start"].unique()
    binned = np.array(list(binned), dtype="datetime64[D]")
    dated = np.flatnonzero(~np.isnat(corpus["days"]))
    month = period_starts(corpus["days"][dated], "month")
    inside = dated[(month >= binned[0]) & (month <= binned[-1])]
    counts, theta = corpus["counts"][inside].toarray().astype(float), corpus["doc_topic"][inside]
    f_w = counts.sum(axis=0)
    average = counts.sum() / (len(binned) * K)
    busiest = monthly.table.sort_values("documents", kind="stable").iloc[-1]
    in_bin = period_starts(corpus["days"][inside], "month") == np.datetime64(busiest["period_start"])
    for t in range(K):
        c = (theta[in_bin, t][:, None] * counts[in_bin]).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(f_w > 0, c / c.sum() * np.log(1 + average / f_w), 0.0)
        expected = [corpus["vocabulary"][i] for i in np.argsort(-score, kind="stable")[:10] if score[i] > 0]
        row = monthly.table[(monthly.table["period"] == busiest["period"]) & (monthly.table["topic"] == t)]
        assert row["words"].item().split() == expected


@pytest.mark.shared_data
def test_auto_picks_a_period_giving_6_to_40_bins(corpus):
    found = _over_time(corpus, freq="auto", bootstrap=0)
    assert found.freq == "quarter" and 6 <= found.periods <= 40
    assert found.table["period"].str.fullmatch(r"\d{4}-Q[1-4]").all()


def test_iso_weeks_start_on_monday_and_carry_the_iso_week_number():
    days = np.array(["2017-09-10", "2017-09-04", "2021-01-03", "2020-12-31"], dtype="datetime64[D]")
    starts = period_starts(days, "week")
    assert [pd.Timestamp(s).weekday() for s in starts] == [0] * 4
    assert period_labels(starts, "week") == ["2017-W36", "2017-W36", "2020-W53", "2020-W53"]
    expected = [dt.date.fromisoformat(str(d)).isocalendar() for d in days]
    assert period_labels(starts, "week") == [f"{y}-W{w:02d}" for y, w, _ in expected]
    assert period_labels(period_starts(days, "quarter"), "quarter") == ["2017-Q3", "2017-Q3", "2021-Q1", "2020-Q4"]
