"""Experiment files: validation before any run, design expansion, per-run seeds."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from simulation import experiment
from simulation.cli import main
from simulation.errors import InputError
from simulation.experiment import (
    EXPERIMENT_KEYS,
    VARY_KEYS,
    Experiment,
    builtin_experiments,
    load_experiment,
    resolve_experiment,
    run_seed,
)
from simulation.scenario import ScenarioError, check_table

TINY = {"population": {"size": 40}, "network": {"mean_degree": 4}}


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# -- validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, key, expected",
    [
        (
            'scenarios = ["open_mixer"]\nreplicatons = 3\n',
            "replicatons",
            "unknown key (did you mean 'replications'?)",
        ),
        (
            'scenarios = ["open_mixer"]\nreplications = 0\n',
            "replications",
            "expected an integer in [1, 1000000]",
        ),
        ('scenarios = ["open_mixr"]\n', "scenarios[0]", "did you mean 'open_mixer'?"),
        ("scenarios = []\n", "scenarios", "expected at least one scenario"),
        ('scenarios = ["open_mixer"]\n[set]\n"population.sise" = 50\n', "population.sise", "unknown key"),
        (
            'scenarios = ["open_mixer"]\n[vary.values]\n"mechanisms.exchange.b" = [2.0, "high"]\n',
            "mechanisms.exchange.b",
            "expected a number",
        ),
        (
            'scenarios = ["open_mixer"]\n[vary]\nmethod = "sobol"\nsamples = 6\n[vary.ranges]\n'
            '"mechanisms.exchange.b" = [2.0, 4.0]\n"mechanisms.exchange.c" = [0.5, 1.5]\n',
            "vary.samples",
            "power of 2",
        ),
        (
            'scenarios = ["open_mixer"]\n[vary]\nmethod = "latin"\n[vary.ranges]\n"mechanisms.exchange.b" = [4.0, 2.0]\n',
            "vary.ranges.mechanisms.exchange.b",
            "expected [low, high] with low < high",
        ),
        ('scenarios = ["open_mixer"]\n[vary]\nmethod = "factorial"\n', "vary.method", "expected one of"),
        ('scenarios = ["open_mixer"]\nsteps = 1.5\n', "steps", "expected an integer"),
        ('scenarios = ["open_mixer", "open_mixer"]\n', "scenarios[1].label", "used twice"),
        ("scenarios = [\n", "", "malformed TOML"),
    ],
)
def test_invalid_experiment_names_file_key_and_expectation(tmp_path, body, key, expected):
    path = write(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_experiment(path)
    msg = str(err.value)
    assert msg.startswith(str(path)), msg
    assert key in msg and expected in msg, msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    "table, prefix, others",
    [
        ({"scenarios": ["open_mixer"], "replicatons": 3}, "", ("set", "vary")),
        ({"scenarios": ["open_mixer"], "seed": -1}, "", ("set", "vary")),
        ({"metod": "grid"}, "vary", ("values", "ranges")),
        ({"samples": "many"}, "vary", ("values", "ranges")),
    ],
)
def test_experiment_keys_are_checked_by_the_scenario_check_word_for_word(table, prefix, others):
    """One check for keys and values: an experiment's error is the one check_table gives."""
    params = EXPERIMENT_KEYS if not prefix else VARY_KEYS
    with pytest.raises(ScenarioError) as expected:
        check_table(params, table, prefix, "x.toml", others)
    raw = table if not prefix else {"scenarios": ["open_mixer"], "vary": table}
    with pytest.raises(InputError) as err:
        Experiment.from_dict(raw, source="x.toml")
    assert str(err.value) == str(expected.value)


def test_a_varied_value_out_of_range_is_caught_at_its_design_point(tmp_path):
    path = write(
        tmp_path,
        """
        scenarios = ["open_mixer"]
        [vary.values]
        "mechanisms.needs.p_need" = [0.5, 1.5]
        """,
    )
    with pytest.raises(InputError) as err:
        load_experiment(path)
    msg = str(err.value)
    assert (
        msg.startswith(f"{path}: vary point 1: mechanisms.needs.p_need")
        and "expected a number in [0.0, 1.0]" in msg
    )


def test_invalid_experiment_exits_2_before_any_run(tmp_path, capsys):
    path = write(tmp_path, 'scenarios = ["open_mixer"]\n[set]\n"population.size" = -5\n')
    out = tmp_path / "results"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "population.size" in err[0] and str(path) in err[0]
    assert not out.exists()


def test_scenario_paths_are_relative_to_the_experiment_file(tmp_path):
    (tmp_path / "worlds").mkdir()
    (tmp_path / "worlds" / "mine.toml").write_text('extends = "open_mixer"\n[population]\nsize = 70\n')
    path = write(
        tmp_path,
        'scenarios = ["worlds/mine.toml", {scenario = "open_mixer", label = "om", set = {"population.size" = 90}}]\n',
    )
    exp = load_experiment(path)
    assert [e.label for e in exp.scenarios] == ["mine", "om"]
    assert [e.scenario.get("population.size") for e in exp.scenarios] == [70, 90]


# -- designs -----------------------------------------------------------------------


def test_grid_is_the_full_product_of_levels():
    exp = Experiment.from_dict(
        {
            "scenarios": [{"scenario": TINY, "label": "t"}],
            "vary": {"values": {"mechanisms.exchange.b": [2.0, 3.0, 4.0], "population": {"size": [30, 40]}}},
        }
    )
    assert len(exp.points) == 6
    assert {(p["mechanisms.exchange.b"], p["population.size"]) for p in exp.points} == {
        (b, n) for b in (2.0, 3.0, 4.0) for n in (30, 40)
    }
    runs = exp.runs(replications=2)
    assert len(runs) == 12
    assert (
        runs[-1].scenario.get("population.size") == 40
        and runs[-1].scenario.get("mechanisms.exchange.b") == 4.0
    )


@pytest.mark.parametrize(
    "method, samples, expected", [("latin", 7, 7), ("sobol", 4, 4 * (2 + 2)), ("morris", 3, 3 * (2 + 1))]
)
def test_sampled_designs_stay_in_their_ranges_and_repeat_from_the_seed(method, samples, expected):
    raw = {
        "scenarios": [{"scenario": TINY, "label": "t"}],
        "seed": 11,
        "vary": {
            "method": method,
            "samples": samples,
            "ranges": {"mechanisms.exchange.b": [2.0, 5.0], "network.mean_degree": [2, 10]},
        },
    }
    a, b = Experiment.from_dict(raw), Experiment.from_dict(raw)
    assert len(a.points) == expected
    assert a.points == b.points
    bs = np.array([p["mechanisms.exchange.b"] for p in a.points])
    ks = [p["network.mean_degree"] for p in a.points]
    assert bs.min() >= 2.0 and bs.max() <= 5.0 and len(set(bs.round(6))) > 1
    assert all(isinstance(k, int) and 2 <= k <= 10 for k in ks)  # integer ranges give integers
    other = Experiment.from_dict({**raw, "seed": 12})
    assert other.points != a.points


# -- seeds ---------------------------------------------------------------------------


def test_run_seeds_come_from_spawning_the_master_seed():
    exp = Experiment.from_dict(
        {
            "scenarios": [{"scenario": TINY, "label": "a"}, {"scenario": TINY, "label": "b"}],
            "replications": 3,
            "seed": 42,
        }
    )
    runs = exp.runs()
    states = {tuple(r.seed.generate_state(4)) for r in runs}
    assert len(states) == len(runs) == 6
    child = np.random.SeedSequence(42).spawn(2)[1].spawn(1)[0].spawn(3)[2]
    last = runs[-1]
    assert last.spawn_key == (1, 0, 2)
    assert last.seed.generate_state(4).tolist() == child.generate_state(4).tolist()
    assert run_seed(42, (1, 0, 2)).generate_state(4).tolist() == child.generate_state(4).tolist()
    assert last.tags()["spawn_key"] == "1/0/2" and last.tags()["seed"] == 42


def test_more_replications_keep_the_seeds_of_the_first_ones():
    exp = Experiment.from_dict(
        {"scenarios": [{"scenario": TINY, "label": "a"}], "replications": 2, "seed": 5}
    )
    few = {r.run_id: r.seed.generate_state(2).tolist() for r in exp.runs()}
    many = {r.run_id: r.seed.generate_state(2).tolist() for r in exp.runs(replications=5)}
    assert len(many) == 5
    assert all(many[k] == v for k, v in few.items())


def test_the_builtin_experiments_are_valid():
    files = builtin_experiments()
    assert "networking_styles" in files
    for name, path in files.items():
        assert path.parent == Path(experiment.__file__).resolve().parent / "builtin" / "experiments"
        exp = load_experiment(name)
        assert exp.runs(), path
        assert load_experiment(path).runs() == exp.runs()


def test_a_builtin_experiment_is_named_without_a_path_and_a_file_wins_by_path(tmp_path, monkeypatch):
    assert resolve_experiment("networking_styles") == builtin_experiments()["networking_styles"]
    mine = tmp_path / "networking_styles.toml"
    mine.write_text('name = "mine"\nreplications = 1\nscenarios = ["open_mixer"]\n')
    monkeypatch.chdir(tmp_path)
    assert load_experiment("./networking_styles.toml").name == "mine"
    assert load_experiment("networking_styles").name == "networking_styles"
    with pytest.raises(
        InputError, match=r"^networking_style: unknown experiment \(did you mean 'networking_styles'\?\)"
    ):
        load_experiment("networking_style")
    with pytest.raises(
        InputError, match=r"^nowhere/x.toml: no such file; expected an experiment .toml file$"
    ):
        load_experiment("nowhere/x.toml")


def test_settings_a_scenario_never_reads_note_for_the_whole_experiment_and_fail_for_one(tmp_path, capsys):
    # [set] and [vary] are for every scenario: one lacking the mechanism gets a note, not an error
    path = write(
        tmp_path,
        """
        scenarios = ["open_mixer", "referral_group"]
        replications = 1
        steps = 2
        [set]
        "population.size" = 40
        "network.mean_degree" = 4
        "mechanisms.chapters.max_strikes" = 2
        [vary.values]
        "mechanisms.chapters.size" = [6, 8]
        """,
    )
    exp = load_experiment(path)
    assert exp.notes == [
        f"{path}: set: mechanisms.chapters.max_strikes: the pipeline of open_mixer has no 'chapters' "
        "mechanism; this setting changes nothing (scenario 'open_mixer')",
        f"{path}: vary: mechanisms.chapters.size: the pipeline of open_mixer has no 'chapters' "
        "mechanism; this setting changes nothing (scenario 'open_mixer')",
    ]
    out = tmp_path / "res"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("givetake: note:")] == [
        f"givetake: note: {n}" for n in exp.notes
    ]
    # a scenario's own set is given for that scenario: refused, naming it
    bad = write(
        tmp_path,
        """
        [[scenarios]]
        scenario = "open_mixer"
        set = { "mechanisms.chapters.size" = 6 }
        """,
        name="bad.toml",
    )
    with pytest.raises(InputError, match=r"bad\.toml: scenarios\[0\]\.set: mechanisms\.chapters\.size: "):
        load_experiment(bad)


def test_the_builtin_experiments_have_no_setting_their_scenarios_never_read():
    for name in builtin_experiments():
        assert load_experiment(name).notes == [], name
