"""What the report's numbers and figures mean, in one line each, for a reader who did not
write the code: what a metric measures and which values are good, and what a figure shows."""

from __future__ import annotations

# headline metrics, in the order the report lists them; only those a run has are shown
METRICS: dict[str, str] = {
    "best_k": "the number of topics K of the reported model, chosen by best_by among the Ks fitted",
    "num_topics": "the number of topics K of the reported model",
    "c_npmi": "topic coherence: normalised PMI of each topic's top-word pairs in the reference texts; "
              "from -1 to 1, 0 = the words co-occur by chance; above 0.1 is decent for news",
    "c_v": "topic coherence combining NPMI and cosine similarity of word contexts; 0 to 1, higher is "
           "better; 0.4-0.7 is typical of readable topics",
    "u_mass": "topic coherence from how often top words share documents; negative, closer to 0 is better "
              "(around -1 good, below -5 poor)",
    "c_uci": "topic coherence: PMI of top-word pairs in a sliding window; higher is better, above 0 good",
    "topic_diversity": "share of unique words among all topics' top words; 0 to 1, near 1 = topics do not "
                       "repeat each other's words (above 0.7 is good)",
    "topic_similarity": "mean overlap of the topics' top-word lists; 0 to 1, lower = more distinct topics",
    "stability": "how well topics are found again when refitted with other seeds; 0 to 1, near 1 = "
                 "reproducible topics",
    "perplexity": "how surprised the model is by held-out words; lower is better; comparable only between "
                  "runs on the same vocabulary",
    "reconstruction_error": "NMF's error rebuilding held-out documents from topics; lower is better; "
                            "comparable only on the same data",
    "centroid_distance": "embedding topics: held-out documents' mean distance to their nearest cluster centre, "
                         "in units of the training documents' median; about 1 = fit like training documents, "
                         "lower is better",
    "nmi": "agreement of each document's main topic with its label (normalised mutual information); "
           "0 = unrelated, 1 = the same grouping",
    "ari": "agreement of main topics with labels, corrected for chance (adjusted Rand index); 0 = chance, "
           "1 = identical",
    "macro_f1": "mean F1 over the classes, each class weighing the same; 0 to 1, 0.5 is about chance for "
                "two classes, above 0.8 is good",
    "accuracy": "share of documents classified correctly; compare with the share of the largest class",
    "roc_auc": "chance that a random positive document scores above a random negative one; 0.5 = chance, "
               "1 = perfect ranking",
    "pr_auc": "area under precision-recall of the positive class; chance = the positive share, 1 = perfect",
    "brier": "mean squared error of the predicted probabilities; 0 is perfect, 0.25 = always saying 0.5",
    "threshold": "the final model's decision threshold on P(positive) (tone.threshold: a number, or auto: chosen "
                 "by outlet-grouped inner cross-validation on the training data); predictions.csv and apply use it",
    "training_documents": "documents the classifier was trained on",
    "documents_kept": "documents left after cleaning (duplicates and empty texts dropped)",
    "units_modelled": "units the model saw (documents, or paragraphs with corpus.unit: paragraph)",
    "vocabulary_size": "distinct words (or n-grams) kept by the vectorizer",
    "tokens_per_document_mean": "mean tokens per document after cleaning",
    "matrix_density": "share of non-zero cells in the document-word matrix",
}

EVALUATIONS = {"cross_validation": "cross-validation on the training data (out-of-fold predictions)",
               "held_out_test": "a held-out test on data the model never saw (tone.test_sources)"}

# static figures: file stem (or its prefix before '_by_') -> what the figure shows
FIGURES: dict[str, str] = {
    "top_words": "The heaviest words of each topic and their weight in it: read a topic from its bars.",
    "doc_topic_heatmap": "Topic shares of the documents most representative of each topic (rows: "
                         "documents by title, or outlet and date; columns: topics; bright = a large "
                         "share). The title says how many of all documents are shown.",
    "intertopic_map": "Topics placed by how different their word distributions are (Jensen-Shannon "
                      "distance, classical MDS); circle area = the topic's share of the corpus.",
    "metrics_vs_k": "Each evaluation metric against the number of topics K; the red line marks the K "
                    "chosen by topics.best_by.",
    "prevalence_by": "Mean topic share per group: which topics each group writes about most (with 95% "
                     "bootstrap intervals where the group has enough documents).",
    "topics_over_time": "Each topic's mean share per period on a date axis with its 95% bootstrap interval; "
                        "the strip on top counts the documents per period, and periods with too few are hollow.",
    "topic_differences": "Which topics differ between the two compared groups: difference in mean share with its "
                         "95% interval; red = significant after Benjamini-Hochberg (q < 0.05).",
    "calibration": "Reliability: mean predicted probability against the observed share of the positive "
                   "class per probability bin; a well calibrated model follows the diagonal.",
    "reliability_by_group": "Reliability per group (outlet or section; out-of-fold for the training groups, "
                            "held out for the test groups): mean predicted probability against the observed "
                            "share of the positive class per bin, with each group's Brier score. A group of one "
                            "class lies on the bottom (or top) edge: how far right its points sit is how much "
                            "probability the model puts on the other class there.",
    "confusion": "True classes (rows) against predicted classes (columns): counts and row shares.",
    "top_features": "The features with the largest weights towards each class in the final model.",
}


def figure_caption(stem: str) -> str:
    if stem in FIGURES:
        return FIGURES[stem]
    prefix, _, group = stem.partition("_by_")
    if f"{prefix}_by" in FIGURES:
        return FIGURES[f"{prefix}_by"].replace("each group", f"each {group}")
    return "A figure of this run."
