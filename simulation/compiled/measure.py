"""numba kernels of the weekly measurements (:mod:`simulation.metrics`).

| kernel | numpy twin |
|---|---|
| :func:`eligible_centres` | the members with two contacts or more, in ``sampled_clustering`` |
| :func:`closed_wedges` | the closed sampled wedges, in ``sampled_clustering`` (``TieGraph.has``) |
| :func:`largest_component` | the giant component (scipy's ``connected_components``) |
| :func:`week_measures` | the three above, the wedges' draws, the Gini coefficient, means and per-strategy sums of ``compute_metrics`` |
| :func:`pairwise_sum` | ``ndarray.sum`` of a contiguous float64 array (numpy's pairwise summation) |

The random numbers are drawn from the metrics' generator as the numpy code draws them (by the
caller for :func:`closed_wedges`; by :func:`week_measures` itself, from a handle of the generator,
:func:`.generator.handle`); counts are integers and sums are numpy's own (:func:`pairwise_sum`),
so the metrics come out the same.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .generator import generator

__all__ = ["eligible_centres", "closed_wedges", "largest_component", "pairwise_sum", "week_measures"]


@njit(cache=True, nogil=True)
def eligible_centres(start, alive_slots):  # pragma: no cover - compiled
    """The members of ``alive_slots`` with at least two contacts, in the same order."""
    n = 0
    for i in alive_slots:
        if start[i + 1] - start[i] >= 2:
            n += 1
    out = np.empty(n, np.int64)
    n = 0
    for i in alive_slots:
        if start[i + 1] - start[i] >= 2:
            out[n] = i
            n += 1
    return out


@njit(cache=True, nogil=True)
def closed_wedges(centre, first_draw, second_draw, start, dst):  # pragma: no cover - compiled
    """How many of the wedges are closed: ``centre[j]`` and two distinct contacts picked
    by the uniforms ``first_draw[j]`` and ``second_draw[j]`` as ``sampled_clustering`` picks
    them (``(u * d).astype(int64)``, the second skipping the first), tied to each other."""
    closed = 0
    for j in range(len(centre)):
        lo = start[centre[j]]
        d = start[centre[j] + 1] - lo
        first = np.int64(first_draw[j] * d)
        second = np.int64(second_draw[j] * (d - 1))
        if second >= first:
            second += 1
        a = dst[lo + first]
        b = dst[lo + second]
        if start[b + 1] - start[b] < start[a + 1] - start[a]:
            a, b = b, a  # the shorter list of contacts is looked through
        for k in range(start[a], start[a + 1]):
            if dst[k] == b:
                closed += 1
                break
    return closed


@njit(cache=True, nogil=True)
def largest_component(start, dst, alive):  # pragma: no cover - compiled
    """Live members in the largest connected component of the contact index."""
    n = len(start) - 1
    seen = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int64)
    best = 0
    for s in range(n):
        if seen[s] or not alive[s]:
            continue
        seen[s] = True
        stack[0] = s
        top = 1
        count = 0
        while top:
            top -= 1
            x = stack[top]
            if alive[x]:
                count += 1
            for k in range(start[x], start[x + 1]):
                y = dst[k]
                if not seen[y]:
                    seen[y] = True
                    stack[top] = y
                    top += 1
        best = max(best, count)
    return best


@njit(cache=True, nogil=True)
def _block_sum(a, lo, n):  # pragma: no cover - compiled
    """numpy's pairwise summation of ``a[lo:lo + n]`` for ``n <= 128`` (no more splitting)."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    m = n - n % 8
    i = 8
    while i < m:
        k = lo + i
        r0 += a[k]
        r1 += a[k + 1]
        r2 += a[k + 2]
        r3 += a[k + 3]
        r4 += a[k + 4]
        r5 += a[k + 5]
        r6 += a[k + 6]
        r7 += a[k + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(i, n):
        res += a[lo + j]
    return res


@njit(cache=True, nogil=True)
def pairwise_sum(a, lo, n):  # pragma: no cover - compiled
    """``a[lo:lo + n].sum()`` as numpy sums a contiguous float64 array: its pairwise summation
    (blocks below 8 summed in turn, up to 128 with eight running sums, larger ones split in two
    at a multiple of 8, the left half's sum plus the right half's), so the same number to the
    last bit.  The halving is walked with a stack of its own (numba's cached code of a
    recursive function crashed when loaded)."""
    if n <= 128:
        return _block_sum(a, lo, n)
    los = np.empty(64, np.int64)
    ns = np.empty(64, np.int64)
    left_done = np.zeros(64, np.bool_)
    left = np.empty(64)
    d = 0
    los[0] = lo
    ns[0] = n
    while True:
        if ns[d] > 128:  # split: the left half first
            half = ns[d] // 2
            half -= half % 8
            left_done[d] = False
            los[d + 1] = los[d]
            ns[d + 1] = half
            d += 1
            continue
        v = _block_sum(a, los[d], ns[d])
        while True:  # hand the sum up until a right half is still to do
            if d == 0:
                return v
            d -= 1
            if not left_done[d]:
                left_done[d] = True
                left[d] = v
                half = ns[d] // 2
                half -= half % 8
                los[d + 1] = los[d] + half
                ns[d + 1] = ns[d] - half
                d += 1
                break
            v = left[d] + v


@njit(cache=True, nogil=True)
def _wedge_draws(gen, eligible, samples):  # pragma: no cover - compiled
    """``metrics._wedge_draws``: ``samples`` centres among ``eligible`` (``integers``), then
    ``samples`` uniforms for the first contacts and ``samples`` for the second, in that order."""
    pick = gen.integers(0, len(eligible), samples)
    centre = np.empty(samples, np.int64)
    for j in range(samples):
        centre[j] = eligible[pick[j]]
    first = np.empty(samples)
    for j in range(samples):
        first[j] = gen.random()
    second = np.empty(samples)
    for j in range(samples):
        second[j] = gen.random()
    return centre, first, second


@njit(cache=True, nogil=True)
def week_measures(
    rng,
    samples,
    start,
    dst,
    alive,
    alive_slots,
    wealth,
    strategy,
    n_strategies,
    live,
    trust,
    strength,
):  # pragma: no cover - compiled
    """The week's measurements that read arrays, in one pass each, as ``metrics.compute_metrics``
    makes them with numpy: how many of ``alive_slots`` have two contacts or more
    (:func:`eligible_centres`) and how many of ``samples`` wedges around them drawn from ``rng``
    (a handle of the metrics' generator or the ``Generator``; as ``metrics._wedge_draws`` draws
    them, nothing drawn when no member is eligible) are closed (:func:`closed_wedges`), the live members in the largest component, the Gini coefficient of
    the members' wealth (``metrics.gini``), the sum of their wealth, the sums of trust (both
    directions) and strength over the ``live`` ties and how many there are, and the members and
    wealth of each strategy (``np.bincount``).  Sums are numpy's (:func:`pairwise_sum`), so the
    metrics come out the same."""
    eligible = eligible_centres(start, alive_slots)
    closed = 0
    if len(eligible):
        gen = generator(rng)
        centre, first_draw, second_draw = _wedge_draws(gen, eligible, samples)
        closed = closed_wedges(centre, first_draw, second_draw, start, dst)
    giant = largest_component(start, dst, alive)
    n = len(alive_slots)
    w = np.empty(n)
    x = np.empty(n)
    counts = np.zeros(n_strategies, np.int64)
    sums = np.zeros(n_strategies)
    for j in range(n):
        i = alive_slots[j]
        w[j] = wealth[i]
        x[j] = wealth[i] if wealth[i] > 0.0 or np.isnan(wealth[i]) else 0.0
        counts[strategy[i]] += 1
        sums[strategy[i]] += wealth[i]
    wealth_sum = pairwise_sum(w, 0, n)
    x.sort()
    total = pairwise_sum(x, 0, n)
    gini = 0.0
    if n and not total <= 0:  # as metrics.gini: NaN goes on
        for j in range(1, n):
            x[j] += x[j - 1]
        gini = (n + 1 - 2 * (pairwise_sum(x, 0, n) / total)) / n
    m = len(live)
    t = np.empty(2 * m)
    s = np.empty(m)
    for k in range(m):
        e = live[k]
        t[2 * k] = trust[e, 0]
        t[2 * k + 1] = trust[e, 1]
        s[k] = strength[e]
    return (
        closed,
        len(eligible),
        giant,
        gini,
        wealth_sum,
        pairwise_sum(t, 0, 2 * m),
        pairwise_sum(s, 0, m),
        m,
        counts,
        sums,
    )
