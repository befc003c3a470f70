"""Start-up: how long ``givetake --help`` takes, against the eager import it replaced.

Each command runs as a fresh ``python`` process, several times, interleaved so
that the machine's load falls on all of them alike; the figure is the child's
CPU time (user + system, from ``os.wait4``), median over the repeats:

(a) ``python -c pass``: the interpreter alone, the floor;
(b) ``givetake --help``: the command line as shipped (the package imports its
    public names and the heavy libraries only on first use);
(c) ``givetake <cmd> --help`` for every sub-command;
(d) the baseline: ``--help`` after importing what the package used to import
    up front (the model, every mechanism, the pattern suite: Mesa, pandas,
    networkx, SciPy).

Run:  python benchmarks/bench_startup.py [--quick]

Results are printed and written to ``benchmarks/results/startup.json``
(``startup_quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HEAVY = ("mesa", "pandas", "networkx", "scipy", "matplotlib", "pyarrow", "igraph", "dask")
EAGER = (
    "import simulation.model, simulation.mechanisms, simulation.strategies, simulation.patterns.suite; "
    "import simulation.cli as c; c.main(['--help'])"
)


def cpu_seconds(argv: list[str]) -> float:
    """CPU time (user + system) of one child process run to the end."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)}: exit code {proc.returncode}")
    return usage.ru_utime + usage.ru_stime


def heavy_modules(code: str) -> list[str]:
    """Which heavy libraries a process has imported after ``code``."""
    probe = f"{code}\nimport sys\nprint(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT)
    return [m for m in out.stdout.strip().split(",") if m]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 9")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 9)

    sys.path.insert(0, str(ROOT))
    from simulation.cli import build_parser

    commands = sorted(build_parser()._subparsers._group_actions[0].choices)
    py = sys.executable
    cases = {
        "python -c pass (floor)": [py, "-c", "pass"],
        "givetake --help": [py, "-m", "simulation.cli", "--help"],
        **{f"givetake {c} --help": [py, "-m", "simulation.cli", c, "--help"] for c in commands},
        "eager imports + --help (baseline)": [py, "-c", EAGER],
    }
    load_start = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, argv in cases.items():
            times[name].append(cpu_seconds(argv))
    load_end = os.getloadavg()

    median = {name: statistics.median(t) for name, t in times.items()}
    base = median["eager imports + --help (baseline)"]
    print(f"load average {load_start[0]:.1f} -> {load_end[0]:.1f}; {repeats} repeats; CPU seconds (median)")
    print(f"{'command':<40} {'CPU s':>7} {'min':>7} {'vs baseline':>12}")
    for name, t in times.items():
        print(f"{name:<40} {median[name]:7.3f} {min(t):7.3f} {median[name] / base:11.2f}x")
    heavy = heavy_modules("import simulation.cli as c; c.build_parser()")
    print(f"heavy libraries imported by building the parser: {', '.join(heavy) or 'none'}")

    from results_file import machine, save

    save(
        HERE / "results" / ("startup_quick.json" if args.quick else "startup.json"),
        {
            "machine": machine(load_start, load_end),
            "repeats": repeats,
            "cpu_seconds_median": median,
            "cpu_seconds_all": times,
            "heavy_imported_by_parser": heavy,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
