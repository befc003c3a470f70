"""Detection: communities of the strength-weighted tie graph (Leiden or Louvain, seeded)."""

from __future__ import annotations

import importlib.util
import random
import threading

import networkx as nx
import numpy as np

__all__ = ["community_backend", "detect_communities", "groups_from_labels"]

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

        g = ig.Graph(n=n, edges=np.column_stack([u, v]))
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
                    weights=w,
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
