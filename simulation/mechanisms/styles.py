"""Networking styles: the structures people network in (seed 003).

Each mechanism here is one way a business community is organised, and a
built-in scenario under ``scenarios/`` switches it on by naming it in its
``pipeline``:

:class:`Chapters`   structured referral groups: chapters of about ``size``
                    members meet weekly, share what they see, and remove
                    members who keep refusing and never give.
:class:`Events`     a few large paid events a year; attendees pay a fee and
                    meet several other attendees.
:class:`Platforms`  online platforms as separate contexts: many weak ties,
                    interest homophily, public ratings, and introductions
                    across platforms through shared interests (seed 002).
:class:`Arrivals`   scheduled waves of newcomers with a given strategy.
:class:`Habits`     two ways of networking side by side: relationship
                    builders who maintain a few deep ties and collectors
                    who gather many shallow ones (seed 004).

Each records what it did this week on ``model.tick`` and adds a column or two
to the per-step metrics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrays import rank_in_groups
from .base import Mechanism, Param, mechanism
from .meeting import attachment_weights, connect

__all__ = ["Chapters", "Events", "Platforms", "Arrivals", "Habits", "WEEKS_PER_YEAR"]

#: a step is a week
WEEKS_PER_YEAR = 52


def _fit(arr: np.ndarray, n: int, fill=0) -> np.ndarray:
    """``arr`` grown (never shrunk) to at least ``n`` rows, new rows set to ``fill``."""
    if len(arr) >= n:
        return arr
    out = np.full((max(n, 2 * len(arr)), *arr.shape[1:]), fill, arr.dtype)
    out[: len(arr)] = arr
    return out


def _random_members_of(groups: np.ndarray, members: np.ndarray, wanted: np.ndarray, gen) -> np.ndarray:
    """For each group id in ``wanted``, one random member of ``members`` whose group is that id.

    ``groups[k]`` is the group of ``members[k]``; every wanted group must have a member.
    """
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    lo = np.searchsorted(sorted_groups, wanted, side="left")
    hi = np.searchsorted(sorted_groups, wanted, side="right")
    pick = lo + (gen.random(len(wanted)) * (hi - lo)).astype(np.int64)
    return members[order[np.minimum(pick, len(order) - 1)]]


def _report(model, gifts: np.ndarray, refusals: np.ndarray, chance: float) -> None:
    """Add gifts and refusals (giver slots) to the public record, each with ``chance``."""
    pop, rng = model.population, model.rng
    np.add.at(pop.public_gifts, gifts[rng.random(len(gifts)) < chance], 1)
    np.add.at(pop.public_refusals, refusals[rng.random(len(refusals)) < chance], 1)


@mechanism
class Chapters(Mechanism):
    """Referral groups: chapters of about ``size`` members with weekly meetings.

    Every ``meet_every`` weeks each chapter meets.  At a meeting each member
    talks with ``meets`` random chapter-mates (a new tie if they had none),
    and every tie between chapter-mates is refreshed: it counts as used and
    gains ``refresh`` of its distance to full strength.  What happens inside
    the chapter is shared: each gift or refusal between chapter-mates becomes
    part of the public record with chance ``report`` (on top of ordinary
    gossip).

    Non-contributors are removed.  A member who, since the last meeting,
    refused chapter-mates in good standing (public reputation at least
    ``excused_below``) more often than it gave to anyone gets a strike; a
    period with gifts and no strike clears its strikes.  At ``max_strikes``
    strikes the member is removed from the network (``max_strikes = 0``:
    nobody is removed), and with ``recruit`` the chapter fills the seat with a
    newcomer from the scenario's mix.  Newcomers join the chapter with the
    fewest members; when every chapter is full a new one opens.
    """

    name = "chapters"
    PARAMS = {
        "size": Param(25, "members per chapter", 2, 100_000),
        "meet_every": Param(1, "weeks between chapter meetings", 1, 520),
        "meets": Param(2, "chapter-mates each member talks with at a meeting", 0, 1000),
        "strength": Param(0.4, "strength of a tie made at a chapter meeting", 0.0, 1.0),
        "trust": Param(0.6, "trust a tie made at a chapter meeting starts with", 0.0, 1.0),
        "refresh": Param(
            0.1, "share of the distance to full strength a meeting adds to chapter ties", 0.0, 1.0
        ),
        "report": Param(1.0, "chance a gift or refusal between chapter-mates becomes public", 0.0, 1.0),
        "excused_below": Param(
            0.4, "refusing a chapter-mate whose public reputation is below this is no strike", 0.0, 1.0
        ),
        "max_strikes": Param(
            3, "strikes (meetings refusing more than giving) before removal; 0: never", 0, 10_000
        ),
        "recruit": Param(True, "a removed member's seat is filled by a newcomer"),
    }

    def setup(self, model) -> None:
        pop, rng = model.population, model.rng
        alive = pop.alive_slots()
        n_chapters = max(1, int(round(len(alive) / self.size)))
        pop.chapter[alive] = rng.permutation(len(alive)) % n_chapters
        self.n_chapters = n_chapters
        self.gave = np.zeros(pop.size, np.int64)  # gifts to anyone since the last meeting
        self.refused = np.zeros(pop.size, np.int64)  # refusals of chapter-mates in good standing
        self.removed: list[tuple[int, int, str]] = []  # (step, slot, strategy)
        model.extra_metrics["chapters"] = lambda m: self.active_chapters(m)
        model.extra_metrics["expelled"] = lambda m: getattr(m.tick, "expelled", 0)

    def active_chapters(self, model) -> int:
        pop = model.population
        ch = pop.chapter[pop.alive_slots()]
        return int(len(np.unique(ch[ch >= 0])))

    def on_join(self, model, slots) -> None:
        pop = model.population
        alive = pop.alive_slots()
        ch = pop.chapter[alive]
        counts = np.bincount(ch[ch >= 0], minlength=self.n_chapters).astype(np.int64)
        for slot in slots:
            best = int(np.argmin(counts))
            if counts[best] >= self.size:
                best = len(counts)
                counts = np.append(counts, 0)
            pop.chapter[slot] = best
            counts[best] += 1
        self.n_chapters = len(counts)

    def step(self, model) -> None:
        pop, ties, tick = model.population, model.ties, model.tick
        self.gave = _fit(self.gave, pop.size)
        self.refused = _fit(self.refused, pop.size)
        g, a = tick.gifts[0], tick.gifts[1]
        rg, ra = tick.refusals[0], tick.refusals[1]
        ch = pop.chapter
        in_g = (ch[g] >= 0) & (ch[g] == ch[a])
        in_r = (ch[rg] >= 0) & (ch[rg] == ch[ra])
        _report(model, g[in_g], rg[in_r], self.report)
        np.add.at(self.gave, g, 1)
        fair = pop.reputation(ra[in_r]) >= self.excused_below
        np.add.at(self.refused, rg[in_r][fair], 1)
        tick.expelled = 0
        if model.steps % self.meet_every:
            return
        alive = pop.alive_slots()
        # strikes: refused chapter-mates more often than gave since the last meeting
        strike = self.refused[alive] > self.gave[alive]
        pop.strikes[alive[~strike & (self.gave[alive] > 0)]] = 0
        pop.strikes[alive[strike]] += 1
        self.gave[:] = 0
        self.refused[:] = 0
        if self.max_strikes:
            out = alive[pop.strikes[alive] >= self.max_strikes]
            if len(out):
                self.removed.extend(
                    (int(model.steps), int(s), model.strategy_names[pop.strategy[s]]) for s in out
                )
                model.remove_members(out)
                tick.expelled = len(out)
                if self.recruit:
                    model.add_members(len(out))
                alive = pop.alive_slots()
        ch = pop.chapter  # the arrays may have grown
        # the meeting: every tie between chapter-mates is worked on
        e = ties.live()
        cu, cv = ch[ties.u[e]], ch[ties.v[e]]
        mates = e[(cu >= 0) & (cu == cv)]
        ties.strength[mates] += self.refresh * (1.0 - ties.strength[mates])
        ties.last_used[mates] = model.steps
        # ... and members talk with a few chapter-mates they may not know yet
        members = alive[ch[alive] >= 0]
        if len(members) < 2 or self.meets == 0:
            return
        a = np.repeat(members, self.meets)
        b = _random_members_of(ch[members], members, ch[a], model.rng)
        tick.chapter_ties = connect(
            model, a, b, strength=self.strength, trust=self.trust, max_ties=model.max_ties
        )

    def tables(self, model) -> dict:
        return {"expulsions": pd.DataFrame(self.removed, columns=["step", "slot", "strategy"])}

    def summary(self, model) -> dict:
        by_strategy: dict[str, int] = {}
        for _, _, s in self.removed:
            by_strategy[s] = by_strategy.get(s, 0) + 1
        return {"expelled": by_strategy}


@mechanism
class Events(Mechanism):
    """A few large paid events a year (seed 003: "attend events at least 4 times a year ... and you pay").

    ``per_year`` events are spread evenly over the 52-week year, the first in
    week ``first``.  Each member who can afford the ``fee`` attends with chance
    ``attendance`` and pays the fee, which leaves the network (it goes to the
    organiser).  Each attendee meets ``meets`` random other attendees; the
    new ties start at ``strength``.
    """

    name = "events"
    PARAMS = {
        "per_year": Param(4, "events a year", 1, WEEKS_PER_YEAR),
        "first": Param(4, "week of the first event", 1, 10_000_000),
        "attendance": Param(0.6, "chance that a member who can afford the fee attends", 0.0, 1.0),
        "fee": Param(2.0, "attendance cost paid by each attendee", 0.0, None),
        "meets": Param(6, "other attendees each attendee meets", 0, 10_000),
        "strength": Param(0.3, "strength of a tie made at an event", 0.0, 1.0),
        "trust": Param(0.5, "trust a tie made at an event starts with", 0.0, 1.0),
    }

    def setup(self, model) -> None:
        self.interval = max(1, int(round(WEEKS_PER_YEAR / self.per_year)))
        self.last_attendees = np.zeros(0, np.int64)
        self.held = 0
        self.fees_total = 0.0
        model.extra_metrics["event_attendees"] = lambda m: getattr(m.tick, "event_attendees", 0)
        model.extra_metrics["event_fees"] = lambda m: getattr(m.tick, "event_fees", 0.0)

    def is_event_week(self, week: int) -> bool:
        return week >= self.first and (week - self.first) % self.interval == 0

    def step(self, model) -> None:
        if not self.is_event_week(model.steps):
            return
        pop, rng = model.population, model.rng
        alive = pop.alive_slots()
        can_pay = alive[pop.wealth[alive] >= self.fee]
        attendees = can_pay[rng.random(len(can_pay)) < self.attendance]
        self.last_attendees = attendees
        self.held += 1
        if self.fee:
            model.pay(attendees, -self.fee)
        fees = float(self.fee * len(attendees))
        self.fees_total += fees
        model.tick.event_attendees = len(attendees)
        model.tick.event_fees = fees
        if len(attendees) < 2 or self.meets == 0:
            return
        a = np.repeat(attendees, self.meets)
        b = attendees[rng.integers(0, len(attendees), len(a))]
        model.tick.event_ties = connect(
            model, a, b, strength=self.strength, trust=self.trust, max_ties=model.max_ties
        )

    def summary(self, model) -> dict:
        return {"events": {"held": self.held, "fees_paid": self.fees_total}}


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
            from ..scenario import ScenarioError  # (the scenario module imports this package)

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
        model.extra_metrics["online_ties"] = lambda m: getattr(m.tick, "online_ties", 0)
        model.extra_metrics["cross_platform_ties"] = lambda m: getattr(m.tick, "cross_platform_ties", 0)

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
        _report(model, tick.gifts[0], tick.refusals[0], self.ratings)
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
            b = _random_members_of(where_p, alive[where_m], platform, rng)
            shared = (pop.interests[a] & pop.interests[b]).any(axis=1)
            keep = shared | (rng.random(len(a)) >= self.homophily)
            tick.online_ties = connect(
                model, a[keep], b[keep], strength=self.strength, trust=self.trust, max_ties=model.max_ties
            )
            self.online_total += tick.online_ties
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
            tick.cross_platform_ties = connect(
                model, x[match], y[match], strength=self.strength, trust=self.trust, max_ties=model.max_ties
            )
            self.cross_total += tick.cross_platform_ties

    def summary(self, model) -> dict:
        return {"platforms": {"online_ties": self.online_total, "cross_platform_ties": self.cross_total}}


@mechanism
class Arrivals(Mechanism):
    """Scheduled waves of newcomers (e.g. a wave of takers invading a healthy network).

    In week ``at`` (and every ``every`` weeks after, if ``every > 0``)
    ``count + share * starting size`` newcomers arrive, all following
    ``strategy`` (a strategy name, or ``"mix"`` for the scenario's mix).  Each
    meets ``contacts`` members, chosen like the meeting mechanism's
    attachment: reputation- and degree-biased.
    """

    name = "arrivals"
    PARAMS = {
        "at": Param(100, "week of the (first) wave", 1, 10_000_000),
        "every": Param(0, "weeks between waves; 0: a single wave", 0, 10_000_000),
        "count": Param(0, "newcomers per wave", 0, 10_000_000),
        "share": Param(0.25, "further newcomers per wave, as a share of the starting size", 0.0, 100.0),
        "strategy": Param("taker", "strategy of the newcomers, or 'mix' for the scenario's mix"),
        "contacts": Param(5, "members each newcomer meets on arrival", 0, 10_000),
        "reputation_bias": Param(1.0, "how strongly newcomers are drawn to well-reputed members", 0.0, 20.0),
    }

    def setup(self, model) -> None:
        if self.strategy != "mix" and self.strategy not in model.strategy_names:
            from ..scenario import ScenarioError  # (the scenario module imports this package)

            raise ScenarioError(
                model.config.source,
                "mechanisms.arrivals.strategy",
                f"expected 'mix' or one of {', '.join(model.strategy_names)}, got {self.strategy!r}",
            )
        self.arrived = 0
        model.extra_metrics["arrived"] = lambda m: getattr(m.tick, "arrived", 0)

    def is_wave_week(self, week: int) -> bool:
        if week == self.at:
            return True
        return self.every > 0 and week > self.at and (week - self.at) % self.every == 0

    def step(self, model) -> None:
        if not self.is_wave_week(model.steps):
            return
        n = self.count + int(round(self.share * model.initial_size))
        if n == 0:
            return
        pop = model.population
        old = pop.alive_slots()
        strategies = None
        if self.strategy != "mix":
            strategies = np.full(n, model.strategy_names.index(self.strategy), np.int16)
        newcomers = model.add_members(n, strategies=strategies)
        model.tick.arrived = n
        self.arrived += n
        if self.contacts and len(old):
            p = attachment_weights(model, old, self.reputation_bias)
            a = np.repeat(newcomers, self.contacts)
            b = model.rng.choice(old, size=len(a), p=p)
            meeting = model.mechanism("meeting")
            strength = meeting.initial_strength if meeting else 0.3
            trust = meeting.initial_trust if meeting else 0.5
            connect(model, a, b, strength=strength, trust=trust, max_ties=model.max_ties)

    def summary(self, model) -> dict:
        return {"arrived": self.arrived}


@mechanism
class Habits(Mechanism):
    """Relationships versus numbers (seed 004): two networking habits side by side.

    A share ``collectors`` of members collect connections: each week they add
    ``collect`` new acquaintances at random, starting at ``collect_strength``,
    and do nothing to keep them.  The others build relationships: they keep
    at most ``deep_ties`` ties (letting the weakest go), and work on every one
    of them each week, adding ``care`` of its distance to full strength (so
    their ties never decay).  The habit is independent of the give/take
    strategy.  Metrics compare the two groups: ``degree_*``, ``wealth_*``
    and ``fulfilment_*`` (share of this week's needs met).
    """

    name = "habits"
    PARAMS = {
        "collectors": Param(0.5, "share of members who collect many shallow connections", 0.0, 1.0),
        "collect": Param(3, "new connections a collector makes per week", 0, 1000),
        "collect_strength": Param(0.1, "strength of a collected connection", 0.0, 1.0),
        "deep_ties": Param(8, "most ties a relationship builder keeps", 1, 100_000),
        "care": Param(
            0.05, "share of the distance to full strength a builder adds to its ties per week", 0.0, 1.0
        ),
    }

    GROUPS = ("builders", "collectors")

    def setup(self, model) -> None:
        pop, rng = model.population, model.rng
        alive = pop.alive_slots()
        self.collector = np.zeros(len(pop.alive), bool)
        n = int(round(self.collectors * len(alive)))
        self.collector[rng.permutation(alive)[:n]] = True
        self.fulfilment = {g: 0.0 for g in self.GROUPS}
        for i, group in enumerate(self.GROUPS):
            model.extra_metrics[f"degree_{group}"] = lambda m, i=i: self._by_group(m, "degree")[i]
            model.extra_metrics[f"wealth_{group}"] = lambda m, i=i: self._by_group(m, "wealth")[i]
            model.extra_metrics[f"fulfilment_{group}"] = lambda m, g=group: self.fulfilment[g]

    def on_join(self, model, slots) -> None:
        slots = np.asarray(slots)
        self.collector = _fit(self.collector, model.population.size, False)
        self.collector[slots] = model.rng.random(len(slots)) < self.collectors

    def is_collector(self, slots: np.ndarray) -> np.ndarray:
        """Whether each member collects connections (False: builds relationships)."""
        return self.collector[slots]

    def _by_group(self, model, what: str) -> tuple[float, float]:
        pop = model.population
        alive = pop.alive_slots()
        if what == "degree":
            values = model.ties.degree(pop.size)[alive].astype(float)
        else:
            values = pop.wealth[alive]
        col = self.collector[alive]
        out = []
        for mask in (~col, col):
            out.append(float(values[mask].mean()) if mask.any() else 0.0)
        return out[0], out[1]

    def step(self, model) -> None:
        pop, ties, rng = model.population, model.ties, model.rng
        self.collector = _fit(self.collector, pop.size, False)
        alive = pop.alive_slots()
        col = self.collector[alive]
        # needs met this week, per group (runs after giving and exchange)
        met = np.zeros(pop.size, bool)
        met[model.tick.gifts[1]] = True
        open_ = pop.need[alive] >= 0
        for group, mask in zip(self.GROUPS, (~col, col), strict=True):
            n_met = int(met[alive[mask]].sum())
            n_needs = n_met + int(open_[mask].sum())
            self.fulfilment[group] = n_met / n_needs if n_needs else 0.0
        # builders keep their few ties strong and let the weakest go
        view = ties.directed(pop.size)
        builder_rows = ~self.collector[view.src] & pop.alive[view.src]
        k = np.flatnonzero(builder_rows)
        if len(k):
            strength = ties.strength[view.edge[k]]
            order = np.lexsort((-strength, view.src[k]))
            k = k[order]
            rank = rank_in_groups(view.src[k])
            ties.remove(view.edge[k[rank >= self.deep_ties]])
            kept = view.edge[k[rank < self.deep_ties]]
            kept = kept[ties.alive[kept]]
            kept = np.unique(kept)
            ties.strength[kept] += self.care * (1.0 - ties.strength[kept])
            ties.last_used[kept] = model.steps
        # collectors add acquaintances (a builder drops the weakest beyond its cap next week)
        collectors = alive[col]
        if len(collectors) and self.collect:
            a = np.repeat(collectors, self.collect)
            b = alive[rng.integers(0, len(alive), len(a))]
            model.tick.collected = connect(
                model, a, b, strength=self.collect_strength, trust=0.5, max_ties=model.max_ties
            )

    def summary(self, model) -> dict:
        deg = self._by_group(model, "degree")
        wealth = self._by_group(model, "wealth")
        return {
            "habits": {
                g: {"mean_degree": deg[i], "mean_wealth": wealth[i], "fulfilment": self.fulfilment[g]}
                for i, g in enumerate(self.GROUPS)
            }
        }
