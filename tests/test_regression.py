"""Pinned-seed regression: trajectories that must not change silently.

The expected values in ``tests/data/regression.json`` were produced by this
file.  When a change to the model is *meant* to change trajectories,
regenerate them and say so in the commit:

    python tests/test_regression.py --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation import GiveTakeModel

DATA = Path(__file__).resolve().parent / "data" / "regression.json"

CASES = {
    "default_small": ({"population": {"size": 200}, "network": {"mean_degree": 10}}, 2024, 30),
    "takers_and_matchers": (
        {"population": {"size": 150, "mix": {"matcher": 0.6, "taker": 0.4}}, "network": {"mean_degree": 8}},
        7,
        30,
    ),
}

COLUMNS = [
    "members",
    "ties",
    "needs",
    "requests",
    "gifts",
    "refusals",
    "welfare",
    "failed",
    "mean_wealth",
    "clustering",
    "giant_component",
    "n_taker",
    "wealth_matcher",
]


def trajectory(name: str) -> dict[str, list]:
    scenario, seed, steps = CASES[name]
    model = GiveTakeModel(scenario, rng=seed)
    model.run_for(steps)
    df = model.datacollector.get_model_vars_dataframe()
    return {c: [float(x) for x in df[c]] for c in COLUMNS}


@pytest.mark.parametrize("name", sorted(CASES))
def test_pinned_trajectory(name):
    expected = json.loads(DATA.read_text())[name]
    got = trajectory(name)
    for col in COLUMNS:
        np.testing.assert_allclose(got[col], expected[col], rtol=1e-9, atol=1e-9, err_msg=f"{name}: {col}")


if __name__ == "__main__" and "--update" in sys.argv:
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text(json.dumps({name: trajectory(name) for name in sorted(CASES)}, indent=1) + "\n")
    print(f"wrote {DATA}")
