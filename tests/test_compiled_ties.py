"""The tie store's compiled changes against its numpy code: removing members' ties.

``TieGraph.remove_members`` on the compiled path finds the members' ties in their rows of the
last contact index built and among the ties appended since; the numpy path looks through every
tie slot.  Both must remove the same ties and leave the same arrays, whether an index was built
or not, with ties added and removed since it was, and for members it has no row for.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from simulation.compiled import load  # noqa: E402
from simulation.ties import TieGraph  # noqa: E402


def _state(ties: TieGraph) -> dict:
    return {
        "alive": ties.alive[: ties.size].tolist(),
        "deg": ties.deg.tolist(),
        "count": ties.count,
        "size": ties.size,
        "keys": ties.sorted_keys().tolist(),
    }


@pytest.mark.parametrize("seed", range(6))
def test_removing_members_ties_is_the_same_on_both_paths(seed):
    load(True)
    rng = np.random.default_rng(seed)
    graphs = []
    for compiled in (True, False):
        ties = TieGraph(capacity=32)
        ties.compiled = compiled
        graphs.append(ties)
    n_slots = 40
    first_a, first_b = rng.integers(0, n_slots, 120), rng.integers(0, n_slots, 120)
    for ties in graphs:
        ties.add(first_a, first_b, strength=0.5, trust=0.5, step=0)
    removed = 0
    for week in range(40):
        ops = np.random.default_rng([seed, week])
        index_now = ops.random() < 0.6
        n_slots += int(ops.integers(0, 3))  # members the last index has no row for
        a, b = ops.integers(0, n_slots, 15), ops.integers(0, n_slots, 15)
        members = np.unique(ops.integers(0, n_slots, int(ops.integers(1, 6))))
        every = int(ops.integers(5, 9))
        out = []
        for ties in graphs:
            if index_now:
                ties.directed(n_slots)
            ties.add(a, b, strength=0.5, trust=0.5, step=week)
            ties.remove(ties.live()[::every])
            out.append(ties.remove_members(members, n_slots))
            if week % 13 == 12:
                ties.compact()
        assert out[0] == out[1]
        assert _state(graphs[0]) == _state(graphs[1])
        removed += out[0]
    assert removed > 0
