"""Meeting new people: random encounters, friends of friends, and reputation.

``p_random``: chance per week that a member meets a stranger at random.
``p_attach``: chance per week that a member seeks out someone well known;
the partner is drawn with weight ``reputation ** reputation_bias * (1 + degree)``
(attachment biased to reputation, after Barabási–Albert).
``p_triadic``: chance per week that a member meets a friend of a friend
(triadic closure; Jin, Girvan & Newman 2001, *Phys. Rev. E* 64:046132).
No member takes on ties beyond ``max_ties``.

:class:`Introductions` adds introductions that somebody makes on purpose:
a member whose need went unmet asks a close contact to introduce it
to someone with the skill, and brokers (strategies that ``introduce``)
introduce two of their contacts whose need and skill match.
"""

from __future__ import annotations

import numpy as np

from .base import Mechanism, Param, mechanism

__all__ = ["Meeting", "Introductions", "connect"]


def connect(model, a: np.ndarray, b: np.ndarray, *, strength: float, trust: float, max_ties: int) -> int:
    """Create ties ``a[k] -- b[k]`` between live members below the degree cap."""
    pop, ties = model.population, model.ties
    if len(a) == 0:
        return 0
    deg = ties.degree(pop.size)
    ok = pop.alive[a] & pop.alive[b] & (deg[a] < max_ties) & (deg[b] < max_ties)
    return ties.add(a[ok], b[ok], strength=strength, trust=trust, step=model.steps)


def attachment_weights(model, slots: np.ndarray, bias: float) -> np.ndarray:
    pop = model.population
    deg = model.ties.degree(pop.size)[slots]
    w = pop.reputation(slots) ** bias * (1.0 + deg)
    return w / w.sum()


@mechanism
class Meeting(Mechanism):
    """Random meetings, attachment to reputation, and friends of friends."""

    name = "meeting"
    PARAMS = {
        "p_random": Param(0.03, "weekly chance of meeting a random stranger", 0.0, 1.0),
        "p_attach": Param(0.02, "weekly chance of seeking out a well-reputed member", 0.0, 1.0),
        "reputation_bias": Param(2.0, "how strongly attachment favours reputation", 0.0, 20.0),
        "p_triadic": Param(0.08, "weekly chance of meeting a friend of a friend", 0.0, 1.0),
        "max_ties": Param(60, "most ties a member keeps", 1, 100_000),
        "initial_strength": Param(0.3, "strength of a new tie", 0.0, 1.0),
        "initial_trust": Param(0.5, "trust each side starts a new tie with", 0.0, 1.0),
    }

    def step(self, model) -> None:
        pop, rng = model.population, model.rng
        alive = pop.alive_slots()
        n = len(alive)
        if n < 2:
            return
        # friends of friends are found on this week's network, before it changes
        fa, fb = friends_of_friends(model, alive[rng.random(n) < self.p_triadic])
        ra = alive[rng.random(n) < self.p_random]
        rb = alive[rng.integers(0, n, len(ra))]
        pa = alive[rng.random(n) < self.p_attach]
        if len(pa):
            pb = rng.choice(alive, size=len(pa), p=attachment_weights(model, alive, self.reputation_bias))
        else:
            pb = pa
        model.tick.met = connect(
            model,
            np.concatenate([ra, pa, fa]),
            np.concatenate([rb, pb, fb]),
            strength=self.initial_strength,
            trust=self.initial_trust,
            max_ties=self.max_ties,
        )


def friends_of_friends(model, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each member (with contacts), a random contact of a random contact."""
    view = model.ties.directed(model.population.size)
    deg = view.degree()
    members = members[deg[members] > 0]
    mid = view.random_neighbor(members, model.rng)
    ok = deg[mid] > 0
    members, mid = members[ok], mid[ok]
    return members, view.random_neighbor(mid, model.rng)


@mechanism
class Introductions(Mechanism):
    """Introductions made on purpose: asked for by the needy, offered by brokers.

    ``p_ask``: chance that a member whose need went unmet asks one of its
    contacts (a strong tie more likely than a weak one) for an introduction;
    the contact looks through up to ``tries`` of its own contacts for one with
    the skill.  ``p_broker``: weekly chance that
    a broker tries ``tries`` random pairs of its contacts and introduces those
    where one needs what the other offers.  Introduced ties start with
    ``trust`` (someone vouched for them).
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
        brokers = np.flatnonzero(pop.alive[: pop.size] & model.introduces[pop.strategy[: pop.size]] & (deg > 1))
        brokers = brokers[rng.random(len(brokers)) < self.p_broker]
        if len(brokers):
            b = np.repeat(brokers, self.tries)
            x = view.random_neighbor(b, rng)
            y = view.random_neighbor(b, rng)
            nx_, ny = pop.need[x], pop.need[y]
            match = ((nx_ >= 0) & pop.skills[y, np.maximum(nx_, 0)]) | ((ny >= 0) & pop.skills[x, np.maximum(ny, 0)])
            match &= x != y
            pairs.append((x[match], y[match]))
            model.tick.brokered = int(match.sum())
        if pairs:
            a = np.concatenate([p[0] for p in pairs])
            b = np.concatenate([p[1] for p in pairs])
            model.tick.introduced = connect(
                model, a, b, strength=self.strength, trust=self.trust, max_ties=model.max_ties
            )


def contact_by_strength(model, view, members: np.ndarray) -> np.ndarray:
    """For each member (with contacts), a contact drawn with probability proportional to tie strength."""
    strength = np.maximum(model.ties.strength[view.edge], 1e-12)
    cum = np.concatenate([[0.0], np.cumsum(strength)])
    lo, hi = cum[view.start[members]], cum[view.start[members + 1]]
    target = lo + model.rng.random(len(members)) * (hi - lo)
    pos = np.searchsorted(cum, target, side="right") - 1
    pos = np.clip(pos, view.start[members], view.start[members + 1] - 1)
    return view.dst[pos]
