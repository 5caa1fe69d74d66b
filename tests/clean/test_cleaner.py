"""research.clean.cleaner on the embedded sample and on real shared data sets (no mocks)."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import ftfy
import joblib
import pytest
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from research.clean.cleaner import TOKEN_PATTERN, CleanResult, TextPipeline, clean_corpus
from research.corpus.documents import Document
from research.errors import CleaningError, ConfigError

DEFAULTS = Path(__file__).resolve().parents[2] / "research" / "config" / "defaults.yaml"
MOJIBAKE_CHARS = set("šļøā£µ°¬")
RECORD_KEYS = {"id", "chars_before", "chars_after", "lines_removed", "paragraphs_removed",
               "junk_removed", "duplicate_of", "duplicate_similarity", "kept", "drop_reason",
               "n_tokens"}


def clean_settings(**overrides) -> dict:
    """The defaults.yaml ``clean:`` section with dotted overrides (``tokens__min_length=3``)."""
    settings = copy.deepcopy(yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))["clean"])
    for dotted, value in overrides.items():
        node = settings
        *parents, last = dotted.split("__")
        for part in parents:
            node = node[part]
        assert last in node, dotted
        node[last] = value
    return settings


def read_sample(folder: Path) -> list[Document]:
    """Documents from the sample's .txt files + metadata.csv (id = file stem prefix)."""
    with open(folder / "metadata.csv", encoding="utf-8", newline="") as handle:
        meta = {row["file"]: row for row in csv.DictReader(handle)}
    return [Document(id=path.stem.split("_")[0], text=path.read_text(encoding="utf-8"),
                     outlet=meta[path.name]["outlet"], date=meta[path.name]["published"])
            for path in sorted(folder.glob("*.txt"))]


def read_jsonl(path: Path, limit: int | None = None, every: int = 1) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for i, line in enumerate(handle) if i % every == 0]
    return rows[:limit]


def record(result: CleanResult, doc_id: str) -> dict:
    return next(r for r in result.records if r["id"] == doc_id)


def text_of(result: CleanResult, doc_id: str) -> str:
    return next(d.text for d in result.documents if d.id == doc_id)


def tokens_of(result: CleanResult, doc_id: str) -> list[str]:
    return next(t for d, t in zip(result.documents, result.tokens, strict=True) if d.id == doc_id)


@pytest.fixture(scope="module")
def sample(sample_dir) -> list[Document]:
    return read_sample(sample_dir)


@pytest.fixture(scope="module")
def result(sample) -> CleanResult:
    return clean_corpus(sample, clean_settings())


# --- unicode repair and junk -------------------------------------------------------------

def test_no_mojibake_reaches_the_tokens_of_002(result, sample):
    tokens = tokens_of(result, "002")
    assert tokens and all(t.isascii() and t.isalnum() for t in tokens)
    assert not MOJIBAKE_CHARS & set(text_of(result, "002"))
    assert record(result, "002")["junk_removed"] > 0
    raw = next(d.text for d in sample if d.id == "002")
    one_char = TextPipeline.from_settings(clean_settings(tokens__min_length=1,
                                                         tokens__stop_words="none"))
    assert not MOJIBAKE_CHARS & set("".join(one_char.tokenize(raw)))


def test_lossy_mojibake_in_another_code_page_is_dropped_and_accents_are_kept():
    lossy = "Great news 👍 for fans".encode().decode("cp1252", errors="ignore")
    assert "ðŸ‘" in lossy  # one byte of the emoji was lost: ftfy cannot restore it
    pipeline = TextPipeline.from_settings(clean_settings())
    assert pipeline.tokenize(f"{lossy} in Zürich and the café.") == [
        "great", "news", "fans", "zürich", "café"]
    assert pipeline.tokenize("Emoji 🎉 and flags 🇵🇰 go ✅ too") == ["emoji", "flags"]


def test_fixable_mojibake_is_repaired():
    broken = "Pakistan’s ‘foreign office’ — talks".encode().decode("cp1252")
    pipeline = TextPipeline.from_settings(clean_settings())
    assert "â€" in broken and pipeline.tokenize(broken) == ["pakistan", "foreign", "office", "talks"]


# --- page furniture ----------------------------------------------------------------------

FURNITURE = [  # (document, removed line (contains), reason)
    ("001", "Short Url", "pattern:share_buttons"),
    ("001", "Follow", "pattern:share_buttons"),
    ("001", "Updated 13 February 2023", "pattern:dateline"),
    ("001", "on February 19, 2015. (REUTERS/File)", "pattern:caption_credit"),
    ("004", "Published: 01:14 AM, 16 Sep, 2024", "pattern:dateline"),
    ("004", "Stay tuned with 24 News HD Android App", "pattern:app_promo"),
    ("004", "Get it on Google Play", "pattern:app_promo"),
    ("004", "Categories : Opinion", "pattern:category_tags"),
    ("002", "COMMENTS (1)", "pattern:comment_count"),
    ("002", "Comments are moderated and generally will be posted", "pattern:comment_policy"),
    ("002", "For more information, please see our Comments FAQ", "pattern:comment_policy"),
    ("002", "Read Bilawal warns West of Afghan terror spillover effects", "pattern:read_more"),
    ("002", "https://t.co/gTPlBRv1YX pic.twitter.com/", "pattern:url_only"),
    ("002", "(@ForeignOfficePk) March 5, 2023", "pattern:tweet_attribution"),
    ("003", "Follow our latest local and sports news", "pattern:social_follow"),
    ("003", "archival", "short_line"),
    ("003", "Father", "short_line"),
    ("003", "picture", "short_line"),
]


@pytest.mark.parametrize("doc_id, line, reason", FURNITURE)
def test_furniture_line_is_removed_with_its_reason(result, doc_id, line, reason):
    removed = record(result, doc_id)["lines_removed"]
    hits = [r for r in removed if line == r["line"] or (len(line) > 12 and line in r["line"])]
    assert hits, f"{line!r} not removed from {doc_id}: {removed}"
    assert {r["reason"] for r in hits} == {reason}


PATTERN_EXAMPLES = [  # general furniture, not from the sample: (line, reason)
    ("Share | Tweet | Email", "pattern:share_buttons"),
    ("Follow us on Instagram", "pattern:social_follow"),
    ("Please share this article with your friends!", "pattern:share_prompt"),
    ("Download the app from the App Store", "pattern:app_promo"),
    ("Sign up for our daily newsletter", "pattern:newsletter"),
    ("We use cookies to improve your experience on our site.", "pattern:cookies"),
    ("12 comments", "pattern:comment_count"),
    ("Comments are closed.", "pattern:comment_policy"),
    ("Read more: Pakistan and IMF agree on loan terms", "pattern:read_more"),
    ("Last updated: 10:45 GMT, Tuesday 3 May 2022", "pattern:dateline"),
    ("Protesters march in Lahore on Friday. (AP Photo/K.M. Chaudary)", "pattern:caption_credit"),
    ("Photo by Jane Doe/Getty Images", "pattern:photo_credit"),
    ("Tags: Pakistan, United States, Diplomacy", "pattern:category_tags"),
    ("© 2023 Example Media Group. All rights reserved.", "pattern:copyright"),
    ("Story continues below advertisement", "pattern:advertisement"),
    ("Reuters contributed to this report.", "pattern:contributor_credit"),
    ("Please consider making a small donation to keep us going.", "pattern:donation_appeal"),
    ("This video is not available in your country.", "pattern:player_notice"),
]
REAL_SENTENCES = [  # news sentences that merely mention the same words: all kept
    "Apple's App Store now offers more than 100,000 programs.",
    "The firm said it would change its cookie policy after complaints.",
    "Read my lips, he told reporters on Monday.",
    "Updated figures will be published on Monday.",
    "Follow-up talks will be held on Twitter's premises in London.",
    "Like many users on Twitter, she was angry about the change.",
    "He contributed to the report on climate change for the UN.",
    "The video cannot be shown in court, the judge ruled on Tuesday.",
    "Copyright law was changed in 2004 after a long campaign.",
    "Sponsored by the government, the scheme pays farmers to plant trees.",
    "The photo, taken in 2015, shows the flag being raised (file).",
    "Comments are welcome, the minister said, but the plan will not change.",
]


@pytest.mark.parametrize("line, reason", PATTERN_EXAMPLES)
def test_default_patterns_catch_general_furniture(line, reason):
    pipeline = TextPipeline.from_settings(clean_settings())
    cleaned = pipeline.clean_text(f"The talks ended on Monday.\n{line}\nBoth sides agreed.")
    assert cleaned.removed == [{"line": line, "reason": reason}]


def test_default_patterns_keep_real_sentences():
    pipeline = TextPipeline.from_settings(clean_settings())
    cleaned = pipeline.clean_text("\n".join(REAL_SENTENCES))
    assert cleaned.removed == [] and cleaned.text() == "\n".join(REAL_SENTENCES)


def test_furniture_is_gone_from_the_text(result):
    for doc_id, needles in {"002": ["COMMENTS", "Bilawal", "t.co", "ForeignOfficePk"],
                            "003": ["archival", "Google news"],
                            "004": ["Google Play", "Categories", "Published:"]}.items():
        for needle in needles:
            assert needle not in text_of(result, doc_id)


def test_000_loses_no_line(result, sample):
    rec = record(result, "000")
    assert rec["lines_removed"] == [] and rec["paragraphs_removed"] == []
    repaired = ftfy.fix_text(sample[0].text)  # the only change: curly quotes uncurled
    original = [" ".join(line.split()) for line in repaired.split("\n") if line.strip()]
    assert text_of(result, "000").split("\n") == original


def test_inline_links_go_but_the_sentence_stays():
    pipeline = TextPipeline.from_settings(clean_settings())
    cleaned = pipeline.clean_text(
        "The ministry said https://t.co/abc123 that talks resume, see www.mofa.gov.pk today.")
    assert cleaned.text() == "The ministry said that talks resume, see today."
    assert cleaned.links == 2 and cleaned.removed == []


def test_hard_wrapped_prose_is_not_furniture():
    text = ("Many readers who set out to read the whole book have given up, and\n"
            "read the entire Bible only once they had a plan for it in the end\n"
            "and so on\n\nHeading alone\n\nThe next paragraph starts here.")
    cleaned = TextPipeline.from_settings(clean_settings()).clean_text(text)
    assert [r["line"] for r in cleaned.removed] == ["Heading alone"]


@pytest.mark.parametrize("setting, doc_id, kept", [
    ("furniture__enabled", "004", "Get it on Google Play"),
    ("furniture__short_lines", "003", "archival"),
])
def test_furniture_steps_can_be_switched_off(sample, setting, doc_id, kept):
    result = clean_corpus(sample, clean_settings(**{setting: False}))
    assert kept in text_of(result, doc_id)


def test_user_and_extra_patterns_are_reasons(sample):
    result = clean_corpus(sample, clean_settings(
        furniture__patterns=[r"^Earlier in February"], furniture__extra_patterns=[r"curtain"]))
    reasons = {r["line"][:16]: r["reason"] for r in record(result, "002")["lines_removed"]}
    assert reasons["Earlier in Febru"] == "pattern:custom_0"
    assert reasons["Curtain Raiser: "] == "pattern:extra_0"
    assert "Get it on Google Play" in text_of(result, "004")  # defaults replaced


def test_bad_regex_names_the_setting(sample):
    with pytest.raises(ConfigError, match=r"clean\.furniture\.extra_patterns\[0\]"):
        clean_corpus(sample, clean_settings(furniture__extra_patterns=["(unclosed"]))


def test_repeated_lines_count_a_duplicate_cluster_once(sample):
    body = sample[0].text
    docs = [Document("a", body, outlet="X"),
            Document("b", body + "\nOne more closing line for this copy of the report.",
                     outlet="X"),
            Document("c", body.replace("four days", "three days"), outlet="X"),
            Document("d", sample[4].text, outlet="X")]
    result = clean_corpus(docs, clean_settings(duplicates__action="keep"))
    assert all(not r["lines_removed"] for r in result.records if r["id"] in "abc")
    assert {(p["a"], p["b"]) for p in result.duplicate_pairs} >= {("a", "b"), ("a", "c")}


@pytest.mark.shared_data
def test_bbc_loses_under_two_percent_of_characters(shared_data):
    rows = read_jsonl(shared_data / "bbc_news" / "bbc_news.jsonl", every=5)
    docs = [Document(id=r["id"], text=r["text"], outlet="bbc") for r in rows]
    result = clean_corpus(docs, clean_settings(duplicates__action="keep"))
    before = sum(r["chars_before"] for r in result.records)
    after = sum(r["chars_after"] for r in result.records)
    assert len(docs) >= 400 and (before - after) / before < 0.02
    assert not any(r["reason"].startswith("pattern:") for rec in result.records
                   for r in rec["lines_removed"])


@pytest.mark.shared_data
def test_hyperpartisan_templates_are_removed(shared_data):
    rows = read_jsonl(shared_data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl")
    docs = [Document(id=r["id"], text=r["text"], outlet=r["domain"]) for r in rows]
    result = clean_corpus(docs, clean_settings())
    removed = {(r["line"], r["reason"]) for rec in result.records for r in rec["lines_removed"]}
    assert ("If you'd like to learn more about how you can support us, click here.",
            "repeated_line") in removed
    assert ("We urge you to support the following local businesses.", "repeated_line") in removed
    assert ("No compatible source was found for this video.", "pattern:player_notice") in removed
    assert ("The Associated Press contributed to this report.",
            "pattern:contributor_credit") in removed
    assert sum("Associated Press contributed" in d.text for d in result.documents) <= 1
    share = 1 - result.summary["chars_after"] / sum(
        r["chars_before"] for r in result.records if r["kept"])
    assert share < 0.05


@pytest.mark.shared_data
def test_worker_processes_give_the_same_result_as_one(shared_data, monkeypatch):
    """The per-document pass shared with a helper process changes nothing, template lines
    and near-duplicates included (their hashes are made in both processes)."""
    import research.clean.cleaner as clean_module
    import research.util.workers as workers_module

    rows = read_jsonl(shared_data / "hyperpartisan" / "hyperpartisan_byarticle.jsonl")
    docs = [Document(id=r["id"], text=r["text"], outlet=r["domain"]) for r in rows]
    serial = clean_corpus(docs, clean_settings(workers=1))
    monkeypatch.setattr(workers_module, "MIN_DOCUMENTS", 100)
    monkeypatch.setattr(clean_module, "_CHUNK_DOCS", 20)
    workers_module._executor(1).submit(int).result()   # a helper ready to take chunks
    parallel = clean_corpus(docs, clean_settings(workers=2))
    assert any(r["reason"] == "repeated_line" for rec in serial.records for r in rec["lines_removed"])
    assert parallel.records == serial.records
    assert parallel.tokens == serial.tokens
    assert [d.text for d in parallel.documents] == [d.text for d in serial.documents]
    assert parallel.duplicate_pairs == serial.duplicate_pairs and parallel.summary == serial.summary
    # both processes did part of the work (a helper's passes arrive without their lines)
    settings = clean_settings(workers=2)
    pipeline = TextPipeline.from_settings(settings)
    options = {"mode": "drop", "threshold": 0.8, "keys": True, "shingles": True}
    passes = clean_module._per_document_all(pipeline, [d.text for d in docs], options, 2)
    made_here = [p.cleaned is not None for p in passes]
    assert any(made_here) and not all(made_here)


# --- duplicates --------------------------------------------------------------------------

def test_000_001_pair_found_and_later_copy_dropped(result):
    pair = next(p for p in result.duplicate_pairs if (p["a"], p["b"]) == ("000", "001"))
    assert pair["kind"] == "near" and 0.8 <= pair["similarity"] <= 1.0
    rec = record(result, "001")
    assert (rec["kept"], rec["drop_reason"], rec["duplicate_of"]) == (False, "duplicate", "000")
    assert rec["duplicate_similarity"] == pair["similarity"]
    assert "001" not in [d.id for d in result.documents]
    assert result.summary["dropped_duplicates"] == 1


def test_keep_reports_the_pair_but_keeps_both(sample):
    result = clean_corpus(sample, clean_settings(duplicates__action="keep"))
    assert ("000", "001") in {(p["a"], p["b"]) for p in result.duplicate_pairs}
    assert record(result, "001")["kept"] and record(result, "001")["duplicate_of"] == "000"
    assert [d.id for d in result.documents] == ["000", "001", "002", "003", "004"]


def test_003_repeated_paragraphs_found_and_later_copy_dropped(result):
    found = record(result, "003")["paragraphs_removed"]
    starts = sorted(p["text"][:29] for p in found)
    assert starts == ["Pakistan's successful efforts", "The United States and Pakista"]
    assert all(0.8 <= p["similarity"] < 1.0 for p in found)
    text = text_of(result, "003")
    assert "if they want to revive" in text and "if they are to revive" not in text
    assert "inconsequential" not in text and "insignificant, given" in text


@pytest.mark.parametrize("mode, kept_key, expected", [
    ("keep", "repeated_paragraphs_kept", 2), ("off", "repeated_paragraphs_kept", 0)])
def test_repeated_paragraphs_keep_and_off(sample, mode, kept_key, expected):
    result = clean_corpus(sample, clean_settings(duplicates__paragraphs=mode))
    rec = record(result, "003")
    assert rec["paragraphs_removed"] == [] and len(rec[kept_key]) == expected
    assert "inconsequential" in text_of(result, "003")


def test_duplicates_off_reports_nothing(sample):
    result = clean_corpus(sample, clean_settings(duplicates__enabled=False))
    assert result.duplicate_pairs == [] and len(result.documents) == 5


# --- tokens ------------------------------------------------------------------------------

def tokenize(text: str, **overrides) -> list[str]:
    return TextPipeline.from_settings(clean_settings(**overrides)).tokenize(text)


def test_stop_words_english_none_and_extra():
    text = "The talks between Pakistan and the United States"
    assert tokenize(text) == ["talks", "pakistan", "united", "states"]
    assert tokenize(text, tokens__stop_words="none")[:2] == ["the", "talks"]
    assert tokenize(text, tokens__extra_stop_words=["Pakistan"]) == ["talks", "united", "states"]


def test_min_length_numbers_and_case():
    text = "In 2023 the war saw 1,007 attacks in the 1990s style"
    assert tokenize(text) == ["war", "saw", "attacks", "1990s", "style"]
    assert tokenize(text, tokens__min_length=4) == ["attacks", "1990s", "style"]
    assert tokenize(text, tokens__numbers="keep")[:3] == ["2023", "war", "saw"]
    assert "007" in tokenize(text, tokens__numbers="keep")
    assert tokenize("Washington Said so.", tokens__lowercase=False) == ["Washington", "Said"]
    assert tokenize("Washington said") == []  # a short line without punctuation: furniture


def test_apostrophes_possessives_and_contractions():
    text = "Pakistan’s envoy can't say O'Neill's team won't go; the students' union"
    assert tokenize(text, tokens__stop_words="none") == [
        "pakistan", "envoy", "can", "say", "oneill", "team", "will", "go", "the",
        "students", "union"]


def test_lemmatisation():
    text = "The talks on relations were running"
    assert tokenize(text) == ["talks", "relations", "running"]
    assert tokenize(text, tokens__lemmatize=True) == ["talk", "relation", "run"]


def test_phrases_are_learned_on_the_corpus(sample):
    result = clean_corpus(sample, clean_settings(tokens__phrases__enabled=True))
    assert {"foreign_office", "prime_minister"} <= set(tokens_of(result, "000"))
    assert "united_states" in tokens_of(result, "004")
    assert not any(t.startswith("affairs_") for t in tokens_of(result, "002"))
    fitted = TextPipeline.from_settings(clean_settings(tokens__phrases__enabled=True))
    fitted.fit([d.text for d in sample])
    assert fitted.tokenize("The prime minister spoke.") == ["prime_minister", "spoke"]


@pytest.mark.parametrize("phrases", [False, True])
def test_token_pattern_round_trips_through_tfidf(sample, phrases):
    result = clean_corpus(sample, clean_settings(tokens__phrases__enabled=phrases,
                                                 tokens__lemmatize=True))
    extra = TextPipeline.from_settings(clean_settings(tokens__min_length=1)).tokenize(
        "İstanbul naïve co-operation x_y ½ ² Ⅻ résumé ǅemal ﬁne")
    analyse = TfidfVectorizer(token_pattern=TOKEN_PATTERN, lowercase=True).build_analyzer()
    for tokens in [*result.tokens, extra]:
        assert analyse(" ".join(tokens)) == tokens


def test_pipeline_pickles_and_tokenises_a_new_text_as_in_training(sample, result, tmp_path):
    path = tmp_path / "cleaner.joblib"
    joblib.dump(result.pipeline, path)
    loaded = joblib.load(path)
    assert loaded.tokenize(sample[0].text) == tokens_of(result, "000")
    phrased = clean_corpus(sample, clean_settings(tokens__phrases__enabled=True)).pipeline
    joblib.dump(phrased, path)
    assert "foreign_office" in joblib.load(path).tokenize("Pakistan’s foreign office said.")


# --- results and errors ------------------------------------------------------------------

def test_records_and_summary_follow_the_contract(result):
    assert [r["id"] for r in result.records] == ["000", "001", "002", "003", "004"]
    assert all(RECORD_KEYS <= set(r) for r in result.records)
    json.dumps({"records": result.records, "pairs": result.duplicate_pairs,
                "summary": result.summary})
    summary = result.summary
    assert (summary["documents_in"], summary["documents_kept"]) == (5, 4)
    assert summary["lines_removed_by_reason"]["short_line"] >= 4
    assert summary["chars_after"] == sum(len(d.text) for d in result.documents)
    assert [len(t) for t in result.tokens] == [
        record(result, d.id)["n_tokens"] for d in result.documents]


def test_documents_keep_their_metadata(result, sample):
    assert [(d.id, d.outlet, d.date) for d in result.documents] == [
        (d.id, d.outlet, d.date) for d in sample if d.id != "001"]


def test_nothing_left_raises_a_one_line_cleaning_error(sample):
    with pytest.raises(CleaningError) as caught:
        clean_corpus(sample, clean_settings(min_tokens=100_000))
    message = str(caught.value)
    assert "\n" not in message and "clean.min_tokens=100000" in message
    assert "5 read" in message


def test_documents_below_min_tokens_are_dropped_and_recorded(sample):
    docs = [*sample, Document("tiny", "Short Url\nFollow\n")]
    result = clean_corpus(docs, clean_settings())
    rec = record(result, "tiny")
    assert (rec["kept"], rec["drop_reason"], rec["n_tokens"]) == (False, "too_few_tokens", 0)
    assert result.summary["dropped_empty"] == 1


@pytest.mark.parametrize("overrides, key", [
    ({"duplicates__action": "merge"}, r"clean\.duplicates\.action"),
    ({"duplicates__threshold": 1.5}, r"clean\.duplicates\.threshold"),
    ({"tokens__lemmatize": True, "tokens__language": "xx"}, r"clean\.tokens\.language"),
])
def test_bad_settings_are_config_errors_naming_the_key(sample, overrides, key):
    with pytest.raises(ConfigError, match=key):
        clean_corpus(sample, clean_settings(**overrides))
