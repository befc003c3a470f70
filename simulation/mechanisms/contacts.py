"""Helpers that make and find contacts, shared by the meeting, introduction, churn and style
mechanisms (not a mechanism itself).

Every new tie goes through :func:`connect`, which respects the network's degree cap
(``network.max_ties``) and starts the tie with the network's ``new_tie_strength`` and
``new_tie_trust`` unless the caller says otherwise.
"""

from __future__ import annotations

import numpy as np

from ..arrays import rank_in_groups

__all__ = [
    "connect",
    "attachment_weights",
    "attachment_choice",
    "friends_of_friends",
    "contact_by_strength",
    "second_contacts",
    "contact_pairs",
    "top_choice",
]


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
    if model.compiled:  # the checks and the writing in one compiled call
        made = ties.connect_compiled(
            a, b, pop.alive[: pop.size], model.max_ties, strength, trust, model.steps
        )
        model.tick.ties_made += made
        return made
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


def attachment_choice(model, slots: np.ndarray, size: int) -> np.ndarray:
    """``size`` members drawn from ``slots`` with the chances :func:`attachment_weights` gives,
    as :func:`simulation.draws.choice_weighted` draws them (the same uniforms from the model's
    generator, the same picks), the weights and the cumulative sum made by a compiled kernel
    (:func:`simulation.compiled.encounters.attachment`); for the compiled stages."""
    from ..compiled.encounters import attachment
    from ..draws import SUM_TOLERANCE, pick_by_cdf

    pop = model.population
    bias, powered = attachment_powers(model, slots)
    p, plain, cdf = attachment(
        slots,
        pop.public_gifts,
        pop.public_refusals,
        model.ties.degree(pop.size),
        bias,
        powered,
        SUM_TOLERANCE,
    )
    if not plain:  # Generator.choice checks them (and says what is wrong)
        return model.rng.choice(slots, size=size, p=p)
    return pick_by_cdf(model.rng, slots, size, cdf)


_NO_POWERS = np.zeros(0)


def attachment_powers(model, slots: np.ndarray) -> tuple[float, np.ndarray]:
    """The attachment bias and, unless it is 1 or 2 (which the kernels square or take as
    they are), the reputations of ``slots`` raised to it: the inputs of the compiled
    attachment weights."""
    bias = float(model.config.data["network"]["attachment_bias"])
    powered = _NO_POWERS if bias in (1.0, 2.0) else model.population.reputation(slots) ** bias
    return bias, powered


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


def second_contacts(model, members: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every friend of a friend of each of ``members`` (not the member, not already a
    contact): ``(member, candidate, mutual)`` with the number of contacts they share,
    sorted by member, then most mutual contacts first, then slot."""
    n = model.population.size
    view = model.ties.directed(n)
    members = np.asarray(members, np.int64)
    k1, mid = view.contacts_of(members)
    k2, cand = view.contacts_of(mid)
    who = members[k1[k2]]
    keep = cand != who
    who, cand = who[keep], cand[keep]
    key, mutual = np.unique(who * n + cand, return_counts=True)
    who, cand = key // n, key % n
    fresh = ~model.ties.has(who, cand)
    who, cand, mutual = who[fresh], cand[fresh], mutual[fresh]
    order = np.lexsort((cand, -mutual, who))
    return who[order], cand[order], mutual[order]


def contact_pairs(model, members: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of contacts of each of ``members`` who are not tied to each other:
    ``(member, a, b)`` with ``a < b``, member by member in the order given, then by ``a``
    and ``b``."""
    view = model.ties.directed(model.population.size)
    members = np.asarray(members, np.int64)
    lo, deg = view.start[members], view.start[members + 1] - view.start[members]
    group = np.repeat(np.arange(len(members)), deg)
    starts = np.cumsum(deg) - deg
    pos = np.arange(int(deg.sum()))
    contact = view.dst[np.repeat(lo - starts, deg) + pos]
    contact = contact[np.lexsort((contact, group))]  # each member's contacts, ascending
    # each contact with every later contact of the same member
    later = np.repeat(starts + deg, deg) - pos - 1
    first = np.repeat(pos, later)
    second = first + 1 + np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later)
    who, a, b = members[group[first]], contact[first], contact[second]
    fresh = ~model.ties.has(a, b) if len(a) else np.zeros(0, bool)
    return who[fresh], a[fresh], b[fresh]


def top_choice(member: np.ndarray, preference: np.ndarray) -> np.ndarray:
    """Positions of each member's most preferred candidate, where it is chosen at all
    (preference above ``-inf``); ties go to the first listed."""
    ok = np.flatnonzero(preference > -np.inf)
    if len(ok) == 0:
        return ok
    order = ok[np.lexsort((np.arange(len(ok)), -preference[ok], member[ok]))]
    first = np.ones(len(order), bool)
    first[1:] = member[order][1:] != member[order][:-1]
    return order[first]
