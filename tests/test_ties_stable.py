"""Tie indices never go stale within a step.

Mechanisms record tie indices during a week (the asking plan, gifts, refusals) and
later mechanisms of the same week act on them (exchange, maintenance, styles).  The
tie arrays may only be renumbered (compacted) between steps.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_regression import DEFAULT_SMALL, SMALL

from simulation.model import GiveTakeModel
from simulation.scenario_files import builtin_scenarios, load_scenario
from simulation.ties import TieGraph


def _pairs(ties: TieGraph, edge: np.ndarray) -> np.ndarray:
    return np.stack([ties.u[edge], ties.v[edge]], axis=1)


def watch_tie_records(model: GiveTakeModel) -> list:
    """After every mechanism, note each newly recorded set of requests with the pairs its ties name."""
    records: list = []

    for mech in model.pipeline:

        def step(m, _inner=mech.step):
            _inner(m)
            for reqs in (m.tick.plan, m.tick.gifts, m.tick.refusals):
                if len(reqs) and not any(r is reqs for r, _ in records):
                    records.append((reqs, _pairs(m.ties, reqs.edge)))

        mech.step = step
    return records


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_tie_indices_recorded_in_a_step_name_the_same_pair_at_its_end(name):
    model = GiveTakeModel(load_scenario(name, {**SMALL.get(name, DEFAULT_SMALL)}), rng=3)
    records = watch_tie_records(model)
    checked = 0
    for _ in range(40):
        model.step()
        for reqs, pairs in records:
            np.testing.assert_array_equal(
                _pairs(model.ties, reqs.edge), pairs, err_msg=f"{name}, week {model.steps}"
            )
            ends = np.sort(np.stack([reqs.giver, reqs.asker], axis=1), axis=1)
            np.testing.assert_array_equal(ends, pairs)  # each request's tie joins its giver and asker
            checked += len(reqs)
        records.clear()
    if "giving" in [m.name for m in model.pipeline]:
        assert checked > 0


def test_adding_ties_never_renumbers_existing_ones():
    rng = np.random.default_rng(5)
    ties = TieGraph(capacity=16)
    ties.add(np.arange(0, 12), np.arange(1, 13), strength=0.5, trust=0.5, step=0)
    ties.remove(np.arange(0, 10))  # most slots dead: the old graph compacted on the next growth
    kept = ties.live().copy()
    before = _pairs(ties, kept)
    for week in range(20):
        a, b = rng.integers(0, 200, 50), rng.integers(0, 200, 50)
        ties.add(a, b, strength=0.5, trust=0.5, step=week)
        np.testing.assert_array_equal(_pairs(ties, kept), before)
    ties.compact_if_sparse()  # between steps it may renumber, keeping the live pairs
    assert {tuple(p) for p in before} <= {tuple(p) for p in _pairs(ties, ties.live())}
