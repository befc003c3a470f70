"""Exchange: gifts move value; experience moves trust and tie strength."""

from __future__ import annotations

import numpy as np

from .base import Mechanism, Param, mechanism

__all__ = ["Exchange"]


@mechanism
class Exchange(Mechanism):
    """Gifts move value; experience moves trust and tie strength.

    A gift costs the giver ``c`` and is worth ``b`` to the receiver (b > c:
    networking creates value).  The receiver's trust in the giver rises
    towards 1 by ``trust_gain``; the tie strengthens towards 1 by
    ``strength_gain`` and counts as used this week.  A refusal lowers trust
    on both sides by the share ``trust_loss``: the asker's in the refuser, and
    the refuser's in the asker (who asked where it had not earned help).

    Askers also revise what they expect of others (``Population.expectation``,
    the share of requests they think others meet): each answer to one of their
    requests moves it ``belief_weight`` of the way to 1 (helped) or 0 (refused).
    Beliefs follow what was observed, as in public-goods experiments where each
    period's belief about others' contributions is a weighted mix of the previous
    belief and what the others contributed last period (Fischbacher & Gächter
    2010, *American Economic Review* 100:541: their belief-formation regression,
    Table 1, gives 0.57 to the previous belief and 0.42 to the others' average
    contribution, once a period; here the weight applies to each answer).  Matchers with
    ``follows_beliefs`` extend credit according to this belief (``Matcher`` in
    ``strategies/builtin.py``).
    """

    name = "exchange"
    PARAMS = {
        "b": Param(3.0, "value of a gift to its receiver", 0.0, None),
        "c": Param(1.0, "cost of a gift to its giver", 0.0, None),
        "trust_gain": Param(0.2, "share of the distance to full trust gained per gift", 0.0, 1.0),
        "trust_loss": Param(0.3, "share of trust lost per refusal", 0.0, 1.0),
        "strength_gain": Param(0.2, "share of the distance to full strength gained per gift", 0.0, 1.0),
        "belief_weight": Param(
            0.5,
            "share of the way each answer to a member's request moves its expectation of help to 1 "
            "(helped) or 0 (refused): weights of about the same size on old belief and new evidence "
            "(0.57 and 0.42 a period in Fischbacher & Gächter 2010, AER 100:541); 0: expectations "
            "never change",
            0.0,
            1.0,
        ),
    }

    def step(self, model) -> None:
        if model.compiled and type(self) is Exchange:
            self._step_compiled(model)
            self.update_expectations(model.population, model.tick.gifts.asker, model.tick.refusals.asker)
            return
        pop, ties, tick = model.population, model.ties, model.tick
        gifts = tick.gifts
        g, a, e, s = gifts.giver, gifts.asker, gifts.edge, gifts.side
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
        rg, re, rs = tick.refusals.giver, tick.refusals.edge, tick.refusals.side
        ties.trust[re, rs] *= 1.0 - self.trust_loss  # the asker trusts the refuser less
        ties.trust[re, 1 - rs] *= 1.0 - self.trust_loss  # and the refuser expects little of the asker
        np.add.at(pop.refusals, rg, 1)
        self.update_expectations(pop, a, tick.refusals.asker)

    def _step_compiled(self, model) -> None:
        """The same week in one compiled kernel (``simulation.compiled``); same results."""
        from ..compiled import active

        pop, ties, tick = model.population, model.ties, model.tick
        gifts, refusals = tick.gifts, tick.refusals
        active().exchange(
            gifts.giver,
            gifts.asker,
            gifts.edge,
            gifts.side,
            refusals.giver,
            refusals.edge,
            refusals.side,
            pop.wealth,
            pop.need,
            pop.gifts_given,
            pop.gifts_received,
            pop.refusals,
            ties.strength,
            ties.trust,
            ties.ledger,
            ties.last_used,
            ties.size,
            model.steps,
            float(self.b),
            float(self.c),
            float(self.trust_gain),
            float(self.trust_loss),
            (1.0 - self.strength_gain) ** np.arange(len(gifts) + 1),
        )
        model.paid(len(gifts), -self.c)
        model.paid(len(gifts), self.b)

    def update_expectations(self, pop, helped: np.ndarray, refused: np.ndarray) -> None:
        """Each answer an asker got moves its expectation ``belief_weight`` of the way to 1
        (helped) or 0 (refused), in the order they came: a need is closed by its first
        gift, so an asker's refusals of the week came before its gifts."""
        if not self.belief_weight or len(helped) + len(refused) == 0:
            return
        n = pop.size
        g = np.bincount(helped, minlength=n)
        answered = g + np.bincount(refused, minlength=n)
        asked = np.flatnonzero(answered)
        keep = 1.0 - self.belief_weight
        g, k = g[asked], answered[asked]
        # r refusals then g gifts: x <- keep^(r+g) x + (1 - keep^g)
        pop.expectation[asked] = keep**k * pop.expectation[asked] + (1.0 - keep**g)
