"""Pinned-seed regression: trajectories that must not change silently.

Every built-in scenario (networking styles and classic games) is run small, with a
fixed seed, and every per-step metric is compared with ``tests/data/regression.json``,
which this file wrote.  When a change to the model is *meant* to change trajectories,
regenerate them and say what changed and why in the commit:

    python tests/test_regression.py --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation import GiveTakeModel
from simulation.scenario_files import builtin_scenarios, load_scenario

DATA = Path(__file__).resolve().parent / "data" / "regression.json"
STEPS = 30

#: small versions of the built-in scenarios: what each needs to fit in a quick test
SMALL = {
    "nowak_may": {"network.width": 12, "network.height": 12},
    "moran": {"population.size": 30},
    "ohtsuki_death_birth": {"population.size": 30},
    "taker_invasion": {"population.size": 150, "mechanisms.arrivals.at": 10},
}
DEFAULT_SMALL = {"population.size": 150}

#: plain dict scenarios pinned alongside the built-ins
DICT_CASES = {
    "default_small": ({"population": {"size": 200}, "network": {"mean_degree": 10}}, 2024),
    "takers_and_matchers": (
        {"population": {"size": 150, "mix": {"matcher": 0.6, "taker": 0.4}}, "network": {"mean_degree": 8}},
        7,
    ),
}
CASES = sorted(DICT_CASES) + sorted(builtin_scenarios())


def model_for(name: str) -> GiveTakeModel:
    """The small seeded model of case ``name``."""
    if name in DICT_CASES:
        scenario, seed = DICT_CASES[name]
        return GiveTakeModel(scenario, rng=seed)
    return GiveTakeModel(load_scenario(name, SMALL.get(name, DEFAULT_SMALL)), rng=11)


def trajectory(name: str) -> dict[str, list]:
    model = model_for(name)
    model.run_for(STEPS)
    df = model.datacollector.get_model_vars_dataframe()
    return {c: [float(x) for x in df[c]] for c in df.columns}


def test_every_builtin_scenario_is_pinned():
    assert set(json.loads(DATA.read_text())) == set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_pinned_trajectory(name):
    expected = json.loads(DATA.read_text())[name]
    got = trajectory(name)
    assert sorted(got) == sorted(expected), f"{name}: the metric columns changed"
    for col in expected:
        np.testing.assert_allclose(got[col], expected[col], rtol=1e-9, atol=1e-9, err_msg=f"{name}: {col}")


if __name__ == "__main__" and "--update" in sys.argv:
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text(json.dumps({name: trajectory(name) for name in CASES}, indent=1) + "\n")
    print(f"wrote {DATA}")
