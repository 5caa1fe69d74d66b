"""Compare benchmark: ``research compare`` over 200 and 1,000 run folders.

Targets: the table of 200 runs in under 2 s (compare issue), and of 1,000 runs in under 2 s
too (issue 10; it took 3.3 s while compare parsed every config.yaml: runs now keep a JSON
copy of it in run.json, used while the file's SHA-256 still matches). The folders are copies of real
runs on the embedded sample (one per kind the package can run: tfidf, lda, nmf, tone), each
with its own id, seed and metrics; artefacts and figures are hard links, so they are there
but cost no space (compare never opens them).

Run: ``.venv/bin/python experiments/bench_compare.py [N ...]`` (run folders; default 200 1000).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _bench import ROOT, table

sys.path.insert(0, str(ROOT))

KINDS = {"tfidf": "tfidf.yaml", "lda": "lda.yaml", "nmf": "nmf.yaml", "tone": "tone.yaml"}


def base_runs(folder: Path) -> list[Path]:
    """One real run per kind whose config exists and runs here."""
    import research

    runs = []
    for kind, config in KINDS.items():
        if not (ROOT / "configs" / config).is_file():
            continue
        try:
            runs.append(research.run_experiment(research.load_config(ROOT / "configs" / config),
                                                results_dir=folder))
        except research.ResearchError as exc:
            print(f"(skipping {kind}: {exc})", file=sys.stderr)
    return runs


def make_copies(bases: list[Path], results: Path, n: int) -> None:
    rng = random.Random(0)
    for i in range(n):
        base = bases[i % len(bases)]
        run = results / f"{base.name[:15]}-{base.name.split('-')[2]}-{i:06x}"
        shutil.copytree(base, run, copy_function=os.link)
        record = json.loads((base / "run.json").read_text())
        record.update(id=run.name, seed=i)
        config = yaml.safe_load((base / "config.yaml").read_text())
        config["seed"] = i
        metrics = {k: v * (0.9 + 0.2 * rng.random()) if isinstance(v, float) else v
                   for k, v in json.loads((base / "metrics.json").read_text()).items()}
        texts = {"metrics.json": json.dumps(metrics, indent=2), "config.yaml": yaml.safe_dump(config, sort_keys=False)}
        digests = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in texts.items()}
        record["artifacts"].update(digests)          # a copy as a run would have written it:
        record.update(config=config, config_sha256=digests["config.yaml"])   # not "edited"
        for name, text in (("run.json", json.dumps(record, indent=2)), *texts.items()):
            (run / name).unlink()                    # a hard link: replace, never write through
            (run / name).write_text(text)


def time_in_process(results: Path, repeat: int = 5) -> tuple[float, float]:
    """Median wall and CPU seconds of collect + render in this process."""
    from research.runs.compare import collect

    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        collect(results_dir=results, sort="vocabulary_size").render("text")
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(args: list[str], repeat: int = 3) -> tuple[float, float, str]:
    """Median wall and CPU seconds of a fresh process (Python start-up and imports included).
    CPU seconds say what the command costs when other work shares the cores."""
    commands = [[sys.executable, "-m", "research", *args],
                [sys.executable, "-c", "import sys, research.cli.extra; from research.cli.main import main; "
                                       "sys.exit(main())", *args]]
    for command in commands:
        if subprocess.run(command, cwd=ROOT, capture_output=True).returncode == 0:
            walls, cpus = [], []
            for _ in range(repeat):
                t0, c0 = time.perf_counter(), _children_cpu()
                subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
                walls.append(time.perf_counter() - t0)
                cpus.append(_children_cpu() - c0)
            how = "-m research" if command[1] == "-m" else "-c '<import cli_extra>'"
            return statistics.median(walls), statistics.median(cpus), how
    raise SystemExit(f"compare failed: {' '.join(args)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[200, 1000], help="run folders per table")
    sizes = parser.parse_args().sizes
    work = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    try:
        bases = base_runs(work / "bases")
        kinds = ", ".join(sorted({b.name.split("-")[2] for b in bases}))
        for n in sizes:
            results = work / f"results-{n}"
            results.mkdir()
            make_copies(bases, results, n)
            print(table(f"Compare over {n} run folders ({kinds}; wall seconds)",
                        ["what", "runs", "wall_s", "cpu_s", "target"], time_rows(results, n)))
            shutil.rmtree(results, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def time_rows(results: Path, n: int) -> list[list]:
    in_process = time_in_process(results)
    cli = time_command(["compare", "--results", str(results), "--sort", "vocabulary_size"])
    cli_csv = time_command(["compare", "--results", str(results), "--format", "csv"])
    start_up = time_command_import()
    return [["collect + render, in process (median of 5)", n, *in_process, "< 2 s"],
            [f"python {cli[2]} compare --sort (median of 3)", n, *cli[:2], "< 2 s"],
            [f"python {cli[2]} compare --format csv (median of 3)", n, *cli_csv[:2], "< 2 s"],
            ["of which python -c 'import research' (start-up, median of 3)", "-", *start_up, "-"]]


def time_command_import(repeat: int = 3) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), _children_cpu()
        subprocess.run([sys.executable, "-c", "import research"], cwd=ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - c0)
    return statistics.median(walls), statistics.median(cpus)


if __name__ == "__main__":
    main()
