"""Initial tie graphs (``[network]`` in a scenario), built with the model's generator.

Kinds
-----
``powerlaw_cluster``  Holme & Kim 2002 clustered scale-free graph (``mean_degree``, ``triangle_p``),
                      grown by :mod:`simulation.holme_kim` from the model's numpy generator
                      (compiled with numba; the same graph, more slowly, without it)
``erdos_renyi``       ``n * mean_degree / 2`` ties between uniformly random pairs (G(n, m))
``watts_strogatz``    ring of ``mean_degree`` neighbours, each tie rewired with ``triangle_p``
``barabasi_albert``   preferential attachment, ``mean_degree / 2`` ties per newcomer
``random_regular``    every member has exactly ``mean_degree`` contacts
``complete``          everyone knows everyone (a well-mixed population)
``lattice``           ``width x height`` square grid, Moore (8) or von Neumann (4)
                      neighbourhood, periodic (a torus) or with fixed boundaries
``empty``             no ties

With ``lattice`` the population size is ``width * height`` (member slot
``y * width + x`` sits at column ``x``, row ``y``), whatever ``population.size`` says.

Examples
--------
>>> cfg = {"kind": "lattice", "width": 3, "height": 3, "neighbourhood": "von_neumann",
...        "periodic": False}
>>> network_size(cfg, 100)
9
>>> lattice_edges(3, 3, "von_neumann", periodic=False).shape
(12, 2)
>>> lattice_edges(4, 4, "moore", periodic=True).shape  # 8 neighbours each, 16 * 8 / 2 ties
(64, 2)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

if TYPE_CHECKING:
    from .model import GiveTakeModel

__all__ = [
    "initial_edges",
    "network_size",
    "lattice_edges",
    "complete_edges",
    "random_regular_edges",
    "KINDS",
    "LATTICE_KINDS",
    "DEGREE_FROM_SHAPE",
]

#: every value ``network.kind`` accepts
KINDS = (
    "powerlaw_cluster",
    "erdos_renyi",
    "watts_strogatz",
    "barabasi_albert",
    "random_regular",
    "complete",
    "lattice",
    "empty",
)

#: kinds whose size comes from ``network.width * network.height``
LATTICE_KINDS = ("lattice",)

#: kinds whose ties follow from their shape (everyone; the lattice neighbourhood), not from
#: ``mean_degree``: a scenario may give them a ``mean_degree`` of the population size or more
DEGREE_FROM_SHAPE = ("complete", "lattice")

_OFFSETS = {
    "von_neumann": ((1, 0), (0, 1)),
    "moore": ((1, 0), (0, 1), (1, 1), (1, -1)),
}


def network_size(cfg: dict[str, Any], population_size: int) -> int:
    """Members the network needs: ``width * height`` for a lattice, else ``population_size``."""
    if cfg.get("kind") in LATTICE_KINDS:
        return int(cfg["width"]) * int(cfg["height"])
    return int(population_size)


def lattice_edges(width: int, height: int, neighbourhood: str = "moore", periodic: bool = True) -> np.ndarray:
    """Ties ``(m, 2)`` of a square lattice; slot ``y * width + x`` is cell ``(x, y)``.

    Each tie is listed once.  On a periodic lattice narrower than 3 cells a
    neighbour reached both ways is counted once (no duplicate ties).
    """
    if neighbourhood not in _OFFSETS:
        raise ValueError(f"network.neighbourhood: expected 'moore' or 'von_neumann', got {neighbourhood!r}")
    ys, xs = np.divmod(np.arange(width * height, dtype=np.int64), width)
    parts = []
    for dx, dy in _OFFSETS[neighbourhood]:
        nx_, ny_ = xs + dx, ys + dy
        if periodic:
            nx_, ny_ = nx_ % width, ny_ % height
            ok = np.ones(len(xs), bool)
        else:
            ok = (nx_ >= 0) & (nx_ < width) & (ny_ >= 0) & (ny_ < height)
        a = (ys * width + xs)[ok]
        b = (ny_ * width + nx_)[ok]
        parts.append(np.stack([a, b], axis=1))
    edges = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
    edges = edges[edges[:, 0] != edges[:, 1]]
    lo, hi = np.minimum(edges[:, 0], edges[:, 1]), np.maximum(edges[:, 0], edges[:, 1])
    return np.unique(np.stack([lo, hi], axis=1), axis=0)


def complete_edges(n: int) -> np.ndarray:
    """Every pair of ``n`` members once, ``(n (n - 1) / 2, 2)``."""
    a, b = np.triu_indices(n, k=1)
    return np.stack([a, b], axis=1).astype(np.int64)


def random_regular_edges(n: int, k: int, gen: np.random.Generator, max_tries: int = 100_000) -> np.ndarray:
    """A uniformly random simple k-regular graph on ``n`` nodes, by the pairing model.

    The ``n k`` tie ends are paired at random and the pairing is kept only if it
    has no self-loop and no repeated tie, which makes every simple k-regular
    graph equally likely (Bollobás 1980).  About ``exp((k^2 - 1) / 4)`` pairings
    are drawn on average: fast for small ``k`` (42 for ``k = 4``).

    Examples
    --------
    >>> e = random_regular_edges(10, 3, np.random.default_rng(0))
    >>> np.bincount(e.ravel()).tolist()
    [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    """
    if (n * k) % 2 or k >= n:
        raise ValueError(f"no simple {k}-regular graph on {n} nodes")
    if k == 0:
        return np.zeros((0, 2), np.int64)
    stubs = np.repeat(np.arange(n, dtype=np.int64), k)
    batch = 48  # pairings tried at once; the first simple one (in draw order) is kept
    for _ in range(0, max_tries, batch):
        pairs = gen.permuted(np.broadcast_to(stubs, (batch, len(stubs))), axis=1).reshape(batch, -1, 2)
        lo, hi = pairs.min(axis=2), pairs.max(axis=2)
        keys = np.sort(lo * n + hi, axis=1)
        simple = ~(lo == hi).any(axis=1) & (keys[:, 1:] != keys[:, :-1]).all(axis=1)
        if simple.any():
            i = int(np.argmax(simple))
            return np.stack([lo[i], hi[i]], axis=1)
    raise RuntimeError(f"no simple pairing found for a {k}-regular graph on {n} nodes")  # pragma: no cover


#: up to this degree random regular graphs come from the pairing model (else networkx)
PAIRING_MAX_DEGREE = 5


def initial_edges(model: GiveTakeModel, cfg: dict[str, Any], n: int) -> np.ndarray:
    """Edges ``(m, 2)`` of the initial network over member slots ``0..n-1``."""
    k = cfg["mean_degree"]
    kind = cfg["kind"]
    if kind == "lattice":
        return lattice_edges(cfg["width"], cfg["height"], cfg["neighbourhood"], cfg["periodic"])
    if kind == "complete":
        return complete_edges(n)
    if kind == "empty" or k == 0:
        return np.zeros((0, 2), np.int64)
    seed = model.random  # networkx draws from the model's own generator
    if kind == "powerlaw_cluster" and max(1, k // 2) < n:
        from .holme_kim import holme_kim_edges  # compiled on first use

        # the same graph from the compiled kernel or its plain-Python twin (numba off or missing)
        compiled = getattr(model, "compiled", True)
        return holme_kim_edges(n, max(1, k // 2), cfg["triangle_p"], model.rng, compiled=compiled)
    if kind == "powerlaw_cluster":  # too few members: networkx says why
        g = nx.powerlaw_cluster_graph(n, max(1, k // 2), cfg["triangle_p"], seed=seed)
    elif kind == "erdos_renyi":
        g = nx.gnm_random_graph(n, n * k // 2, seed=seed)
    elif kind == "watts_strogatz":
        g = nx.watts_strogatz_graph(n, max(2, k), cfg["triangle_p"], seed=seed)
    elif kind == "barabasi_albert":
        g = nx.barabasi_albert_graph(n, max(1, k // 2), seed=seed)
    elif kind == "random_regular":
        if (n * k) % 2:
            raise ValueError(
                f"network.mean_degree: a random regular graph needs population.size * mean_degree "
                f"to be even, got {n} * {k}"
            )
        if k <= PAIRING_MAX_DEGREE:
            return random_regular_edges(n, k, model.rng)
        g = nx.random_regular_graph(k, n, seed=seed)
    else:  # pragma: no cover - the scenario schema only lets known kinds through
        raise ValueError(f"network.kind: unknown kind {kind!r}")
    return np.array(g.edges(), np.int64).reshape(-1, 2)
