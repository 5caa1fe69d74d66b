"""Command line: ``research experiment CONFIG [--set key=value ...]`` and friends.

A user mistake prints one line ``error: ...`` on stderr and exits 2; the last line on
stdout of a successful experiment is the run folder's path.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import warnings
from collections.abc import Callable

from research.cli.extra import EXTRA_COMMANDS
from research.errors import ResearchError

__all__ = ["main"]

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _cmd_experiment(args: argparse.Namespace) -> int:
    from research.config.load import load_config

    config = load_config(args.config, args.set)
    _warm_helpers(config)
    from research.experiment.runner import run_experiment  # after the warm-up: these imports take ~1.5 s

    path = run_experiment(config, results_dir=args.results, command=sys.argv)
    print(path)
    return 0


WARM_MODULES = ("research.clean.cleaner", "research.topics.figures")   # what cleaning chunks and figures run


def _warm_helpers(config) -> None:
    """Start the helper processes while this one imports the rest, when the corpus is a file
    big enough to need them (a guess from its size; it changes no result)."""
    from pathlib import Path

    from research.util.workers import MIN_DOCUMENTS, helpers_for, warm_up

    try:
        source = Path(str(config["corpus"]["source"]))
        big = source.is_file() and source.stat().st_size >= 2_000_000
    except (OSError, KeyError, TypeError):
        big = False
    if big:
        warm_up(helpers_for(config["clean"]["workers"], MIN_DOCUMENTS), WARM_MODULES)


def _cmd_config(args: argparse.Namespace) -> int:
    import yaml

    from research.config.load import load_config

    config = load_config(args.config, args.set)
    print(yaml.safe_dump(config.data, sort_keys=False, allow_unicode=True), end="")
    return 0


def _cmd_apply(args: argparse.Namespace) -> int:
    from research.experiment.apply import apply_run

    print(apply_run(args.run, args.corpus, results_dir=args.results, command=sys.argv, trusted=args.trusted,
                    overrides=args.set))
    return 0


CONSOLE_COMMANDS = ("experiment", "apply", "sweep", "compare")


def _add_console_args(parser: argparse.ArgumentParser) -> None:
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument("--quiet", "-q", action="store_true",
                      help="only warnings and errors on stderr, no progress bars (the result's path still "
                           "goes to stdout); the run's log.txt keeps every line")
    loud.add_argument("--verbose", "-v", action="store_true", help="also debug lines")
    parser.add_argument("--progress", action="store_true",
                        help="draw progress bars even when stderr is not a terminal (also: RESEARCH_PROGRESS=1)")


def _console(args: argparse.Namespace):
    """The console for this command: levels from --quiet / --verbose, bars from --progress."""
    from research.util.console import configured

    level = logging.WARNING if getattr(args, "quiet", False) else \
        logging.DEBUG if getattr(args, "verbose", False) else logging.INFO
    progress = True if getattr(args, "progress", False) else False if getattr(args, "quiet", False) else None
    return configured(level, bars=progress)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="research", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("experiment", help="run one experiment from a config")
    exp.add_argument("config", help="configs/NAME.yaml, NAME.yaml, NAME, or a path")
    exp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a dotted config key (repeatable)")
    exp.add_argument("--results", default="results", help="folder for run folders (default: results)")
    exp.set_defaults(func=_cmd_experiment)
    show = sub.add_parser("config", help="print the fully resolved config")
    show.add_argument("config")
    show.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    show.set_defaults(func=_cmd_config)
    apply = sub.add_parser("apply", help="score a corpus with a trained tone run")
    apply.add_argument("run", help="a tone run folder under results/")
    apply.add_argument("corpus", help="a corpus path (read with the run's column settings) or 'sample'")
    apply.add_argument("--results", default="results")
    apply.add_argument("--set", action="append", default=[], metavar="engine.KEY=VALUE",
                       help="engine settings for scoring (repeatable), e.g. engine.kind=spark")
    apply.add_argument("--trusted", action="store_true",
                       help="also load a legacy run's .joblib pickles (research 0.1.0); they can run code, "
                            "so only for runs from someone you trust")
    apply.set_defaults(func=_cmd_apply)
    for name, (helptext, add_args, func) in EXTRA_COMMANDS.items():
        cmd = sub.add_parser(name, help=helptext)
        add_args(cmd)
        cmd.set_defaults(func=func)
    for name in CONSOLE_COMMANDS:
        _add_console_args(sub.choices[name])
    return parser


def _on_sigterm(signum, frame):  # pragma: no cover - exercised by a subprocess test  # noqa: ARG001
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    warnings.showwarning = _one_line_warning
    try:
        with _console(args):
            return args.func(args)
    except ResearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:   # a sweep's own line (research.experiment.sweep_interrupt) says more
        line = getattr(exc, "line", "") or "interrupted; the run (if one started) is recorded as failed"
        print(f"error: {line}", file=sys.stderr)
        return 130


def _one_line_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    from research.util.console import write_line

    write_line(f"warning: {message}")
