"""`make bench`: every benchmark table, one section after another."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECTIONS = ["bench_backbone.py", "bench_clean.py", "bench_topics.py", "bench_lda_backends.py", "bench_tone.py", "bench_tone_finetune.py", "bench_compare.py",
            "bench_script.py", "bench_stream_clean.py", "bench_scale.py", "bench_spark.py"]

if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    for name in SECTIONS:
        if (HERE / name).is_file():
            print(f"\n=== {name} ===", flush=True)
            try:
                runpy.run_path(str(HERE / name), run_name="__main__")
            except SystemExit as exc:   # a section's own exit code must not end the others
                if exc.code not in (0, None):
                    print(f"{name} exited with {exc.code}", flush=True)
