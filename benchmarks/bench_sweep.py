"""Sweep throughput, executor overhead and memory as runs grow.

Prints, all measured in this run:

1. throughput of a real sweep (runs per minute) with the serial executor, the process
   pool with 1 and 2 workers and Dask (local cluster) with 2 workers, and the speed-up of
   2 workers over 1;
2. per-run overhead of each executor: start-up time, and the cost per task of sending a
   task that does nothing and getting its result back;
3. memory of the sweep process for N and 4N runs (peak traced Python allocations while
   results stream to disk), against the baseline of keeping every result in one list;
4. the networking-styles experiment (``--styles-reps`` replications of each of its 30
   scenario-and-share settings), wall-clock time of a serial sweep and of a 2-worker process
   sweep whose workers write their own runs' files, and, as the baseline, the same 2-worker
   pool sending every run's tables back for the sweep process to write (how sweeps
   worked before), with that process's CPU time per run.

Usage: ``python benchmarks/bench_sweep.py [--runs 40] [--size 200] [--steps 60] [--styles-reps 1] [--quick]``;
the figures are also written to ``benchmarks/results/sweep.json`` (``sweep_quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

from simulation.executors import make_executor
from simulation.experiment import Experiment, load_experiment
from simulation.io import write_json
from simulation.sweep import perform_run, run_sweep

RESULTS = Path(__file__).resolve().parent / "results" / "sweep.json"


def experiment(runs: int, size: int, steps: int, seed: int = 1) -> Experiment:
    world = {"population": {"size": size}, "network": {"mean_degree": min(10, size // 4)}}
    return Experiment.from_dict(
        {
            "name": "bench",
            "scenarios": [
                {"scenario": world, "label": "a"},
                {"scenario": {**world, "mechanisms": {"exchange": {"b": 4.0}}}, "label": "b"},
            ],
            "replications": max(1, runs // 2),
            "steps": steps,
            "seed": seed,
        }
    )


def _noop(x: int) -> int:
    return x


def throughput(exp: Experiment, tmp: Path) -> dict[str, dict[str, float]]:
    """Runs per minute of each executor: overall (start-up included) and steady (between
    the first and the last finished run, from the store's log)."""
    import json

    perform_run(exp.runs()[0])  # the serial executor runs in this process: warm it up like a worker
    rows: dict[str, dict[str, float]] = {}
    runs = len(exp.runs())
    for label, kind, workers in [
        ("serial", "serial", 1),
        ("process, 1 worker", "process", 1),
        ("process, 2 workers", "process", 2),
        ("dask local, 2 workers", "dask", 2),
    ]:
        out = tmp / label.replace(" ", "_").replace(",", "")
        t = time.perf_counter()
        res = run_sweep(exp, out, executor=kind, workers=workers, progress=False)
        wall = time.perf_counter() - t
        assert res.failed == 0, res.failed_ids
        finished = sorted(
            json.loads(line)["finished"] for line in (out / "log.jsonl").read_text().splitlines()
        )
        steady = (
            (len(finished) - 1) / (finished[-1] - finished[0]) * 60
            if finished[-1] > finished[0]
            else float("nan")
        )
        rows[label] = {"overall": res.done / wall * 60, "steady": steady, "workers": workers}
        print(
            f"  {label:24s} {res.done:4d} runs in {wall:6.1f} s  = {rows[label]['overall']:7.1f} runs/min overall, "
            f"{steady:7.1f} runs/min steady"
        )
        shutil.rmtree(out)
    serial_s = runs / rows["serial"]["steady"] * 60
    for label, row in rows.items():
        # worker-seconds per run beyond a run's own time in this process, in steady state
        extra = (60 / row["steady"] * row["workers"]) - serial_s / runs
        row["overhead_ms_per_run"] = extra * 1e3
        print(f"  per-run overhead of {label:24s}: {extra * 1e3:8.1f} ms of worker time (steady state)")
    one, two = rows["process, 1 worker"]["steady"], rows["process, 2 workers"]["steady"]
    print(f"  speed-up of 2 process workers over 1 (steady): {two / one:.2f}x (ideal 2.00x on 2 free cores)")
    return rows


def overhead(tasks: int = 400) -> dict[str, dict[str, float]]:
    rows = {}
    for kind in ("serial", "process", "dask"):
        t = time.perf_counter()
        with make_executor(kind, workers=2) as ex:
            list(ex.imap(_noop, range(4)))  # first results: workers are up
            started = time.perf_counter() - t
            t1 = time.perf_counter()
            n = sum(1 for _ in ex.imap(_noop, range(tasks)))
            per = (time.perf_counter() - t1) / n
        print(f"  {kind:8s} start-up {started:6.2f} s   per task {per * 1e3:7.3f} ms")
        rows[kind] = {"startup_s": round(started, 3), "per_task_ms": round(per * 1e3, 4)}
    return rows


def memory(exp_small: Experiment, exp_large: Experiment, tmp: Path) -> dict[str, float]:
    def streamed(exp: Experiment, out: Path) -> float:
        gc.collect()
        tracemalloc.start()
        run_sweep(exp, out, executor="process", workers=2, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        shutil.rmtree(out)
        return peak / 2**20

    def in_memory(exp: Experiment) -> float:
        gc.collect()
        tracemalloc.start()
        with make_executor("process", workers=2) as ex:
            kept = [r for _, r in ex.imap(perform_run, exp.runs())]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del kept
        return peak / 2**20

    n_small, n_large = len(exp_small.runs()), len(exp_large.runs())
    s_small, s_large = streamed(exp_small, tmp / "m1"), streamed(exp_large, tmp / "m2")
    l_small, l_large = in_memory(exp_small), in_memory(exp_large)
    print(
        f"  streamed to disk : {n_small:4d} runs peak {s_small:7.1f} MiB, {n_large:4d} runs peak {s_large:7.1f} MiB"
        f"  -> ratio {s_large / s_small:.2f}"
    )
    print(
        f"  baseline, a list : {n_small:4d} runs peak {l_small:7.1f} MiB, {n_large:4d} runs peak {l_large:7.1f} MiB"
        f"  -> ratio {l_large / l_small:.2f}"
    )
    return {
        "runs": [n_small, n_large],
        "streamed_peak_mib": [round(s_small, 2), round(s_large, 2)],
        "list_peak_mib": [round(l_small, 2), round(l_large, 2)],
        "streamed_ratio": round(s_large / s_small, 3),
        "list_ratio": round(l_large / l_small, 3),
    }


def styles(reps: int, tmp: Path, steps: int | None = None) -> dict[str, float]:
    """The networking-styles experiment: serial, 2 workers writing, 2 workers sending tables back."""
    from simulation.store import Store

    exp = load_experiment("networking_styles")
    specs = exp.runs(replications=reps, steps=steps)
    perform_run(specs[0])  # the serial sweep runs in this process: warm it up like a worker
    row: dict[str, float] = {"runs": len(specs), "steps": specs[0].steps, "load_start": os.getloadavg()[0]}

    def timed(f) -> tuple[float, float]:
        w, c = time.perf_counter(), time.process_time()
        f()
        return time.perf_counter() - w, time.process_time() - c

    row["serial_s"], _ = timed(
        lambda: run_sweep(exp, tmp / "s1", executor="serial", replications=reps, steps=steps, progress=False)
    )
    row["workers_write_s"], row["workers_write_parent_cpu_s"] = timed(
        lambda: run_sweep(
            exp, tmp / "s2", executor="process", workers=2, replications=reps, steps=steps, progress=False
        )
    )

    def parent_writes() -> None:
        store = Store(tmp / "s3")
        with make_executor("process", workers=2) as ex:
            for spec, outcome in ex.imap(perform_run, specs):
                store.write_run(spec.run_id, outcome.tables)

    row["parent_writes_s"], row["parent_writes_parent_cpu_s"] = timed(parent_writes)
    same = Store(tmp / "s1").recorded_files() == Store(tmp / "s2").recorded_files()
    row["load_end"] = os.getloadavg()[0]
    n = len(specs)
    print(
        f"  {n} runs: serial {row['serial_s']:.1f} s; 2 workers writing their runs {row['workers_write_s']:.1f} s "
        f"({row['serial_s'] / row['workers_write_s']:.2f}x serial; sweep process "
        f"{row['workers_write_parent_cpu_s'] / n * 1e3:.1f} ms CPU a run); "
        f"2 workers, sweep process writing {row['parent_writes_s']:.1f} s "
        f"({row['serial_s'] / row['parent_writes_s']:.2f}x; {row['parent_writes_parent_cpu_s'] / n * 1e3:.1f} ms CPU a run)"
    )
    print(
        f"  stores byte-identical (serial vs 2 workers): {same}; load average {row['load_start']:.1f} -> {row['load_end']:.1f}"
    )
    row["speed_up_workers_write"] = row["serial_s"] / row["workers_write_s"]
    row["speed_up_parent_writes"] = row["serial_s"] / row["parent_writes_s"]
    row["identical"] = same
    for d in ("s1", "s2", "s3"):
        shutil.rmtree(tmp / d, ignore_errors=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40, help="runs of the throughput sweep")
    ap.add_argument("--size", type=int, default=200, help="members per run")
    ap.add_argument("--steps", type=int, default=60, help="weeks per run")
    ap.add_argument("--styles-reps", type=int, default=1, help="replications of the networking-styles sweep")
    ap.add_argument(
        "--styles-steps", type=int, help="weeks of each networking-styles run (default: the experiment's)"
    )
    ap.add_argument("--only-styles", action="store_true", help="only the networking-styles comparison")
    ap.add_argument("--quick", action="store_true", help="a small version (8 runs of 60 members x 10 weeks)")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.size, args.steps = 8, 60, 10
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    results: dict = {"runs": args.runs, "size": args.size, "steps": args.steps}
    try:
        if args.only_styles:
            print(f"Networking-styles sweep ({args.styles_reps} replication(s) of each setting)")
            results = {"styles": styles(args.styles_reps, tmp, args.styles_steps)}
        else:
            # first, while no worker process exists yet: start-up includes starting the workers
            print("Executor overhead (2 workers; tasks that do nothing)")
            results["overhead"] = overhead()
            print(f"Sweep throughput ({args.runs} runs of {args.size} members x {args.steps} weeks)")
            results["runs_per_minute"] = {
                k: {m: round(v, 2) for m, v in row.items()}
                for k, row in throughput(experiment(args.runs, args.size, args.steps), tmp).items()
            }
            print("Memory of the sweep process as runs grow (results stream to disk)")
            results["memory"] = memory(experiment(20, 60, 10), experiment(80, 60, 10), tmp)
            if not args.quick:
                print(f"Networking-styles sweep ({args.styles_reps} replication(s) of each setting)")
                results["styles"] = styles(args.styles_reps, tmp, args.styles_steps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    name = "sweep_styles.json" if args.only_styles else "sweep_quick.json" if args.quick else "sweep.json"
    path = RESULTS.with_name(name)
    write_json(path, results)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
