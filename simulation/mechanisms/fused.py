"""Stages of the week run together in one compiled kernel (not a mechanism itself).

When the pipeline holds ``needs``, ``asking``, ``giving``, ``exchange`` and ``reputation``
one after the other, all five the built-in mechanisms and each able to take its compiled
path (no strategy choosing whom to ask, every strategy a built-in, the model's own
``decide``, ``standing_of`` and ``pay``), the model runs them as one call of
:func:`simulation.compiled.favours.favours_week`: the same draws from the model's generator
in the same order and the same arithmetic as the five stages one after the other (so the
same run, ``tests/test_compiled.py``), without the dozens of small numpy operations and
kernel calls between them.  Otherwise each stage runs on its own, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..arrays import powers
from .asking import Asking
from .exchange import Exchange
from .giving import Giving
from .needs import Needs
from .reputation import Reputation

if TYPE_CHECKING:
    from ..model import GiveTakeModel

__all__ = ["FAVOURS", "Favours", "stages"]

#: the run of stages :class:`Favours` does in one call, in pipeline order
FAVOURS = (Needs, Asking, Giving, Exchange, Reputation)


class Favours:
    """``needs`` to ``reputation`` in one compiled call (or one by one when it cannot)."""

    name = "favours"

    def __init__(self, mechanisms):
        self.mechanisms = mechanisms

    def step(self, model: GiveTakeModel) -> None:
        table = self._table(model)
        if table is None:
            for mech in self.mechanisms:
                mech.step(model)
            return
        from ..compiled.favours import favours_week
        from ..compiled.generator import handle
        from ..tick import Requests

        needs, asking, giving, exchange, reputation = self.mechanisms
        pop, ties, tick = model.population, model.ties, model.tick
        view = ties.directed(pop.size)
        limit_of = np.rint(asking.asks * model.asks_factor).astype(np.int64)
        # an asker hears at most one answer per contact in its line
        beliefs = (
            powers(1.0 - exchange.belief_weight, int(limit_of.max()) + 2) if exchange.belief_weight else _NONE
        )
        out = favours_week(
            handle(model.rng),
            pop.size,
            pop.alive,
            pop.need,
            pop.skills,
            float(needs.p_need),
            view.start,
            view.dst,
            view.edge,
            view.side,
            ties.trust,
            ties.strength,
            float(asking.exploration),
            pop.strategy,
            limit_of,
            int(giving.capacity),
            giving.choose == "standing",
            *table,
            model.uses_standing,
            ties.u,
            ties.image,
            ties.ledger,
            pop.public_gifts,
            pop.public_refusals,
            pop.expectation,
            pop.wealth,
            pop.gifts_given,
            pop.gifts_received,
            pop.refusals,
            ties.last_used,
            ties.size,
            model.steps,
            float(exchange.b),
            float(exchange.c),
            float(exchange.trust_gain),
            float(exchange.trust_loss),
            powers(1.0 - exchange.strength_gain, 3),
            beliefs,
            float(reputation.gossip),
            float(reputation.forgetting),
        )
        tick.needs = int(out[15])
        tick.plan = Requests(*out[:5])
        tick.gifts = Requests(*out[5:10])
        tick.refusals = Requests(*out[10:15])
        tick.requests = int(out[16])
        model.paid(len(tick.gifts), -exchange.c)
        model.paid(len(tick.gifts), exchange.b)

    def _table(self, model: GiveTakeModel):
        """The strategy table for the kernel, or ``None`` when a stage must run on its own."""
        if not model.compiled:
            return None
        _, asking, _, _, _ = self.mechanisms
        if asking.prefer != "trust" or model.chooses["ask"].any():
            return None
        if not model.uses_builtin("pay"):
            return None
        return model.strategy_table()


_NONE = np.zeros(0)


def stages(pipeline: list) -> list:
    """The pipeline with each run of :data:`FAVOURS` (the built-in classes themselves, one
    after the other) made one :class:`Favours` stage."""
    out, i, k = [], 0, len(FAVOURS)
    while i < len(pipeline):
        run = pipeline[i : i + k]
        if len(run) == k and all(type(m) is cls for m, cls in zip(run, FAVOURS, strict=True)):
            out.append(Favours(run))
            i += k
        else:
            out.append(pipeline[i])
            i += 1
    return out
