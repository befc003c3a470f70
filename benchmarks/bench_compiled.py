"""The compiled weekly step against the numpy path, and both against idiomatic Mesa.

Three parts, all CPU time (``time.process_time``), every ratio taken between runs made
side by side in the same process (alternating which runs first):

timing
    The default scenario (full pipeline, ecosystem detection included) at each size,
    built with the same seed on the numpy path (``compiled=False``) and the compiled one;
    a short warm-up, then ``--steps`` timed weeks each, ``--repeats`` times.  Both paths
    give the same run, week for week (``tests/test_compiled.py``).
mesa
    At 1,000 members, the pipeline ``benchmarks/bench_engine_vs_mesa.py`` times (the
    default one without ecosystem detection, which the Mesa baseline leaves out): numpy
    path, compiled path and ``benchmarks/mesa_baseline.py`` side by side.
stages
    At 1,000 members, where a week goes on each path: the CPU time of each stage as the step
    runs it (``needs`` to ``reputation`` may run as one, ``favours``), of the measurements and
    of the week, the two models built from the same seed and stepped week by week in turn.
    Both runs must give the same timeseries (checked).
kernels
    At 1,000 members, the compiled path only: the CPU time of each numba kernel called from
    Python (every call timed) and of each stage less the kernels it called (the Python and
    numpy around them), two models (seeds 1 and 2) built and warmed up first, so that no
    kernel is compiled while timed.
compile
    Two fresh processes, the first with an empty numba cache (``NUMBA_CACHE_DIR`` set to a
    new folder: the kernels are compiled), the second with the cache the first left (they
    are loaded).  Each builds a 40-member model and steps it twice on the numpy path, then
    on the compiled path; the difference is what the kernels cost before the first week
    (numba's own import is paid on both paths: the initial network's generator uses it).

Usage::

    .venv/bin/python benchmarks/bench_compiled.py           # 1k x 300 and 10k x 30 weeks, 3 repeats
    .venv/bin/python benchmarks/bench_compiled.py --quick   # 1k x 100 and 10k x 10, 2 repeats
    .venv/bin/python benchmarks/bench_compiled.py --full    # 1k x 1,000 weeks as well
    .venv/bin/python benchmarks/bench_compiled.py --parts compile   # one part only
    .venv/bin/python benchmarks/bench_compiled.py --parts stages    # stage by stage (not in the default parts)
    .venv/bin/python benchmarks/bench_compiled.py --parts kernels   # kernel by kernel (not in the default parts)

Writes ``benchmarks/results/compiled.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from mesa_baseline import CORE, MesaBaselineModel, core  # noqa: E402
from results_file import save  # noqa: E402

from simulation.model import GiveTakeModel  # noqa: E402
from simulation.scenario import Scenario  # noqa: E402

RESULTS = HERE / "results" / "compiled.json"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_ms_per_week(make, warmup: int, steps: int) -> float:
    model = make()
    model.run_for(warmup)
    t0 = time.process_time()
    model.run_for(steps)
    return (time.process_time() - t0) / steps * 1000.0


def side_by_side(makers: dict, warmup: int, steps: int, repeats: int) -> dict[str, list[float]]:
    runs: dict[str, list[float]] = {name: [] for name in makers}
    for rep in range(repeats):
        order = list(makers) if rep % 2 == 0 else list(makers)[::-1]
        for name in order:
            runs[name].append(cpu_ms_per_week(lambda name=name, rep=rep: makers[name](rep), warmup, steps))
    return runs


def ratio(runs: dict[str, list[float]], slow: str, fast: str) -> float:
    return statistics.median(s / f for s, f in zip(runs[slow], runs[fast], strict=True))


def timing(plan: list[tuple[int, int]], repeats: int) -> list[dict]:
    rows = []
    print(f"{'members':>8} {'weeks':>6} {'numpy ms/wk':>12} {'compiled ms/wk':>15} {'ratio':>7}  load")
    for size, steps in plan:
        before = load()
        makers = {
            "numpy": lambda rep, size=size: GiveTakeModel(rng=1 + rep, population__size=size, compiled=False),
            "compiled": lambda rep, size=size: GiveTakeModel(
                rng=1 + rep, population__size=size, compiled=True
            ),
        }
        runs = side_by_side(makers, warmup=max(steps // 10, 5), steps=steps, repeats=repeats)
        row = {
            "members": size,
            "weeks": steps,
            "numpy_ms": statistics.median(runs["numpy"]),
            "compiled_ms": statistics.median(runs["compiled"]),
            "speedup": ratio(runs, "numpy", "compiled"),
            "runs": runs,
            "load_before": before,
            "load_after": load(),
        }
        rows.append(row)
        print(
            f"{size:>8,} {steps:>6} {row['numpy_ms']:>12.2f} {row['compiled_ms']:>15.2f} "
            f"{row['speedup']:>6.2f}x  {before} -> {row['load_after']}"
        )
    return rows


def mesa(size: int, steps: int, repeats: int) -> dict:
    scenario = Scenario.from_dict(core({"population": {"size": size}, "pipeline": list(CORE["pipeline"])}))
    before = load()
    makers = {
        "numpy": lambda rep: GiveTakeModel(scenario, rng=1000 + rep, compiled=False),
        "compiled": lambda rep: GiveTakeModel(scenario, rng=1000 + rep, compiled=True),
        "mesa": lambda rep: MesaBaselineModel(scenario, rng=1000 + rep),
    }
    runs = side_by_side(makers, warmup=10, steps=steps, repeats=repeats)
    row = {
        "members": size,
        "weeks": steps,
        **{f"{k}_ms": statistics.median(v) for k, v in runs.items()},
        "mesa_over_numpy": ratio(runs, "mesa", "numpy"),
        "mesa_over_compiled": ratio(runs, "mesa", "compiled"),
        "runs": runs,
        "load_before": before,
        "load_after": load(),
    }
    print(
        f"\nMesa baseline at {size:,} members ({steps} weeks, no ecosystem detection): "
        f"numpy {row['numpy_ms']:.2f}, compiled {row['compiled_ms']:.2f}, Mesa {row['mesa_ms']:.2f} ms/week; "
        f"Mesa / numpy {row['mesa_over_numpy']:.2f}x, Mesa / compiled {row['mesa_over_compiled']:.2f}x "
        f"(load {before} -> {row['load_after']})"
    )
    return row


def _timed(fn, name: str, acc: dict[str, float]):
    def wrapper(*args, **kwargs):
        t0 = time.process_time()
        out = fn(*args, **kwargs)
        acc[name] = acc.get(name, 0.0) + time.process_time() - t0
        return out

    return wrapper


def stages(size: int, warmup: int, steps: int) -> dict:
    """CPU milliseconds a week in each stage on both paths, stepped in turn in one process."""
    before = load()
    models = {
        "numpy": GiveTakeModel(rng=1, population__size=size, compiled=False),
        "compiled": GiveTakeModel(rng=1, population__size=size, compiled=True),
    }
    acc: dict[str, dict[str, float]] = {name: {} for name in models}
    for name, model in models.items():
        model.run_for(warmup)
        for stage in model._stages():  # as the step runs them
            stage.step = _timed(stage.step, stage.name, acc[name])
        model._measure = _timed(model._measure, "measurements", acc[name])
        model.ties.compact_if_sparse = _timed(model.ties.compact_if_sparse, "compaction", acc[name])
    for week in range(steps):
        for name in list(models) if week % 2 == 0 else list(models)[::-1]:
            t0 = time.process_time()
            models[name].step()
            acc[name]["week"] = acc[name].get("week", 0.0) + time.process_time() - t0
    frames = [m.datacollector.get_model_vars_dataframe() for m in models.values()]
    if not frames[0].equals(frames[1]):
        raise RuntimeError("the two paths gave different timeseries")
    ms = {name: {k: v / steps * 1000.0 for k, v in a.items()} for name, a in acc.items()}
    names = sorted(ms["compiled"], key=lambda k: (k == "week", -ms["numpy"].get(k, 0.0)))
    print(f"\nwhere a week goes at {size:,} members (CPU ms, {steps} weeks after {warmup}, in turn)")
    print(f"{'stage':<14} {'numpy':>8} {'compiled':>9}")
    for k in names:
        print(f"{k:<14} {ms['numpy'].get(k, 0.0):>8.3f} {ms['compiled'].get(k, 0.0):>9.3f}")
    row = {"members": size, "weeks": steps, "warmup": warmup, "ms_per_week": ms}
    row.update(load_before=before, load_after=load())
    print(f"(load {before} -> {row['load_after']})")
    return row


def _kernel_modules() -> list:
    """The modules of the package that hold numba kernels or call them by a module-level name."""
    import importlib

    from simulation.compiled import load as load_kernels

    load_kernels(True)
    names = ["compiled.kernels", "compiled.favours", "compiled.encounters", "compiled.index"]
    names += ["compiled.measure", "compiled.churn", "metrics", "ties", "draws", "model"]
    names += [f"mechanisms.{m}" for m in ("contacts", "churn", "fused", "maintenance", "meeting")]
    names += [f"mechanisms.{m}" for m in ("introductions", "referrals", "standing", "asking")]
    return [importlib.import_module(f"simulation.{n}") for n in names]


def kernels(size: int, warmup: int, steps: int, seeds=(1, 2)) -> dict:
    """CPU milliseconds a week in each numba kernel called from Python, and in each stage less
    the kernels it called, on the compiled path.  The kernels are wrapped where the package
    names them (a module's global), after the models are warmed up: a kernel still to be
    compiled would find the wrapper where it looks for another kernel."""
    from numba.core.registry import CPUDispatcher

    before = load()
    models = [GiveTakeModel(rng=seed, population__size=size, compiled=True) for seed in seeds]
    for model in models:
        model.run_for(warmup)
    kernel_ms: dict[str, float] = {}
    calls: dict[str, int] = {}
    inside = [0.0]  # kernel time of the stage being timed

    def timed_kernel(fn):
        def call(*args, **kwargs):
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.process_time() - t0
                kernel_ms[fn.__name__] = kernel_ms.get(fn.__name__, 0.0) + dt
                calls[fn.__name__] = calls.get(fn.__name__, 0) + 1
                inside[0] += dt

        return call

    swapped, wrappers = [], {}
    for module in _kernel_modules():
        for name, value in list(vars(module).items()):
            if isinstance(value, CPUDispatcher):
                wrapper = wrappers.setdefault(id(value), timed_kernel(value))
                swapped.append((module, name, value))
                setattr(module, name, wrapper)
    stage_ms: dict[str, float] = {}
    glue_ms: dict[str, float] = {}

    def timed_stage(name, fn):
        def call(*args, **kwargs):
            inside[0] = 0.0
            t0 = time.process_time()
            out = fn(*args, **kwargs)
            dt = time.process_time() - t0
            stage_ms[name] = stage_ms.get(name, 0.0) + dt
            glue_ms[name] = glue_ms.get(name, 0.0) + dt - inside[0]
            return out

        return call

    week = 0.0
    try:
        for model in models:
            for stage in model._stages():
                stage.step = timed_stage(stage.name, stage.step)
            model._measure = timed_stage("measurements", model._measure)
            model.ties.compact_if_sparse = timed_stage("compaction", model.ties.compact_if_sparse)
        for k in range(steps):
            for model in models if k % 2 == 0 else models[::-1]:
                t0 = time.process_time()
                model.step()
                week += time.process_time() - t0
    finally:
        for module, name, value in swapped:
            setattr(module, name, value)
    n = steps * len(models)
    row = {
        "members": size,
        "weeks": steps,
        "warmup": warmup,
        "seeds": list(seeds),
        "week_ms": week / n * 1000.0,
        "kernel_ms": {k: v / n * 1000.0 for k, v in sorted(kernel_ms.items(), key=lambda kv: -kv[1])},
        "kernel_calls_per_week": {k: calls[k] / n for k in kernel_ms},
        "stage_ms": {k: v / n * 1000.0 for k, v in sorted(stage_ms.items(), key=lambda kv: -kv[1])},
        "stage_less_kernels_ms": {k: glue_ms[k] / n * 1000.0 for k in stage_ms},
    }
    row.update(load_before=before, load_after=load())
    print(
        f"\nkernels at {size:,} members, compiled path (CPU ms a week, {steps} weeks after {warmup}, seeds {list(seeds)})"
    )
    print(f"{'kernel':<18} {'ms':>7} {'calls':>6}")
    for k, v in row["kernel_ms"].items():
        print(f"{k:<18} {v:>7.3f} {row['kernel_calls_per_week'][k]:>6.2f}")
    print(f"{'all kernels':<18} {sum(row['kernel_ms'].values()):>7.3f}")
    print(f"{'stage':<18} {'ms':>7} {'less kernels':>13}")
    for k, v in row["stage_ms"].items():
        print(f"{k:<18} {v:>7.3f} {row['stage_less_kernels_ms'][k]:>13.3f}")
    print(f"{'the week':<18} {row['week_ms']:>7.3f}   (load {before} -> {row['load_after']})")
    return row


CHILD = """
import sys, time
from simulation import GiveTakeModel

def week_two(compiled):
    t0 = time.process_time()
    GiveTakeModel(rng=1, population__size=40, compiled=compiled).run_for(2)
    return time.process_time() - t0

week_two(False)  # warm the Python side
base = week_two(False)
first = week_two(True)  # imports numba, then compiles the kernels or loads them from the cache
again = week_two(True)
print(base, first, again)
"""


def child(cache: str) -> tuple[float, float, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(HERE.parent)}
    env.pop("GIVETAKE_COMPILED", None)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    base, first, again = (float(x) for x in out.stdout.split())
    return base, first, again


def compile_cost() -> dict:
    """CPU seconds a fresh process spends on the kernels before its first compiled week: a
    40-member model built and stepped twice on the compiled path, less the same on the numpy
    path in that process (numba itself is imported on both: the initial network's generator
    uses it)."""
    before = load()
    with tempfile.TemporaryDirectory(prefix="givetake-numba-") as cache:
        fresh = child(cache)  # empty cache: compiles
        cached = child(cache)  # the cache it left: loads
    row = {
        "compile_s": fresh[1] - fresh[0],
        "load_cached_s": cached[1] - cached[0],
        "numpy_tiny_run_s": [fresh[0], cached[0]],
        "compiled_tiny_run_again_s": [fresh[2], cached[2]],
        "load_before": before,
        "load_after": load(),
    }
    print(
        f"\nkernels before the first compiled week of a fresh process: "
        f"{row['compile_s']:.2f} s CPU compiling them (empty cache), {row['load_cached_s']:.2f} s loading "
        f"them from the cache (load {before} -> {row['load_after']})"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer weeks and repeats")
    parser.add_argument("--full", action="store_true", help="also 1,000 members x 1,000 weeks")
    parser.add_argument(
        "--parts",
        default="timing,mesa,compile",
        help="comma-separated parts to run (others keep their figures in the results file)",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if args.quick:
        plan, repeats, mesa_steps = [(1_000, 100), (10_000, 10)], 2, 30
    else:
        plan, repeats, mesa_steps = [(1_000, 300), (10_000, 30)], 3, 50
    if args.full:
        plan.insert(1, (1_000, 1_000))
    result = (
        json.loads(RESULTS.read_text()) if RESULTS.exists() and parts != {"timing", "mesa", "compile"} else {}
    )
    result.update(machine=platform.platform(), cpus=os.cpu_count())
    if "timing" in parts:
        result["timing"] = timing(plan, repeats)
    if "mesa" in parts:
        result["mesa"] = mesa(1_000, mesa_steps, repeats)
    if "compile" in parts:
        result["compile"] = compile_cost()
    if "stages" in parts:
        result["stages"] = stages(1_000, 10, 60 if args.quick else 200)
    if "kernels" in parts:
        result["kernels"] = kernels(1_000, 50, 100 if args.quick else 300)
    print()
    save(RESULTS, result)


if __name__ == "__main__":
    main()
