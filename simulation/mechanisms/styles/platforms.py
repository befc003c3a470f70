"""Online platforms as separate contexts, with ratings and homophily (seed 002)."""

from __future__ import annotations

import numpy as np

from ...errors import ScenarioError
from ..base import Mechanism, Param, mechanism
from ..contacts import connect
from .common import public_report, random_members_of

__all__ = ["Platforms"]


@mechanism
class Platforms(Mechanism):
    """Online platforms as separate contexts (seed 002).

    There are ``count`` platforms; each member joins between 1 and
    ``per_member`` of them (``population.platforms`` holds who is where).
    Each week a member is active online with chance ``p_online`` and then
    connects with ``meets`` random members of one of its platforms.  People
    who share no interest mostly do not follow up: such a connection is
    declined with chance ``homophily``.  Online ties are weak (``strength``).

    Ratings are public: each gift or refusal becomes part of the public
    record with chance ``ratings`` (on top of ordinary gossip).

    Interests show up in other contexts: with chance ``p_cross`` a week a
    member introduces two of its contacts who share an interest but no
    platform, creating ties across platforms (the butterfly collectors of
    seed 002).
    """

    name = "platforms"
    PARAMS = {
        "count": Param(3, "number of online platforms", 1, 64),
        "per_member": Param(2, "most platforms a member joins (each joins 1 to this many)", 1, 64),
        "p_online": Param(0.5, "weekly chance that a member is active online", 0.0, 1.0),
        "meets": Param(2, "connections an active member makes on a platform per week", 0, 1000),
        "homophily": Param(0.8, "chance that a connection without a shared interest is declined", 0.0, 1.0),
        "strength": Param(0.1, "strength of an online tie", 0.0, 1.0),
        "trust": Param(0.4, "trust an online tie starts with", 0.0, 1.0),
        "ratings": Param(0.8, "chance that a gift or refusal is rated publicly", 0.0, 1.0),
        "p_cross": Param(
            0.1, "weekly chance of introducing two contacts who share an interest across platforms", 0.0, 1.0
        ),
    }

    def setup(self, model) -> None:
        if self.per_member > self.count:
            raise ScenarioError(
                model.config.source,
                "mechanisms.platforms.per_member",
                f"expected at most mechanisms.platforms.count = {self.count}, got {self.per_member}",
            )
        pop = model.population
        if pop.platforms.shape[1] != self.count:
            pop.platforms = np.zeros((len(pop.alive), self.count), bool)
            pop.n_platforms = self.count
        self._assign(model, pop.alive_slots())
        self.online_total = 0
        self.cross_total = 0
        self.online_week = self.cross_week = 0
        model.extra_metrics["online_ties"] = lambda m: self.online_week
        model.extra_metrics["cross_platform_ties"] = lambda m: self.cross_week

    def _assign(self, model, slots: np.ndarray) -> None:
        pop, rng = model.population, model.rng
        k = rng.integers(1, self.per_member + 1, len(slots))
        order = np.argsort(rng.random((len(slots), self.count)), axis=1)
        ranks = np.argsort(order, axis=1)
        pop.platforms[slots] = ranks < k[:, None]

    def on_join(self, model, slots) -> None:
        self._assign(model, np.asarray(slots))

    def step(self, model) -> None:
        pop, rng, tick = model.population, model.rng, model.tick
        public_report(model, tick.gifts.giver, tick.refusals.giver, self.ratings)
        self.rate(model)
        self.online_week = self.cross_week = 0
        alive = pop.alive_slots()
        if len(alive) < 2:
            return
        # online meetings: a random member of one of my platforms
        active = alive[rng.random(len(alive)) < self.p_online]
        a = np.repeat(active, self.meets)
        if len(a):
            mine = pop.platforms[a] * rng.random((len(a), self.count))
            platform = np.argmax(mine, axis=1)
            where_m, where_p = np.nonzero(pop.platforms[alive])
            b = random_members_of(where_p, alive[where_m], platform, rng)
            shared = (pop.interests[a] & pop.interests[b]).any(axis=1)
            keep = shared | (rng.random(len(a)) >= self.homophily)
            self.online_week = connect(model, a[keep], b[keep], strength=self.strength, trust=self.trust)
            self.online_total += self.online_week
        # shared interests discovered in another context
        view = model.ties.directed(pop.size)
        deg = view.degree()
        hosts = alive[(rng.random(len(alive)) < self.p_cross) & (deg[alive] > 1)]
        if len(hosts):
            x = view.random_neighbor(hosts, rng)
            y = view.random_neighbor(hosts, rng)
            match = (x != y) & (pop.interests[x] & pop.interests[y]).any(axis=1)
            match &= ~(pop.platforms[x] & pop.platforms[y]).any(axis=1)
            match &= ~model.ties.has(x, y)
            self.cross_week = connect(model, x[match], y[match], strength=self.strength, trust=self.trust)
            self.cross_total += self.cross_week

    def rate(self, model) -> None:
        """Ratings are public: every contact of the rated member may read them (chance ``ratings``)."""
        standing, tick = model.mechanism("standing"), model.tick
        if standing is None:
            return
        actor = np.concatenate([tick.gifts.giver, tick.refusals.giver])
        recipient = np.concatenate([tick.gifts.asker, tick.refusals.asker])
        gave = np.concatenate([np.ones(len(tick.gifts), bool), np.zeros(len(tick.refusals), bool)])
        k, reader = model.ties.directed(model.population.size).contacts_of(actor)
        read = model.rng.random(len(k)) < self.ratings
        k, reader = k[read], reader[read]
        standing.hear(model, reader, actor[k], recipient[k], gave[k])

    def summary(self, model) -> dict:
        return {"platforms": {"online_ties": self.online_total, "cross_platform_ties": self.cross_total}}
