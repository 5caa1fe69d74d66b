"""Compare benchmark: ``research compare`` over 200 run folders.

Target (compare issue): the table of 200 runs in under 2 s. The folders are copies of real
runs on the embedded sample (one per kind the package can run: tfidf, lda, nmf, tone), each
with its own id, seed and metrics; artefacts and figures are hard links, so they are there
but cost no space (compare never opens them).

Run: ``.venv/bin/python experiments/bench_compare.py [N]`` (N run folders, default 200).
"""

from __future__ import annotations

import json
import os
import random
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
        for name, text in (("run.json", json.dumps(record, indent=2)), ("metrics.json", json.dumps(metrics, indent=2)),
                           ("config.yaml", yaml.safe_dump(config, sort_keys=False))):
            (run / name).unlink()                    # a hard link: replace, never write through
            (run / name).write_text(text)


def time_in_process(results: Path, repeat: int = 5) -> float:
    from research.comparison import collect

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        collect(results_dir=results, sort="vocabulary_size").render("text")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_command(args: list[str], repeat: int = 3) -> tuple[float, str]:
    """Median wall seconds of a fresh process (Python start-up and imports included)."""
    commands = [[sys.executable, "-m", "research", *args],
                [sys.executable, "-c", "import sys, research.cli_extra; from research.cli import main; "
                                       "sys.exit(main())", *args]]
    for command in commands:
        if subprocess.run(command, cwd=ROOT, capture_output=True).returncode == 0:
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
                times.append(time.perf_counter() - t0)
            return statistics.median(times), "-m research" if command[1] == "-m" else "-c '<import cli_extra>'"
    raise SystemExit(f"compare failed: {' '.join(args)}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    work = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    try:
        bases = base_runs(work / "bases")
        results = work / "results"
        results.mkdir()
        make_copies(bases, results, n)
        kinds = ", ".join(sorted({b.name.split("-")[2] for b in bases}))
        in_process = time_in_process(results)
        cli, how = time_command(["compare", "--results", str(results), "--sort", "vocabulary_size"])
        cli_csv, _ = time_command(["compare", "--results", str(results), "--format", "csv"])
        start_up, _ = time_command_import()
        rows = [["collect + render, in process (median of 5)", n, in_process, "< 2 s"],
                [f"python {how} compare --sort (median of 3)", n, cli, "< 2 s"],
                [f"python {how} compare --format csv (median of 3)", n, cli_csv, "< 2 s"],
                ["of which python -c 'import research' (start-up, median of 3)", "-", start_up, "-"]]
        print(table(f"Compare over {n} run folders ({kinds}; wall seconds)",
                    ["what", "runs", "wall_s", "target"], rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def time_command_import(repeat: int = 3) -> tuple[float, str]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import research"], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), "import research"


if __name__ == "__main__":
    main()
