"""A fast Holme–Kim generator: clustered scale-free graphs drawn from a numpy Generator.

Holme & Kim (2002, *Phys. Rev. E* 65:026107) grow a graph one node at a time:
each new node makes ``m`` ties; the first goes to an existing node chosen with
probability proportional to its degree (preferential attachment, PA); each further
tie is, with probability ``p``, a *triad formation* step -- a tie to a random
neighbour of the node last reached by PA that is not yet a contact -- and
otherwise another PA step.  When the PA target has no such neighbour, the step
falls back to PA.  The seed graph is ``m`` isolated nodes, which the first new
node joins (as networkx's ``powerlaw_cluster_graph`` does).

Every random number comes from the caller's :class:`numpy.random.Generator` as
one array of uniforms, consumed in order by the kernel, so the compiled kernel
(numba, when installed) and its plain-Python twin produce the same graph for
the same seed.  As in networkx, a newcomer's ``m`` PA targets are drawn (distinct,
degree-proportional) before it makes any tie and are used in the order networkx's
set of them yields (by node number modulo the set's table size): that order decides
around which node triads form, and with it the hubs' degrees and the clustering.  A
PA target already reached by a triad step is not tied twice, so a newcomer
occasionally makes fewer than ``m`` ties, as in networkx.  Only the random numbers
differ from networkx's (numpy instead of Python's ``random``), so the graphs agree
in distribution, not edge for edge (``tests/test_holme_kim.py``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["holme_kim_edges", "COMPILED"]

try:  # numba compiles the kernel; without it the same code runs as plain Python (slowly)
    from numba import njit

    COMPILED = True
except ImportError:  # pragma: no cover - numba is a dependency; kept for platforms without it
    COMPILED = False

    def njit(*_args, **_kwargs):
        return lambda f: f


@njit(cache=True, nogil=True)
def _append(pool, top, start, cap, deg, v, w):  # pragma: no cover - compiled
    """Add ``w`` to ``v``'s neighbours (a block of ``pool`` that doubles when full)."""
    if deg[v] == cap[v]:
        new_cap = 2 * cap[v]
        if top + new_cap > pool.shape[0]:
            bigger = np.empty(2 * pool.shape[0] + new_cap, pool.dtype)
            bigger[:top] = pool[:top]
            pool = bigger
        pool[top : top + deg[v]] = pool[start[v] : start[v] + deg[v]]
        start[v] = top
        cap[v] = new_cap
        top += new_cap
    pool[start[v] + deg[v]] = w
    deg[v] += 1
    return pool, top


@njit(cache=True, nogil=True)
def _grow(
    n: int, m: int, p: float, mask: int, u: np.ndarray
):  # pragma: no cover - compiled (tested via py_func)
    """Edges ``(src, dst)`` of a Holme–Kim graph and the uniforms used (``-1``: ``u`` ran out)."""
    n_edges = m * (n - m)
    src = np.empty(n_edges, np.int64)
    dst = np.empty(n_edges, np.int64)
    # neighbour lists: node v's are pool[start[v] : start[v] + deg[v]], in the order the ties were made
    pool = np.empty(2 * n * 2 * m, np.int64)
    start = np.empty(n, np.int64)
    cap = np.full(n, 2 * m, np.int64)
    deg = np.zeros(n, np.int64)
    top = 0
    for v in range(m):
        start[v] = top
        top += 2 * m
    # every node once per tie end (plus the seed nodes once): uniform picks are degree-proportional
    repeated = np.empty(2 * n_edges + m, np.int64)
    for i in range(m):
        repeated[i] = i
    n_rep = m
    contact = np.full(n, -1, np.int64)  # contact[w] == s: w is already a contact of s
    targets = np.empty(m, np.int64)
    e = 0
    k = 0  # next uniform
    n_u = u.shape[0]
    for s in range(m, n):
        start[s] = top
        top += 2 * m
        if top > pool.shape[0]:
            bigger = np.empty(2 * pool.shape[0], pool.dtype)
            bigger[: top - 2 * m] = pool[: top - 2 * m]
            pool = bigger
        # m distinct preferential-attachment targets, drawn before any tie is made, used in the
        # order networkx's set of targets yields them (by node number & mask, then as drawn)
        for t in range(m):
            while True:
                if k >= n_u:
                    return src, dst, -1
                w = repeated[min(int(u[k] * n_rep), n_rep - 1)]
                k += 1
                new = True
                for c in range(t):
                    if targets[c] == w:
                        new = False
                if new:
                    break
            c = t  # stable insertion sort by node number & mask
            while c > 0 and (targets[c - 1] & mask) > (w & mask):
                targets[c] = targets[c - 1]
                c -= 1
            targets[c] = w
        used = 0
        target = -1
        count = 0
        while count < m:
            chosen = -1
            if count > 0:
                if k >= n_u:
                    return src, dst, -1
                tri = u[k] < p
                k += 1
                if tri:
                    # triad formation: a uniform neighbour of target that is neither s nor already
                    # a contact of s.  At most `count` of target's neighbours are (s is one, the
                    # other contacts of s may be), so with more neighbours than that one is found
                    # by redrawing; otherwise they are counted and one is picked.
                    base = start[target]
                    d = deg[target]
                    if d > count:
                        while chosen < 0:
                            if k >= n_u:
                                return src, dst, -1
                            w = pool[base + min(int(u[k] * d), d - 1)]
                            k += 1
                            if w != s and contact[w] != s:
                                chosen = w
                    else:
                        valid = 0
                        for j in range(d):
                            w = pool[base + j]
                            if w != s and contact[w] != s:
                                valid += 1
                        if valid > 0:
                            if k >= n_u:
                                return src, dst, -1
                            pick = min(int(u[k] * valid), valid - 1)
                            k += 1
                            for j in range(d):
                                w = pool[base + j]
                                if w != s and contact[w] != s:
                                    if pick == 0:
                                        chosen = w
                                        break
                                    pick -= 1
            if chosen < 0:  # preferential attachment: the next target
                chosen = targets[used]
                used += 1
                target = chosen
            count += 1
            repeated[n_rep] = chosen
            n_rep += 1
            if contact[chosen] == s:  # already tied through a triad: no second tie
                continue
            contact[chosen] = s
            src[e] = s
            dst[e] = chosen
            e += 1
            pool, top = _append(pool, top, start, cap, deg, s, chosen)
            pool, top = _append(pool, top, start, cap, deg, chosen, s)
        for _ in range(m):
            repeated[n_rep] = s
            n_rep += 1
    return src[:e], dst[:e], k


def _set_table_size(m: int) -> int:
    """Slots of a CPython set after ``m`` distinct int insertions (``Objects/setobject.c``)."""
    size = 8
    for used in range(1, m + 1):
        if used * 5 >= (size - 1) * 3:
            size = 8
            while size <= used * 4:
                size *= 2
    return size


def holme_kim_edges(
    n: int, m: int, p: float, rng: np.random.Generator, *, compiled: bool = True
) -> np.ndarray:
    """Edges ``(m * (n - m), 2)`` of a Holme–Kim graph on nodes ``0..n-1``, each new node making ``m`` ties.

    ``p`` is the chance of a triad formation step.  Same ``rng`` state, same graph,
    whether compiled or not (``compiled=False`` runs the plain-Python kernel).

    >>> e = holme_kim_edges(100, 3, 0.5, np.random.default_rng(1))
    >>> e.shape, bool((e[:, 0] > e[:, 1]).all())
    ((291, 2), True)
    """
    if not 1 <= m < n:
        raise ValueError(f"holme_kim_edges: need 1 <= m < n, got m={m}, n={n}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"holme_kim_edges: p must be in [0, 1], got {p}")
    kernel = _grow if compiled else getattr(_grow, "py_func", _grow)
    mask = _set_table_size(m) - 1
    # about 2 uniforms per tie on average; more are drawn (and the graph regrown) if needed
    u = rng.random(3 * m * (n - m) + 1024)
    while True:
        src, dst, used = kernel(n, m, float(p), mask, u)
        if used >= 0:
            return np.stack([src, dst], axis=1)
        u = np.concatenate([u, rng.random(u.shape[0])])
