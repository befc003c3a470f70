"""Influence: who is central by trust, and how it relates to rank (seed 001)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

if TYPE_CHECKING:
    from ..model import GiveTakeModel

__all__ = ["trust_pagerank", "burt_constraint", "burt_effective_size", "influence_measures"]


def trust_pagerank(
    n: int, src: np.ndarray, dst: np.ndarray, trust: np.ndarray, alpha: float = 0.85, tol: float = 1e-10
) -> np.ndarray:
    """PageRank of the directed trust graph: ``src -> dst`` weighted by ``src``'s trust in ``dst``.

    A member is central when members who are central trust it; members who
    trust nobody spread their weight evenly.  Same as ``networkx.pagerank``
    with ``weight`` = trust (tested), but vectorised.
    """
    if n == 0:
        return np.zeros(0)
    w = np.maximum(np.asarray(trust, float), 0.0)
    out = np.bincount(src, weights=w, minlength=n)
    keep = out[src] > 0
    m = sp.csr_matrix((w[keep] / out[src[keep]], (dst[keep], src[keep])), shape=(n, n))
    dangling = out <= 0
    x = np.full(n, 1.0 / n)
    for _ in range(1000):
        new = alpha * (m @ x + x[dangling].sum() / n) + (1.0 - alpha) / n
        done = np.abs(new - x).sum() < n * tol
        x = new
        if done:
            break
    return x / x.sum()


def _row_normalised(a: sp.csr_matrix, by: np.ndarray) -> sp.csr_matrix:
    with np.errstate(divide="ignore"):
        inv = np.where(by > 0, 1.0 / by, 0.0)
    return sp.diags(inv) @ a


def burt_constraint(a: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Burt's constraint of the nodes ``rows`` of a symmetric weighted adjacency ``a``.

    ``c_i = sum_j (p_ij + sum_q p_iq p_qj)^2`` over neighbours ``j``, with
    ``p_ij = a_ij / sum_k a_ik`` (Burt 1992).  Equals ``networkx.constraint``
    with the same weights (tested); NaN for isolated nodes.
    """
    a = sp.csr_matrix(a)
    p = _row_normalised(a, np.asarray(a.sum(axis=1)).ravel()).tocsr()
    pr = p[rows]
    mask = (a[rows] != 0).astype(float)
    z = (pr @ p).multiply(mask) + pr
    c = np.asarray(z.multiply(z).sum(axis=1)).ravel()
    deg = np.diff(a.indptr)[rows]
    return np.where(deg > 0, c, np.nan)


def burt_effective_size(a: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Burt's effective size of the nodes ``rows`` of a symmetric weighted adjacency ``a``.

    ``e_i = sum_j (1 - sum_q p_iq m_jq)`` over neighbours ``j``, with ``p`` as
    in :func:`burt_constraint` and ``m_jq = a_jq / max_k a_jk``.  Equals
    ``networkx.effective_size`` with the same weights (tested); NaN for
    isolated nodes.
    """
    a = sp.csr_matrix(a)
    p = _row_normalised(a, np.asarray(a.sum(axis=1)).ravel()).tocsr()
    m = _row_normalised(a, np.asarray(a.max(axis=1).todense()).ravel()).tocsr()
    mask = (a[rows] != 0).astype(float)
    redundancy = np.asarray((p[rows] @ m.T).multiply(mask).sum(axis=1)).ravel()
    deg = np.diff(a.indptr)[rows]
    return np.where(deg > 0, deg - redundancy, np.nan)


def _spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    rx = pd.Series(x).rank().to_numpy()
    ry = pd.Series(y).rank().to_numpy()
    r = float(np.corrcoef(rx, ry)[0, 1])
    return None if math.isnan(r) else r


def influence_measures(
    model: GiveTakeModel, sample: int = 2000, rng: np.random.Generator | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Influence versus rank (seed 001: the most trusted with the broadest connections).

    Per member: ``centrality`` (:func:`trust_pagerank`, scaled so the mean
    member has 1), ``degree``, and Burt's brokerage measures ``effective_size``
    and ``constraint`` on the strength-weighted graph (for at most ``sample``
    members drawn with ``rng`` when there are more; NaN for the others).

    Returns the per-member table and a summary with Spearman correlations
    (``rank_centrality`` is the influence-rank correlation).
    """
    pop, ties = model.population, model.ties
    alive = pop.alive_slots()
    n = len(alive)
    index = np.full(pop.size, -1, np.int64)
    index[alive] = np.arange(n)
    e = ties.live()
    e = e[(index[ties.u[e]] >= 0) & (index[ties.v[e]] >= 0)]
    u, v = index[ties.u[e]], index[ties.v[e]]
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    trust = np.concatenate([ties.trust[e, 0], ties.trust[e, 1]])
    centrality = trust_pagerank(n, src, dst, trust) * n
    strength = np.maximum(np.concatenate([ties.strength[e], ties.strength[e]]), 1e-12)
    a = sp.csr_matrix((strength, (src, dst)), shape=(n, n))
    degree = np.diff(a.indptr)
    if sample and n > sample:
        gen = rng if rng is not None else np.random.default_rng(0)
        rows = np.sort(gen.choice(n, sample, replace=False))
    else:
        rows = np.arange(n)
    eff = np.full(n, np.nan)
    con = np.full(n, np.nan)
    if n:
        eff[rows] = burt_effective_size(a, rows)
        con[rows] = burt_constraint(a, rows)
    rank = pop.rank[alive].astype(float)
    strategy = np.array(model.strategy_names, dtype=object)[pop.strategy[alive]] if n else np.zeros(0, object)
    table = pd.DataFrame(
        {
            "slot": alive,
            "unique_id": [model.members[s].unique_id for s in alive],
            "strategy": strategy,
            "rank": pop.rank[alive].astype(np.int64),
            "degree": degree,
            "centrality": centrality,
            "effective_size": eff,
            "constraint": con,
        }
    )
    by_strategy = {}
    for i, name in enumerate(model.strategy_names):
        sel = pop.strategy[alive] == i
        if sel.any():
            by_strategy[name] = float(centrality[sel].mean())
    summary = {
        "members": int(n),
        "brokerage_members": int(len(rows)),
        "rank_centrality": _spearman(rank, centrality),
        "rank_effective_size": _spearman(rank, eff),
        "rank_constraint": _spearman(rank, con),
        "rank_degree": _spearman(rank, degree.astype(float)),
        "centrality_effective_size": _spearman(centrality, eff),
        "centrality_constraint": _spearman(centrality, con),
        "centrality_by_strategy": by_strategy,
    }
    return table, summary
