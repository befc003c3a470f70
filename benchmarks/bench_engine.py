"""Engine scale benchmark: time per step and peak memory of the default scenario.

Each size runs in a fresh Python process, so its peak resident memory is its own.
Times are CPU time of that process (``time.process_time``), which is steadier
than wall-clock time on a shared machine; wall time is reported too.

    python benchmarks/bench_engine.py            # 1k x 1000, 10k x 100, 100k x 20 steps
    python benchmarks/bench_engine.py --full     # 100k x 1000 steps as well (long)
    python benchmarks/bench_engine.py --quick    # 1k x 200, 10k x 20

Results are printed and written to ``benchmarks/results/engine_scale.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "engine_scale.json"

CHILD = """
import json, resource, sys, time
from simulation import GiveTakeModel
n, steps, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t0, w0 = time.process_time(), time.perf_counter()
model = GiveTakeModel(rng=seed, population__size=n)
build_cpu, build_wall = time.process_time() - t0, time.perf_counter() - w0
t0, w0 = time.process_time(), time.perf_counter()
model.run_for(steps)
cpu, wall = time.process_time() - t0, time.perf_counter() - w0
df = model.datacollector.get_model_vars_dataframe()
print(json.dumps({
    "members": n, "steps": steps, "build_s": build_cpu, "build_wall_s": build_wall,
    "ms_per_step": 1e3 * cpu / steps, "wall_ms_per_step": 1e3 * wall / steps,
    "total_s": cpu, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "mean_degree_start": float(df["mean_degree"].iloc[0]), "mean_degree_end": float(df["mean_degree"].iloc[-1]),
}))
"""


def measure(n: int, steps: int, seed: int = 1) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(steps), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--full", action="store_true", help="also 100,000 members x 1,000 steps")
    args = parser.parse_args()
    plan = [(1_000, 200), (10_000, 20)] if args.quick else [(1_000, 1_000), (10_000, 100), (100_000, 20)]
    if args.full:
        plan.append((100_000, 1_000))
    rows = []
    print(
        f"{'members':>9} {'steps':>6} {'build s':>8} {'ms/step':>9} {'wall ms':>9} {'total s':>8} {'peak MB':>8} {'degree':>12}"
    )
    for n, steps in plan:
        r = measure(n, steps)
        rows.append(r)
        print(
            f"{n:>9,} {steps:>6} {r['build_s']:>8.2f} {r['ms_per_step']:>9.2f} {r['wall_ms_per_step']:>9.2f} "
            f"{r['total_s']:>8.2f} {r['peak_rss_mb']:>8.0f} {r['mean_degree_start']:>5.1f}->{r['mean_degree_end']:<5.1f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%d %H:%M:%S"),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "load_average": list(__import__("os").getloadavg()),
                "self_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
