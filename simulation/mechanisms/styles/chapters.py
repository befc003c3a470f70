"""Structured referral groups: chapters with weekly meetings and strikes (seed 003)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..base import Mechanism, Param, mechanism
from ..contacts import connect
from .common import grow_to, public_report, random_members_of

__all__ = ["Chapters"]


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
        self.gave = grow_to(self.gave, pop.size)
        self.refused = grow_to(self.refused, pop.size)
        g, a = tick.gifts.giver, tick.gifts.asker
        rg, ra = tick.refusals.giver, tick.refusals.asker
        ch = pop.chapter
        in_g = (ch[g] >= 0) & (ch[g] == ch[a])
        in_r = (ch[rg] >= 0) & (ch[rg] == ch[ra])
        public_report(model, g[in_g], rg[in_r], self.report)
        self.share(model, g[in_g], a[in_g], rg[in_r], ra[in_r])
        np.add.at(self.gave, g, 1)
        fair = pop.reputation(ra[in_r]) >= self.excused_below
        np.add.at(self.refused, rg[in_r][fair], 1)
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
                tick.expelled += len(out)
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
        b = random_members_of(ch[members], members, ch[a], model.rng)
        connect(model, a, b, strength=self.strength, trust=self.trust)

    def share(self, model, g, a, rg, ra) -> None:
        """What happened between chapter-mates is told to the chapter: each member who knows the
        actor hears of each deed with chance ``report``."""
        standing, pop = model.mechanism("standing"), model.population
        if standing is None:
            return
        actor, recipient = np.concatenate([g, rg]), np.concatenate([a, ra])
        gave = np.concatenate([np.ones(len(g), bool), np.zeros(len(rg), bool)])
        k, mate = model.ties.directed(pop.size).contacts_of(actor)
        told = (pop.chapter[mate] == pop.chapter[actor[k]]) & (model.rng.random(len(k)) < self.report)
        k, mate = k[told], mate[told]
        standing.hear(model, mate, actor[k], recipient[k], gave[k])

    def tables(self, model) -> dict:
        return {"expulsions": pd.DataFrame(self.removed, columns=["step", "slot", "strategy"])}

    def summary(self, model) -> dict:
        by_strategy: dict[str, int] = {}
        for _, _, s in self.removed:
            by_strategy[s] = by_strategy.get(s, 0) + 1
        return {"expelled": by_strategy}
