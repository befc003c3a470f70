"""Meeting new people: random encounters, friends of friends, and reputation."""

from __future__ import annotations

import numpy as np

from .base import Mechanism, Param, mechanism
from .contacts import attachment_weights, connect, friends_of_friends

__all__ = ["Meeting"]


@mechanism
class Meeting(Mechanism):
    """Random meetings, attachment to reputation, and friends of friends."""

    name = "meeting"
    PARAMS = {
        "p_random": Param(0.03, "weekly chance of meeting a random stranger", 0.0, 1.0),
        "p_attach": Param(0.02, "weekly chance of seeking out a well-reputed member", 0.0, 1.0),
        "p_triadic": Param(0.08, "weekly chance of meeting a friend of a friend", 0.0, 1.0),
    }

    def step(self, model) -> None:
        pop, rng = model.population, model.rng
        alive = pop.alive_slots()
        n = len(alive)
        if n < 2:
            return
        # friends of friends are found on this week's network, before it changes
        fa, fb = friends_of_friends(model, alive[rng.random(n) < self.p_triadic])
        ra = alive[rng.random(n) < self.p_random]
        rb = alive[rng.integers(0, n, len(ra))]
        pa = alive[rng.random(n) < self.p_attach]
        if len(pa):
            pb = rng.choice(alive, size=len(pa), p=attachment_weights(model, alive))
        else:
            pb = pa
        connect(
            model,
            np.concatenate([ra, pa, fa]),
            np.concatenate([rb, pb, fb]),
        )
