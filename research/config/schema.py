"""The config schema: types and allowed ranges of every key in ``defaults.yaml``.

Defaults are NOT declared here (every field is required): they live only in
``defaults.yaml``, which is merged under each experiment file before validation. A test
checks that the defaults file validates, so the two can never disagree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union  # noqa: F401

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from research.clean.settings import RANGES as CLEAN_RANGES
from research.util.sizes import parse_size

PosInt = Annotated[int, Field(ge=1)]
NonNegFloat = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(gt=0, le=1)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CorpusCfg(Section):
    source: Annotated[str, Field(min_length=1)]
    format: Literal["auto", "txt", "csv", "tsv", "jsonl"]
    text_column: str
    id_column: str | None
    title_column: str | None
    outlet_column: str | None
    date_column: str | None
    date_dayfirst: bool
    label_column: str | None
    file_column: str
    columns: list[str] | None
    keep_columns: list[str] | Literal["all"]
    where: dict[str, str | int | float | bool | list[str | int | float | bool]]
    limit: PosInt | None
    quoting: bool
    strip_email_headers: bool
    unit: Literal["document", "paragraph"]
    paragraph_min_words: Annotated[int, Field(ge=1)]


class UnicodeCfg(Section):
    repair: bool
    drop_junk: bool


class FurnitureCfg(Section):
    enabled: bool
    patterns: Literal["default"] | list[str]
    extra_patterns: list[str]
    short_lines: bool
    short_line_max_words: Annotated[int, Field(**CLEAN_RANGES["furniture.short_line_max_words"])]
    repeated_lines: bool
    repeated_min_docs: Annotated[int, Field(**CLEAN_RANGES["furniture.repeated_min_docs"])]
    repeated_min_share: Annotated[float, Field(**CLEAN_RANGES["furniture.repeated_min_share"])]


class DuplicatesCfg(Section):
    enabled: bool
    threshold: Annotated[float, Field(**CLEAN_RANGES["duplicates.threshold"])]
    action: Literal["drop", "keep"]
    paragraphs: Literal["drop", "keep", "off"]
    paragraph_threshold: Annotated[float, Field(**CLEAN_RANGES["duplicates.paragraph_threshold"])]

    @field_validator("paragraphs", mode="before")
    @classmethod
    def _yaml_off(cls, value):   # YAML 1.1 reads a bare `off` as false
        return "off" if value is False else value


class PhrasesCfg(Section):
    enabled: bool
    min_count: Annotated[int, Field(**CLEAN_RANGES["tokens.phrases.min_count"])]
    threshold: Annotated[float, Field(**CLEAN_RANGES["tokens.phrases.threshold"])]


class TokensCfg(Section):
    lowercase: bool
    stop_words: Literal["english", "none"]
    extra_stop_words: list[str]
    min_length: Annotated[int, Field(**CLEAN_RANGES["tokens.min_length"])]
    numbers: Literal["drop", "keep"]
    lemmatize: bool
    language: str
    phrases: PhrasesCfg


class CleanCfg(Section):
    unicode: UnicodeCfg
    furniture: FurnitureCfg
    duplicates: DuplicatesCfg
    tokens: TokensCfg
    min_tokens: Annotated[int, Field(**CLEAN_RANGES["min_tokens"])]
    workers: Annotated[int, Field(**CLEAN_RANGES["workers"])]
    cache: bool


DocFreq = int | float


def _check_doc_freq(key: str, value: int | float) -> None:
    if isinstance(value, bool) or (isinstance(value, int) and value < 0) or (
            isinstance(value, float) and not 0.0 <= value <= 1.0):
        raise ValueError(f"vectorizer.{key}: allowed: an integer >= 0 (a number of documents) "
                         f"or a float in [0, 1] (a share of documents), got {value!r}")


class VectorizerCfg(Section):
    kind: Literal["tfidf", "count"]       # "auto" is resolved by load_config before validation
    min_df: DocFreq
    max_df: DocFreq
    max_features: PosInt | None
    hashing: PosInt | None
    ngram_range: Annotated[list[PosInt], Field(min_length=2, max_length=2)]
    binary: bool
    norm: Literal["l1", "l2"] | None
    use_idf: bool
    smooth_idf: bool
    sublinear_tf: bool

    @model_validator(mode="after")
    def _ngram_order(self):
        _check_doc_freq("min_df", self.min_df)
        _check_doc_freq("max_df", self.max_df)
        lo, hi = self.ngram_range
        if lo > hi:
            raise ValueError(f"vectorizer.ngram_range must be [min, max] with min <= max, got {self.ngram_range}")
        return self


class ModelCfg(Section):
    kind: str   # a registered kind (research.experiment.kinds), checked before any run starts


Params = dict[str, Any]   # back-end settings: keys fixed by defaults.yaml, values checked by the back-end


class TopicEvalCfg(Section):
    coherence: list[Literal["c_npmi", "u_mass", "c_v", "c_uci"]]
    coherence_top_n: Annotated[int, Field(ge=2)]
    reference: str | None
    diversity_top_n: PosInt
    similarity: Literal["jaccard", "rbo"]
    heldout: Annotated[float, Field(ge=0, lt=1)]
    stability_seeds: list[Annotated[int, Field(ge=0)]]
    group_by: list[str]


class OverTimeCfg(Section):
    freq: Literal["auto", "week", "month", "quarter", "year", "none"]
    min_documents: PosInt
    bootstrap: Annotated[int, Field(ge=0)]
    top_n: PosInt


Value = str | int | float | bool
Values = Value | Annotated[list[Value], Field(min_length=1)]


class CompareCfg(Section):
    field: Annotated[str, Field(min_length=1)]
    a: Values
    b: Values | None = None   # the one default outside defaults.yaml: compare is null there


class ByGroupCfg(Section):
    min_documents: PosInt
    bootstrap: Annotated[int, Field(ge=10)]
    permutations: Annotated[int, Field(ge=10)]
    compare: CompareCfg | None


class TopicsCfg(Section):
    """Besides the keys below: ``<family>_backend`` (a registered back-end: checked against
    ``research.topics.TOPIC_BACKENDS`` by the experiment) and one ``<family>_<backend>``
    section of settings per back-end, whose keys defaults.yaml fixes and the back-end checks."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    num_topics: int | list[int]
    best_by: str
    top_n: PosInt
    reduce_to: int | None
    merge_threshold: float | None
    labels: dict[int, str]
    representative_docs: Annotated[int, Field(ge=0, le=10)]
    seed_words: dict[str, list[str]]
    seed_strength: Annotated[float, Field(gt=0)]
    evaluate: TopicEvalCfg
    over_time: OverTimeCfg
    by_group: ByGroupCfg

    @model_validator(mode="after")
    def _backend_sections(self):
        for key, value in (self.model_extra or {}).items():
            if key.endswith("_backend") and not isinstance(value, str):
                raise ValueError(f"topics.{key}: a back-end name, got {value!r}")
            if not key.endswith("_backend") and not isinstance(value, dict):
                raise ValueError(f"topics.{key}: a mapping of back-end settings, got {value!r}")
        return self

    @model_validator(mode="after")
    def _num_topics(self):
        values = self.num_topics if isinstance(self.num_topics, list) else [self.num_topics]
        if not values or any(isinstance(v, bool) or v < 2 for v in values):
            raise ValueError(f"topics.num_topics: allowed: an integer >= 2 or a non-empty list of them, "
                             f"got {self.num_topics!r}")
        return self

    @model_validator(mode="after")
    def _reduction(self):
        ks = self.num_topics if isinstance(self.num_topics, list) else [self.num_topics]
        reduce_to, threshold = self.reduce_to, self.merge_threshold
        if reduce_to is not None and threshold is not None:
            raise ValueError("topics.merge_threshold: set either topics.reduce_to (a number of topics) or "
                             "topics.merge_threshold (a similarity), not both; set the other to null")
        if reduce_to is not None and (reduce_to < 2 or reduce_to >= min(ks)):
            raise ValueError(f"topics.reduce_to: allowed: null or an integer >= 2 and below every "
                             f"topics.num_topics ({ks}), got {reduce_to!r}")
        if threshold is not None and not 0 < threshold <= 1:
            raise ValueError(f"topics.merge_threshold: allowed: null or a cosine similarity in (0, 1], "
                             f"got {threshold!r}")
        return self

    @model_validator(mode="after")
    def _labels(self):
        ks = self.num_topics if isinstance(self.num_topics, list) else [self.num_topics]
        n = self.reduce_to if self.reduce_to is not None else min(ks)
        bad = sorted(k for k in self.labels if not 0 <= k < n)
        if bad:
            after = " after topics.reduce_to" if self.reduce_to is not None else ""
            raise ValueError(f"topics.labels: no topic {bad[0]}: the model has topics 0..{n - 1}{after}; "
                             "use those indices (as in topics.csv)")
        return self

    @model_validator(mode="after")
    def _seed_words(self):
        for name, words in self.seed_words.items():
            if not name.strip() or not words or not all(w.strip() for w in words):
                raise ValueError(f"topics.seed_words: topic {name!r} needs a name and a non-empty list of "
                                 f"non-empty words, got {words!r}")
        values = self.num_topics if isinstance(self.num_topics, list) else [self.num_topics]
        if len(self.seed_words) > min(values):
            raise ValueError(f"topics.seed_words: {len(self.seed_words)} seeded topics but topics.num_topics "
                             f"allows at most {min(values)} (its smallest K); drop seeded topics or raise K")
        if self.seed_words and (self.reduce_to is not None or self.merge_threshold is not None):
            raise ValueError("topics.seed_words: guided topics cannot also be merged (merging renumbers the seeded "
                             "topics); set topics.reduce_to and topics.merge_threshold to null, or drop the seeds")
        return self


class SourceCfg(CorpusCfg):
    label: str | None
    group_column: str | None
    max_documents: PosInt | None


class SentencesCfg(Section):
    subjectivity: str
    subjectivity_splits: Annotated[list[Literal["train", "dev", "dev_test"]], Field(min_length=1)]
    propaganda: str | None
    C: Annotated[float, Field(gt=0)]
    class_weight: Literal["balanced"] | None
    char_ngrams: bool
    embeddings: bool
    fine_tune: bool | Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]
    fine_tune_epochs: PosInt
    fine_tune_threads: PosInt
    threshold: Annotated[float, Field(gt=0, lt=1)]
    min_words: PosInt
    quantiles: list[Annotated[float, Field(gt=0, lt=1)]]


class CharsCfg(Section):
    ngram_range: Annotated[list[PosInt], Field(min_length=2, max_length=2)]
    min_df: PosInt


class PromotionalCfg(Section):
    enabled: bool
    prior: Annotated[float, Field(gt=0)]


class ConfoundingCfg(Section):
    max_ratio: Annotated[float, Field(gt=0)] | None
    min_documents: Annotated[int, Field(ge=2)]


class ToneEvalCfg(Section):
    scheme: Literal["auto", "stratified", "group", "leave_one_group_out"]
    folds: Annotated[int, Field(ge=2)]
    bootstrap: Annotated[int, Field(ge=0)]


class ToneCfg(Section):
    label_map: dict[str, str]
    positive: str
    unit: Literal["document", "paragraph"]
    paragraph_min_words: PosInt
    extra_sources: list[SourceCfg]
    test_sources: list[SourceCfg]
    group_column: str | None
    features: Annotated[list[Literal["tfidf", "chars", "tone", "sentences"]], Field(min_length=1)]
    tone_features: list[str] | None
    chars: CharsCfg
    model: str   # a registered classifier (research.tone.CLASSIFIERS: tone.<model>), checked by the tone kind
    C: Annotated[float, Field(gt=0)]
    class_weight: Literal["balanced"] | None
    max_iter: PosInt
    calibration_folds: Annotated[int, Field(ge=2)]
    nb_alpha: Annotated[float, Field(gt=0)]
    threshold: float | Literal["auto"]
    calibration: Literal["none", "sigmoid", "isotonic"]
    sentences: SentencesCfg
    promotional: PromotionalCfg
    confounding: ConfoundingCfg
    evaluation: ToneEvalCfg
    explain_top: PosInt

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, value):   # one message for both kinds of bad value (2, "best", true)
        if value == "auto":
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"tone.threshold: allowed: auto (chosen by inner cross-validation on the training "
                             f"data) or a number strictly between 0 and 1, got {value!r}")
        return float(value)


class ReportCfg(Section):
    top_terms: PosInt


class CacheCfg(Section):
    max_size: int | str

    @field_validator("max_size", mode="before")
    @classmethod
    def _size(cls, value):   # kept as given ("4GB"); research.clean.cache.parse_size reads it
        parse_size(value)
        return value


class ScaleCfg(Section):
    stream: Literal["auto"] | bool
    stream_above_documents: PosInt
    chunk_documents: Annotated[int, Field(ge=10)]
    store_dir: str | None
    online_backends: dict[str, str]
    document_visits: PosInt
    heldout_max_documents: PosInt
    csv_preview_rows: Annotated[int, Field(ge=0)]
    sample_documents: PosInt
    progress_seconds: Annotated[float, Field(gt=0)]


class SparkCfg(Section):
    master: Annotated[str, Field(min_length=1)]
    partitions: PosInt
    conf: dict[str, str | int | float | bool]


class EngineCfg(Section):
    kind: Literal["local", "spark"]
    spark: SparkCfg


class ExperimentCfg(Section):
    name: str | None
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)]
    corpus: CorpusCfg
    clean: CleanCfg
    vectorizer: VectorizerCfg
    model: ModelCfg
    topics: TopicsCfg
    tone: ToneCfg
    report: ReportCfg
    scale: ScaleCfg
    engine: EngineCfg
    cache: CacheCfg


def validate(data: dict[str, Any]) -> ExperimentCfg:
    return ExperimentCfg.model_validate(data)
