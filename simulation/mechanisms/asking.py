"""Asking: needy members line up the contacts who have the skill they need."""

from __future__ import annotations

import numpy as np

from ..arrays import rank_in_groups
from ..strategies import ChoiceContext
from ..tick import Requests
from .base import Mechanism, Param, mechanism

__all__ = ["Asking"]


@mechanism
class Asking(Mechanism):
    """Needy members line up contacts who have the needed skill ("relevance").

    Contacts are ranked by the asker's trust in them times the tie's strength,
    plus a little noise (``exploration``); a member asks at most
    ``asks * asks_factor`` of them (takers ask more widely).  The order is kept:
    :class:`Giving` goes down the line until the need is met.  A member whose strategy
    chooses whom to ask (``"ask"`` in its ``chooses``) ranks the same contacts itself
    (:meth:`~simulation.strategies.Strategy.choose`), within the same limit.

    With ``prefer = "chance"`` members do not choose whom to ask: the contacts who
    have the skill are lined up in random order, as partners are assigned in a
    public-goods experiment with random matching (Fischbacher & Gächter 2010,
    *American Economic Review* 100:541: ten one-shot games, groups drawn anew every
    period) or fixed by the experimenter (Wang, Suri & Watts 2012, *PNAS*
    109:14363, static networks).  Without partner choice, helping someone cannot
    earn their custom; it is how those experiments isolate conditional cooperation.
    """

    name = "asking"
    PARAMS = {
        "asks": Param(3, "contacts a member may ask per need", 1, 100),
        "exploration": Param(0.1, "weight of chance in whom to ask first", 0.0, 10.0),
        "prefer": Param(
            "trust",
            "whom a member asks first: 'trust' (its trust in them times the tie's strength, plus "
            "exploration) or 'chance' (random order: no partner choice, as in a public-goods "
            "experiment's assigned groups)",
            choices=("trust", "chance"),
        ),
    }

    def step(self, model) -> None:
        # a strategy that chooses whom to ask is heard in the numpy path below
        if (
            model.compiled
            and type(self) is Asking
            and self.prefer == "trust"
            and not model.chooses["ask"].any()
        ):
            return self._step_compiled(model)
        pop, ties = model.population, model.ties
        view = ties.directed(pop.size)
        need = pop.need[view.src]
        k = np.flatnonzero(need >= 0)
        k = k[pop.skills[view.dst[k], need[k]]]
        edge, side = view.edge[k], view.side[k]
        if self.prefer == "chance":
            score = model.rng.random(len(k))
        else:
            score = ties.trust[edge, side] * ties.strength[edge]
            score = score + self.exploration * model.rng.random(len(k))
        src = view.src[k]
        if model.chooses["ask"].any():
            score = model.choose(ChoiceContext("ask", model, src, view.dst[k], edge, score))
            kept = score > -np.inf
            k, src, score = k[kept], src[kept], score[kept]
        order = np.lexsort((-score, src))
        k, src = k[order], src[order]
        rank = rank_in_groups(src)
        limit = np.rint(self.asks * model.asks_factor[pop.strategy[src]]).astype(np.int64)
        keep = rank < limit
        model.tick.plan = Requests(
            view.dst[k[keep]], src[keep], view.edge[k[keep]], view.side[k[keep]], rank[keep]
        )

    def _step_compiled(self, model) -> None:
        """The same lines drawn with the same random numbers, in compiled kernels
        (``simulation.compiled``); same results."""
        from ..compiled import active

        kernels = active()
        pop, ties = model.population, model.ties
        view = ties.directed(pop.size)
        cand = kernels.asking_candidates(pop.size, view.start, view.dst, pop.need, pop.skills)
        noise = model.rng.random(len(cand))
        limit_of = np.rint(self.asks * model.asks_factor).astype(np.int64)
        model.tick.plan = Requests(
            *kernels.asking_plan(
                cand,
                noise,
                view.start,
                view.dst,
                view.edge,
                view.side,
                ties.trust,
                ties.strength,
                float(self.exploration),
                pop.strategy,
                limit_of,
            )
        )
