"""Run every benchmark in turn (``make bench``); each prints its own table.

    python benchmarks/run_all.py          # every benchmark at its default size
    python benchmarks/run_all.py --quick  # the short version of each

Each benchmark also writes its figures to ``benchmarks/results/``;
``docs/performance.md`` summarises them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "bench_engine.py",
    "bench_engine_vs_mesa.py",
    "bench_compiled.py",
    "bench_floor.py",
    "bench_ecosystems.py",
    "bench_classic.py",
    "bench_app.py",
    "bench_classroom.py",
    "bench_app_sessions.py",
    "bench_sweep.py",
    "bench_startup.py",
    "bench_build.py",
    "bench_large_week.py",
]


def main() -> int:
    extra = ["--quick"] if "--quick" in sys.argv[1:] else []
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} {' '.join(extra)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / name), *extra]).returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
