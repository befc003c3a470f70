"""Referrals: business passed on to a contact without being asked (seeds 002, 003, 004).

"Givers gain": in a referral network members pass on clients they cannot serve
themselves to a contact who can (BNI's members passed 10.4 million referrals in 2018,
about 43 per member a year).  Each week a member comes across such a client with
chance ``p_lead``: someone who needs one of the skills the member lacks.  The member
thinks of its contacts who have the skill and would refer the client to the one it
thinks best of, its standing in the member's eyes times the strength of their tie
(plus a little chance, ``exploration``).  Whether it does is its strategy's decision,
the same one it makes when asked for help: a giver always refers, a taker never
does, a matcher while the favours on the tie are balanced, an otherish giver unless
it takes the contact for a taker (and then still one time in three if what marks it is
what it owes the referrer, never if it is its standing alone).

A referral is worth ``value`` to the member who gets the business (money from outside
the network: it is new value) and costs the referrer ``cost`` (time).  It counts as a
favour on the tie's ledger, so matchers return it; the receiver trusts the referrer
more, thinks better of it (:meth:`~simulation.mechanisms.standing.Standing.hear`) and the tie
is used this week.  Reputation therefore pays here: members in good standing with
many strong ties are the ones clients are sent to.
"""

from __future__ import annotations

import numpy as np

from ..arrays import rank_in_groups
from ..strategies import DecisionContext
from .base import Mechanism, Param, mechanism

__all__ = ["Referrals"]


@mechanism
class Referrals(Mechanism):
    """Members pass clients they cannot serve to the contact they think best of."""

    name = "referrals"
    PARAMS = {
        "p_lead": Param(0.1, "weekly chance that a member meets a client needing a skill it lacks", 0.0, 1.0),
        "value": Param(3.0, "worth of a referred client to the member who gets the business", 0.0, None),
        "cost": Param(0.2, "time a referral costs the referrer", 0.0, None),
        "exploration": Param(0.1, "weight of chance in whom a member refers to", 0.0, 10.0),
        "trust_gain": Param(
            0.2, "share of the distance to full trust the receiver gains in the referrer", 0.0, 1.0
        ),
        "strength_gain": Param(
            0.1, "share of the distance to full strength a referral adds to the tie", 0.0, 1.0
        ),
    }

    def step(self, model) -> None:
        if model.compiled and type(self) is Referrals:
            table = model.strategy_table()
            if table is not None:  # every strategy a built-in: decided in the kernel
                return self._step_compiled(model, table)
        pop, ties, rng = model.population, model.ties, model.rng
        alive = pop.alive_slots()
        referrer = alive[rng.random(len(alive)) < self.p_lead]
        if len(referrer) == 0:
            return
        # the client's need: a skill the referrer lacks
        scores = rng.random((len(referrer), pop.n_skills))
        scores[pop.skills[referrer]] = -1.0
        need = np.argmax(scores, axis=1)
        need_of = np.full(pop.size, -1, np.int64)
        need_of[referrer] = need
        # contacts who have the skill, best first in the referrer's eyes
        view = ties.directed(pop.size)
        k = np.flatnonzero(need_of[view.src] >= 0)
        k = k[pop.skills[view.dst[k], need_of[view.src[k]]]]
        if len(k) == 0:
            return
        src, dst, edge, side = view.src[k], view.dst[k], view.edge[k], view.side[k]
        score = model.standing_of(dst, src, edge) * ties.strength[edge]
        score = score + self.exploration * rng.random(len(k))
        order = np.lexsort((-score, src))
        best = order[rank_in_groups(src[order]) == 0]
        src, dst, edge, side = src[best], dst[best], edge[best], side[best]
        # the referrer's strategy decides, as when asked for a favour; side is src's direction
        ctx = DecisionContext(
            model=model,
            giver=src,
            asker=dst,
            edge=edge,
            given=ties.ledger[edge, side],
            received=ties.ledger[edge, 1 - side],
            trust=ties.trust[edge, side],
        )
        yes = model.decide(ctx)
        src, dst, edge, side = src[yes], dst[yes], edge[yes], side[yes]
        self.refer(model, src, dst, edge, side)

    def refer(self, model, src, dst, edge, side) -> None:
        """``src[k]`` refers a client to ``dst[k]`` along ``edge[k]`` (``side[k]``: the
        referrer's direction on it)."""
        pop, ties = model.population, model.ties
        if len(src) == 0:
            return
        if model.compiled and model.uses_builtin("pay"):
            return self._refer_compiled(model, src, dst, edge, side)
        model.pay(src, -self.cost)
        model.pay(dst, self.value)
        np.add.at(ties.ledger, (edge, side), 1)
        t = ties.trust[edge, 1 - side]
        ties.trust[edge, 1 - side] = t + self.trust_gain * (1.0 - t)
        ties.strength[edge] += self.strength_gain * (1.0 - ties.strength[edge])
        ties.last_used[edge] = model.steps
        standing = model.mechanism("standing")
        if standing is not None:
            standing.hear(model, dst, src, dst, np.ones(len(src), bool))
        np.add.at(pop.referrals_received, dst, 1)
        model.tick.referrals += len(src)

    def _refer_compiled(self, model, src, dst, edge, side) -> None:
        """:meth:`refer` with the changes of value, ledgers, trust and strength made by a
        compiled kernel (``simulation.compiled.favours``); same results."""
        from ..compiled.favours import refer

        pop, ties, tick = model.population, model.ties, model.tick
        refer(
            src,
            dst,
            edge,
            side,
            pop.wealth,
            ties.ledger,
            ties.trust,
            ties.strength,
            ties.last_used,
            pop.referrals_received,
            model.steps,
            float(self.cost),
            float(self.value),
            float(self.trust_gain),
            float(self.strength_gain),
        )
        model.paid(len(src), -self.cost)
        model.paid(len(src), self.value)
        standing = model.mechanism("standing")
        if standing is not None:
            standing.hear(model, dst, src, dst, np.ones(len(src), bool))
        tick.referrals += len(src)

    def _step_compiled(self, model, table) -> None:
        """Who refers whom, with the same draws and decisions, in a compiled kernel
        (``simulation.compiled.favours``); same results."""
        from ..compiled.favours import referrals
        from ..compiled.generator import handle

        pop, ties = model.population, model.ties
        view = ties.directed(pop.size)
        self.refer(
            model,
            *referrals(
                handle(model.rng),
                pop.alive_slots(),
                float(self.p_lead),
                pop.skills,
                view.start,
                view.dst,
                view.edge,
                view.side,
                ties.strength,
                float(self.exploration),
                pop.strategy,
                *table,
                model.uses_standing,
                ties.u,
                ties.image,
                ties.ledger,
                pop.public_gifts,
                pop.public_refusals,
                pop.expectation,
            ),
        )
