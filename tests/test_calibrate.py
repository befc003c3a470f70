"""``givetake calibrate``: ABC-SMC (pyabc) fits a parameter to a pattern whose answer is known."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib

import pytest

from simulation.cli import main

# needs are Bernoulli(p_need) a member-week: 15.6 needs per member-year means p_need = 0.3
TOY = """
name = "toy_cal"
seed = 3
steps = 10

[[pattern]]
name = "needs_rate"
reference = "the Needs mechanism: a need with probability p_need a week"
scenarios = ["open_mixer"]
set = { "population.size" = 30, "pipeline" = ["needs"] }
measure = "rate_per_member_year"
params = { column = "needs" }
target = 15.6
tolerance = 2.0

[calibrate]
population = 20
generations = 3
seeds = 1
seed = 5
[calibrate.parameters]
"mechanisms.needs.p_need" = [0.05, 0.95]
"""


@pytest.mark.slow
def test_calibration_recovers_a_known_parameter_and_keeps_its_history(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pyabc")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "toy.toml").write_text(textwrap.dedent(TOY))
    assert main(["calibrate", "toy.toml", "--executor", "serial"]) == 0
    result = tomllib.loads((tmp_path / "results" / "calibration" / "toy_cal.toml").read_text())
    post = result["posterior"]["mechanisms.needs.p_need"]
    assert abs(post["mean"] - 0.3) < 0.1  # the prior's mean is 0.5
    assert post["sd"] < 0.15  # the prior's sd is 0.26
    assert post["q025"] < 0.3 < post["q975"]
    assert result["generations_run"] == 3
    db = tmp_path / "results" / "calibration" / "toy_cal.db"
    assert db.stat().st_size > 0
    # the history is pyabc's SQLite database: it can be read back
    import pyabc

    history = pyabc.History(f"sqlite:///{db}")
    assert history.max_t == 2 and history.n_populations == 3
    # generation 0 is the first `population` draws from the prior: no separate calibration sample
    pops = history.get_all_populations()
    assert pops[pops.t == 0].samples.item() == 20 and (pops.t < 0).sum() in (0, 1)
    # --summarize reads the posterior back from the history alone (as after a calibration stopped early)
    written = (tmp_path / "results" / "calibration" / "toy_cal.toml").read_text()
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "toy_cal.db").write_bytes(db.read_bytes())
    assert main(["calibrate", "toy.toml", "--summarize", "copy/toy_cal.db"]) == 0
    again = (tmp_path / "copy" / "toy_cal.toml").read_text()
    assert again.splitlines()[1:] == written.splitlines()[1:]  # all but the first line, which says how long
    assert main(["calibrate", "toy.toml", "--summarize", "copy/nope.db"]) == 2
    assert "copy/nope.db: no such calibration history" in capsys.readouterr().err
    # a second calibration never mixes into the first one's history
    assert main(["calibrate", "toy.toml", "--executor", "serial"]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            ('"mechanisms.needs.p_need" = [0.05, 0.95]', '"mechanisms.needs.p_need" = [0.9, 0.1]'),
            "expected low < high",
        ),
        (('"mechanisms.needs.p_need"', '"mechanisms.needs.p_nead"'), "mechanisms.needs.p_nead"),
        (("population = 20", "populaton = 20"), "calibrate.populaton: unknown key"),
        (("[calibrate]\n", '[calibrate]\nfit = ["nope"]\n'), "no pattern named 'nope'"),
    ],
)
def test_bad_calibration_files_fail_with_one_line(tmp_path, monkeypatch, capsys, change, expected):
    pytest.importorskip("pyabc")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "toy.toml").write_text(textwrap.dedent(TOY).replace(*change))
    assert main(["calibrate", "toy.toml", "--executor", "serial"]) == 2
    err = capsys.readouterr().err
    assert expected in err and "toy.toml" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists()


def test_without_pyabc_calibrate_says_how_to_install_it(tmp_path):
    (tmp_path / "toy.toml").write_text(textwrap.dedent(TOY))
    code = (
        "import sys; sys.modules['pyabc'] = None\n"  # as if pyabc were not installed
        "from simulation.cli import main; sys.exit(main(['calibrate', 'toy.toml']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "givetake: error: givetake calibrate needs pyabc, which is not installed: pip install 'givetake[calibrate]'"
    ]
    assert not (tmp_path / "results").exists()


def test_calibrate_help_names_the_builtin_calibrations_and_its_example_loads(capsys):
    """``givetake calibrate --help`` names every built-in file with a ``[calibrate]`` table, and
    the file of its example loads (it once named a file the repository does not have)."""
    import re

    from simulation.calibration import load_calibration
    from simulation.patterns.suite import builtin_pattern_files

    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    builtins = [
        n for n, path in builtin_pattern_files().items() if "calibrate" in tomllib.loads(path.read_text())
    ]
    assert builtins and all(re.search(rf"\b{n}\b", text) for n in builtins), builtins
    (example,) = re.findall(r"example: givetake calibrate (\S+)", text)
    assert load_calibration(example).fit


@pytest.mark.parametrize("name", ["calibration", "calibration_platform"])
def test_the_builtin_calibration_files_are_valid(name):
    from simulation.calibration import load_calibration

    cal = load_calibration(name)
    assert cal.fit and cal.priors
    assert all(p.target is not None for p in cal.fit)


TWO_SCENARIOS = """
name = "two_cal"
seed = 3
steps = 10

[[pattern]]
name = "needs_rate"
reference = "the Needs mechanism: a need with probability p_need a week"
scenarios = ["open_mixer", "referral_group"]
set = { "population.size" = 30 }
measure = "rate_per_member_year"
params = { column = "needs" }
target = 15.6
tolerance = 2.0

[calibrate]
fit = ["needs_rate/referral_group"]
set = { "mechanisms.needs.p_need" = 0.3 }
[calibrate.parameters]
"mechanisms.giving.capacity" = [1, 3]
"""


def test_calibrate_set_applies_to_the_fitted_runs_and_fit_can_name_one_scenario(tmp_path):
    from simulation.calibration import CalibrationResult, PatternDistance, load_calibration

    (tmp_path / "two.toml").write_text(textwrap.dedent(TWO_SCENARIOS))
    cal = load_calibration(tmp_path / "two.toml")
    (p,) = cal.fit
    assert [label for label, _ in p.scenarios] == ["referral_group"]
    assert p.scenarios[0][1].get("mechanisms.needs.p_need") == 0.3
    assert p.scenarios[0][1].get("population.size") == 30  # the pattern's own settings stay
    assert list(PatternDistance(cal).scales) == ["needs_rate/referral_group"]
    # the result says which scenario was fitted, as the file named it
    result = CalibrationResult(cal, tmp_path / "two.db", {}, [], 0.0, "serial")
    assert tomllib.loads(result.to_toml())["fit"] == ["needs_rate/referral_group"]
    # the suite's own pattern keeps both scenarios and its own p_need
    full = cal.suite.get("needs_rate")
    assert [label for label, _ in full.scenarios] == ["open_mixer", "referral_group"]
    assert full.scenarios[1][1].get("mechanisms.needs.p_need") != 0.3


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            ('fit = ["needs_rate/referral_group"]', 'fit = ["needs_rate/paid_events"]'),
            "pattern 'needs_rate' has no scenario 'paid_events'",
        ),
        (
            ('set = { "mechanisms.needs.p_need" = 0.3 }', 'set = { "mechanisms.needs.p_need" = "often" }'),
            "mechanisms.needs.p_need",
        ),
    ],
)
def test_bad_fit_scenario_or_set_fails_with_one_line(tmp_path, monkeypatch, capsys, change, expected):
    pytest.importorskip("pyabc")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "two.toml").write_text(textwrap.dedent(TWO_SCENARIOS).replace(*change))
    assert main(["calibrate", "two.toml", "--executor", "serial"]) == 2
    err = capsys.readouterr().err
    assert expected in err and "two.toml" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists()


def test_a_parameter_can_be_fitted_for_one_scenario_alone(tmp_path):
    """``setting@scenario`` draws one value for that scenario's runs; the others keep their own."""
    import numpy as np

    from simulation.calibration import PatternModel, load_calibration

    text = (
        textwrap.dedent(TWO_SCENARIOS)
        .replace('fit = ["needs_rate/referral_group"]\n', 'fit = ["needs_rate"]\n')
        .replace('set = { "mechanisms.needs.p_need" = 0.3 }\n', "")
        .replace(
            '"mechanisms.giving.capacity" = [1, 3]', '"mechanisms.needs.p_need@referral_group" = [0.05, 0.95]'
        )
    )
    (tmp_path / "two.toml").write_text(text)
    cal = load_calibration(tmp_path / "two.toml")
    assert cal.only == {"mechanisms.needs.p_need@referral_group": "referral_group"}
    model = PatternModel(cal)
    values = {"mechanisms.needs.p_need@referral_group": 0.9}
    assert model.overrides(values, "referral_group") == {"mechanisms.needs.p_need": 0.9}
    assert model.overrides(values, "open_mixer") == {}
    np.random.seed(0)
    out = model(values)
    # needs are Bernoulli(p_need) a member-week: 0.9 * 52 = 46.8 a member-year in the referral group,
    # the open mixer's own p_need in the open mixer
    (own,) = {s.get("mechanisms.needs.p_need") for label, s in cal.fit[0].scenarios if label == "open_mixer"}
    assert abs(out["needs_rate/referral_group"] - 46.8) < 4
    assert abs(out["needs_rate/open_mixer"] - own * 52) < 4 and abs(own - 0.9) > 0.2
    # the scenario must be one of the fitted patterns' scenarios
    bad = text.replace("p_need@referral_group", "p_need@paid_events")
    (tmp_path / "bad.toml").write_text(bad)
    with pytest.raises(
        Exception,
        match=r"bad.toml: calibrate.parameters.mechanisms.needs.p_need@paid_events: expected setting@scenario",
    ):
        load_calibration(tmp_path / "bad.toml")
