"""One exception hierarchy for the package.

Every user mistake (a bad config, a corpus that cannot be read, a setting that empties the
vocabulary, a run folder that cannot be reused) raises a subclass of ``ResearchError``
whose message is one line naming the file or config key and what to do about it. The
command line prints that line and exits with code 2; library code lets it propagate.

    ResearchError
    ├── ConfigError        a config file or override is missing, malformed or out of range
    ├── CorpusError        a corpus path/format/column cannot be read as documents
    ├── CleaningError      nothing is left after cleaning
    ├── VectorizerError    the vectoriser settings leave no vocabulary
    ├── ModelError         model settings that cannot work with this corpus
    │   └── ParameterError   an estimator parameter out of range (also a ValueError)
    └── RunError           a run folder that is missing, incomplete or altered
        └── UnscorableError  texts a reused run cannot read (asked to refuse them)
"""

from __future__ import annotations

__all__ = [
    "CleaningError",
    "ConfigError",
    "CorpusError",
    "ModelError",
    "ParameterError",
    "ResearchError",
    "RunError",
    "UnscorableError",
    "VectorizerError",
]


class ResearchError(Exception):
    """Base class: a user-facing error whose message is a single line."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class ConfigError(ResearchError):
    """A config file or ``--set`` override is missing, malformed or out of range."""


class CorpusError(ResearchError):
    """A corpus cannot be read as documents."""


class CleaningError(ResearchError):
    """Cleaning left no usable documents."""


class VectorizerError(ResearchError):
    """Vectoriser settings that leave no vocabulary."""


class ModelError(ResearchError):
    """Model settings that cannot work with the given corpus."""


class ParameterError(ModelError, ValueError):
    """A library-level parameter that is not allowed: names the parameter, what is allowed and
    what was given. Also a ``ValueError``, as scikit-learn's own parameter errors are.

    ``ParameterError("max_iter", "an integer >= 1", 0)`` reads ``max_iter must be an integer
    >= 1; got 0``. The experiment layer, which knows where the value came from, re-raises it
    with :meth:`at` so that it names the config key instead (``topics.nmf_sklearn.max_iter
    must be ...``): the message is rebuilt from the same fields, never edited as a string.
    """

    def __init__(self, param: str, allowed: str, given: object, key: str | None = None):
        self.param, self.allowed, self.given, self.key = param, allowed, given, key
        super().__init__(f"{key or param} must be {allowed}; got {given!r}")

    def at(self, key: str) -> ParameterError:
        """The same error, naming the config ``key`` the parameter was read from."""
        return type(self)(self.param, self.allowed, self.given, key)

    def __reduce__(self):  # picklable across worker processes
        return type(self), (self.param, self.allowed, self.given, self.key)


class RunError(ResearchError):
    """A run folder that is missing, incomplete, altered or of the wrong kind."""


class UnscorableError(RunError):
    """Texts given to a reused run leave it nothing to read (``empty="raise"``)."""
