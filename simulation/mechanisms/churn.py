"""Churn: networks are living things (seed 004), and people stay only while they pay.

Every member pays ``upkeep`` a week (the time and dues networking takes).  Members
whose business fails (wealth below ``failure_wealth``) leave, and others leave for
their own reasons with probability ``p_exit``.

*Voluntary exit*: each member keeps a running average of what the network brings it
each week, net of everything it costs (``population.income``: every change of its
wealth, gifts and referrals received minus gifts given, fees and upkeep; exponential
average with weight ``memory``).  A member who has been in the network for
``grace`` weeks and whose average is below ``exit_below`` leaves with chance
``p_quit`` a week: people stay in a network while it pays (Hirschman 1970, *Exit,
Voice, and Loyalty*; the exit rule of Fehl, van der Post & Semmann 2011, *Ecol.
Lett.* 14:546, who let players leave unrewarding partners).

*Attraction*: newcomers arrive at up to ``arrival_rate`` x starting size a week,
scaled by how well the network meets its members' needs (the average weekly
fulfilment rate, with weight ``memory``), so a network that stops working stops
drawing people, and an open population can shrink to nothing.  ``replace = true``
instead refills every leaver with a newcomer from the mix: the membership is then
held constant by fiat, which censors collapse (and silently turns failed takers into
whatever the mix draws); it is off by default.

Newcomers' strategies follow the scenario's mix; each meets ``initial_contacts``
members, chosen with attachment biased to reputation (``network.attachment_bias``).
Members also change skills (``p_skill_change``) and relocate (``p_relocate``),
keeping each tie only with probability ``relocate_keep``.
"""

from __future__ import annotations

import numpy as np

from ..arrays import sum_of_copies
from .base import Mechanism, Param, mechanism
from .contacts import attachment_choice, attachment_powers, attachment_weights, connect

__all__ = ["Churn"]

#: the model's services churn uses: if a subclass of the model changes one, churn runs its numpy code
_SERVICES = ("pay", "add_members", "remove_members", "assign_skills", "draw_strategies", "_random_subsets")


_NO_SLOTS = np.zeros(0, np.int64)
_NO_POWERS = np.zeros(0)


@mechanism
class Churn(Mechanism):
    """Upkeep, business failure, voluntary exit, attraction of newcomers, skill changes, relocation."""

    name = "churn"
    PARAMS = {
        "upkeep": Param(
            0.5, "weekly cost of being in the network (time, dues), paid by every member", 0.0, None
        ),
        "failure_wealth": Param(0.0, "a member whose wealth falls below this fails and leaves", None, None),
        "p_exit": Param(0.002, "weekly chance of leaving for other reasons", 0.0, 1.0),
        "memory": Param(
            0.1, "weight of this week in the running averages of income and fulfilment", 0.0, 1.0
        ),
        "exit_below": Param(
            0.0, "members whose average weekly net income from the network is below this may quit", None, None
        ),
        "p_quit": Param(
            0.05, "weekly chance that a member for whom the network does not pay quits", 0.0, 1.0
        ),
        "grace": Param(
            12, "weeks a newcomer gives the network before it may quit for lack of return", 0, 10_000
        ),
        "replace": Param(
            False, "refill every leaver with a newcomer (holds membership constant: censors collapse)"
        ),
        "arrival_rate": Param(
            0.01,
            "newcomers per week, as a share of the starting size, when every need is met "
            "(scaled by the recent fulfilment rate)",
            0.0,
            1.0,
        ),
        "initial_contacts": Param(4, "members a newcomer meets on arrival", 0, 1000),
        "p_skill_change": Param(0.002, "weekly chance of changing one's skills", 0.0, 1.0),
        "p_relocate": Param(0.001, "weekly chance of relocating", 0.0, 1.0),
        "relocate_keep": Param(0.3, "share of ties kept when relocating", 0.0, 1.0),
    }

    def setup(self, model) -> None:
        self.attraction = 1.0  # running average of the weekly fulfilment rate
        self.last_wealth = model.population.wealth.copy()

    def step(self, model) -> None:
        if model.compiled and type(self) is Churn and model.uses_builtin(*_SERVICES):
            return self._step_compiled(model)
        pop, rng, tick = model.population, model.rng, model.tick
        alive = pop.alive_slots()
        if self.upkeep:
            model.pay(alive, -self.upkeep)
        # what the network brought each member this week, net of all it cost
        if len(self.last_wealth) < pop.size:
            grown = np.zeros(len(pop.wealth))
            grown[: len(self.last_wealth)] = self.last_wealth
            self.last_wealth = grown
        fresh = pop.joined[alive] == model.steps
        change = pop.wealth[alive] - self.last_wealth[alive]
        change[fresh] = 0.0
        pop.income[alive] += self.memory * (change - pop.income[alive])
        fulfilment = len(tick.gifts) / tick.needs if tick.needs else 1.0
        self.attraction += self.memory * (fulfilment - self.attraction)

        failed = alive[pop.wealth[alive] < self.failure_wealth]
        rest = np.setdiff1d(alive, failed, assume_unique=True)
        exits = rest[rng.random(len(rest)) < self.p_exit]
        if self.p_quit:
            settled = model.steps - pop.joined[rest] >= self.grace
            unhappy = settled & (pop.income[rest] < self.exit_below)
            unhappy &= rng.random(len(rest)) < self.p_quit
            exits = np.union1d(exits, rest[unhappy])
        leaving = np.concatenate([failed, exits])
        model.remove_members(leaving)
        tick.failed += len(failed)

        expected = self.arrival_rate * model.initial_size * self.attraction
        n_new = (len(leaving) if self.replace else 0) + rng.poisson(expected)
        if n_new:
            newcomers = model.add_members(n_new)
            self.introduce_newcomers(model, newcomers)

        alive = pop.alive_slots()
        movers = alive[rng.random(len(alive)) < self.p_skill_change]
        model.assign_skills(movers)
        movers = alive[rng.random(len(alive)) < self.p_relocate]
        if len(movers):
            e = model.ties.live()
            mask = np.zeros(pop.size, bool)
            mask[movers] = True
            touched = e[mask[model.ties.u[e]] | mask[model.ties.v[e]]]
            model.ties.remove(touched[rng.random(len(touched)) >= self.relocate_keep])
        self.last_wealth = pop.wealth.copy()

    def _step_compiled(self, model) -> None:
        """The same week with compiled kernels (``simulation.compiled.churn``) and the same
        draws from the model's generator, in the same order; same results."""
        from ..compiled.churn import leave
        from ..compiled.generator import handle
        from ..draws import SUM_TOLERANCE

        pop, rng, tick = model.population, model.rng, model.tick
        alive = pop.alive_slots()
        if len(self.last_wealth) < pop.size:
            grown = np.zeros(len(pop.wealth))
            grown[: len(self.last_wealth)] = self.last_wealth
            self.last_wealth = grown
        fulfilment = len(tick.gifts) / tick.needs if tick.needs else 1.0
        self.attraction += self.memory * (fulfilment - self.attraction)
        expected = self.arrival_rate * model.initial_size * self.attraction
        cfg = model.config.data["population"]
        # settling up, who leaves, how many come and what they bring, in one call
        leaving, n_failed, n_new, drawn, strategy, skills, interests, rank = leave(
            handle(rng),
            alive,
            pop.wealth,
            self.last_wealth,
            pop.joined,
            pop.income,
            model.steps,
            float(self.upkeep),
            float(self.memory),
            float(self.failure_wealth),
            int(self.grace),
            float(self.exit_below),
            float(self.p_exit),
            float(self.p_quit),
            bool(self.replace),
            float(expected),
            np.asarray(model.mix, np.float64),
            SUM_TOLERANCE,
            pop.n_skills,
            cfg["skills_per_member"],
            pop.n_interests,
            cfg["interests_per_member"],
            cfg["rank_levels"],
        )
        if self.upkeep:  # the welfare model.pay adds, summed as it sums it
            tick.welfare += sum_of_copies(len(alive), -self.upkeep)
        model.remove_members(leaving)
        tick.failed += n_failed
        if n_new < 0:  # a mean Generator.poisson refuses: it says so, as on the numpy path
            n_new = (len(leaving) if self.replace else 0) + rng.poisson(expected)
        newcomers = _NO_SLOTS
        if n_new:
            if drawn:
                newcomers = model._add_drawn(strategy, skills, interests, rank)
            else:  # the strategies' remainders go to Generator.choice (and its checks)
                newcomers = model.add_members(n_new)
        self._arrive(model, newcomers)
        self.last_wealth = pop.wealth.copy()

    def _arrive(self, model, newcomers: np.ndarray) -> None:
        """The newcomers' first contacts, skill changes and relocation in one compiled call
        (``simulation.compiled.churn.arrive``), the same draws in the same order."""
        from ..compiled.churn import arrive
        from ..compiled.generator import handle
        from ..draws import SUM_TOLERANCE

        pop, ties = model.population, model.ties
        net = model.config.data["network"]
        contacts = int(self.initial_contacts) if len(newcomers) else 0
        bias, powered = float(net["attachment_bias"]), _NO_POWERS
        if contacts:
            keys = ties._room(pop.size, len(newcomers) * contacts)
            old = pop.alive_slots()
            bias, powered = attachment_powers(model, old[: len(old) - len(newcomers)])
        else:
            keys = _NO_SLOTS
        first = ties.size
        plain, made, kept, dropped = arrive(
            handle(model.rng),
            np.asarray(newcomers, np.int64),
            contacts,
            pop.alive[: pop.size],
            pop.public_gifts,
            pop.public_refusals,
            ties.deg,
            bias,
            powered,
            SUM_TOLERANCE,
            model.max_ties,
            keys,
            first,
            ties.u,
            ties.v,
            ties.strength,
            ties.trust,
            ties.image,
            ties.ledger,
            ties.last_used,
            ties.born,
            ties.alive,
            float(net["new_tie_strength"]),
            float(net["new_tie_trust"]),
            model.steps,
            float(self.p_skill_change),
            float(self.p_relocate),
            float(self.relocate_keep),
            pop.skills,
            model.config.data["population"]["skills_per_member"],
        )
        if not plain:  # Generator.choice takes the weights (and says what is wrong with them)
            old = pop.alive_slots()
            old = old[: len(old) - len(newcomers)]
            a = np.repeat(newcomers, contacts)
            connect(model, a, attachment_choice(model, old, len(a)))
            return self._arrive(model, _NO_SLOTS)
        ties._connected(made, kept)
        model.tick.ties_made += made
        if len(dropped):
            ties.remove(dropped)

    def introduce_newcomers(self, model, newcomers: np.ndarray) -> None:
        if self.initial_contacts == 0:
            return
        pop = model.population
        old = np.setdiff1d(pop.alive_slots(), newcomers, assume_unique=True)
        if len(old) == 0:
            return
        p = attachment_weights(model, old)
        a = np.repeat(newcomers, self.initial_contacts)
        b = model.rng.choice(old, size=len(a), p=p)
        connect(model, a, b)
