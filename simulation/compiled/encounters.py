"""numba kernels of the week's encounters: whom members meet, whom they are introduced to.

| kernel | numpy twin |
|---|---|
| :func:`meeting` | :meth:`simulation.mechanisms.meeting.Meeting.step` (but the ties made; whom members seek out by reputation only where ``draws.choice_weighted`` would draw it itself) |
| :func:`introductions` | :meth:`simulation.mechanisms.introductions.Introductions.step` (but the choices of strategies) |
| :func:`attachment` | :func:`simulation.mechanisms.contacts.attachment_weights` and the checks and cumulative sum of :func:`simulation.draws.choice_weighted` |

They propose the pairs; :func:`simulation.mechanisms.contacts.connect` makes the ties.
As in :mod:`.favours`, the kernels draw from the model's own generator (``rng``: a handle,
:func:`.generator.handle`, or a ``Generator``), in the order the numpy code draws (``random_neighbor``: ``dst[start + int(u * degree)]``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .generator import generator
from .measure import pairwise_sum

__all__ = ["meeting", "introductions", "attachment"]


@njit(cache=True)
def _chance(gen, members, p):  # pragma: no cover - compiled
    """``members[rng.random(len(members)) < p]``."""
    out = np.empty(len(members), np.int64)
    n = 0
    # without a branch on the draw: every member written, the count moved on a hit
    for i in range(len(members)):
        out[n] = members[i]
        n += gen.random() < p
    return out[:n]


@njit(cache=True)
def _neighbor(gen, start, dst, m):  # pragma: no cover - compiled
    """``DirectedView.random_neighbor`` for one member (with contacts)."""
    lo = start[m]
    return dst[lo + np.int64(gen.random() * (start[m + 1] - lo))]


@njit(cache=True, nogil=True)
def _after_cdf(cdf, x):  # pragma: no cover - compiled
    """``cdf.searchsorted(x, side="right")`` for a non-decreasing ``cdf``."""
    lo, hi = 0, len(cdf)
    while lo < hi:
        mid = (lo + hi) // 2
        if cdf[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def meeting(
    rng,
    alive,
    start,
    dst,
    p_triadic,
    p_random,
    p_attach,
    public_gifts,
    public_refusals,
    deg,
    bias,
    powered,
    atol,
):  # pragma: no cover - compiled
    """Friends of friends, random strangers and who seeks out a well-reputed member:
    ``(fa, fb, ra, rb, pa, pb, plain, p)`` (``friends_of_friends`` and ``Meeting.step`` up to
    the ties made).  Whom ``pa`` seek out is drawn as ``contacts.attachment_choice`` draws it
    (:func:`attachment`'s chances of ``alive``, the uniforms searched in their cumulative sum)
    where ``plain``; where not, ``pb`` is left empty and ``p`` holds the chances, for
    ``Generator.choice`` (which says what is wrong with them)."""
    gen = generator(rng)
    n = len(alive)
    members = _chance(gen, alive, p_triadic)
    with_contacts = np.empty(len(members), np.int64)
    n_w = 0
    for m in members:
        if start[m + 1] > start[m]:
            with_contacts[n_w] = m
            n_w += 1
    mid = np.empty(n_w, np.int64)
    for j in range(n_w):
        mid[j] = _neighbor(gen, start, dst, with_contacts[j])
    # the second draws come after all the first, for those whose contact has contacts
    fa = np.empty(n_w, np.int64)
    fb = np.empty(n_w, np.int64)
    n_f = 0
    for j in range(n_w):
        if start[mid[j] + 1] > start[mid[j]]:
            fa[n_f] = with_contacts[j]
            fb[n_f] = _neighbor(gen, start, dst, mid[j])
            n_f += 1
    ra = _chance(gen, alive, p_random)
    pick = gen.integers(0, n, len(ra))
    rb = np.empty(len(ra), np.int64)
    for j in range(len(ra)):
        rb[j] = alive[pick[j]]
    pa = _chance(gen, alive, p_attach)
    pb = np.empty(len(pa), np.int64)
    p = np.zeros(0)
    plain = True
    if len(pa):
        p, plain, cdf = attachment(alive, public_gifts, public_refusals, deg, bias, powered, atol)
        if plain:
            for j in range(len(pa)):
                pb[j] = alive[_after_cdf(cdf, gen.random())]
        else:
            pb = pb[:0]
    return fa[:n_f].copy(), fb[:n_f].copy(), ra, rb, pa, pb, plain, p


@njit(cache=True)
def introductions(
    rng, need, start, dst, edge, strength, skills, alive, introduces, strategy, p_ask, p_broker, tries
):  # pragma: no cover - compiled
    """The pairs to introduce (``Introductions.step`` before the choices of strategies):
    asked-for introductions first, then the brokers'."""
    gen = generator(rng)
    n_slots = len(start) - 1
    deg = np.empty(n_slots, np.int64)
    for i in range(n_slots):
        deg[i] = start[i + 1] - start[i]
    # asked-for introductions: unmet needs, through a contact (stronger ties likelier)
    needy = np.empty(n_slots, np.int64)
    n_needy = 0
    for i in range(n_slots):
        if need[i] >= 0 and deg[i] > 0:
            needy[n_needy] = i
            n_needy += 1
    needy = _chance(gen, needy[:n_needy], p_ask)
    n_needy = len(needy)
    asked_a = np.empty(n_needy, np.int64)
    asked_b = np.empty(n_needy, np.int64)
    n_asked = 0
    if n_needy:
        # contact_by_strength: the cumulative strengths over the contact index
        top = start[needy[n_needy - 1] + 1]
        cum = np.empty(top + 1)
        cum[0] = 0.0
        acc = 0.0
        for k in range(top):
            acc += max(strength[edge[k]], 1e-12)
            cum[k + 1] = acc
        best = np.empty(n_needy, np.int64)
        for j in range(n_needy):
            m = needy[j]
            lo_k, hi_k = start[m], start[m + 1]
            lo, hi = cum[lo_k], cum[hi_k]
            target = lo + gen.random() * (hi - lo)
            pos = lo_k
            while pos + 1 < hi_k and cum[pos + 1] <= target:
                pos += 1
            best[j] = dst[pos]
        cand = np.empty((tries, n_needy), np.int64)
        for t in range(tries):
            for j in range(n_needy):
                cand[t, j] = _neighbor(gen, start, dst, best[j])
        for j in range(n_needy):
            m = needy[j]
            for t in range(tries):
                c = cand[t, j]
                if skills[c, need[m]] and c != m:
                    asked_a[n_asked] = m
                    asked_b[n_asked] = c
                    n_asked += 1
                    break
    # brokers introduce matching pairs of their contacts
    brokers = np.empty(n_slots, np.int64)
    n_b = 0
    for i in range(n_slots):
        if alive[i] and introduces[strategy[i]] and deg[i] > 1:
            brokers[n_b] = i
            n_b += 1
    brokers = _chance(gen, brokers[:n_b], p_broker)
    n_b = len(brokers)
    out_a = np.empty(n_asked + n_b * tries, np.int64)
    out_b = np.empty(n_asked + n_b * tries, np.int64)
    out_a[:n_asked] = asked_a[:n_asked]
    out_b[:n_asked] = asked_b[:n_asked]
    n_out = n_asked
    if n_b:
        x = np.empty(n_b * tries, np.int64)
        for j in range(n_b * tries):
            x[j] = _neighbor(gen, start, dst, brokers[j // tries])
        for j in range(n_b * tries):
            y = _neighbor(gen, start, dst, brokers[j // tries])
            nx, ny = need[x[j]], need[y]
            match = (nx >= 0 and skills[y, max(nx, 0)]) or (ny >= 0 and skills[x[j], max(ny, 0)])
            if match and x[j] != y:
                out_a[n_out] = x[j]
                out_b[n_out] = y
                n_out += 1
    return out_a[:n_out].copy(), out_b[:n_out].copy()


@njit(cache=True, nogil=True)
def attachment(slots, public_gifts, public_refusals, deg, bias, powered, atol):  # pragma: no cover - compiled
    """The chance of seeking out each of ``slots`` as ``contacts.attachment_weights`` makes it
    (public reputation ``(g + 1) / (g + r + 2)`` to the power ``bias``, times ``1 + degree``,
    normalised; the power is the reputation itself for ``bias`` 1 and its square for 2, as
    numpy's ``**`` gives them, else ``powered``, computed by numpy), whether those chances are
    what ``draws.choice_weighted`` draws from itself (summing to 1 within ``atol``, none
    negative), and their normalised cumulative sum as it makes it."""
    n = len(slots)
    p = np.empty(n)
    for j in range(n):
        i = slots[j]
        if bias == 1.0 or bias == 2.0:
            g = public_gifts[i]
            rep = (g + 1.0) / (g + public_refusals[i] + 2.0)
            x = rep if bias == 1.0 else rep * rep
        else:
            x = powered[j]
        p[j] = x * (1.0 + deg[i])
    total = pairwise_sum(p, 0, n)
    plain = n > 0
    for j in range(n):
        p[j] = p[j] / total
        if p[j] < 0:
            plain = False
    plain = plain and abs(pairwise_sum(p, 0, n) - 1.0) <= atol
    cdf = np.empty(n)
    acc = 0.0
    for j in range(n):
        acc += p[j]
        cdf[j] = acc
    if n:
        last = cdf[n - 1]
        for j in range(n):
            cdf[j] /= last
    return p, plain, cdf
