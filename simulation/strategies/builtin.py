"""The built-in give/take strategies (DESIGN §2, after Grant, *Give and Take*, 2013).

Their colours are Okabe & Ito's (2008) colour-blind-safe palette: givers green,
otherish givers sky blue, matchers orange, takers vermilion, connectors purple.
"""

from __future__ import annotations

import numpy as np

from ..params import Param
from .base import DecisionContext, Strategy, strategy

__all__ = ["Giver", "OtherishGiver", "Matcher", "Taker", "Connector"]


@strategy
class Giver(Strategy):
    """Selfless contributor: gives whenever asked and able; never cuts a tie for imbalance."""

    name = "giver"
    label = "giver"
    colour = "#009E73"
    classifier = {
        "gives_unconditionally": True,
        "uses_reputation": False,
        "uses_memory": False,
        "introduces": False,
    }

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        return np.ones(len(ctx), bool)


@strategy
class OtherishGiver(Strategy):
    """Generous but not a doormat: gives, except to askers whose standing in its eyes
    or whose own record with this member marks them as takers."""

    name = "otherish_giver"
    label = "otherish giver"
    colour = "#56B4E9"
    classifier = {
        "gives_unconditionally": False,
        "uses_reputation": True,
        "uses_memory": True,
        "introduces": False,
    }
    PARAMS = {
        "min_reputation": Param(
            0.3, "refuse askers whose standing in this member's eyes is below this", 0.0, 1.0
        ),
        "max_imbalance": Param(4, "refuse askers who already owe this many gifts", 0, None),
    }
    tolerance = 8.0
    cuts_distrusted = True

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        return (ctx.asker_reputation >= self.min_reputation) & (ctx.balance < self.max_imbalance)


@strategy
class Matcher(Strategy):
    """Reciprocator: helps first on credit, then only while the ledger with the asker
    is balanced; cuts ties where it is exploited.  Credit goes only to askers in good
    standing: matchers are the ones who punish takers once word gets round (Grant 2013,
    ch. 2; conditional cooperators who condition on reputation, Milinski et al. 2002,
    *Nature* 415:424)."""

    name = "matcher"
    label = "matcher"
    colour = "#E69F00"
    classifier = {
        "gives_unconditionally": False,
        "uses_reputation": True,
        "uses_memory": True,
        "introduces": False,
    }
    PARAMS = {
        "credit": Param(1, "gifts a matcher gives ahead of being repaid", 0, None),
        "min_standing": Param(
            0.4, "no credit for askers whose standing in the matcher's eyes is below this", 0.0, 1.0
        ),
    }
    tolerance = 2.0
    cuts_distrusted = True

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        return (ctx.balance < 0) | ((ctx.balance < self.credit) & (ctx.asker_reputation >= self.min_standing))


@strategy
class Taker(Strategy):
    """User and abuser: asks widely, never gives."""

    name = "taker"
    label = "taker"
    colour = "#D55E00"
    classifier = {
        "gives_unconditionally": False,
        "uses_reputation": False,
        "uses_memory": False,
        "introduces": False,
    }
    asks_factor = 2.0

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        return np.zeros(len(ctx), bool)


@strategy
class Connector(OtherishGiver):
    """Broker: gives like an otherish giver and introduces contacts whose need and
    skill match ("my network uses me", seed 004)."""

    name = "connector"
    label = "connector"
    colour = "#CC79A7"
    classifier = {**OtherishGiver.classifier, "introduces": True}
