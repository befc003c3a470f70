"""Pattern files, and running a suite of patterns over seeded runs.

A *pattern* (Grimm et al. 2005, *Science* 310:987) is something observed in
real networks that the model should reproduce: a published number or a
regularity, with its source.  A pattern file is TOML (format in
``docs/patterns.md``)::

    name = "my_patterns"
    seed = 1                  # master seed: every run's seed is spawned from it
    seeds = 10                # runs per scenario (and level), unless a pattern says otherwise
    steps = 150               # weeks per run, unless a pattern says otherwise

    [quick]                   # what --quick changes, for every pattern
    seeds = 3
    steps = 40
    set = { "population.size" = 80 }

    [[pattern]]
    name = "help_survives"
    title = "Help is still given at the end"
    reference = "Someone (2020), Journal 1:1"
    scenarios = ["referral_group"]         # built-in names or paths (one row each)
    set = { "population.size" = 200 }      # settings for these runs
    measure = "help_rate"                  # a registered measure or module:function
    params = { tail = 0.25 }               # its parameters
    target = 0.9                           # the published value (optional)
    accept = [0.8, 1.0]                    # reproduced value must lie here (or: tolerance = 0.1)

A pattern may vary one strategy's share (``[pattern.vary_share]`` with
``strategy`` and ``levels``; the other shares keep their proportions) and
combine the runs with ``aggregate = "tipping_point"`` instead of the mean.

Runs with the same scenario settings, weeks and replication are shared by all
patterns that need them; a run's seed depends only on those and the master
seed, so a pattern's numbers do not change when others are added.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import interrupts
from ..builtin import PATTERN_DIR
from ..errors import InputError
from ..experiment import RunSpec
from ..scenario import Scenario, ScenarioError, with_share
from ..scenario_files import load_scenario, read_toml
from .estimates import AGGREGATES, Estimate, mean_ci, tipping_point
from .measures import get_measure

__all__ = [
    "BUILTIN_PATTERNS",
    "Pattern",
    "PatternCheck",
    "PatternSuite",
    "builtin_pattern_files",
    "load_patterns",
    "resolve_pattern_file",
    "run_patterns",
    "measure_run",
]

#: the built-in pattern suite (published patterns the business model is checked against)
BUILTIN_PATTERNS = PATTERN_DIR / "published.toml"

SUITE_KEYS = {"name", "description", "seed", "seeds", "steps", "quick", "pattern", "calibrate"}
PATTERN_KEYS = {
    "name",
    "title",
    "reference",
    "claim",
    "scenarios",
    "set",
    "steps",
    "seeds",
    "measure",
    "params",
    "aggregate",
    "target",
    "accept",
    "tolerance",
    "vary_share",
    "quick",
}
QUICK_KEYS = {"seeds", "steps", "set", "levels", "params"}


@dataclass
class Pattern:
    """One declared pattern: where it comes from, what runs it needs, how to measure and judge it."""

    name: str
    title: str
    reference: str
    scenarios: list[tuple[str, Scenario]]  # (label, checked scenario with the pattern's settings)
    steps: int
    seeds: int
    measure: str
    params: dict[str, Any]
    aggregate: str = "mean"
    target: float | None = None
    accept: tuple[float, float] = (-math.inf, math.inf)
    claim: str = ""
    share_strategy: str | None = None
    levels: list[float] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def conditions(self) -> list[tuple[str, float | None, Scenario]]:
        """(scenario label, level or None, scenario) for every condition the pattern runs."""
        out = []
        for label, scen in self.scenarios:
            if self.share_strategy is None:
                out.append((label, None, scen))
            else:
                for level in self.levels:
                    out.append((label, level, with_share(scen, self.share_strategy, level)))
        return out

    def accepts(self, value: float) -> bool:
        return math.isfinite(value) and self.accept[0] <= value <= self.accept[1]

    def accepts_estimate(self, est: Estimate) -> bool:
        """The value lies in the accepted range; for runs that only place it between two
        levels (``est.separated``), the whole of that interval does."""
        if est.separated:
            return self.accept[0] <= est.low and est.high <= self.accept[1]
        return self.accepts(est.value)

    def accept_text(self) -> str:
        lo, hi = self.accept
        if math.isinf(lo) and math.isinf(hi):
            return "any"
        if math.isinf(hi):
            return f">= {lo:g}"
        if math.isinf(lo):
            return f"<= {hi:g}"
        return f"[{lo:g}, {hi:g}]"


@dataclass
class PatternSuite:
    name: str
    description: str
    seed: int
    patterns: list[Pattern]
    source: str
    quick: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Pattern:
        for p in self.patterns:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass
class PatternCheck:
    """One row of the pattern table: a pattern in one scenario, reproduced and judged."""

    pattern: Pattern
    scenario: str
    estimate: Estimate
    passed: bool
    runs: int
    failed_runs: int = 0
    errors: list[str] = field(default_factory=list)
    by_level: dict[float, float] = field(default_factory=dict)

    @property
    def borderline(self) -> bool:
        """The interval reaches across an edge of the accepted range."""
        lo, hi = self.pattern.accept
        e = self.estimate
        if not (math.isfinite(e.low) and math.isfinite(e.high)):
            return False
        return (e.low < lo <= e.high) or (e.low <= hi < e.high)

    def row(self) -> dict[str, Any]:
        e = self.estimate
        return {
            "pattern": self.pattern.name,
            "scenario": self.scenario,
            "target": self.pattern.target,
            "accept": self.pattern.accept_text(),
            "value": e.value,
            "ci_low": e.low,
            "ci_high": e.high,
            "separated": e.separated,
            "runs": self.runs,
            "pass": self.passed,
            "note": e.note,
        }


# -- reading ---------------------------------------------------------------------------


def _flatten(table: Any, where: str, prefix: str = "") -> dict[str, Any]:
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected a table of settings, got {table!r}")
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not key.endswith("population.mix"):
            out.update(_flatten(v, where, f"{key}."))
        else:
            out[key] = v
    return out


def _int(value: Any, where: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InputError(f"{where}: expected an integer >= {low}, got {value!r}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _load_scenario(ref: Any, where: str, base_dir: Path | None) -> Scenario:
    if not isinstance(ref, str) or not ref:
        raise InputError(f"{where}: expected a built-in scenario name or a path, got {ref!r}")
    target: str | Path = ref
    if (ref.endswith(".toml") or "/" in ref) and base_dir is not None and not Path(ref).is_absolute():
        target = base_dir / ref
    try:
        return load_scenario(target)
    except ScenarioError as err:
        raise InputError(f"{where}: {err}") from None


def _pattern(
    raw: dict[str, Any], i: int, suite: dict[str, Any], source: str, base_dir: Path | None, quick: bool
) -> Pattern:
    where = f"{source}: pattern[{i}]"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a table ([[pattern]])")
    for k in raw:
        if k not in PATTERN_KEYS:
            raise InputError(f"{where}.{k}: unknown key (known: {', '.join(sorted(PATTERN_KEYS))})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise InputError(f"{where}.name: expected a name of letters, digits, '_' or '-', got {name!r}")
    where = f"{source}: pattern {name!r}"
    for key in ("title", "reference", "claim"):
        if key in raw and not isinstance(raw[key], str):
            raise InputError(f"{where}: {key}: expected text, got {raw[key]!r}")
    if not raw.get("reference"):
        raise InputError(f"{where}: reference: expected the published source of the pattern")
    quick_raw = {**(suite.get("quick") or {}), **(raw.get("quick") or {})} if quick else {}
    for k in raw.get("quick") or {}:
        if k not in QUICK_KEYS:
            raise InputError(f"{where}: quick.{k}: unknown key (known: {', '.join(sorted(QUICK_KEYS))})")
    steps = _int(quick_raw.get("steps", raw.get("steps", suite.get("steps", 0))), f"{where}: steps")
    seeds = _int(quick_raw.get("seeds", raw.get("seeds", suite.get("seeds", 10))), f"{where}: seeds")
    settings = _flatten(raw.get("set", {}), f"{where}: set")
    if quick:
        settings.update(_flatten((suite.get("quick") or {}).get("set", {}), f"{source}: quick.set"))
        settings.update(_flatten((raw.get("quick") or {}).get("set", {}), f"{where}: quick.set"))
    refs = raw.get("scenarios")
    if isinstance(refs, str):
        refs = [refs]
    if not isinstance(refs, list) or not refs:
        raise InputError(f"{where}: scenarios: expected a list of built-in scenario names or paths")
    scenarios = []
    for j, ref in enumerate(refs):
        scen = _load_scenario(ref, f"{where}: scenarios[{j}]", base_dir)
        if settings:
            try:
                scen = scen.with_overrides(settings, source=f"{where}: set")
            except ScenarioError as err:
                raise InputError(str(err)) from None
        label = Path(ref).stem if ref.endswith(".toml") else ref
        scenarios.append((label, scen))
    measure_name = raw.get("measure")
    if not isinstance(measure_name, str):
        raise InputError(f"{where}: measure: expected the name of a measure, got {measure_name!r}")
    try:
        meas = get_measure(measure_name)
    except KeyError as err:
        raise InputError(f"{where}: measure: {err.args[0]}") from None
    params = {**raw.get("params", {}), **quick_raw.get("params", {})}
    if not isinstance(raw.get("params", {}), dict):
        raise InputError(f"{where}: params: expected a table of measure parameters, got {params!r}")
    import inspect

    sig = inspect.signature(meas.fn)
    try:
        sig.bind({}, **params)
    except TypeError as err:
        raise InputError(f"{where}: params: {err} (measure {measure_name!r} takes {sig})") from None
    aggregate = raw.get("aggregate", "mean")
    if aggregate not in AGGREGATES:
        raise InputError(f"{where}: aggregate: expected one of {', '.join(AGGREGATES)}, got {aggregate!r}")
    target = raw.get("target")
    if target is not None:
        target = _number(target, f"{where}: target")
    if "accept" in raw and "tolerance" in raw:
        raise InputError(f"{where}: give either accept or tolerance, not both")
    if "accept" in raw:
        acc = raw["accept"]
        if not isinstance(acc, list) or len(acc) != 2:
            raise InputError(
                f"{where}: accept: expected [low, high] (use inf or -inf for no bound), got {acc!r}"
            )
        lo, hi = (_number(a, f"{where}: accept") for a in acc)
        if lo > hi:
            raise InputError(f"{where}: accept: low {lo:g} is above high {hi:g}")
        accept = (lo, hi)
    elif "tolerance" in raw:
        tol = _number(raw["tolerance"], f"{where}: tolerance")
        if target is None or tol < 0:
            raise InputError(f"{where}: tolerance: expected a non-negative number together with a target")
        accept = (target - tol, target + tol)
    else:
        raise InputError(
            f"{where}: accept: expected the accepted range [low, high] (or a target and tolerance)"
        )
    share_strategy, levels = None, []
    vary = raw.get("vary_share")
    if vary is not None:
        if not isinstance(vary, dict) or set(vary) - {"strategy", "levels"}:
            raise InputError(f"{where}: vary_share: expected a table with strategy and levels")
        share_strategy = vary.get("strategy")
        levels = quick_raw.get("levels", vary.get("levels"))
        if not isinstance(levels, list) or len(levels) < 2:
            raise InputError(f"{where}: vary_share.levels: expected at least two shares in [0, 1]")
        levels = [_number(x, f"{where}: vary_share.levels") for x in levels]
        if any(not 0 <= x <= 1 for x in levels):
            raise InputError(f"{where}: vary_share.levels: expected shares in [0, 1], got {levels}")
        for _label, scen in scenarios:
            if share_strategy not in scen.mix and share_strategy not in _strategy_names():
                raise InputError(f"{where}: vary_share.strategy: unknown strategy {share_strategy!r}")
            for x in levels:
                try:
                    with_share(scen, share_strategy, x)
                except (ValueError, ScenarioError) as err:
                    raise InputError(f"{where}: vary_share: {err}") from None
    elif aggregate == "tipping_point":
        raise InputError(f"{where}: aggregate = 'tipping_point' needs a [pattern.vary_share] table")
    for label, scen in scenarios:
        if steps == 0 and scen.data["steps"] < 1:
            raise InputError(f"{where}: steps: scenario {label!r} runs 0 steps")
    return Pattern(
        name=name,
        title=raw.get("title", name),
        reference=raw["reference"],
        scenarios=scenarios,
        steps=steps,
        seeds=seeds,
        measure=measure_name,
        params=params,
        aggregate=aggregate,
        target=target,
        accept=accept,
        claim=raw.get("claim", ""),
        share_strategy=share_strategy,
        levels=levels,
        settings=settings,
    )


def _strategy_names() -> set[str]:
    from ..strategies import REGISTRY

    return set(REGISTRY)


def builtin_pattern_files() -> dict[str, Path]:
    """The built-in pattern files, name (file stem) -> path."""
    return {p.stem: p for p in sorted(PATTERN_DIR.glob("*.toml"))}


def resolve_pattern_file(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A built-in pattern file's name (``published``, ``calibration``) or a path to a TOML file.

    Raises
    ------
    InputError
        No such built-in name and no such file.
    """
    text = str(name_or_path)
    builtins = builtin_pattern_files()
    if isinstance(name_or_path, str) and not (text.endswith(".toml") or "/" in text):
        if text in builtins:
            return builtins[text]
        raise InputError(
            f"{text}: unknown pattern file; expected a built-in name ({', '.join(builtins)}) or a path to a .toml file"
        )
    path = Path(name_or_path)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    if not path.is_file():
        what = "is not a file" if path.exists() else "no such file"
        raise InputError(f"{path}: {what}; expected a pattern .toml file")
    return path


def load_patterns(
    path: str | Path | None = None, quick: bool = False, only: Iterable[str] | None = None
) -> PatternSuite:
    """Read and check a pattern file (default: the built-in suite); nothing runs.

    Raises
    ------
    InputError
        The file is missing or malformed, or a key or value is wrong: the
        message names the file, the pattern and the key.
    """
    path = resolve_pattern_file(path) if path is not None else BUILTIN_PATTERNS
    raw = read_toml(path)
    return suite_from_dict(raw, str(path), path.resolve().parent, quick=quick, only=only)


def suite_from_dict(
    raw: dict[str, Any],
    source: str = "<dict>",
    base_dir: Path | None = None,
    quick: bool = False,
    only: Iterable[str] | None = None,
) -> PatternSuite:
    """Check a parsed pattern file (see :func:`load_patterns`)."""
    for k in raw:
        if k not in SUITE_KEYS:
            raise InputError(f"{source}: {k}: unknown key (known: {', '.join(sorted(SUITE_KEYS))})")
    quick_raw = raw.get("quick", {})
    if not isinstance(quick_raw, dict) or set(quick_raw) - QUICK_KEYS:
        raise InputError(f"{source}: quick: expected a table with some of {', '.join(sorted(QUICK_KEYS))}")
    seed = raw.get("seed", 0)
    _int(seed, f"{source}: seed", 0)
    items = raw.get("pattern")
    if not isinstance(items, list) or not items:
        raise InputError(f"{source}: pattern: expected at least one [[pattern]] table")
    patterns = [_pattern(p, i, raw, source, base_dir, quick) for i, p in enumerate(items)]
    names = [p.name for p in patterns]
    for n in names:
        if names.count(n) > 1:
            raise InputError(f"{source}: pattern {n!r}: the name is used twice")
    if only:
        only = list(only)
        unknown = [n for n in only if n not in names]
        if unknown:
            raise InputError(f"{source}: no pattern named {unknown[0]!r} (known: {', '.join(names)})")
        patterns = [p for p in patterns if p.name in only]
    name = raw.get("name", Path(source).stem)
    return PatternSuite(
        name=name,
        description=raw.get("description", ""),
        seed=seed,
        patterns=patterns,
        source=source,
        quick=quick,
        raw=raw,
    )


# -- running ----------------------------------------------------------------------------


@dataclass
class RunJob:
    """One run and every measure the suite wants from it."""

    key: str
    spec: RunSpec
    measures: dict[str, tuple[str, dict[str, Any]]]  # measure key -> (measure name, params)


def _settings_hash(scenario: Scenario, steps: int) -> str:
    blob = json.dumps({"scenario": scenario.to_dict(), "steps": steps}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _with_recorders(scenario: Scenario, recorders: Iterable[str]) -> Scenario:
    pipeline = list(scenario.data["pipeline"])
    extra = [r for r in recorders if r not in pipeline]
    if not extra:
        return scenario
    return scenario.with_overrides({"pipeline": pipeline + extra}, source="pattern recorders")


def _measure_key(pattern: Pattern) -> str:
    return f"{pattern.name}:{pattern.measure}:{json.dumps(pattern.params, sort_keys=True)}"


def plan_runs(suite: PatternSuite) -> tuple[list[RunJob], dict[tuple[str, str, Any], list[str]]]:
    """Every distinct run the suite needs, and for each (pattern, scenario, level) the keys of its runs."""
    jobs: dict[str, RunJob] = {}
    recorders: dict[str, set[str]] = {}
    where: dict[tuple[str, str, Any], list[str]] = {}
    # first pass: which recorders each distinct setting needs
    for p in suite.patterns:
        needs = get_measure(p.measure).needs
        for _label, _level, scen in p.conditions():
            steps = p.steps or scen.data["steps"]
            recorders.setdefault(_settings_hash(scen, steps), set()).update(needs)
    for p in suite.patterns:
        mkey = _measure_key(p)
        for label, level, scen in p.conditions():
            steps = p.steps or scen.data["steps"]
            h = _settings_hash(scen, steps)
            keys = []
            for r in range(p.seeds):
                key = f"{h[:16]}-r{r:04d}"
                if key not in jobs:
                    run_scen = _with_recorders(scen, sorted(recorders[h]))
                    spec = RunSpec(
                        run_id=key,
                        scenario_label=label,
                        scenario_index=0,
                        point=0,
                        replication=r,
                        params={} if level is None else {f"share_{p.share_strategy}": level},
                        scenario=run_scen,
                        steps=int(steps),
                        master_seed=suite.seed,
                        # the seed depends on the settings and the replication only
                        spawn_key=(int(h[:8], 16), 0, r),
                    )
                    jobs[key] = RunJob(key, spec, {})
                jobs[key].measures[mkey] = (p.measure, p.params)
                keys.append(key)
            where[(p.name, label, level)] = keys
    return list(jobs.values()), where


def measure_run(job: RunJob) -> tuple[str, dict[str, float | str], str | None]:
    """Run one scenario (in a worker) and compute every measure wanted from it.

    Returns ``(key, {measure key: value or error text}, run error or None)``;
    never raises for a failing run or measure.
    """
    from ..sweep import perform_run

    outcome = perform_run(job.spec)
    if not outcome.ok:
        return job.key, {}, outcome.error
    values: dict[str, float | str] = {}
    for mkey, (name, params) in job.measures.items():
        try:
            values[mkey] = float(get_measure(name).fn(outcome.tables, **params))
        except Exception as err:  # noqa: BLE001 - a measure that cannot be computed fails its pattern only
            values[mkey] = f"{type(err).__name__}: {err}"
    return job.key, values, None


def evaluate(
    suite: PatternSuite,
    where: dict[tuple[str, str, Any], list[str]],
    results: dict[str, tuple[dict, str | None]],
) -> list[PatternCheck]:
    """Combine the per-run numbers of each pattern and scenario into a judged estimate."""
    checks = []
    for p in suite.patterns:
        mkey = _measure_key(p)
        for label, _ in p.scenarios:
            levels = p.levels if p.share_strategy else [None]
            xs, ys, errors, failed = [], [], [], 0
            by_level = {}
            for level in levels:
                vals = []
                for key in where[(p.name, label, level)]:
                    values, err = results.get(key, ({}, "not run"))
                    if err is not None:
                        failed += 1
                        errors.append(err)
                        continue
                    v = values.get(mkey)
                    if isinstance(v, str):
                        errors.append(v)
                        continue
                    vals.append(v)
                    xs.append(level)
                    ys.append(v)
                if level is not None:
                    finite = [v for v in vals if math.isfinite(v)]
                    by_level[level] = float(np.mean(finite)) if finite else float("nan")
            if not ys:
                est = Estimate(float("nan"), float("nan"), float("nan"), 0, note="no run gave a value")
            elif p.aggregate == "tipping_point":
                est = tipping_point(xs, ys, seed=suite.seed)
            else:
                est = mean_ci(ys)
            if errors:
                first = errors[0].splitlines()[0][:200]
                extra = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                est.note = "; ".join(x for x in (est.note, f"error: {first}{extra}") if x)
            checks.append(
                PatternCheck(
                    pattern=p,
                    scenario=label,
                    estimate=est,
                    passed=p.accepts_estimate(est) and not errors,
                    runs=len(ys),
                    failed_runs=failed,
                    errors=errors,
                    by_level=by_level,
                )
            )
    return checks


def run_patterns(
    suite: PatternSuite,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[PatternCheck], dict[str, Any]]:
    """Run every run the suite needs on an executor and judge every pattern.

    Returns the checks and facts about the session (runs, seconds).
    """
    from ..executors import make_executor

    t0 = time.perf_counter()
    jobs, where = plan_runs(suite)
    results: dict[str, tuple[dict, str | None]] = {}
    with make_executor(executor, workers, scheduler) as ex:
        described = ex.describe()
        for i, (job, out) in enumerate(ex.imap(measure_run, jobs), 1):
            if isinstance(out, BaseException):  # the worker itself was lost
                results[job.key] = ({}, f"{type(out).__name__}: {out}")
            else:
                _, values, err = out
                results[job.key] = (values, err)
            interrupts.check()  # a Ctrl-C that landed where Python drops it
            if progress:
                progress(i, len(jobs))
    checks = evaluate(suite, where, results)
    info = {"runs": len(jobs), "seconds": time.perf_counter() - t0, "executor": described}
    return checks, info
