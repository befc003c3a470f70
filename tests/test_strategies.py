"""The contract every registered strategy keeps, and the built-ins' decisions."""

from __future__ import annotations

import pickle
import runpy
from pathlib import Path

import numpy as np
import pytest

from simulation import STRATEGIES, GiveTakeModel
from simulation.model import Tick
from simulation.strategies import DecisionContext
from simulation.strategies.base import CLASSIFIER_KEYS

ROOT = Path(__file__).resolve().parents[1]


def requests_for(model: GiveTakeModel, strategy_name: str) -> DecisionContext:
    """A week's real requests addressed to members of one strategy."""
    model.tick = Tick()
    model.mechanism("needs").step(model)
    model.mechanism("asking").step(model)
    plan = model.tick.plan
    asker, giver, edge, side = plan.asker, plan.giver, plan.edge, plan.side
    mine = model.population.strategy[giver] == model.strategy_names.index(strategy_name)
    asker, giver, edge, side = asker[mine], giver[mine], edge[mine], side[mine]
    ties = model.ties
    return DecisionContext(
        model=model,
        giver=giver,
        asker=asker,
        edge=edge,
        given=ties.ledger[edge, 1 - side],
        received=ties.ledger[edge, side],
        trust=ties.trust[edge, 1 - side],
        asker_reputation=model.population.reputation(asker),
    )


def model_with(name: str, seed: int) -> GiveTakeModel:
    shares = {name: 0.5, "matcher": 0.5} if name != "matcher" else {"matcher": 0.5, "giver": 0.5}
    m = GiveTakeModel(
        {"population": {"size": 120, "mix": shares}, "network": {"mean_degree": 8}}, rng=seed
    )
    m.run_for(5)  # some history on the ledgers
    return m


@pytest.fixture(params=sorted(STRATEGIES))
def name(request):
    return request.param


def test_classifier_is_complete(name):
    cls = STRATEGIES[name]
    assert cls.name == name
    assert set(CLASSIFIER_KEYS) <= set(cls.classifier)
    assert all(isinstance(cls.classifier[k], bool) for k in CLASSIFIER_KEYS)
    assert cls.__doc__ and cls.__doc__.strip()


def test_decisions_repeat_for_a_seed(name):
    a = requests_for(model_with(name, 3), name)
    b = requests_for(model_with(name, 3), name)
    assert len(a) > 0
    da = STRATEGIES[name]().gives(a)
    db = STRATEGIES[name]().gives(b)
    assert da.dtype == bool and da.shape == (len(a),)
    assert np.array_equal(da, db)


def test_strategy_survives_pickling(name):
    strat = STRATEGIES[name]()
    clone = pickle.loads(pickle.dumps(strat))
    assert clone == strat
    ctx = requests_for(model_with(name, 4), name)
    assert np.array_equal(clone.gives(ctx), strat.gives(ctx))


def test_models_with_the_strategy_repeat_for_a_seed(name):
    a, b = model_with(name, 9), model_with(name, 9)
    a.run_for(5)
    b.run_for(5)
    assert a.datacollector.get_model_vars_dataframe().equals(b.datacollector.get_model_vars_dataframe())


def test_builtin_decisions():
    model = model_with("matcher", 1)
    ctx = requests_for(model, "matcher")
    n = len(ctx)
    owes = DecisionContext(model, ctx.giver, ctx.asker, ctx.edge, np.full(n, 2), np.zeros(n, int), ctx.trust, ctx.asker_reputation)
    fresh = DecisionContext(model, ctx.giver, ctx.asker, ctx.edge, np.zeros(n, int), np.zeros(n, int), ctx.trust, ctx.asker_reputation)
    shady = DecisionContext(model, ctx.giver, ctx.asker, ctx.edge, np.zeros(n, int), np.zeros(n, int), ctx.trust, np.full(n, 0.1))
    assert STRATEGIES["giver"]().gives(owes).all()
    assert not STRATEGIES["taker"]().gives(fresh).any()
    assert STRATEGIES["matcher"]().gives(fresh).all()  # help first, on credit
    assert not STRATEGIES["matcher"]().gives(owes).any()  # then only while balanced
    assert STRATEGIES["otherish_giver"]().gives(fresh).all()
    assert not STRATEGIES["otherish_giver"]().gives(shady).any()  # not a doormat
    assert STRATEGIES["connector"].classifier["introduces"] and not STRATEGIES["giver"].classifier["introduces"]


def test_the_documented_user_strategy_example_runs():
    namespace = runpy.run_path(str(ROOT / "examples" / "custom_strategy.py"))
    try:
        assert "grudger" in STRATEGIES
        model = GiveTakeModel(
            {"population": {"size": 150, "mix": {"grudger": 0.5, "taker": 0.5}}, "network": {"mean_degree": 8}},
            rng=2,
        )
        model.run_for(30)
        df = model.datacollector.get_model_vars_dataframe()
        assert "n_grudger" in df and df["n_grudger"].iloc[0] == 75
        assert df["gifts"].sum() > 0  # grudgers do help
        ctx = requests_for(model, "grudger")
        decided = namespace["Grudger"]().gives(ctx)
        assert np.array_equal(decided, ctx.trust >= 0.45)  # ... only those they still trust
    finally:
        STRATEGIES.pop("grudger", None)
