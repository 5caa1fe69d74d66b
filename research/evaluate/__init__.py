"""Evaluation of topic models: coherence (gensim's definitions, computed fast), diversity,
similarity, stability across seeds, agreement with labels, held-out fit, prevalence, and how far
guided topics drifted from their seed words."""

from research.evaluate.coherence import (
    MEASURES,
    WINDOW_SIZES,
    CoherenceScore,
    CoherenceScorer,
    CooccurrenceCounts,
    coherence,
)
from research.evaluate.seeds import SeedDrift, seed_drift, seed_labels, seed_word_topics
from research.evaluate.topic_metrics import (
                                         PairwiseSimilarity,
                                         Stability,
                                         fit_across_seeds,
                                         heldout_fit,
                                         jaccard,
                                         label_agreement,
                                         match_topics,
                                         month_of,
                                         prevalence_by_group,
                                         rank_biased_overlap,
                                         topic_diversity,
                                         topic_similarity,
                                         topic_stability,
)

__all__ = [
    "MEASURES",
    "WINDOW_SIZES",
    "CoherenceScore",
    "CoherenceScorer",
    "CooccurrenceCounts",
    "PairwiseSimilarity",
    "SeedDrift",
    "Stability",
    "coherence",
    "fit_across_seeds",
    "heldout_fit",
    "jaccard",
    "label_agreement",
    "match_topics",
    "month_of",
    "prevalence_by_group",
    "rank_biased_overlap",
    "seed_drift",
    "seed_labels",
    "seed_word_topics",
    "topic_diversity",
    "topic_similarity",
    "topic_stability",
]
