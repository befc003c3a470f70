"""Maintenance: relationships take work (seed 004).

Every week a tie that was not used loses ``decay`` of its strength; a tie
weaker than ``min_strength`` dissolves.  Members also cut ties on purpose:
when they have given more than their strategy tolerates without return, or
(for strategies that watch trust) when their trust in the other has fallen
below ``cut_trust``.
"""

from __future__ import annotations

import numpy as np

from .base import Mechanism, Param, mechanism

__all__ = ["Maintenance"]


@mechanism
class Maintenance(Mechanism):
    """Decay of unused ties, dissolution of weak ones, cutting of exploiters."""

    name = "maintenance"
    PARAMS = {
        "decay": Param(0.005, "strength an unused tie loses per week", 0.0, 1.0),
        "min_strength": Param(0.05, "ties weaker than this dissolve", 0.0, 1.0),
        "cut_trust": Param(0.15, "trust below which wary strategies cut a tie", 0.0, 1.0),
    }

    def step(self, model) -> None:
        pop, ties = model.population, model.ties
        e = ties.live()
        unused = ties.last_used[e] < model.steps
        ties.strength[e[unused]] -= self.decay
        u, v = ties.u[e], ties.v[e]
        su, sv = pop.strategy[u], pop.strategy[v]
        led = ties.ledger[e]
        tol = model.tolerance
        exploited = (led[:, 0] - led[:, 1] > tol[su]) | (led[:, 1] - led[:, 0] > tol[sv])
        wary = model.cuts_distrusted
        tr = ties.trust[e]
        distrusted = (wary[su] & (tr[:, 0] < self.cut_trust)) | (wary[sv] & (tr[:, 1] < self.cut_trust))
        weak = ties.strength[e] < self.min_strength
        cut = exploited | distrusted
        model.tick.cut = ties.remove(e[cut])
        model.tick.dissolved = ties.remove(e[weak & ~cut])
