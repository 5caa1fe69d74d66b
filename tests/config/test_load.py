from pathlib import Path

import pytest
import yaml

from research.config.load import DEFAULTS_PATH, load_config
from research.errors import ConfigError
from tests.helpers import ROOT, write_config

CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_every_shipped_config_loads(path):
    config = load_config(path)
    assert config.name
    assert config["model"]["kind"]


def test_defaults_file_is_complete_and_valid():
    config = load_config(None)
    defaults = yaml.safe_load(DEFAULTS_PATH.read_text())
    assert set(config.data) == set(defaults)


def test_experiment_file_overrides_only_what_it_states(tmp_path):
    path = write_config(tmp_path, {"vectorizer": {"min_df": 2}})
    config = load_config(path)
    assert config["vectorizer"]["min_df"] == 2
    assert config["vectorizer"]["max_df"] == load_config(None)["vectorizer"]["max_df"]
    assert config.name == "exp"


def test_dotted_overrides_parse_yaml_values():
    config = load_config("tfidf.yaml", ["vectorizer.min_df=2", "seed=7", "vectorizer.ngram_range=[1, 2]",
                                        "vectorizer.max_features=null"])
    assert config["seed"] == 7
    assert config["vectorizer"]["min_df"] == 2
    assert config["vectorizer"]["ngram_range"] == [1, 2]
    assert config["vectorizer"]["max_features"] is None


def test_config_by_bare_name_and_path():
    assert load_config("tfidf").source == load_config("configs/tfidf.yaml").source


@pytest.mark.parametrize("overrides, key, allowed", [
    (["vectorizer.min_df=-1"], "vectorizer.min_df", "integer >= 0"),
    (["vectorizer.kind=bm25"], "vectorizer.kind", "'tfidf' or 'count'"),
    (["seed=abc"], "seed", "valid integer"),
    (["clean.duplicates.threshold=0"], "clean.duplicates.threshold", "greater than 0"),
    (["clean.tokens.min_length=2.5"], "clean.tokens.min_length", "valid integer"),
    (["vectorizer.ngram_range=[2, 1]"], "vectorizer.ngram_range", "min <= max"),
])
def test_bad_values_name_key_allowed_and_given(overrides, key, allowed):
    with pytest.raises(ConfigError) as info:
        load_config("tfidf.yaml", overrides)
    message = str(info.value)
    assert key in message and allowed in message
    assert overrides[0].split("=", 1)[1].strip("[]").split(",")[0] in message
    assert "\n" not in message


@pytest.mark.parametrize("data, key", [
    ({"vectoriser": {"min_df": 2}}, "vectoriser"),
    ({"clean": {"tokens": {"stopwords": "english"}}}, "clean.tokens.stopwords"),
])
def test_unknown_keys_are_rejected_with_their_path(tmp_path, data, key):
    with pytest.raises(ConfigError, match=f"unknown key '{key}'"):
        load_config(write_config(tmp_path, data))


def test_missing_file_and_yaml_syntax_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found: nope.yaml"):
        load_config("nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("vectorizer:\n  min_df: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: line \d+, column \d+: YAML syntax error"):
        load_config(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(scalar)


def test_override_without_equals_is_rejected():
    with pytest.raises(ConfigError, match="key.path=value"):
        load_config("tfidf.yaml", ["seed"])


def test_resolved_config_round_trips(tmp_path):
    config = load_config("tfidf.yaml", ["seed=3"])
    path = tmp_path / "resolved.yaml"
    path.write_text(yaml.safe_dump(config.data), encoding="utf-8")
    assert load_config(path).data == {**config.data, "name": config.data["name"]}


def test_configs_dir_exists():
    assert Path(ROOT / "configs" / "tfidf.yaml").is_file()


def test_a_schema_level_unknown_key_names_the_defaults_file_that_lists_the_valid_ones():
    from pydantic import ValidationError

    from research.config.load import DEFAULTS_PATH, format_validation_error
    from research.config.schema import UnicodeCfg

    with pytest.raises(ValidationError) as caught:
        UnicodeCfg.model_validate({"repair": True, "drop_junk": True, "fix": True})
    key, message = format_validation_error(caught.value)
    assert key == "fix" and message.startswith("unknown key 'fix'; see ")
    named = message.split("; see ", 1)[1].split(" ", 1)[0]
    assert (Path(__file__).resolve().parents[2] / named).resolve() == DEFAULTS_PATH.resolve()


def test_vectorizer_kind_follows_the_model_unless_set(tmp_path):
    """An own-corpus LDA config that names no vectoriser gets counts (LDA cannot take TF-IDF);
    everything else TF-IDF; a stated kind is kept (and an LDA on TF-IDF is still refused)."""
    import research

    assert load_config(None, ["model.kind=lda"])["vectorizer"]["kind"] == "count"
    assert load_config(None, ["model.kind=nmf"])["vectorizer"]["kind"] == "tfidf"
    assert load_config(None)["vectorizer"]["kind"] == "tfidf"
    assert load_config(None, ["model.kind=lda", "vectorizer.kind=tfidf"])["vectorizer"]["kind"] == "tfidf"
    path = write_config(tmp_path, {"model": {"kind": "lda"}, "topics": {"num_topics": 2},
                                   "corpus": {"source": "sample"}})
    run = research.run_experiment(load_config(path), results_dir=tmp_path / "results")
    assert yaml.safe_load((run / "config.yaml").read_text())["vectorizer"]["kind"] == "count"
    with pytest.raises(ConfigError, match="set vectorizer.kind: count"):
        research.run_experiment(load_config(path, ["vectorizer.kind=tfidf"]), results_dir=tmp_path / "results")


def test_group_by_names_fields_or_kept_columns_only():
    with pytest.raises(ConfigError, match=r"topics.evaluate.group_by: 'year' is not a document field; use outlet.*"
                                          r"corpus.keep_columns \(now \['split'\]\)"):
        load_config("nmf_20newsgroups.yaml", ["topics.evaluate.group_by=[label, year]"])
    config = load_config("nmf_20newsgroups.yaml", ["topics.evaluate.group_by=[label, split, month]"])
    assert config["topics"]["evaluate"]["group_by"] == ["label", "split", "month"]
