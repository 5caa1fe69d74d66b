"""``topics_over_time.csv`` of a local lda/nmf run (``topics.over_time``; the analysis is
:mod:`research.evaluate.over_time`, the figure ``plot_topics_over_time``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from research.config.load import Config
from research.corpus.dates import ParsedDates, parse_dates
from research.evaluate.over_time import OverTime, topics_over_time
from research.experiment.stages import Prepared
from research.runs.folder import RunFolder
from research.vectorise import joined

__all__ = ["over_time_table", "word_counts"]


def word_counts(prepared: Prepared) -> sparse.csr_matrix:
    """The documents' word counts over the run's vocabulary: the matrix itself for a count
    vectoriser, else the TF-IDF vectoriser's own counting step (before its weighting)."""
    if isinstance(prepared.vectorizer, TfidfVectorizer):
        return sparse.csr_matrix(CountVectorizer.transform(prepared.vectorizer, joined(prepared.tokens)))
    return prepared.matrix


def _summary(freq: str | None, found: OverTime | None, dates: ParsedDates) -> dict[str, Any]:
    return {"freq": freq, "periods": found.periods if found else 0,
            "periods_enough": found.periods_enough if found else 0,
            "documents_dated": dates.dated, "documents_undated": dates.undated,
            "documents_unparsed": dates.unparsed,
            "documents_outside": found.documents_outside if found else 0}


def _write_csv(found: OverTime, run: RunFolder) -> None:
    table = found.table.assign(enough=found.table["enough"].map({True: "true", False: "false"}))
    table.to_csv(run.path / "topics_over_time.csv", index=False, float_format="%.6f")


def over_time_table(config: Config, run: RunFolder, prepared: Prepared,
                    doc_topic) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """Write topics_over_time.csv when at least two periods have dated documents; returns its
    table (None when left out, with one log line saying why) and the metrics' summary."""
    settings = config["topics"]["over_time"]
    if "month" in config["topics"]["evaluate"]["group_by"]:
        run.log.info("topics.evaluate.group_by lists month: prevalence_by_month.csv is written as before, but "
                     "topics_over_time.csv (topics.over_time) is the better view: real dates, intervals, sparse "
                     "months marked")
    if settings["freq"] == "none":
        return None, {}
    docs = prepared.documents
    dates = parse_dates([d.date for d in docs], [d.id for d in docs], config["corpus"]["date_dayfirst"])
    if dates.warning():
        run.warn(str(dates.warning()))
    if not dates.dated:
        run.log.warning("topics over time left out: no document has a readable date (%d without a date, %d "
                        "unreadable; corpus.date_column: %s)", dates.undated, dates.unparsed,
                        config["corpus"]["date_column"])
        return None, _summary(None, None, dates)
    found = topics_over_time(doc_topic, dates.days, word_counts(prepared), list(prepared.vocabulary),
                             settings["freq"], settings["min_documents"], settings["bootstrap"], config["seed"],
                             settings["top_n"])
    if found.documents_outside:
        run.log.info("topics over time: %d document(s) dated far outside the bulk of the corpus are left off "
                     "the time axis (README \"Topics over time\")", found.documents_outside)
    if found.periods < 2:
        finer = "; set topics.over_time.freq finer" if found.freq != "week" else ""
        run.log.warning("topics over time left out: the %d dated documents all fall in one %s (%s)%s",
                        found.documents_binned, found.freq, found.table["period"][0], finer)
        return None, _summary(found.freq, None, dates)
    _write_csv(found, run)
    return found.table, _summary(found.freq, found, dates)
