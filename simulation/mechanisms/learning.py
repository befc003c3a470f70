"""Learning: members imitate better-off contacts (pairwise comparison, Fermi rule).

With probability ``p_learn`` a week, a member compares its wealth ``w_i``
with a random contact's ``w_j`` and adopts the contact's strategy with
probability ``1 / (1 + exp(-beta * (w_j - w_i)))`` (Szabó & Tőke 1998,
*Phys. Rev. E* 58:69).  ``p_learn = 0`` (the default) switches learning off.
"""

from __future__ import annotations

import numpy as np

from .base import Mechanism, Param, mechanism

__all__ = ["Learning"]


@mechanism
class Learning(Mechanism):
    """Imitation of better-off contacts."""

    name = "learning"
    PARAMS = {
        "p_learn": Param(0.0, "weekly chance that a member compares itself with a contact", 0.0, 1.0),
        "beta": Param(0.1, "intensity of selection in the Fermi rule", 0.0, 1000.0),
    }

    def step(self, model) -> None:
        if self.p_learn <= 0:
            return
        pop, rng = model.population, model.rng
        view = model.ties.directed(pop.size)
        alive = pop.alive_slots()
        learners = alive[(rng.random(len(alive)) < self.p_learn) & (view.degree()[alive] > 0)]
        if len(learners) == 0:
            return
        model_member = view.random_neighbor(learners, rng)
        diff = pop.wealth[model_member] - pop.wealth[learners]
        p = 1.0 / (1.0 + np.exp(np.clip(-self.beta * diff, -700, 700)))
        switch = rng.random(len(learners)) < p
        pop.strategy[learners[switch]] = pop.strategy[model_member[switch]]
