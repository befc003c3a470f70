"""The per-agent Mesa baseline (benchmarks/mesa_baseline.py) against the engine.

Fast checks only: the baseline runs and keeps the same books as the engine,
its strategies decide every request as the engine's vectorised strategies do,
and on a small construction without chance both give the same counts.  The
statistical comparison over many seeds is ``benchmarks/bench_engine_vs_mesa.py``.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation.model import GiveTakeModel
from simulation.scenario import Scenario
from simulation.strategies import BUILTIN, DecisionContext, get_strategy

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "mesa_baseline.py"
_spec = importlib.util.spec_from_file_location("mesa_baseline", _PATH)
mb = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("mesa_baseline", mb)
_spec.loader.exec_module(mb)

MODELS = {"engine": GiveTakeModel, "mesa": mb.MesaBaselineModel}

#: the weekly dynamics (the baseline leaves out stages that only observe the network)
DYNAMICS = list(mb.CORE["pipeline"])

SMALL = mb.core({"population": {"size": 60}, "network": {"mean_degree": 6}})


def _closed() -> dict:
    """Small world where nobody leaves (so wealth can be accounted for member by member)."""
    return mb.core({**SMALL, "mechanisms": {"churn": {"p_exit": 0.0, "failure_wealth": -1e9}}})


def _wealth(model) -> np.ndarray:
    if isinstance(model, GiveTakeModel):
        pop = model.population
        return pop.wealth[pop.alive_slots()].copy()
    return np.array([p.wealth for p in model.agents])


def _gift_totals(model) -> tuple[int, int]:
    if isinstance(model, GiveTakeModel):
        pop = model.population
        return int(pop.gifts_given[: pop.size].sum()), int(pop.gifts_received[: pop.size].sum())
    return sum(p.gifts_given for p in model.agents), sum(p.gifts_received for p in model.agents)


def test_baseline_runs_and_reports_the_engines_columns():
    engine = GiveTakeModel(SMALL, rng=3)
    mesa_ = mb.MesaBaselineModel(SMALL, rng=3)
    mesa_.run_for(4)
    df = mesa_.datacollector.get_model_vars_dataframe()
    assert list(df.columns) == list(engine.datacollector.get_model_vars_dataframe().columns)
    assert df["step"].tolist() == [0, 1, 2, 3, 4]
    assert df["members"].iloc[-1] == len(mesa_.agents)
    assert df["ties"].iloc[-1] == sum(len(p.contacts) for p in mesa_.agents) / 2
    # same seed, different implementation: still a reproducible run
    again = mb.MesaBaselineModel(SMALL, rng=3)
    again.run_for(4)
    assert again.datacollector.get_model_vars_dataframe().equals(df)


@pytest.mark.parametrize("name", list(MODELS))
def test_value_is_conserved_the_same_way(name):
    model = MODELS[name](_closed(), rng=11)
    cfg = model.config.data["mechanisms"]
    b, c, upkeep = cfg["exchange"]["b"], cfg["exchange"]["c"], cfg["churn"]["upkeep"]
    total_gifts = 0
    for _ in range(6):
        before = _wealth(model).sum()
        model.step()
        m = model.metrics
        # every change of value is a gift (b - c) or upkeep, and welfare counts exactly that
        assert _wealth(model).sum() - before == pytest.approx(m["welfare"])
        assert m["welfare"] == pytest.approx(m["gifts"] * (b - c) - upkeep * m["members"])
        assert m["gifts"] <= m["needs"] and m["gifts"] + m["refusals"] <= m["requests"]
        assert m["fulfilment_rate"] == pytest.approx(m["gifts"] / m["needs"] if m["needs"] else 0.0)
        total_gifts += m["gifts"]
    assert total_gifts > 0
    assert _gift_totals(model) == (total_gifts, total_gifts)


def test_strategy_rules_decide_every_request_like_the_engine():
    defaults = Scenario.from_dict(mb.core()).data["strategies"]  # the core model the baseline implements

    class Who:  # a member as the rules see it
        def __init__(self, reputation=0.5):
            self.reputation = reputation

    class Ledger:
        def __init__(self, giver, asker, given, received):
            self.given = {giver: given, asker: received}

    grid = list(itertools.product(range(7), range(7), (0.1, 0.29, 0.3, 0.31, 0.5, 0.9)))
    given = np.array([g for g, _, _ in grid])
    received = np.array([r for _, r, _ in grid])
    rep = np.array([p for _, _, p in grid])
    for name in BUILTIN:
        params = defaults.get(name, {})
        if "forgive" in params:  # the same chance of forgiving; each draws from its own stream
            assert mb.make_rules(name, params).forgive == get_strategy(name)(**params).forgive, name
            params = {**params, "forgive": 0.0}  # decisions compared without chance
        engine = get_strategy(name)(**params)
        rules = mb.make_rules(name, params)
        for attr in ("asks_factor", "tolerance", "cuts_distrusted"):
            assert getattr(rules, attr) == getattr(engine, attr), (name, attr)
        assert rules.introduces == engine.classifier["introduces"], name
        n = len(grid)
        ctx = DecisionContext(
            model=None,
            giver=np.zeros(n, np.int64),
            asker=np.ones(n, np.int64),
            edge=np.zeros(n, np.int64),
            given=given,
            received=received,
            trust=np.full(n, 0.5),
            asker_reputation=rep,
        )
        expected = engine.gives(ctx)
        giver = Who()
        got = []
        for g, r, p in grid:
            asker = Who(p)
            got.append(rules.gives(giver, asker, Ledger(giver, asker, g, r)))
        assert got == expected.tolist(), name


def test_a_copy_of_the_engines_state_measures_the_same():
    engine = GiveTakeModel(SMALL, rng=9)
    engine.run_for(5)
    copy = mb.MesaBaselineModel.from_engine(engine, rng=1)
    assert copy.steps == engine.steps and len(copy.agents) == engine.population.n_alive
    # every metric without sampling is computed independently and must come out the same
    for k in (
        "members",
        "ties",
        "mean_degree",
        "giant_component",
        "gini",
        "mean_trust",
        "mean_strength",
        "mean_wealth",
        *(f"n_{s}" for s in BUILTIN),
        *(f"wealth_{s}" for s in BUILTIN),
    ):
        assert copy.metrics[k] == pytest.approx(engine.metrics[k], rel=1e-12, abs=1e-12), k
    assert copy.metrics["clustering"] == pytest.approx(engine.metrics["clustering"], abs=0.1)
    engine.step()
    copy.step()  # and both go on from there
    assert copy.metrics["step"] == engine.metrics["step"] == 6


def test_initial_strategy_counts_are_the_same():
    engine = GiveTakeModel(SMALL, rng=5).metrics
    mesa_ = mb.MesaBaselineModel(SMALL, rng=5).metrics
    for s in BUILTIN:
        assert engine[f"n_{s}"] == mesa_[f"n_{s}"]
    assert engine["members"] == mesa_["members"] == 60


# two givers and six takers on a complete network; every member needs the one skill it lacks
GIVERS_TAKERS = mb.core(
    {
        "population": {
            "size": 8,
            "skills": 2,
            "skills_per_member": 1,
            "mix": {"giver": 0.25, "otherish_giver": 0.0, "matcher": 0.0, "taker": 0.75, "connector": 0.0},
        },
        "network": {"kind": "complete"},
        "pipeline": DYNAMICS,
        "mechanisms": {
            "needs": {"p_need": 1.0},
            "asking": {"asks": 10, "exploration": 0.0},
            "giving": {"capacity": 1},
            "meeting": {"p_random": 0.0, "p_attach": 0.0, "p_triadic": 0.0},
            "introductions": {"p_ask": 0.0, "p_broker": 0.0},
            "churn": {"p_exit": 0.0, "failure_wealth": -1e9, "p_skill_change": 0.0, "p_relocate": 0.0},
        },
    }
)
#: member i's strategy and skill: a giver and three takers offer skill 0, the same offer skill 1
LAYOUT = [
    ("giver", 0),
    ("giver", 1),
    ("taker", 0),
    ("taker", 0),
    ("taker", 0),
    ("taker", 1),
    ("taker", 1),
    ("taker", 1),
]


def _arrange(model) -> None:
    if isinstance(model, GiveTakeModel):
        pop = model.population
        for slot, (strategy, skill) in enumerate(LAYOUT):
            pop.strategy[slot] = model.strategy_names.index(strategy)
            pop.skills[slot] = False
            pop.skills[slot, skill] = True
    else:
        for person, (strategy, skill) in zip(model.agents, LAYOUT):
            person.rules = model.rules[strategy]
            person.skills = {skill}


def _gifts_given_by_strategy(model) -> dict[str, int]:
    out = dict.fromkeys(("giver", "taker"), 0)
    if isinstance(model, GiveTakeModel):
        pop = model.population
        for slot in pop.alive_slots():
            out[model.strategy_names[pop.strategy[slot]]] += int(pop.gifts_given[slot])
    else:
        for p in model.agents:
            out[p.strategy] += p.gifts_given
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_givers_and_takers_without_chance_agree(seed):
    steps = 3
    results = {}
    for name, cls in MODELS.items():
        model = cls(GIVERS_TAKERS, rng=seed)
        _arrange(model)
        model.run_for(steps)
        df = model.datacollector.get_model_vars_dataframe().iloc[1:]
        results[name] = df
        # everyone needs a skill each week; each giver serves exactly one asker (capacity 1)
        assert df["needs"].tolist() == [8] * steps
        assert df["gifts"].tolist() == [2] * steps
        # takers never give; givers never refuse: every refusal is a taker's.  An unserved
        # asker asks all four holders of its skill (3 takers refuse); a served one at most that.
        assert _gifts_given_by_strategy(model) == {"giver": 2 * steps, "taker": 0}
        assert all(18 <= r <= 24 for r in df["refusals"])
        assert (df["members"] == 8).all() and (df["ties"] == 28).all()
    for col in ("needs", "gifts", "welfare", "fulfilment_rate", "members", "ties", "mean_wealth"):
        assert results["engine"][col].tolist() == pytest.approx(results["mesa"][col].tolist()), col


def _strategies_and_contacts(model) -> tuple[list, list, np.ndarray, list[list[int]]]:
    """Members (in a fixed order), their strategy names, wealth and contacts (as positions)."""
    if isinstance(model, GiveTakeModel):
        pop, ties = model.population, model.ties
        members = pop.alive_slots().tolist()
        pos = {m: k for k, m in enumerate(members)}
        contacts = [[] for _ in members]
        for e in ties.live().tolist():
            u, v = pos[int(ties.u[e])], pos[int(ties.v[e])]
            contacts[u].append(v)
            contacts[v].append(u)
        return members, _names(model, members), pop.wealth[members].copy(), contacts
    members = list(model.agents)
    pos = {p: k for k, p in enumerate(members)}
    contacts = [[pos[c] for c in p.contacts] for p in members]
    return members, _names(model, members), np.array([p.wealth for p in members]), contacts


def _names(model, members) -> list[str]:
    if isinstance(model, GiveTakeModel):
        return [model.strategy_names[s] for s in model.population.strategy[members]]
    return [p.rules.name for p in members]


def _set_names(model, members, names) -> None:
    for m, name in zip(members, names, strict=True):
        if isinstance(model, GiveTakeModel):
            model.population.strategy[m] = model.strategy_names.index(name)
        else:
            m.rules = model.rules[name]


def _learn_once(model, p_learn: float, beta: float) -> None:
    if isinstance(model, GiveTakeModel):
        learning = model.mechanism("learning")
        learning.p_learn, learning.beta = p_learn, beta
        learning.step(model)
    else:
        model.mech["learning"].update(p_learn=p_learn, beta=beta)
        model.do_learning()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_learning_switches_strategies_by_the_fermi_rule(name):
    # a world where wealth has come apart, with learning off, then learning on its own
    engine = GiveTakeModel(_closed(), rng=5)
    engine.run_for(10)
    model = engine if name == "engine" else mb.MesaBaselineModel.from_engine(engine, rng=5)
    members, names, wealth, contacts = _strategies_and_contacts(model)
    _learn_once(model, 0.0, 0.5)
    assert _names(model, members) == names  # no learning, no switching

    # every member compares itself with one random contact and takes on its strategy with
    # probability 1 / (1 + exp(-beta (w_contact - w_self))) (Szabo & Toke 1998)
    beta, reps = 0.5, 40
    p = np.array(
        [
            np.mean([names[j] != names[i] for j in cs] / (1 + np.exp(-beta * (wealth[cs] - wealth[i]))))
            if cs
            else 0.0
            for i, cs in enumerate(contacts)
        ]
    )
    poorer = wealth < np.median(wealth)
    switched = np.zeros(len(members))
    for _ in range(reps):
        _set_names(model, members, names)
        _learn_once(model, 1.0, beta)
        now = _names(model, members)
        for i, s in enumerate(now):
            if s != names[i]:
                assert s in {names[j] for j in contacts[i]}  # copied from a contact
                switched[i] += 1
    # the poorer half switches more often than the richer half, each as often as the rule says
    for half in (poorer, ~poorer):
        expected, var = reps * p[half].sum(), reps * (p[half] * (1 - p[half])).sum()
        assert abs(switched[half].sum() - expected) < 4 * np.sqrt(var), (half.sum(), expected)
    assert switched[poorer].sum() > switched[~poorer].sum() > 0


def test_arrivals_grow_the_population():
    data = mb.core({**SMALL, "mechanisms": {"churn": {"arrival_rate": 0.05}}})
    model = mb.MesaBaselineModel(data, rng=2)
    model.run_for(3)
    df = model.datacollector.get_model_vars_dataframe()
    assert df["members"].iloc[-1] == len(model.agents) > 60
    assert (df["joined"].iloc[1:] >= df["left"].iloc[1:]).all()
    assert df["joined"].sum() - df["left"].sum() == len(model.agents) - 60


def test_unknown_mechanisms_are_refused():
    with pytest.raises(ValueError, match="per-agent"):
        mb.MesaBaselineModel({**SMALL, "pipeline": ["needs", "chapters"]}, rng=1)
