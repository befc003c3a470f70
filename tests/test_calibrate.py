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
        "givetake: error: givetake calibrate needs pyabc, which is not installed: pip install 'pyabc>=0.13' (make install installs it)"
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


def _particles(db):
    """Every completed generation of a history: its tolerance, simulations, parameters and weights."""
    import pyabc

    history = pyabc.History(f"sqlite:///{db}")
    pops = history.get_all_populations().set_index("t")
    out = []
    for t in range(history.max_t + 1):
        df, w = history.get_distribution(m=0, t=t)
        out.append((pops.epsilon[t], pops.samples[t], df.to_numpy().tolist(), list(w)))
    return out


@pytest.mark.slow
def test_a_stopped_calibration_resumes_and_gives_the_uninterrupted_particles(tmp_path, monkeypatch, capsys):
    """A calibration stopped after its first generation continues its history with --resume: the
    first generation is kept, the others are added, the summary is written as after a fresh run,
    and with the serial sampler the particles are those of a run that went through."""
    pytest.importorskip("pyabc")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "toy.toml").write_text(textwrap.dedent(TOY))
    (tmp_path / "toy1.toml").write_text(textwrap.dedent(TOY).replace("generations = 3", "generations = 1"))
    assert main(["calibrate", "toy.toml", "--executor", "serial", "--db", "whole.db"]) == 0
    assert main(["calibrate", "toy1.toml", "--executor", "serial", "--db", "part.db"]) == 0
    first = _particles(tmp_path / "part.db")
    assert len(first) == 1
    capsys.readouterr()
    # a history is only continued by its own calibration: other priors, another target, other
    # particles a generation or other runs are refused in one line, and the history is untouched
    for change, expected in [
        (("[0.05, 0.95]", "[0.05, 0.9]"), "its parameters of mechanisms.needs.p_need is [0.05, 0.95]"),
        (("target = 15.6", "target = 20.8"), "its targets of needs_rate/open_mixer is 15.6"),
        (("population = 20", "population = 25"), "its population is 20, the file's 25"),
        (("steps = 10", "steps = 12"), "the runs of needs_rate/open_mixer have other settings"),
    ]:
        (tmp_path / "other.toml").write_text(textwrap.dedent(TOY).replace(*change))
        assert main(["calibrate", "other.toml", "--executor", "serial", "--db", "part.db", "--resume"]) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert line.startswith("givetake: error: part.db: not a history of other.toml: ") and expected in line
    assert main(["calibrate", "toy.toml", "--db", "nope.db", "--resume"]) == 2
    assert "nope.db: no such calibration history" in capsys.readouterr().err
    assert _particles(tmp_path / "part.db") == first
    # the same calibration resumes: generation 0 kept, 1 and 2 added, as if it had never stopped
    assert main(["calibrate", "toy.toml", "--executor", "serial", "--db", "part.db", "--resume"]) == 0
    out = capsys.readouterr()
    assert "generation 1 done" in out.err and "generation 0 done" not in out.err
    assert "up to 3 generations, resuming after the 1 generation(s) in the history" in out.err
    resumed = _particles(tmp_path / "part.db")
    assert len(resumed) == 3 and resumed[0] == first[0]
    assert resumed == _particles(tmp_path / "whole.db")
    summary = tomllib.loads((tmp_path / "part.toml").read_text())
    assert summary["generations_run"] == 3
    assert (tmp_path / "part.toml").read_text().splitlines()[0].endswith("resumed after 1 generation(s)).")
    whole = (tmp_path / "whole.toml").read_text().splitlines()
    assert (tmp_path / "part.toml").read_text().splitlines()[1:] == whole[1:]
    # resuming a finished calibration runs nothing and summarises it again
    assert main(["calibrate", "toy.toml", "--executor", "serial", "--db", "part.db", "--resume"]) == 0
    assert "nothing left to run (3 generation(s) in the history)" in capsys.readouterr().err
    assert _particles(tmp_path / "part.db") == resumed


@pytest.mark.slow
def test_an_interrupted_calibration_keeps_its_generations_and_resumes(tmp_path):
    """Ctrl-C during a calibration: exit code 130, every completed generation kept in the history,
    a line saying how to resume, and --resume adds the generations that were left, the same as
    those of a calibration that was not interrupted (serial sampler)."""
    import os
    import signal
    import sqlite3
    import time

    pytest.importorskip("pyabc")
    many = textwrap.dedent(TOY).replace("generations = 3", "generations = 50")
    (tmp_path / "toy.toml").write_text(many)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    cmd = [sys.executable, "-m", "simulation.cli", "calibrate", "toy.toml", "--executor", "serial"]
    # Ctrl-C's signal reaches the calibration even where this test runs with it ignored (a
    # background job of a shell ignores it, and its children inherit that)
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    db = tmp_path / "results" / "calibration" / "toy_cal.db"
    deadline = time.monotonic() + 600
    completed = 0
    while completed < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        if db.exists():
            with sqlite3.connect(db) as con:
                try:
                    completed = con.execute("select count(*) from populations where t >= 0").fetchone()[0]
                except sqlite3.OperationalError:  # the tables are not written yet
                    pass
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "continue it with givetake calibrate toy.toml --resume" in err
    kept = _particles(db)
    assert 1 <= len(kept) < 50
    # resume up to one generation more than was kept
    (tmp_path / "toy.toml").write_text(many.replace("generations = 50", f"generations = {len(kept) + 1}"))
    proc = subprocess.run(
        cmd + ["--resume"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    resumed = _particles(db)
    assert resumed[: len(kept)] == kept and len(resumed) == len(kept) + 1
    summary = tomllib.loads((db.with_suffix(".toml")).read_text())
    assert summary["generations_run"] == len(kept) + 1
    # the generation under way when it stopped started again from its own seed: the particles are
    # those of a calibration that was never interrupted
    proc = subprocess.run(
        cmd + ["--db", "whole.db"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert _particles(tmp_path / "whole.db") == resumed


def test_several_runs_a_particle_give_the_mean_of_seeded_runs(tmp_path):
    """``seeds = k`` runs each particle k times, each run's seed spawned from the particle's entropy
    (drawn from numpy's global generator, which pyabc seeds), and fits the mean of the k values."""
    import numpy as np

    from simulation.calibration import PatternModel, load_calibration
    from simulation.patterns.suite import measure_run, plan_runs

    (tmp_path / "toy.toml").write_text(textwrap.dedent(TOY).replace("seeds = 1", "seeds = 3"))
    model = PatternModel(load_calibration(tmp_path / "toy.toml"))
    values = {"mechanisms.needs.p_need": 0.3}
    np.random.seed(4)
    out = model(values)
    np.random.seed(4)
    entropy = int(np.random.randint(0, 2**62))  # the particle's entropy, as the model draws it
    jobs, _ = plan_runs(model.particle_suite(values, entropy))
    seeds = [job.spec.seed for job in jobs]
    assert len(jobs) == 3 and {s.entropy for s in seeds} == {entropy}
    assert len({s.spawn_key for s in seeds}) == 3  # three runs, three seeds
    each = [next(iter(measure_run(job)[1].values())) for job in jobs]
    assert len(set(each)) == 3
    assert out == {"needs_rate/open_mixer": pytest.approx(np.mean(each), rel=1e-12)}
    # the same entropy gives the same runs: a particle's value is reproducible from its seed
    np.random.seed(4)
    assert model(values) == out
