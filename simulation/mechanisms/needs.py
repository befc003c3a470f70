"""Needs: each week some members need help in a skill they lack (seeds 000, 001)."""

from __future__ import annotations

import numpy as np

from .base import Mechanism, Param, mechanism

__all__ = ["Needs"]


@mechanism
class Needs(Mechanism):
    """Each member, with probability ``p_need``, needs help this week in one skill it lacks.

    Needs last one week: unmet needs are dropped when the next week's needs are drawn.
    """

    name = "needs"
    PARAMS = {"p_need": Param(0.5, "chance that a member has a need in a given week", 0.0, 1.0)}

    def step(self, model) -> None:
        pop = model.population
        pop.need[: pop.size] = -1
        alive = pop.alive_slots()
        needy = alive[model.rng.random(len(alive)) < self.p_need]
        if len(needy):
            scores = model.rng.random((len(needy), pop.n_skills))
            scores[pop.skills[needy]] = -1.0  # never need a skill you have
            pop.need[needy] = np.argmax(scores, axis=1)
        model.tick.needs = len(needy)
