"""numba kernels of the favours of the week: who gives when asked, who refers a client.

| kernel | numpy twin |
|---|---|
| :func:`giving` | :meth:`simulation.mechanisms.giving.Giving.step` |
| :func:`referrals` | :meth:`simulation.mechanisms.referrals.Referrals.step` (but paying and the news) |
| :func:`news_heard` | :meth:`simulation.mechanisms.standing.Standing.step` (who hears of the deeds, and the judging) |

Unlike :mod:`.kernels`, these kernels draw their random numbers themselves, from the
model's own generator (numba runs numpy's ``Generator`` on the same bit generator and
state, with numpy's algorithms for ``random``, ``integers`` and ``permutation``), in the
order the numpy code draws them; so the generator is left in the same state and both
paths give the same run (``tests/test_compiled.py``).  The generator is handed to the kernels
called from Python as a handle (:func:`.generator.handle`; a ``Generator`` is taken too).

The built-in strategies decide here from a table of codes (:mod:`.codes`) and parameters
(:func:`simulation.strategies.builtin.strategy_table`); a model with any other strategy (a
user's, or a subclass of a built-in one) has no table, and its favours take the numpy path, which asks each
strategy's :meth:`~simulation.strategies.Strategy.gives`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .codes import GIVES, MATCHES, NEVER, OTHERISH
from .generator import generator
from .kernels import _find, _judged, _revise, _standing, asking_candidates, asking_plan, exchange

__all__ = ["giving", "referrals", "refer", "told_count", "news_heard", "favours_week"]


@njit(cache=True)
def _gives(code, par, balance, reputation, draw, expects):  # pragma: no cover - compiled
    """A built-in strategy's ``gives`` for one request (``draw``: the uniform of a matcher
    following its beliefs or of an otherish giver that forgives)."""
    if code == GIVES:
        return True
    if code == NEVER:
        return False
    if code == OTHERISH:  # screened by standing; what the asker owes it forgiven with chance par[2]
        if reputation < par[0]:
            return False
        return reputation >= par[3] or balance < par[1] or (par[2] > 0.0 and draw < par[2])
    credit = balance < par[0] and reputation >= par[1]
    if par[2] != 0.0:
        credit = credit or reputation >= par[5]
    if par[3] != 0.0:
        credit = credit and draw < par[4] * expects
    return balance < 0 or credit


@njit(cache=True)
def _draws(gen, giver, idx, m, strategy, code, par, out):  # pragma: no cover - compiled
    """The uniforms ``GiveTakeModel.decide`` draws for the requests ``idx[:m]``: each
    strategy that draws (a matcher following its beliefs, an otherish giver that
    forgives), in the order of the strategies, one for each of its requests in turn."""
    for s in range(len(code)):
        if (code[s] == MATCHES and par[s, 3] != 0.0) or (code[s] == OTHERISH and par[s, 2] > 0.0):
            for j in range(m):
                if strategy[giver[idx[j]]] == s:
                    out[j] = gen.random()


@njit(cache=True)
def giving(
    rng,
    giver,
    asker,
    edge,
    side,
    rnd,
    need,
    n_slots,
    capacity,
    by_standing,
    strategy,
    code,
    par,
    uses_standing,
    u,
    image,
    ledger,
    public_gifts,
    public_refusals,
    expectation,
):  # pragma: no cover - compiled
    """The rounds of asking (``Giving.step``): positions in the plan of the gifts (in the
    order the numpy code lists them: round by round, by giver, then as each giver chose)
    and of the refusals (round by round, in plan order), and the number of requests made."""
    gen = generator(rng)
    n = len(giver)
    open_need = np.empty(n_slots, np.bool_)
    for i in range(n_slots):
        open_need[i] = need[i] >= 0
    remaining = np.full(n_slots, capacity, np.int64)
    rounds = 0
    for k in range(n):
        rounds = max(rounds, rnd[k] + 1)
    # the plan's positions grouped by round, each round's in plan order (a counting sort)
    by_round = np.zeros(rounds + 1, np.int64)
    for k in range(n):
        by_round[rnd[k] + 1] += 1
    for r in range(rounds):
        by_round[r + 1] += by_round[r]
    in_round = np.empty(n, np.int64)
    fill = by_round[:rounds].copy()
    for k in range(n):
        in_round[fill[rnd[k]]] = k
        fill[rnd[k]] += 1
    gifts = np.empty(n, np.int64)
    refused = np.empty(n, np.int64)
    sel = np.empty(n, np.int64)
    draw = np.zeros(n)
    yes = np.empty(n, np.int64)
    standing = np.empty(n)
    n_gifts = 0
    n_refused = 0
    n_requests = 0
    for r in range(rounds):
        m = 0
        for t in range(by_round[r], by_round[r + 1]):  # this round's requests, their askers still in need
            k = in_round[t]
            sel[m] = k
            m += open_need[asker[k]]
        if m == 0:
            continue
        n_requests += m
        _draws(gen, giver, sel, m, strategy, code, par, draw)
        n_yes = 0
        for j in range(m):
            k = sel[j]
            g, e, s = giver[k], edge[k], side[k]
            st = _standing(uses_standing, g, asker[k], e, u, image, public_gifts, public_refusals)
            balance = ledger[e, 1 - s] - ledger[e, s]
            c = strategy[g]
            if _gives(code[c], par[c], balance, st, draw[j], expectation[g]):
                yes[n_yes] = j
                standing[j] = st
                n_yes += 1
            else:
                refused[n_refused] = k
                n_refused += 1
        # a giver with more requests than time helps those it thinks best of first (ties
        # broken at random), then capacity: the permutation, then stable sorts as lexsort
        order = yes[:n_yes][gen.permutation(n_yes)]
        if by_standing:
            key = np.empty(n_yes)
            for t in range(n_yes):
                key[t] = -standing[order[t]]
            order = order[np.argsort(key, kind="mergesort")]
        gkey = np.empty(n_yes, np.int64)
        for t in range(n_yes):
            gkey[t] = giver[sel[order[t]]]
        order = order[np.argsort(gkey, kind="mergesort")]
        for t in range(n_yes):
            k = sel[order[t]]
            g = giver[k]
            if remaining[g] > 0:
                remaining[g] -= 1
                open_need[asker[k]] = False
                gifts[n_gifts] = k
                n_gifts += 1
    return gifts[:n_gifts].copy(), refused[:n_refused].copy(), n_requests


@njit(cache=True)
def referrals(
    rng,
    alive,
    p_lead,
    skills,
    start,
    dst,
    edge,
    side,
    strength,
    exploration,
    strategy,
    code,
    par,
    uses_standing,
    u,
    image,
    ledger,
    public_gifts,
    public_refusals,
    expectation,
):  # pragma: no cover - compiled
    """Who refers a client to whom (``Referrals.step`` up to the strategies' decision):
    ``(referrer, receiver, edge, side)`` of the referrals made, by referrer, ``side`` the
    referrer's direction on the tie."""
    gen = generator(rng)
    n_slots = len(start) - 1
    none = np.zeros(0, np.int64)
    referrer = np.empty(len(alive), np.int64)
    n_ref = 0
    for i in range(len(alive)):  # without a branch on the draw
        referrer[n_ref] = alive[i]
        n_ref += gen.random() < p_lead
    if n_ref == 0:
        return none, none, none, none
    # the client's need: a skill the referrer lacks (the first of the highest draws)
    n_skills = skills.shape[1]
    need_of = np.full(n_slots, -1, np.int64)
    for j in range(n_ref):
        r = referrer[j]
        best, pick = 0.0, 0
        for q in range(n_skills):
            x = gen.random()
            if skills[r, q]:
                x = -1.0
            if q == 0 or x > best:
                best, pick = x, q
        need_of[r] = pick
    # contacts who have the skill, best first in the referrer's eyes: listed in one pass
    # without a branch on the skill (as asking's candidates), then scored
    cand = np.empty(start[n_slots], np.int64)
    cand_src = np.empty(start[n_slots], np.int64)
    n_cand = 0
    for i in range(n_slots):
        q = need_of[i]
        if q >= 0:
            for k in range(start[i], start[i + 1]):
                cand[n_cand] = k
                cand_src[n_cand] = i
                n_cand += skills[dst[k], q]
    if n_cand == 0:
        return none, none, none, none
    score = np.empty(n_cand)
    for c in range(n_cand):
        k = cand[c]
        e = edge[k]
        st = _standing(uses_standing, cand_src[c], dst[k], e, u, image, public_gifts, public_refusals)
        score[c] = st * strength[e]
    for c in range(n_cand):
        score[c] = score[c] + exploration * gen.random()
    # each referrer's best (the first of equal scores)
    best_k = np.empty(n_ref, np.int64)
    g = np.empty(n_ref, np.int64)
    n_best = 0
    lo = 0
    while lo < n_cand:
        hi = lo
        top = lo
        while hi < n_cand and cand_src[hi] == cand_src[lo]:
            if score[hi] > score[top]:
                top = hi
            hi += 1
        best_k[n_best] = cand[top]
        g[n_best] = cand_src[lo]
        n_best += 1
        lo = hi
    # the referrer's strategy decides, as when asked for a favour
    idx = np.arange(n_best)
    draw = np.zeros(n_best)
    _draws(gen, g, idx, n_best, strategy, code, par, draw)
    out_src = np.empty(n_best, np.int64)
    out_dst = np.empty(n_best, np.int64)
    out_edge = np.empty(n_best, np.int64)
    out_side = np.empty(n_best, np.int64)
    n_yes = 0
    for j in range(n_best):
        k = best_k[j]
        src, e, s = g[j], edge[k], side[k]
        st = _standing(uses_standing, src, dst[k], e, u, image, public_gifts, public_refusals)
        balance = ledger[e, s] - ledger[e, 1 - s]
        c = strategy[src]
        if _gives(code[c], par[c], balance, st, draw[j], expectation[src]):
            out_src[n_yes] = src
            out_dst[n_yes] = dst[k]
            out_edge[n_yes] = e
            out_side[n_yes] = s
            n_yes += 1
    return out_src[:n_yes].copy(), out_dst[:n_yes].copy(), out_edge[:n_yes].copy(), out_side[:n_yes].copy()


@njit(cache=True, nogil=True)
def told_count(g_recipient, r_recipient, start):  # pragma: no cover - compiled
    """How many contacts the recipients of the week's deeds have between them (the draws
    :func:`news_heard` needs)."""
    total = 0
    for r in g_recipient:
        total += start[r + 1] - start[r]
    for r in r_recipient:
        total += start[r + 1] - start[r]
    return total


@njit(cache=True, nogil=True)
def news_heard(
    uniform,
    g_actor,
    g_recipient,
    r_actor,
    r_recipient,
    start,
    dst,
    edge,
    gossip,
    u,
    image,
    norm,
    weight,
    bad_below,
    powers,
    size,
    seen,
    moved,
    mark,
):  # pragma: no cover - compiled
    """Who hears of the week's deeds and what they make of it (``Standing.step``): the gifts,
    then the refusals, each seen by its recipient, who tells each of its contacts with
    chance ``gossip`` (``uniform``: one draw per contact, as :func:`told_count` counts them,
    drawn by the caller in one call as the numpy code draws them), judged as
    :func:`simulation.compiled.kernels.hear` judges news but without lists of observers:
    the same observers judge the same deeds in the same order (every recipient first, then
    those told, deed by deed) and the same views are revised.  Returns how many observers
    revised their view, or ``-1`` (nothing changed) when ``powers`` is too short, and how
    many observers there were.

    An observer told by the recipient is one of its contacts, so the tie between the two is
    the one the news travelled along; whether it knows the actor is read from ``mark`` (one
    entry per member, zero on entry and left so), where the actor's contacts are marked
    while a deed's news is passed on, instead of being looked up one observer at a time."""
    n_g = len(g_actor)
    n = n_g + len(r_actor)
    n_told = 0
    for q in range(len(uniform)):  # without branches: told or not is a coin toss
        n_told += uniform[q] < gossip
    key = np.empty(n + n_told, np.int64)
    target = np.empty(n + n_told)
    m = 0
    for j in range(n):  # each recipient saw the deed done to it
        a = g_actor[j] if j < n_g else r_actor[j - n_g]
        r = g_recipient[j] if j < n_g else r_recipient[j - n_g]
        if r == a:
            continue
        e = _find(start, dst, edge, r, a)
        if e < 0:
            continue
        key[m] = e * 2 + (1 if u[e] != r else 0)
        target[m] = 1.0 if j < n_g else 0.0
        m += 1
    q = 0
    told_k = np.empty(len(uniform) + 1, np.int64)  # the contacts one deed's recipient tells
    for j in range(n):  # and told each of its contacts with chance gossip
        a = g_actor[j] if j < n_g else r_actor[j - n_g]
        r = g_recipient[j] if j < n_g else r_recipient[j - n_g]
        gave = j < n_g
        lo, hi = start[r], start[r + 1]
        told = 0
        for k in range(lo, hi):  # listed without branches, in index order
            told_k[told] = k
            told += uniform[q + k - lo] < gossip
        marked = told >= 2
        if marked:
            for k in range(start[a], start[a + 1]):
                mark[dst[k]] = edge[k] + 1
        for t in range(told):
            k = told_k[t]
            o = dst[k]
            if o == a:
                continue
            e = mark[o] - 1 if marked else _find(start, dst, edge, o, a)
            if e < 0:
                continue
            key[m] = e * 2 + (1 if u[e] != o else 0)
            target[m] = 1.0 if _judged(o, r, gave, edge[k], u, image, norm, bad_below) else 0.0
            m += 1
        if marked:
            for k in range(start[a], start[a + 1]):
                mark[dst[k]] = 0
        q += hi - lo
    return _revise(key, target, m, image, weight, powers, size, seen, moved), n + n_told


@njit(cache=True)
def _needs(gen, size, alive, need, skills, p_need):  # pragma: no cover - compiled
    """``Needs.step``: each live member needs, with chance ``p_need``, a skill it lacks (the
    first of the highest draws); returns how many do."""
    n_skills = skills.shape[1]
    live = np.empty(size, np.int64)
    n_live = 0
    for i in range(size):  # lists without branches: every entry written, the count moved on a hit
        need[i] = -1
        live[n_live] = i
        n_live += alive[i]
    needy = np.empty(n_live, np.int64)
    n_needy = 0
    for j in range(n_live):
        needy[n_needy] = live[j]
        n_needy += gen.random() < p_need
    for j in range(n_needy):
        m = needy[j]
        best, pick = 0.0, 0
        for q in range(n_skills):
            x = gen.random()
            if skills[m, q]:
                x = -1.0
            if q == 0 or x > best:
                best, pick = x, q
        need[m] = pick
    return n_needy


@njit(cache=True)
def _known(gen, who, gossip, public):  # pragma: no cover - compiled
    """``Reputation.step`` for one kind of deed: each becomes public with chance ``gossip``."""
    for i in range(len(who)):
        if gen.random() < gossip:
            public[who[i]] += 1.0


@njit(cache=True)
def favours_week(
    rng,
    size,
    alive,
    need,
    skills,
    p_need,
    start,
    dst,
    edge,
    side,
    trust,
    strength,
    exploration,
    strategy,
    limit_of,
    capacity,
    by_standing,
    code,
    par,
    uses_standing,
    u,
    image,
    ledger,
    public_gifts,
    public_refusals,
    expectation,
    wealth,
    gifts_given,
    gifts_received,
    refusals,
    last_used,
    n_ties,
    steps,
    b,
    c,
    trust_gain,
    trust_loss,
    strength_powers,
    belief_powers,
    gossip,
    forgetting,
):  # pragma: no cover - compiled
    """Needs, asking, giving, exchange and reputation in one call, with the same draws in the
    same order as the five stages one after the other (``simulation.mechanisms.fused``).

    ``strength_powers[k]`` is ``(1 - strength_gain) ** k`` and ``belief_powers[k]`` is
    ``(1 - belief_weight) ** k`` as numpy computes them (``belief_powers`` empty: beliefs
    do not change); ``forgetting`` the reputation's share forgotten a week.  Returns the
    week's plan, gifts and refusals (each ``giver, asker, edge, side, round``), the number
    of members in need and of requests made.
    """
    gen = generator(rng)
    n_needs = _needs(gen, size, alive, need, skills, p_need)
    cand = asking_candidates(size, start, dst, need, skills)
    noise = np.empty(len(cand))
    for j in range(len(cand)):
        noise[j] = gen.random()
    giver, asker, p_edge, p_side, rnd = asking_plan(
        cand, noise, start, dst, edge, side, trust, strength, exploration, strategy, limit_of
    )
    gifts, refused, n_requests = giving(
        gen,
        giver,
        asker,
        p_edge,
        p_side,
        rnd,
        need,
        size,
        capacity,
        by_standing,
        strategy,
        code,
        par,
        uses_standing,
        u,
        image,
        ledger,
        public_gifts,
        public_refusals,
        expectation,
    )
    gg, ga, ge, gs, gr = giver[gifts], asker[gifts], p_edge[gifts], p_side[gifts], rnd[gifts]
    rg, ra, re, rs, rr = giver[refused], asker[refused], p_edge[refused], p_side[refused], rnd[refused]
    # at most two gifts cross a tie in a week (one each way: a gift closes its asker's need)
    if len(strength_powers) < 3:
        raise ValueError("strength_powers needs at least three powers")
    exchange(
        gg,
        ga,
        ge,
        gs,
        rg,
        re,
        rs,
        wealth,
        need,
        gifts_given,
        gifts_received,
        refusals,
        strength,
        trust,
        ledger,
        last_used,
        n_ties,
        steps,
        b,
        c,
        trust_gain,
        trust_loss,
        strength_powers,
    )
    if len(belief_powers) and len(ga) + len(ra):
        # Exchange.update_expectations: r refusals then g gifts, x <- keep^(r+g) x + (1 - keep^g)
        helped = np.zeros(size, np.int64)
        answered = np.zeros(size, np.int64)
        for a in ga:
            helped[a] += 1
            answered[a] += 1
        for a in ra:
            answered[a] += 1
        for i in range(size):
            if answered[i]:
                if answered[i] >= len(belief_powers):
                    raise ValueError("belief_powers too short")
                expectation[i] = belief_powers[answered[i]] * expectation[i] + (
                    1.0 - belief_powers[helped[i]]
                )
    if forgetting:
        factor = 1.0 - forgetting
        for i in range(size):
            public_gifts[i] *= factor
        for i in range(size):
            public_refusals[i] *= factor
    _known(gen, gg, gossip, public_gifts)
    _known(gen, rg, gossip, public_refusals)
    return giver, asker, p_edge, p_side, rnd, gg, ga, ge, gs, gr, rg, ra, re, rs, rr, n_needs, n_requests


@njit(cache=True, nogil=True)
def refer(
    src,
    dst,
    edge,
    side,
    wealth,
    ledger,
    trust,
    strength,
    last_used,
    referrals_received,
    steps,
    cost,
    value,
    trust_gain,
    strength_gain,
):  # pragma: no cover - compiled
    """``Referrals.refer`` but the welfare sum and the news: ``src[k]`` refers a client to
    ``dst[k]`` along ``edge[k]`` (``side[k]``: the referrer's direction on it)."""
    n = len(src)
    for k in range(n):
        wealth[src[k]] += -cost
    for k in range(n):
        wealth[dst[k]] += value
    for k in range(n):
        ledger[edge[k], side[k]] += 1
    # fancy assignments: every new value from the old ones, then written
    new = np.empty(n)
    for k in range(n):
        t = trust[edge[k], 1 - side[k]]
        new[k] = t + trust_gain * (1.0 - t)
    for k in range(n):
        trust[edge[k], 1 - side[k]] = new[k]
    for k in range(n):
        s = strength[edge[k]]
        new[k] = s + strength_gain * (1.0 - s)
    for k in range(n):
        strength[edge[k]] = new[k]
    for k in range(n):
        last_used[edge[k]] = steps
    for k in range(n):
        referrals_received[dst[k]] += 1
