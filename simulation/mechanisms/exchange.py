"""Needs, asking, giving, exchange and reputation: how help flows along ties.

One step of help works like this.  Some members have a *need* in a skill
they lack (:class:`Needs`).  Each of them lines up contacts who have that
skill, preferring trusted, strong ties (:class:`Asking`).  The asked
contacts answer one round at a time; each member's strategy decides, and
nobody gives more than ``capacity`` times a step (:class:`Giving`).  A gift
costs the giver ``c`` and is worth ``b`` to the receiver; trust, ledgers and
tie strength follow (:class:`Exchange`).  Some of what happened becomes
public knowledge (:class:`Reputation`).
"""

from __future__ import annotations

import numpy as np

from ..arrays import rank_in_groups
from ..strategies import DecisionContext
from .base import Mechanism, Param, mechanism

__all__ = ["Needs", "Asking", "Giving", "Exchange", "Reputation"]


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


@mechanism
class Asking(Mechanism):
    """Needy members line up contacts who have the needed skill ("relevance").

    Contacts are ranked by the asker's trust in them times the tie's strength,
    plus a little noise (``exploration``); a member asks at most
    ``asks * asks_factor`` of them (takers ask more widely).  The order is kept:
    :class:`Giving` goes down the line until the need is met.
    """

    name = "asking"
    PARAMS = {
        "asks": Param(3, "contacts a member may ask per need", 1, 100),
        "exploration": Param(0.1, "weight of chance in whom to ask first", 0.0, 10.0),
    }

    def step(self, model) -> None:
        pop, ties = model.population, model.ties
        view = ties.directed(pop.size)
        need = pop.need[view.src]
        k = np.flatnonzero(need >= 0)
        k = k[pop.skills[view.dst[k], need[k]]]
        edge, side = view.edge[k], view.side[k]
        score = ties.trust[edge, side] * ties.strength[edge]
        score = score + self.exploration * model.rng.random(len(k))
        src = view.src[k]
        order = np.lexsort((-score, src))
        k, src = k[order], src[order]
        rank = rank_in_groups(src)
        limit = np.rint(self.asks * model.asks_factor[pop.strategy[src]]).astype(np.int64)
        keep = rank < limit
        model.tick.plan = (src[keep], view.dst[k[keep]], view.edge[k[keep]], view.side[k[keep]], rank[keep])


@mechanism
class Giving(Mechanism):
    """Asked contacts decide, one round of asking at a time, within their weekly capacity.

    In round ``r`` every member whose need is still open asks the ``r``-th
    contact in its line.  The contact's strategy decides; a willing contact who
    has already given ``capacity`` times this week is *busy* (not a refusal).
    """

    name = "giving"
    PARAMS = {"capacity": Param(2, "gifts a member can give per week (time is finite)", 0, 1000)}

    def step(self, model) -> None:
        pop, ties, tick = model.population, model.ties, model.tick
        asker, giver, edge, side, rank = tick.plan
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
            a, g, e, s = asker[sel], giver[sel], edge[sel], side[sel]
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
            # random order among the askers of one giver, then capacity
            yes = yes[model.rng.permutation(len(yes))]
            yes = yes[np.argsort(g[yes], kind="stable")]
            served = yes[rank_in_groups(g[yes]) < remaining[g[yes]]]
            np.subtract.at(remaining, g[served], 1)
            open_need[a[served]] = False
            gifts.append(sel[served])
        tick.requests = n_requests
        cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0, np.int64)  # noqa: E731
        g_idx, r_idx = cat(gifts), cat(refusals)
        tick.gifts = (giver[g_idx], asker[g_idx], edge[g_idx], side[g_idx])
        tick.refusals = (giver[r_idx], asker[r_idx], edge[r_idx], side[r_idx])


@mechanism
class Exchange(Mechanism):
    """Gifts move value; experience moves trust and tie strength.

    A gift costs the giver ``c`` and is worth ``b`` to the receiver (b > c:
    networking creates value).  The receiver's trust in the giver rises
    towards 1 by ``trust_gain``; the tie strengthens towards 1 by
    ``strength_gain`` and counts as used this week.  A refusal lowers trust
    on both sides by the share ``trust_loss``: the asker's in the refuser, and
    the refuser's in the asker (who asked where it had not earned help).
    """

    name = "exchange"
    PARAMS = {
        "b": Param(3.0, "value of a gift to its receiver", 0.0, None),
        "c": Param(1.0, "cost of a gift to its giver", 0.0, None),
        "trust_gain": Param(0.2, "share of the distance to full trust gained per gift", 0.0, 1.0),
        "trust_loss": Param(0.3, "share of trust lost per refusal", 0.0, 1.0),
        "strength_gain": Param(0.2, "share of the distance to full strength gained per gift", 0.0, 1.0),
    }

    def step(self, model) -> None:
        pop, ties, tick = model.population, model.ties, model.tick
        g, a, e, s = tick.gifts
        model.pay(g, -self.c)
        model.pay(a, self.b)
        np.add.at(ties.ledger, (e, 1 - s), 1)
        t = ties.trust[e, s]
        ties.trust[e, s] = t + self.trust_gain * (1.0 - t)
        # every gift strengthens: k gifts across one tie in a week close (1-(1-gain)^k) of the gap
        used, k = np.unique(e, return_counts=True)
        ties.strength[used] = 1.0 - (1.0 - ties.strength[used]) * (1.0 - self.strength_gain) ** k
        ties.last_used[e] = model.steps
        pop.need[a] = -1
        np.add.at(pop.gifts_given, g, 1)
        np.add.at(pop.gifts_received, a, 1)
        rg, ra, re, rs = tick.refusals
        ties.trust[re, rs] *= 1.0 - self.trust_loss  # the asker trusts the refuser less
        ties.trust[re, 1 - rs] *= 1.0 - self.trust_loss  # and the refuser expects little of the asker
        np.add.at(pop.refusals, rg, 1)


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
        g = tick.gifts[0]
        r = tick.refusals[0]
        known_g = g[model.rng.random(len(g)) < self.gossip]
        known_r = r[model.rng.random(len(r)) < self.gossip]
        np.add.at(pop.public_gifts, known_g, 1)
        np.add.at(pop.public_refusals, known_r, 1)
