"""Initial networks: lattices, random regular, Barabási–Albert, complete; sizes and seeds."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.model import GiveTakeModel
from simulation.scenario import Scenario, ScenarioError
from simulation.topology import DEGREE_FROM_SHAPE, KINDS, complete_edges, lattice_edges


def degrees(edges: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(edges.ravel(), minlength=n)


def test_periodic_moore_lattice_gives_everyone_eight_distinct_neighbours():
    e = lattice_edges(7, 5, "moore", periodic=True)
    assert (degrees(e, 35) == 8).all()
    assert len(np.unique(e, axis=0)) == len(e) == 35 * 8 // 2
    # cell (0, 0) touches the far corner (6, 4) across both wrapped edges
    corner = 4 * 7 + 6
    assert any((a == 0 and b == corner) for a, b in e)


def test_fixed_von_neumann_lattice_has_fewer_neighbours_on_the_border():
    w, h = 5, 4
    deg = degrees(lattice_edges(w, h, "von_neumann", periodic=False), w * h).reshape(h, w)
    assert deg[0, 0] == deg[0, -1] == deg[-1, 0] == deg[-1, -1] == 2
    assert (deg[0, 1:-1] == 3).all() and (deg[1:-1, 0] == 3).all()
    assert (deg[1:-1, 1:-1] == 4).all()


def test_fixed_moore_lattice_corner_has_three_neighbours_and_interior_eight():
    deg = degrees(lattice_edges(4, 4, "moore", periodic=False), 16).reshape(4, 4)
    assert deg[0, 0] == 3 and deg[0, 1] == 5 and deg[1, 1] == 8


def test_lattice_neighbours_are_adjacent_cells():
    w, h = 6, 6
    e = lattice_edges(w, h, "moore", periodic=False)
    ya, xa = np.divmod(e[:, 0], w)
    yb, xb = np.divmod(e[:, 1], w)
    assert (np.maximum(abs(xa - xb), abs(ya - yb)) == 1).all()


def test_complete_graph_joins_every_pair_once():
    e = complete_edges(6)
    assert len(e) == 15 and (e[:, 0] < e[:, 1]).all()
    assert (degrees(e, 6) == 5).all()


def test_lattice_scenario_sizes_the_population_from_width_and_height():
    m = GiveTakeModel(
        {
            "population": {"size": 10},
            "network": {"kind": "lattice", "width": 6, "height": 4},
            "metrics": "light",
        },
        rng=0,
    )
    assert m.population.n_alive == 24 == len(m.agents)
    assert m.ties.count == 24 * 8 // 2


@pytest.mark.parametrize(
    "kind, n, k, ties",
    [("random_regular", 30, 4, 60), ("complete", 12, 0, 66), ("barabasi_albert", 40, 6, (40 - 3) * 3)],
)
def test_graph_kinds_have_the_expected_number_of_ties(kind, n, k, ties):
    m = GiveTakeModel(
        {"population": {"size": n}, "network": {"kind": kind, "mean_degree": k}, "metrics": "light"}, rng=3
    )
    assert m.ties.count == ties
    if kind == "random_regular":
        assert (m.ties.degree(n) == k).all()


@pytest.mark.parametrize("kind", ["random_regular", "barabasi_albert", "watts_strogatz", "erdos_renyi"])
def test_same_seed_builds_the_same_random_network(kind):
    cfg = {"population": {"size": 40}, "network": {"kind": kind, "mean_degree": 4}, "metrics": "light"}

    def edges(seed):
        t = GiveTakeModel(cfg, rng=seed).ties
        idx = t.live()
        return sorted(zip(t.u[idx].tolist(), t.v[idx].tolist()))

    assert edges(7) == edges(7)
    assert edges(7) != edges(8)


def test_random_regular_needs_an_even_number_of_tie_ends():
    with pytest.raises(ScenarioError, match="network.mean_degree"):
        Scenario.from_dict(
            {"population": {"size": 11}, "network": {"kind": "random_regular", "mean_degree": 3}}
        )


def test_unknown_neighbourhood_is_rejected_with_the_key():
    with pytest.raises(ScenarioError, match="network.neighbourhood"):
        Scenario.from_dict({"network": {"kind": "lattice", "neighbourhood": "hexagonal"}})


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_topology_builds_is_a_kind_a_scenario_accepts(kind):
    """One list: a scenario accepts exactly the kinds topology knows how to build."""
    m = GiveTakeModel(
        {
            "population": {"size": 30},
            "network": {"kind": kind, "mean_degree": 4, "width": 5, "height": 6},
            "metrics": "light",
        },
        rng=1,
    )
    expected_ties = {"empty": 0, "complete": 30 * 29 // 2, "lattice": 30 * 8 // 2}
    if kind in expected_ties:
        assert m.ties.count == expected_ties[kind]
    else:
        assert 0 < m.ties.count <= 30 * 4


def test_a_kind_outside_the_list_is_refused_naming_the_known_kinds():
    with pytest.raises(ScenarioError, match="network.kind") as err:
        Scenario.from_dict({"network": {"kind": "hyperbolic"}})
    assert all(kind in str(err.value) for kind in KINDS)


def test_only_kinds_shaped_without_mean_degree_may_exceed_the_population():
    for kind in KINDS:
        raw = {
            "population": {"size": 9},
            "network": {"kind": kind, "mean_degree": 10, "width": 3, "height": 3},
        }
        if kind in DEGREE_FROM_SHAPE:
            Scenario.from_dict(raw)
        else:
            with pytest.raises(ScenarioError, match="network.mean_degree"):
                Scenario.from_dict(raw)
