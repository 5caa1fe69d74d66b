"""The Makefile's targets -> the argument list of ``python -m research`` (or pytest), no shell between.

The Makefile hands each variable over literally and single-quoted, as ``NAME=value``
arguments (``python -m research.cli.make experiment CONFIG=... SET=...``), so no value -- a
path with spaces or non-ASCII letters, a quote, ``;``, ``$`` -- is ever run as shell code.
This module then builds the command and replaces itself with it (``os.execv``):

* list variables (``SET``, ``RUNS``, ``WHERE``, ``COLUMNS``, ``GROUP``, ``PYTEST_ARGS``) are split into words the
  way a shell splits them: ``SET="vectorizer.min_df=2 seed=7"`` is two overrides, and
  ``SET="corpus.source='/data/my corpus' seed=7"`` keeps the quoted path whole (quotes
  inside a word are removed, as in a shell);
* single values (``CONFIG``, ``RUN``, ``CORPUS``, ``GRID``, ``RESULTS``, ...) are passed as
  they are, spaces included;
* switches (``QUIET``, ``VERBOSE``, ``PROGRESS``: ``1`` / ``0``, empty is off) become the
  console options ``--quiet``, ``--verbose``, ``--progress`` of experiment, apply, compare
  and sweep;
* options go first, in ``--name=value`` form, then ``--``, then the positional values, so
  a value that starts with ``-`` is never read as an option.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable

from research.errors import ResearchError

__all__ = ["command", "main", "switches", "words"]

USAGE = {
    "experiment": "make experiment CONFIG=lda.yaml [SET=\"key=value ...\"] [RESULTS=results] [QUIET=1|VERBOSE=1] [PROGRESS=1]",
    "apply": "make apply RUN=results/<run> CORPUS=<path> [SET=\"engine.kind=spark\"] [RESULTS=results]",
    "compare": "make compare [RUNS=\"a b\"] [SORT=metric] [WHERE=\"key=value c_npmi>0.1 ...\"] [COLUMNS=\"a b\"] "
               "[GROUP=\"a b\"] [FORMAT=text]",
    "export": "make export RUNS=\"results/<a> results/<b>\" TO=<store folder>",
    "sweep": "make sweep CONFIG=lda.yaml GRID=\"key=v1,v2 ...\" [JOBS=2] [SET=\"key=value ...\"]",
    "test": "make test [PYTEST_ARGS=\"-k name ...\"]",
    "test-spark": "make test-spark [PYTEST_ARGS=\"-k name ...\"]",
}


class MakeError(ResearchError):
    """A make variable that cannot be turned into arguments (printed as one ``error:`` line)."""


def words(name: str, value: str) -> list[str]:
    """``value`` split like shell words; a quote left open is a :class:`MakeError`."""
    try:
        return shlex.split(value)
    except ValueError as exc:
        raise MakeError(f"{name}: {exc} in {value!r}; quote a value with spaces as "
                        f"{name}=\"key='a value' ...\" and close every quote") from None


def _required(values: dict[str, str], target: str, *names: str) -> None:
    missing = [n for n in names if not values.get(n, "").strip()]
    if missing:
        raise MakeError(f"make {target} needs {' and '.join(missing)}: {USAGE[target]}")


def _experiment(v: dict[str, str]) -> list[str]:
    _required(v, "experiment", "CONFIG")
    sets = [f"--set={s}" for s in words("SET", v.get("SET", ""))]
    return ["experiment", *sets, f"--results={v.get('RESULTS') or 'results'}", "--", v["CONFIG"]]


def _apply(v: dict[str, str]) -> list[str]:
    _required(v, "apply", "RUN", "CORPUS")
    sets = [f"--set={s}" for s in words("SET", v.get("SET", ""))]
    return ["apply", *sets, f"--results={v.get('RESULTS') or 'results'}", "--", v["RUN"], v["CORPUS"]]


def _compare(v: dict[str, str]) -> list[str]:
    args = ["compare", f"--results={v.get('RESULTS') or 'results'}", f"--format={v.get('FORMAT') or 'text'}"]
    if v.get("SORT"):
        args.append(f"--sort={v['SORT']}")
    args += [f"--where={w}" for w in words("WHERE", v.get("WHERE", ""))]
    args += [f"--columns={c}" for c in words("COLUMNS", v.get("COLUMNS", ""))]
    args += [f"--group-by={g}" for g in words("GROUP", v.get("GROUP", ""))]
    return [*args, "--", *words("RUNS", v.get("RUNS", ""))]


def _sweep(v: dict[str, str]) -> list[str]:
    _required(v, "sweep", "CONFIG", "GRID")
    sets = [f"--set={s}" for s in words("SET", v.get("SET", ""))]
    return ["sweep", f"--grid={v['GRID']}", f"--jobs={v.get('JOBS') or '2'}", *sets,
            f"--results={v.get('RESULTS') or 'results'}", "--", v["CONFIG"]]


def _export(v: dict[str, str]) -> list[str]:
    _required(v, "export", "RUNS", "TO")
    return ["export", f"--to={v['TO']}", f"--results={v.get('RESULTS') or 'results'}", "--", "mlflow",
            *words("RUNS", v["RUNS"])]


TARGETS: dict[str, Callable[[dict[str, str]], list[str]]] = {
    "experiment": _experiment, "apply": _apply, "compare": _compare, "sweep": _sweep, "export": _export,
}
SWITCHES = {"QUIET": "--quiet", "VERBOSE": "--verbose", "PROGRESS": "--progress"}
ON, OFF = ("1", "yes", "true", "on"), ("", "0", "no", "false", "off")


def switches(values: dict[str, str]) -> list[str]:
    """``QUIET=1`` -> ``--quiet`` (and VERBOSE, PROGRESS); a value that is neither on nor off is refused."""
    out = []
    for name, option in SWITCHES.items():
        value = values.get(name, "").strip().lower()
        if value not in ON + OFF:
            raise MakeError(f"{name}={values[name]!r}: give {name}=1 (on) or {name}=0 (off)")
        if value in ON:
            out.append(option)
    if "--quiet" in out and "--verbose" in out:
        raise MakeError("QUIET=1 and VERBOSE=1 contradict each other; give one of them")
    return out


def command(target: str, values: dict[str, str]) -> list[str]:
    """The full argument list (interpreter first) that ``make <target>`` runs."""
    if target == "test":   # the Spark engine's tests need its extra and Java: make test-spark
        return [sys.executable, "-m", "pytest", "-n", "2", "--ignore=tests/spark",
                *words("PYTEST_ARGS", values.get("PYTEST_ARGS", ""))]
    if target == "test-spark":   # one process: one JVM, one local[2] session shared by every test
        return [sys.executable, "-m", "pytest", "tests/spark", *words("PYTEST_ARGS", values.get("PYTEST_ARGS", ""))]
    if target not in TARGETS:
        raise MakeError(f"unknown make target {target!r}; one of {', '.join([*TARGETS, 'test', 'test-spark'])}")
    args = TARGETS[target](values)
    return [sys.executable, "-m", "research", args[0], *switches(values), *args[1:]]


def main(argv: list[str]) -> int:
    if not argv:
        print("error: usage: python -m research.cli.make TARGET NAME=value ...", file=sys.stderr)
        return 2
    values = dict(arg.split("=", 1) for arg in argv[1:] if "=" in arg)
    try:
        args = command(argv[0], values)
    except MakeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    os.execv(args[0], args)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
