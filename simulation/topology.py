"""Initial tie graphs (``[network]`` in a scenario), built with the model's generator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

if TYPE_CHECKING:
    from .model import GiveTakeModel

__all__ = ["initial_edges"]


def initial_edges(model: GiveTakeModel, cfg: dict[str, Any], n: int) -> np.ndarray:
    """Edges ``(m, 2)`` of the initial network over member slots ``0..n-1``."""
    k = cfg["mean_degree"]
    kind = cfg["kind"]
    if kind == "empty" or k == 0:
        return np.zeros((0, 2), np.int64)
    seed = model.random  # networkx draws from the model's own generator
    if kind == "powerlaw_cluster":
        g = nx.powerlaw_cluster_graph(n, max(1, k // 2), cfg["triangle_p"], seed=seed)
    elif kind == "erdos_renyi":
        g = nx.gnm_random_graph(n, n * k // 2, seed=seed)
    elif kind == "watts_strogatz":
        g = nx.watts_strogatz_graph(n, max(2, k), cfg["triangle_p"], seed=seed)
    else:  # pragma: no cover - the scenario schema only lets known kinds through
        raise ValueError(f"network.kind: unknown kind {kind!r}")
    return np.array(g.edges(), np.int64).reshape(-1, 2)
