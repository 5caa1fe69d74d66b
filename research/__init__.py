"""research: config-driven topic modelling and tone classification for news corpora.

corpus -> clean -> vectorise -> model -> evaluate -> run folder -> compare / reuse
"""

from .config import Config, load_config
from .corpus import CorpusWarning, read_corpus
from .documents import Document
from .errors import (CleaningError, ConfigError, CorpusError, ModelError, ResearchError, RunError,
                     VectorizerError)
from .experiment import run_experiment
from .reuse import Run, VersionWarning, load_run

__version__ = "0.1.0"

__all__ = [
    "Config",
    "CleaningError",
    "ConfigError",
    "CorpusError",
    "CorpusWarning",
    "Document",
    "ModelError",
    "ResearchError",
    "Run",
    "RunError",
    "VectorizerError",
    "VersionWarning",
    "load_config",
    "load_run",
    "read_corpus",
    "run_experiment",
]
