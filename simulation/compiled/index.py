"""numba kernels that keep the contact index and the tie store up to date.

| kernel | numpy twin |
|---|---|
| :func:`directed_update` | :meth:`simulation.ties.TieGraph.directed` (brought up to date instead of rebuilt) |
| :func:`touching` | :meth:`simulation.ties.TieGraph.touching` |
| :func:`remove` | :meth:`simulation.ties.TieGraph.remove` |
| :func:`remove_touching` | :meth:`simulation.ties.TieGraph.remove_members` (the ties :meth:`~simulation.ties.TieGraph.touching` finds, looked up in an earlier contact index, then :func:`remove`) |
| :func:`append` | :meth:`simulation.ties.TieGraph.append_new` |
| :func:`connect_append` | :func:`simulation.mechanisms.contacts.connect` (``kernels.connect``, then :func:`append`) |

The contact index (``TieGraph.directed``) lists, for each member, the live ties where it
is the tie's ``u`` in tie order, then those where it is the ``v`` in tie order.  Ties are
only ever removed (marked dead) or appended with higher indices between two compactions,
so an index built earlier can be brought up to date in one streaming pass: drop the
entries of dead ties and put each new tie at the end of its two members' ``u`` and ``v``
parts.  The result is the index a rebuild would give, array for array.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import connect

__all__ = ["directed_update", "touching", "remove", "remove_touching", "append", "connect_append"]


@njit(cache=True, nogil=True)
def directed_update(
    n_slots, start0, dst0, edge0, side0, first_new, removed, u, v, alive, size
):  # pragma: no cover - compiled
    """The contact index over ``n_slots`` members now, from one built when the tie arrays
    held ``first_new`` ties (``start0`` over at most ``n_slots`` members), ``removed`` the
    ties removed since (each once): ``dst, edge, side, start`` as
    :func:`simulation.compiled.kernels.directed` builds them.

    Members none of whose ties changed keep their part of the index, copied in blocks.
    """
    n0 = len(start0) - 1
    touched = np.zeros(n_slots, np.bool_)
    size_of = np.zeros(n_slots, np.int64)
    for i in range(n0):
        size_of[i] = start0[i + 1] - start0[i]
    for e in removed:
        if e < first_new:
            size_of[u[e]] -= 1
            size_of[v[e]] -= 1
            touched[u[e]] = True
            touched[v[e]] = True
    # the new ties, grouped by the member they start from: u-ends and v-ends apart
    n_u = np.zeros(n_slots + 1, np.int64)
    n_v = np.zeros(n_slots + 1, np.int64)
    for e in range(first_new, size):
        if alive[e]:
            n_u[u[e] + 1] += 1
            n_v[v[e] + 1] += 1
            touched[u[e]] = True
            touched[v[e]] = True
    start = np.zeros(n_slots + 1, np.int64)
    for i in range(n_slots):
        start[i + 1] = start[i] + size_of[i] + n_u[i + 1] + n_v[i + 1]
        n_u[i + 1] += n_u[i]
        n_v[i + 1] += n_v[i]
    new_u = np.empty(n_u[n_slots], np.int64)
    new_v = np.empty(n_v[n_slots], np.int64)
    fill_u = n_u[:n_slots].copy()
    fill_v = n_v[:n_slots].copy()
    for e in range(first_new, size):
        if alive[e]:
            new_u[fill_u[u[e]]] = e
            fill_u[u[e]] += 1
            new_v[fill_v[v[e]]] = e
            fill_v[v[e]] += 1
    nnz = start[n_slots]
    dst = np.empty(nnz, np.int64)
    edge = np.empty(nnz, np.int64)
    side = np.empty(nnz, np.int8)
    i = 0
    while i < n_slots:
        if not touched[i]:  # a run of members whose ties did not change: one block
            j = i + 1
            while j < n_slots and not touched[j]:
                j += 1
            lo = start0[min(i, n0)]
            hi = start0[min(j, n0)]
            p = start[i]
            dst[p : p + hi - lo] = dst0[lo:hi]
            edge[p : p + hi - lo] = edge0[lo:hi]
            side[p : p + hi - lo] = side0[lo:hi]
            i = j
            continue
        p = start[i]
        lo = start0[i] if i < n0 else 0
        hi = start0[i + 1] if i < n0 else 0
        k = lo
        while k < hi and side0[k] == 0:  # i is the tie's u: ties in index order
            if alive[edge0[k]]:
                dst[p] = dst0[k]
                edge[p] = edge0[k]
                side[p] = 0
                p += 1
            k += 1
        for j in range(n_u[i], n_u[i + 1]):
            e = new_u[j]
            dst[p] = v[e]
            edge[p] = e
            side[p] = 0
            p += 1
        while k < hi:  # i is the tie's v
            if alive[edge0[k]]:
                dst[p] = dst0[k]
                edge[p] = edge0[k]
                side[p] = 1
                p += 1
            k += 1
        for j in range(n_v[i], n_v[i + 1]):
            e = new_v[j]
            dst[p] = u[e]
            edge[p] = e
            side[p] = 1
            p += 1
        i += 1
    return dst, edge, side, start


@njit(cache=True, nogil=True)
def touching(members, n_slots, u, v, alive, size):  # pragma: no cover - compiled
    """The live ties with an end among ``members``, in index order
    (:meth:`simulation.ties.TieGraph.touching`)."""
    mark = np.zeros(n_slots, np.bool_)
    for m in members:
        mark[m] = True
    out = np.empty(size, np.int64)
    n = 0
    for i in range(size):  # without branches: every tie written, the count moved on hits
        out[n] = i
        n += alive[i] & (mark[u[i]] | mark[v[i]])
    return out[:n].copy()


@njit(cache=True, nogil=True)
def remove(edges, alive, u, v, deg, sorted_keys):  # pragma: no cover - compiled
    """Mark the live ones among ``edges`` dead (:meth:`simulation.ties.TieGraph.remove`):
    returns them (ascending, each once) and ``sorted_keys`` without their keys."""
    e = np.unique(edges)
    n = 0
    for i in e:
        if alive[i]:
            n += 1
    gone = np.empty(n, np.int64)
    n = 0
    for i in e:
        if alive[i]:
            gone[n] = i
            n += 1
    keys = np.empty(n, np.int64)
    for j in range(n):
        i = gone[j]
        alive[i] = False
        deg[u[i]] -= 1
        deg[v[i]] -= 1
        keys[j] = u[i] * (np.int64(1) << 32) + v[i]
    keys.sort()
    kept = np.empty(max(len(sorted_keys) - n, 0), np.int64)
    # the keys between two removed ones copied in blocks, each removed key found by a binary
    # search after the last: the array the element-by-element merge below gives
    at = np.empty(n, np.int64)
    lo = 0
    found = len(sorted_keys) - n == len(kept)
    for j in range(n):
        at[j] = lo + np.searchsorted(sorted_keys[lo:], keys[j])
        if at[j] >= len(sorted_keys) or sorted_keys[at[j]] != keys[j]:
            found = False  # a key not among them (they do not match the ties)
            break
        lo = at[j] + 1
    if found:
        lo = 0
        m = 0
        for j in range(n):
            kept[m : m + at[j] - lo] = sorted_keys[lo : at[j]]
            m += at[j] - lo
            lo = at[j] + 1
        kept[m:] = sorted_keys[lo:]
        return gone, kept
    j = 0
    m = 0
    for q in sorted_keys:
        if j < n and keys[j] == q:
            j += 1
        elif m < len(kept):
            kept[m] = q
            m += 1
    return gone, kept


@njit(cache=True, nogil=True)
def _touching_indexed(
    members, n_slots, start, edge, first_new, u, v, alive, size
):  # pragma: no cover - compiled
    """The ties with an end among ``members``, every live one at least once, in no order, with
    dead ones among them: the ties in the members' rows of an earlier contact index (``start``,
    ``edge``: built when ``first_new`` tie slots were used; ties since are only removed or
    appended) and those appended since with an end among them.  An index of no rows (``start``
    ``[0]``) and ``first_new`` 0 look through every tie slot, as :func:`touching` does."""
    rows = len(start) - 1
    found = 0
    for m in members:
        if m < rows:
            found += start[m + 1] - start[m]
    out = np.empty(found + max(size - first_new, 0), np.int64)
    n = 0
    for m in members:
        if m < rows:
            for k in range(start[m], start[m + 1]):
                out[n] = edge[k]
                n += 1
    if first_new < size:
        mark = np.zeros(n_slots, np.bool_)
        for m in members:
            mark[m] = True
        for i in range(first_new, size):  # without branches, as in touching
            out[n] = i
            n += alive[i] & (mark[u[i]] | mark[v[i]])
    return out[:n]


@njit(cache=True, nogil=True)
def remove_touching(
    members, n_slots, start, edge, first_new, u, v, alive, size, deg, sorted_keys
):  # pragma: no cover - compiled
    """:func:`remove` of the ties :func:`touching` finds, in one call
    (:meth:`simulation.ties.TieGraph.remove_members`): they are looked up in the members' rows
    of the contact index built when ``first_new`` tie slots were used (``start``, ``edge``),
    and among the ties appended since, instead of in every tie slot (``start`` ``[0]`` and
    ``first_new`` 0 where there is no such index).  :func:`remove` keeps the live ones, each
    once, in ascending order: the ties :func:`touching` lists."""
    found = _touching_indexed(members, n_slots, start, edge, first_new, u, v, alive, size)
    return remove(found, alive, u, v, deg, sorted_keys)


@njit(cache=True, nogil=True)
def append(
    a,
    b,
    keys,
    first,
    u,
    v,
    strength,
    trust,
    image,
    ledger,
    last_used,
    born,
    alive,
    deg,
    sorted_keys,
    new_strength,
    new_trust,
    new_image,
    step,
    merge_keys,
):  # pragma: no cover - compiled
    """Write the new ties ``a[k] -- b[k]`` (``keys`` their keys, ascending) into the slots from
    ``first`` on, count them in ``deg`` and return ``sorted_keys`` with their keys merged in
    (:meth:`simulation.ties.TieGraph.append_new`; ``merge_keys`` false: left empty).  Returns
    ``None`` and changes nothing when an end is beyond ``deg``."""
    n = len(a)
    for k in range(n):
        if a[k] >= len(deg) or b[k] >= len(deg):
            return None
    for k in range(n):
        i = first + k
        u[i] = min(a[k], b[k])
        v[i] = max(a[k], b[k])
        strength[i] = new_strength
        trust[i, 0] = new_trust
        trust[i, 1] = new_trust
        image[i, 0] = new_image
        image[i, 1] = new_image
        ledger[i, 0] = 0
        ledger[i, 1] = 0
        last_used[i] = step
        born[i] = step
        alive[i] = True
        deg[a[k]] += 1
        deg[b[k]] += 1
    if not merge_keys:
        return np.zeros(0, np.int64)
    fresh = np.sort(keys)
    out = np.empty(len(sorted_keys) + n, np.int64)
    # the kept keys copied in blocks between the places of the fresh ones (each found by a
    # binary search, after the kept keys equal to it): the element-by-element merge's array
    i = 0
    q = 0
    for j in range(n):
        at = i + np.searchsorted(sorted_keys[i:], fresh[j], side="right")
        out[q : q + at - i] = sorted_keys[i:at]
        q += at - i
        i = at
        out[q] = fresh[j]
        q += 1
    out[q:] = sorted_keys[i:]
    return out


@njit(cache=True, nogil=True)
def connect_append(
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
    new_image,
    step,
    merge_keys,
):  # pragma: no cover - compiled
    """The ties ``contacts.connect`` makes from the proposals ``a[k] -- b[k]``
    (:func:`simulation.compiled.kernels.connect`), written from slot ``first`` on as
    :func:`append` writes them, in one call: how many, and ``sorted_keys`` with theirs merged
    in (empty when ``merge_keys`` is false; ``None`` when an end is beyond ``deg`` and nothing
    was written).  The tie arrays must have room for ``len(a)`` more."""
    new_a, new_b, keys = connect(a, b, alive, deg, max_ties, sorted_keys)
    out = append(
        new_a,
        new_b,
        keys,
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
        deg,
        sorted_keys,
        new_strength,
        new_trust,
        new_image,
        step,
        merge_keys,
    )
    return len(new_a), out
