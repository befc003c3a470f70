"""The evolving tie graph, held as flat numpy arrays.

A *tie* joins two members ``u < v``. It has one undirected ``strength`` in
``[0, 1]`` (how much the relationship is worked on), and per direction a
``trust`` (how much one side trusts the other, learnt from experience) and a
``ledger`` (how many gifts one side has given the other) and an ``image`` (what
one side thinks of the other's conduct towards everyone, learnt first-hand and by
gossip: the other's *standing* in its eyes, Nowak & Sigmund 1998).  Direction ``0`` is
``u -> v`` (``u`` trusts / gave to ``v``), direction ``1`` is ``v -> u``.

Ties are appended at the end of the arrays and removed by marking them dead;
the arrays are compacted between steps when enough of them are dead
(:meth:`TieGraph.compact_if_sparse`), never during one, so tie indices are
stable within a step.  Everything a
mechanism needs per step (who is connected to whom, in both directions) is
built once per step by :meth:`TieGraph.directed` and cached until the graph
changes.

Examples
--------
>>> import numpy as np
>>> ties = TieGraph()
>>> ties.add(np.array([0, 2]), np.array([1, 1]), strength=0.5, trust=0.5, step=0)
2
>>> ties.count
2
>>> ties.has(np.array([1, 0]), np.array([2, 3])).tolist()
[True, False]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["TieGraph", "DirectedView"]

_KEY_BASE = np.int64(1) << 32
#: a contact index of no rows, built before any tie (``remove_members`` looks through every slot)
_NO_INDEX = (np.zeros(1, np.int64), np.zeros(0, np.int64), 0)
_NO_KEYS = np.zeros(0, np.int64)


def _keys(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    lo = np.minimum(u, v).astype(np.int64)
    hi = np.maximum(u, v).astype(np.int64)
    return lo * _KEY_BASE + hi


def _group_by_source(src: np.ndarray, dst: np.ndarray, code: np.ndarray, n: int):
    """Group directed pairs by source in linear time: CSR row pointer, destinations, codes.

    Uses scipy's compiled COO-to-CSR conversion (a stable counting sort);
    falls back to numpy's stable argsort.
    """
    try:
        from scipy.sparse._sparsetools import coo_tocsr
    except ImportError:  # pragma: no cover - private scipy API moved
        order = np.argsort(src, kind="stable")
        start = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=start[1:])
        return start, dst[order], code[order]
    nnz = len(src)
    start = np.empty(n + 1, np.int64)
    dst_out = np.empty(nnz, np.int64)
    code_out = np.empty(nnz, np.int64)
    coo_tocsr(n, n, nnz, src, dst, code, start, dst_out, code_out)
    return start, dst_out, code_out


@dataclass(frozen=True)
class DirectedView:
    """Every live tie seen from both ends, sorted by the member it starts from.

    ``src[k] -> dst[k]`` is tie ``edge[k]`` seen from ``src[k]``; ``side[k]``
    is the direction index (0 when ``src`` is the tie's ``u``).  ``start`` is
    a CSR row pointer over member slots: the ties of member ``i`` are
    ``start[i]:start[i + 1]``.  ``src`` is made from ``start`` when first asked for (the
    compiled stages do not need it, and an index brought up to date then has one array
    less to copy).
    """

    dst: np.ndarray
    edge: np.ndarray
    side: np.ndarray
    start: np.ndarray

    @cached_property
    def src(self) -> np.ndarray:
        n = len(self.start) - 1
        return np.repeat(np.arange(n, dtype=np.int64), np.diff(self.start))

    def degree(self) -> np.ndarray:
        return np.diff(self.start)

    def contacts_of(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every contact of each of ``members``: ``(k, contact)`` pairs, ``k`` indexing ``members``."""
        lo = self.start[members]
        n = self.start[members + 1] - lo
        k = np.repeat(np.arange(len(members)), n)
        offset = np.arange(len(k)) - np.repeat(np.cumsum(n) - n, n)
        return k, self.dst[np.repeat(lo, n) + offset]

    def random_neighbor(self, members: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        """One uniformly random contact of each member (each must have one)."""
        lo = self.start[members]
        width = self.start[members + 1] - lo
        return self.dst[lo + (gen.random(len(members)) * width).astype(np.int64)]


class TieGraph:
    """Struct-of-arrays store of ties between member slots."""

    #: how many times the arrays have been compacted (tie indices renumbered)
    compactions = 0
    #: the last compaction's renumbering: the old index of each tie it kept, ascending (the
    #: tie's new index is its position); ``None`` before the first compaction or after a load
    renumbered: np.ndarray | None = None

    _FIELDS = ("u", "v", "strength", "trust", "image", "ledger", "last_used", "born")

    def __init__(self, capacity: int = 1024):
        capacity = max(int(capacity), 16)
        self.u = np.zeros(capacity, np.int64)  #: one end (the smaller member slot)
        self.v = np.zeros(capacity, np.int64)  #: the other end (the larger member slot)
        self.strength = np.zeros(capacity)  #: how much the relationship is worked on, in [0, 1]
        self.trust = np.zeros((capacity, 2))  #: per direction: how much one end trusts the other, in [0, 1]
        #: per direction: what one end thinks of the other's conduct towards everyone (standing), in [0, 1]
        self.image = np.zeros((capacity, 2))
        self.ledger = np.zeros((capacity, 2), np.int64)  #: per direction: favours one end has done the other
        #: last week the tie was used (a gift, a referral, kept up by a style)
        self.last_used = np.zeros(capacity, np.int64)
        self.born = np.zeros(capacity, np.int64)  #: week the tie was made
        self.alive = np.zeros(capacity, bool)  #: the tie exists (dead ties are compacted away between weeks)
        self.deg = np.zeros(64, np.int64)  # live ties per member slot, kept up to date
        self.size = 0  # slots used, dead or alive
        self.count = 0  # live ties
        self._keys_sorted: np.ndarray | None = None
        self._key_index: tuple[np.ndarray, np.ndarray] | None = None
        self._live: np.ndarray | None = None
        self._view: tuple[int, DirectedView] | None = None
        #: the last contact index built on the compiled path and how many tie slots were used
        #: then: brought up to date rather than rebuilt (ties are only removed or appended
        #: between two compactions)
        self._view_base: tuple[DirectedView, int] | None = None
        self._removed: list[np.ndarray] = []  # ties removed since ``_view_base`` was built
        #: build the contact index with the compiled kernel (``simulation.compiled``; same result)
        self.compiled = False

    def __getstate__(self) -> dict:
        # the last renumbering serves only whoever kept tie indices across that compaction
        # (igraph's graph of the ecosystems, which is not saved either): saves stay as they were
        state = self.__dict__.copy()
        state.pop("renumbered", None)
        return state

    # -- growth ---------------------------------------------------------
    def _ensure(self, extra: int) -> None:
        need = self.size + extra
        if need <= len(self.u):
            return
        cap = max(need, 2 * len(self.u))
        for name in (*self._FIELDS, "alive"):
            old = getattr(self, name)
            new = np.zeros((cap, *old.shape[1:]), old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def compact_if_sparse(self, live_share: float = 0.6) -> None:
        """Compact when fewer than ``live_share`` of the used slots hold live ties.

        The model calls this between steps only: compaction renumbers ties, and tie
        indices recorded during a step must keep their meaning until it ends.
        """
        if self.count < live_share * self.size:
            self.compact()

    def compact(self) -> None:
        """Drop dead ties from the arrays (tie indices change)."""
        keep = np.flatnonzero(self.alive[: self.size])
        n = len(keep)
        for name in (*self._FIELDS, "alive"):
            arr = getattr(self, name)
            arr[:n] = arr[keep]
            arr[n : self.size] = 0
        self.size = n
        self.compactions += 1
        self.renumbered = keep
        self._changed()

    def _changed(self) -> None:
        self._key_index = None
        self._keys_sorted = None
        self._live = None
        self._view = None
        self._view_base = None
        self._removed = []

    # -- queries --------------------------------------------------------
    def live(self) -> np.ndarray:
        """Indices of live ties (cached until the set of ties changes; do not modify)."""
        if self._live is None:
            self._live = np.flatnonzero(self.alive[: self.size])
        return self._live

    def sorted_keys(self) -> np.ndarray:
        if self._keys_sorted is None:
            idx = self.live()
            self._keys_sorted = np.sort(_keys(self.u[idx], self.v[idx]))
        return self._keys_sorted

    def has(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether a live tie joins ``a[k]`` and ``b[k]`` for each ``k``."""
        keys = _keys(np.asarray(a), np.asarray(b))
        sk = self.sorted_keys()
        if len(sk) == 0:
            return np.zeros(len(keys), bool)
        pos = np.searchsorted(sk, keys)
        pos = np.minimum(pos, len(sk) - 1)
        return sk[pos] == keys

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Index of the live tie joining ``a[k]`` and ``b[k]``, or ``-1`` where there is none."""
        keys = _keys(np.asarray(a), np.asarray(b))
        sk, edge = self.key_index()
        out = np.full(len(keys), -1, np.int64)
        if len(sk) == 0:
            return out
        pos = np.minimum(np.searchsorted(sk, keys), len(sk) - 1)
        hit = sk[pos] == keys
        out[hit] = edge[pos[hit]]
        return out

    def key_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Every live tie's key (``min * 2**32 + max`` of its ends), sorted, and the tie it names
        (cached until the set of ties changes; do not modify)."""
        if self._key_index is None:
            idx = self.live()
            k = _keys(self.u[idx], self.v[idx])
            order = np.argsort(k)
            self._key_index = (k[order], idx[order])
        return self._key_index

    def directed(self, n_slots: int) -> DirectedView:
        """Both directions of every live tie, grouped by source member."""
        if self._view is not None and self._view[0] == n_slots:
            return self._view[1]
        if self.compiled:
            from .compiled import active

            base = self._view_base
            if base is not None and len(base[0].start) <= n_slots + 1:
                from .compiled.index import directed_update

                old, first_new = base
                removed = np.concatenate(self._removed) if self._removed else np.zeros(0, np.int64)
                parts = directed_update(
                    n_slots,
                    old.start,
                    old.dst,
                    old.edge,
                    old.side,
                    first_new,
                    removed,
                    self.u,
                    self.v,
                    self.alive,
                    self.size,
                )
            else:
                parts = active().directed(n_slots, self.u, self.v, self.alive, self.size)
            view = DirectedView(*parts)
            self._view = (n_slots, view)
            self._view_base = (view, self.size)
            self._removed = []
            return view
        idx = self.live()
        src = np.concatenate([self.u[idx], self.v[idx]])
        dst = np.concatenate([self.v[idx], self.u[idx]])
        code = np.concatenate([2 * idx, 2 * idx + 1])  # tie index and direction in one number
        start, dst, code = _group_by_source(src, dst, code, n_slots)
        edge = code >> 1
        side = (code & 1).astype(np.int8)
        view = DirectedView(dst, edge, side, start)
        self._view = (n_slots, view)
        return view

    def degree(self, n_slots: int) -> np.ndarray:
        """Number of live ties of each member slot ``0..n_slots-1`` (do not modify)."""
        self._grow_deg(n_slots)
        return self.deg[:n_slots]

    def _grow_deg(self, n: int) -> None:
        if n > len(self.deg):
            new = np.zeros(max(n, 2 * len(self.deg)), np.int64)
            new[: len(self.deg)] = self.deg
            self.deg = new

    def direction(self, edge: np.ndarray, src: np.ndarray) -> np.ndarray:
        """Direction index of ``src -> other`` on ``edge`` (0 if src is u)."""
        return (self.u[edge] != src).astype(np.int8)

    # -- changes --------------------------------------------------------
    def add(
        self,
        a: np.ndarray,
        b: np.ndarray,
        *,
        strength: float,
        trust: float,
        step: int,
        image: float = 0.5,
    ) -> int:
        """Add ties ``a[k] -- b[k]``; self-loops, duplicates and existing ties are skipped.

        Returns the number of ties added.
        """
        a = np.asarray(a, np.int64)
        b = np.asarray(b, np.int64)
        ok = a != b
        a, b = a[ok], b[ok]
        if len(a) == 0:
            return 0
        keys = _keys(a, b)
        keys, first = np.unique(keys, return_index=True)
        a, b = a[first], b[first]
        fresh = ~self.has(a, b)
        return self.append_new(
            a[fresh], b[fresh], keys[fresh], strength=strength, trust=trust, step=step, image=image
        )

    def append_new(
        self,
        a: np.ndarray,
        b: np.ndarray,
        keys: np.ndarray,
        *,
        strength: float,
        trust: float,
        step: int,
        image: float = 0.5,
    ) -> int:
        """Append ties ``a[k] -- b[k]`` known to be new and distinct, ``keys`` their keys in
        ascending order (what :meth:`add` has checked); returns how many."""
        n = len(a)
        if n == 0:
            return 0
        self._ensure(n)
        if self.compiled and self._append_compiled(a, b, keys, strength, trust, step, image):
            return n
        s = slice(self.size, self.size + n)
        self.u[s] = np.minimum(a, b)
        self.v[s] = np.maximum(a, b)
        self.strength[s] = strength
        self.trust[s] = trust
        self.image[s] = image
        self.ledger[s] = 0
        self.last_used[s] = step
        self.born[s] = step
        self.alive[s] = True
        if self._keys_sorted is not None:  # keep the sorted keys current: merge, don't re-sort
            keys = np.sort(keys)
            self._keys_sorted = np.insert(self._keys_sorted, np.searchsorted(self._keys_sorted, keys), keys)
        self._grow_deg(int(max(a.max(), b.max())) + 1)
        np.add.at(self.deg, a, 1)
        np.add.at(self.deg, b, 1)
        self._appended(n)
        return n

    def connect_compiled(self, a, b, alive, max_ties: int, strength: float, trust: float, step: int) -> int:
        """Make the ties ``contacts.connect`` makes from the proposals ``a[k] -- b[k]`` between
        members ``alive`` says are in (degree cap ``max_ties``), as one compiled call
        (``simulation.compiled.index.connect_append``; the same ties as the compiled ``connect``
        followed by :meth:`append_new`); returns how many."""
        from .compiled.index import connect_append

        keys = self._room(len(alive), len(a))
        made, kept = connect_append(
            a,
            b,
            alive,
            self.deg,
            max_ties,
            keys,
            self.size,
            self.u,
            self.v,
            self.strength,
            self.trust,
            self.image,
            self.ledger,
            self.last_used,
            self.born,
            self.alive,
            float(strength),
            float(trust),
            0.5,
            int(step),
            True,
        )
        self._connected(made, kept)
        return made

    def _room(self, n_slots: int, n: int) -> np.ndarray:
        """Before a kernel makes ties (``compiled.index.connect_append``): degrees for
        ``n_slots`` members, room for ``n`` more ties, and the sorted keys it merges theirs
        into (kept current from here on, as :meth:`append_new` keeps them)."""
        self._grow_deg(n_slots)
        self._ensure(n)
        return self.sorted_keys()

    def _connected(self, made: int, kept: np.ndarray | None) -> None:
        """After a kernel made ``made`` ties at the end (``compiled.index.connect_append``):
        the keys it merged theirs into, and the count."""
        if made and kept is None:  # an end beyond ``deg``: the kernel wrote nothing
            raise RuntimeError(f"connect_compiled: a member beyond the {len(self.deg)} degrees grown")
        if made:
            self._keys_sorted = kept
            self._appended(made)

    def _appended(self, n: int) -> None:
        """Count ``n`` ties written at the end, and drop the views made before them."""
        self.size += n
        self.count += n
        self._live = None
        self._view = None
        self._key_index = None

    def _append_compiled(self, a, b, keys, strength, trust, step, image) -> bool:
        """:meth:`append_new` in one compiled kernel (``simulation.compiled.index``), the
        same arrays; ``False`` (nothing changed) when the degrees must grow first."""
        from .compiled.index import append

        merge = self._keys_sorted is not None
        kept = append(
            np.asarray(a, np.int64),
            np.asarray(b, np.int64),
            np.asarray(keys, np.int64),
            self.size,
            self.u,
            self.v,
            self.strength,
            self.trust,
            self.image,
            self.ledger,
            self.last_used,
            self.born,
            self.alive,
            self.deg,
            self._keys_sorted if merge else _NO_KEYS,
            float(strength),
            float(trust),
            float(image),
            int(step),
            merge,
        )
        if kept is None:
            return False
        if merge:
            self._keys_sorted = kept
        self._appended(len(a))
        return True

    def remove(self, edges: np.ndarray) -> int:
        """Mark ties dead; returns how many live ties were removed."""
        edges = np.asarray(edges, np.int64)
        if self.compiled:
            if len(edges) == 0:
                return 0
            from .compiled.index import remove

            keys = self._keys_sorted
            edges, kept = remove(
                edges, self.alive, self.u, self.v, self.deg, _NO_KEYS if keys is None else keys
            )
            return self._removed_now(edges, kept)
        edges = np.unique(edges)
        edges = edges[self.alive[edges]]
        self.alive[edges] = False
        np.subtract.at(self.deg, self.u[edges], 1)
        np.subtract.at(self.deg, self.v[edges], 1)
        if len(edges) and self._keys_sorted is not None:
            gone = np.sort(_keys(self.u[edges], self.v[edges]))
            self._keys_sorted = np.delete(self._keys_sorted, np.searchsorted(self._keys_sorted, gone))
        return self._removed_now(edges)

    def _removed_now(self, edges: np.ndarray, kept: np.ndarray | None = None) -> int:
        """Count the ``edges`` just marked dead (each once) and drop the views made before;
        ``kept``: the sorted keys without theirs, from a kernel (where they are kept)."""
        if kept is not None and self._keys_sorted is not None:
            self._keys_sorted = kept
        if self._view_base is not None and len(edges):
            self._removed.append(edges)
        self.count -= len(edges)
        if len(edges):
            self._live = None
            self._view = None
            self._key_index = None
        return len(edges)

    def touching(self, members: np.ndarray, n_slots: int) -> np.ndarray:
        """The live ties with an end among ``members`` (slots below ``n_slots``), in index order."""
        members = np.asarray(members, np.int64)
        if self.compiled:
            from .compiled.index import touching

            return touching(members, n_slots, self.u, self.v, self.alive, self.size)
        mask = np.zeros(n_slots, bool)
        mask[members] = True
        idx = self.live()
        return idx[mask[self.u[idx]] | mask[self.v[idx]]]

    def remove_members(self, members: np.ndarray, n_slots: int) -> int:
        """Remove every tie touching one of ``members``."""
        if len(members) == 0:
            return 0
        if self.compiled:  # the ties found and removed in one compiled call
            from .compiled.index import remove_touching

            keys = self._keys_sorted
            # the last contact index built, and the slots used then: the members' ties are in
            # their rows of it or appended since (no index: every slot is looked through)
            base = self._view_base
            start, edge, first_new = (base[0].start, base[0].edge, base[1]) if base is not None else _NO_INDEX
            edges, kept = remove_touching(
                np.asarray(members, np.int64),
                n_slots,
                start,
                edge,
                first_new,
                self.u,
                self.v,
                self.alive,
                self.size,
                self.deg,
                _NO_KEYS if keys is None else keys,
            )
            return self._removed_now(edges, kept)
        return self.remove(self.touching(members, n_slots))
