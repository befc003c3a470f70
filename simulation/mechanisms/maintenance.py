"""Maintenance: relationships take work (seed 004), and time is finite.

Every member has ``time_budget`` hours a week for its network.  Each gift it gave
this week took ``gift_time`` of them; with what is left it keeps up its closest ties
(strongest and most trusted first), ``tie_time`` hours each.  So the number of ties
a member actively maintains saturates, as Dunbar's layers do (Dunbar 1998, *Evol.
Anthropol.* 6:178; Roberts & Dunbar 2011, *Pers. Relatsh.* 18:439: time spent on a
tie keeps it close, and a generous helper has less of it left for its own network).

Every week a tie that was not used (no gift, no referral, no meeting) loses
``decay`` of its strength, scaled by how many of its two ends kept it up: both, no
loss; one, half; none, all.  A tie weaker than ``min_strength`` dissolves.  Decay
is linear and certain, so a tie of strength ``s`` that nobody uses lasts
``(s - min_strength) / decay`` weeks when neither end keeps it up and twice as long
when one does: whether such a tie outlives a given span (say the year over which
Burt 2002 measured bridge decay) turns on ``decay`` alone.  Members also cut ties
on purpose, when something happened on the tie this week (a gift or a refusal) that
leaves them having given more than their strategy tolerates without return,
or (for strategies that watch trust) with their trust in the other below
``cut_trust``.  A strategy that spares members in good standing
(``Strategy.spares_good_standing``: otherish givers and connectors, whose guard is aimed
at takers, Grant 2013, ch. 7) cuts for imbalance only a tie to a member not in good
standing in its eyes (image below 0.5, read as the giving rule reads it:
``GiveTakeModel.standing_of``); one it helps whatever the ledger says it does not drop
over that ledger.
"""

from __future__ import annotations

import numpy as np

from ..arrays import rank_in_groups
from ..strategies.builtin import GOOD_STANDING
from .base import Mechanism, Param, mechanism

__all__ = ["Maintenance"]


@mechanism
class Maintenance(Mechanism):
    """Decay of unused ties, dissolution of weak ones, cutting of exploiters."""

    name = "maintenance"
    PARAMS = {
        "decay": Param(0.005, "strength an unused tie that neither end keeps up loses per week", 0.0, 1.0),
        "time_budget": Param(10.0, "hours a week a member gives its network", 0.0, None),
        "gift_time": Param(2.0, "hours a gift takes the giver", 0.0, None),
        "tie_time": Param(0.5, "hours a week keeping up one tie takes", 0.0, None),
        "min_strength": Param(0.05, "ties weaker than this dissolve", 0.0, 1.0),
        "cut_trust": Param(0.15, "trust below which wary strategies cut a tie", 0.0, 1.0),
    }

    def kept_up(self, model) -> np.ndarray:
        """How many ends (0, 1, 2) keep up each tie this week, by tie index."""
        pop, ties = model.population, model.ties
        if self.tie_time == 0:
            return np.full(ties.size, 2, np.int64)
        busy = np.bincount(model.tick.gifts.giver, minlength=pop.size) * self.gift_time
        hours = np.maximum(self.time_budget - busy, 0.0)
        room = np.floor(hours / self.tie_time).astype(np.int64)
        view = ties.directed(pop.size)
        closeness = ties.strength[view.edge] * ties.trust[view.edge, view.side]
        order = np.lexsort((-closeness, view.src))
        kept = order[rank_in_groups(view.src[order]) < room[view.src[order]]]
        return np.bincount(view.edge[kept], minlength=ties.size)

    @staticmethod
    def spared(model, edges: np.ndarray, ask: np.ndarray) -> np.ndarray:
        """Whether the ends ``ask`` of the live ``edges`` hold the other in good standing, as
        ``(len(edges), 2)``: column 0 is ``u``'s view of ``v``, column 1 ``v``'s of ``u`` (the
        sides of the ledger and of trust).  The image the giving rule reads
        (``GiveTakeModel.standing_of``), from ``GOOD_STANDING`` up; looked up only for the
        ends asked about (those whose strategy spares good standing and which have given past
        its tolerance: few a week), false elsewhere."""
        good = np.zeros(ask.shape, bool)
        ends = (model.ties.u[edges], model.ties.v[edges])
        for side in (0, 1):
            a = ask[:, side]
            if a.any():
                viewer, subject = ends[side][a], ends[1 - side][a]
                good[a, side] = model.standing_of(subject, viewer, edges[a]) >= GOOD_STANDING
        return good

    def step(self, model) -> None:
        if model.compiled and type(self) is Maintenance and model.uses_builtin("standing_of"):
            return self._step_compiled(model)
        pop, ties, tick = model.population, model.ties, model.tick
        e = ties.live()
        unused = ties.last_used[e] < model.steps
        kept_up = self.kept_up(model)
        ties.strength[e[unused]] -= self.decay * (2 - kept_up[e[unused]]) / 2.0
        weak = e[ties.strength[e] < self.min_strength]
        # a member reconsiders a tie when something happened on it this week:
        # ledgers change only with gifts, trust only with gifts and refusals
        touched = np.unique(np.concatenate([tick.gifts.edge, tick.refusals.edge]))
        touched = touched[ties.alive[touched]]
        u, v = ties.u[touched], ties.v[touched]
        su, sv = pop.strategy[u], pop.strategy[v]
        led = ties.ledger[touched]
        tol, spares = model.tolerance, model.spares_good_standing
        # given more than the strategy tolerates without return, to a member it does not
        # spare for being in good standing in its eyes
        over_u, over_v = led[:, 0] - led[:, 1] > tol[su], led[:, 1] - led[:, 0] > tol[sv]
        good = self.spared(model, touched, np.column_stack([over_u & spares[su], over_v & spares[sv]]))
        exploited = (over_u & ~good[:, 0]) | (over_v & ~good[:, 1])
        wary = model.cuts_distrusted
        tr = ties.trust[touched]
        distrusted = (wary[su] & (tr[:, 0] < self.cut_trust)) | (wary[sv] & (tr[:, 1] < self.cut_trust))
        cut = touched[exploited | distrusted]
        tick.ties_cut = ties.remove(cut)
        tick.ties_dissolved = ties.remove(np.setdiff1d(weak, cut, assume_unique=True))

    def _step_compiled(self, model) -> None:
        """The same week in one compiled kernel (``simulation.compiled``); same results."""
        from ..compiled import active

        pop, ties, tick = model.population, model.ties, model.tick
        view = ties.directed(pop.size)
        cut, weak = active().maintenance(
            pop.size,
            view.start,
            view.edge,
            view.side,
            ties.size,
            ties.u,
            ties.v,
            ties.alive,
            ties.strength,
            ties.trust,
            ties.ledger,
            ties.last_used,
            tick.gifts.giver,
            np.concatenate([tick.gifts.edge, tick.refusals.edge]),
            pop.strategy,
            model.tolerance,
            model.spares_good_standing,
            GOOD_STANDING,
            model.uses_standing,
            ties.image,
            pop.public_gifts,
            pop.public_refusals,
            model.cuts_distrusted,
            model.steps,
            float(self.decay),
            float(self.time_budget),
            float(self.gift_time),
            float(self.tie_time),
            float(self.min_strength),
            float(self.cut_trust),
        )
        tick.ties_cut = ties.remove(cut)
        tick.ties_dissolved = ties.remove(weak)
