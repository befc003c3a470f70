"""Scenarios: the validated description of a networking world.

A scenario is a nested mapping with these sections (see ``docs/scenarios.md``):

``population``   size, skills, starting wealth; ``population.mix`` the strategy shares
``network``      the initial tie graph
``pipeline``     the ordered list of mechanisms run each week
``mechanisms``   one table of parameters per mechanism
``strategies``   one table of parameters per strategy

Every value is checked against its declared :class:`~simulation.params.Param`;
a wrong key, type or value raises :class:`ScenarioError` (a ``ValueError``)
naming the source, the key and what was expected.

Examples
--------
>>> s = Scenario.from_dict({"population": {"size": 50}})
>>> s.get("population.size"), s.get("mechanisms.exchange.b")
(50, 3.0)
>>> Scenario.from_dict({"population": {"sise": 50}})
Traceback (most recent call last):
...
simulation.errors.ScenarioError: <dict>: population.sise: unknown key (did you mean 'size'?)
"""

from __future__ import annotations

import copy
import difflib
import math
from typing import Any

from .errors import ScenarioError
from .mechanisms import DEFAULT_PIPELINE, MECHANISMS
from .params import SECTIONS, Param, register_section
from .strategies import BUILTIN, REGISTRY
from .topology import DEGREE_FROM_SHAPE, KINDS
from .verdict import VERDICT  # noqa: F401 - declares the [verdict] table

__all__ = [
    "with_share",
    "unread_settings",
    "Scenario",
    "ScenarioError",
    "SECTIONS",
    "register_section",
    "POPULATION",
    "NETWORK",
    "BUILTIN_STRATEGIES",
    "TOP_LEVEL",
]

#: the built-in strategy names, as the strategy registry lists them
BUILTIN_STRATEGIES = BUILTIN

TOP_LEVEL = {
    "name": Param("default", "short name of the scenario"),
    "description": Param("", "what the scenario describes, in plain words"),
    "steps": Param(200, "weeks to run when no --steps is given", 0, 10_000_000),
    "pipeline": Param(list(DEFAULT_PIPELINE), "mechanisms run each week, in order", kind=list),
    "metrics": Param(
        "full",
        "metrics collected each step: 'full' (network, exchange and strategy metrics) or "
        "'light' (counts and strategy metrics only, for very large or very fast runs)",
        choices=("full", "light"),
    ),
}

POPULATION = {
    "size": Param(1000, "members at the start", 2, 10_000_000),
    "skills": Param(10, "number of skill categories", 2, 10_000),
    "skills_per_member": Param(2, "skills each member offers", 1, 100),
    "interests": Param(8, "number of interest categories (for homophily)", 1, 10_000),
    "interests_per_member": Param(2, "interests each member has", 1, 100),
    "initial_wealth": Param(10.0, "business value each member starts with", None, None),
    "rank_levels": Param(5, "levels of formal rank (title), unrelated to behaviour", 1, 1000),
}

_SHARE = Param(0.0, "share of members following a strategy", 0.0, 1.0)

DEFAULT_MIX = {"giver": 0.15, "otherish_giver": 0.15, "matcher": 0.4, "taker": 0.2, "connector": 0.1}

NETWORK = {
    "kind": Param(
        "powerlaw_cluster",
        "initial graph: Holme–Kim clustered scale-free, Erdős–Rényi, Watts–Strogatz, Barabási–Albert, "
        "random regular (everyone has mean_degree ties), complete (everyone knows everyone), "
        "square lattice (width x height members), or no ties",
        choices=KINDS,
    ),
    "mean_degree": Param(20, "mean number of ties per member at the start", 0, 100_000),
    "triangle_p": Param(
        0.5, "powerlaw_cluster: chance of closing a triangle; watts_strogatz: rewiring", 0.0, 1.0
    ),
    "strength": Param(0.5, "strength of the initial ties", 0.0, 1.0),
    "trust": Param(0.5, "trust on the initial ties", 0.0, 1.0),
    "width": Param(100, "lattice: columns (the population is width x height)", 1, 100_000),
    "height": Param(100, "lattice: rows (the population is width x height)", 1, 100_000),
    "neighbourhood": Param(
        "moore",
        "lattice: 'moore' (8 neighbours) or 'von_neumann' (4 neighbours)",
        choices=("moore", "von_neumann"),
    ),
    "periodic": Param(True, "lattice: wrap around the edges (a torus) instead of fixed boundaries"),
    "max_ties": Param(60, "most ties a member keeps: no mechanism makes a tie beyond it", 1, 100_000),
    "new_tie_strength": Param(
        0.3, "strength of a tie made by meeting someone (styles may set their own)", 0.0, 1.0
    ),
    "new_tie_trust": Param(0.5, "trust each side starts a new tie with (styles may set their own)", 0.0, 1.0),
    "attachment_bias": Param(
        2.0,
        "how strongly seeking out someone (newcomers' first contacts, p_attach meetings) favours "
        "reputation: weight reputation^bias x (1 + degree)",
        0.0,
        20.0,
    ),
}


def suggest(word: str, options) -> str:
    """`` (did you mean 'x'?)`` for the option closest to a mistyped ``word``, or ``""``.

    >>> suggest("sise", ["size", "skills"])
    " (did you mean 'size'?)"
    """
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def suggest_or_list(word: str, options) -> str:
    """:func:`suggest`'s hint, or, when no option is close, ``; expected one of ...`` with
    every option (for names from a registry, which a user cannot guess).

    >>> suggest_or_list("thief", ["giver", "taker"])
    '; expected one of giver, taker'
    """
    return suggest(word, options) or f"; expected one of {', '.join(map(str, options))}"


def check_table(
    params: dict[str, Param], table: Any, prefix: str, source: str, others: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Check a table of settings against the :class:`Param` declaring each key.

    The one check of keys and values behind scenario and experiment files: an
    unknown key (suggesting the closest known one) or a value its Param refuses
    raises :class:`ScenarioError` naming ``source`` and the dotted key.  Keys in
    ``others`` are allowed but checked by the caller (left out of the result).

    >>> check_table(POPULATION, {"size": 40}, "population", "s.toml")
    {'size': 40}
    >>> try:
    ...     check_table(POPULATION, {"sise": 1}, "population", "s.toml")
    ... except ScenarioError as err:
    ...     print(err)
    s.toml: population.sise: unknown key (did you mean 'size'?)
    """
    if not isinstance(table, dict):
        raise ScenarioError(source, prefix, f"expected a table, got {table!r}")
    out = {}
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if key in others:
            continue
        if key not in params:
            raise ScenarioError(source, full, "unknown key" + suggest_or_list(key, [*params, *others]))
        try:
            out[key] = params[key].check(full, value)
        except ValueError as err:
            raise ScenarioError(source, full, str(err).removeprefix(f"{full}: ")) from None
    return out


def defaults() -> dict[str, Any]:
    """The default scenario as a nested dict."""
    return {
        **{k: copy.deepcopy(p.default) for k, p in TOP_LEVEL.items()},
        "population": {**{k: p.default for k, p in POPULATION.items()}, "mix": dict(DEFAULT_MIX)},
        "network": {k: p.default for k, p in NETWORK.items()},
        **{sec: {k: p.default for k, p in params.items()} for sec, params in SECTIONS.items()},
        "mechanisms": {
            name: {k: p.default for k, p in cls.PARAMS.items()} for name, cls in MECHANISMS.items()
        },
        "strategies": {name: {k: p.default for k, p in cls.PARAMS.items()} for name, cls in REGISTRY.items()},
    }


def _merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "mix":
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


class Scenario:
    """A validated scenario; ``data`` holds every key, defaults filled in."""

    def __init__(self, data: dict[str, Any], source: str = "<dict>"):
        self.data = data
        self.source = source

    # -- construction ---------------------------------------------------
    @classmethod
    def from_dict(
        cls, raw: dict[str, Any] | None = None, source: str = "<dict>", base: Scenario | None = None
    ) -> Scenario:
        """Validate ``raw`` (a partial scenario) on top of ``base`` (default: the defaults)."""
        raw = raw or {}
        checked = cls.validate(raw, source)
        start = base.data if base is not None else defaults()
        data = _merge(start, checked)
        cls._check_whole(data, source)
        return cls(data, source)

    @staticmethod
    def validate(raw: dict[str, Any], source: str) -> dict[str, Any]:
        """Check keys, types and ranges of a partial scenario; returns the checked copy."""
        if not isinstance(raw, dict):
            raise ScenarioError(source, "", f"expected a table of settings, got {raw!r}")
        sections = {"population", "network", "mechanisms", "strategies"}
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key in TOP_LEVEL:
                out[key] = check_table({key: TOP_LEVEL[key]}, {key: value}, "", source)[key]
            elif key == "population":
                if not isinstance(value, dict):
                    raise ScenarioError(source, key, f"expected a table, got {value!r}")
                pop = dict(value)
                mix = pop.pop("mix", None)
                out[key] = check_table(POPULATION, pop, key, source, others=("mix",))
                if mix is not None:
                    out[key]["mix"] = _check_mix(mix, source)
            elif key == "network":
                out[key] = check_table(NETWORK, value, key, source)
            elif key in SECTIONS:
                out[key] = check_table(SECTIONS[key], value, key, source)
            elif key in ("mechanisms", "strategies"):
                registry = MECHANISMS if key == "mechanisms" else REGISTRY
                if not isinstance(value, dict):
                    raise ScenarioError(source, key, f"expected a table, got {value!r}")
                out[key] = {}
                for name, table in value.items():
                    if name not in registry:
                        what = "mechanism" if key == "mechanisms" else "strategy"
                        raise ScenarioError(
                            source,
                            f"{key}.{name}",
                            f"unknown {what}" + suggest_or_list(name, sorted(registry)),
                        )
                    out[key][name] = check_table(registry[name].PARAMS, table, f"{key}.{name}", source)
            else:
                raise ScenarioError(
                    source,
                    key,
                    "unknown key"
                    + suggest_or_list(key, list(dict.fromkeys([*TOP_LEVEL, *sections, *SECTIONS]))),
                )
        if "pipeline" in out:
            for i, name in enumerate(out["pipeline"]):
                if not isinstance(name, str) or name not in MECHANISMS:
                    raise ScenarioError(
                        source,
                        f"pipeline[{i}]",
                        f"unknown mechanism {name!r}" + suggest_or_list(str(name), sorted(MECHANISMS)),
                    )
        return out

    @staticmethod
    def _check_whole(data: dict[str, Any], source: str) -> None:
        pop = data["population"]
        if pop["skills_per_member"] >= pop["skills"]:
            raise ScenarioError(
                source,
                "population.skills_per_member",
                f"expected fewer than population.skills = {pop['skills']}, got {pop['skills_per_member']}",
            )
        if pop["interests_per_member"] > pop["interests"]:
            raise ScenarioError(
                source,
                "population.interests_per_member",
                f"expected at most population.interests = {pop['interests']}",
            )
        net = data["network"]
        if net["kind"] not in DEGREE_FROM_SHAPE and net["mean_degree"] >= pop["size"]:
            raise ScenarioError(
                source, "network.mean_degree", f"expected less than population.size = {pop['size']}"
            )
        if net["kind"] == "random_regular" and (net["mean_degree"] * pop["size"]) % 2:
            raise ScenarioError(
                source,
                "network.mean_degree",
                f"a random regular graph needs population.size x mean_degree to be even, "
                f"got {pop['size']} x {net['mean_degree']}",
            )

    # -- access ---------------------------------------------------------
    def get(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            node = node[part]
        return node

    def with_overrides(
        self, overrides: dict[str, Any], source: str = "--set", strict: bool = False
    ) -> Scenario:
        """A copy with dotted keys replaced, checked like the file.

        With ``strict``, a key the new scenario never reads (:func:`unread_settings`, e.g. a
        mechanism its pipeline lacks) raises :class:`ScenarioError` naming ``source`` and the key:
        the check of settings a user gave for this one scenario, such as ``--set``.
        """
        raw: dict[str, Any] = {}
        for dotted, value in overrides.items():
            parts = dotted.split(".")
            if not all(parts):
                raise ScenarioError(source, dotted, "expected a dotted key like population.size")
            node = raw
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ScenarioError(source, dotted, "conflicts with another override")
            node[parts[-1]] = value
        if any(k.startswith("population.mix.") for k in overrides):
            raw = _fold_mix(raw, self)
        out = Scenario.from_dict(raw, source, base=self)
        unread = unread_settings(out, overrides) if strict else {}
        if unread:
            key, why = next(iter(unread.items()))  # the first, as a one-line error names one
            raise ScenarioError(source, key, why)
        return out

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def mix(self) -> dict[str, float]:
        return self.data["population"]["mix"]

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.data == other.data

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, source={self.source!r})"


def unread_settings(scenario: Scenario, settings) -> dict[str, str]:
    """The dotted keys of ``settings`` that ``scenario`` never reads, each with the reason.

    A mechanism's table (``mechanisms.chapters.size``) is read only when the mechanism is in
    the pipeline; a top-level table that mechanisms declare they read (``game``, read by
    ``play``: :attr:`~simulation.mechanisms.base.Mechanism.reads`) only when one of them is.
    ``settings`` are the keys a user gave (a mapping's values say which mechanisms a whole
    ``mechanisms`` table names); the defaults a scenario inherits are never judged.

    >>> s = Scenario.from_dict({"name": "mixer", "pipeline": ["meeting", "exchange"]})
    >>> unread_settings(s, ["mechanisms.exchange.b", "mechanisms.chapters.size", "game.b"])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'mechanisms.chapters.size': "the pipeline of mixer has no 'chapters' mechanism;
      this setting changes nothing",
     'game.b': "the pipeline of mixer has no 'play' mechanism, the one that reads [game];
      this setting changes nothing"}
    """
    pipeline = scenario.data["pipeline"]
    values = settings if isinstance(settings, dict) else dict.fromkeys(settings)
    keys: list[str] = []
    for key, value in values.items():
        if key == "mechanisms" and isinstance(value, dict):
            keys += [f"mechanisms.{name}" for name in value]
        else:
            keys.append(key)
    out: dict[str, str] = {}
    for key in keys:
        parts = key.split(".")
        if parts[0] == "mechanisms" and len(parts) > 1 and parts[1] not in pipeline:
            out[key] = f"the pipeline of {scenario.name} has no {parts[1]!r} mechanism"
        elif parts[0] in SECTIONS:
            readers = [name for name, cls in MECHANISMS.items() if parts[0] in cls.reads]
            if readers and not set(readers) & set(pipeline):
                which = " or ".join(repr(r) for r in readers)
                out[key] = (
                    f"the pipeline of {scenario.name} has no {which} mechanism, the one that reads "
                    f"[{parts[0]}]"
                )
        if key in out:
            out[key] += "; this setting changes nothing"
    return out


def _fold_mix(raw: dict[str, Any], base: Scenario) -> dict[str, Any]:
    """Overrides of single shares (``population.mix.taker=0.5``) start from the base mix
    (a whole ``population.mix`` table replaces it)."""
    pop = raw.get("population")
    mix = pop.get("mix") if isinstance(pop, dict) else None  # not a table: from_dict says so
    if isinstance(mix, dict):
        raw["population"]["mix"] = {**base.mix, **mix}
    return raw


def _check_mix(mix: Any, source: str) -> dict[str, float]:
    key = "population.mix"
    if not isinstance(mix, dict) or not mix:
        raise ScenarioError(source, key, f"expected a table of strategy shares, got {mix!r}")
    out = {}
    for name, share in mix.items():
        if name not in REGISTRY:
            raise ScenarioError(source, f"{key}.{name}", "unknown strategy" + suggest_or_list(name, REGISTRY))
        try:
            out[name] = _SHARE.check(f"{key}.{name}", share)
        except ValueError as err:
            raise ScenarioError(source, f"{key}.{name}", str(err).removeprefix(f"{key}.{name}: ")) from None
    total = sum(out.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ScenarioError(source, key, f"shares must sum to 1, got {total:g}")
    return out


def with_share(scenario: Scenario, strategy: str, share: float) -> Scenario:
    """``scenario`` with ``strategy`` at ``share`` of the mix, the other shares scaled to fill the rest.

    >>> from simulation.scenario_files import load_scenario
    >>> s = with_share(load_scenario("open_mixer"), "taker", 0.6)
    >>> round(s.mix["taker"], 3), round(sum(s.mix.values()), 6), round(s.mix["matcher"] / s.mix["giver"], 3)
    (0.6, 1.0, 2.667)
    """
    mix = dict(scenario.mix)
    rest = sum(v for k, v in mix.items() if k != strategy)
    if rest <= 0 and share < 1:
        raise ValueError(f"cannot set {strategy} to {share}: no other strategy in the mix to fill the rest")
    new = {k: (v * (1 - share) / rest if rest > 0 else 0.0) for k, v in mix.items() if k != strategy}
    new[strategy] = share
    total = sum(new.values())
    new = {k: v / total for k, v in new.items()}
    return scenario.with_overrides({"population.mix": new}, source=f"{strategy} share {share:g}")
