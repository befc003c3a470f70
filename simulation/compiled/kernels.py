"""numba kernels of the weekly step, each the twin of a numpy stage.

Each kernel reads and writes the same arrays as its numpy twin and does the same
floating-point operations in the same order (``a * b / c`` where numpy computes
``a * b / c``; sums taken where numpy takes them), so both give bit-identical results.
Random numbers are never drawn here: the caller draws them from the model's generator,
as the numpy code does, and passes them in.  Powers (``x ** k``) are computed by numpy
and passed in as tables, so that they are the same numbers whichever vectorised ``pow``
numpy uses on the machine.

| kernel | numpy twin |
|---|---|
| :func:`directed` | :meth:`simulation.ties.TieGraph.directed` (the contact index, CSR) |
| :func:`maintenance` | :meth:`simulation.mechanisms.maintenance.Maintenance.step` |
| :func:`exchange` | :meth:`simulation.mechanisms.exchange.Exchange.step` (but the welfare sum) |
| :func:`connect` | :func:`simulation.mechanisms.contacts.connect` with :meth:`simulation.ties.TieGraph.add` |
| :func:`hear` | :func:`simulation.mechanisms.standing.hear` (news of deeds, for every norm) |
| :func:`asking_candidates`, :func:`asking_plan` | :meth:`simulation.mechanisms.asking.Asking.step` (the noise drawn between them) |
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["directed", "maintenance", "exchange", "asking_candidates", "asking_plan", "hear", "connect"]


@njit(cache=True, nogil=True)
def directed(n_slots, u, v, alive, size):  # pragma: no cover - compiled
    """Every live tie seen from both ends, grouped by source member: ``dst, edge, side, start``.

    A stable counting sort of the pairs ``u -> v`` (ties in index order), then ``v -> u``,
    by source: the order scipy's COO-to-CSR conversion gives the numpy path.
    """
    start = np.zeros(n_slots + 1, np.int64)
    n_live = 0
    for i in range(size):
        if alive[i]:
            start[u[i] + 1] += 1
            start[v[i] + 1] += 1
            n_live += 1
    for i in range(n_slots):
        start[i + 1] += start[i]
    nnz = 2 * n_live
    dst = np.empty(nnz, np.int64)
    edge = np.empty(nnz, np.int64)
    side = np.empty(nnz, np.int8)
    pos = start[:n_slots].copy()
    for i in range(size):
        if alive[i]:
            p = pos[u[i]]
            dst[p] = v[i]
            edge[p] = i
            side[p] = 0
            pos[u[i]] = p + 1
    for i in range(size):
        if alive[i]:
            p = pos[v[i]]
            dst[p] = u[i]
            edge[p] = i
            side[p] = 1
            pos[v[i]] = p + 1
    return dst, edge, side, start


@njit(cache=True)
def _standing(uses_standing, viewer, subject, e, u, image, public_gifts, public_refusals):  # pragma: no cover
    """``GiveTakeModel.standing_of`` for one pair: the viewer's image of the subject on
    their tie, or the subject's public reputation."""
    if uses_standing:
        return image[e, 1 if u[e] != viewer else 0]
    g = public_gifts[subject]
    r = public_refusals[subject]
    return (g + 1.0) / (g + r + 2.0)


@njit(cache=True, inline="always")
def _ranked(c, k, n_top, limit, top_c, top_k, least):  # pragma: no cover - compiled
    """Rank ``(c, k)`` among the ``n_top`` kept in ``top_c``/``top_k`` (at most ``limit``,
    kept sorted); returns how many are kept now.  Highest first, a later one placed before an
    earlier only if strictly higher (a stable sort's order); with ``least``, lowest first, a
    later one placed before an earlier one as low or lower (the complement of that ranking)."""
    if n_top == limit and not (c <= top_c[limit - 1] if least else c > top_c[limit - 1]):
        return n_top
    j = n_top if n_top < limit else limit - 1
    while j > 0 and (c <= top_c[j - 1] if least else c > top_c[j - 1]):
        top_c[j] = top_c[j - 1]
        top_k[j] = top_k[j - 1]
        j -= 1
    top_c[j] = c
    top_k[j] = k
    return n_top + 1 if n_top < limit else n_top


@njit(cache=True, nogil=True)
def maintenance(
    n_slots,
    start,
    edge,
    side,
    size,
    u,
    v,
    alive,
    strength,
    trust,
    ledger,
    last_used,
    gift_giver,
    touched_edge,
    strategy,
    tolerance,
    spares_good_standing,
    good_mark,
    uses_standing,
    image,
    public_gifts,
    public_refusals,
    cuts_distrusted,
    steps,
    decay,
    time_budget,
    gift_time,
    tie_time,
    min_strength,
    cut_trust,
):  # pragma: no cover - compiled
    """Decay, then the ties to cut and the weak ties to dissolve (both ascending); changes ``strength``.

    Each member keeps up its ``room`` closest ties (strength x its trust, highest first,
    equal closeness in contact-index order, as numpy's stable lexsort orders them).
    The negated closeness numpy sorts by orders as the closeness does, ``-0.0`` and
    ``0.0`` alike.

    What decays a tie is how many of its two ends do not keep it up (``2 -`` the ends that
    do, the same integer): counted for the ends that leave ties out, most members keeping
    up all theirs.

    ``touched_edge`` are the ties something happened on this week.  A strategy with
    ``spares_good_standing`` does not cut for imbalance a tie to a member it holds in good
    standing (``GiveTakeModel.standing_of`` from ``good_mark`` up, as
    :meth:`~simulation.mechanisms.maintenance.Maintenance.spared` reads it: the image
    on the tie with ``uses_standing``, the public record without).
    """
    dropped = np.zeros(size, np.int64)  # per tie: the ends that do not keep it up
    if tie_time != 0:
        max_deg = 0
        for i in range(n_slots):
            max_deg = max(max_deg, start[i + 1] - start[i])
        close = np.empty(max_deg)
        top_c = np.empty(max_deg)
        top_k = np.empty(max_deg, np.int64)
        busy = np.zeros(n_slots, np.int64)
        for g in gift_giver:
            busy[g] += 1
        for i in range(n_slots):
            lo, hi = start[i], start[i + 1]
            if hi == lo:
                continue
            hours = max(time_budget - busy[i] * gift_time, 0.0)
            room = np.int64(np.floor(hours / tie_time))
            if room >= hi - lo:
                continue
            if room <= 0:
                for k in range(lo, hi):
                    dropped[edge[k]] += 1
                continue
            for k in range(lo, hi):  # gathered first, then ranked
                close[k - lo] = strength[edge[k]] * trust[edge[k], side[k]]
            drop = hi - lo - room
            if room <= drop:
                # the room closest, kept sorted (closest first); a later tie displaces an
                # earlier one only if strictly closer, as a stable sort would order them
                n_top = 0
                for k in range(lo, hi):
                    n_top = _ranked(close[k - lo], k, n_top, room, top_c, top_k, False)
                for k in range(lo, hi):
                    dropped[edge[k]] += 1
                for j in range(room):
                    dropped[edge[top_k[j]]] -= 1
            else:
                # fewer left out than kept: the drop least close, kept sorted (least close
                # first), the complement of the same ranking (a later tie of equal
                # closeness ranks after an earlier one, so it is left out first)
                n_top = 0
                for k in range(lo, hi):
                    n_top = _ranked(close[k - lo], k, n_top, drop, top_c, top_k, True)
                for j in range(drop):
                    dropped[edge[top_k[j]]] += 1
    # ties are cut only where something happened this week: few, looked at one by one in
    # index order (cutting reads ledgers and trust, which decay does not change)
    cut = np.zeros(size, np.bool_)
    looked = np.unique(touched_edge)
    cut_idx = np.empty(len(looked), np.int64)
    n_cut = 0
    for i in looked:
        if not alive[i]:
            continue
        a, b = u[i], v[i]
        su, sv = strategy[a], strategy[b]
        # given more than it tolerates, to a member it does not spare for its good standing
        exploited = ledger[i, 0] - ledger[i, 1] > tolerance[su] and not (
            spares_good_standing[su]
            and _standing(uses_standing, a, b, i, u, image, public_gifts, public_refusals) >= good_mark
        )
        exploited = exploited or (
            ledger[i, 1] - ledger[i, 0] > tolerance[sv]
            and not (
                spares_good_standing[sv]
                and _standing(uses_standing, b, a, i, u, image, public_gifts, public_refusals) >= good_mark
            )
        )
        distrusted = (cuts_distrusted[su] and trust[i, 0] < cut_trust) or (
            cuts_distrusted[sv] and trust[i, 1] < cut_trust
        )
        if exploited or distrusted:
            cut[i] = True
            cut_idx[n_cut] = i
            n_cut += 1
    # decay, and the ties it leaves too weak, in one pass without branches (whether a slot
    # holds a live tie, unused this week, is a coin toss to the processor): every strength
    # written back, changed where it decays; every slot listed, the count moved on weak ones
    weak_idx = np.empty(size, np.int64)
    n_weak = 0
    for i in range(size):
        live = alive[i]
        s = strength[i]
        if live & (last_used[i] < steps):
            s = s - decay * dropped[i] / 2.0
        strength[i] = s
        weak_idx[n_weak] = i
        n_weak += live & (not cut[i]) & (s < min_strength)
    return cut_idx[:n_cut].copy(), weak_idx[:n_weak].copy()


@njit(cache=True, nogil=True)
def exchange(
    giver,
    asker,
    edge,
    side,
    r_giver,
    r_edge,
    r_side,
    wealth,
    need,
    gifts_given,
    gifts_received,
    refusals,
    strength,
    trust,
    ledger,
    last_used,
    size,
    steps,
    b,
    c,
    trust_gain,
    trust_loss,
    powers,
):  # pragma: no cover - compiled
    """Gifts and refusals take effect (every array of :class:`Exchange` but the welfare sum);
    ``powers[k]`` is ``(1 - strength_gain) ** k`` as numpy computes it."""
    n = len(giver)
    for k in range(n):
        wealth[giver[k]] += -c
    for k in range(n):
        wealth[asker[k]] += b
    for k in range(n):
        ledger[edge[k], 1 - side[k]] += 1
    # fancy assignment: every new value from the old ones, then written
    new = np.empty(n)
    for k in range(n):
        t = trust[edge[k], side[k]]
        new[k] = t + trust_gain * (1.0 - t)
    for k in range(n):
        trust[edge[k], side[k]] = new[k]
    # each tie given along strengthened once by its count of gifts: counted, then each
    # written the first time it is met again (and its count cleared), not a pass over every tie
    count = np.zeros(size, np.int64)
    for k in range(n):
        count[edge[k]] += 1
    for k in range(n):
        i = edge[k]
        if count[i]:
            strength[i] = 1.0 - (1.0 - strength[i]) * powers[count[i]]
            count[i] = 0
    for k in range(n):
        last_used[edge[k]] = steps
        need[asker[k]] = -1
        gifts_given[giver[k]] += 1
        gifts_received[asker[k]] += 1
    m = len(r_giver)
    factor = 1.0 - trust_loss
    new = np.empty(m)
    for k in range(m):
        new[k] = trust[r_edge[k], r_side[k]] * factor
    for k in range(m):
        trust[r_edge[k], r_side[k]] = new[k]
    for k in range(m):
        new[k] = trust[r_edge[k], 1 - r_side[k]] * factor
    for k in range(m):
        trust[r_edge[k], 1 - r_side[k]] = new[k]
    for k in range(m):
        refusals[r_giver[k]] += 1


@njit(cache=True, nogil=True)
def asking_candidates(n_slots, start, dst, need, skills):  # pragma: no cover - compiled
    """Contact-index positions ``k`` where a needy member faces a contact with the skill it needs.

    One pass without a branch on the skill (every position written, the count moved on a
    hit; whether a contact has the skill is as good as a coin toss to the processor), into
    room for the whole index."""
    out = np.empty(start[n_slots], np.int64)
    n = 0
    for i in range(n_slots):
        q = need[i]
        if q >= 0:
            for k in range(start[i], start[i + 1]):
                out[n] = k
                n += skills[dst[k], q]
    return out[:n]


@njit(cache=True, nogil=True)
def asking_plan(
    cand, noise, start, dst, edge, side, trust, strength, exploration, strategy, limit_of
):  # pragma: no cover - compiled
    """Each needy member's line: its candidates by score (trust x strength + noise), highest
    first, equal scores in contact-index order, at most its strategy's limit (``cand``
    ascending, as :func:`asking_candidates` lists them: each member's in its part of the
    contact index, ``start``).

    Returns the plan (giver, asker, edge, side, round) in numpy's order: by asker, then round.
    """
    n = len(cand)
    max_limit = 0
    for s in range(len(limit_of)):
        max_limit = max(max_limit, limit_of[s])
    top_c = np.empty(max(max_limit, 1))
    top_k = np.empty(max(max_limit, 1), np.int64)
    # upper bound on the plan's length: every candidate
    giver = np.empty(n, np.int64)
    asker = np.empty(n, np.int64)
    p_edge = np.empty(n, np.int64)
    p_side = np.empty(n, np.int8)
    rnd = np.empty(n, np.int64)
    m = 0
    lo = 0
    a = 0
    while lo < n:
        while start[a + 1] <= cand[lo]:  # the member whose part of the index holds it
            a += 1
        hi = lo
        while hi < n and cand[hi] < start[a + 1]:
            hi += 1
        limit = limit_of[strategy[a]]
        n_top = 0
        if limit > 0:
            for j in range(lo, hi):
                k = cand[j]
                score = trust[edge[k], side[k]] * strength[edge[k]]
                score = score + exploration * noise[j]
                n_top = _ranked(score, k, n_top, limit, top_c, top_k, False)
        for t in range(n_top):
            k = top_k[t]
            giver[m] = dst[k]
            asker[m] = a
            p_edge[m] = edge[k]
            p_side[m] = side[k]
            rnd[m] = t
            m += 1
        lo = hi
    return giver[:m].copy(), asker[:m].copy(), p_edge[:m].copy(), p_side[:m].copy(), rnd[:m].copy()


@njit(cache=True, nogil=True)
def _find(start, dst, edge, a, b):  # pragma: no cover - compiled
    """The live tie joining ``a`` and ``b`` (``TieGraph.find`` for one pair), or ``-1``:
    looked up in the contact index, among the contacts of whichever has fewer."""
    if start[b + 1] - start[b] < start[a + 1] - start[a]:
        a, b = b, a
    for k in range(start[a], start[a + 1]):
        if dst[k] == b:
            return edge[k]
    return -1


@njit(cache=True, nogil=True)
def _judged(o, r, gave, about, u, image, norm, bad_below):  # pragma: no cover - compiled
    """Whether observer ``o`` judges a deed towards ``r`` good under the norm (index in
    ``NORMS``), ``about`` the tie between ``o`` and ``r`` (``-1``: none, or ``o`` is ``r``)."""
    if o == r or norm == 0:
        return gave
    recipient_good = True
    if about >= 0:
        side_r = 1 if u[about] != o else 0
        recipient_good = image[about, side_r] >= bad_below
    if norm == 1:
        return gave or not recipient_good
    return gave == recipient_good


@njit(cache=True, nogil=True)
def _revise(key, target, m, image, weight, powers, size, seen, moved):  # pragma: no cover - compiled
    """The views ``key[:m]`` (``edge * 2 + side``) move towards ``target[:m]``, each piece of
    news in turn, in the order they came (numpy groups them with a stable sort by view);
    returns ``m``, or ``-1`` (nothing changed) when ``powers`` is too short."""
    if m == 0:
        return 0
    for j in range(m):
        size[key[j]] += 1
    for j in range(m):
        if size[key[j]] >= len(powers):
            for q in key[:m]:
                size[q] = 0
            return -1
    for j in range(m):
        q = key[j]
        moved[q] += weight * powers[size[q] - 1 - seen[q]] * target[j]
        seen[q] += 1
    for j in range(m):
        q = key[j]
        if seen[q] == size[q]:  # first time this view is met here: write it once
            e, s = q >> 1, q & 1
            image[e, s] = image[e, s] * powers[size[q]] + moved[q]
            seen[q] = -1
    for q in key[:m]:  # the scratch left as it came
        size[q] = 0
        seen[q] = 0
        moved[q] = 0.0
    return m


@njit(cache=True, nogil=True)
def hear(
    observer,
    actor,
    recipient,
    gave,
    start,
    dst,
    edge,
    n_ties,
    u,
    image,
    norm,
    weight,
    bad_below,
    powers,
    size,
    seen,
    moved,
):  # pragma: no cover - compiled
    """News of deeds reaches observers (``simulation.mechanisms.standing.hear``); ``norm`` is
    the index in ``NORMS``, ``powers[j]`` is ``(1 - weight) ** j`` (at least as many as the
    most news one view receives, plus one).  Returns how many observers revised their view
    (``-1``: ``powers`` too short, nothing changed).

    ``size``, ``seen`` and ``moved`` are scratch, one entry per view (``2 * n_ties`` at
    least), all zero on entry and left so: only the entries of the views that get news are
    touched, so a call costs what the news costs, not what the network holds."""
    n = len(observer)
    key = np.empty(n, np.int64)
    target = np.empty(n)
    m = 0
    for k in range(n):
        o, a, r = observer[k], actor[k], recipient[k]
        if o == a:
            continue
        e = _find(start, dst, edge, o, a)
        if e < 0:
            continue
        about = _find(start, dst, edge, o, r) if norm != 0 and o != r else -1
        key[m] = e * 2 + (1 if u[e] != o else 0)
        target[m] = 1.0 if _judged(o, r, gave[k], about, u, image, norm, bad_below) else 0.0
        m += 1
    return _revise(key, target, m, image, weight, powers, size, seen, moved)


@njit(cache=True, nogil=True)
def connect(a, b, alive, deg, max_ties, sorted_keys):  # pragma: no cover - compiled
    """The ties ``contacts.connect`` would make and ``TieGraph.add`` append: ``(a, b, keys)``
    in ascending key order.

    Proposals between live, distinct members are taken in order, each member's place held
    by every earlier proposal naming it; of those with room, the first proposal of each
    pair that is not yet tied.
    """
    n = len(a)
    held = np.zeros(len(alive), np.int64)
    key = np.empty(n, np.int64)
    pos = np.empty(n, np.int64)
    m = 0
    for k in range(n):
        x, y = a[k], b[k]
        if not (alive[x] and alive[y]) or x == y:
            continue
        ex = held[x]
        held[x] += 1
        ey = held[y]
        held[y] += 1
        if deg[x] + ex < max_ties and deg[y] + ey < max_ties:
            key[m] = min(x, y) * (np.int64(1) << 32) + max(x, y)
            pos[m] = k
            m += 1
    key = key[:m]
    pos = pos[:m]
    order = np.argsort(key, kind="mergesort")
    out_a = np.empty(m, np.int64)
    out_b = np.empty(m, np.int64)
    out_key = np.empty(m, np.int64)
    n_out = 0
    n_sk = len(sorted_keys)
    for j in range(m):
        q = key[order[j]]
        if j > 0 and q == key[order[j - 1]]:
            continue  # a later proposal of the same pair
        if n_sk:
            i = min(np.searchsorted(sorted_keys, q), n_sk - 1)
            if sorted_keys[i] == q:
                continue  # already tied
        out_a[n_out] = a[pos[order[j]]]
        out_b[n_out] = b[pos[order[j]]]
        out_key[n_out] = q
        n_out += 1
    return out_a[:n_out].copy(), out_b[:n_out].copy(), out_key[:n_out].copy()
