"""Experiment files: which scenarios, which parameters to vary, how many runs.

An experiment is a TOML file (format in ``docs/experiments.md``); the
built-in ones (:func:`builtin_experiments`, e.g. ``networking_styles``) are
named without a path, like built-in scenarios::

    name = "networking_styles"
    scenarios = ["open_mixer", "referral_group"]   # built-in names or paths
    replications = 20
    steps = 100
    seed = 20261122                                 # the master seed

    [set]                                           # for every scenario
    "population.size" = 300

    [vary]                                          # optional
    method = "grid"                                 # grid | latin | sobol | morris
    [vary.values]
    "mechanisms.exchange.b" = [2.0, 3.0, 4.0]

:func:`load_experiment` checks everything -- every scenario, every
override, every design point -- before a single run starts, and raises
:class:`~simulation.errors.InputError` with a one-line message naming the
file, the key and what was expected.  :meth:`Experiment.runs` expands the
experiment into :class:`RunSpec` objects: scenario x design point x
replication, each with its own seed spawned from the master seed by
:class:`numpy.random.SeedSequence`.  Replication ``r`` of point ``p`` of
scenario ``s`` always gets the seed ``SeedSequence(seed).spawn(...)[s]
.spawn(...)[p].spawn(...)[r]`` (spawn key ``(s, p, r)``), so adding
replications or reading the experiment again never changes existing seeds.

Examples
--------
>>> exp = Experiment.from_dict(
...     {"scenarios": [{"scenario": {"population": {"size": 40}, "network": {"mean_degree": 4}},
...                     "label": "small"}],
...      "replications": 2, "steps": 5, "seed": 7,
...      "vary": {"values": {"mechanisms.exchange.b": [2.0, 4.0]}}})
>>> [r.run_id for r in exp.runs()]
['small-p0000-r0000', 'small-p0000-r0001', 'small-p0001-r0000', 'small-p0001-r0001']
>>> exp.runs()[3].spawn_key, exp.runs()[3].params
((0, 1, 1), {'mechanisms.exchange.b': 4.0})
>>> Experiment.from_dict({"replications": 0}, source="x.toml")
Traceback (most recent call last):
...
simulation.errors.InputError: x.toml: replications: expected an integer in [1, 1000000], got 0
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .builtin import EXPERIMENT_DIR
from .errors import InputError
from .params import Param
from .scenario import Scenario, ScenarioError, check_table, suggest, unread_settings, with_share

__all__ = [
    "DESIGNS",
    "EXPERIMENT_KEYS",
    "Experiment",
    "apply_point",
    "RunSpec",
    "ScenarioEntry",
    "builtin_experiments",
    "load_experiment",
    "resolve_experiment",
    "run_seed",
]

#: design methods of ``[vary]``
DESIGNS = ("grid", "latin", "sobol", "morris")

EXPERIMENT_KEYS = {
    "name": Param("experiment", "short name of the experiment (names the results folder)"),
    "description": Param("", "what the experiment asks, in plain words"),
    "replications": Param(10, "seeded runs of every scenario and design point", 1, 1_000_000),
    "steps": Param(0, "weeks per run; 0 keeps each scenario's own `steps`", 0, 10_000_000),
    "seed": Param(0, "master seed; every run's seed is spawned from it", 0, 2**63 - 1),
    "scenarios": Param([], "scenarios to compare: built-in names, paths or tables", kind=list),
}

VARY_KEYS = {
    "method": Param("grid", "how design points are chosen", choices=DESIGNS),
    "samples": Param(
        8, "latin: points; sobol: base sample N (points = N(D+2)); morris: trajectories", 1, 1_000_000
    ),
    "levels": Param(4, "morris: grid levels of each parameter", 2, 1000),
}

#: keys of ``[vary.share]``: one strategy's share of the mix, the others scaled to fill the rest
SHARE_KEYS = {"strategy", "levels", "ordinary"}

#: prefix of a design point's key that sets a strategy's share (``share.taker``)
SHARE_PREFIX = "share."


def apply_point(scenario: Scenario, point: dict[str, Any], source: str = "<experiment>") -> Scenario:
    """``scenario`` at a design point: dotted settings, and ``share.<strategy>`` keys through
    :func:`~simulation.scenario.with_share` (the other strategies keep their proportions)."""
    settings = {k: v for k, v in point.items() if not k.startswith(SHARE_PREFIX)}
    out = scenario.with_overrides(settings, source=source) if settings else scenario
    for k, v in point.items():
        if k.startswith(SHARE_PREFIX):
            try:
                out = with_share(out, k[len(SHARE_PREFIX) :], float(v))
            except ValueError as err:  # a share the mix cannot make: named like any bad setting
                raise ScenarioError(source, "vary.share", str(err)) from None
    return out


SCENARIO_TABLE_KEYS = ("scenario", "label", "set")

_LABEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+=-]*$")


def run_seed(master: int, spawn_key: tuple[int, ...]) -> np.random.SeedSequence:
    """The seed of one run: the child of ``SeedSequence(master)`` at ``spawn_key``.

    Identical to spawning child by child (``SeedSequence(master).spawn(s+1)[s]
    .spawn(p+1)[p] ...``), without creating the siblings.

    >>> a = run_seed(5, (1, 2))
    >>> b = np.random.SeedSequence(5).spawn(2)[1].spawn(3)[2]
    >>> a.generate_state(2).tolist() == b.generate_state(2).tolist()
    True
    """
    return np.random.SeedSequence(master, spawn_key=tuple(int(k) for k in spawn_key))


@dataclass(frozen=True)
class ScenarioEntry:
    """One scenario of an experiment: its label, where it came from and its checked settings."""

    label: str
    reference: str
    scenario: Scenario


@dataclass
class RunSpec:
    """Everything one run needs: a pure function of ``scenario``, ``steps`` and the seed."""

    run_id: str
    scenario_label: str
    scenario_index: int
    point: int
    replication: int
    params: dict[str, Any]
    scenario: Scenario
    steps: int
    master_seed: int
    spawn_key: tuple[int, int, int]

    @property
    def seed(self) -> np.random.SeedSequence:
        return run_seed(self.master_seed, self.spawn_key)

    def tags(self) -> dict[str, Any]:
        """The columns that identify this run in every stored table."""
        return {
            "run_id": self.run_id,
            "scenario": self.scenario_label,
            "point": self.point,
            "replication": self.replication,
            "seed": self.master_seed,
            "spawn_key": "/".join(str(k) for k in self.spawn_key),
            **self.params,
        }


@dataclass
class Experiment:
    """A checked experiment: scenarios, design points, replications, steps and master seed."""

    name: str
    description: str
    scenarios: list[ScenarioEntry]
    points: list[dict[str, Any]]
    replications: int
    steps: int
    seed: int
    method: str = "grid"
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    levels: int = 0
    source: str = "<dict>"
    text_hash: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    #: one line per experiment-wide setting (``[set]``, ``[vary]``) a scenario never reads
    notes: list[str] = field(default_factory=list)

    # -- construction ------------------------------------------------------
    @classmethod
    def from_dict(
        cls, raw: dict[str, Any], source: str = "<dict>", base_dir: Path | None = None
    ) -> Experiment:
        """Check a parsed experiment table and expand its design.

        Raises
        ------
        InputError
            Naming ``source``, the key and what was expected.
        """
        if not isinstance(raw, dict):
            raise InputError(f"{source}: expected a table of settings")
        checked = _checked(EXPERIMENT_KEYS, raw, "", source, others=("set", "vary"))
        vals = {key: spec.default for key, spec in EXPERIMENT_KEYS.items()} | checked
        name = vals["name"] if "name" in raw else (Path(source).stem if source != "<dict>" else "experiment")
        if not _LABEL.match(name):
            raise InputError(f"{source}: name = {name!r}: expected letters, digits, '_', '-' or '.'")
        common = _flatten(raw.get("set", {}), "set", source)
        method, points, ranges, levels = _design(raw.get("vary"), source, vals["seed"])
        notes: list[str] = []
        entries = _scenarios(vals["scenarios"], common, source, base_dir, notes)
        varied = [k for point in points for k in point if not k.startswith(SHARE_PREFIX)]
        for entry in entries:  # [vary] is for every scenario too: a note, like [set]
            for key, why in unread_settings(entry.scenario, dict.fromkeys(varied)).items():
                notes.append(f"{source}: vary: {key}: {why} (scenario {entry.label!r})")
        # every scenario at every design point must be a valid scenario
        for entry in entries:
            for i, point in enumerate(points):
                try:
                    apply_point(entry.scenario, point, source=f"{source}: vary point {i}")
                except ScenarioError as err:
                    raise InputError(f"{err} (scenario {entry.label!r})") from None
        if vals["steps"] == 0:
            for entry in entries:
                if entry.scenario.data["steps"] < 1:
                    raise InputError(
                        f"{source}: steps: scenario {entry.label!r} runs 0 steps; set steps >= 1"
                    )
        exp = cls(
            name=name,
            description=vals["description"],
            scenarios=entries,
            points=points,
            replications=vals["replications"],
            steps=vals["steps"],
            seed=vals["seed"],
            method=method,
            ranges=ranges,
            levels=levels,
            source=source,
            raw=raw,
            notes=notes,
        )
        return exp

    # -- expansion ---------------------------------------------------------
    def runs(self, replications: int | None = None, steps: int | None = None) -> list[RunSpec]:
        """Every run, in a fixed order: scenario, then design point, then replication."""
        reps = self.replications if replications is None else replications
        out: list[RunSpec] = []
        for s, entry in enumerate(self.scenarios):
            for p, point in enumerate(self.points):
                scenario = apply_point(entry.scenario, point, source=self.source)
                params = dict(point)
                if self.share_strategy:
                    # every run says its share, the scenario's own mix included
                    params[SHARE_PREFIX + self.share_strategy] = float(
                        scenario.mix.get(self.share_strategy, 0.0)
                    )
                    params["ordinary_mix"] = not any(k.startswith(SHARE_PREFIX) for k in point)
                n_steps = steps or self.steps or scenario.data["steps"]
                for r in range(reps):
                    out.append(
                        RunSpec(
                            run_id=f"{entry.label}-p{p:04d}-r{r:04d}",
                            scenario_label=entry.label,
                            scenario_index=s,
                            point=p,
                            replication=r,
                            params=params,
                            scenario=scenario,
                            steps=int(n_steps),
                            master_seed=self.seed,
                            spawn_key=(s, p, r),
                        )
                    )
        return out

    @property
    def share_strategy(self) -> str | None:
        """The strategy whose share ``[vary.share]`` varies, or None."""
        for point in self.points:
            for k in point:
                if k.startswith(SHARE_PREFIX):
                    return k[len(SHARE_PREFIX) :]
        return None

    @property
    def varied(self) -> list[str]:
        """The dotted keys the design varies."""
        keys: list[str] = []
        for point in self.points:
            keys += [k for k in point if k not in keys]
        return keys

    def identity(self, steps: int | None = None) -> dict[str, Any]:
        """What makes two stores comparable: the file's hash, the run length and the scenarios' content."""
        scen = {e.label: e.scenario.to_dict() for e in self.scenarios}
        blob = json.dumps({"scenarios": scen, "points": self.points}, sort_keys=True, default=str)
        return {
            "experiment_hash": self.text_hash
            or hashlib.sha256(json.dumps(self.raw, sort_keys=True, default=str).encode()).hexdigest(),
            "scenarios_hash": hashlib.sha256(blob.encode()).hexdigest(),
            "steps": int(steps or self.steps),
            "seed": self.seed,
        }


def builtin_experiments() -> dict[str, Path]:
    """Every built-in experiment, name (file stem) -> path, sorted by name.

    >>> "networking_styles" in builtin_experiments()
    True
    """
    return {p.stem: p for p in sorted(EXPERIMENT_DIR.glob("*.toml"))}


def resolve_experiment(name_or_path: str | Path) -> Path:
    """The file of a built-in experiment name or a path to a TOML file.

    A bare name (no ``/``, not ending in ``.toml``) is a built-in experiment;
    anything else is a path.

    >>> resolve_experiment("networking_styles").name
    'networking_styles.toml'
    >>> resolve_experiment("networking_style")
    Traceback (most recent call last):
    ...
    simulation.errors.InputError: networking_style: unknown experiment (did you mean 'networking_styles'?); expected a built-in name (networking_styles) or a path to a .toml file
    """
    text = str(name_or_path)
    if isinstance(name_or_path, str) and not (text.endswith(".toml") or "/" in text or "\\" in text):
        builtins = builtin_experiments()
        if text in builtins:
            return builtins[text]
        if not Path(text).is_file():
            raise InputError(
                f"{text}: unknown experiment{suggest(text, builtins)}; expected a built-in name "
                f"({', '.join(builtins) or 'none installed'}) or a path to a .toml file"
            )
    path = Path(name_or_path)
    if not path.is_file():
        what = "is not a file" if path.exists() else "no such file"
        raise InputError(f"{path}: {what}; expected an experiment .toml file")
    return path


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file, or a built-in experiment named without a path; nothing runs.

    Raises
    ------
    InputError
        The file is missing, is not TOML, or a key or value is wrong; the
        message names the file and the key.
    """
    from .scenario_files import parse_toml

    path = resolve_experiment(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text ({err.reason})") from None
    raw = parse_toml(text, str(path))
    exp = Experiment.from_dict(raw, source=str(path), base_dir=path.resolve().parent)
    exp.text_hash = hashlib.sha256(data).hexdigest()
    return exp


# -- helpers -----------------------------------------------------------------


def _checked(
    params: dict[str, Param], table: dict[str, Any], prefix: str, source: str, others: tuple[str, ...]
) -> dict[str, Any]:
    """The scenario's key and value check (:func:`~simulation.scenario.check_table`), so that
    experiment and scenario files word their errors alike; raised as :class:`InputError`."""
    try:
        return check_table(params, table, prefix, source, others)
    except ScenarioError as err:
        raise InputError(str(err)) from None


def _flatten(table: Any, prefix: str, source: str) -> dict[str, Any]:
    """Nested TOML tables to dotted keys: ``{"population": {"size": 3}}`` -> ``{"population.size": 3}``."""
    if not isinstance(table, dict):
        raise InputError(f"{source}: {prefix}: expected a table of dotted keys, got {table!r}")
    out: dict[str, Any] = {}

    def walk(node: dict, path: str) -> None:
        for key, value in node.items():
            dotted = f"{path}.{key}" if path else key
            if isinstance(value, dict) and value:
                walk(value, dotted)
            else:
                out[dotted] = value

    walk(table, "")
    return out


def _scenarios(
    items: list, common: dict[str, Any], source: str, base_dir: Path | None, notes: list[str]
) -> list[ScenarioEntry]:
    """The checked scenarios with their settings.  A scenario's own ``set`` key it never reads
    is refused; a key of the experiment-wide ``[set]`` (for every scenario, some of which may
    lack its mechanism) adds a line to ``notes`` instead."""
    if not items:
        raise InputError(f"{source}: scenarios: expected at least one scenario name, path or table")
    entries: list[ScenarioEntry] = []
    for i, item in enumerate(items):
        key = f"scenarios[{i}]"
        if isinstance(item, str):
            item = {"scenario": item}
        if not isinstance(item, dict):
            raise InputError(f"{source}: {key}: expected a scenario name, a path or a table, got {item!r}")
        _checked({}, item, key, source, others=SCENARIO_TABLE_KEYS)
        ref = item.get("scenario")
        if isinstance(ref, dict):  # an inline scenario table
            try:
                base = Scenario.from_dict(ref, source=f"{source}: {key}.scenario")
            except ScenarioError as err:
                raise InputError(str(err)) from None
            reference = "<inline>"
        elif isinstance(ref, str) and ref:
            base = _load_scenario(ref, source, key, base_dir)
            reference = ref
        else:
            raise InputError(
                f"{source}: {key}.scenario: expected a built-in scenario name or a path, got {ref!r}"
            )
        label = item.get("label", base.name if reference == "<inline>" else Path(reference).stem)
        if not isinstance(label, str) or not _LABEL.match(label):
            raise InputError(f"{source}: {key}.label = {label!r}: expected letters, digits, '_', '-' or '.'")
        own = _flatten(item.get("set", {}), f"{key}.set", source)
        overrides = {**common, **own}
        if overrides:
            try:
                base = base.with_overrides(overrides, source=f"{source}: {key} (with set)")
            except ScenarioError as err:
                raise InputError(str(err)) from None
            for setting, why in unread_settings(base, overrides).items():
                if setting in own:
                    raise InputError(f"{source}: {key}.set: {setting}: {why}")
                notes.append(f"{source}: set: {setting}: {why} (scenario {label!r})")
        if any(e.label == label for e in entries):
            raise InputError(
                f"{source}: {key}.label: {label!r} is used twice; give each scenario its own label"
            )
        entries.append(ScenarioEntry(label=label, reference=reference, scenario=base))
    return entries


def _load_scenario(ref: str, source: str, key: str, base_dir: Path | None) -> Scenario:
    from .scenario_files import load_scenario, resolve_scenario

    try:
        path = resolve_scenario(ref, relative_to=base_dir, source=f"{source}: {key}")
        return load_scenario(path)
    except ScenarioError as err:
        msg = str(err)
        if not msg.startswith(source):
            msg = f"{source}: {key}: {msg}"
        raise InputError(msg) from None


#: the most points a grid may have (the sweep's declared limit is lower, see :mod:`simulation.limits`)
MAX_GRID_POINTS = 1_000_000


def _design(vary: Any, source: str, seed: int) -> tuple[str, list[dict[str, Any]], dict, int]:
    """The design points (dotted key -> value) of ``[vary]``; ``[{}]`` when nothing varies."""
    if vary is None:
        return "grid", [{}], {}, 0
    if not isinstance(vary, dict):
        raise InputError(f"{source}: vary: expected a table, got {vary!r}")
    opts = {key: spec.default for key, spec in VARY_KEYS.items()}
    opts |= _checked(VARY_KEYS, vary, "vary", source, others=("values", "ranges", "share"))
    method = opts["method"]
    shares = _shares(vary.get("share"), source)
    if shares is not None:
        if method != "grid":
            raise InputError(f"{source}: vary.share: only with method = 'grid', not {method!r}")
        _, base, _, _ = _design({k: v for k, v in vary.items() if k != "share"}, source, seed)
        return "grid", [{**b, **s} for b in base for s in shares], {}, 0
    if method == "grid":
        if "ranges" in vary:
            raise InputError(
                f"{source}: vary.ranges: a grid takes vary.values (lists of levels); ranges are for latin, sobol or morris"
            )
        values = _values(vary.get("values", {}), source)
        keys = list(values)
        n_points = math.prod(len(v) for v in values.values())
        if n_points > MAX_GRID_POINTS:  # refused before the points are made
            raise InputError(
                f"{source}: vary.values: a grid of {n_points:,} points, more than {MAX_GRID_POINTS:,}; "
                "vary fewer values"
            )
        points = [dict(zip(keys, combo)) for combo in itertools.product(*values.values())]
        return method, points or [{}], {}, 0
    if "values" in vary:
        raise InputError(
            f"{source}: vary.values: method {method!r} samples vary.ranges ([low, high]); values are for a grid"
        )
    ranges = _ranges(vary.get("ranges", {}), source)
    if not ranges:
        raise InputError(
            f'{source}: vary.ranges: expected at least one "key" = [low, high] for method {method!r}'
        )
    if method == "sobol" and len(ranges) < 2:
        raise InputError(f"{source}: vary.ranges: sobol needs at least two parameters")
    problem = {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [list(b) for b in ranges.values()],
    }
    samples = opts["samples"]
    design_seed = int(np.random.SeedSequence(seed).generate_state(1)[0] % (2**31))
    if method == "latin":
        from SALib.sample import latin

        matrix = latin.sample(problem, samples, seed=design_seed)
    elif method == "sobol":
        from SALib.sample import sobol

        if samples & (samples - 1):
            raise InputError(
                f"{source}: vary.samples: expected a power of 2 for sobol (e.g. 8, 16, 64), got {samples}"
            )
        matrix = sobol.sample(problem, samples, calc_second_order=False, seed=design_seed)
    else:
        from SALib.sample import morris

        matrix = morris.sample(problem, samples, num_levels=opts["levels"], seed=design_seed)
    integer = {k for k, (lo, hi) in ranges.items() if isinstance(lo, int) and isinstance(hi, int)}
    points = []
    for row in matrix:
        point = {}
        for k, v in zip(ranges, row):
            point[k] = int(round(float(v))) if k in integer else float(v)
        points.append(point)
    return method, points, ranges, opts["levels"]


def _shares(table: Any, source: str) -> list[dict[str, Any]] | None:
    """The share points of ``[vary.share]``: ``{}`` for the scenario's own mix (``ordinary``,
    default true), then ``{"share.<strategy>": level}`` per level."""
    if table is None:
        return None
    where = f"{source}: vary.share"
    if not isinstance(table, dict) or set(table) - SHARE_KEYS:
        extra = sorted(set(table) - SHARE_KEYS) if isinstance(table, dict) else table
        raise InputError(f"{where}: expected a table with strategy, levels and ordinary, got {extra!r}")
    strategy = table.get("strategy")
    from .strategies import REGISTRY

    if not isinstance(strategy, str) or strategy not in REGISTRY:
        raise InputError(
            f"{where}.strategy: expected a strategy name ({', '.join(REGISTRY)}), got {strategy!r}"
        )
    levels = table.get("levels")
    if (
        not isinstance(levels, list)
        or not levels
        or not all(isinstance(x, int | float) and not isinstance(x, bool) and 0 <= x <= 1 for x in levels)
    ):
        raise InputError(f"{where}.levels: expected a non-empty list of shares in [0, 1], got {levels!r}")
    ordinary = table.get("ordinary", True)
    if not isinstance(ordinary, bool):
        raise InputError(f"{where}.ordinary: expected true or false, got {ordinary!r}")
    return ([{}] if ordinary else []) + [{SHARE_PREFIX + strategy: float(x)} for x in levels]


def _values(table: Any, source: str) -> dict[str, list]:
    flat = _flatten(table, "vary.values", source)
    for key, levels in flat.items():
        if not isinstance(levels, list) or not levels:
            raise InputError(
                f"{source}: vary.values.{key}: expected a non-empty list of values, got {levels!r}"
            )
    return flat


def _ranges(table: Any, source: str) -> dict[str, tuple]:
    flat = _flatten(table, "vary.ranges", source)
    out = {}
    for key, bounds in flat.items():
        ok = (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
            and bounds[0] < bounds[1]
        )
        if not ok:
            raise InputError(
                f"{source}: vary.ranges.{key}: expected [low, high] with low < high, got {bounds!r}"
            )
        out[key] = (bounds[0], bounds[1])
    return out
