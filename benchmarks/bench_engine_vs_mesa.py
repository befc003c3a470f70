"""The vectorised engine against the same step written the idiomatic Mesa way.

Two parts:

timing
    The default scenario (1,000 members, mean degree 20, then 300 for
    reference), both models built with the same seed, a short warm-up, then
    ``--steps`` timed steps each (metrics collected every step in both).  Runs
    alternate between the models and are repeated; the table shows the median
    milliseconds per step and the median of the per-repeat speed ratios.

agreement
    Both models on the default scenario over ``--seeds`` seeds (``--size``
    members, ``--steps-agree`` steps).  For each key metric the mean over the
    last ``--window`` steps of each run is one observation; the two samples are
    compared with Welch's t-test and the Mann-Whitney U test (p-values
    Holm-corrected across metrics), the difference of means with its 95 %
    (Welch) confidence interval, and the standardized mean difference.

Usage::

    .venv/bin/python benchmarks/bench_engine_vs_mesa.py            # full (several minutes)
    .venv/bin/python benchmarks/bench_engine_vs_mesa.py --quick    # reduced, about a minute

The full run also writes ``benchmarks/results/engine_vs_mesa.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from mesa_baseline import CORE, OBSERVERS, MesaBaselineModel, core  # noqa: E402

from simulation.mechanisms import DEFAULT_PIPELINE  # noqa: E402
from simulation.model import GiveTakeModel  # noqa: E402
from simulation.scenario import Scenario  # noqa: E402
from simulation.stats import holm  # noqa: E402
from simulation.strategies import BUILTIN  # noqa: E402

RESULTS = HERE / "results" / "engine_vs_mesa.json"

KEY_METRICS = (
    ["members", "mean_degree", "clustering", "giant_component", "fulfilment_rate", "welfare", "gini"]
    + [f"n_{s}" for s in BUILTIN]
    + [f"wealth_{s}" for s in BUILTIN]
    + ["ties", "requests", "gifts", "refusals", "mean_trust", "mean_strength", "mean_wealth"]
)

MODELS = {"engine": GiveTakeModel, "mesa": MesaBaselineModel}

#: the default pipeline without the stages that only observe the network (ecosystems:
#: community detection every few steps), which the baseline leaves out
DYNAMICS = list(CORE["pipeline"])


#: further dotted overrides for both models (``--set``)
OVERRIDES: dict[str, object] = {}


def scenario_for(size: int, pipeline: list[str] = DYNAMICS) -> Scenario:
    """The default scenario at ``size`` members, running ``pipeline`` (plus any ``--set`` overrides)."""
    scenario = Scenario.from_dict(core({"population": {"size": size}, "pipeline": list(pipeline)}))
    return scenario.with_overrides(OVERRIDES) if OVERRIDES else scenario


# -- timing ----------------------------------------------------------------------


def time_model(cls, scenario: Scenario, seed: int, warmup: int, steps: int) -> dict[str, float]:
    """Build seconds, and wall-clock and CPU milliseconds per step, of one run."""
    t0 = time.perf_counter()
    model = cls(scenario, rng=seed)
    build = time.perf_counter() - t0
    model.run_for(warmup)
    t0, c0 = time.perf_counter(), time.process_time()
    model.run_for(steps)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"build_s": build, "wall_ms": wall / steps * 1000.0, "cpu_ms": cpu / steps * 1000.0}


def _timed(fn, name: str, acc: dict[str, float]):
    def wrapper(*args, **kwargs):
        t0 = time.process_time()
        out = fn(*args, **kwargs)
        acc[name] = acc.get(name, 0.0) + time.process_time() - t0
        return out

    return wrapper


def stage_times(cls, scenario: Scenario, seed: int, warmup: int, steps: int) -> dict[str, float]:
    """CPU milliseconds per step spent in each stage of the pipeline and in measuring (one run)."""
    model = cls(scenario, rng=seed)
    model.run_for(warmup)
    acc: dict[str, float] = {}
    if isinstance(model, GiveTakeModel):
        # the stages as the step runs them: needs to reputation may run as one ("favours")
        for stage in model._stages():
            stage.step = _timed(stage.step, stage.name, acc)
        model._measure = _timed(model._measure, "metrics", acc)
    else:
        for name in model.pipeline:
            setattr(model, f"do_{name}", _timed(getattr(model, f"do_{name}"), name, acc))
        model.measure = _timed(model.measure, "metrics", acc)
    t0 = time.process_time()
    model.run_for(steps)
    acc["total"] = time.process_time() - t0
    return {k: v / steps * 1000.0 for k, v in acc.items()}


def print_stages(size: int, stages: dict[str, dict[str, float]]) -> None:
    print()
    print(f"where the time goes at {size} members (cpu ms/step, one run each)")
    print(f"{'stage':<18} {'engine':>9} {'mesa':>9} {'ratio':>7}")
    engine, mesa = dict(stages["engine"]), dict(stages["mesa"])
    rows = [*DYNAMICS, "metrics", "total"]
    if "favours" in engine:  # needs to reputation in one compiled call: against the five
        fused = [k for k in ("needs", "asking", "giving", "exchange", "reputation") if k in rows]
        mesa["needs..reputation"] = sum(mesa.pop(k, 0.0) for k in fused)
        engine["needs..reputation"] = engine.pop("favours")
        rows = ["needs..reputation", *(k for k in rows if k not in fused)]
    for k in rows:
        e, m = engine.get(k, 0.0), mesa.get(k, 0.0)
        ratio = f"{m / e:6.1f}x" if e > 0 else "     -"
        print(f"{k:<18} {e:>9.2f} {m:>9.2f} {ratio:>7}")


def timing(sizes: list[int], warmup: int, steps: int, repeats: int) -> list[dict]:
    out = []
    for size in sizes:
        scenario = scenario_for(size)
        runs: dict[str, list[dict]] = {name: [] for name in MODELS}
        full = []
        for rep in range(repeats):
            order = list(MODELS) if rep % 2 == 0 else list(MODELS)[::-1]  # alternate who runs first
            for name in order:
                runs[name].append(
                    time_model(MODELS[name], scenario, seed=1000 + rep, warmup=warmup, steps=steps)
                )
            full.append(
                time_model(GiveTakeModel, scenario_for(size, DEFAULT_PIPELINE), 1000 + rep, warmup, steps)
            )
            e, m = runs["engine"][-1], runs["mesa"][-1]
            print(
                f"  size {size:>5}  repeat {rep + 1}/{repeats}: engine {e['wall_ms']:8.2f} ms/step "
                f"(cpu {e['cpu_ms']:.2f}), mesa {m['wall_ms']:8.2f} ms/step (cpu {m['cpu_ms']:.2f}), "
                f"ratio {m['wall_ms'] / e['wall_ms']:5.2f} (cpu {m['cpu_ms'] / e['cpu_ms']:.2f})",
                flush=True,
            )
        row: dict = {
            "members": size,
            "mean_degree": scenario.get("network.mean_degree"),
            "warmup_steps": warmup,
            "timed_steps": steps,
            "repeats": repeats,
            "pipeline": DYNAMICS,
        }
        for clock in ("wall_ms", "cpu_ms"):
            for name in MODELS:
                row[f"{name}_{clock}_per_step"] = [r[clock] for r in runs[name]]
                row[f"{name}_{clock}_per_step_median"] = statistics.median(row[f"{name}_{clock}_per_step"])
            ratios = [m[clock] / e[clock] for e, m in zip(runs["engine"], runs["mesa"])]
            row[f"ratios_{clock}"] = ratios
            row[f"ratio_{clock}_median"] = statistics.median(ratios)
        for name in MODELS:
            row[f"{name}_build_s"] = [r["build_s"] for r in runs[name]]
        row["engine_default_pipeline_wall_ms_per_step_median"] = statistics.median(r["wall_ms"] for r in full)
        row["stages_ms_per_step"] = {
            name: stage_times(cls, scenario, seed=2000, warmup=warmup, steps=steps)
            for name, cls in MODELS.items()
        }
        out.append(row)
    return out


def print_timing(rows: list[dict]) -> None:
    print()
    print(
        f"{'members':>8} {'steps':>6} {'reps':>5} {'engine ms/step':>15} {'mesa ms/step':>13} {'speed ratio':>12}"
        f" {'engine cpu ms':>14} {'mesa cpu ms':>12} {'cpu ratio':>10}"
    )
    for r in rows:
        print(
            f"{r['members']:>8} {r['timed_steps']:>6} {r['repeats']:>5} {r['engine_wall_ms_per_step_median']:>15.2f} "
            f"{r['mesa_wall_ms_per_step_median']:>13.2f} {r['ratio_wall_ms_median']:>11.1f}x"
            f" {r['engine_cpu_ms_per_step_median']:>14.2f} {r['mesa_cpu_ms_per_step_median']:>12.2f}"
            f" {r['ratio_cpu_ms_median']:>9.1f}x"
        )
    print("(medians over repeats; ratio = mesa / engine per repeat, then the median; cpu: process time)")
    for r in rows:
        print_stages(r["members"], r["stages_ms_per_step"])
    print()
    print("pipeline timed: " + ", ".join(DYNAMICS))
    for r in rows:
        print(
            f"for reference, the engine with the whole default pipeline (+ {', '.join(OBSERVERS)}) at "
            f"{r['members']} members: {r['engine_default_pipeline_wall_ms_per_step_median']:.2f} ms/step"
        )


# -- agreement -------------------------------------------------------------------


def run_summary(cls, scenario: Scenario, seed: int, steps: int, window: int) -> dict[str, float]:
    model = cls(scenario, rng=seed)
    model.run_for(steps)
    df = model.datacollector.get_model_vars_dataframe()
    tail = df.iloc[-window:]
    return {k: float(tail[k].mean()) for k in KEY_METRICS}


def compare(engine: np.ndarray, mesa: np.ndarray, alpha: float = 0.05) -> dict:
    e_mean, m_mean = float(engine.mean()), float(mesa.mean())
    e_var, m_var = float(engine.var(ddof=1)), float(mesa.var(ddof=1))
    diff = e_mean - m_mean
    row = {
        "engine_mean": e_mean,
        "mesa_mean": m_mean,
        "engine_sd": math.sqrt(e_var),
        "mesa_sd": math.sqrt(m_var),
    }
    if e_var == 0 and m_var == 0:  # constant in both (e.g. members with replacement)
        same = diff == 0
        return row | {
            "diff": diff,
            "ci_low": diff,
            "ci_high": diff,
            "smd": 0.0 if same else math.inf,
            "p_welch": 1.0 if same else 0.0,
            "p_mannwhitney": 1.0 if same else 0.0,
        }
    na, nb = len(engine), len(mesa)
    se = math.sqrt(e_var / na + m_var / nb)
    df = se**4 / ((e_var / na) ** 2 / (na - 1) + (m_var / nb) ** 2 / (nb - 1))
    half = stats.t.ppf(1 - alpha / 2, df) * se
    pooled = math.sqrt((e_var + m_var) / 2)
    with warnings.catch_warnings():  # nearly constant samples (giant component ~ 1) warn about precision
        warnings.simplefilter("ignore", RuntimeWarning)
        p_welch = float(stats.ttest_ind(engine, mesa, equal_var=False).pvalue)
    return row | {
        "diff": diff,
        "ci_low": diff - half,
        "ci_high": diff + half,
        "smd": diff / pooled if pooled > 0 else math.inf,
        "p_welch": p_welch,
        "p_mannwhitney": float(stats.mannwhitneyu(engine, mesa, alternative="two-sided").pvalue),
    }


def _holm_and_verdict(rows: dict[str, dict]) -> None:
    names = list(rows)
    for test in ("p_welch", "p_mannwhitney"):
        for k, p in zip(names, holm([rows[k][test] for k in names]).tolist()):
            rows[k][f"{test}_holm"] = p
    for r in rows.values():
        r["verdict"] = (
            "indistinguishable" if min(r["p_welch_holm"], r["p_mannwhitney_holm"]) >= 0.05 else "DIFFERS"
        )


def agreement(size: int, steps: int, seeds: int, window: int) -> dict:
    scenario = scenario_for(size)
    samples = {name: {k: [] for k in KEY_METRICS} for name in MODELS}
    seconds = {name: 0.0 for name in MODELS}
    for seed in range(seeds):
        for name, cls in MODELS.items():
            t0 = time.perf_counter()
            summary = run_summary(cls, scenario, seed, steps, window)
            seconds[name] += time.perf_counter() - t0
            for k, v in summary.items():
                samples[name][k].append(v)
        print(f"  seed {seed + 1}/{seeds} done", flush=True)
    rows = {k: compare(np.array(samples["engine"][k]), np.array(samples["mesa"][k])) for k in KEY_METRICS}
    _holm_and_verdict(rows)
    return {
        "members": size,
        "steps": steps,
        "seeds": seeds,
        "window": window,
        "statistic": f"mean over the last {window} steps of each run",
        "seconds": seconds,
        "metrics": rows,
        "samples": samples,
    }


def print_agreement(result: dict) -> None:
    print()
    print(
        f"agreement: {result['seeds']} seeds per model, {result['members']} members, {result['steps']} steps, "
        f"{result['statistic']}"
    )
    _print_rows(result["metrics"])


def _print_rows(rows: dict[str, dict]) -> None:
    head = (
        f"{'metric':<24} {'engine':>10} {'mesa':>10} {'diff [95% CI]':>30} {'SMD':>6} "
        f"{'p Welch raw/Holm':>17} {'p MWU raw/Holm':>15}  verdict"
    )
    print(head)
    print("-" * len(head))
    for k, r in rows.items():
        ci = f"{r['diff']:+.4g} [{r['ci_low']:+.4g}, {r['ci_high']:+.4g}]"
        print(
            f"{k:<24} {r['engine_mean']:>10.4g} {r['mesa_mean']:>10.4g} {ci:>30} {r['smd']:>+6.2f} "
            f"{r['p_welch']:>8.3f}/{r['p_welch_holm']:<8.3f} {r['p_mannwhitney']:>6.3f}/{r['p_mannwhitney_holm']:<8.3f} "
            f"{r['verdict']}"
        )
    print(
        "(Holm: corrected across the metrics above; verdict from the Holm values; SMD: difference / pooled SD)"
    )
    n_diff = sum(r["verdict"] != "indistinguishable" for r in rows.values())
    print(f"{len(rows) - n_diff} of {len(rows)} metrics indistinguishable at 5 %")


# -- one step from the same state -------------------------------------------------

#: what one step does, counted per mechanism, and the state after it
STEP_QUANTITIES = [
    "needs",
    "requests",
    "gifts",
    "refusals",
    "cut",
    "dissolved",
    "met",
    "introduced",
    "failed",
    "left",
    "joined",
    "welfare",
    "ties",
    "mean_trust",
    "mean_strength",
    "mean_wealth",
    "gini",
]


def _step_record(model) -> dict[str, float]:
    tick = model.tick
    get = tick.get if isinstance(tick, dict) else (lambda k, d: getattr(tick, k, d))
    out = {k: float(model.metrics[k]) for k in STEP_QUANTITIES if k in model.metrics}
    for k in ("cut", "dissolved", "met", "introduced"):
        out[k] = float(get(k, 0))
    return out


def one_step(size: int, warm: int, samples: int, state_seed: int = 7) -> dict:
    """Both models take one step from the very same state, ``samples`` times each.

    The engine is run ``warm`` steps from ``state_seed`` (rebuilt for every
    sample, so the state is identical), the baseline is a copy of that state
    (:meth:`MesaBaselineModel.from_engine`); then each takes one step with a
    fresh random stream.  With the starting state fixed, the per-mechanism
    counts of one step vary far less than whole runs do, so this locates a
    deviation in a single mechanism.
    """
    scenario = scenario_for(size)
    samples_by = {name: {k: [] for k in STEP_QUANTITIES} for name in MODELS}
    for k in range(samples):
        engine = GiveTakeModel(scenario, rng=state_seed)
        engine.run_for(warm)
        mesa = MesaBaselineModel.from_engine(engine, rng=50_000 + k)
        engine.rng = np.random.default_rng(90_000 + k)  # a fresh stream for the engine's step
        engine.step()
        mesa.step()
        for name, model in (("engine", engine), ("mesa", mesa)):
            for q, v in _step_record(model).items():
                samples_by[name][q].append(v)
    rows = {
        q: compare(np.array(samples_by["engine"][q]), np.array(samples_by["mesa"][q]))
        for q in STEP_QUANTITIES
    }
    _holm_and_verdict(rows)
    return {
        "members": size,
        "state_after_steps": warm,
        "state_seed": state_seed,
        "samples": samples,
        "metrics": rows,
    }


def print_one_step(result: dict) -> None:
    print()
    print(
        f"one step from the same state ({result['members']} members after {result['state_after_steps']} steps, "
        f"{result['samples']} samples per model)"
    )
    _print_rows(result["metrics"])


# -- main ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="reduced sizes, steps and seeds (about a minute)")
    ap.add_argument("--repeats", type=int, default=None, help="timing repeats per size (default 3, quick 1)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps (default 50, quick 10)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 10, quick 3)")
    ap.add_argument(
        "--seeds", type=int, default=None, help="seeds per model for agreement (default 20, quick 8)"
    )
    ap.add_argument("--size", type=int, default=None, help="members for agreement (default 300, quick 150)")
    ap.add_argument(
        "--steps-agree", type=int, default=None, help="steps per agreement run (default 100, quick 40)"
    )
    ap.add_argument("--window", type=int, default=None, help="last steps averaged (default 20, quick 10)")
    ap.add_argument(
        "--sizes", type=int, nargs="+", default=None, help="members for timing (default 1000 300)"
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="dotted scenario override for both models, e.g. mechanisms.giving.capacity=1",
    )
    ap.add_argument(
        "--one-step",
        type=int,
        default=None,
        metavar="N",
        help="samples of one step from the same state (default 100, quick 10; 0: skip)",
    )
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--no-agreement", action="store_true")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"JSON output (default {RESULTS.relative_to(HERE.parent)} for a full run, none with --quick)",
    )
    args = ap.parse_args(argv)
    q = args.quick
    repeats = args.repeats or (1 if q else 3)
    steps = args.steps or (10 if q else 50)
    warmup = args.warmup if args.warmup is not None else (3 if q else 10)
    sizes = args.sizes or ([300] if q else [1000, 300])
    for item in args.set:
        key, _, value = item.partition("=")
        OVERRIDES[key] = json.loads(value) if value[:1] in "0123456789-[{tf" else value
    seeds = args.seeds or (8 if q else 20)
    size = args.size or (150 if q else 300)
    steps_agree = args.steps_agree or (40 if q else 100)
    window = args.window or (10 if q else 20)

    result: dict = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_start": list(os.getloadavg()),
        },
        "quick": q,
        "overrides": dict(OVERRIDES),
    }
    if not args.no_timing:
        print(f"timing: default scenario, {warmup} warm-up + {steps} timed steps, {repeats} repeat(s)")
        result["timing"] = timing(sizes, warmup, steps, repeats)
        print_timing(result["timing"])
    if not args.no_agreement:
        print()
        print(f"agreement runs: {seeds} seeds x 2 models, {size} members x {steps_agree} steps")
        result["agreement"] = agreement(size, steps_agree, seeds, window)
        print_agreement(result["agreement"])
    n_one = args.one_step if args.one_step is not None else (10 if q else 100)
    if n_one:
        print()
        print(f"one-step runs: {n_one} samples x 2 models, {size} members")
        result["one_step"] = one_step(size, warm=30 if q else 50, samples=n_one)
        print_one_step(result["one_step"])
    result["machine"]["load_average_end"] = list(os.getloadavg())
    print(
        f"\nload average at start {result['machine']['load_average_start'][0]:.2f}, "
        f"at end {result['machine']['load_average_end'][0]:.2f} ({os.cpu_count()} CPUs)"
    )

    out = args.out if args.out is not None else (None if q else RESULTS)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(json.dumps(result, indent=1, default=float) + "\n")
        tmp.replace(out)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
