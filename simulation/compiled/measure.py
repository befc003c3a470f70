"""numba kernels of the weekly measurements (:mod:`simulation.metrics`).

| kernel | numpy twin |
|---|---|
| :func:`eligible_centres` | the members with two contacts or more, in ``sampled_clustering`` |
| :func:`closed_wedges` | the closed sampled wedges, in ``sampled_clustering`` (``TieGraph.has``) |
| :func:`largest_component` | the giant component (scipy's ``connected_components``) |

The random numbers are drawn by the caller from the metrics' generator, as the numpy code
draws them; counts are integers, so the metrics come out the same.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["eligible_centres", "closed_wedges", "largest_component"]


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
