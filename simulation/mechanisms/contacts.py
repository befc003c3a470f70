"""Helpers that make and find contacts, shared by the meeting, introduction, churn and style
mechanisms (not a mechanism itself).

Every new tie goes through :func:`connect`, which respects the network's degree cap
(``network.max_ties``) and starts the tie with the network's ``new_tie_strength`` and
``new_tie_trust`` unless the caller says otherwise.
"""

from __future__ import annotations

import numpy as np

from ..arrays import rank_in_groups

__all__ = ["connect", "attachment_weights", "friends_of_friends", "contact_by_strength"]


def connect(
    model, a: np.ndarray, b: np.ndarray, *, strength: float | None = None, trust: float | None = None
) -> int:
    """Create ties ``a[k] -- b[k]`` between live members, never beyond ``network.max_ties``.

    Proposals are taken in order; a member's place is held by every earlier proposal
    naming it, so a batch never pushes anyone past the cap.  ``strength`` and ``trust``
    default to the network's ``new_tie_strength`` and ``new_tie_trust``.  Returns the
    number of ties made (also counted in ``model.tick.ties_made``).
    """
    pop, ties = model.population, model.ties
    if len(a) == 0:
        return 0
    net = model.config.data["network"]
    strength = net["new_tie_strength"] if strength is None else strength
    trust = net["new_tie_trust"] if trust is None else trust
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    ok = pop.alive[a] & pop.alive[b] & (a != b)
    a, b = a[ok], b[ok]
    deg = ties.degree(pop.size)
    ends = np.stack([a, b], axis=1).ravel()  # proposal k's ends at positions 2k and 2k + 1
    order = np.argsort(ends, kind="stable")
    earlier = np.empty(len(ends), np.int64)
    earlier[order] = rank_in_groups(ends[order])  # earlier proposals naming the same member
    earlier = earlier.reshape(-1, 2)
    room = (deg[a] + earlier[:, 0] < model.max_ties) & (deg[b] + earlier[:, 1] < model.max_ties)
    made = ties.add(a[room], b[room], strength=strength, trust=trust, step=model.steps)
    model.tick.ties_made += made
    return made


def attachment_weights(model, slots: np.ndarray) -> np.ndarray:
    """Chance of seeking out each of ``slots``: reputation^``network.attachment_bias`` x (1 + degree),
    normalised (attachment biased to reputation, after Barabási & Albert 1999)."""
    pop = model.population
    deg = model.ties.degree(pop.size)[slots]
    w = pop.reputation(slots) ** model.config.data["network"]["attachment_bias"] * (1.0 + deg)
    return w / w.sum()


def friends_of_friends(model, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each member (with contacts), a random contact of a random contact."""
    view = model.ties.directed(model.population.size)
    deg = view.degree()
    members = members[deg[members] > 0]
    mid = view.random_neighbor(members, model.rng)
    ok = deg[mid] > 0
    members, mid = members[ok], mid[ok]
    return members, view.random_neighbor(mid, model.rng)


def contact_by_strength(model, view, members: np.ndarray) -> np.ndarray:
    """For each member (with contacts), a contact drawn with probability proportional to tie strength."""
    strength = np.maximum(model.ties.strength[view.edge], 1e-12)
    cum = np.concatenate([[0.0], np.cumsum(strength)])
    lo, hi = cum[view.start[members]], cum[view.start[members + 1]]
    target = lo + model.rng.random(len(members)) * (hi - lo)
    pos = np.searchsorted(cum, target, side="right") - 1
    pos = np.clip(pos, view.start[members], view.start[members + 1] - 1)
    return view.dst[pos]
