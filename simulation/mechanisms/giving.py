"""Giving: asked contacts decide by their strategy, within their weekly capacity."""

from __future__ import annotations

import numpy as np

from ..arrays import rank_in_groups
from ..strategies import DecisionContext
from .base import Mechanism, Param, mechanism

__all__ = ["Giving"]


@mechanism
class Giving(Mechanism):
    """Asked contacts decide, one round of asking at a time, within their weekly capacity.

    In round ``r`` every member whose need is still open asks the ``r``-th
    contact in its line.  The contact's strategy decides; a willing contact who
    has already given ``capacity`` times this week is *busy* (not a refusal).
    """

    name = "giving"
    PARAMS = {
        "capacity": Param(2, "gifts a member can give per week (time is finite)", 0, 1000),
        "choose": Param(
            "standing",
            "whom a busy member helps first among the requests it is willing to grant: 'standing' "
            "(those it thinks best of, indirect reciprocity) or 'random'",
            choices=("standing", "random"),
        ),
    }

    def step(self, model) -> None:
        if model.compiled and type(self) is Giving:
            table = model.strategy_table()
            if table is not None:  # every strategy a built-in: decided in the kernel
                return self._step_compiled(model, table)
        pop, ties, tick = model.population, model.ties, model.tick
        plan = tick.plan
        giver, asker, edge, side, rank = plan.giver, plan.asker, plan.edge, plan.side, plan.round
        remaining = np.full(pop.size, self.capacity, np.int64)
        open_need = pop.need[: pop.size] >= 0
        gifts, refusals = [], []
        n_requests = 0
        rounds = int(rank.max()) + 1 if len(rank) else 0
        for r in range(rounds):
            sel = np.flatnonzero((rank == r) & open_need[asker])
            if len(sel) == 0:
                continue
            n_requests += len(sel)
            g, a, e, s = giver[sel], asker[sel], edge[sel], side[sel]
            gs = 1 - s  # the giver's direction on the tie
            ctx = DecisionContext(
                model=model,
                giver=g,
                asker=a,
                edge=e,
                given=ties.ledger[e, gs],
                received=ties.ledger[e, s],
                trust=ties.trust[e, gs],
            )
            willing = model.decide(ctx)
            no = np.flatnonzero(~willing)
            refusals.append(sel[no])
            yes = np.flatnonzero(willing)
            # a giver with more requests than time helps those it thinks best of first
            # (ties broken at random), then capacity
            yes = yes[model.rng.permutation(len(yes))]
            if self.choose == "standing":
                yes = yes[np.lexsort((-model.standing_of(a[yes], g[yes], e[yes]), g[yes]))]
            else:
                yes = yes[np.argsort(g[yes], kind="stable")]
            served = yes[rank_in_groups(g[yes]) < remaining[g[yes]]]
            np.subtract.at(remaining, g[served], 1)
            open_need[a[served]] = False
            gifts.append(sel[served])
        tick.requests = n_requests
        cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0, np.int64)  # noqa: E731
        g_idx, r_idx = cat(gifts), cat(refusals)
        tick.gifts = plan.take(g_idx)
        tick.refusals = plan.take(r_idx)

    def _step_compiled(self, model, table) -> None:
        """The same rounds, decisions and draws in one compiled kernel
        (``simulation.compiled.favours``); same results."""
        from ..compiled.favours import giving
        from ..compiled.generator import handle

        pop, ties, tick = model.population, model.ties, model.tick
        plan = tick.plan
        gifts, refusals, tick.requests = giving(
            handle(model.rng),
            plan.giver,
            plan.asker,
            plan.edge,
            plan.side,
            plan.round,
            pop.need,
            pop.size,
            int(self.capacity),
            self.choose == "standing",
            pop.strategy,
            *table,
            model.uses_standing,
            ties.u,
            ties.image,
            ties.ledger,
            pop.public_gifts,
            pop.public_refusals,
            pop.expectation,
        )
        tick.gifts = plan.take(gifts)
        tick.refusals = plan.take(refusals)
