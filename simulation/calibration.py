"""Calibration: fit parameters to several patterns at once with ABC-SMC (pyabc).

Approximate Bayesian computation by sequential Monte Carlo (Toni et al. 2009,
*J. R. Soc. Interface* 6:187; Klinger, Rickert & Hasenauer 2018,
*Bioinformatics* 34:3591 for pyabc) draws parameter sets from the priors,
simulates the patterns with each, and keeps the sets whose patterns come
closest to the published targets, tightening the tolerance generation by
generation.  The result is a sample from the approximate posterior: which
parameter values reproduce all the fitted patterns together, and how tightly
the patterns pin them down.  Where the patterns cannot all be met at once the
final distance stays large, and the page says so.

A calibration file is a pattern file (:mod:`simulation.patterns.suite`) with a
``[calibrate]`` table (format in ``docs/patterns.md``)::

    [calibrate]
    patterns = "published"          # the built-in suite, a path, or omit: this file's [[pattern]]s
    fit = ["decay_start", "decay_end", "bridge_decay/referral_group"]
    population = 40                 # particles per generation
    generations = 4
    seeds = 2                       # runs per pattern and scenario for each particle
    [calibrate.parameters]          # uniform priors [low, high]
    "mechanisms.exchange.b" = [2.0, 5.0]
    "mechanisms.maintenance.decay@referral_group" = [0.002, 0.03]   # in that scenario only

Distance: the root mean square over the fitted patterns (and scenarios) of
``(reproduced - target) / scale``, where ``scale`` is half the width of the
accepted range (or the distance from the target to its finite end).  The
history is kept by pyabc in SQLite (``results/calibration/NAME.db`` by
default), one generation at a time, so a calibration stopped between
generations resumes from its history (``calibrate(..., resume=True)``).
pyabc is an optional extra (``calibrate``; ``make install`` installs it, or ``pip install 'pyabc>=0.13'``).
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import interrupts
from .errors import InputError, ScenarioError
from .patterns.suite import Pattern, PatternSuite, load_patterns, resolve_pattern_file, suite_from_dict
from .schema_doc import toml_value

__all__ = [
    "BUILTIN_CALIBRATIONS",
    "Calibration",
    "fitted_rows",
    "load_calibration",
    "calibrate",
    "summarize",
    "summarize_db",
    "CalibrationResult",
    "fingerprint",
    "require_pyabc",
]

#: the built-in calibrations whose posterior set defaults (files in ``simulation/builtin/patterns``;
#: their runs in ``docs/calibration.md``): the referral group's tie decay.  (``calibration_platform``,
#: the online platform's, set none: the pattern does not pin that parameter down.)
BUILTIN_CALIBRATIONS = ("calibration",)

CALIBRATE_KEYS = {
    "patterns",
    "fit",
    "population",
    "generations",
    "seeds",
    "steps",
    "seed",
    "min_epsilon",
    "db",
    "set",
    "parameters",
}


def require_pyabc():
    """Import pyabc, or fail with the one line that says how to get it."""
    try:
        import pyabc
    except ImportError:
        raise InputError(
            "givetake calibrate needs pyabc, which is not installed: pip install 'pyabc>=0.13' (make install installs it)"
        ) from None
    return pyabc


@dataclass
class Calibration:
    """A checked calibration: the patterns to fit, the priors and the ABC-SMC settings."""

    name: str
    source: str
    suite: PatternSuite
    fit: list[Pattern]
    priors: dict[str, tuple[float, float]]
    integer: dict[str, bool]
    #: the scenario a parameter is fitted in (``"setting@scenario"``), None for every fitted scenario
    only: dict[str, str | None] = field(default_factory=dict)
    population: int = 40
    generations: int = 4
    seeds: int = 2
    steps: int | None = None
    seed: int = 0
    min_epsilon: float = 0.0
    db: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def fit_names(self) -> list[str]:
        """The fitted patterns as ``calibrate.fit`` names them: ``pattern``, or
        ``pattern/scenario`` for a pattern fitted on one of its scenarios only."""
        names = []
        for p in self.fit:
            mine = [label for label, _ in p.scenarios]
            whole = [label for label, _ in self.suite.get(p.name).scenarios]
            names.append(p.name if mine == whole else f"{p.name}/{mine[0]}")
        return names

    def scale(self, p: Pattern) -> float:
        lo, hi = p.accept
        t = p.target
        if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
            return (hi - lo) / 2
        ends = [abs(t - b) for b in (lo, hi) if math.isfinite(b) and b != t]
        return min(ends) if ends else 1.0


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _posint(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{where}: expected a positive integer, got {value!r}")
    return value


def load_calibration(path: str | Path) -> Calibration:
    """Read and check a calibration file; nothing runs.

    Raises
    ------
    InputError
        Naming the file and the key.
    """
    from .scenario_files import parse_toml

    path = resolve_pattern_file(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text ({err.reason})") from None
    raw = parse_toml(text, str(path))
    cal = raw.get("calibrate")
    if not isinstance(cal, dict):
        raise InputError(f"{path}: calibrate: expected a [calibrate] table")
    for k in cal:
        if k not in CALIBRATE_KEYS:
            raise InputError(
                f"{path}: calibrate.{k}: unknown key (known: {', '.join(sorted(CALIBRATE_KEYS))})"
            )
    ref = cal.get("patterns")
    if ref is None:
        suite = suite_from_dict(raw, str(path), path.resolve().parent)
    elif isinstance(ref, str) and ref:
        suite = load_patterns(resolve_pattern_file(ref, relative_to=path.resolve().parent))
    else:
        raise InputError(
            f"{path}: calibrate.patterns: expected a built-in pattern file name or a path, got {ref!r}"
        )
    common = cal.get("set", {})
    if not isinstance(common, dict):
        raise InputError(f"{path}: calibrate.set: expected a table of dotted settings, got {common!r}")
    names = [p.name for p in suite.patterns]
    fit_names = cal.get("fit", [p.name for p in suite.patterns if p.target is not None])
    if not isinstance(fit_names, list) or not fit_names:
        raise InputError(f"{path}: calibrate.fit: expected a list of pattern names")
    fit = []
    for entry in fit_names:
        if not isinstance(entry, str):
            raise InputError(f"{path}: calibrate.fit: expected pattern names, got {entry!r}")
        # "pattern/scenario" fits one scenario of a pattern that has several
        n, _, only = entry.partition("/")
        if n not in names:
            raise InputError(f"{path}: calibrate.fit: no pattern named {n!r} (known: {', '.join(names)})")
        p = replace(suite.get(n))
        if p.target is None:
            raise InputError(f"{path}: calibrate.fit: pattern {n!r} has no target to fit")
        if only:
            labels = [label for label, _ in p.scenarios]
            if only not in labels:
                raise InputError(
                    f"{path}: calibrate.fit: pattern {n!r} has no scenario {only!r} (its scenarios: "
                    f"{', '.join(labels)})"
                )
            p.scenarios = [(label, scen) for label, scen in p.scenarios if label == only]
        if common:
            try:
                p.scenarios = [
                    (label, scen.with_overrides(dict(common), source=f"{path}: calibrate.set"))
                    for label, scen in p.scenarios
                ]
            except ScenarioError as err:
                raise InputError(str(err)) from None
        fit.append(p)
    params = cal.get("parameters")
    if not isinstance(params, dict) or not params:
        raise InputError(f"{path}: calibrate.parameters: expected a table of dotted keys with [low, high]")
    priors, integer, scoped = {}, {}, {}
    fitted_labels = list(dict.fromkeys(label for p in fit for label, _ in p.scenarios))
    for key, rng in params.items():
        where = f"{path}: calibrate.parameters.{key}"
        if not isinstance(rng, list) or len(rng) != 2:
            raise InputError(f"{where}: expected [low, high] (a uniform prior), got {rng!r}")
        lo, hi = _num(rng[0], where), _num(rng[1], where)
        if not lo < hi:
            raise InputError(f"{where}: expected low < high, got [{lo:g}, {hi:g}]")
        # "setting@scenario": one value of the setting fitted for that scenario only
        setting, at, only = key.partition("@")
        if at and only not in fitted_labels:
            raise InputError(
                f"{where}: expected setting@scenario with a scenario of the fitted patterns "
                f"({', '.join(fitted_labels)}), got {only!r}"
            )
        priors[key] = (lo, hi)
        scoped[key] = only or None
        # every scenario it applies to, of every fitted pattern, must accept both ends of the prior
        for p in fit:
            for label, scen in p.scenarios:
                if at and label != only:
                    continue
                try:
                    current = scen.get(setting)
                except (KeyError, TypeError):
                    raise InputError(
                        f"{where}: scenario {label!r} of pattern {p.name!r} has no such setting"
                    ) from None
                integer[key] = isinstance(current, int) and not isinstance(current, bool)
                for end in (lo, hi):
                    value = round(end) if integer[key] else end
                    try:
                        scen.with_overrides({setting: value}, source=where)
                    except Exception as err:  # noqa: BLE001 - the scenario's own check names the problem
                        raise InputError(f"{where}: {err}") from None
    name = raw.get("name", path.stem)
    steps = cal.get("steps")
    return Calibration(
        name=name,
        source=str(path),
        suite=suite,
        fit=fit,
        priors=priors,
        integer=integer,
        only=scoped,
        population=_posint(cal.get("population", 40), f"{path}: calibrate.population"),
        generations=_posint(cal.get("generations", 4), f"{path}: calibrate.generations"),
        seeds=_posint(cal.get("seeds", 2), f"{path}: calibrate.seeds"),
        steps=None if steps is None else _posint(steps, f"{path}: calibrate.steps"),
        seed=int(_num(cal.get("seed", 0), f"{path}: calibrate.seed")),
        min_epsilon=_num(cal.get("min_epsilon", 0.0), f"{path}: calibrate.min_epsilon"),
        db=cal.get("db"),
        raw=raw,
    )


class PatternModel:
    """What pyabc calls for each particle: the fitted patterns reproduced with its parameters.

    A picklable callable (it travels to process and Dask workers).  Each
    particle's runs get fresh seeds from its own entropy, as ABC needs
    independent simulations.
    """

    def __init__(self, cal: Calibration):
        self.fit = cal.fit
        self.integer = cal.integer
        self.only = cal.only
        self.seeds = cal.seeds
        self.steps = cal.steps

    def __call__(self, params: dict[str, float]) -> dict[str, float]:
        from .patterns.suite import evaluate, measure_run, plan_runs

        interrupts.check()
        # from numpy's global generator, which pyabc seeds (and re-seeds in each worker)
        entropy = int(np.random.randint(0, 2**62))
        suite = self.particle_suite(params, entropy)
        jobs, where = plan_runs(suite)  # patterns that need the same runs share them
        results = {}
        for job in jobs:
            key, values, err = measure_run(job)
            results[key] = (values, err)
        # each value is the mean over the particle's `seeds` runs (evaluate's estimate)
        return {f"{c.pattern.name}/{c.scenario}": c.estimate.value for c in evaluate(suite, where, results)}

    def particle_suite(self, params: dict[str, float], entropy: int) -> PatternSuite:
        """The fitted patterns with a particle's parameter values, ``seeds`` runs each, every
        run's seed spawned from ``entropy`` (the particle's) and the run's settings and index."""
        values = {k: (int(round(v)) if self.integer.get(k) else float(v)) for k, v in dict(params).items()}
        patterns = [
            replace(
                p,
                scenarios=[
                    (label, s.with_overrides(self.overrides(values, label), source="calibration"))
                    for label, s in p.scenarios
                ],
                seeds=self.seeds,
                steps=self.steps or p.steps,
            )
            for p in self.fit
        ]
        return PatternSuite("particle", "", entropy, patterns, "calibration")

    def overrides(self, values: dict[str, float], label: str) -> dict[str, float]:
        """The settings a particle's ``values`` give the scenario ``label``: every parameter that
        applies to all fitted scenarios, then those fitted for ``label`` alone (``setting@label``)."""
        out = {k: v for k, v in values.items() if self.only.get(k) is None}
        for k, v in values.items():
            if self.only.get(k) == label:
                out[k.partition("@")[0]] = v
        return out


class PatternDistance:
    """Root mean square of the scaled gaps between reproduced values and targets (missing: 10 scales)."""

    def __init__(self, cal: Calibration):
        self.scales = {f"{p.name}/{label}": cal.scale(p) for p in cal.fit for label, _ in p.scenarios}

    def __call__(self, x: dict[str, float], x0: dict[str, float]) -> float:
        gaps = []
        for key, scale in self.scales.items():
            v = x.get(key, float("nan"))
            gaps.append((v - x0[key]) / scale if math.isfinite(v) else 10.0)
        return float(np.sqrt(np.mean(np.square(gaps))))


@dataclass
class CalibrationResult:
    calibration: Calibration
    db: Path
    posterior: dict[str, dict[str, float]]
    generations: list[dict[str, Any]]
    seconds: float
    executor: str
    #: the generations the history already held when this run resumed it (None: not resumed)
    resumed_after: int | None = None

    def to_toml(self) -> str:
        """The result as TOML: the calibration's settings and the posterior summary."""
        cal = self.calibration
        resumed = "" if self.resumed_after is None else f", resumed after {self.resumed_after} generation(s)"
        lines = [
            f"# Result of `givetake calibrate {Path(cal.source).name}` ({self.seconds:.0f} s on "
            f"{self.executor}{resumed}).",
            f"name = {toml_value(cal.name)}",
            f"fit = [{', '.join(toml_value(name) for name in cal.fit_names)}]",
            f"population = {cal.population}",
            f"generations_run = {len(self.generations)}",
            f"final_epsilon = {self.generations[-1]['epsilon'] if self.generations else float('nan'):.6g}",
            "",
        ]
        for key, s in self.posterior.items():
            lines.append(f'[posterior."{key}"]')
            for k, v in s.items():
                lines.append(f"{k} = {v:.6g}")
            lines.append("")
        return "\n".join(lines)


def _sampler(pyabc, executor: str, workers: int | None, client):
    from .executors import default_workers

    if executor == "serial":
        return pyabc.sampler.SingleCoreSampler()
    if executor == "process":
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers or default_workers())
    if executor == "dask":
        return pyabc.sampler.DaskDistributedSampler(dask_client=client)
    raise InputError(f"--executor {executor!r}: expected serial, process or dask")


def fingerprint(cal: Calibration) -> dict[str, Any]:
    """What a history must share with ``cal`` to be continued by it: the fitted patterns (their
    targets, scales and the settings of their runs), the priors, the particles a generation and
    the runs a particle.  The seed, the generations asked for and ``min_epsilon`` may change
    between runs of one calibration: they say how far to go, not what is fitted."""
    from .patterns.suite import _settings_hash

    return {
        "fit": cal.fit_names,
        "parameters": {k: list(v) for k, v in cal.priors.items()},
        "targets": {f"{p.name}/{label}": p.target for p in cal.fit for label, _ in p.scenarios},
        "scales": PatternDistance(cal).scales,
        "runs": {
            f"{p.name}/{label}": _settings_hash(scen, cal.steps or p.steps or scen.data["steps"])[:16]
            for p in cal.fit
            for label, scen in p.scenarios
        },
        "population": cal.population,
        "seeds": cal.seeds,
    }


#: the key of :func:`fingerprint` in the history's meta information (pyabc's ``json_parameters``)
_META_KEY = "givetake_calibration"


def _open_history(pyabc, cal: Calibration, db: Path):
    """The pyabc history in ``db`` if it is ``cal``'s, else an :class:`InputError` naming what differs.

    A history written before the fingerprint was kept is checked by its parameters and its
    fitted patterns' targets alone."""
    if not db.is_file():
        raise InputError(f"{db}: no such calibration history")
    try:
        history = pyabc.History(f"sqlite:///{db.resolve()}", create=False)
        runs = history.all_runs()
    except Exception as err:  # noqa: BLE001 - sqlalchemy's and pyabc's errors for a file that is no history
        first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise InputError(f"{db}: not a calibration history ({first})") from None
    if not runs or history.id is None:
        raise InputError(f"{db}: not a calibration history (it holds no ABC-SMC run)")
    try:
        meta = ast.literal_eval(history.get_abc().json_parameters or "{}")
    except (ValueError, SyntaxError):
        meta = {}
    stored = json.loads(meta[_META_KEY]) if isinstance(meta, dict) and _META_KEY in meta else None
    now = json.loads(json.dumps(fingerprint(cal)))  # the stored one went through JSON too
    source = Path(cal.source).name
    if stored is not None:
        for key, value in now.items():
            if stored.get(key) != value:
                raise InputError(
                    f"{db}: not a history of {source}: {_difference(key, stored.get(key), value)}"
                )
        return history
    observed = {k: float(np.asarray(v)) for k, v in history.observed_sum_stat().items()}
    if observed != now["targets"]:
        raise InputError(
            f"{db}: not a history of {source}: {_difference('targets', observed, now['targets'])}"
        )
    if history.max_t is not None and history.max_t >= 0:
        names = sorted(history.get_distribution(m=0, t=history.max_t)[0].columns)
        if names != sorted(cal.priors):
            raise InputError(
                f"{db}: not a history of {source}: its parameters are {', '.join(names)}, "
                f"the file's {', '.join(sorted(cal.priors))}"
            )
    return history


def _difference(key: str, stored: Any, now: Any) -> str:
    """One phrase saying how the history's ``key`` differs from the file's."""
    if isinstance(stored, dict) and isinstance(now, dict):
        if sorted(stored) != sorted(now):
            return f"its {key} are for {', '.join(sorted(stored))}, the file's for {', '.join(sorted(now))}"
        (first,) = [k for k in now if stored[k] != now[k]][:1]
        if key == "runs":
            return f"the runs of {first} have other settings than the file's"
        return f"its {key} of {first} is {stored[first]}, the file's {now[first]}"
    return f"its {key} is {stored}, the file's {now}"


def _generation_seed(seed: int, t: int) -> np.ndarray:
    """numpy's global seed for generation ``t``: from the file's seed and ``t`` alone, so a
    generation draws the same whether the run went through or was resumed before it."""
    return np.random.SeedSequence([seed % 2**64, t]).generate_state(4)


def calibrate(
    cal: Calibration,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    db: str | Path | None = None,
    resume: bool = False,
    progress: Callable[[int, Any], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> CalibrationResult:
    """Run ABC-SMC for ``cal`` and summarise the posterior (weighted mean, sd, 2.5/50/97.5 % quantiles).

    Each generation is one pyabc run that continues the history in ``db`` (``ABCSMC.load``) from
    its last completed generation, with numpy's global generator seeded from the file's seed and
    the generation's index.  A fresh calibration and a resumed one therefore take the same path,
    and with the serial sampler a calibration stopped between generations and resumed
    (``resume=True``) gives the particles an uninterrupted one gives.  ``resume`` continues an
    existing history of ``cal`` (checked with :func:`fingerprint`) up to ``cal.generations``
    generations in all, or until a generation's tolerance reaches ``cal.min_epsilon``; without
    it, ``db`` must not exist.  ``on_start(n)`` is called once the history is checked, with the
    generations it already holds, and ``progress(t, history)`` after each generation.
    """
    import logging

    pyabc = require_pyabc()
    from .executors import DaskExecutor

    for name in ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "ABC.History", "ABC.Sampler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    db = Path(db or cal.db or Path("results") / "calibration" / f"{cal.name}.db")
    abc_id, resumed_after = None, None
    if resume:
        history = _open_history(pyabc, cal, db)
        abc_id, resumed_after = history.id, history.max_t + 1
    elif db.exists():
        raise InputError(
            f"{db}: already exists; resume it with --resume, remove it or choose another --db "
            "(a calibration's history is not mixed)"
        )
    db.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{db.resolve()}"
    if on_start is not None:
        on_start(resumed_after or 0)
    t0 = time.perf_counter()
    # an integer setting is the rounded value of a uniform over [low - 1/2, high + 1/2]: every
    # integer in [low, high] equally likely
    widen = {k: 0.5 if cal.integer.get(k) else 0.0 for k in cal.priors}
    prior = pyabc.Distribution(
        **{
            k: pyabc.RV("uniform", lo - widen[k], hi - lo + 2 * widen[k])
            for k, (lo, hi) in cal.priors.items()
        }
    )
    identity = fingerprint(cal)  # what the history records of this calibration
    observed = identity["targets"]
    dask = DaskExecutor(workers, scheduler) if executor == "dask" else None
    if dask is not None:
        dask.__enter__()
    try:
        sampler = _sampler(pyabc, executor, workers, dask.client if dask else None)
        described = dask.describe() if dask else f"{executor} ({getattr(sampler, 'n_procs', 1)} worker(s))"
        t = resumed_after or 0
        while t < cal.generations:
            interrupts.check()  # a Ctrl-C that landed where Python drops it (pyabc's weakrefs)
            if t > 0:
                last = pyabc.History(url, _id=abc_id).get_all_populations().set_index("t").epsilon[t - 1]
                if last <= cal.min_epsilon:  # pyabc's own rule: stop once a tolerance reaches it
                    break
            # generation 0 accepts the first `population` draws from the prior (no separate
            # calibration sample: the distance is fixed, so it needs none); a later generation's
            # tolerance is the median distance of the one before, taken from the history
            abc = pyabc.ABCSMC(
                PatternModel(cal),
                prior,
                PatternDistance(cal),
                population_size=cal.population,
                sampler=sampler,
                eps=pyabc.MedianEpsilon(initial_epsilon=math.inf if t == 0 else "from_sample"),
            )
            if abc_id is None:
                history = abc.new(url, observed, meta_info={_META_KEY: json.dumps(identity)})
                abc_id = history.id
            else:
                abc.load(url, abc_id, observed)
            np.random.seed(_generation_seed(cal.seed, t))  # pyabc draws from numpy's global generator
            # in this process, Ctrl-C stops the generation at its next particle (PatternModel
            # checks), never halfway through pyabc's or SQLAlchemy's code: a KeyboardInterrupt
            # there was dropped, or left a lock taken and the calibration waiting for ever
            with interrupts.deferred() if executor == "serial" else contextlib.nullcontext():
                history = abc.run(minimum_epsilon=cal.min_epsilon, max_nr_populations=1)
            interrupts.check()
            if history.max_t < t:  # pyabc stopped without a population (it does when a sample fails)
                break
            if progress is not None:
                progress(t, history)
            t += 1
    finally:
        if dask is not None:
            dask.close()
    history = pyabc.History(url, _id=abc_id)
    if history.max_t is None or history.max_t < 0:
        raise InputError(f"{db}: the calibration completed no generation")
    posterior, gens = summarize(cal, history)
    return CalibrationResult(
        cal, db, posterior, gens, time.perf_counter() - t0, described, resumed_after=resumed_after
    )


def summarize(cal: Calibration, history, t: int | None = None):
    """The posterior of generation ``t`` (default the last one completed) of a pyabc history:
    weighted mean, sd and 2.5/50/97.5 % quantiles per parameter, and every generation's
    tolerance, simulations and particles up to ``t``."""
    t = history.max_t if t is None else t
    df, w = history.get_distribution(m=0, t=t)
    w = np.asarray(w, float) / np.sum(w)
    posterior = {}
    for key in cal.priors:
        x = df[key].to_numpy(float)
        if cal.integer.get(key):
            x = np.round(x) + 0.0  # the values the runs used (+ 0.0: no negative zero)
        order = np.argsort(x)
        cw = np.cumsum(w[order])
        q = lambda p, x=x, order=order, cw=cw: float(x[order][np.searchsorted(cw, p)])  # noqa: E731
        mean = float(np.sum(w * x))
        posterior[key] = {
            "mean": mean,
            "sd": float(np.sqrt(np.sum(w * (x - mean) ** 2))),
            "q025": q(0.025),
            "median": q(0.5),
            "q975": q(0.975),
            "prior_low": cal.priors[key][0],
            "prior_high": cal.priors[key][1],
        }
    pops = history.get_all_populations()
    gens = [
        {"t": int(r.t), "epsilon": float(r.epsilon), "samples": int(r.samples), "particles": int(r.particles)}
        for r in pops.itertuples()
        if 0 <= r.t <= t
    ]
    return posterior, gens


def summarize_db(cal: Calibration, db: str | Path) -> CalibrationResult:
    """The result kept in an existing history (e.g. of a calibration stopped after some generations)."""
    pyabc = require_pyabc()
    db = Path(db)
    history = _open_history(pyabc, cal, db)
    if history.max_t is None or history.max_t < 0:
        raise InputError(f"{db}: the history has no completed generation")
    posterior, gens = summarize(cal, history)
    # the generations' own wall time, without the time between a stop and its --resume
    seconds = float(history.get_all_populations().query("t >= 0").wall_time.fillna(0).sum())
    return CalibrationResult(cal, db, posterior, gens, seconds, "the history in " + db.name)


def fitted_rows(suite, overridden=()) -> set[tuple[str, str]]:
    """The (pattern, scenario) rows of ``suite`` that the built-in calibrations of the defaults
    fit (none unless ``suite`` is the pattern file they fit).  A row whose fitted setting is
    among ``overridden`` (settings given on the command line) runs with the given value, not the
    fitted default, and is not counted as fitted."""
    overridden = set(overridden)
    rows = set()
    for name in BUILTIN_CALIBRATIONS:
        cal = load_calibration(name)
        if Path(cal.suite.source).resolve() != Path(suite.source).resolve():
            continue
        # the scenarios whose fitted setting was replaced (None: every scenario of the fit)
        replaced = {cal.only.get(key) for key in cal.priors if key.partition("@")[0] in overridden}
        for p in cal.fit:
            for label, _ in p.scenarios:
                if None not in replaced and label not in replaced:
                    rows.add((p.name, label))
    return rows
