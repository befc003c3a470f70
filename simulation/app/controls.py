"""Which settings the app offers, generated from the declared parameters.

Every control is a dotted scenario key; its label, help text, type and
bounds come from the :class:`~simulation.params.Param` that declares it
(``POPULATION``, ``NETWORK``, each mechanism's ``PARAMS``).  Only the range
of a slider is narrowed here where a parameter is unbounded or its bound is
far beyond what a classroom picture can show (``UI_RANGE``).  Settings of
mechanisms a scenario does not run are left out, so each scenario shows its
own knobs.

Examples
--------
>>> c = control_for("mechanisms.exchange.b")
>>> c.kind, c.low, c.high, c.param.doc
('float', 0.0, 10.0, 'value of a gift to its receiver')
>>> control_for("population.mix.taker").label
'taker share'
>>> control_for("mechanisms.nothing.x") is None
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..mechanisms import MECHANISMS
from ..params import Param
from ..scenario import NETWORK, POPULATION, Scenario
from ..strategies import BUILTIN, REGISTRY
from ..strategies import label as strategy_label

__all__ = ["Control", "GROUPS", "UI_RANGE", "control_for", "controls_for", "check_setting", "nice_step"]

#: the settings shown, by group; keys that do not resolve to a Param are skipped
GROUPS: dict[str, list[str]] = {
    "Population": ["population.size", "population.mix.*"],
    "Network at the start": ["network.mean_degree"],
    "Help": [
        "mechanisms.needs.p_need",
        "mechanisms.exchange.b",
        "mechanisms.exchange.c",
        "mechanisms.giving.capacity",
    ],
    "Reputation and trust": [
        "mechanisms.reputation.gossip",
        "mechanisms.exchange.trust_loss",
        "mechanisms.maintenance.cut_trust",
    ],
    "Keeping ties": ["mechanisms.maintenance.decay", "mechanisms.maintenance.min_strength"],
    "Meeting people": [
        "mechanisms.meeting.p_random",
        "mechanisms.meeting.p_triadic",
        "mechanisms.meeting.p_attach",
        "mechanisms.introductions.p_broker",
    ],
    "Networking style": [
        "mechanisms.chapters.size",
        "mechanisms.chapters.max_strikes",
        "mechanisms.events.per_year",
        "mechanisms.events.fee",
        "mechanisms.platforms.ratings",
        "mechanisms.arrivals.at",
        "mechanisms.arrivals.share",
        "mechanisms.habits.collectors",
    ],
    "Business and turnover": [
        "mechanisms.churn.upkeep",
        "mechanisms.churn.p_exit",
        "mechanisms.churn.arrival_rate",
        "mechanisms.learning.p_learn",
    ],
}

#: slider ranges where the declared bounds are open or far too wide for the app
UI_RANGE: dict[str, tuple[float, float]] = {
    "population.size": (10, 2000),
    "network.mean_degree": (0, 40),
    "mechanisms.exchange.b": (0.0, 10.0),
    "mechanisms.exchange.c": (0.0, 5.0),
    "mechanisms.giving.capacity": (0, 10),
    "mechanisms.chapters.size": (2, 100),
    "mechanisms.chapters.max_strikes": (0, 20),
    "mechanisms.events.fee": (0.0, 10.0),
    "mechanisms.events.per_year": (1, 26),
    "mechanisms.arrivals.at": (1, 300),
    "mechanisms.arrivals.share": (0.0, 2.0),
    "mechanisms.churn.upkeep": (0.0, 3.0),
    "mechanisms.churn.arrival_rate": (0.0, 0.05),
    "mechanisms.churn.p_exit": (0.0, 0.05),
    "mechanisms.maintenance.decay": (0.0, 0.1),
}


@dataclass(frozen=True)
class Control:
    """One setting in the page: its key, its Param and the slider range."""

    key: str
    label: str
    param: Param
    kind: str  # "int", "float", "bool" or "choice"
    low: float | None
    high: float | None
    step: float | None

    def value(self, scenario: Scenario) -> Any:
        """The setting's value in ``scenario`` (0 for a strategy missing from the mix)."""
        if self.key.startswith("population.mix."):
            return scenario.mix.get(self.key.rsplit(".", 1)[1], 0.0)
        return scenario.get(self.key)


def nice_step(low: float, high: float, steps: int = 100) -> float:
    """A round slider step giving about ``steps`` positions between ``low`` and ``high``.

    >>> nice_step(0, 1), nice_step(0, 10), nice_step(0.0, 0.05)
    (0.01, 0.1, 0.0005)
    """
    span = max(high - low, 1e-12) / steps
    mag = 10 ** math.floor(math.log10(span))
    for m in (1, 2, 5, 10):
        if m * mag >= span * 0.999:
            return float(f"{m * mag:.3g}")
    return float(mag * 10)  # pragma: no cover


def _param(key: str) -> Param | None:
    parts = key.split(".")
    if parts[0] == "population" and len(parts) == 3 and parts[1] == "mix":
        if parts[2] not in REGISTRY:
            return None
        return Param(0.0, f"share of members who are {strategy_label(parts[2])}s", 0.0, 1.0)
    if parts[0] == "population" and len(parts) == 2:
        return POPULATION.get(parts[1])
    if parts[0] == "network" and len(parts) == 2:
        return NETWORK.get(parts[1])
    if parts[0] == "mechanisms" and len(parts) == 3 and parts[1] in MECHANISMS:
        return MECHANISMS[parts[1]].PARAMS.get(parts[2])
    return None


def control_for(key: str) -> Control | None:
    """The control of a dotted key, or None when no Param declares it."""
    param = _param(key)
    if param is None:
        return None
    name = key.rsplit(".", 1)[1]
    label = f"{strategy_label(name)} share" if ".mix." in key else name.replace("_", " ")
    if param.choices is not None:
        return Control(key, label, param, "choice", None, None, None)
    t = param.type
    if t is bool:
        return Control(key, label, param, "bool", None, None, None)
    if t not in (int, float):
        return None
    low, high = param.low, param.high
    if key in UI_RANGE:
        ui_low, ui_high = UI_RANGE[key]
        low = ui_low if low is None else max(low, ui_low)
        high = ui_high if high is None else min(high, ui_high)
    if low is None:
        low = 0.0
    if high is None:
        high = max(2 * abs(param.default), 1.0)
    if t is int:
        return Control(key, label, param, "int", int(low), int(high), 1)
    return Control(key, label, param, "float", float(low), float(high), nice_step(float(low), float(high)))


def check_setting(control: Control, value: Any) -> Any:
    """``value`` as the page may use it for ``control``, or an InputError (one line) saying why not.

    The server checks what a page sends, whatever its slider allows: first the declared
    Param (as a scenario file or ``givetake run --set`` is checked), then the control's
    range in the app.

    >>> c = control_for("population.size")
    >>> check_setting(c, 50.0)
    50
    >>> check_setting(c, 100_000)
    Traceback (most recent call last):
    ...
    simulation.errors.InputError: population.size: expected a value from 10 to 2000 in the app, got 100000
    """
    try:
        value = control.param.check(control.key, value)
    except ValueError as err:
        raise InputError(str(err)) from None
    if control.kind in ("int", "float") and not control.low <= value <= control.high:
        raise InputError(
            f"{control.key}: expected a value from {control.low:g} to {control.high:g} in the app, got {value!r}"
        )
    return value


def controls_for(scenario: Scenario) -> dict[str, list[Control]]:
    """The groups of controls for ``scenario``: mechanisms it does not run are left out."""
    pipeline = set(scenario.data["pipeline"])
    strategies = [*BUILTIN, *[s for s in scenario.mix if s not in BUILTIN]]
    out: dict[str, list[Control]] = {}
    for group, keys in GROUPS.items():
        controls = []
        for key in keys:
            if key == "population.mix.*":
                expanded = [f"population.mix.{s}" for s in strategies]
            else:
                expanded = [key]
            for k in expanded:
                parts = k.split(".")
                if parts[0] == "mechanisms" and parts[1] not in pipeline:
                    continue
                c = control_for(k)
                if c is not None:
                    controls.append(c)
        if controls:
            out[group] = controls
    return out
