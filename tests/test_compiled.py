"""The compiled weekly step against the numpy reference (``simulation.compiled``).

Every built-in scenario is run twice from the same seed, once with the compiled kernels
and once with the numpy code throughout; every member and tie array, every metric of
every week and the random generator's state must come out bit for bit the same.
Without numba the project runs the numpy path, and ``GIVETAKE_COMPILED=0`` forces it.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

from simulation import GiveTakeModel
from simulation.compiled import ENV, load, wanted
from simulation.population import Population
from simulation.scenario_files import builtin_scenarios, load_scenario
from simulation.strategies import DecisionContext
from simulation.ties import TieGraph

numba = pytest.importorskip("numba")

#: small worlds of every built-in scenario (a lattice's size is its width x height)
SMALL = {"nowak_may": {"network.width": 20, "network.height": 20}}


def small_scenario(name: str):
    overrides = SMALL.get(name, {"population.size": 150})
    return load_scenario(name, overrides)


def state(model: GiveTakeModel) -> dict[str, np.ndarray]:
    pop, ties = model.population, model.ties
    out = {f"population.{k}": getattr(pop, k)[: pop.size] for k in Population._ARRAYS}
    out.update({f"ties.{k}": getattr(ties, k)[: ties.size] for k in (*TieGraph._FIELDS, "alive")})
    out["ties.deg"] = ties.degree(pop.size)
    return out


def assert_same(a: GiveTakeModel, b: GiveTakeModel, where: str) -> None:
    sa, sb = state(a), state(b)
    for key in sa:
        np.testing.assert_array_equal(sa[key], sb[key], err_msg=f"{where}: {key}")
    da = a.datacollector.get_model_vars_dataframe()
    db = b.datacollector.get_model_vars_dataframe()
    assert da.columns.tolist() == db.columns.tolist()
    for col in da.columns:
        np.testing.assert_array_equal(da[col].to_numpy(), db[col].to_numpy(), err_msg=f"{where}: {col}")
    assert a.rng.bit_generator.state == b.rng.bit_generator.state, where


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_builtin_scenario_is_bit_identical_on_both_paths(name):
    scenario = small_scenario(name)
    weeks = 40
    numpy_model = GiveTakeModel(scenario, rng=7, compiled=False)
    compiled_model = GiveTakeModel(scenario, rng=7, compiled=True)
    assert not numpy_model.compiled and compiled_model.compiled
    for week in range(weeks):
        numpy_model.step()
        compiled_model.step()
        if getattr(numpy_model, "running", True) is False:
            break
        if week % 10 == 9:
            assert_same(numpy_model, compiled_model, f"{name}, week {week + 1}")
    assert_same(numpy_model, compiled_model, f"{name}, end")


def test_the_default_scenario_is_bit_identical_over_a_long_run():
    numpy_model = GiveTakeModel(rng=3, population__size=400, compiled=False)
    compiled_model = GiveTakeModel(rng=3, population__size=400, compiled=True)
    numpy_model.run_for(150)
    compiled_model.run_for(150)
    # something happened that the kernels handle: ties cut, dissolved and made
    df = compiled_model.datacollector.get_model_vars_dataframe()
    assert df["ties_cut"].sum() > 0 and df["ties_dissolved"].sum() > 0 and df["ties_made"].sum() > 0
    assert_same(numpy_model, compiled_model, "default scenario, 150 weeks")


def test_the_contact_index_is_the_same_on_both_paths():
    model = GiveTakeModel(rng=5, population__size=120, compiled=False)
    model.run_for(5)
    ties = model.ties
    reference = ties.directed(model.population.size)
    ties.compiled = True
    ties._changed()
    load(True)
    view = ties.directed(model.population.size)
    for field in ("src", "dst", "edge", "side", "start"):
        got, want = getattr(view, field), getattr(reference, field)
        assert got.dtype == want.dtype, field
        np.testing.assert_array_equal(got, want, err_msg=field)


def rebuilt_index(ties, n_slots):
    """The contact index rebuilt from scratch by the numpy code, leaving the cache as it was."""
    saved = (ties.compiled, ties._view, ties._live)
    ties.compiled, ties._view, ties._live = False, None, None
    try:
        return ties.directed(n_slots)
    finally:
        ties.compiled, ties._view, ties._live = saved


@pytest.mark.parametrize("name", ["default", "referral_group", "open_mixer", "online_platform"])
def test_the_contact_index_brought_up_to_date_is_the_one_a_rebuild_gives(name):
    """On the compiled path the contact index is updated (dead ties dropped, new ties put in
    place) rather than rebuilt; after every stage of every week it is the rebuilt one."""
    scenario = load_scenario(name, {"population.size": 200}) if name != "default" else None
    model = GiveTakeModel(scenario, rng=9, population__size=200, compiled=True)
    updated = 0
    for _ in range(25):
        model.ties.compact_if_sparse()
        model.steps += 1
        model.tick = type(model.tick)()
        for mech in model.pipeline:
            mech.step(model)
            ties, n = model.ties, model.population.size
            updated += ties._view is None and ties._view_base is not None
            view, want = ties.directed(n), rebuilt_index(ties, n)
            for field in ("src", "dst", "edge", "side", "start"):
                got, ref = getattr(view, field), getattr(want, field)
                assert got.dtype == ref.dtype, field
                np.testing.assert_array_equal(
                    got, ref, err_msg=f"week {model.steps}, after {mech.name}: {field}"
                )
        model._measure()
    assert updated > 25  # the index was brought up to date, not only rebuilt


@pytest.mark.parametrize("mean_degree", [1, 2, 20])
def test_the_measurements_are_the_same_on_both_paths_from_one_state(mean_degree):
    """Clustering and the giant component, on networks in many pieces and in one."""
    import copy

    from simulation.metrics import compute_metrics

    compiled_model = GiveTakeModel(
        rng=8,
        population__size=300,
        network__kind="erdos_renyi",
        network__mean_degree=mean_degree,
        compiled=True,
    )
    compiled_model.run_for(3)
    numpy_model = copy.deepcopy(compiled_model)
    numpy_model.compiled = numpy_model.ties.compiled = False
    for _ in range(3):
        assert compute_metrics(compiled_model) == compute_metrics(numpy_model)
    pieces = compute_metrics(numpy_model)["giant_component"]
    assert pieces < 0.9 if mean_degree <= 2 else pieces > 0.9


def test_the_kernels_sum_as_numpy_sums():
    """``pairwise_sum`` (the measurements' means and Gini coefficient) gives ``ndarray.sum``'s
    number to the last bit: lengths across numpy's blocks of 8 and 128 and its halvings, parts
    of an array, values of very different sizes (where the order of the additions shows)."""
    from simulation.compiled.measure import pairwise_sum

    gen = np.random.default_rng(11)
    lengths = [*range(0, 300), 1000, 1031, 8191, 8192, 8193, 20000, 40001]
    differ = 0
    for n in lengths:
        x = gen.random(n) * 10.0 ** gen.integers(-8, 9, n) - 0.3
        assert pairwise_sum(x, 0, n) == x.sum(), n
        if n > 5:
            assert pairwise_sum(x, 3, n - 5) == x[3 : n - 2].sum(), n
        differ += n > 8 and sum(x.tolist()) != x.sum()
    assert differ > 100  # a sum in turn would not have passed


def test_weighted_draws_are_those_of_generator_choice():
    """``simulation.draws`` against ``Generator.choice``: the same picks, the generator left
    in the same state, for weights with and without zeros and any number of draws."""
    from simulation.draws import choice_distinct, choice_weighted

    for seed in range(400):
        gen = np.random.default_rng(seed)
        n = int(gen.integers(1, 30))
        w = gen.random(n) ** 3
        if seed % 3 == 0:
            w[gen.integers(0, n, n // 2)] = 0.0
            w[0] += 0.1
        p = w / w.sum()
        items = gen.integers(0, 1000, n)
        size = int(gen.integers(0, 50))
        k = int(min(gen.integers(0, n + 1), np.count_nonzero(p)))
        ours, numpys = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
        got, want = choice_weighted(ours, items, size, p), numpys.choice(items, size=size, p=p)
        assert got.dtype == want.dtype and got.tolist() == want.tolist(), seed
        got, want = choice_distinct(ours, n, k, p), numpys.choice(n, size=k, replace=False, p=p)
        assert got.dtype == want.dtype and got.tolist() == want.tolist(), seed
        assert ours.bit_generator.state == numpys.bit_generator.state, seed
    with pytest.raises(ValueError):  # what Generator.choice says of weights that do not sum to 1
        choice_weighted(np.random.default_rng(0), np.arange(3), 2, np.array([0.5, 0.5, 0.5]))


@pytest.mark.parametrize("bias", [0.0, 0.5, 1.0, 2.0, 3.7])
def test_seeking_out_by_reputation_draws_as_the_numpy_path(bias):
    """``contacts.attachment_choice`` (its weights made by a kernel) against
    ``choice_weighted`` of ``attachment_weights``: the same members picked and the generator
    left in the same state, whatever ``network.attachment_bias`` (the kernel squares the
    reputation for 2 as numpy's ``**`` does, and takes numpy's powers for the others)."""
    import copy

    from simulation.draws import choice_weighted
    from simulation.mechanisms.contacts import attachment_choice, attachment_weights

    model = GiveTakeModel(rng=4, population__size=200, network__attachment_bias=bias, compiled=True)
    model.run_for(6)  # reputations and degrees spread out
    other = copy.deepcopy(model)
    for size in (1, 7, 40):
        slots = model.population.alive_slots()[::2]
        got = attachment_choice(model, slots, size)
        want = choice_weighted(other.rng, slots, size, attachment_weights(other, slots))
        assert got.tolist() == want.tolist()
        assert model.rng.bit_generator.state == other.rng.bit_generator.state


@pytest.mark.parametrize("bias", [0.0, 0.5, 2.0, 3.7])
def test_meetings_sought_by_reputation_are_the_same_on_both_paths(bias):
    """The compiled meeting draws whom members seek out itself (the weights, then the
    uniforms searched in their cumulative sum): the same runs as the numpy path, with many
    such meetings and any ``network.attachment_bias``."""
    settings = {
        "population__size": 150,
        "network__attachment_bias": bias,
        "mechanisms__meeting__p_attach": 0.3,
    }
    numpy_model = GiveTakeModel(rng=7, compiled=False, **settings)
    compiled_model = GiveTakeModel(rng=7, compiled=True, **settings)
    numpy_model.run_for(12)
    compiled_model.run_for(12)
    assert_same(numpy_model, compiled_model, f"attachment_bias {bias}")


def test_churn_is_the_same_on_both_paths_when_many_come_and_go():
    """Failures, exits for lack of return, arrivals, skill changes and moves, all frequent."""
    settings = {
        "population__size": 200,
        "mechanisms__churn__p_exit": 0.05,
        "mechanisms__churn__p_quit": 0.3,
        "mechanisms__churn__grace": 2,
        "mechanisms__churn__exit_below": 0.5,
        "mechanisms__churn__failure_wealth": 5.0,
        "mechanisms__churn__arrival_rate": 0.1,
        "mechanisms__churn__p_skill_change": 0.1,
        "mechanisms__churn__p_relocate": 0.1,
    }
    numpy_model = GiveTakeModel(rng=12, compiled=False, **settings)
    compiled_model = GiveTakeModel(rng=12, compiled=True, **settings)
    numpy_model.run_for(30)
    compiled_model.run_for(30)
    df = compiled_model.datacollector.get_model_vars_dataframe()
    assert df["failed"].sum() > 0 and df["left"].sum() > df["failed"].sum() and df["joined"].sum() > 0
    assert_same(numpy_model, compiled_model, "churn")
    assert len(compiled_model.agents) == compiled_model.population.n_alive


def test_a_subclass_of_a_compiled_mechanism_runs_its_own_numpy_code():
    from simulation.mechanisms.maintenance import Maintenance

    calls = []

    class Counted(Maintenance):
        def kept_up(self, model):
            calls.append(model.steps)
            return super().kept_up(model)

    model = GiveTakeModel(rng=1, population__size=60, compiled=True)
    model.pipeline = [Counted() if m.name == "maintenance" else m for m in model.pipeline]
    model.run_for(3)
    assert calls == [1, 2, 3]


def test_the_environment_switch_turns_the_kernels_off(monkeypatch):
    monkeypatch.setenv(ENV, "0")
    assert not wanted() and load() is None
    assert not GiveTakeModel(rng=1, population__size=50).compiled
    monkeypatch.setenv(ENV, "1")
    assert wanted() and GiveTakeModel(rng=1, population__size=50).compiled


def test_without_numba_the_project_runs_the_numpy_path(tmp_path):
    """A fresh process where numba cannot be imported: the model runs, on the numpy path."""
    (tmp_path / "numba.py").write_text("raise ImportError('numba is not installed here')\n")
    code = (
        "from simulation import GiveTakeModel\n"
        "m = GiveTakeModel(rng=2, population__size=80)\n"
        "m.run_for(5)\n"
        "print(m.compiled, m.datacollector.get_model_vars_dataframe()['members'].iloc[-1])\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    env.pop(ENV, None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    compiled, members = out.stdout.split()
    assert compiled == "False" and int(members) > 0
    reference = GiveTakeModel(rng=2, population__size=80, compiled=True)
    reference.run_for(5)
    assert int(members) == reference.datacollector.get_model_vars_dataframe()["members"].iloc[-1]


@pytest.mark.parametrize("norm", ["image_scoring", "simple_standing", "stern_judging"])
def test_news_of_deeds_is_judged_the_same_under_every_norm(norm):
    # gossip 1 and a small world: many pieces of news about one member reach one observer
    settings = {
        "population__size": 120,
        "mechanisms__standing__norm": norm,
        "mechanisms__standing__gossip": 1.0,
    }
    numpy_model = GiveTakeModel(rng=11, compiled=False, **settings)
    compiled_model = GiveTakeModel(rng=11, compiled=True, **settings)
    numpy_model.run_for(30)
    compiled_model.run_for(30)
    assert_same(numpy_model, compiled_model, norm)


def test_many_pieces_of_news_for_one_view_are_applied_the_same():
    import copy

    from simulation.mechanisms.standing import hear

    model = GiveTakeModel(rng=4, population__size=80, compiled=True)
    model.run_for(3)
    ties = model.ties
    e = ties.live()[0]
    o, a = int(ties.u[e]), int(ties.v[e])
    gen = np.random.default_rng(0)
    n = 40  # more than the first table of powers holds
    args = (np.full(n, o), np.full(n, a), gen.integers(0, 80, n), gen.random(n) < 0.5)
    other = copy.deepcopy(model)
    other.compiled = other.ties.compiled = False
    for norm in ("image_scoring", "simple_standing", "stern_judging"):
        assert hear(model, *args, norm=norm, weight=0.3) == hear(other, *args, norm=norm, weight=0.3)
        np.testing.assert_array_equal(model.ties.image, other.ties.image, err_msg=norm)
    assert model.ties.image[e, 0] != 0.5


def test_a_classic_game_takes_the_numpy_path_without_importing_numba():
    """No stage of a classic game has a compiled twin: by default it neither loads the
    kernels nor imports numba (about 100 MB); asked for them, it still gets them."""
    code = (
        "import sys\n"
        "from simulation.model import GiveTakeModel\n"
        "from simulation.scenario_files import load_scenario\n"
        "m = GiveTakeModel(load_scenario('nowak_may'), rng=1, network__width=10, network__height=10)\n"
        "m.run_for(2)\n"
        "print(m.compiled, 'numba' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "GIVETAKE_COMPILED"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["False", "False"]
    scenario = load_scenario("nowak_may")
    asked = GiveTakeModel(scenario, rng=1, compiled=True, network__width=10, network__height=10)
    assert asked.compiled


#: the stages whose compiled twins draw from the model's generator themselves, and their kernels
DRAWING_KERNELS = {
    "giving": ("favours", "giving"),
    "referrals": ("favours", "referrals"),
    "meeting": ("encounters", "meeting"),
    "introductions": ("encounters", "introductions"),
    "standing": ("favours", "news_heard"),
    # needs to reputation in one call, where the pipeline runs them one after the other
    "favours": ("favours", "favours_week"),
}


def spy_on_kernels(monkeypatch) -> dict[str, int]:
    """Count the calls of the kernels in :data:`DRAWING_KERNELS` (each still runs)."""
    import importlib

    calls = dict.fromkeys(DRAWING_KERNELS, 0)
    for stage, (module, name) in DRAWING_KERNELS.items():
        mod = importlib.import_module(f"simulation.compiled.{module}")
        kernel = getattr(mod, name)

        def counted(*args, stage=stage, kernel=kernel):
            calls[stage] += 1
            return kernel(*args)

        monkeypatch.setattr(mod, name, counted)
    return calls


def expected_calls(model: GiveTakeModel, stage: str, weeks: int) -> int:
    """How many calls of ``stage``'s kernel in :data:`DRAWING_KERNELS` a run of ``weeks``
    weeks makes on the compiled path: one a week where the pipeline has the stage, but
    giving's are made inside the favours of the week where needs to reputation run as one
    (``simulation.mechanisms.fused``)."""
    from simulation.mechanisms.fused import Favours

    fused = any(isinstance(s, Favours) for s in model._stages())
    if stage == "favours":
        return weeks if fused else 0
    if stage == "giving" and fused:
        return 0
    return weeks if model.mechanism(stage) is not None else 0


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_the_kernels_that_draw_run_in_every_builtin_scenario_that_has_their_stage(name, monkeypatch):
    """Giving, referrals, meeting, introductions and standing take their compiled twins
    wherever the scenario runs them (the comparison above would also pass if they silently
    did not); standing's only in weeks with deeds to hear of."""
    calls = spy_on_kernels(monkeypatch)
    model = GiveTakeModel(small_scenario(name), rng=7, compiled=True)
    model.run_for(5)
    for stage in DRAWING_KERNELS:
        if stage == "standing" and model.mechanism(stage) is not None:
            assert 0 < calls[stage] <= 5, (name, stage, calls)
        else:
            assert calls[stage] == expected_calls(model, stage, 5), (name, stage, calls)


@pytest.mark.parametrize(
    "settings",
    [
        # matchers who draw (beliefs) and help anyone in good standing; busy givers choose at random
        {
            "strategies__matcher__follows_beliefs": True,
            "strategies__matcher__discriminates": True,
            "mechanisms__giving__choose": "random",
        },
        # one gift a week: many willing givers turn requests away as busy
        {"mechanisms__giving__capacity": 1, "strategies__matcher__follows_beliefs": True},
        # no standing mechanism: decisions read the public record instead of private images
        {
            "pipeline": [
                "needs",
                "asking",
                "giving",
                "exchange",
                "reputation",
                "referrals",
                "maintenance",
                "meeting",
                "introductions",
                "churn",
                "learning",
            ]
        },
        # many referrals, introductions and meetings a week, connectors common
        {
            "mechanisms__referrals__p_lead": 0.6,
            "mechanisms__introductions__p_ask": 1.0,
            "mechanisms__introductions__p_broker": 1.0,
            "mechanisms__introductions__tries": 5,
            "mechanisms__meeting__p_triadic": 0.5,
            "mechanisms__meeting__p_random": 0.2,
            "mechanisms__meeting__p_attach": 0.2,
            "population__mix": {
                "giver": 0.1,
                "otherish_giver": 0.1,
                "matcher": 0.2,
                "taker": 0.1,
                "connector": 0.5,
            },
        },
    ],
    ids=["beliefs-discriminating-random", "capacity-1", "public-record", "busy-encounters"],
)
def test_the_drawing_kernels_are_bit_identical_under_other_settings(settings, monkeypatch):
    calls = spy_on_kernels(monkeypatch)
    numpy_model = GiveTakeModel(rng=5, population__size=250, compiled=False, **settings)
    compiled_model = GiveTakeModel(rng=5, population__size=250, compiled=True, **settings)
    numpy_model.run_for(50)
    compiled_model.run_for(50)
    for stage, n in calls.items():
        assert n == expected_calls(compiled_model, stage, 50), (stage, calls)
    assert_same(numpy_model, compiled_model, str(settings))


def test_the_kernels_decide_every_request_as_the_builtin_strategies_do():
    """``favours._gives`` against each built-in strategy's ``gives`` on a grid of ledgers,
    standings and the uniform each request draws (so every branch: screened out by standing,
    in good standing, within credit, forgiven or not)."""
    from simulation import STRATEGIES
    from simulation.compiled.favours import _gives
    from simulation.strategies.builtin import strategy_table

    model = GiveTakeModel(rng=1, population__size=250)
    grid = list(itertools.product(range(-2, 8), (0.0, 0.29, 0.3, 0.31, 0.45, 0.5, 0.9), (0.05, 0.3, 0.9)))
    balance = np.array([b for b, _, _ in grid])
    standing = np.array([s for _, s, _ in grid])
    expects = np.array([e for _, _, e in grid])
    n = len(grid)
    strategies = [
        STRATEGIES["giver"](),
        STRATEGIES["otherish_giver"](),
        STRATEGIES["connector"](forgive=0.0),
        STRATEGIES["matcher"](),
        STRATEGIES["matcher"](follows_beliefs=True, discriminates=True, credit=2),
        STRATEGIES["taker"](),
    ]
    code, par = strategy_table(strategies)
    for s, strat in enumerate(strategies):
        model.population.expectation[:n] = expects
        ctx = DecisionContext(
            model,
            np.arange(n),
            np.arange(n),
            np.zeros(n, np.int64),
            np.maximum(balance, 0),
            np.maximum(-balance, 0),
            np.full(n, 0.5),
            standing,
        )
        before = model.rng.bit_generator.state
        expected = strat.gives(ctx)
        drew = model.rng.bit_generator.state != before
        model.rng.bit_generator.state = before
        draws = model.rng.random(n) if drew else np.zeros(n)
        got = [_gives(code[s], par[s], balance[k], standing[k], draws[k], expects[k]) for k in range(n)]
        np.testing.assert_array_equal(got, expected, err_msg=type(strat).__name__)


def test_a_user_strategy_sends_the_favours_to_the_numpy_path(monkeypatch):
    """A strategy the kernels do not know (here a subclass of a built-in) decides by its own
    ``gives``; meetings and introductions, which it does not choose, stay compiled."""
    from simulation.strategies import REGISTRY, strategy
    from simulation.strategies.builtin import Matcher

    @strategy
    class Strict(Matcher):
        name = "test_strict_matcher"

        def gives(self, ctx):
            return super().gives(ctx) & (ctx.trust > 0.45)

    try:
        calls = spy_on_kernels(monkeypatch)
        mix = {"population__mix__test_strict_matcher": 0.3, "population__mix__matcher": 0.1}
        numpy_model = GiveTakeModel(rng=9, population__size=200, compiled=False, **mix)
        compiled_model = GiveTakeModel(rng=9, population__size=200, compiled=True, **mix)
        numpy_model.run_for(20)
        compiled_model.run_for(20)
    finally:
        del REGISTRY["test_strict_matcher"]
    assert calls == {
        "giving": 0,
        "referrals": 0,
        "meeting": 20,
        "introductions": 20,
        "standing": 20,
        "favours": 0,
    }
    assert_same(numpy_model, compiled_model, "user strategy")


def test_a_strategy_that_chooses_whom_to_meet_and_introduce_takes_the_numpy_path(monkeypatch):
    from simulation.strategies import REGISTRY, strategy
    from simulation.strategies.builtin import Giver

    @strategy
    class Picky(Giver):
        name = "test_picky_giver"
        chooses = frozenset({"meet", "introduce"})

    try:
        calls = spy_on_kernels(monkeypatch)
        mix = {"population__mix__test_picky_giver": 0.2, "population__mix__giver": 0.0}
        model = GiveTakeModel(
            rng=2, population__size=150, compiled=True, population__mix__otherish_giver=0.1, **mix
        )
        model.run_for(5)
    finally:
        del REGISTRY["test_picky_giver"]
    assert calls["giving"] == calls["referrals"] == calls["meeting"] == calls["introductions"] == 0


def test_the_warm_up_runs_every_builtin_scenario_with_the_kernels_on():
    from simulation.scenario_files import builtin_scenarios
    from simulation.warmup import warm

    ran = warm(weeks=2, size=30)
    assert sorted(ran) == sorted(builtin_scenarios()) and all(ran.values())


def test_the_warm_up_command_says_so_when_the_kernels_are_off():
    env = {**os.environ, ENV: "0"}
    out = subprocess.run(
        [sys.executable, "-m", "simulation.warmup"], capture_output=True, text=True, env=env, check=True
    )
    assert "kernels are off" in out.stdout and "compiled and cached" not in out.stdout


def test_needs_to_reputation_run_as_one_only_where_the_five_built_ins_follow_each_other():
    from simulation.mechanisms.fused import Favours, stages
    from simulation.mechanisms.needs import Needs

    model = GiveTakeModel(rng=1, population__size=60, compiled=True)
    assert [s.name for s in model._stages()][:2] == ["favours", "standing"]

    class OwnNeeds(Needs):
        pass

    own = [OwnNeeds(), *model.pipeline[1:]]
    assert not any(isinstance(s, Favours) for s in stages(own))
    swapped = list(model.pipeline)
    swapped[3], swapped[4] = swapped[4], swapped[3]
    assert not any(isinstance(s, Favours) for s in stages(swapped))
    model.pipeline = own  # a changed pipeline is seen at the next step
    model.step()
    assert not any(isinstance(s, Favours) for s in model._stages())
