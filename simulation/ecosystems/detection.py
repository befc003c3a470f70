"""Detection: communities of the strength-weighted tie graph (Leiden or Louvain, seeded)."""

from __future__ import annotations

import importlib.util
import random
import threading

import networkx as nx
import numpy as np

__all__ = ["community_backend", "detect_communities", "groups_from_labels", "TieGraphKeeper"]

_IGRAPH_LOCK = threading.Lock()


def community_backend(method: str = "auto") -> str:
    """The community detection backend ``method`` resolves to: ``igraph`` or ``networkx``.

    ``auto`` picks igraph's Leiden when the ``igraph`` package is installed
    (faster, and warm-started from the previous detection, see
    ``docs/ecosystems.md``), else networkx's Louvain.
    """
    if method == "networkx":
        return "networkx"
    if importlib.util.find_spec("igraph") is None:
        if method == "igraph":
            raise ImportError("ecosystems method 'igraph' needs the igraph package (pip install igraph)")
        return "networkx"
    return "igraph"


def detect_communities(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    weight: np.ndarray,
    *,
    resolution: float = 1.0,
    seed: int = 0,
    method: str = "auto",
    initial: np.ndarray | None = None,
    iterations: int = 2,
    graph=None,
) -> np.ndarray:
    """Communities of a weighted graph on nodes ``0..n-1`` by modularity; a label per node.

    With igraph: the Leiden algorithm (Traag, Waltman & van Eck 2019), started
    from ``initial`` when given (a label per node: the previous detection, so
    that the partition changes only where the graph did).  With networkx:
    Louvain (Blondel et al. 2008), always from scratch.

    Parameters
    ----------
    n : number of nodes
    u, v, weight : the edges ``u[k] -- v[k]`` (each once) and their weights (> 0)
    resolution : modularity resolution; above 1 favours smaller communities
    seed : seeds the algorithm, so one seed gives one partition
    method : ``auto``, ``igraph`` or ``networkx`` (see :func:`community_backend`)
    initial : optional starting label per node (igraph only)
    iterations : Leiden iterations (igraph only); -1 iterates until the partition is stable
    graph : optional igraph graph on ``n`` nodes whose edges are ``u[k] -- v[k]`` in this
        order (igraph only; :class:`TieGraphKeeper`); built from ``u`` and ``v`` when omitted

    Returns
    -------
    numpy.ndarray
        Community index of every node (isolated nodes get communities of their own).

    Examples
    --------
    >>> u = np.array([0, 0, 1, 3, 3, 4, 2]); v = np.array([1, 2, 2, 4, 5, 5, 3])
    >>> lab = detect_communities(6, u, v, np.ones(7), seed=1, method="networkx")
    >>> bool(lab[0] == lab[1] == lab[2] != lab[3] == lab[4] == lab[5])
    True
    """
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    w = np.maximum(np.asarray(weight, float), 1e-12)
    labels = np.arange(n, dtype=np.int64)
    if n == 0 or len(u) == 0:
        return labels
    if community_backend(method) == "igraph":
        import igraph as ig

        g = ig.Graph(n=n, edges=np.column_stack([u, v])) if graph is None else graph
        start = None
        if initial is not None:
            start = np.unique(np.asarray(initial), return_inverse=True)[1].tolist()
        # igraph draws from one global generator: seed it for this call (one call at a
        # time, so runs in threads of one process stay reproducible), then restore it
        with _IGRAPH_LOCK:
            ig.set_random_number_generator(random.Random(int(seed)))
            try:
                found = g.community_leiden(
                    objective_function="modularity",
                    weights=w.tolist(),  # read faster than the array (the same numbers)
                    resolution=resolution,
                    initial_membership=start,
                    n_iterations=iterations,
                )
            finally:
                ig.set_random_number_generator(random)
        return np.asarray(found.membership, np.int64)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()), weight="strength")
    comms = nx.community.louvain_communities(g, weight="strength", resolution=resolution, seed=int(seed))
    for i, c in enumerate(comms):
        labels[list(c)] = i
    return labels


def groups_from_labels(labels: np.ndarray, nodes: np.ndarray, min_size: int = 1) -> list[np.ndarray]:
    """Members grouped by label, groups of at least ``min_size``, largest first.

    Ties in size are ordered by the smallest member, so the order (and the ids
    a tracker gives) depends only on the partition.

    Examples
    --------
    >>> [g.tolist() for g in groups_from_labels(np.array([1, 0, 1, 2, 0]), np.array([10, 11, 12, 13, 14]), 2)]
    [[10, 12], [11, 14]]
    """
    if len(labels) == 0:
        return []
    order = np.lexsort((nodes, labels))
    lab, members = labels[order], nodes[order]
    cuts = np.flatnonzero(np.diff(lab)) + 1
    groups = [g for g in np.split(members, cuts) if len(g) >= min_size]
    groups.sort(key=lambda g: (-len(g), int(g[0])))
    return groups


class TieGraphKeeper:
    """igraph's graph of the members' ties, kept from one detection to the next and brought
    up to date instead of built again: the same graph a build gives, edge for edge.

    Building it costs igraph about 0.15 microseconds a tie (the edge list is read one pair at
    a time), most of a small detection.  Between two detections members only leave or join
    (newcomers take new slots, after every earlier one) and ties are only removed or
    appended with higher indices.  A compaction of the tie arrays renumbers the ties but keeps
    their order: with its renumbering (:attr:`simulation.ties.TieGraph.renumbered`) the kept
    ties' new indices are known.  So the graph of the last detection, its leavers' nodes and
    its removed edges deleted (igraph keeps the order of the rest), the newcomers' nodes and
    the new edges added at the end, is the graph of the members' ties in tie order.  It is
    built afresh when that cannot be told (two compactions since, or one without its
    renumbering).
    """

    def __init__(self):
        self.graph = None
        self.slots = np.zeros(0, np.int64)  #: the members the nodes stand for, ascending
        self.ties = np.zeros(0, np.int64)  #: the ties the edges stand for, ascending
        self.compactions = -1

    def graph_for(
        self,
        slots: np.ndarray,
        ties: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        compactions: int,
        renumbered: np.ndarray | None = None,
    ):
        """The graph whose node ``i`` is member ``slots[i]`` and whose edge ``k`` is tie
        ``ties[k]`` joining nodes ``u[k]`` and ``v[k]`` (both ascending; ``compactions``:
        how many times the tie arrays have been compacted, ``renumbered``: the last
        compaction's old index of each tie it kept, ascending).  The graph is the one kept:
        the next call changes it."""
        import igraph as ig

        g = None
        if self.graph is not None:
            old_ties = self.ties
            if compactions == self.compactions + 1 and renumbered is not None:
                old_ties = _renumbered(old_ties, renumbered)
            elif compactions != self.compactions:
                old_ties = None
            if old_ties is not None:
                g = self._updated(slots, ties, u, v, old_ties)
        if g is None:
            g = ig.Graph(n=len(slots), edges=np.column_stack([u, v]))
        self.graph, self.slots, self.ties, self.compactions = g, slots, ties, compactions
        return g

    def _updated(self, slots, ties, u, v, old_ties):
        """The kept graph brought up to date (its edges standing for ``old_ties``, ascending
        where not ``-1``: ties gone in a compaction), or ``None`` when it cannot be."""
        old_slots = self.slots
        stay = np.isin(old_slots, slots, assume_unique=True)
        joined = len(slots) - int(stay.sum())
        if joined < 0 or (joined and len(old_slots) and slots[len(slots) - joined] <= old_slots[-1]):
            return None  # a member came back, or a newcomer does not come after them all
        last = old_ties.max(initial=-1)
        fresh = int(np.searchsorted(ties, last, side="right"))
        kept = np.isin(old_ties, ties[:fresh])
        if int(kept.sum()) != fresh:
            return None  # an older tie the last graph did not have
        # brought up to date in place (no copy: nothing else holds it); forgotten until done,
        # so that a failure on the way leaves no half-changed graph to be taken as up to date
        g, self.graph = self.graph, None
        if not kept.all():
            g.delete_edges(np.flatnonzero(~kept).tolist())
        if not stay.all():
            g.delete_vertices(np.flatnonzero(~stay).tolist())
        if joined:
            g.add_vertices(joined)
        if fresh < len(ties):
            pairs = np.column_stack([u[fresh:], v[fresh:]]).astype(np.int64, copy=False)
            try:  # igraph reads a memoryview of int64 pairs about twice as fast as the array
                g.add_edges(memoryview(pairs))
            except TypeError:  # its integers are not 64-bit here
                g.add_edges(pairs)
        return g


def _renumbered(old: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The indices ``old`` (ascending) after a compaction that kept the ties ``kept`` (their old
    indices, ascending; a kept tie's new index is its position there); ``-1`` for a tie the
    compaction dropped."""
    pos = np.searchsorted(kept, old)
    found = pos < len(kept)
    found[found] = kept[pos[found]] == old[found]
    return np.where(found, pos, -1)
