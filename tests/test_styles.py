"""The networking styles: every built-in scenario runs, and each style's mechanism does its job."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.model import GiveTakeModel
from simulation.run import run_scenario
from simulation.scenario import Scenario, ScenarioError
from simulation.scenario_files import builtin_scenarios, load_scenario

EXCHANGE = ["needs", "asking", "giving", "exchange", "reputation"]


def small(name: str, size: int = 150, **overrides) -> Scenario:
    """A built-in scenario shrunk for tests."""
    base = load_scenario(name)
    extra: dict = {}
    if base.get("network.kind") == "lattice":
        extra = {"network.width": 12, "network.height": 12}
    else:
        extra = {"population.size": size}
        if base.get("network.mean_degree") >= size // 4:
            extra["network.mean_degree"] = 6
    return load_scenario(name, {**extra, **{k.replace("__", "."): v for k, v in overrides.items()}})


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_builtin_scenario_runs_50_weeks(name):
    result = run_scenario(small(name), steps=50, seed=3)
    ts = result.timeseries
    assert result.summary["steps_run"] == len(ts) - 1
    assert ts["members"].iloc[-1] > 0
    if result.summary["steps_run"] == 50 and "mean_wealth" in ts:
        assert np.isfinite(ts["mean_wealth"]).all()


@pytest.mark.parametrize("name", ["referral_group", "online_platform"])
def test_styles_are_reproducible_from_a_seed(name):
    a = run_scenario(small(name, 100), steps=15, seed=11).timeseries
    b = run_scenario(small(name, 100), steps=15, seed=11).timeseries
    c = run_scenario(small(name, 100), steps=15, seed=12).timeseries
    assert a.equals(b)
    assert not a.equals(c)


# -- chapters (referral_group) ----------------------------------------------------------


def chapters_world(max_strikes: int, **chapters) -> Scenario:
    return Scenario.from_dict(
        {
            "population": {"size": 100, "mix": {"giver": 0.9, "taker": 0.1}},
            "network": {"kind": "empty", "mean_degree": 0},
            "pipeline": [*EXCHANGE, "chapters"],
            "mechanisms": {
                "chapters": {"size": 25, "max_strikes": max_strikes, "recruit": False, **chapters}
            },
        }
    )


def test_chapters_remove_persistent_non_contributors_and_nobody_else():
    result = run_scenario(chapters_world(3), steps=52, seed=5)
    removed = result.tables["expulsions"]
    takers_at_start = 10
    assert set(removed["strategy"]) == {"taker"}
    assert len(removed) >= 0.6 * takers_at_start
    # a removal needs three meetings with more refusals than gifts
    assert removed["step"].min() >= 3
    control = run_scenario(chapters_world(0), steps=52, seed=5)
    assert control.tables["expulsions"].empty
    assert control.timeseries["n_taker"].iloc[-1] == takers_at_start


def test_chapters_form_groups_of_about_size_and_keep_their_ties_warm():
    model = GiveTakeModel(chapters_world(0, meets=3), rng=2)
    pop = model.population
    counts = np.bincount(pop.chapter[pop.alive_slots()])
    assert len(counts) == 4 and counts.min() == counts.max() == 25
    model.run_for(3)
    ties = model.ties
    e = ties.live()
    same = pop.chapter[ties.u[e]] == pop.chapter[ties.v[e]]
    assert same.all() and len(e) > 100  # only chapter meetings make ties here
    assert (ties.last_used[e] == model.steps).all()  # every chapter tie was worked on this week


def test_newcomers_fill_the_smallest_chapter_then_open_a_new_one():
    model = GiveTakeModel(chapters_world(0), rng=1)
    pop = model.population
    model.remove_members(np.flatnonzero(pop.chapter[: pop.size] == 2)[:5])
    slots = model.add_members(5)
    assert (pop.chapter[slots] == 2).all()
    slots = model.add_members(3)
    assert (pop.chapter[slots] == 4).all()


def test_referral_group_expels_takers_far_more_often_than_others():
    result = run_scenario(small("referral_group", 200), steps=50, seed=4)
    removed = result.tables["expulsions"]
    start = result.model.config.mix
    n = 200
    rate = {s: (removed["strategy"] == s).sum() / (start[s] * n) for s in start if start[s] > 0}
    others = max(rate[s] for s in rate if s != "taker")
    assert rate["taker"] > 0.5
    assert rate["taker"] > 3 * others
    assert result.timeseries["expelled"].sum() == len(removed)


# -- events (paid_events) -------------------------------------------------------------


def events_world(**events) -> Scenario:
    return Scenario.from_dict(
        {
            "population": {"size": 120, "initial_wealth": 10.0},
            "network": {"kind": "empty", "mean_degree": 0},
            "pipeline": ["events"],
            "mechanisms": {"events": {"per_year": 4, "first": 3, "fee": 2.5, **events}},
        }
    )


def test_events_charge_the_attendance_cost_to_attendees_only():
    model = GiveTakeModel(events_world(), rng=7)
    events = model.mechanism("events")
    pop = model.population
    model.run_for(2)
    assert np.all(pop.wealth[: pop.size] == 10.0)  # no event yet, nobody paid
    model.step()  # week 3: the first event
    attendees = events.last_attendees
    assert 0 < len(attendees) < pop.n_alive
    paid = np.zeros(pop.size, bool)
    paid[attendees] = True
    assert np.allclose(pop.wealth[: pop.size][paid], 7.5)
    assert np.allclose(pop.wealth[: pop.size][~paid], 10.0)
    assert model.metrics["event_fees"] == pytest.approx(2.5 * len(attendees))
    assert model.metrics["event_attendees"] == len(attendees)
    # attendees met each other, nobody else met anyone
    e = model.ties.live()
    assert len(e) > 0 and paid[model.ties.u[e]].all() and paid[model.ties.v[e]].all()


def test_events_happen_per_year_times_a_year_and_exclude_those_who_cannot_pay():
    result = run_scenario(events_world(), steps=52, seed=1)
    ts = result.timeseries
    assert (ts["event_attendees"] > 0).sum() == 4
    assert result.summary["events"]["held"] == 4
    assert result.summary["events"]["fees_paid"] == pytest.approx(2.5 * ts["event_attendees"].sum())
    broke = Scenario.from_dict(
        {**events_world().to_dict(), "population": {"size": 120, "initial_wealth": 2.0}}
    )
    ts = run_scenario(broke, steps=10, seed=1).timeseries
    assert ts["event_attendees"].sum() == 0


def test_paid_events_welfare_includes_the_fees():
    with_fee = run_scenario(small("paid_events", 150), steps=20, seed=2).timeseries
    assert with_fee["event_fees"].sum() > 0
    week = int(with_fee.index[with_fee["event_fees"] > 0][0])
    free = run_scenario(small("paid_events", 150, mechanisms__events__fee=0.0), steps=week, seed=2).timeseries
    # the same week, the same draws before it: the only difference is the fee paid that week
    assert free["welfare"].iloc[week] - with_fee["welfare"].iloc[week] == pytest.approx(
        with_fee["event_fees"].iloc[week]
    )


# -- platforms (online_platform) -------------------------------------------------------


def platforms_world(**platforms) -> Scenario:
    return Scenario.from_dict(
        {
            "population": {"size": 200, "interests": 10, "interests_per_member": 1},
            "network": {"kind": "empty", "mean_degree": 0},
            "pipeline": ["platforms"],
            "mechanisms": {"platforms": {"count": 4, "per_member": 2, "p_cross": 0.0, **platforms}},
        }
    )


def shares(model):
    pop, ties = model.population, model.ties
    e = ties.live()
    u, v = ties.u[e], ties.v[e]
    same_platform = (pop.platforms[u] & pop.platforms[v]).any(axis=1)
    same_interest = (pop.interests[u] & pop.interests[v]).any(axis=1)
    return same_platform, same_interest


def test_members_join_one_to_per_member_of_count_platforms():
    model = GiveTakeModel(platforms_world(), rng=3)
    pop = model.population
    assert pop.platforms.shape[1] == 4
    joined = pop.platforms[pop.alive_slots()].sum(axis=1)
    assert joined.min() == 1 and joined.max() == 2
    slots = model.add_members(30)
    assert pop.platforms[slots].sum(axis=1).min() >= 1


def test_online_ties_stay_on_platforms_and_follow_shared_interests():
    strict = GiveTakeModel(platforms_world(homophily=1.0), rng=3)
    strict.run_for(5)
    same_platform, same_interest = shares(strict)
    assert len(same_platform) > 50
    assert same_platform.all() and same_interest.all()
    loose = GiveTakeModel(platforms_world(homophily=0.0), rng=3)
    loose.run_for(5)
    same_platform, same_interest = shares(loose)
    assert same_platform.all() and same_interest.mean() < 0.5


def test_online_platform_creates_ties_across_platforms_through_shared_interests():
    on = run_scenario(small("online_platform", 200), steps=30, seed=6)
    off = run_scenario(small("online_platform", 200, mechanisms__platforms__p_cross=0.0), steps=30, seed=6)
    assert on.timeseries["cross_platform_ties"].sum() > 20
    assert off.timeseries["cross_platform_ties"].sum() == 0
    same_platform_on, interest_on = shares(on.model)
    same_platform_off, interest_off = shares(off.model)
    across_on = (~same_platform_on & interest_on).mean()
    across_off = (~same_platform_off & interest_off).mean()
    assert across_on > across_off


def test_platforms_reject_more_platforms_per_member_than_exist():
    with pytest.raises(ScenarioError, match=r"mechanisms\.platforms\.per_member"):
        GiveTakeModel(platforms_world(count=2, per_member=3), rng=0)


# -- arrivals (taker_invasion) ---------------------------------------------------------


def test_a_wave_arrives_in_its_week_with_its_strategy():
    s = load_scenario(
        "taker_invasion",
        {
            "population.size": 100,
            "mechanisms.arrivals.at": 5,
            "mechanisms.arrivals.share": 0.3,
            "mechanisms.arrivals.count": 2,
        },
    )
    ts = run_scenario(s, steps=6, seed=1).timeseries
    assert ts["arrived"].tolist() == [0, 0, 0, 0, 0, 32, 0]
    grew = ts["n_taker"].iloc[5] - ts["n_taker"].iloc[4]
    assert grew >= 32 - ts["left"].iloc[5]  # the whole wave (minus any who failed at once)


@pytest.mark.slow
def test_taker_invasion_lowers_fulfilment_after_the_wave():
    drops = []
    for seed in range(3):
        wave = small("taker_invasion", 200, mechanisms__arrivals__at=20)
        control = small("taker_invasion", 200, mechanisms__arrivals__at=20, mechanisms__arrivals__share=0.0)
        hit = run_scenario(wave, steps=35, seed=seed).timeseries["fulfilment_rate"]
        calm = run_scenario(control, steps=35, seed=seed).timeseries["fulfilment_rate"]
        assert hit.iloc[:20].equals(calm.iloc[:20])  # identical until the wave
        drops.append(calm.iloc[21:35].mean() - hit.iloc[21:35].mean())
    assert min(drops) > 0
    assert np.mean(drops) > 0.02


def test_arrivals_reject_a_strategy_outside_the_population():
    s = load_scenario("taker_invasion", {"population.size": 50, "mechanisms.arrivals.strategy": "thief"})
    with pytest.raises(ScenarioError, match=r"with --set: mechanisms\.arrivals\.strategy"):
        GiveTakeModel(s, rng=0)


# -- habits (relationships_vs_numbers) ---------------------------------------------------


def test_builders_keep_few_strong_ties_and_collectors_many_weak_ones():
    result = run_scenario(small("relationships_vs_numbers", 200), steps=30, seed=8)
    model, ts = result.model, result.timeseries
    habits = model.mechanism("habits")
    pop, ties = model.population, model.ties
    e = ties.live()
    u_col, v_col = habits.is_collector(ties.u[e]), habits.is_collector(ties.v[e])
    builder_ties = e[~u_col & ~v_col]
    collector_ties = e[u_col & v_col]
    assert ties.strength[builder_ties].mean() > ties.strength[collector_ties].mean()
    assert ts["degree_collectors"].iloc[-1] > 2 * ts["degree_builders"].iloc[-1]
    deg = ties.degree(pop.size)
    builders = pop.alive_slots()[~habits.is_collector(pop.alive_slots())]
    cap = model.config.get("mechanisms.habits.deep_ties")
    # builders let ties beyond their cap go each week; only ties made later that week can exceed it
    assert np.median(deg[builders]) <= cap + 2
    assert set(result.summary["habits"]) == {"builders", "collectors"}


def test_connectors_meet_only_through_introductions():
    # every new tie is either an introduction (two members who had a contact in common, the
    # one who introduced them) or one of a newcomer's first contacts; nothing else makes ties
    model = GiveTakeModel(small("connectors", 150), rng=2)
    assert model.mechanism("meeting") is None
    pop, ties = model.population, model.ties
    contacts = model.config.get("mechanisms.churn.initial_contacts")
    introduced = 0
    for _ in range(20):
        g = model.to_networkx()  # the network the week starts with
        model.step()
        tick, week = model.tick, model.steps
        e = ties.live()
        new = e[ties.born[e] == week]
        u, v = ties.u[new], ties.v[new]
        arrival = (pop.joined[u] == week) | (pop.joined[v] == week)
        for a, b in zip(u[~arrival].tolist(), v[~arrival].tolist(), strict=True):
            assert a in g and b in g
            assert set(g[a]) & set(g[b]), f"week {week}: {a} and {b} met with no contact in common"
        # the counts say the same: every tie made that is no newcomer's is an introduction
        # (a tie can go again later in the week, when one of its members leaves or moves)
        assert (~arrival).sum() <= tick.introductions
        assert arrival.sum() <= tick.ties_made - tick.introductions <= contacts * tick.joined
        introduced += tick.introductions
    assert introduced > 100  # and introductions do make ties
