"""Introductions made on purpose: asked for by the needy, offered by brokers (seeds 002, 004)."""

from __future__ import annotations

import numpy as np

from ..strategies import ChoiceContext
from .base import Mechanism, Param, mechanism
from .contacts import connect, contact_by_strength, contact_pairs, top_choice

__all__ = ["Introductions"]


@mechanism
class Introductions(Mechanism):
    """Introductions made on purpose: asked for by the needy, offered by brokers.

    ``p_ask``: chance that a member whose need went unmet asks one of its
    contacts (a strong tie more likely than a weak one) for an introduction;
    the contact looks through up to ``tries`` of its own contacts for one with
    the skill.  ``p_broker``: weekly chance that
    a broker tries ``tries`` random pairs of its contacts and introduces those
    where one needs what the other offers.  Introduced ties start with
    ``trust`` (someone vouched for them).  A member whose strategy chooses whom to
    introduce (``"introduce"`` in its ``chooses``) may introduce one pair of its own
    contacts a week who are not yet tied (preferred by default where one needs what the
    other offers).
    """

    name = "introductions"
    PARAMS = {
        "p_ask": Param(0.3, "chance an unmet need leads to asking for an introduction", 0.0, 1.0),
        "p_broker": Param(0.5, "weekly chance that a broker tries to introduce", 0.0, 1.0),
        "tries": Param(3, "candidates looked at per introduction", 1, 100),
        "strength": Param(0.35, "strength of an introduced tie", 0.0, 1.0),
        "trust": Param(0.6, "trust an introduced tie starts with", 0.0, 1.0),
    }

    def step(self, model) -> None:
        if model.compiled and type(self) is Introductions and not model.chooses["introduce"].any():
            return self._step_compiled(model)
        pop, ties, rng = model.population, model.ties, model.rng
        view = ties.directed(pop.size)
        deg = view.degree()
        pairs = []
        # asked-for introductions: unmet needs, through a contact (stronger ties likelier)
        needy = np.flatnonzero((pop.need[: pop.size] >= 0) & (deg > 0))
        needy = needy[rng.random(len(needy)) < self.p_ask]
        if len(needy):
            best = contact_by_strength(model, view, needy)
            # look through up to `tries` of the contact's contacts; take the first with the skill
            cand = np.stack([view.random_neighbor(best, rng) for _ in range(self.tries)])
            hit = pop.skills[cand, pop.need[needy]] & (cand != needy)
            found = hit.any(axis=0)
            pick = cand[hit.argmax(axis=0), np.arange(len(needy))]
            pairs.append((needy[found], pick[found]))
        # brokers introduce matching pairs of their contacts
        brokers = np.flatnonzero(
            pop.alive[: pop.size] & model.introduces[pop.strategy[: pop.size]] & (deg > 1)
        )
        brokers = brokers[rng.random(len(brokers)) < self.p_broker]
        if len(brokers):
            b = np.repeat(brokers, self.tries)
            x = view.random_neighbor(b, rng)
            y = view.random_neighbor(b, rng)
            nx_, ny = pop.need[x], pop.need[y]
            match = ((nx_ >= 0) & pop.skills[y, np.maximum(nx_, 0)]) | (
                (ny >= 0) & pop.skills[x, np.maximum(ny, 0)]
            )
            match &= x != y
            pairs.append((x[match], y[match]))
        chosen = self.chosen(model, pop.alive_slots())
        if len(chosen[0]):
            pairs.append(chosen)
        if pairs:
            a = np.concatenate([p[0] for p in pairs])
            b = np.concatenate([p[1] for p in pairs])
            model.tick.introductions += connect(model, a, b, strength=self.strength, trust=self.trust)

    def _step_compiled(self, model) -> None:
        """The same pairs from the same draws, proposed by a compiled kernel
        (``simulation.compiled.encounters``); same results."""
        from ..compiled.encounters import introductions
        from ..compiled.generator import handle

        pop, ties = model.population, model.ties
        view = ties.directed(pop.size)
        a, b = introductions(
            handle(model.rng),
            pop.need,
            view.start,
            view.dst,
            view.edge,
            ties.strength,
            pop.skills,
            pop.alive,
            model.introduces,
            pop.strategy,
            float(self.p_ask),
            float(self.p_broker),
            int(self.tries),
        )
        model.tick.introductions += connect(model, a, b, strength=self.strength, trust=self.trust)

    @staticmethod
    def chosen(model, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The introductions members choose themselves this week: ``(a, b)`` pairs."""
        members = alive[model.choosers("introduce", alive)]
        if len(members) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        pop = model.population
        who, a, b = contact_pairs(model, members)
        na, nb = pop.need[a], pop.need[b]
        match = ((na >= 0) & pop.skills[b, np.maximum(na, 0)]) | (
            (nb >= 0) & pop.skills[a, np.maximum(nb, 0)]
        )
        edge = model.ties.find(who, a)
        ctx = ChoiceContext("introduce", model, who, a, edge, match.astype(float), partner=b)
        top = top_choice(who, model.choose(ctx))
        return a[top], b[top]
