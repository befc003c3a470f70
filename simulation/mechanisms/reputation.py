"""Reputation: what members did becomes public knowledge by gossip."""

from __future__ import annotations

import numpy as np

from .base import Mechanism, Param, mechanism

__all__ = ["Reputation"]


@mechanism
class Reputation(Mechanism):
    """Public reputation: each gift or refusal becomes known with probability ``gossip``.

    Reputation is the known share of requests a member met (see
    :meth:`Population.reputation`).  ``forgetting`` lets old news fade.
    """

    name = "reputation"
    PARAMS = {
        "gossip": Param(0.3, "chance that a gift or refusal becomes public", 0.0, 1.0),
        "forgetting": Param(0.0, "share of the public record forgotten per week", 0.0, 1.0),
    }

    def step(self, model) -> None:
        pop, tick = model.population, model.tick
        if self.forgetting:
            pop.public_gifts[: pop.size] *= 1.0 - self.forgetting
            pop.public_refusals[: pop.size] *= 1.0 - self.forgetting
        g = tick.gifts.giver
        r = tick.refusals.giver
        known_g = g[model.rng.random(len(g)) < self.gossip]
        known_r = r[model.rng.random(len(r)) < self.gossip]
        np.add.at(pop.public_gifts, known_g, 1)
        np.add.at(pop.public_refusals, known_r, 1)
