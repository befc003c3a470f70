"""numba kernels of :class:`simulation.mechanisms.churn.Churn` (its numpy code is the reference).

| kernel | numpy twin |
|---|---|
| :func:`leave` | ``Churn.step`` up to the newcomers' arrival: :func:`settle`, who leaves, how many come and what ``GiveTakeModel.add_members`` draws for them |
| :func:`arrive` | ``Churn.step`` after the newcomers' arrival: their first contacts, skill changes, relocation |
| :func:`settle` | upkeep (``model.pay``), the running income, who fails and who is unhappy |
| :func:`strategies` | ``GiveTakeModel.draw_strategies`` |
| :func:`random_subsets` | ``GiveTakeModel._random_subsets`` (the ``size`` smallest uniforms of each row: :func:`smallest_per_row`) |

As in :mod:`.favours`, the kernels that take ``rng`` (a handle, :func:`.generator.handle`, or a
``Generator``) draw from the model's own generator
themselves, in the order the numpy code draws (numba runs numpy's algorithms for
``random``, ``integers``, ``poisson`` and ``shuffle`` on the same bit generator), so the
generator is left in the same state and both paths give the same run
(``tests/test_compiled.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .encounters import _after_cdf, attachment
from .generator import generator
from .index import connect_append, touching
from .measure import pairwise_sum

__all__ = ["leave", "arrive", "settle", "strategies", "random_subsets", "smallest_per_row", "POISSON_LAM_MAX"]

#: the largest mean ``Generator.poisson`` takes (numpy's ``POISSON_LAM_MAX``)
POISSON_LAM_MAX = float(np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10)


@njit(cache=True, nogil=True)
def settle(
    alive_slots,
    wealth,
    last_wealth,
    joined,
    income,
    steps,
    upkeep,
    memory,
    failure_wealth,
    grace,
    exit_below,
):  # pragma: no cover - compiled
    """Each member pays ``upkeep`` (if not 0) and updates its running income; returns the
    members who fail, the rest (both ascending) and which of the rest have been in the
    network ``grace`` weeks and earn less than ``exit_below``."""
    n = len(alive_slots)
    if upkeep:
        minus = -upkeep
        for i in alive_slots:
            wealth[i] += minus
    n_failed = 0
    for j in range(n):
        i = alive_slots[j]
        change = wealth[i] - last_wealth[i]
        if joined[i] == steps:
            change = 0.0
        income[i] = income[i] + memory * (change - income[i])
        if wealth[i] < failure_wealth:
            n_failed += 1
    failed = np.empty(n_failed, np.int64)
    rest = np.empty(n - n_failed, np.int64)
    unhappy = np.empty(n - n_failed, np.bool_)
    a = 0
    b = 0
    for i in alive_slots:
        if wealth[i] < failure_wealth:
            failed[a] = i
            a += 1
        else:
            rest[b] = i
            unhappy[b] = steps - joined[i] >= grace and income[i] < exit_below
            b += 1
    return failed, rest, unhappy


@njit(cache=True, nogil=True)
def smallest_per_row(draws, size):  # pragma: no cover - compiled
    """For each row of ``draws``, ``True`` at its ``size`` smallest values."""
    n, k = draws.shape
    out = np.zeros((n, k), np.bool_)
    for r in range(n):
        for _ in range(size):
            best = -1
            for c in range(k):
                if not out[r, c] and (best < 0 or draws[r, c] < draws[r, best]):
                    best = c
            out[r, best] = True
    return out


@njit(cache=True)
def _distinct(gen, p, size):  # pragma: no cover - compiled
    """``draws.choice_distinct(gen, len(p), size, p)`` for probabilities it draws from itself
    (numpy's sampler without replacement: rounds of as many uniforms as picks are missing, the
    weights of the indices picked set to 0, a round keeping the first draw of each index)."""
    n = len(p)
    weights = p.copy()
    picked = np.zeros(size, np.int64)
    done = 0
    cdf = np.empty(n)
    seen = np.empty(n, np.bool_)
    while done < size:
        m = size - done
        u = np.empty(m)
        for j in range(m):
            u[j] = gen.random()
        for j in range(done):
            weights[picked[j]] = 0.0
        acc = 0.0
        for j in range(n):
            acc += weights[j]
            cdf[j] = acc
        last = cdf[n - 1]
        for j in range(n):
            cdf[j] /= last
        seen[:] = False
        for j in range(m):
            k = _after_cdf(cdf, u[j])
            if not seen[k]:
                seen[k] = True
                picked[done] = k
                done += 1
    return picked


@njit(cache=True)
def strategies(rng, mix, n, atol):  # pragma: no cover - compiled
    """``GiveTakeModel.draw_strategies(n)``: strategy indices for ``n`` members from the mix
    (exact counts by largest remainder, the members short drawn by ``_distinct``, then
    shuffled as ``Generator.permutation`` shuffles), and ``True``; or nothing drawn and
    ``False`` where ``draws.choice_distinct`` would hand the remainders to
    ``Generator.choice`` (which says what is wrong with them)."""
    gen = generator(rng)
    k = len(mix)
    counts = np.empty(k, np.int64)
    rem = np.empty(k)
    short = n
    for j in range(k):
        raw = mix[j] * n
        counts[j] = np.int64(np.floor(raw))
        rem[j] = raw - counts[j]
        short -= counts[j]
    if short:
        total = pairwise_sum(rem, 0, k)
        p = np.empty(k)
        plain = k > 0
        nonzero = 0
        for j in range(k):
            p[j] = rem[j] / total
            plain = plain and p[j] >= 0.0
            nonzero += p[j] > 0.0
        # what choice_distinct draws from itself (else Generator.choice's checks)
        plain = plain and abs(pairwise_sum(p, 0, k) - 1.0) <= atol
        if not plain or short > k or short < 0 or nonzero < short:
            return np.zeros(0, np.int64), False
        extra = _distinct(gen, p, short)
        for j in extra:
            counts[j] += 1
    out = np.empty(n, np.int64)
    at = 0
    for j in range(k):
        for _ in range(counts[j]):
            out[at] = j
            at += 1
    gen.shuffle(out)
    return out, True


@njit(cache=True)
def random_subsets(rng, n, k, size):  # pragma: no cover - compiled
    """``GiveTakeModel._random_subsets(n, k, size)``: for each of ``n`` rows, ``size`` of
    ``k`` columns, the smallest of a row of uniforms drawn row by row."""
    gen = generator(rng)
    draws = np.empty((n, k))
    for r in range(n):
        for c in range(k):
            draws[r, c] = gen.random()
    return smallest_per_row(draws, size)


@njit(cache=True)
def leave(
    rng,
    alive_slots,
    wealth,
    last_wealth,
    joined,
    income,
    steps,
    upkeep,
    memory,
    failure_wealth,
    grace,
    exit_below,
    p_exit,
    p_quit,
    replace,
    expected,
    mix,
    atol,
    n_skills,
    skills_per_member,
    n_interests,
    interests_per_member,
    rank_levels,
):  # pragma: no cover - compiled
    """``Churn.step`` up to the newcomers' arrival, with the same draws from ``rng``, in
    the same order: :func:`settle`; each of the rest leaves with chance ``p_exit``, then
    (``p_quit`` not 0) each unhappy one quits with chance ``p_quit`` (a uniform drawn for
    every one of the rest, as the numpy code draws them); how many newcomers come (the
    leavers if ``replace``, plus a Poisson draw of mean ``expected``); and what
    ``GiveTakeModel.add_members`` draws for them: strategies, skills, interests and rank.

    Returns ``(leaving, n_failed, n_new, drawn, strategy, skills, interests, rank)``:
    ``leaving`` the members who fail then those who leave (each part ascending).
    ``n_new`` is ``-1`` (and nothing more drawn) where ``expected`` is not a mean
    ``Generator.poisson`` takes; ``drawn`` is false (the newcomers' draws not made) where
    :func:`strategies` leaves them to ``Generator.choice``."""
    gen = generator(rng)
    failed, rest, unhappy = settle(
        alive_slots,
        wealth,
        last_wealth,
        joined,
        income,
        steps,
        upkeep,
        memory,
        failure_wealth,
        grace,
        exit_below,
    )
    n_rest = len(rest)
    go = np.empty(n_rest, np.bool_)
    for j in range(n_rest):
        go[j] = gen.random() < p_exit
    if p_quit:
        for j in range(n_rest):
            quits = gen.random() < p_quit  # drawn for everyone, unhappy or not
            go[j] = go[j] | (unhappy[j] & quits)
    n_failed = len(failed)
    n_go = 0
    for j in range(n_rest):
        n_go += go[j]
    leaving = np.empty(n_failed + n_go, np.int64)
    leaving[:n_failed] = failed
    at = n_failed
    for j in range(n_rest):
        if go[j]:
            leaving[at] = rest[j]
            at += 1
    no_skills = np.zeros((0, n_skills), np.bool_)
    no_interests = np.zeros((0, n_interests), np.bool_)
    none = np.zeros(0, np.int64)
    if not (0.0 <= expected <= POISSON_LAM_MAX):
        return leaving, n_failed, -1, False, none, no_skills, no_interests, none
    n_new = (len(leaving) if replace else 0) + gen.poisson(expected)
    if n_new == 0:
        return leaving, n_failed, n_new, True, none, no_skills, no_interests, none
    strategy, drawn = strategies(gen, mix, n_new, atol)
    if not drawn:
        return leaving, n_failed, n_new, False, none, no_skills, no_interests, none
    skills = random_subsets(gen, n_new, n_skills, skills_per_member)
    interests = random_subsets(gen, n_new, n_interests, interests_per_member)
    rank = gen.integers(0, rank_levels, n_new)
    return leaving, n_failed, n_new, True, strategy, skills, interests, rank


@njit(cache=True)
def arrive(
    rng,
    newcomers,
    initial_contacts,
    alive,
    public_gifts,
    public_refusals,
    deg,
    bias,
    powered,
    atol,
    max_ties,
    sorted_keys,
    first,
    u,
    v,
    strength,
    trust,
    image,
    ledger,
    last_used,
    born,
    tie_alive,
    new_strength,
    new_trust,
    step,
    p_skill_change,
    p_relocate,
    relocate_keep,
    skills,
    skills_per_member,
):  # pragma: no cover - compiled
    """``Churn.step`` after the newcomers' arrival, with the same draws from ``rng``, in the
    same order: each newcomer seeks out ``initial_contacts`` of the members before them
    (``contacts.attachment_choice``, the weights by :func:`~.encounters.attachment`) and the
    ties are made (``contacts.connect``: :func:`~.index.connect_append` from tie slot
    ``first``, the tie arrays with room for them); members change skills (rows of ``skills``
    rewritten) and relocate.

    Returns ``(plain, made, keys, dropped)``: how many ties were made and the sorted keys
    with theirs merged in (``None`` where none were made, or where an end was beyond ``deg``
    and nothing was written), and the
    ties the movers drop (for ``TieGraph.remove``).  ``plain`` is false, and nothing done,
    where the attachment weights are not what ``draws.choice_weighted`` draws from itself
    (``Generator.choice`` says what is wrong with them)."""
    gen = generator(rng)
    n_slots = len(alive)
    members = np.flatnonzero(alive)
    n_new = len(newcomers)
    made = 0
    keys = None
    if n_new and initial_contacts:
        old = members[: len(members) - n_new]  # the newcomers hold the last slots
        if len(old):
            p, plain, cdf = attachment(old, public_gifts, public_refusals, deg, bias, powered, atol)
            if not plain:
                return False, 0, keys, np.zeros(0, np.int64)
            m = n_new * initial_contacts
            a = np.empty(m, np.int64)
            b = np.empty(m, np.int64)
            for j in range(m):
                a[j] = newcomers[j // initial_contacts]
                b[j] = old[_after_cdf(cdf, gen.random())]
            made, keys = connect_append(
                a,
                b,
                alive,
                deg,
                max_ties,
                sorted_keys,
                first,
                u,
                v,
                strength,
                trust,
                image,
                ledger,
                last_used,
                born,
                tie_alive,
                new_strength,
                new_trust,
                0.5,
                step,
                True,
            )
    # skill changes: each member's row redrawn with chance p_skill_change
    movers = np.empty(len(members), np.int64)
    k = 0
    for j in range(len(members)):
        movers[k] = members[j]
        k += gen.random() < p_skill_change
    if k:
        rows = random_subsets(gen, k, skills.shape[1], skills_per_member)
        for r in range(k):
            skills[movers[r], :] = rows[r, :]
    # relocation: each mover keeps each of its ties with chance relocate_keep
    k = 0
    for j in range(len(members)):
        movers[k] = members[j]
        k += gen.random() < p_relocate
    dropped = np.zeros(0, np.int64)
    if k:
        touched = touching(movers[:k], n_slots, u, v, tie_alive, first + made)
        dropped = np.empty(len(touched), np.int64)
        d = 0
        for e in touched:
            dropped[d] = e
            d += gen.random() >= relocate_keep
        dropped = dropped[:d].copy()
    return True, made, keys, dropped
