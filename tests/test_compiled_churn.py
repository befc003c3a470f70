"""Churn's compiled week (``simulation.compiled.churn``) against the numpy reference.

Its kernels draw from the model's generator themselves (a Poisson count of newcomers, their
strategies, skills, interests and rank, who leaves, who moves): each draw is checked here
against what numpy draws from the same state, number for number and the generator's state
after; ``tests/test_compiled.py`` checks whole runs of every built-in scenario.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from test_compiled import assert_same

from simulation import GiveTakeModel

numba = pytest.importorskip("numba")


@numba.njit
def _poisson(gen, lam, n):
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = gen.poisson(lam)
    return out


@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.5, 3.0, 9.999, 10.0, 10.5, 37.2, 1000.0, 2.5e6])
def test_a_poisson_draw_in_a_kernel_is_numpys(lam):
    """numba's ``Generator.poisson`` (the count of newcomers) gives numpy's numbers and leaves
    the generator where numpy leaves it, below 10 (multiplying uniforms), at 10 and above
    (numpy's rejection sampler, with its logarithms) and at 0 (no draw)."""
    for seed in range(20):
        ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
        got = _poisson(ours, lam, 50)
        want = np.array([numpys.poisson(lam) for _ in range(50)])
        assert got.tolist() == want.tolist(), (lam, seed)
        assert ours.bit_generator.state == numpys.bit_generator.state, (lam, seed)


def _model(mix: dict[str, float], compiled: bool) -> GiveTakeModel:
    return GiveTakeModel(rng=3, population__size=30, population__mix=mix, compiled=compiled)


@pytest.mark.parametrize(
    "mix",
    [
        {"giver": 0.2, "otherish_giver": 0.2, "matcher": 0.4, "taker": 0.1, "connector": 0.1},
        {"giver": 1 / 3, "matcher": 1 / 3, "taker": 1 / 3},
        {"matcher": 1.0},
        {"giver": 0.05, "matcher": 0.9, "taker": 0.05},
    ],
)
def test_newcomers_strategies_and_traits_are_drawn_as_numpy_draws_them(mix):
    """``draw_strategies`` and ``_random_subsets`` on the compiled path (the kernels
    ``strategies`` and ``random_subsets``, which churn's ``leave`` calls for its newcomers)
    against the numpy path, from the same generator state, for any number of members."""
    compiled, reference = _model(mix, True), _model(mix, False)
    reference.rng = copy.deepcopy(compiled.rng)
    for n in [0, 1, 2, 3, 7, 10, 31, 250]:
        got, want = compiled.draw_strategies(n), reference.draw_strategies(n)
        assert got.dtype == want.dtype and got.tolist() == want.tolist(), n
        for k, size in [(8, 2), (8, 0), (5, 5), (12, 3)]:
            got, want = compiled._random_subsets(n, k, size), reference._random_subsets(n, k, size)
            np.testing.assert_array_equal(got, want, err_msg=f"{n} {k} {size}")
        assert compiled.rng.bit_generator.state == reference.rng.bit_generator.state, n


def test_a_mix_whose_remainders_choice_refuses_fails_on_both_paths():
    """Where the strategies' remainders are not a distribution ``Generator.choice`` takes,
    the compiled draw leaves them to it, and both paths raise as it does."""
    for compiled in (True, False):
        model = _model({"giver": 0.5, "taker": 0.5}, compiled)
        model.mix = np.array([0.3, 0.3])  # 5 members: one each, 3 short of 2 remainders
        with pytest.raises(ValueError):
            model.draw_strategies(5)


def test_churn_runs_two_kernels_a_week(monkeypatch):
    """The compiled churn settles up, draws who leaves, how many come and what they bring in
    one call a week (``leave``), and makes the newcomers' ties, changes skills and moves
    members in another (``arrive``); the run is the numpy path's."""
    import simulation.compiled.churn as kernels

    calls = {"leave": 0, "arrive": 0}
    for name in calls:
        kernel = getattr(kernels, name)

        def counted(*args, name=name, kernel=kernel):
            calls[name] += 1
            return kernel(*args)

        monkeypatch.setattr(kernels, name, counted)
    settings = {"population__size": 120, "mechanisms__churn__arrival_rate": 0.05}
    compiled = GiveTakeModel(rng=8, compiled=True, **settings)
    reference = GiveTakeModel(rng=8, compiled=False, **settings)
    compiled.run_for(12)
    reference.run_for(12)
    assert calls == {"leave": 12, "arrive": 12}
    a = compiled.datacollector.get_model_vars_dataframe()
    b = reference.datacollector.get_model_vars_dataframe()
    assert a["joined"].sum() > 0 and a["left"].sum() > 0
    assert a.equals(b)
    assert compiled.rng.bit_generator.state == reference.rng.bit_generator.state


@pytest.mark.parametrize(
    "settings",
    [
        {"network__attachment_bias": 0.5},  # numpy's powers handed to the kernel
        {"network__attachment_bias": 3.7, "network__max_ties": 5},  # newcomers' ties refused at the cap
        {"mechanisms__churn__replace": True, "mechanisms__churn__initial_contacts": 0},
        {
            "mechanisms__churn__p_quit": 0.0,
            "mechanisms__churn__upkeep": 0.0,
            "mechanisms__churn__arrival_rate": 0.0,
        },
        {"mechanisms__churn__initial_contacts": 12, "mechanisms__churn__relocate_keep": 0.0},
    ],
    ids=[
        "bias-0.5",
        "bias-3.7-cap-5",
        "replace-no-contacts",
        "no-quit-upkeep-arrivals",
        "many-contacts-keep-none",
    ],
)
def test_churn_is_the_same_on_both_paths_under_other_settings(settings):
    """Whole runs with churn frequent, under settings the built-in scenarios do not use."""
    busy = {
        "population__size": 150,
        "mechanisms__churn__p_exit": 0.03,
        "mechanisms__churn__failure_wealth": 3.0,
        "mechanisms__churn__arrival_rate": 0.08,
        "mechanisms__churn__p_skill_change": 0.05,
        "mechanisms__churn__p_relocate": 0.05,
    }
    busy.update(settings)
    numpy_model = GiveTakeModel(rng=21, compiled=False, **busy)
    compiled_model = GiveTakeModel(rng=21, compiled=True, **busy)
    numpy_model.run_for(25)
    compiled_model.run_for(25)
    df = compiled_model.datacollector.get_model_vars_dataframe()
    assert df["left"].sum() > 0
    if busy["mechanisms__churn__arrival_rate"] or busy.get("mechanisms__churn__replace"):
        assert df["joined"].sum() > 0
    assert_same(numpy_model, compiled_model, str(settings))
    assert len(compiled_model.agents) == compiled_model.population.n_alive
