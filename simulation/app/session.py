"""One viewer's simulation: scenario, settings, model, layout and history.

A :class:`Session` holds everything one browser tab (or one notebook cell)
shows, with no Solara in it, so it can be tested and timed on its own.  The
page keeps one session per view; two tabs never share a model.

Examples
--------
>>> s = Session("open_mixer", overrides={"population.size": 60}, seed=1)
>>> s.step(2)
>>> s.model.steps, s.model.metrics["members"] > 0
(2, True)
>>> frame = s.frame()
>>> frame.network.count("<circle") >= s.model.population.n_alive
True
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..limits import check_run
from ..model import GiveTakeModel
from ..params import check_seed
from ..scenario import Scenario
from ..scenario_files import builtin_scenarios, first_sentence, load_scenario
from ..strategies import label as strategy_label
from .drawing import (
    ALL_MEMBERS,
    assign_colours,
    line_chart,
    metric_series,
    network_svg,
    strategy_colour,
    wealth_chart,
)
from .layout import NetworkLayout
from .story import Chapter, chapters

__all__ = [
    "Session",
    "Frame",
    "scenario_choices",
    "APP_MAX_SIZE",
    "DEFAULT_SCENARIO",
    "HISTORY",
    "ALL_MEMBERS",
]

#: scenarios bigger than this start smaller in the app (a picture a class can read);
#: the population slider shows the size in use and can raise it
APP_MAX_SIZE = 300

#: the scenario the app opens with, when it exists
DEFAULT_SCENARIO = "open_mixer"

#: height of a live chart (width 420), legend included: four fit beside the network at 1400x900
CHART_HEIGHT = 150
#: the habits' lines (relationship builders, connection collectors): colours no strategy has
HABIT_COLOURS = {
    f"{group}, {what}": colour
    for group, colour in (("builders", "#332288"), ("collectors", "#999933"))
    for what in ("needs met", "mean wealth")
}

#: weeks of per-member history kept for the inspector
HISTORY = 2000


def scenario_choices(extra_dirs: list[Path] | None = None) -> dict[str, str]:
    """Scenarios the picker offers: label -> name or path.

    The built-ins (every file under :data:`~simulation.builtin.SCENARIO_DIR`) come
    first, then ``.toml`` files in ``extra_dirs`` (by default ``./scenarios``
    of the folder the app was started from), labelled by their path.
    """
    out: dict[str, str] = {name: name for name in builtin_scenarios()}
    known = {p.resolve() for p in builtin_scenarios().values()}
    dirs = [Path.cwd() / "scenarios"] if extra_dirs is None else extra_dirs
    for folder in dirs:
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                if path.resolve() not in known:
                    out[str(path)] = str(path)
    return out


@dataclass
class Frame:
    """What the page shows for one moment of the run."""

    step: int
    members: int
    network: str
    charts: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)


class Session:
    """A scenario, its settings, the running model and what has been drawn.

    Parameters
    ----------
    scenario : built-in scenario name or path to a ``.toml`` file; ``None``
        or a missing default falls back to the default scenario.
    overrides : dotted settings chosen in the page, e.g. ``{"mechanisms.exchange.b": 4.0}``.
    seed : the run's seed.

    Raises
    ------
    InputError
        The scenario, a setting or the seed is invalid (one-line message for the page);
        a :class:`~simulation.errors.ScenarioError` names the scenario's key.
    """

    def __init__(
        self, scenario: str | None = DEFAULT_SCENARIO, overrides: dict[str, Any] | None = None, seed: int = 0
    ):
        self.lock = threading.RLock()
        self.scenario_name = scenario
        self.overrides: dict[str, Any] = dict(overrides or {})
        self.seed = check_seed(seed)
        self.selected: int | None = None
        self.colour_by = "strategy"
        self.last_frame_seconds = 0.0
        self.reset()

    # -- building ----------------------------------------------------------
    def base_scenario(self) -> Scenario:
        """The scenario as written in its file, without the page's settings."""
        name = self.scenario_name
        if name is None or (name == DEFAULT_SCENARIO and name not in builtin_scenarios()):
            return Scenario.from_dict({"name": "default"}, source="default")
        return load_scenario(name)

    def scenario(self, settings: dict[str, Any] | None = None) -> Scenario:
        """The scenario with the app's size cap and the page's settings (or ``settings``) applied.

        The settings go through the checks ``givetake run --set`` makes: each key's declared
        Param, the scenario as a whole, and the declared limits on its size (InputError).
        """
        settings = self.overrides if settings is None else settings
        base = self.base_scenario()
        overrides = {}
        if "population.size" not in settings and base.get("population.size") > APP_MAX_SIZE:
            overrides["population.size"] = APP_MAX_SIZE
            if base.get("network.mean_degree") >= APP_MAX_SIZE:
                overrides["network.mean_degree"] = APP_MAX_SIZE // 10
        overrides.update(settings)
        scenario = base.with_overrides(overrides, source="settings") if overrides else base
        check_run(scenario.data, None, allow_large=False, where="settings")
        return scenario

    def reset(self) -> None:
        """Build a fresh model from the scenario, settings and seed (week 0); on any error
        (an invalid scenario or seed) the session is left as it was."""
        scenario = self.scenario()  # raises ScenarioError before anything changes
        model = GiveTakeModel(scenario, rng=check_seed(self.seed))  # nor before the model is made
        with self.lock:
            self.config = scenario
            self.model = model
            self.layout = NetworkLayout(seed=self.seed)
            self.layout.update(self.model, groups=self._groups())
            self._trust_given: list[np.ndarray] = []
            self._trust_received: list[np.ndarray] = []
            self._wealth: list[np.ndarray] = []
            self._history_steps: list[int] = []
            #: week of each ecosystem detection -> ecosystem id -> its members then (for the story)
            self.ecosystem_snapshots: dict[int, dict[int, np.ndarray]] = {}
            #: colour of each ecosystem on screen (kept from frame to frame while it stays)
            self.ecosystem_colours: dict[int, str] = {}
            self.selected = None
            self._record()

    def configure(
        self,
        *,
        scenario: str | None | object = ...,
        overrides: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> None:
        """Change scenario, settings or seed and reset; on an error nothing changes."""
        old = (self.scenario_name, self.overrides, self.seed)
        if scenario is not ...:
            self.scenario_name = scenario  # type: ignore[assignment]
        if overrides is not None:
            self.overrides = dict(overrides)
        if seed is not None:
            self.seed = seed  # checked by reset()
        try:
            self.reset()
        except BaseException:
            self.scenario_name, self.overrides, self.seed = old
            raise

    @property
    def description(self) -> str:
        return first_sentence(self.config.data.get("description", "") or "")

    # -- running -----------------------------------------------------------
    def step(self, weeks: int = 1) -> None:
        """Advance the model ``weeks`` weeks, then relax the layout: more iterations for
        more weeks, so the picture keeps up with a fast run."""
        with self.lock:
            for _ in range(weeks):
                self.model.step()
                self._record()
            self.layout.update(
                self.model,
                iterations=min(self.layout.iterations * weeks, 4 * self.layout.iterations),
                groups=self._groups(),
            )

    def _groups(self) -> np.ndarray | None:
        """Ecosystem of each member slot (-1: none) for the layout, or None without ecosystems."""
        mech = self.ecosystems
        labels = getattr(mech, "labels", None) if mech is not None else None
        return labels if labels is not None and len(labels) else None

    def _record(self) -> None:
        pop, ties = self.model.population, self.model.ties
        n = pop.size
        e = ties.live()
        u, v, t = ties.u[e], ties.v[e], ties.trust[e]
        deg = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            given = (np.bincount(u, t[:, 0], n) + np.bincount(v, t[:, 1], n)) / deg
            received = (np.bincount(u, t[:, 1], n) + np.bincount(v, t[:, 0], n)) / deg
        self._trust_given.append(given.astype(np.float32))
        self._trust_received.append(received.astype(np.float32))
        self._wealth.append(pop.wealth[:n].astype(np.float32))
        self._history_steps.append(self.model.steps)
        mech = self.ecosystems
        if mech is not None and mech.detections and mech.detections[-1] not in self.ecosystem_snapshots:
            self.ecosystem_snapshots[mech.detections[-1]] = {
                int(k): np.array(v, np.int64) for k, v in mech.tracker.groups.items()
            }
        if len(self._history_steps) > HISTORY:
            for lst in (self._trust_given, self._trust_received, self._wealth, self._history_steps):
                del lst[0]

    # -- looking -----------------------------------------------------------
    @property
    def ecosystems(self):
        """The ecosystems mechanism of the run, or None when the scenario has none."""
        return self.model.mechanism("ecosystems")

    def ecosystem_map(self) -> dict[int, int] | None:
        mech = self.ecosystems
        current = getattr(mech, "current", None) if mech is not None else None
        return dict(current) if current else None

    def ecosystem_sizes(self, eco: dict[int, int] | None = None) -> dict[int, int]:
        """Ecosystem id -> members of it on screen (alive), largest first."""
        eco = self.ecosystem_map() if eco is None else eco
        if not eco:
            return {}
        slots = np.fromiter(eco, np.int64, len(eco))
        alive = self.model.population.alive[slots]
        ids, counts = np.unique(np.fromiter(eco.values(), np.int64, len(eco))[alive], return_counts=True)
        order = np.lexsort((ids, -counts))
        return {int(ids[i]): int(counts[i]) for i in order}

    def story(self) -> list[Chapter]:
        """The ecosystems' story so far, one chapter per detection (empty without the
        ecosystems mechanism)."""
        mech = self.ecosystems
        if mech is None:
            return []
        with self.lock:
            return chapters(mech.events, self.ecosystem_snapshots, self.model.population.left)

    def frame(self) -> Frame:
        """Draw the network and charts as they are now."""
        t0 = time.perf_counter()
        with self.lock:
            colour_by = self.colour_by
            eco = self.ecosystem_map() if colour_by == "ecosystem" else None
            if eco:
                self.ecosystem_colours = assign_colours(self.ecosystem_sizes(eco), self.ecosystem_colours)
            svg = network_svg(
                self.model,
                self.layout,
                colour_by=colour_by if eco else "strategy",
                ecosystems=eco,
                colours=self.ecosystem_colours,
                selected=self.selected,
            )
            charts = self.charts()
            metrics = dict(self.model.metrics)
            frame = Frame(self.model.steps, int(metrics.get("members", 0)), svg, charts, metrics)
        self.last_frame_seconds = time.perf_counter() - t0
        return frame

    def series(self, name: str, from_week: int = 0) -> tuple[list[float], list[float]]:
        """``(weeks, values)`` of a metric so far, from ``from_week`` on (empty when it is
        not measured)."""
        return metric_series(self.model, name, from_week)

    def charts(self) -> dict[str, str]:
        """The live charts, title -> SVG."""
        names = [
            s
            for s in self.model.strategy_names
            if self.model.metrics.get(f"n_{s}", 0) or s in self.config.mix
        ]
        colours = {strategy_label(s): strategy_colour(s) for s in names}
        size = {"width": 420, "height": CHART_HEIGHT, "legend": True}
        out = {
            "members": line_chart(
                {strategy_label(s): self.series(f"n_{s}") for s in names},
                title="Members by strategy",
                colours=colours,
                y_min=0,
                **size,
            ),
            "wealth": wealth_chart(self.model, names, **size),
            "fulfilment": line_chart(
                # nobody has asked yet in week 0
                {"share of needs met": self.series("fulfilment_rate", from_week=1)},
                title="Fulfilment rate",
                colours={"share of needs met": "#0072B2"},
                y_min=0,
                y_max=1,
                **size,
            ),
        }
        if "ecosystems" in self.model.datacollector.model_vars:
            out["ecosystems"] = line_chart(
                {"ecosystems": self.series("ecosystems")},
                title="Number of ecosystems",
                colours={"ecosystems": "#7b4173"},
                y_min=0,
                **size,
            )
        else:
            out["ecosystems"] = line_chart(
                {"share in the largest group": self.series("giant_component")},
                title="Largest connected group",
                colours={"share in the largest group": "#7b4173"},
                y_min=0,
                y_max=1,
                **size,
            )
        if "fulfilment_collectors" in self.model.datacollector.model_vars:
            # the habits mechanism: the two halves its lesson compares, which the charts by
            # strategy cannot tell apart (the habit is independent of the strategy)
            out["habits"] = line_chart(
                {
                    f"{g}, needs met": self.series(f"fulfilment_{g}", from_week=1)
                    for g in ("builders", "collectors")
                },
                title="Builders and collectors: share of needs met",
                colours=HABIT_COLOURS,
                y_min=0,
                y_max=1,
                **size,
            )
            out["habits_wealth"] = line_chart(
                {f"{g}, mean wealth": self.series(f"wealth_{g}") for g in ("builders", "collectors")},
                title="Builders and collectors: mean wealth",
                colours=HABIT_COLOURS,
                **size,
            )
        return out

    def member_at(self, slot: int) -> bool:
        """Whether ``slot`` is a member of this run (alive or departed)."""
        return 0 <= slot < self.model.population.size

    def inspect(self, slot: int) -> dict[str, Any]:
        """Everything the inspector shows about one member.

        Keys: ``slot, strategy, wealth, alive, joined, left, reputation, rank,
        skills, ties, contacts`` (strongest first: slot, strategy, strength,
        trust given, trust received) and ``chart`` (SVG of trust received and
        given, and wealth, over time).
        """
        model, pop, ties = self.model, self.model.population, self.model.ties
        if not self.member_at(slot):
            raise ValueError(f"no member #{slot} in this run (members are numbered 0 to {pop.size - 1})")
        with self.lock:
            e = ties.live()
            mine = e[(ties.u[e] == slot) | (ties.v[e] == slot)]
            side = (ties.u[mine] != slot).astype(int)  # 0 when this member is u
            other = np.where(side == 0, ties.v[mine], ties.u[mine])
            given = ties.trust[mine, side]
            received = ties.trust[mine, 1 - side]
            strength = ties.strength[mine]
            order = np.argsort(-strength)
            contacts = [
                {
                    "slot": int(other[i]),
                    "strategy": model.strategy_names[pop.strategy[other[i]]],
                    "strength": float(strength[i]),
                    "trust_given": float(given[i]),
                    "trust_received": float(received[i]),
                }
                for i in order
            ]
            steps = self._history_steps

            def hist(arrays: list[np.ndarray]) -> tuple[list[int], list[float]]:
                xs, ys = [], []
                for s, a in zip(steps, arrays, strict=True):
                    if slot < len(a) and np.isfinite(a[slot]) and s >= pop.joined[slot]:
                        if pop.left[slot] >= 0 and s > pop.left[slot]:
                            continue
                        xs.append(s)
                        ys.append(float(a[slot]))
                return xs, ys

            chart = line_chart(
                {"trust received": hist(self._trust_received), "trust given": hist(self._trust_given)},
                title="Trust over time (mean over ties)",
                colours={"trust received": "#009E73", "trust given": "#0072B2"},
                y_min=0,
                y_max=1,
                width=360,
                height=170,
                legend=True,
            )
            wealth_chart = line_chart(
                {"wealth": hist(self._wealth)},
                title="Wealth over time",
                colours={"wealth": strategy_colour(model.strategy_names[pop.strategy[slot]])},
                width=360,
                height=150,
            )
            return {
                "slot": slot,
                "strategy": model.strategy_names[pop.strategy[slot]],
                "wealth": float(pop.wealth[slot]),
                "alive": bool(pop.alive[slot]),
                "joined": int(pop.joined[slot]),
                "left": int(pop.left[slot]),
                "reputation": float(pop.reputation(np.array([slot]))[0]),
                "rank": int(pop.rank[slot]),
                "skills": np.flatnonzero(pop.skills[slot]).tolist(),
                # where the scenario has networking habits: collects connections or builds a few
                "habit": None
                if (habits := model.mechanism("habits")) is None
                else ("collector" if habits.is_collector(np.array([slot]))[0] else "builder"),
                "ties": len(mine),
                "contacts": contacts,
                "chart": chart,
                "wealth_chart": wealth_chart,
            }
