"""The ``compare``, ``sweep``, ``report`` and ``cache`` commands, listed in :data:`EXTRA_COMMANDS` for :mod:`research.cli.main`.

The heavy modules (pandas, joblib, matplotlib) are
imported only when a command runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["EXTRA_COMMANDS"]


def _add_compare_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="*", metavar="RUN",
                        help="run folders, run ids, folders of runs, globs or a sweep folder "
                             "(default: every run under --results); two or more runs: side by side")
    parser.add_argument("--results", default="results", help="folder of run folders (default: results)")
    parser.add_argument("--sort", metavar="METRIC", help="best first (ascending for perplexity, brier, centroid_distance, "
                                                         "reconstruction_error)")
    parser.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                        help="keep runs whose config key, metric or run.json field matches, e.g. model.kind=nmf, "
                             "status=failed, seed!=1, c_npmi>0.1, topics.num_topics>=10 (also <, <=; "
                             "repeatable; all must hold)")
    parser.add_argument("--columns", action="append", default=[], metavar="NAMES",
                        help='the columns to show after run, in order: config keys, metrics or run.json fields, '
                             'e.g. "c_npmi topic_diversity model.kind"')
    parser.add_argument("--group-by", action="append", default=[], metavar="KEYS",
                        help='one row per combination of these keys with n and the mean ± std of each numeric '
                             'column, e.g. "model.kind topics.num_topics" (the spread over seeds)')
    parser.add_argument("--format", default="text", choices=["text", "markdown", "csv", "json"])
    parser.add_argument("--figure", metavar="METRIC", help="also write a bar figure of METRIC across the runs")
    parser.add_argument("--figure-path", metavar="PNG",
                        help="where to write it (default: <results>/compare-<METRIC>-<time>.png)")


def _cmd_compare(args: argparse.Namespace) -> int:
    from research.runs.compare import collect, plot_metric

    comparison = collect(args.runs, results_dir=args.results, where=args.where, sort=args.sort,
                         columns=args.columns, group_by=args.group_by)
    text = comparison.render(args.format)
    figure = None
    if args.figure:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path(args.figure_path or Path(args.results) / f"compare-{args.figure}-{stamp}.png")
        figure = plot_metric(comparison, args.figure, path)
    sys.stdout.write(text)
    if figure:  # csv and json stay parseable: the path goes to stderr
        print(f"figure: {figure}", file=sys.stderr if args.format in ("csv", "json") else sys.stdout)
    return 0


def _add_sweep_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="configs/NAME.yaml, NAME.yaml, NAME, or a path")
    parser.add_argument("--grid", action="append", required=True, metavar='"KEY=V1,V2 KEY=V1,V2"',
                        help="the values to combine (cartesian product), e.g. "
                             '"topics.num_topics=10,20,40 seed=1,2,3"')
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override for every combination (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel (default: 2; -1: every core)")
    parser.add_argument("--results", default="results", help="folder for run folders (default: results)")


def _cmd_sweep(args: argparse.Namespace) -> int:
    import json

    from research.experiment.sweep import SWEEP_FILE, run_sweep

    folder = run_sweep(args.config, args.grid, overrides=args.set, jobs=args.jobs,
                       results_dir=args.results, command=sys.argv)
    combos = json.loads((folder / SWEEP_FILE).read_text(encoding="utf-8"))["combinations"]
    failed = sum(c["status"] != "complete" for c in combos)
    if failed:
        print(f"warning: {failed} of {len(combos)} combinations failed; see {folder / SWEEP_FILE}",
              file=sys.stderr)
    print(folder)
    return 1 if failed else 0


def _add_report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run folder (or a run id under --results)")
    parser.add_argument("--results", default="results", help="folder of run folders (default: results)")


def _cmd_report(args: argparse.Namespace) -> int:
    from research.runs.report import write_report

    folder = Path(args.run)
    if not folder.is_dir() and (Path(args.results) / args.run).is_dir():
        folder = Path(args.results) / args.run
    print(write_report(folder, update_record=True))
    return 0


def _add_cache_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["info", "clear"],
                        help="info: entries, sizes, last used, total against cache.max_size; "
                             "clear: remove every entry")
    parser.add_argument("--results", default="results",
                        help="folder of run folders whose .cache to use (default: results)")


def _cmd_cache(args: argparse.Namespace) -> int:
    from research.clean.cache import clear, describe
    from research.config.load import load_config
    from research.util.sizes import format_size, parse_size

    directory = Path(args.results) / ".cache"
    if args.action == "info":
        sys.stdout.write(describe(directory, parse_size(load_config()["cache"]["max_size"])))
    else:
        count, size = clear(directory)
        print(f"removed {count} cleaning cache entries ({format_size(size)}) from {directory}")
    return 0


def _add_export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", choices=["mlflow"], help="where to: an MLflow tracking store (SQLite, offline)")
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folders (or run ids under --results)")
    parser.add_argument("--to", required=True, metavar="DIR",
                        help="the store folder: DIR/mlflow.db and DIR/artifacts (made if missing)")
    parser.add_argument("--experiment", default="research", help="the MLflow experiment (default: research)")
    parser.add_argument("--results", default="results", help="folder of run folders (default: results)")


def _cmd_export(args: argparse.Namespace) -> int:
    from research.runs.export_mlflow import export_mlflow, tracking_uri

    folders = [Path(r) if Path(r).is_dir() or not (Path(args.results) / r).is_dir() else Path(args.results) / r
               for r in args.runs]
    for run_id, mlflow_id, action in export_mlflow(folders, args.to, args.experiment):
        print(f"{run_id}: {action} (MLflow run {mlflow_id})")
    print(f"store: {tracking_uri(args.to)}")
    return 0


#: name -> (help, add_arguments, handler); :func:`research.cli.main.build_parser` adds them.
EXTRA_COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "compare": ("compare runs: a table of settings that differ and main metrics", _add_compare_args, _cmd_compare),
    "sweep": ("run one experiment per combination of a grid of config values", _add_sweep_args, _cmd_sweep),
    "report": ("(re)write a run folder's self-contained report.html", _add_report_args, _cmd_report),
    "cache": ("the cleaning cache: info (entries, sizes, last used) or clear", _add_cache_args, _cmd_cache),
    "export": ("write run folders into an MLflow tracking store (the mlflow extra)", _add_export_args, _cmd_export),
}
