"""The Holme–Kim generator: the compiled kernel and its plain-Python twin agree, the graph
is simple and reproducible, and its statistics are those of networkx's
``powerlaw_cluster_graph`` (which built the initial network before)."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from simulation import GiveTakeModel
from simulation.holme_kim import COMPILED, holme_kim_edges


@pytest.mark.parametrize(
    "n, m, p", [(300, 3, 0.5), (300, 10, 0.5), (200, 4, 1.0), (200, 4, 0.0), (50, 1, 0.7)]
)
def test_compiled_and_plain_kernels_draw_the_same_graph(n, m, p):
    assert COMPILED
    a = holme_kim_edges(n, m, p, np.random.default_rng(11))
    b = holme_kim_edges(n, m, p, np.random.default_rng(11), compiled=False)
    assert np.array_equal(a, b)


def test_same_seed_same_graph_and_another_seed_another():
    a, b = (holme_kim_edges(500, 5, 0.5, np.random.default_rng(3)) for _ in range(2))
    c = holme_kim_edges(500, 5, 0.5, np.random.default_rng(4))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("m, p", [(10, 0.5), (3, 0.9), (1, 0.5)])
def test_graph_is_simple_and_every_newcomer_makes_at_most_m_ties(m, p):
    n = 800
    e = holme_kim_edges(n, m, p, np.random.default_rng(5))
    assert (e[:, 0] > e[:, 1]).all()  # newcomer first: no self-ties
    assert len({tuple(x) for x in e.tolist()}) == len(e)  # no tie twice
    per_newcomer = np.bincount(e[:, 0], minlength=n)
    assert (per_newcomer[:m] == 0).all() and (per_newcomer[m:] <= m).all()
    assert per_newcomer[m] == m  # the first newcomer joins every seed node
    g = nx.Graph(e.tolist())
    assert nx.is_connected(g) and g.number_of_nodes() == n
    # a tie is lost only when a triad formation reached a later preferential-attachment target
    assert len(e) >= 0.98 * m * (n - m)


@pytest.mark.parametrize("m, p", [(10, 0.5), (3, 0.9)])
def test_degrees_and_clustering_match_networkx_powerlaw_cluster_graph(m, p):
    n, runs = 1000, 12
    ours, theirs = [], []
    for seed in range(runs):
        for graph, out in (
            (nx.Graph(holme_kim_edges(n, m, p, np.random.default_rng(seed)).tolist()), ours),
            (nx.powerlaw_cluster_graph(n, m, p, seed=seed), theirs),
        ):
            degree = np.array([d for _, d in graph.degree()])
            out.append(
                {
                    "ties": graph.number_of_edges(),
                    "clustering": nx.average_clustering(graph),
                    "transitivity": nx.transitivity(graph),
                    "second_moment": float((degree**2).mean()),
                    "max_degree": degree.max(),
                    "degrees": degree,
                }
            )
    for key in ("ties", "clustering", "transitivity", "second_moment", "max_degree"):
        a = np.array([r[key] for r in ours], float)
        b = np.array([r[key] for r in theirs], float)
        assert stats.ttest_ind(a, b, equal_var=False).pvalue > 0.001, key
        assert abs(a.mean() - b.mean()) <= 0.1 * b.mean(), key
    # the whole degree distribution: pooled over the runs
    ks = stats.ks_2samp(
        np.concatenate([r["degrees"] for r in ours]), np.concatenate([r["degrees"] for r in theirs])
    )
    assert ks.pvalue > 0.001


def _model_edges(seed: int, **kw) -> list[tuple[int, int]]:
    t = GiveTakeModel({"population": {"size": 300}, "metrics": "light"}, rng=seed, **kw).ties
    idx = t.live()
    return sorted(zip(t.u[idx].tolist(), t.v[idx].tolist()))


def test_the_default_network_comes_from_the_model_generator():
    assert _model_edges(7) == _model_edges(7)
    assert _model_edges(7) != _model_edges(8)
    # mean degree 20: ten ties per newcomer, rarely one fewer
    assert len(_model_edges(7)) >= 0.98 * 10 * (300 - 10)


def test_without_numba_the_model_grows_the_same_network():
    """Where numba cannot be imported, or the model runs its numpy path, the plain-Python
    kernel grows the same graph."""
    assert _model_edges(7, compiled=False) == _model_edges(7)
    script = (
        "import sys, json; sys.modules['numba'] = None\n"
        "from simulation import holme_kim\n"
        "assert not holme_kim.COMPILED\n"
        "from simulation import GiveTakeModel\n"
        "t = GiveTakeModel({'population': {'size': 300}, 'metrics': 'light'}, rng=7).ties\n"
        "i = t.live()\n"
        "print(json.dumps(sorted(zip(t.u[i].tolist(), t.v[i].tolist()))))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert [tuple(e) for e in json.loads(out.stdout)] == _model_edges(7)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="1 <= m < n"):
        holme_kim_edges(5, 5, 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        holme_kim_edges(50, 2, 1.5, np.random.default_rng(0))
