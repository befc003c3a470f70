"""Maintenance: relationships take work (seed 004).

Every week a tie that was not used loses ``decay`` of its strength; a tie
weaker than ``min_strength`` dissolves.  Members also cut ties on purpose,
when something happened on the tie this week (a gift or a refusal) that
leaves them having given more than their strategy tolerates without return,
or (for strategies that watch trust) with their trust in the other below
``cut_trust``.
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
        pop, ties, tick = model.population, model.ties, model.tick
        e = ties.live()
        unused = ties.last_used[e] < model.steps
        ties.strength[e[unused]] -= self.decay
        weak = e[ties.strength[e] < self.min_strength]
        # a member reconsiders a tie when something happened on it this week:
        # ledgers change only with gifts, trust only with gifts and refusals
        touched = np.unique(np.concatenate([tick.gifts.edge, tick.refusals.edge]))
        touched = touched[ties.alive[touched]]
        u, v = ties.u[touched], ties.v[touched]
        su, sv = pop.strategy[u], pop.strategy[v]
        led = ties.ledger[touched]
        tol = model.tolerance
        exploited = (led[:, 0] - led[:, 1] > tol[su]) | (led[:, 1] - led[:, 0] > tol[sv])
        wary = model.cuts_distrusted
        tr = ties.trust[touched]
        distrusted = (wary[su] & (tr[:, 0] < self.cut_trust)) | (wary[sv] & (tr[:, 1] < self.cut_trust))
        cut = touched[exploited | distrusted]
        tick.ties_cut = ties.remove(cut)
        tick.ties_dissolved = ties.remove(np.setdiff1d(weak, cut, assume_unique=True))
