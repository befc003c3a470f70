"""Pattern-oriented validation: pattern files, measures, estimates, the suite runner and the CLI."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.errors import InputError
from simulation.patterns import load_patterns, run_patterns, tipping_point
from simulation.patterns.suite import BUILTIN_PATTERNS, plan_runs
from simulation.run import run_scenario
from simulation.scenario_files import load_scenario

# needs per member-week are Bernoulli(p_need): per member-year the expected number is 52 x p_need
TOY = """
name = "toy"
seed = 7
seeds = 8
steps = 20

[[pattern]]
name = "needs_known"
reference = "the Needs mechanism: a need with probability p_need a week"
scenarios = ["open_mixer"]
set = {{ "population.size" = 30, "pipeline" = ["needs"], "mechanisms.needs.p_need" = 0.5 }}
measure = "rate_per_member_year"
params = {{ column = "needs" }}
target = 26.0
accept = [{lo}, {hi}]
"""


def _write(tmp_path: Path, text: str, name: str = "toy.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_pattern_whose_answer_is_known_passes_with_an_interval_around_it(tmp_path):
    suite = load_patterns(_write(tmp_path, TOY.format(lo=24.0, hi=28.0)))
    checks, info = run_patterns(suite, executor="serial")
    (c,) = checks
    e = c.estimate
    assert c.passed and c.runs == 8 and info["runs"] == 8
    assert e.low < e.value < e.high
    assert e.low <= 26.0 <= e.high  # the true rate lies in the 95% interval
    assert e.high - e.low < 4.0  # 8 runs of 600 member-weeks pin it down


def test_a_pattern_whose_target_is_off_fails(tmp_path):
    suite = load_patterns(_write(tmp_path, TOY.format(lo=40.0, hi=50.0)))
    (c,) = run_patterns(suite, executor="serial")[0]
    assert not c.passed
    assert 24.0 < c.estimate.value < 28.0  # the same number, judged against another range


def test_same_seed_same_numbers_and_patterns_share_runs(tmp_path):
    text = TOY.format(lo=24.0, hi=28.0)
    text += text[text.index("[[pattern]]") :].replace('"needs_known"', '"needs_again"')
    suite = load_patterns(_write(tmp_path, text))
    jobs, _ = plan_runs(suite)
    assert len(jobs) == 8  # both patterns measure the same 8 runs
    a, _ = run_patterns(suite, executor="serial")
    b, _ = run_patterns(load_patterns(_write(tmp_path, TOY.format(lo=24.0, hi=28.0))), executor="serial")
    assert a[0].estimate.value == a[1].estimate.value == b[0].estimate.value


@pytest.mark.slow
def test_patterns_run_the_same_on_a_process_pool(tmp_path):
    suite = load_patterns(_write(tmp_path, TOY.format(lo=24.0, hi=28.0)))
    serial = run_patterns(suite, executor="serial")[0][0].estimate
    pooled = run_patterns(suite, executor="process", workers=2)[0][0].estimate
    assert (serial.value, serial.low, serial.high) == (pooled.value, pooled.low, pooled.high)


@pytest.mark.slow
def test_patterns_run_the_same_on_a_dask_cluster(tmp_path):
    suite = load_patterns(_write(tmp_path, TOY.format(lo=24.0, hi=28.0)))
    serial = run_patterns(suite, executor="serial")[0][0].estimate
    checks, info = run_patterns(suite, executor="dask", workers=2)  # a real LocalCluster
    assert "dask" in info["executor"]
    assert (checks[0].estimate.value, checks[0].estimate.low) == (serial.value, serial.low)


def test_tipping_point_recovers_a_known_crossing_with_its_interval():
    gen = np.random.default_rng(3)
    levels = np.repeat(np.linspace(0.0, 1.0, 11), 40)
    p = 1.0 / (1.0 + np.exp(-(levels - 0.4) * 12.0))  # more likely than not above 0.4
    y = (gen.random(len(levels)) < p).astype(float)
    est = tipping_point(levels, y, draws=300, seed=1)
    assert est.low < 0.4 < est.high
    assert abs(est.value - 0.4) < 0.05
    assert est.high - est.low < 0.15


def test_tipping_point_says_when_there_is_none_or_when_data_separate():
    assert math.isnan(tipping_point([0.0, 0.5, 1.0], [0, 0, 0]).value)
    assert "never" in tipping_point([0.0, 0.5, 1.0], [0, 0, 0]).note
    sep = tipping_point([0, 0, 0.5, 0.5, 0.9, 0.9], [0, 0, 0, 0, 1, 1])
    assert (sep.low, sep.high, sep.separated) == (0.5, 0.9, True) and math.isnan(sep.value)


def test_the_published_suite_loads_full_and_quick():
    full = load_patterns()
    quick = load_patterns(quick=True)
    names = {p.name for p in full.patterns}
    assert {"grant_otherish_top", "decay_start", "decay_end", "ostracism_high", "bridge_decay"} <= names
    assert {"referral_volume", "tipping_point"} <= names
    assert all(p.reference for p in full.patterns)
    assert sum(p.seeds for p in quick.patterns) < sum(p.seeds for p in full.patterns)
    assert BUILTIN_PATTERNS.is_file()


@pytest.mark.parametrize(
    "change, expected",
    [
        (("measure = ", "mesure = "), "pattern[0].mesure: unknown key"),
        (('measure = "rate_per_member_year"', 'measure = "nope"'), "unknown measure 'nope'"),
        (("accept = [24.0, 28.0]", "accept = [28.0, 24.0]"), "accept: low 28 is above high 24"),
        (('scenarios = ["open_mixer"]', 'scenarios = ["open_mixr"]'), "did you mean 'open_mixer'"),
        (('column = "needs"', 'colum = "needs"'), "params:"),
    ],
)
def test_bad_pattern_files_fail_with_one_line_naming_the_file_and_key(tmp_path, capsys, change, expected):
    path = _write(tmp_path, TOY.format(lo=24.0, hi=28.0).replace(*change))
    with pytest.raises(InputError, match=re.escape(expected)):
        load_patterns(path)
    code = main(["validate", "--patterns", str(path), "--executor", "serial"])
    err = capsys.readouterr().err
    assert code == 2 and str(path) in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists()


def test_cli_writes_under_results_or_out_and_never_into_docs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    good = _write(tmp_path, TOY.format(lo=24.0, hi=28.0))
    assert main(["validate", "--patterns", str(good), "--executor", "serial"]) == 0
    (page,) = (tmp_path / "results").glob("patterns-*/patterns.md")
    assert "needs_known" in page.read_text() and "| pass |" in page.read_text()
    bad = _write(tmp_path, TOY.format(lo=40.0, hi=50.0), "bad.toml")
    args = ["validate", "--patterns", str(bad), "--executor", "serial", "--out", "mine", "--seeds", "3"]
    assert main(args) == 1
    page = (tmp_path / "mine" / "patterns.md").read_text()
    assert "| 3 | **FAIL** |" in page and "--seeds 3" in page  # three runs instead of the file's eight
    out = capsys.readouterr().out
    assert "FAIL" in out and "needs_known" in out
    assert not (tmp_path / "docs").exists()


@pytest.mark.slow
def test_tie_census_records_births_deaths_and_bridges_as_they_happened():
    scen = load_scenario("open_mixer", {"population.size": 80})
    scen = scen.with_overrides({"pipeline": [*scen.data["pipeline"], "tie_census"]})
    seen: dict[tuple[int, int, int], int] = {}  # (u, v, born) -> common contacts at the end of that week

    def watch(model):
        g = model.to_networkx()
        ties = model.ties
        for e in ties.live():
            if ties.born[e] == model.steps:
                u, v = int(ties.u[e]), int(ties.v[e])
                seen[(u, v, model.steps)] = len(list(nx.common_neighbors(g, u, v)))

    result = run_scenario(scen, steps=30, seed=5, on_step=watch)
    life = result.tables["tie_life"]
    assert len(life) == len(seen) > 100
    recorded = {(int(r.u), int(r.v), int(r.born)): int(r.common) for r in life.itertuples()}
    assert recorded == seen
    assert (
        (life["bridge"] == (life["common"] == 0)).all() and life["bridge"].any() and (~life["bridge"]).any()
    )
    ties = result.model.ties
    live = {(int(ties.u[e]), int(ties.v[e]), int(ties.born[e])) for e in ties.live() if ties.born[e] > 0}
    assert live == {k for k, r in zip(recorded, life.itertuples()) if r.died == -1}
    dead = life[life["died"] >= 0]
    assert len(dead) and (dead["died"] > dead["born"]).all()
    # a tie lost in a week by whose end one of its members had left ended with the membership
    left = result.model.population.left
    gone_with = [(0 <= left[r.u] <= r.died) or (0 <= left[r.v] <= r.died) for r in dead.itertuples()]
    assert (dead["exit"].to_numpy() == np.array(gone_with)).all()
    assert dead["exit"].any() and (~dead["exit"]).any()
    assert not life.loc[life["died"] < 0, "exit"].any()


def test_bridge_survival_can_leave_out_exits_and_newcomers_first_contacts():
    from simulation.patterns.measures import bridge_survival, bridge_survival_gap

    ts = pd.DataFrame({"step": np.arange(0, 121)})
    # four bridges made in week 60: kept; lost to decay; lost with a member's exit; a newcomer's
    # first contact (tenure 0) that is kept; and a non-bridge, which never counts
    life = pd.DataFrame(
        {
            "u": [0, 2, 4, 6, 8],
            "v": [1, 3, 5, 7, 9],
            "born": [60] * 5,
            "died": [-1, 70, 80, -1, 65],
            "exit": [False, False, True, False, False],
            "bridge": [True, True, True, True, False],
            "common": [0, 0, 0, 0, 2],
            "tenure_u": [60, 60, 5, 0, 60],
            "tenure_v": [60, 60, 60, 60, 60],
        }
    )
    run = {"timeseries": ts, "tie_life": life}
    assert bridge_survival(run, after=52, born_from=52) == 2 / 4
    assert bridge_survival(run, after=52, born_from=52, exits="censor") == 2 / 3
    assert bridge_survival(run, after=52, born_from=52, arrivals=False) == 1 / 3
    assert bridge_survival(run, after=52, born_from=52, exits="censor", arrivals=False) == 1 / 2
    # experienced: both members in the network a year (ties 0 and 1); novices: ties 2 and 3
    assert bridge_survival_gap(run, after=52, born_from=52) == 1 / 2 - 1 / 2
    assert bridge_survival_gap(run, after=52, born_from=52, exits="censor") == 1 / 2 - 1
    with pytest.raises(ValueError, match="exits"):
        bridge_survival(run, exits="ignore")


def test_tie_census_takes_a_census_of_every_tie_and_member_at_the_start_and_every_few_weeks():
    scen = load_scenario("open_mixer", {"population.size": 40})
    scen = scen.with_overrides(
        {"pipeline": [*scen.data["pipeline"], "tie_census"], "mechanisms.tie_census.every": 4}
    )
    seen: dict[int, tuple[set, set]] = {}

    def watch(model):
        if model.steps % 4 == 0:
            g = model.to_networkx()
            ties = model.ties
            seen[model.steps] = (
                {
                    (
                        int(ties.u[e]),
                        int(ties.v[e]),
                        int(ties.born[e]),
                        len(list(nx.common_neighbors(g, int(ties.u[e]), int(ties.v[e])))),
                    )
                    for e in ties.live()
                },
                set(model.population.alive_slots().tolist()),
            )

    result = run_scenario(scen, steps=12, seed=3, on_step=watch)
    ties, members = result.tables["tie_census"], result.tables["member_census"]
    assert sorted(set(ties["week"])) == sorted(set(members["week"])) == [0, 4, 8, 12]
    for week, (want_ties, want_members) in seen.items():
        got = ties[ties["week"] == week]
        assert set(zip(got["u"], got["v"], got["born"], got["common"])) == want_ties
        assert set(members.loc[members["week"] == week, "slot"]) == want_members
    start = ties[ties["week"] == 0]
    assert len(start) and (start["born"] == 0).all() and (start["common"] == 0).any()


def _censuses(rows: list[tuple[int, int, int, int, int]], members: dict[int, list[int]]) -> dict:
    ties = pd.DataFrame(rows, columns=["week", "u", "v", "born", "common"])
    slots = [(w, s) for w, ss in members.items() for s in ss]
    return {"tie_census": ties, "member_census": pd.DataFrame(slots, columns=["week", "slot"])}


def test_bridges_kept_compares_one_census_with_the_next():
    from simulation.patterns.measures import (
        bridges_kept,
        bridges_kept_by_experience,
        bridges_kept_vs_embedded,
    )

    everyone = list(range(12))
    run = _censuses(
        [
            # week 0: member 0 holds a bridge (0-1); members 2 and 3 hold only embedded ties
            (0, 0, 1, 0, 0),
            (0, 2, 3, 0, 1),
            # week 52: four bridges (kept; lost; lost when member 9 left; re-made later, so lost)
            # and two embedded ties (one kept)
            (52, 0, 4, 10, 0),
            (52, 2, 5, 20, 0),
            (52, 6, 9, 30, 0),
            (52, 7, 8, 40, 0),
            (52, 0, 1, 0, 2),
            (52, 2, 3, 0, 1),
            # week 104: the kept bridge, the kept embedded tie and the pair 7-8 tied again
            (104, 0, 4, 10, 1),
            (104, 0, 1, 0, 3),
            (104, 7, 8, 90, 0),
        ],
        {0: everyone, 52: everyone, 104: [s for s in everyone if s != 9]},
    )
    assert bridges_kept(run, after=52, first=52) == 1 / 4
    assert bridges_kept(run, after=52, first=52, exits="censor") == 1 / 3
    assert bridges_kept_vs_embedded(run, after=52, first=52) == 1 / 4 - 1 / 2
    # each bridge counts in both its members' networks.  Members 0 and 1 held a bridge at week 0;
    # of the week-52 bridges, member 0's (0-4) was kept.  The others' networks: 4's (0-4, kept),
    # 2's and 5's (2-5), 6's and 9's (6-9), 7's and 8's (7-8), none of them kept
    assert bridges_kept_by_experience(run, after=52, first=52, exits="count") == 1 - 1 / 7
    # censored: the bridge 6-9, lost with member 9, is left out of both members' networks
    assert bridges_kept_by_experience(run, after=52, first=52) == 1 - 1 / 5
    # nobody held a bridge a year before the census: nothing to compare
    quiet = _censuses(
        [(0, 2, 3, 0, 1), (52, 0, 4, 10, 0), (104, 0, 4, 10, 0)], {0: everyone, 52: everyone, 104: everyone}
    )
    assert math.isnan(bridges_kept_by_experience(quiet, after=52, first=52))
    with pytest.raises(ValueError, match="every must divide"):
        bridges_kept(run, after=20, first=52)
    with pytest.raises(ValueError, match="exits"):
        bridges_kept(run, exits="ignore")


def test_validate_without_patterns_rejects_pattern_selection(capsys):
    assert main(["validate", "--pattern", "decay_start", "--no-report"]) == 2
    assert "--pattern: only used with --patterns" in capsys.readouterr().err


@pytest.mark.slow
def test_quick_pattern_run_from_the_command_line(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulation.cli",
            "validate",
            "--patterns",
            "--quick",
            "--pattern",
            "decay_start",
            "--executor",
            "serial",
            "--no-report",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "decay_start" in proc.stdout and "public_goods_group" in proc.stdout
    assert not any(tmp_path.iterdir())


def test_set_replaces_a_setting_in_every_patterns_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    good = _write(tmp_path, TOY.format(lo=24.0, hi=28.0))
    # p_need 0.5 -> 26 needs a member-year passes; at 0.9 (46.8 a member-year) it fails
    args = ["validate", "--patterns", str(good), "--executor", "serial", "--out", "set"]
    assert main([*args, "--set", "mechanisms.needs.p_need=0.9"]) == 1
    page = (tmp_path / "set" / "patterns.md").read_text()
    assert "--set mechanisms.needs.p_need=0.9" in page and "`mechanisms.needs.p_need = 0.9`" in page
    row = next(line for line in page.splitlines() if line.startswith("| needs_known |"))
    value = float(row.split("|")[5].split()[0])
    assert 44.0 < value < 50.0
    capsys.readouterr()
    for extra, expected in [
        (["--set", "mechanisms.needs.p_nead=0.9"], "p_nead"),
        (["--set", "mechanisms.needs.p_need=often"], "mechanisms.needs.p_need"),
    ]:
        assert main([*args, "--out", "bad", *extra]) == 2
        err = capsys.readouterr().err
        assert expected in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()
    assert main(["validate", "--quick", "--set", "mechanisms.needs.p_need=0.9"]) == 2
    assert "--set: only used with --patterns" in capsys.readouterr().err


def test_rows_the_calibration_of_the_defaults_fits_are_marked_fitted(tmp_path):
    from simulation.calibration import BUILTIN_CALIBRATIONS, fitted_rows, load_calibration
    from simulation.patterns.report import write_markdown

    # the built-in suite's fitted rows are those the built-in calibration files fit
    cals = [load_calibration(name) for name in BUILTIN_CALIBRATIONS]
    fitted = fitted_rows(load_patterns())
    assert ("bridge_decay", "referral_group") in fitted
    assert fitted == {(p.name, label) for cal in cals for p in cal.fit for label, _ in p.scenarios}
    # a row whose fitted setting is given on the command line (--set) runs with that value: not fitted
    decay = "mechanisms.maintenance.decay"
    assert ("bridge_decay", "referral_group") not in fitted_rows(load_patterns(), {decay})
    assert fitted_rows(load_patterns(), {"mechanisms.needs.p_need"}) == fitted
    # another pattern file has none
    two = TOY.replace('scenarios = ["open_mixer"]', 'scenarios = ["open_mixer", "referral_group"]')
    suite = load_patterns(_write(tmp_path, two.format(lo=24.0, hi=28.0)))
    assert fitted_rows(suite) == set()
    checks, info = run_patterns(suite, executor="serial")
    plain = write_markdown(checks, suite, info, tmp_path / "plain.md", "cmd").read_text()
    assert "| 8 | pass |" in plain and "rows marked *fitted*" not in plain and "(fitted by" not in plain
    marked = write_markdown(
        checks, suite, info, tmp_path / "marked.md", "cmd", {("needs_known", "open_mixer")}
    ).read_text()
    assert "| 8 | pass *fitted* |" in marked and "| 8 | pass |" in marked
    # the count of passing checks leaves the fitted row out
    assert "**2 of 2**" in plain and "rows marked *fitted* (1)" in marked and "**1 of 1** pass" in marked
    assert "— **pass** (fitted by the calibration of the defaults)" in marked
