"""Configs: ``defaults.yaml`` + one experiment file + ``--set`` overrides -> a validated config.

The experiment file states only what differs from the defaults. Overrides are dotted keys
(``vectorizer.min_df=2``) whose values are parsed as YAML (``2`` is an int, ``[1, 2]`` a
list, ``null`` is None). Any problem raises :class:`ConfigError` with one line naming the
file and the key path, what is allowed, and what was given.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

import research.config.schema as _schema
from research.config.yamlfile import YAML_ERRORS, parse_yaml
from research.errors import ConfigError

__all__ = ["CONFIG_DIR", "DEFAULTS_PATH", "Config", "load_config", "resolve_config_path"]

DEFAULTS_PATH = Path(__file__).with_name("defaults.yaml")
CONFIG_DIR = Path("configs")


@dataclass(frozen=True)
class Config:
    """A validated, fully resolved config and where it came from."""

    data: dict[str, Any]
    source: str
    overrides: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.data["name"] or Path(self.source).stem

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            node = node[part]
        return node


def resolve_config_path(name: str | Path) -> Path:
    """``lda.yaml`` means ``configs/lda.yaml``; a path that exists is taken as given."""
    path = Path(name)
    try:
        found = next((p for p in (path, CONFIG_DIR / path, CONFIG_DIR / f"{path}.yaml") if p.is_file()), None)
        folder = next((p for p in (path, CONFIG_DIR / path) if p.is_dir()), None)
    except OSError as exc:   # a name too long for the file system, say
        raise ConfigError(f"config {str(name)[:80]!r}: not a usable path ({exc.strerror}); "
                          f"give a path or a name from {CONFIG_DIR}/") from None
    if found is not None:
        return found
    if folder is not None:
        examples = sorted((p.name for p in folder.glob("*.yaml")), key=lambda n: (n != "lda.yaml", n))
        hint = f" such as {folder / examples[0]}" if examples else f" such as {CONFIG_DIR / 'lda.yaml'}"
        raise ConfigError(f"config {name} is a folder, not a config file; give one YAML file{hint}")
    raise ConfigError(f"config file not found: {name} (looked in ./ and {CONFIG_DIR}/); "
                      f"give a path or a name from {CONFIG_DIR}/")


def read_yaml(path: Path) -> dict[str, Any]:
    """A config file as a mapping; any problem (unreadable, not UTF-8, bad YAML, a key stated
    twice) is a :class:`ConfigError` naming the file and the line."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file; a config must be YAML") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config ({exc.strerror or type(exc).__name__}); "
                          "check the path and its permissions") from None
    try:
        data = parse_yaml(text, str(path))
    except YAML_ERRORS as exc:
        raise ConfigError(f"{path}:{_yaml_problem(exc)}; fix the file") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, got {type(data).__name__}")
    return data


def _yaml_problem(exc: BaseException) -> str:
    """' line L, column C: YAML syntax error: <problem>' (or the value PyYAML could not read)."""
    if not isinstance(exc, yaml.YAMLError):
        return f" a value YAML cannot read ({exc})"
    mark = getattr(exc, "problem_mark", None)
    where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"{where} YAML syntax error: {problem}"


@functools.lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    return read_yaml(DEFAULTS_PATH)


def load_config(name: str | Path | None = None, overrides: list[str] | tuple[str, ...] = (),
                data: dict[str, Any] | None = None) -> Config:
    """Resolve defaults + experiment file (or ``data``) + overrides, then validate."""
    merged = copy.deepcopy(_defaults())
    source = "<defaults>"
    if name is not None:
        path = resolve_config_path(name)
        source = str(path)
        _merge(merged, read_yaml(path), source, prefix="")
    if data is not None:
        source = source if name is not None else "<dict>"
        _merge(merged, copy.deepcopy(data), source, prefix="")
    for item in overrides:
        _apply_override(merged, item)
    _expand_sources(merged, source)
    _resolve_auto(merged)
    try:
        model = _schema.validate(merged)
    except ValidationError as exc:
        key, message = format_validation_error(exc)
        culprit = next((f"override '{o}'" for o in reversed(overrides)
                        if o.split("=", 1)[0].strip() == key), source)
        raise ConfigError(f"{culprit}: {message}") from None
    data = model.model_dump(mode="python")
    _check_group_by(data, source)
    return Config(data=data, source=source, overrides=tuple(overrides))


GROUP_FIELDS = ("outlet", "label", "month", "date", "title", "id")   # month: from the date


def _check_group_by(data: dict[str, Any], source: str) -> None:
    """``topics.evaluate.group_by`` names document fields or kept columns only (an unknown one
    was skipped without a word)."""
    if data["corpus"]["keep_columns"] == "all":   # any column may exist: the reader cannot tell yet
        return
    kept = list(data["corpus"]["keep_columns"])
    for group in data["topics"]["evaluate"]["group_by"]:
        if group not in GROUP_FIELDS and group not in kept:
            raise ConfigError(f"{source}: topics.evaluate.group_by: {group!r} is not a document field; use "
                              f"{', '.join(GROUP_FIELDS)} or a column named in corpus.keep_columns (now {kept})")


def _resolve_auto(merged: dict) -> None:
    """``vectorizer.kind: auto`` follows the model: counts for LDA (its likelihood draws whole
    words; TF-IDF weights are not valid input) and for embedding topics (class-based TF-IDF
    weighs each cluster's word counts, as BERTopic does), TF-IDF for everything else."""
    vectorizer, model = merged.get("vectorizer"), merged.get("model")
    if isinstance(vectorizer, dict) and vectorizer.get("kind") == "auto" and isinstance(model, dict):
        vectorizer["kind"] = "count" if model.get("kind") in ("lda", "embed") else "tfidf"


FREE_FORM = {"where", "label_map", "labels", "seed_words"}   # mappings the user fills in: replaced whole, never merged


def _merge(base: dict, update: dict, source: str, prefix: str) -> None:
    for key, value in update.items():
        path = f"{prefix}{key}"
        if key not in base:
            known = ", ".join(sorted(base)) or "(none)"
            raise ConfigError(f"{source}: unknown key '{path}'; known keys here: {known}")
        if key not in FREE_FORM and isinstance(base[key], dict) and isinstance(value, dict):
            _merge(base[key], value, source, prefix=f"{path}.")
        else:
            base[key] = value


SOURCE_KEYS = {"label": None, "group_column": None, "max_documents": None}


def _expand_sources(merged: dict, source: str) -> None:
    """Each tone source states only what differs from the corpus defaults (+ SOURCE_KEYS)."""
    corpus_defaults = _defaults()["corpus"]
    tone = merged.get("tone")
    if not isinstance(tone, dict):   # `tone: 5`: the schema names it
        return
    for key in ("extra_sources", "test_sources"):
        entries = tone.get(key)
        if not isinstance(entries, list):
            continue
        expanded = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise ConfigError(f"{source}: tone.{key}[{i}] must be a mapping of corpus keys, got {entry!r}")
            full = {**copy.deepcopy(corpus_defaults), **SOURCE_KEYS}
            _merge(full, entry, source, prefix=f"tone.{key}.{i}.")
            expanded.append(full)
        merged["tone"][key] = expanded


def _apply_override(merged: dict, item: str) -> None:
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like key.path=value (e.g. vectorizer.min_df=2)")
    dotted, raw = item.split("=", 1)
    try:
        value = parse_yaml(raw, f"override '{item}'", lines=False) if raw.strip() else ""
    except YAML_ERRORS:
        value = raw
    node = {}
    for part in reversed(dotted.strip().split(".")):
        node = {part: value}
        value = node
    _merge(merged, node, f"override '{item}'", prefix="")


def format_validation_error(exc: ValidationError) -> tuple[str, str]:
    """The first error as (key path, one line: key, what is allowed, what was given)."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"] if not _is_union_tag(p)]
    key = ".".join(loc) or "(top level)"
    given = err.get("input")
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        return key, f"unknown key '{key}'; see research/config/defaults.yaml for the valid keys"
    if err["type"] == "value_error":
        text = msg.removeprefix("Value error, ")
        match = re.match(r"([\w.]+): ", text)
        return (match.group(1) if match else key), text
    return key, f"{key}: {msg[0].lower()}{msg[1:]}, got {given!r}"


def _is_union_tag(part: Any) -> bool:
    text = str(part)
    return text.startswith(("function-", "constrained-")) or text in {
        "int", "float", "str", "bool", "list[str]", "list[int]", "none", "literal['default']"}
