"""The contract every registered strategy keeps, and the built-ins' decisions."""

from __future__ import annotations

import itertools
import pickle
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

from simulation import STRATEGIES, GiveTakeModel
from simulation.mechanisms import DEFAULT_PIPELINE
from simulation.mechanisms.standing import BAD_BELOW
from simulation.model import Tick
from simulation.scenario_files import load_scenario
from simulation.strategies import DecisionContext
from simulation.strategies.base import CLASSIFIER_KEYS
from simulation.strategies.builtin import GOOD_STANDING

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
    m = GiveTakeModel({"population": {"size": 120, "mix": shares}, "network": {"mean_degree": 8}}, rng=seed)
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
    rng = ctx.model.rng.bit_generator
    state = rng.state  # strategies that draw (matchers' credit) draw the same for both
    original = strat.gives(ctx)
    rng.state = state
    assert np.array_equal(clone.gives(ctx), original)


def test_models_with_the_strategy_repeat_for_a_seed(name):
    a, b = model_with(name, 9), model_with(name, 9)
    a.run_for(5)
    b.run_for(5)
    assert a.datacollector.get_model_vars_dataframe().equals(b.datacollector.get_model_vars_dataframe())


def test_builtin_decisions():
    model = model_with("matcher", 1)
    ctx = requests_for(model, "matcher")
    n = len(ctx)
    owes = DecisionContext(
        model,
        ctx.giver,
        ctx.asker,
        ctx.edge,
        np.full(n, 2),
        np.zeros(n, int),
        ctx.trust,
        ctx.asker_reputation,
    )
    fresh = DecisionContext(  # new ties, askers in good standing
        model,
        ctx.giver,
        ctx.asker,
        ctx.edge,
        np.zeros(n, int),
        np.zeros(n, int),
        ctx.trust,
        np.full(n, 0.9),
    )
    shady = DecisionContext(
        model, ctx.giver, ctx.asker, ctx.edge, np.zeros(n, int), np.zeros(n, int), ctx.trust, np.full(n, 0.1)
    )
    assert STRATEGIES["giver"]().gives(owes).all()
    assert not STRATEGIES["taker"]().gives(fresh).any()
    perfect = STRATEGIES["matcher"](follows_beliefs=False)
    assert perfect.gives(fresh).all()  # help first, on credit
    assert not perfect.gives(owes).any()  # then only while balanced
    assert not STRATEGIES["matcher"](follows_beliefs=True).gives(owes).any()
    assert STRATEGIES["otherish_giver"]().gives(fresh).all()
    assert not STRATEGIES["otherish_giver"](forgive=0.0).gives(shady).any()  # not a doormat
    assert (
        STRATEGIES["connector"].classifier["introduces"] and not STRATEGIES["giver"].classifier["introduces"]
    )


def _ledger_context(model, n: int, owes: int, standing: float) -> DecisionContext:
    """``n`` requests from askers who owe the giver ``owes`` gifts, seen at ``standing``."""
    members = model.population.alive_slots()
    return DecisionContext(
        model,
        np.full(n, members[0]),
        np.full(n, members[1]),
        np.zeros(n, np.int64),
        np.full(n, owes),
        np.zeros(n, int),
        np.full(n, 0.5),
        np.full(n, standing),
    )


def test_otherish_givers_guard_against_askers_not_in_good_standing_only():
    model = model_with("otherish_giver", 3)
    strict = STRATEGIES["otherish_giver"](forgive=0.0)
    cap = strict.max_imbalance
    assert strict.gives(_ledger_context(model, 20, cap + 5, GOOD_STANDING)).all()  # in good standing
    assert strict.gives(_ledger_context(model, 20, cap + 5, 0.95)).all()
    assert not strict.gives(_ledger_context(model, 20, cap, GOOD_STANDING - 0.01)).any()  # owes too much
    assert strict.gives(_ledger_context(model, 20, cap - 1, GOOD_STANDING - 0.01)).all()
    assert not strict.gives(_ledger_context(model, 20, 0, strict.min_reputation - 0.01)).any()


def test_otherish_givers_forgive_about_one_refusal_in_three_of_askers_who_owe_them():
    model = model_with("otherish_giver", 4)
    generous = STRATEGIES["otherish_giver"]()
    assert generous.forgive == pytest.approx(1 / 3)
    n = 6000
    # askers not in good standing who owe the member too much: refused by its own ledger
    owing = _ledger_context(model, n, generous.max_imbalance, generous.min_reputation + 0.05)
    share = generous.gives(owing).mean()
    # binomial(6000, 1/3): sd 0.0061; four of them either side
    assert abs(share - 1 / 3) < 4 * np.sqrt(1 / 3 * 2 / 3 / n), share
    # those it would help anyway are all helped
    assert generous.gives(_ledger_context(model, 200, 0, 0.9)).all()
    # connectors decide as otherish givers do, draw for draw
    state = model.rng.bit_generator.state
    a = generous.gives(owing)
    model.rng.bit_generator.state = state
    assert np.array_equal(STRATEGIES["connector"]().gives(owing), a)


def test_otherish_givers_never_forgive_askers_they_screen_out_by_standing():
    model = model_with("otherish_giver", 4)
    generous = STRATEGIES["otherish_giver"](forgive=1.0)  # forgives every refusal it may forgive
    low = generous.min_reputation - 0.01
    for owes in (0, generous.max_imbalance, generous.max_imbalance + 5):
        assert not generous.gives(_ledger_context(model, 500, owes, low)).any(), owes
    assert generous.gives(_ledger_context(model, 500, generous.max_imbalance, low + 0.02)).all()
    # one draw per request all the same, so the random stream does not depend on who is refused
    for standing in (low, 0.9):
        before = model.rng.bit_generator.state
        STRATEGIES["otherish_giver"]().gives(_ledger_context(model, 50, 0, standing))
        after = model.rng.bit_generator.state
        model.rng.bit_generator.state = before
        model.rng.random(50)
        assert model.rng.bit_generator.state == after, standing


def test_the_documented_user_strategy_example_runs():
    namespace = runpy.run_path(str(ROOT / "examples" / "custom_strategy.py"))
    try:
        assert "grudger" in STRATEGIES
        model = GiveTakeModel(
            {
                "population": {"size": 150, "mix": {"grudger": 0.5, "taker": 0.5}},
                "network": {"mean_degree": 8},
            },
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


# -- every behaviour a strategy declares is kept, by the strategy and by the model ---------


def test_behaviour_attributes_are_declared_and_read_by_the_model(name):
    cls = STRATEGIES[name]
    assert isinstance(cls.asks_factor, int | float) and 0 < cls.asks_factor < np.inf
    assert isinstance(cls.tolerance, int | float) and cls.tolerance >= 0  # inf: never cuts
    assert isinstance(cls.cuts_distrusted, bool)
    assert isinstance(cls.spares_good_standing, bool)
    assert isinstance(cls.label, str) and cls.label.strip()
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", cls.colour)
    model = GiveTakeModel({"population": {"size": 40, "mix": {name: 1.0}}}, rng=0)
    i = model.strategy_names.index(name)
    assert model.asks_factor[i] == cls.asks_factor
    assert model.tolerance[i] == cls.tolerance
    assert model.cuts_distrusted[i] == cls.cuts_distrusted
    assert model.spares_good_standing[i] == cls.spares_good_standing
    assert model.introduces[i] == cls.classifier["introduces"]


def _grid_context(model: GiveTakeModel) -> tuple[DecisionContext, np.ndarray]:
    """Requests over every combination of ledger, trust and reputation; also returns the
    combination each request stands for, as rows (given, received, trust, reputation)."""
    grid = np.array(
        list(itertools.product(range(6), range(6), (0.05, 0.3, 0.6, 0.95), (0.05, 0.3, 0.6, 0.95))),
        float,
    )
    n = len(grid)
    members = model.population.alive_slots()
    ctx = DecisionContext(
        model=model,
        giver=np.full(n, members[0]),
        asker=np.full(n, members[1]),
        edge=np.zeros(n, np.int64),
        given=grid[:, 0].astype(np.int64),
        received=grid[:, 1].astype(np.int64),
        trust=grid[:, 2],
        asker_reputation=grid[:, 3],
    )
    return ctx, grid


def _depends_on(decided: np.ndarray, grid: np.ndarray, columns: list[int]) -> bool:
    """Whether the decisions change when only ``columns`` of the grid change."""
    rest = [c for c in range(grid.shape[1]) if c not in columns]
    seen: dict[tuple, bool] = {}
    for row, d in zip(grid[:, rest].tolist(), decided.tolist(), strict=True):
        if seen.setdefault(tuple(row), d) != d:
            return True
    return False


def test_decisions_keep_the_classifier(name):
    cls = STRATEGIES[name]
    model = model_with(name, 6)
    ctx, grid = _grid_context(model)
    # without chance in the decision (an otherish giver's forgiveness), so that what a
    # decision depends on shows in the grid
    decided = cls(**({"forgive": 0.0} if "forgive" in cls.PARAMS else {})).gives(ctx)
    assert bool(decided.all()) == cls.classifier["gives_unconditionally"]
    assert _depends_on(decided, grid, [3]) == cls.classifier["uses_reputation"]
    assert _depends_on(decided, grid, [0, 1, 2]) == cls.classifier["uses_memory"]


def test_members_ask_as_widely_as_their_strategy_says(name):
    model = model_with(name, 2)
    model.tick = Tick()
    model.mechanism("needs").step(model)
    model.mechanism("asking").step(model)
    pop, plan = model.population, model.tick.plan
    limit = round(model.mechanism("asking").asks * STRATEGIES[name].asks_factor)
    g = model.to_networkx()
    mine = [i for i in g if g.nodes[i]["strategy"] == name and pop.need[i] >= 0]
    assert mine
    for i in mine:
        able = sum(bool(pop.skills[j, pop.need[i]]) for j in g[i])
        assert (plan.asker == i).sum() == min(able, limit), i


def _first_asked(prefer: str, scramble: bool) -> tuple[np.ndarray, np.ndarray]:
    """The week's plan of requests (asker, asked) after the same five weeks, with the askers'
    trust in their contacts and the ties' strengths scrambled or left as they were."""
    model = GiveTakeModel(
        {
            "population": {"size": 120},
            "network": {"mean_degree": 8},
            "mechanisms": {"asking": {"prefer": prefer}},
        },
        rng=4,
    )
    model.run_for(5)
    if scramble:
        ties = model.ties
        k = np.random.default_rng(0)
        ties.trust[: ties.size] = k.random((ties.size, 2))
        ties.strength[: ties.size] = k.random(ties.size)
    model.tick = Tick()
    model.mechanism("needs").step(model)
    model.mechanism("asking").step(model)
    return model.tick.plan.asker, model.tick.plan.giver


def test_members_who_do_not_choose_whom_to_ask_ask_in_an_order_trust_does_not_change():
    # prefer = "chance": the line of contacts is random, whatever the asker thinks of them
    for a, b in zip(_first_asked("chance", False), _first_asked("chance", True), strict=True):
        assert len(a) > 50 and np.array_equal(a, b)
    # by trust (the default), scrambling trust and strength reorders the lines
    kept, scrambled = _first_asked("trust", False), _first_asked("trust", True)
    assert np.array_equal(np.sort(kept[0]), np.sort(scrambled[0]))  # the same askers, as many asks
    assert not np.array_equal(kept[1], scrambled[1])


def test_members_cut_ties_as_their_strategy_says(name):
    model = model_with(name, 3)
    model.tick = Tick()
    for mech in ("needs", "asking", "giving", "exchange", "reputation"):
        model.mechanism(mech).step(model)
    pop, ties, tick = model.population, model.ties, model.tick
    touched = np.unique(np.concatenate([tick.gifts.edge, tick.refusals.edge]))
    # ledgers and trust of every tie something happened on this week, set across their range
    gen = np.random.default_rng(0)
    ties.ledger[touched] = gen.integers(0, 12, (len(touched), 2))
    ties.trust[touched] = gen.random((len(touched), 2))
    ties.strength[touched] = 0.5
    ties.image[touched] = gen.random((len(touched), 2))  # how each end sees the other
    ledger, trust = ties.ledger[touched].copy(), ties.trust[touched].copy()
    ends = (ties.u[touched], ties.v[touched])
    # in good standing in the eyes of each end, as the giving rule reads it
    good = [model.standing_of(ends[1 - side], ends[side], touched) >= GOOD_STANDING for side in (0, 1)]
    cut_trust = model.mechanism("maintenance").cut_trust
    model.mechanism("maintenance").step(model)
    kept = ties.alive[touched]
    would_cut = np.zeros(len(touched), bool)  # someone on the tie would cut it
    judged = np.zeros(len(touched), bool)  # a member of the strategy would
    for side in (0, 1):
        # side 0 is u's view of the tie (what u gave, how far u trusts v), side 1 is v's
        cls = [STRATEGIES[model.strategy_names[s]] for s in pop.strategy[ends[side]]]
        tolerance = np.array([c.tolerance for c in cls])
        spares = np.array([c.spares_good_standing for c in cls])
        wary = np.array([c.cuts_distrusted for c in cls])
        mine = np.array([c.name == name for c in cls])
        exploited = (ledger[:, side] - ledger[:, 1 - side] > tolerance) & ~(spares & good[side])
        distrusted = wary & (trust[:, side] < cut_trust)
        would_cut |= exploited | distrusted
        judged |= mine & (exploited | distrusted)
    # cut exactly when one side's strategy says so (strength is well above dissolving)
    assert not (kept & judged).any()
    assert (kept == ~would_cut).all()
    assert tick.ties_cut == (~kept).sum()
    assert judged.any() == (STRATEGIES[name].tolerance < 11 or STRATEGIES[name].cuts_distrusted)


@pytest.mark.parametrize("record", ["images", "public"])
@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "compiled"])
@pytest.mark.parametrize("keeper", ["otherish_giver", "connector", "matcher"])
def test_otherish_givers_cut_for_imbalance_only_ties_to_members_not_in_good_standing(
    keeper, compiled, record
):
    settings = {
        "population": {"size": 120, "mix": {keeper: 0.5, "giver": 0.5}},
        "network": {"mean_degree": 8},
    }
    if record == "public":  # no standing mechanism: members are seen by the public record
        settings["pipeline"] = [m for m in DEFAULT_PIPELINE if m != "standing"]
    model = GiveTakeModel(settings, rng=3, compiled=compiled)
    assert model.uses_standing == (record == "images")
    model.run_for(5)
    model.tick = Tick()
    for mech in ("needs", "asking", "giving", "exchange", "reputation"):
        model.mechanism(mech).step(model)
    pop, ties, tick = model.population, model.ties, model.tick
    touched = np.unique(np.concatenate([tick.gifts.edge, tick.refusals.edge]))
    touched = touched[ties.alive[touched]]
    mine = pop.strategy == model.strategy_names.index(keeper)
    # ties between a keeper and a giver (who never cuts) that something happened on this week
    e = touched[mine[ties.u[touched]] != mine[ties.v[touched]]]
    side = (~mine[ties.u[e]]).astype(np.int64)  # the keeper's end: 0 where it is u
    # the giver owes the keeper one gift more than the keeper's strategy tolerates, and
    # the keeper trusts it fully; half the keepers hold the giver in good standing, half not
    tolerance = STRATEGIES[keeper].tolerance
    ties.ledger[e, side] = int(tolerance) + 1
    ties.ledger[e, 1 - side] = 0
    ties.trust[e] = 1.0
    ties.strength[e] = 0.5
    keepers = np.where(side == 0, ties.u[e], ties.v[e])
    others = np.where(side == 0, ties.v[e], ties.u[e])
    if record == "images":
        good = np.arange(len(e)) % 2 == 0
        ties.image[e, side] = np.where(good, 0.9, 0.1)
    else:  # half the givers with a record of help, half with one of refusals
        good = others % 2 == 0
        pop.public_gifts[others] = np.where(good, 9.0, 0.0)
        pop.public_refusals[others] = np.where(good, 0.0, 9.0)
    assert good.sum() > 5 and (~good).sum() > 5
    # the standing the giving rule reads
    assert np.array_equal(model.standing_of(others, keepers, e) >= GOOD_STANDING, good)
    model.mechanism("maintenance").step(model)
    kept = ties.alive[e]
    if keeper == "matcher":  # a reciprocator keeps its rule: exploited is exploited
        assert not kept.any()
    else:  # an otherish giver's guard is for takers: it keeps the one it helps anyway
        assert STRATEGIES[keeper].spares_good_standing
        assert kept[good].all() and not kept[~good].any()
    assert tick.ties_cut >= (~kept).sum()


def test_only_members_of_introducing_strategies_broker(name):
    cls = STRATEGIES[name]
    partner = "giver" if name != "giver" else "taker"  # neither introduces
    model = GiveTakeModel(
        {
            "population": {"size": 120, "mix": {name: 0.5, partner: 0.5}},
            "network": {"mean_degree": 8},
            "mechanisms": {"introductions": {"p_ask": 0.0, "p_broker": 1.0}},
        },
        rng=4,
    )
    brokered = 0
    for _ in range(3):
        model.tick = Tick()
        model.mechanism("needs").step(model)
        model.mechanism("introductions").step(model)
        brokered += model.tick.introductions
    assert (brokered > 0) == cls.classifier["introduces"]


# -- matchers are imperfect conditional cooperators ---------------------------------------


def _fresh_and_owing(model: GiveTakeModel) -> tuple[DecisionContext, DecisionContext]:
    """The week's real requests to matchers as if every tie were new (credit asked), and as
    if the matcher owed the asker a gift (repayment asked); askers in good standing."""
    ctx = requests_for(model, "matcher")
    n = len(ctx)
    zeros, good = np.zeros(n, int), np.full(n, 0.9)
    fresh = DecisionContext(model, ctx.giver, ctx.asker, ctx.edge, zeros, zeros, ctx.trust, good)
    owing = DecisionContext(model, ctx.giver, ctx.asker, ctx.edge, zeros, np.ones(n, int), ctx.trust, good)
    return fresh, owing


def test_a_matcher_that_expects_little_gives_less_credit():
    model = model_with("matcher", 5)
    fresh, owing = _fresh_and_owing(model)
    matcher = STRATEGIES["matcher"](follows_beliefs=True)
    shares = {}
    for expect in (0.0, 0.3, 1.0):
        model.population.expectation[:] = expect
        granted = np.mean([matcher.gives(fresh).mean() for _ in range(40)])
        shares[expect] = granted
        # what is owed on the ledger is repaid whatever the matcher expects
        assert matcher.gives(owing).all()
    assert len(fresh) > 20
    assert shares[0.0] == 0.0
    # credit with chance slope x expectation (binomial, thousands of draws)
    assert abs(shares[0.3] - matcher.slope * 0.3) < 0.03
    assert abs(shares[1.0] - matcher.slope) < 0.03
    model.population.expectation[:] = 0.0
    assert STRATEGIES["matcher"]().gives(fresh).all()  # off by default: ledger and standing only


def test_askers_expect_what_the_answers_to_their_requests_showed():
    model = model_with("matcher", 7)
    pop = model.population
    model.tick = Tick()
    for mech in ("needs", "asking", "giving"):
        model.mechanism(mech).step(model)
    before = pop.expectation[: pop.size].copy()
    model.mechanism("exchange").step(model)
    after = pop.expectation[: pop.size]
    tick, w = model.tick, model.mechanism("exchange").belief_weight
    helped = np.bincount(tick.gifts.asker, minlength=pop.size)
    refused = np.bincount(tick.refusals.asker, minlength=pop.size)
    assert helped.max() <= 1  # a need closes with its first gift
    only_refused = (refused > 0) & (helped == 0)
    helped_at_once = (helped == 1) & (refused == 0)
    assert only_refused.any() and helped_at_once.any()
    assert np.allclose(after[only_refused], before[only_refused] * (1 - w) ** refused[only_refused])
    assert np.allclose(after[helped_at_once], before[helped_at_once] + w * (1 - before[helped_at_once]))
    unasked = (helped + refused) == 0
    assert np.array_equal(after[unasked], before[unasked])


def _help_rates(mix: dict, seeds: range, follows_beliefs: bool = True) -> np.ndarray:
    """Help rate of weeks 1-5 and of weeks 26-30, per seed, in a fixed complete group of 40."""
    out = []
    for seed in seeds:
        model = GiveTakeModel(
            {
                "population": {"size": 40, "mix": mix},
                "network": {"kind": "complete"},
                "pipeline": ["needs", "asking", "giving", "exchange"],
                "strategies": {"matcher": {"follows_beliefs": follows_beliefs}},
            },
            rng=seed,
        )
        model.run_for(30)
        df = model.datacollector.get_model_vars_dataframe()
        rate = [
            df.gifts.iloc[a:b].sum() / (df.gifts.iloc[a:b].sum() + df.refusals.iloc[a:b].sum())
            for a, b in ((1, 6), (26, 31))
        ]
        out.append(rate)
    return np.array(out)


def test_matchers_among_free_riders_help_less_and_less():
    # matchers who keep being refused expect less and extend less credit, week after week
    rates = _help_rates({"matcher": 0.5, "taker": 0.5}, range(10))
    early, late = rates[:, 0], rates[:, 1]
    assert (late < early).sum() >= 9, rates
    assert late.mean() < 0.6 * early.mean(), rates


def test_matchers_who_follow_beliefs_give_less_than_perfect_matchers():
    mix = {"matcher": 0.5, "taker": 0.33, "otherish_giver": 0.17}
    imperfect = _help_rates(mix, range(10))
    perfect = _help_rates(mix, range(10), follows_beliefs=False)
    assert (imperfect[:, 0] < perfect[:, 0]).all(), (imperfect, perfect)


def test_a_discriminating_matcher_helps_askers_in_good_standing_whatever_the_ledger():
    model = model_with("matcher", 8)
    ctx = requests_for(model, "matcher")
    n = len(ctx)
    owes = np.full(n, 3)  # the asker already owes the matcher three gifts
    images = np.where(np.arange(n) % 2 == 0, 0.8, 0.2)  # half in good standing, half in bad
    both = DecisionContext(model, ctx.giver, ctx.asker, ctx.edge, owes, np.zeros(n, int), ctx.trust, images)
    good = images >= 0.5
    decided = STRATEGIES["matcher"](discriminates=True).gives(both)
    assert n > 10 and np.array_equal(decided, good)
    assert not STRATEGIES["matcher"]().gives(both).any()  # the ledger alone: no more credit
    assert GOOD_STANDING == BAD_BELOW  # the same mark of good standing as the norms'


def test_discriminating_matchers_meet_more_requests_in_a_referral_group():
    for seed in (1, 2):
        rates = []
        for discriminates in (False, True):
            scenario = load_scenario(
                "referral_group",
                {"population.size": 150, "strategies.matcher.discriminates": discriminates},
            )
            model = GiveTakeModel(scenario, rng=seed)
            model.run_for(40)
            df = model.datacollector.get_model_vars_dataframe().iloc[-15:]
            rates.append(df.gifts.sum() / (df.gifts.sum() + df.refusals.sum()))
        assert rates[1] > rates[0], (seed, rates)
