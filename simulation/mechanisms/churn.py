"""Churn: networks are living things (seed 004).

Every member pays ``upkeep`` a week to keep its business running.  Members
whose business fails (wealth below ``failure_wealth``) leave, and
others leave for their own reasons with probability ``p_exit``.  Newcomers
arrive: with ``replace`` each leaver is replaced by one newcomer, and
``arrival_rate`` adds growth (a share of the starting size per week).
Newcomers' strategies follow the scenario's mix; each meets
``initial_contacts`` members, chosen with attachment biased to reputation.
Members also change skills (``p_skill_change``) and relocate
(``p_relocate``), keeping each tie only with probability ``relocate_keep``.
"""

from __future__ import annotations

import numpy as np

from .base import Mechanism, Param, mechanism
from .contacts import attachment_weights, connect

__all__ = ["Churn"]


@mechanism
class Churn(Mechanism):
    """Upkeep, business failure, exits, arrivals, skill changes and relocation."""

    name = "churn"
    PARAMS = {
        "upkeep": Param(0.5, "weekly cost of running a business, paid by every member", 0.0, None),
        "failure_wealth": Param(0.0, "a member whose wealth falls below this fails and leaves", None, None),
        "p_exit": Param(0.002, "weekly chance of leaving for other reasons", 0.0, 1.0),
        "replace": Param(True, "each leaver is replaced by a newcomer"),
        "arrival_rate": Param(0.0, "extra newcomers per week, as a share of the starting size", 0.0, 1.0),
        "initial_contacts": Param(4, "members a newcomer meets on arrival", 0, 1000),
        "p_skill_change": Param(0.002, "weekly chance of changing one's skills", 0.0, 1.0),
        "p_relocate": Param(0.001, "weekly chance of relocating", 0.0, 1.0),
        "relocate_keep": Param(0.3, "share of ties kept when relocating", 0.0, 1.0),
    }

    def step(self, model) -> None:
        pop, rng, tick = model.population, model.rng, model.tick
        alive = pop.alive_slots()
        if self.upkeep:
            model.pay(alive, -self.upkeep)
        failed = alive[pop.wealth[alive] < self.failure_wealth]
        rest = np.setdiff1d(alive, failed, assume_unique=True)
        exits = rest[rng.random(len(rest)) < self.p_exit]
        leaving = np.concatenate([failed, exits])
        model.remove_members(leaving)
        tick.failed += len(failed)

        n_new = (len(leaving) if self.replace else 0) + rng.poisson(self.arrival_rate * model.initial_size)
        if n_new:
            newcomers = model.add_members(n_new)
            self.introduce_newcomers(model, newcomers)

        alive = pop.alive_slots()
        movers = alive[rng.random(len(alive)) < self.p_skill_change]
        model.assign_skills(movers)
        movers = alive[rng.random(len(alive)) < self.p_relocate]
        if len(movers):
            e = model.ties.live()
            mask = np.zeros(pop.size, bool)
            mask[movers] = True
            touched = e[mask[model.ties.u[e]] | mask[model.ties.v[e]]]
            model.ties.remove(touched[rng.random(len(touched)) >= self.relocate_keep])

    def introduce_newcomers(self, model, newcomers: np.ndarray) -> None:
        if self.initial_contacts == 0:
            return
        pop = model.population
        old = np.setdiff1d(pop.alive_slots(), newcomers, assume_unique=True)
        if len(old) == 0:
            return
        p = attachment_weights(model, old)
        a = np.repeat(newcomers, self.initial_contacts)
        b = model.rng.choice(old, size=len(a), p=p)
        connect(model, a, b)
