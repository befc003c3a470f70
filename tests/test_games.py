"""Classic games on the engine: payoffs, the four update rules, Nowak–May, Moran, fixation."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from simulation.games import payoff_matrix
from simulation.model import GiveTakeModel
from simulation.run import run_scenario
from simulation.scenario import Scenario, ScenarioError

CLASSIC = {"pipeline": ["play", "update"], "metrics": "light"}
MIX = {"cooperate": 0.5, "defect": 0.5}
B, C = 3.0, 1.0


def fermi(x: float, beta: float) -> float:
    return 1.0 / (1.0 + math.exp(-beta * x))


def linear_fitness(payoff: float, w: float) -> float:
    return max(0.0, 1.0 - w + w * payoff)


# -- a star: centre 0 cooperates, leaf 1 cooperates, leaves 2 and 3 defect ----------------
STAR_START = (1, 1, 0, 0)
# donation game, accumulated payoffs, from the definitions R=b-c, S=-c, T=b, P=0
PAY_CENTRE = (B - C) + 2 * (-C)  # one cooperating and two defecting leaves
PAY_LEAF_C = B - C
PAY_LEAF_D = B


def star_model(rule: str, synchronous: bool, seed: int = 0, **update) -> GiveTakeModel:
    m = GiveTakeModel(
        {
            **CLASSIC,
            "population": {"size": 4, "mix": MIX},
            "network": {"kind": "empty", "mean_degree": 0},
            "game": {"payoff": "donation", "b": B, "c": C},
            "mechanisms": {"update": {"rule": rule, "synchronous": synchronous, **update}},
        },
        rng=seed,
    )
    m.ties.add(np.array([0, 0, 0]), np.array([1, 2, 3]), strength=0.5, trust=0.5, step=0)
    return m


def set_state(m: GiveTakeModel, coop) -> None:
    play = m.mechanism("play")
    m.population.strategy[: len(coop)] = np.where(np.array(coop, bool), play.c_index, play.d_index)
    play.fixated = False
    m.running = True


def state(m: GiveTakeModel) -> tuple:
    play = m.mechanism("play")
    return tuple(int(s == play.c_index) for s in m.population.strategy[: m.population.size])


def outcomes(m: GiveTakeModel, trials: int) -> Counter:
    seen: Counter = Counter()
    for _ in range(trials):
        set_state(m, STAR_START)
        m.step()
        seen[state(m)] += 1
    return seen


def assert_frequencies(seen: Counter, expected: dict, trials: int) -> None:
    """Each outcome's frequency lies within 4.5 standard errors of its probability."""
    assert set(seen) <= set(expected), f"impossible outcomes {set(seen) - set(expected)}"
    assert math.isclose(sum(expected.values()), 1.0)
    for outcome, p in expected.items():
        freq = seen[outcome] / trials
        tol = 4.5 * math.sqrt(p * (1 - p) / trials) + 1e-9
        assert abs(freq - p) <= tol, (outcome, freq, p)


def with_rest(probs: dict) -> dict:
    return {**probs, STAR_START: 1.0 - sum(probs.values())}


TRIALS = 3000


def test_play_computes_accumulated_and_averaged_payoffs_with_self_interaction():
    m = star_model("imitate_best", True)
    set_state(m, STAR_START)
    play = m.mechanism("play")
    play.step(m)
    assert np.allclose(play.payoff, [PAY_CENTRE, PAY_LEAF_C, PAY_LEAF_D, PAY_LEAF_D])
    assert np.allclose(m.population.wealth[:4], play.payoff)

    m2 = GiveTakeModel(
        m.config.with_overrides({"game.payoffs": "averaged", "game.self_interaction": True}), rng=0
    )
    m2.ties.add(np.array([0, 0, 0]), np.array([1, 2, 3]), strength=0.5, trust=0.5, step=0)
    set_state(m2, STAR_START)
    m2.mechanism("play").step(m2)
    R, S, T, P = B - C, -C, B, 0.0
    assert np.allclose(
        m2.mechanism("play").payoff,
        [(R + 2 * S + R) / 4, (R + R) / 2, (T + P) / 2, (T + P) / 2],
    )


@pytest.mark.parametrize(
    "family, expected",
    [
        ("weak_pd", (1.0, 0.0, 2.5, 0.0)),
        ("donation", (2.5 - 0.5, -0.5, 2.5, 0.0)),
        ("snowdrift", (2.5 - 0.25, 2.5 - 0.5, 2.5, 0.0)),
        ("stag_hunt", (2.5, 0.0, 0.5, 0.5)),
    ],
)
def test_payoff_families_follow_their_definitions(family, expected):
    assert payoff_matrix({"payoff": family, "b": 2.5, "c": 0.5}) == pytest.approx(expected)


def test_imitate_best_synchronous_on_the_star_is_deterministic():
    # the centre sees defecting leaves scoring b, the best; every leaf scores more than the centre
    m = star_model("imitate_best", True)
    set_state(m, STAR_START)
    m.step()
    assert state(m) == (0, 1, 0, 0)


@pytest.mark.slow
def test_imitate_best_asynchronous_single_update_probabilities():
    m = star_model("imitate_best", False, events=1)
    # only a chosen centre (1/4) changes: to the defectors' strategy
    assert_frequencies(outcomes(m, TRIALS), with_rest({(0, 1, 0, 0): 1 / 4}), TRIALS)


@pytest.mark.slow
def test_fermi_asynchronous_single_update_probabilities():
    beta = 0.7
    m = star_model("fermi", False, events=1, beta=beta)
    expected = with_rest(
        {
            (1, 1, 1, 0): 1 / 4 * fermi(PAY_CENTRE - PAY_LEAF_D, beta),
            (1, 1, 0, 1): 1 / 4 * fermi(PAY_CENTRE - PAY_LEAF_D, beta),
            (0, 1, 0, 0): 1 / 4 * 2 / 3 * fermi(PAY_LEAF_D - PAY_CENTRE, beta),
        }
    )
    assert_frequencies(outcomes(m, TRIALS), expected, TRIALS)


@pytest.mark.slow
def test_fermi_synchronous_switch_probabilities_per_member():
    beta = 0.7
    m = star_model("fermi", True, beta=beta)
    seen = outcomes(m, TRIALS)
    centre_d = sum(v for k, v in seen.items() if k[0] == 0) / TRIALS
    leaf2_c = sum(v for k, v in seen.items() if k[2] == 1) / TRIALS
    assert all(k[1] == 1 for k in seen)  # leaf 1 only meets a fellow cooperator
    p_centre = 2 / 3 * fermi(PAY_LEAF_D - PAY_CENTRE, beta)
    p_leaf = fermi(PAY_CENTRE - PAY_LEAF_D, beta)
    assert abs(centre_d - p_centre) < 4.5 * math.sqrt(p_centre * (1 - p_centre) / TRIALS)
    assert abs(leaf2_c - p_leaf) < 4.5 * math.sqrt(p_leaf * (1 - p_leaf) / TRIALS)


@pytest.mark.slow
def test_death_birth_asynchronous_single_update_probabilities():
    w = 0.5
    m = star_model("death_birth", False, events=1, w=w)
    f_c, f_d = linear_fitness(PAY_LEAF_C, w), linear_fitness(PAY_LEAF_D, w)
    expected = with_rest(
        {
            (1, 1, 1, 0): 1 / 4,  # a dying leaf's only neighbour is the cooperating centre
            (1, 1, 0, 1): 1 / 4,
            (0, 1, 0, 0): 1 / 4 * 2 * f_d / (f_c + 2 * f_d),
        }
    )
    assert_frequencies(outcomes(m, TRIALS), expected, TRIALS)


@pytest.mark.slow
def test_death_birth_synchronous_replaces_everyone_at_once():
    w = 0.5
    m = star_model("death_birth", True, w=w)
    f_c, f_d = linear_fitness(PAY_LEAF_C, w), linear_fitness(PAY_LEAF_D, w)
    p_centre_d = 2 * f_d / (f_c + 2 * f_d)
    # every leaf inherits the centre's strategy; the centre a fitness-weighted leaf's
    expected = {(0, 1, 1, 1): p_centre_d, (1, 1, 1, 1): 1 - p_centre_d}
    assert_frequencies(outcomes(m, TRIALS), expected, TRIALS)


@pytest.mark.slow
def test_birth_death_single_update_probabilities():
    w = 0.5
    m = star_model("birth_death", False, events=1, w=w)
    f = [linear_fitness(p, w) for p in (PAY_CENTRE, PAY_LEAF_C, PAY_LEAF_D, PAY_LEAF_D)]
    total = sum(f)
    expected = with_rest(
        {
            (0, 1, 0, 0): (f[2] + f[3]) / total,  # a defecting leaf reproduces into the centre
            (1, 1, 1, 0): f[0] / total / 3,  # the centre reproduces into a random leaf
            (1, 1, 0, 1): f[0] / total / 3,
        }
    )
    assert_frequencies(outcomes(m, TRIALS), expected, TRIALS)


def test_birth_death_must_be_asynchronous():
    with pytest.raises(ScenarioError, match="synchronous"):
        star_model("birth_death", True)


def test_games_need_a_cooperate_defect_mix():
    with pytest.raises(ScenarioError, match="population.mix"):
        GiveTakeModel({**CLASSIC, "population": {"size": 20}, "network": {"kind": "complete"}}, rng=0)


def lattice_grid(m: GiveTakeModel, width: int) -> np.ndarray:
    play = m.mechanism("play")
    return (m.population.strategy[: m.population.size] == play.c_index).reshape(-1, width)


def test_nowak_may_single_defector_grows_a_symmetric_pattern():
    n = 99
    m = GiveTakeModel(
        {
            **CLASSIC,
            "population": {"mix": MIX},
            "network": {"kind": "lattice", "width": n, "height": n},
            "game": {
                "payoff": "weak_pd",
                "b": 1.85,
                "self_interaction": True,
                "init": "single_defector_centre",
            },
        },
        rng=0,
    )
    defectors = []
    for _ in range(40):
        m.step()
        g = lattice_grid(m, n)
        assert (g == g[::-1, :]).all() and (g == g[:, ::-1]).all() and (g == g.T).all()
        defectors.append(int((~g).sum()))
    assert defectors[0] == 9 and max(defectors) > 200  # it grew beyond the first 3x3 block


@pytest.mark.slow
def test_nowak_may_chaotic_regime_keeps_about_a_third_cooperating():
    m = GiveTakeModel(
        {
            **CLASSIC,
            "population": {"mix": MIX},
            "network": {"kind": "lattice", "width": 100, "height": 100},
            "game": {"payoff": "weak_pd", "b": 1.9, "self_interaction": True, "cooperators": 0.9},
        },
        rng=11,
    )
    shares = []
    for step in range(300):
        m.step()
        if step >= 100:
            shares.append(m.metrics["cooperators"])
    assert abs(np.mean(shares) - (12 * math.log(2) - 8)) < 0.02


@pytest.mark.parametrize(
    "network",
    [
        {"kind": "lattice", "width": 12, "height": 12},  # the neighbour-table path
        {"kind": "powerlaw_cluster", "mean_degree": 6},  # hubs: the grouped path
    ],
    ids=["lattice", "hubs"],
)
@pytest.mark.slow
def test_imitate_best_spreads_the_best_strategy_to_every_contact(network):
    spread = 0
    for seed in range(30):
        m = GiveTakeModel(
            {
                **CLASSIC,
                "population": {"size": 150, "mix": MIX},
                "network": network,
                "game": {"payoff": "weak_pd", "b": 1.6 + 0.01 * seed, "self_interaction": True},
            },
            rng=seed,
        )
        play = m.mechanism("play")
        play.step(m)
        before, pay = play.coop.copy(), play.payoff.copy()
        m.mechanism("update").step(m)
        after = m.population.strategy[: m.population.size] == play.c_index
        # every member takes the strategy of the best scorer among itself and its contacts;
        # when both strategies score that best, it keeps its own
        g = m.to_networkx()
        for i in g:
            near = [i, *g[i]]
            best_c = max((pay[j] for j in near if before[j]), default=-np.inf)
            best_d = max((pay[j] for j in near if not before[j]), default=-np.inf)
            assert after[i] == (best_c > best_d or (best_c == best_d and before[i])), (seed, i)
        # so when the best scorers of the whole network share a strategy, every contact of
        # theirs takes it on
        top = np.flatnonzero(pay == pay.max())
        if len(set(before[top])) == 1:
            spread += 1
            for t in top:
                assert (after[list(g[t])] == before[t]).all(), (seed, t)
    assert spread >= 25  # (the claim above is checked in most seeds)


def test_imitate_best_on_the_star_keeps_the_best_scorers_strategy():
    # on the star the defectors score best, and their strategy's share cannot drop
    star = star_model("imitate_best", True)
    set_state(star, STAR_START)
    star.step()
    assert state(star).count(0) >= STAR_START.count(0)


def moran_fixation(n: int, r: float, runs: int, seed: int) -> float:
    scenario = Scenario.from_dict(
        {
            **CLASSIC,
            "population": {"size": n, "mix": MIX},
            "network": {"kind": "complete"},
            "game": {
                "payoff": "matrix",
                "R": r,
                "S": r,
                "T": 1.0,
                "P": 1.0,
                "payoffs": "averaged",
                "init": "single_mutant",
                "stop": "fixation",
            },
            "mechanisms": {"update": {"rule": "birth_death", "synchronous": False, "w": 1.0}},
        }
    )
    fixed = 0
    for i in range(runs):
        m = GiveTakeModel(scenario, rng=np.random.default_rng([seed, i]))
        while m.running:
            m.step()
        fixed += m.mechanism("play").winner == "cooperate"
    return fixed / runs


@pytest.mark.slow
@pytest.mark.parametrize("n, r, runs", [(10, 1.0, 1500), (8, 2.0, 600)])
def test_moran_fixation_probability_matches_theory(n, r, runs):
    exact = 1.0 / n if r == 1.0 else (1 - 1 / r) / (1 - r**-n)
    p = moran_fixation(n, r, runs, seed=n)
    assert abs(p - exact) < 3.0 * math.sqrt(exact * (1 - exact) / runs)


def test_fixation_stops_the_run_and_is_reported():
    scenario = Scenario.from_dict(
        {
            **CLASSIC,
            "population": {"size": 20, "mix": MIX},
            "network": {"kind": "complete"},
            "game": {
                "payoff": "matrix",
                "R": 1.0,
                "S": 1.0,
                "T": 1.0,
                "P": 1.0,
                "payoffs": "averaged",
                "init": "single_mutant",
                "stop": "fixation",
            },
            "mechanisms": {"update": {"rule": "birth_death", "synchronous": False}},
        }
    )
    res = run_scenario(scenario, steps=10_000, seed=4)
    s = res.summary
    assert s["fixated"] is True and s["winner"] in ("cooperate", "defect")
    assert s["fixation_step"] == s["steps_run"] < 10_000
    assert res.timeseries["cooperators"].iloc[-1] == (1.0 if s["winner"] == "cooperate" else 0.0)
    # with stop = "steps" the run goes on after fixation, which is still reported
    more = run_scenario(scenario.with_overrides({"game.stop": "steps"}), steps=s["steps_run"] + 5, seed=4)
    assert more.summary["steps_run"] == s["steps_run"] + 5
    assert more.summary["fixation_step"] == s["fixation_step"]


def test_same_seed_same_trajectory_for_every_rule():
    for rule, sync in [
        ("imitate_best", False),
        ("fermi", True),
        ("fermi", False),
        ("death_birth", False),
        ("birth_death", False),
        ("death_birth", True),
    ]:
        scenario = Scenario.from_dict(
            {
                **CLASSIC,
                "population": {"size": 60, "mix": MIX},
                "network": {"kind": "random_regular", "mean_degree": 4},
                "game": {"payoff": "donation", "b": 5.0},
                "mechanisms": {"update": {"rule": rule, "synchronous": sync, "w": 0.2}},
            }
        )
        a = run_scenario(scenario, steps=15, seed=9).timeseries["cooperators"].tolist()
        b = run_scenario(scenario, steps=15, seed=9).timeseries["cooperators"].tolist()
        c = run_scenario(scenario, steps=15, seed=10).timeseries["cooperators"].tolist()
        assert a == b, rule
        assert a != c, rule


@pytest.mark.parametrize("name", ["nowak_may", "ohtsuki_death_birth", "moran"])
def test_classic_scenario_files_load_and_run(name):
    from simulation.scenario_files import load_scenario

    s = load_scenario(name, {"network.width": 20, "network.height": 20})
    res = run_scenario(s, steps=3, seed=1)
    assert "cooperators" in res.timeseries.columns
    assert {"fixated", "winner", "fixation_step"} <= set(res.summary)


@pytest.mark.slow
def test_validate_command_prints_the_table_and_writes_the_report(tmp_path, capsys):
    from simulation.cli import main

    code = main(
        ["validate", "--quick", "--only", "nowak_may", "--executor", "serial", "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert "cooperator share, 1.8 < b < 2" in out and "published" in out
    report = (tmp_path / "validation.md").read_text()
    assert "| Nowak & May 1992 | cooperator share, b > 2 |" in report
    # the pass rules are on the page: 'published 0.0000' and an interval without 0 can pass
    assert "passes when that mean lies within 0.015 of 0.318 (1.8 < b < 2" in report
    assert "or below 0.05 (b > 2)" in report
    assert (tmp_path / "figures" / "validation_nowak_may.png").stat().st_size > 1000
    assert code == (0 if report.count("| pass |") == 2 else 1)
    # written outside the docs, it links no page that is not there
    assert "(classic.md)" not in report and "`docs/classic.md`" in report
