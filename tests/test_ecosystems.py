"""Ecosystems: detection, tracking events, per-ecosystem measures, influence, outputs (the verdict: test_verdict.py)."""

from __future__ import annotations

import copy
import importlib.util
import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from simulation.ecosystems import (
    EVENTS,
    EcosystemTracker,
    burt_constraint,
    burt_effective_size,
    detect_communities,
    life_stories,
    parse_ids,
    trust_pagerank,
)
from simulation.mechanisms import DEFAULT_PIPELINE
from simulation.model import GiveTakeModel
from simulation.run import run_scenario, write_run
from simulation.scenario import Scenario, ScenarioError
from simulation.verdict import VERDICTS

HAS_IGRAPH = importlib.util.find_spec("igraph") is not None
METHODS = [
    "networkx",
    pytest.param("igraph", marks=pytest.mark.skipif(not HAS_IGRAPH, reason="igraph is not installed")),
]


def kinds(events, step=None):
    return [e["event"] for e in events if step is None or e["step"] == step]


# ---------------------------------------------------------------------------
# tracking on constructed partitions
# ---------------------------------------------------------------------------
def test_untouched_group_keeps_its_id_while_another_changes():
    t = EcosystemTracker(jaccard=0.3, change=0.1)
    a, b = set(range(10)), set(range(10, 20))
    assert t.update(0, [a, b]) == [0, 1]
    b2 = (b - {10, 11, 12}) | {30, 31, 32, 33, 34, 35}  # 13 members, 7 of them from before
    assert t.update(10, [b2, a]) == [1, 0]
    assert t.update(20, [a, b2]) == [0, 1]
    assert [e for e in t.events if e["ecosystem"] == 0 and e["step"] > 0] == []
    assert kinds(t.events, 10) == ["growth"]


def test_split_keeps_the_id_on_the_larger_part():
    t = EcosystemTracker()
    t.update(0, [set(range(20))])
    ids = t.update(10, [set(range(8)), set(range(8, 20))])
    assert ids == [1, 0]  # the 12-member part continues ecosystem 0
    (split,) = t.events[1:]
    assert split["event"] == "split"
    assert split["ecosystem"] == 0 and parse_ids(split["sources"]) == [0]
    assert parse_ids(split["targets"]) == [0, 1]
    assert (split["previous_size"], split["size"]) == (20, 20)
    assert t.born[1] == 10


def test_merge_keeps_the_id_of_the_larger_contributor():
    t = EcosystemTracker()
    t.update(0, [set(range(6)), set(range(6, 16))])  # ecosystem 0 has 6 members, ecosystem 1 has 10
    ids = t.update(5, [set(range(16))])
    assert ids == [1]  # ecosystem 1 brought 10 of the 16 members
    (merge,) = t.events[2:]
    assert merge["event"] == "merge"
    assert parse_ids(merge["sources"]) == [0, 1] and parse_ids(merge["targets"]) == [1]
    assert (merge["previous_size"], merge["size"]) == (16, 16)


def test_members_leaving_one_by_one_give_contractions_then_death():
    t = EcosystemTracker(change=0.1)
    group = list(range(10))
    min_size = 3
    t.update(0, [set(group), set(range(100, 110))])
    step = 0
    while group:
        group.pop()
        step += 1
        t.update(step, [g for g in [set(group), set(range(100, 110))] if len(g) >= min_size])
    mine = [e["event"] for e in t.events if e["ecosystem"] == 0]
    assert mine == ["birth"] + ["contraction"] * 7 + ["death"]
    assert [e for e in t.events if e["ecosystem"] == 1] == [t.events[1]]  # only its birth


def test_growth_and_contraction_at_the_change_threshold():
    t = EcosystemTracker(change=0.1)
    t.update(0, [set(range(20))])
    t.update(1, [set(range(21))])  # +1 < 0.1 * 20: no event
    t.update(2, [set(range(21)) | {50, 51}])  # 21 -> 23: +2 >= 2.1? no
    t.update(3, [set(range(21)) | {50, 51, 52}])  # 23 -> 24: no
    t.update(4, [set(range(24)) | {50, 51, 52}])  # 24 -> 27: +3 >= 2.4: growth
    t.update(5, [set(range(20)) | {50, 51, 52}])  # 27 -> 23: -4 >= 2.7: contraction
    assert [(e["step"], e["event"]) for e in t.events] == [(0, "birth"), (4, "growth"), (5, "contraction")]
    exact = EcosystemTracker(change=0.1)
    exact.update(0, [set(range(20))])
    exact.update(1, [set(range(22))])  # +2 == 0.1 * 20: growth
    assert kinds(exact.events, 1) == ["growth"]


def test_jaccard_threshold_decides_continuation():
    t = EcosystemTracker(jaccard=0.5)
    t.update(0, [set(range(10))])
    assert t.update(1, [set(range(5))]) == [0]  # J = 5/10 = 0.5: same ecosystem
    assert kinds(t.events, 1) == ["contraction"]
    t2 = EcosystemTracker(jaccard=0.5)
    t2.update(0, [set(range(10))])
    assert t2.update(1, [set(range(5)) | {99}]) == [1]  # J = 5/11 < 0.5: a new one
    assert sorted(kinds(t2.events, 1)) == ["birth", "death"]


def test_tracking_is_deterministic_and_counts_every_event_kind():
    def history():
        t = EcosystemTracker()
        t.update(0, [set(range(10)), set(range(10, 20)), set(range(20, 26))])
        t.update(1, [set(range(20)), set(range(20, 29))])  # merge, growth
        t.update(2, [set(range(12)), set(range(12, 20)), set(range(20, 26))])  # split, contraction
        t.update(3, [set(range(12)), set(range(12, 20))])  # death
        return t

    a, b = history(), history()
    assert a.events == b.events
    counts = a.counts()
    assert list(counts) == list(EVENTS)
    assert counts == {"birth": 3, "growth": 1, "contraction": 1, "merge": 1, "split": 1, "death": 1}


def test_life_stories_tell_origin_fate_and_events_of_each_ecosystem():
    t = EcosystemTracker()
    parts = {
        0: [set(range(10)), set(range(10, 20)), set(range(20, 26))],
        1: [set(range(20)), set(range(20, 26))],  # the first two merge
        2: [set(range(12)), set(range(12, 20)), set(range(20, 26))],  # which splits again
        3: [set(range(12)), set(range(12, 20))],  # the third dies
    }
    rows = []
    for step, groups in parts.items():
        for eid, g in zip(t.update(step, groups), groups):
            rows.append({"step": step, "ecosystem": eid, "size": len(g), "share_taker": 0.1 * step})
    lives = life_stories(pd.DataFrame(rows), pd.DataFrame(t.events)).set_index("ecosystem")
    survivor = next(eid for eid, g in t.groups.items() if 0 in g)  # the merged id that lives on
    absorbed = 1 - survivor
    assert lives.loc[absorbed, "fate"] == "merged" and lives.loc[absorbed, "ended"] == 1
    assert parse_ids(lives.loc[absorbed, "successors"]) == [survivor]
    assert lives.loc[survivor, "story"] == "birth > merge > split" and lives.loc[survivor, "fate"] == "alive"
    assert lives.loc[2, "fate"] == "died" and lives.loc[2, "story"] == "birth > death"
    assert lives.loc[2, "lifetime"] == 2 and lives.loc[2, "detections"] == 3
    newcomer = max(t.groups)
    assert lives.loc[newcomer, "origin"] == "split" and parse_ids(lives.loc[newcomer, "parents"]) == [
        survivor
    ]
    assert lives.loc[survivor, "peak_size"] == 20 and lives.loc[survivor, "final_size"] == 12
    assert lives.loc[survivor, "taker_share_last"] == pytest.approx(0.3)


# ---------------------------------------------------------------------------
# the same cases through the model, on constructed tie graphs
# ---------------------------------------------------------------------------
def empty_model(n: int, method: str = "auto", **settings) -> GiveTakeModel:
    return GiveTakeModel(
        {
            "population": {"size": n},
            "network": {"kind": "empty", "mean_degree": 0},
            "mechanisms": {"ecosystems": {"method": method, **settings}},
        },
        rng=3,
    )


def clique(members) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.triu_indices(len(members), k=1)
    m = np.asarray(members)
    return m[a], m[b]


def connect_all(model, pairs) -> None:
    for a, b in pairs:
        model.ties.add(np.asarray(a), np.asarray(b), strength=0.5, trust=0.5, step=model.steps)


@pytest.mark.parametrize("method", METHODS)
def test_cutting_the_ties_between_two_halves_splits_an_ecosystem(method):
    model = empty_model(20, method)
    eco = model.mechanism("ecosystems")
    assert eco.count == 0  # no ties, no ecosystem
    connect_all(model, [clique(range(20))])
    (first,) = eco.detect(model)
    assert eco.count == 1 and eco.largest == 1.0
    left, right = np.arange(10), np.arange(10, 20)
    e = model.ties.live()
    across = np.isin(model.ties.u[e], left) != np.isin(model.ties.v[e], left)
    across &= ~((model.ties.u[e] == 0) & (model.ties.v[e] == 10))  # keep one bridge
    model.ties.remove(e[across])
    ids = eco.detect(model)
    assert len(ids) == 2 and first in ids
    assert {eco.current[0], eco.current[19]} == set(ids)
    assert eco.current[int(left[3])] != eco.current[int(right[3])]
    assert kinds(eco.events)[-1] == "split"


@pytest.mark.parametrize("method", METHODS)
def test_two_groups_that_fuse_merge(method):
    model = empty_model(16, method)
    eco = model.mechanism("ecosystems")
    connect_all(model, [clique(range(8)), clique(range(8, 16)), ([0], [8])])
    ids = eco.detect(model)
    assert len(ids) == 2
    a, b = np.meshgrid(np.arange(8), np.arange(8, 16))
    connect_all(model, [(a.ravel(), b.ravel())])
    (merged,) = eco.detect(model)
    assert merged in ids
    last = eco.events[-1]
    assert last["event"] == "merge" and parse_ids(last["sources"]) == sorted(ids)


def test_leaving_members_contract_then_kill_an_ecosystem_others_keep_their_id():
    model = empty_model(20, min_size=3, change=0.1)
    eco = model.mechanism("ecosystems")
    connect_all(model, [clique(range(8)), clique(range(8, 20)), ([0], [8])])
    ids = eco.detect(model)
    small, big = eco.current[0], eco.current[19]
    assert sorted(ids) == sorted([small, big])
    for slot in range(7, -1, -1):
        model.remove_members(np.array([slot]))
        eco.detect(model)
        assert eco.current[19] == big
    mine = [e["event"] for e in eco.events if e["ecosystem"] == small]
    assert mine[0] == "birth" and mine[-1] == "death"
    assert set(mine[1:-1]) == {"contraction"} and len(mine) >= 4
    assert [e["event"] for e in eco.events if e["ecosystem"] == big] == ["birth"]


def test_goal_attainment_density_trust_and_value_of_an_ecosystem():
    model = empty_model(10, method="networkx")
    eco = model.mechanism("ecosystems")
    connect_all(model, [clique(range(5)), clique(range(5, 10)), ([0], [5])])
    e = model.ties.live()
    inside_a = (model.ties.u[e] < 5) & (model.ties.v[e] < 5)
    model.ties.trust[e[inside_a], 0] = 0.9
    model.ties.trust[e[inside_a], 1] = 0.7
    # the accumulated record since the last detection: one need per member,
    # two met inside the first group, one met for it from the second group
    eco._needs[:10] = 1
    eco._gifts = [(np.array([1, 2, 5]), np.array([0, 3, 1]))]
    eco.detect(model)
    rows = pd.DataFrame(eco.rows)
    a = rows[rows["ecosystem"] == eco.current[0]].iloc[-1]
    b_, c_ = model.mechanism("exchange").b, model.mechanism("exchange").c
    assert a["size"] == 5 and a["internal_ties"] == 10 and a["density"] == 1.0
    assert a["mean_trust"] == pytest.approx(0.8)
    assert (a["needs"], a["needs_met"], a["needs_met_inside"]) == (5, 3, 2)
    assert a["goal_attainment"] == pytest.approx(0.4)
    assert a["value_created"] == pytest.approx(3 * b_ - 2 * c_)
    b = rows[rows["ecosystem"] == eco.current[9]].iloc[-1]
    assert b["value_created"] == pytest.approx(-c_)  # member 5 gave once, received nothing
    assert a["share_giver"] + a["share_otherish_giver"] + a["share_matcher"] + a["share_taker"] + a[
        "share_connector"
    ] == pytest.approx(1.0)


def test_bad_settings_are_refused():
    with pytest.raises(ScenarioError, match="mechanisms.ecosystems.jaccard"):
        Scenario.from_dict({"mechanisms": {"ecosystems": {"jaccard": 0.0}}})
    with pytest.raises(ScenarioError, match="mechanisms.ecosystems.method"):
        Scenario.from_dict({"mechanisms": {"ecosystems": {"method": "magic"}}})


# ---------------------------------------------------------------------------
# whole runs
# ---------------------------------------------------------------------------
def test_run_outputs_tables_summary_and_metrics(tmp_path):
    scenario = Scenario.from_dict({"population": {"size": 120}, "mechanisms": {"ecosystems": {"every": 5}}})
    result = run_scenario(scenario, steps=20, seed=4)
    eco, events = result.tables["ecosystems"], result.tables["events"]
    assert sorted(eco["step"].unique()) == [0, 5, 10, 15, 20]
    assert {
        "size",
        "density",
        "mean_trust",
        "goal_attainment",
        "value_created",
        "age",
        "dominant_skills",
    } <= set(eco.columns)
    assert {"share_" + s for s in result.model.strategy_names} <= set(eco.columns)
    assert set(events["event"]) <= set(EVENTS) and (events.loc[events["step"] == 0, "event"] == "birth").all()
    # every ecosystem row of a detection has the size the tracker recorded
    s = result.summary
    assert s["verdict"] in VERDICTS  # judged by the run, from its timeseries
    assert sum(s["ecosystem_events"].values()) == len(events)
    assert s["ecosystem_events"]["birth"] == (events["event"] == "birth").sum()
    assert -1 <= s["influence"]["rank_centrality"] <= 1
    stats = s["ecosystem_stats"]
    assert stats["detections"] == 5 and stats["final"] == len(eco[eco["step"] == 20])
    assert stats["ever"] == eco["ecosystem"].nunique() == len(result.tables["ecosystem_lives"])
    assert sum(f["count"] for f in stats["fates"].values()) == stats["ever"]
    assert stats["fates"]["alive"]["count"] == stats["final"]
    ts = result.timeseries
    last = eco[eco["step"] == 20]
    assert ts["ecosystems"].iloc[-1] == len(last)
    assert ts["largest_ecosystem"].iloc[-1] == pytest.approx(last["size"].max() / ts["members"].iloc[-1])
    out = write_run(result, tmp_path / "run", network=False)
    assert pd.read_parquet(out / "ecosystems.parquet").shape == eco.shape
    assert pd.read_parquet(out / "events.parquet").shape == events.shape
    saved = json.loads((out / "summary.json").read_text())
    assert saved["verdict"] == s["verdict"] and saved["ecosystem_events"] == s["ecosystem_events"]


def test_same_seed_same_ecosystems_and_measuring_does_not_change_the_run():
    scenario = Scenario.from_dict({"population": {"size": 150}})
    a = run_scenario(scenario, steps=30, seed=7)
    b = run_scenario(scenario, steps=30, seed=7)
    pd.testing.assert_frame_equal(a.tables["ecosystems"], b.tables["ecosystems"])
    pd.testing.assert_frame_equal(a.tables["events"], b.tables["events"])
    assert a.summary["influence"] == b.summary["influence"]
    bare = scenario.with_overrides({"pipeline": [m for m in DEFAULT_PIPELINE if m != "ecosystems"]})
    c = run_scenario(bare, steps=30, seed=7)
    pd.testing.assert_frame_equal(a.timeseries[c.timeseries.columns], c.timeseries)


def test_live_accessors_follow_the_last_detection():
    model = GiveTakeModel({"population": {"size": 100}, "mechanisms": {"ecosystems": {"every": 3}}}, rng=2)
    eco = model.mechanism("ecosystems")
    model.run_for(3)
    assert eco.detections == [0, 3]
    alive = model.population.alive_slots()
    assert set(eco.current) <= set(alive.tolist())
    assert all(eco.labels[s] == i for s, i in eco.current.items())
    assert set(eco.current.values()) == {r["ecosystem"] for r in eco.rows if r["step"] == 3}
    assert eco.events and eco.events[-1]["step"] in (0, 3)


@pytest.mark.skipif(not HAS_IGRAPH, reason="igraph is not installed")
def test_the_kept_graph_is_the_one_a_build_gives_and_a_copy_detects_the_same(monkeypatch):
    """igraph's graph, brought up to date between detections (members leave and join, ties
    go and come, the tie arrays are compacted: their renumbering is followed), is edge for
    edge the graph built afresh;
    a copy of the model, which builds it again, finds the same ecosystems."""
    import copy

    import igraph as ig

    from simulation.ecosystems import TieGraphKeeper

    seen = {"updated": 0, "built": 0, "across_a_compaction": 0}
    graph_for, updated = TieGraphKeeper.graph_for, TieGraphKeeper._updated

    def checked(self, slots, ties, u, v, compactions, renumbered=None):
        before, updates = self.compactions, seen["updated"]
        g = graph_for(self, slots, ties, u, v, compactions, renumbered)
        fresh = ig.Graph(n=len(slots), edges=np.column_stack([u, v]))
        assert g.vcount() == fresh.vcount() and g.get_edgelist() == fresh.get_edgelist()
        if seen["updated"] > updates and before >= 0 and compactions != before:
            seen["across_a_compaction"] += 1
        return g

    def counted(self, *args):
        g = updated(self, *args)
        seen["updated" if g is not None else "built"] += 1
        return g

    monkeypatch.setattr(TieGraphKeeper, "graph_for", checked)
    monkeypatch.setattr(TieGraphKeeper, "_updated", counted)
    settings = {"population": {"size": 120}, "mechanisms": {"ecosystems": {"every": 3}}}
    model = GiveTakeModel(settings, rng=5)
    model.run_for(45)
    twin = copy.deepcopy(model)
    assert "_keeper" not in twin.mechanism("ecosystems").__dict__
    model.run_for(15)
    twin.run_for(15)
    assert model.ties.compactions > 0 and seen["updated"] > 10
    assert seen["across_a_compaction"] > 0  # carried over a compaction by its renumbering
    eco, other = model.mechanism("ecosystems"), twin.mechanism("ecosystems")
    assert eco.rows == other.rows and eco.events == other.events
    np.testing.assert_array_equal(eco.labels, other.labels)


def test_a_deep_copy_reports_its_own_ecosystems_not_the_originals():
    """The classroom looks ahead on ``copy.deepcopy(model)``: the copy's ecosystem columns
    (count, largest, week of the last detection) follow the copy's detections, and the
    original's follow its own, however differently the two are stepped."""
    settings = {"population": {"size": 120}, "mechanisms": {"ecosystems": {"every": 2}}}
    model = GiveTakeModel(settings, rng=3)
    model.run_for(4)
    twin = copy.deepcopy(model)
    twin.run_for(3)  # detects at week 6; the original last detected at week 4
    mine, theirs = twin.mechanism("ecosystems"), model.mechanism("ecosystems")
    assert mine.detections[-1] == 6 and theirs.detections[-1] == 4
    assert twin.metrics["ecosystems_week"] == 6
    assert (twin.metrics["ecosystems"], twin.metrics["largest_ecosystem"]) == (mine.count, mine.largest)
    model.run_for(1)
    assert model.metrics["ecosystems_week"] == 4
    assert (model.metrics["ecosystems"], model.metrics["largest_ecosystem"]) == (theirs.count, theirs.largest)


# ---------------------------------------------------------------------------
# detection and influence measures
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_detection_is_seeded_and_finds_planted_groups(method):
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(4), 25)
    a = rng.integers(0, 100, 1500)
    b = rng.integers(0, 100, 1500)
    keep = (groups[a] == groups[b]) | (rng.random(1500) < 0.05)
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    key = np.unique(lo * 100 + hi)
    u, v = key // 100, key % 100
    ok = u != v
    u, v = u[ok], v[ok]
    w = np.ones(len(u))
    lab1 = detect_communities(100, u, v, w, seed=5, method=method)
    lab2 = detect_communities(100, u, v, w, seed=5, method=method)
    assert (lab1 == lab2).all()
    assert len(set(lab1)) == 4
    assert all(len(set(lab1[groups == g])) == 1 for g in range(4))


def weighted_graph(seed: int = 1) -> nx.Graph:
    g = nx.gnm_random_graph(40, 120, seed=seed)
    g.add_node(40)  # an isolated member
    rng = np.random.default_rng(seed)
    for x, y in g.edges:
        g[x][y]["strength"] = float(rng.uniform(0.05, 1.0))
    return g


def test_brokerage_measures_equal_networkx():
    g = weighted_graph()
    a = nx.to_scipy_sparse_array(g, nodelist=range(41), weight="strength", format="csr")
    rows = np.arange(41)
    con = burt_constraint(sp.csr_matrix(a), rows)
    eff = burt_effective_size(sp.csr_matrix(a), rows)
    # node by node: networkx's faster all-nodes path normalises weighted graphs by the
    # wrong axis (networkx pull request 8906)
    want_con = nx.constraint(g, nodes=list(g), weight="strength")
    want_eff = nx.effective_size(g, nodes=list(g), weight="strength")
    for i in range(40):
        assert con[i] == pytest.approx(want_con[i], rel=1e-9)
        assert eff[i] == pytest.approx(want_eff[i], rel=1e-9)
    assert np.isnan(con[40]) and np.isnan(eff[40])


def test_trust_centrality_equals_networkx_pagerank():
    rng = np.random.default_rng(2)
    g = nx.gnm_random_graph(30, 80, seed=2, directed=True)
    g.add_node(30)  # trusts nobody and nobody trusts it
    src, dst = np.array(g.edges).T
    trust = rng.uniform(0, 1, len(src))
    for s, d, t in zip(src, dst, trust):
        g[s][d]["trust"] = t
    got = trust_pagerank(31, src, dst, trust)
    want = nx.pagerank(g, weight="trust", tol=1e-12)
    assert got == pytest.approx([want[i] for i in range(31)], abs=1e-8)


def test_a_large_world_is_first_looked_at_in_week_every_and_the_timeseries_says_when():
    cfg = {"population": {"size": 100}, "mechanisms": {"ecosystems": {"every": 4}}}
    deferred = GiveTakeModel(cfg, rng=2, mechanisms__ecosystems__at_start_below=100)
    at_start = GiveTakeModel(cfg, rng=2)  # 100 members: below the default 20,000
    assert deferred.mechanism("ecosystems").detections == []
    assert at_start.mechanism("ecosystems").detections == [0]
    for model in (deferred, at_start):
        model.run_for(9)
    assert deferred.mechanism("ecosystems").detections == [4, 8]
    ts = deferred.datacollector.get_model_vars_dataframe()
    assert ts.loc[:3, ["ecosystems", "largest_ecosystem", "ecosystems_week"]].isna().all().all()
    assert ts["ecosystems_week"].iloc[4:].tolist() == [4] * 4 + [8] * 2
    assert (ts["ecosystems"].iloc[4:] >= 1).all()
    # measuring never changes the run: the same trajectory whenever detection starts
    other = ts.columns.difference(["ecosystems", "largest_ecosystem", "ecosystems_week"])
    pd.testing.assert_frame_equal(ts[other], at_start.datacollector.get_model_vars_dataframe()[other])
    assert (
        at_start.datacollector.get_model_vars_dataframe()["ecosystems_week"].tolist()
        == [0] * 4 + [4] * 4 + [8] * 2
    )


def test_with_detection_off_the_ecosystem_columns_are_empty():
    model = GiveTakeModel({"population": {"size": 60}}, rng=1, mechanisms__ecosystems__every=0)
    model.run_for(2)
    ts = model.datacollector.get_model_vars_dataframe()
    assert ts[["ecosystems", "largest_ecosystem", "ecosystems_week"]].isna().all().all()
