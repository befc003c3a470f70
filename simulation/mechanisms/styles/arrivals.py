"""Scheduled waves of newcomers, e.g. takers invading a healthy network."""

from __future__ import annotations

import numpy as np

from ...errors import ScenarioError
from ..base import Mechanism, Param, mechanism
from ..contacts import attachment_weights, connect

__all__ = ["Arrivals"]


@mechanism
class Arrivals(Mechanism):
    """Scheduled waves of newcomers (e.g. a wave of takers invading a healthy network).

    In week ``at`` (and every ``every`` weeks after, if ``every > 0``)
    ``count + share * starting size`` newcomers arrive, all following
    ``strategy`` (a strategy name, or ``"mix"`` for the scenario's mix).  Each
    meets ``contacts`` members, chosen like the meeting mechanism's
    attachment: reputation- and degree-biased.
    """

    name = "arrivals"
    PARAMS = {
        "at": Param(100, "week of the (first) wave", 1, 10_000_000),
        "every": Param(0, "weeks between waves; 0: a single wave", 0, 10_000_000),
        "count": Param(0, "newcomers per wave", 0, 10_000_000),
        "share": Param(0.25, "further newcomers per wave, as a share of the starting size", 0.0, 100.0),
        "strategy": Param("taker", "strategy of the newcomers, or 'mix' for the scenario's mix"),
        "contacts": Param(5, "members each newcomer meets on arrival", 0, 10_000),
    }

    def setup(self, model) -> None:
        if self.strategy != "mix" and self.strategy not in model.strategy_names:
            raise ScenarioError(
                model.config.source,
                "mechanisms.arrivals.strategy",
                f"expected 'mix' or one of {', '.join(model.strategy_names)}, got {self.strategy!r}",
            )
        self.arrived = 0
        self.week = (-1, 0)  # (step, newcomers) of the latest wave
        model.extra_metrics["arrived"] = lambda m: self.week[1] if self.week[0] == m.steps else 0

    def is_wave_week(self, week: int) -> bool:
        if week == self.at:
            return True
        return self.every > 0 and week > self.at and (week - self.at) % self.every == 0

    def step(self, model) -> None:
        if not self.is_wave_week(model.steps):
            return
        n = self.count + int(round(self.share * model.initial_size))
        if n == 0:
            return
        pop = model.population
        old = pop.alive_slots()
        strategies = None
        if self.strategy != "mix":
            strategies = np.full(n, model.strategy_names.index(self.strategy), np.int16)
        newcomers = model.add_members(n, strategies=strategies)
        self.week = (model.steps, n)
        self.arrived += n
        if self.contacts and len(old):
            p = attachment_weights(model, old)
            a = np.repeat(newcomers, self.contacts)
            b = model.rng.choice(old, size=len(a), p=p)
            connect(model, a, b)

    def summary(self, model) -> dict:
        return {"arrived": self.arrived}
