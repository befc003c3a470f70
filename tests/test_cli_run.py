"""``givetake run`` and ``givetake scenarios`` end to end: outputs, exit codes, bad input."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import __version__
from simulation.cli import main
from simulation.scenario_files import builtin_scenarios, describe

SMALL = ["--set", "population.size=80", "--set", "network.mean_degree=6"]
GIVETAKE = [sys.executable, "-m", "simulation.cli"]


def run_cli(args, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_writes_timeseries_summary_and_network(tmp_path, capsys):
    out = tmp_path / "res"
    code, stdout, stderr = run_cli(
        [
            "run",
            "referral_group",
            "--steps",
            "12",
            "--seed",
            "5",
            *SMALL,
            "--set",
            "mechanisms.exchange.b=4",
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 0, stderr
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts["step"].tolist() == list(range(13))
    assert {"members", "ties", "fulfilment_rate", "expelled"} <= set(ts.columns)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 5 and summary["version"] == __version__
    assert summary["scenario"]["population"]["size"] == 80
    assert summary["scenario"]["mechanisms"]["exchange"]["b"] == 4.0
    assert summary["overrides"]["mechanisms.exchange.b"] == 4
    assert summary["final"]["members"] == ts["members"].iloc[-1]
    g = nx.read_graphml(out / "network.graphml")
    assert g.number_of_nodes() == ts["members"].iloc[-1]
    assert g.number_of_edges() == ts["ties"].iloc[-1]
    # the summary table on stdout
    assert "needs met" in stdout and "wealth units" in stdout and str(out) in stdout
    assert re.search(r"^  taker +[-0-9.]+ mean wealth of its \d+ members$", stdout, re.M)
    assert stderr == ""  # no progress bar when stderr is not a terminal
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_same_seed_same_results_different_seed_different(tmp_path, capsys):
    outs = []
    for seed, name in [(3, "a"), (3, "b"), (4, "c")]:
        code, _, _ = run_cli(
            [
                "run",
                "open_mixer",
                "--steps",
                "8",
                "--seed",
                seed,
                *SMALL,
                "--quiet",
                "--out",
                tmp_path / name,
            ],
            capsys,
        )
        assert code == 0
        outs.append(pd.read_parquet(tmp_path / name / "timeseries.parquet"))
    assert outs[0].equals(outs[1])
    assert not outs[0].equals(outs[2])


def test_csv_format_and_quiet(tmp_path, capsys):
    out = tmp_path / "csv"
    code, stdout, stderr = run_cli(
        ["run", "paid_events", "--steps", "5", *SMALL, "--format", "csv", "--quiet", "--out", out], capsys
    )
    assert code == 0 and stdout == f"{out}\n" and stderr == ""  # --quiet: only the output folder
    ts = pd.read_csv(out / "timeseries.csv")
    assert len(ts) == 6 and "event_fees" in ts.columns
    assert not (out / "timeseries.parquet").exists()


def test_default_output_folder_is_results_name_timestamp(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, said, _ = run_cli(["run", "open_mixer", "--steps", "2", *SMALL, "--quiet"], capsys)
    code2, said2, _ = run_cli(["run", "open_mixer", "--steps", "2", *SMALL, "--quiet"], capsys)
    assert code == code2 == 0
    made = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert len(made) == 2 and all(n.startswith("open_mixer-20") for n in made)
    # --quiet prints the folder it made, the one of each run
    assert sorted([said, said2]) == [f"{Path('results') / n}\n" for n in made]
    assert all((tmp_path / "results" / n / "summary.json").is_file() for n in made)


def test_quiet_run_and_sweep_print_only_where_their_results_are(tmp_path):
    """A script captures the output folder of `givetake run --quiet` from stdout, as it
    does the path `givetake sweep --quiet` prints: one line each, nothing on stderr from
    the run, and nothing else on stdout from either."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run(
        [*GIVETAKE, "run", "open_mixer", "--steps", "3", *SMALL, "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0 and run.stderr == "", run.stderr
    (line,) = run.stdout.splitlines()
    assert line.startswith(str(Path("results") / "open_mixer-"))
    assert json.loads((tmp_path / line / "summary.json").read_text())["steps_run"] == 3
    (tmp_path / "exp.toml").write_text(
        'name = "e"\nscenarios = [{ scenario = { population = { size = 30 } }, label = "a" }]\n'
        "replications = 1\nsteps = 2\n"
    )
    sweep = subprocess.run(
        [*GIVETAKE, "sweep", "exp.toml", "--out", "s", "--executor", "serial", "--no-report", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert sweep.returncode == 0, sweep.stderr
    assert sweep.stdout == "s\n" and (tmp_path / "s" / "manifest.json").is_file()
    # and on stderr only what runs and how many were done
    start, said = sweep.stderr.splitlines()
    assert start == "givetake: e: 1 run -> s"
    assert said.startswith("givetake: 1 run done, 0 failed, 0 already stored ("), said


def test_run_help_names_every_file_a_run_writes(tmp_path, capsys):
    """Every file of a run, in either format, is named in `givetake run --help` (it named
    only the time series, summary and network; the ecosystems' and chapters' tables were
    written unannounced); the tie census, as the published patterns run it, too."""
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    census = tmp_path / "census.toml"
    census.write_text(
        'extends = "referral_group"\n'
        'pipeline = ["needs", "asking", "giving", "exchange", "reputation", "standing", "referrals",'
        ' "chapters", "maintenance", "meeting", "introductions", "churn", "learning", "ecosystems",'
        ' "tie_census"]\n'
    )
    written = set()
    for scenario, fmt in (("referral_group", "parquet"), (census, "csv")):
        out = tmp_path / f"o-{fmt}"
        args = ["run", scenario, "--steps", "11", "--set", "population.size=60", "--quiet"]
        code, _, _ = run_cli([*args, "--format", fmt, "--out", out], capsys)
        assert code == 0
        written |= {p.name for p in out.iterdir()}
    assert {"expulsions.parquet", "ecosystems.csv", "tie_census.csv"} <= written
    for name in sorted(written):
        stem, suffix = name.rsplit(".", 1)
        assert re.search(rf"\b{stem}\b", help_text), f"{name} is not named in run --help"
        assert suffix in help_text


def test_a_scenario_file_by_path(tmp_path, capsys):
    f = tmp_path / "mine.toml"
    f.write_text(
        'extends = "open_mixer"\nname = "mine"\n[population]\nsize = 60\n[network]\nmean_degree = 4\n'
    )
    code, _, _ = run_cli(["run", f, "--steps", "3", "--quiet", "--out", tmp_path / "o"], capsys)
    assert code == 0
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["scenario_name"] == "mine"


def test_scenarios_lists_every_builtin_with_its_description(capsys):
    code, stdout, _ = run_cli(["scenarios"], capsys)
    assert code == 0
    lines = stdout.strip().splitlines()
    assert len(lines) == len(builtin_scenarios())
    for name in builtin_scenarios():
        assert any(line.startswith(name + " ") and line.endswith(describe(name)) for line in lines)
    code, stdout, _ = run_cli(["scenarios", "referral_group"], capsys)
    assert code == 0 and "chapters" in stdout and "referral_group.toml" in stdout


BAD = {
    "unknown key": (
        "[population]\nsise = 50\n",
        [],
        "bad.toml: population.sise: unknown key (did you mean 'size'?)",
    ),
    "wrong type": (
        '[mechanisms.exchange]\nb = "three"\n',
        [],
        "bad.toml: mechanisms.exchange.b: expected a number",
    ),
    "out of range": (
        "[mechanisms.needs]\np_need = 1.5\n",
        [],
        "bad.toml: mechanisms.needs.p_need: expected a number in [0.0, 1.0]",
    ),
    "mix sum": ("[population.mix]\ngiver = 0.5\n", [], "bad.toml: population.mix: shares must sum to 1"),
    "unknown strategy": (
        "[population.mix]\nthief = 1.0\n",
        [],
        "bad.toml: population.mix.thief: unknown strategy; expected one of giver, otherish_giver, matcher, taker",
    ),
    "unknown key, nothing like it": (
        "zzz = 1\n",
        [],
        "bad.toml: zzz: unknown key; expected one of extends, name, description, steps, pipeline,",
    ),
    "unknown population key, nothing like it": (
        "[population]\nqqq = 1\n",
        [],
        "bad.toml: population.qqq: unknown key; expected one of size, skills, skills_per_member, "
        "interests, interests_per_member, initial_wealth, rank_levels, mix",
    ),
    "unknown mechanism's settings, nothing like it": (
        "[mechanisms.zzz]\na = 1\n",
        [],
        "bad.toml: mechanisms.zzz: unknown mechanism; expected one of arrivals, asking, chapters,",
    ),
    "unknown mechanism, nothing like it": (
        'pipeline = ["needs", "flying"]\n',
        [],
        "bad.toml: pipeline[1]: unknown mechanism 'flying'; expected one of arrivals, asking, chapters, churn,",
    ),
    "unknown mechanism": (
        'pipeline = ["needs", "chapter"]\n',
        [],
        "bad.toml: pipeline[1]: unknown mechanism 'chapter'",
    ),
    "malformed": ("[population]\nsize = = 3\n", [], "bad.toml: malformed TOML"),
    "extends itself": ('extends = "bad.toml"\n', [], "bad.toml: extends: the scenario extends itself"),
    "bad override": ("", ["--set", "population.size=big"], "--set: population.size: expected an integer"),
    "override without value": (
        "",
        ["--set", "population.size"],
        "--set 'population.size': expected KEY=VALUE",
    ),
    "bad strategy in a mechanism": (
        '[mechanisms.arrivals]\nstrategy = "thief"\n',
        ["--set", 'pipeline=["arrivals"]'],
        "bad.toml with --set: mechanisms.arrivals.strategy: expected 'mix' or one of",
    ),
    "negative steps": ("", ["--steps", "-3"], "--steps '-3': expected a non-negative integer"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path, monkeypatch, capsys, case):
    text, extra, expected = BAD[case]
    monkeypatch.chdir(tmp_path)
    Path("bad.toml").write_text(text)
    code, stdout, stderr = run_cli(
        ["run", "bad.toml", "--steps", "2", "--set", "population.size=40", *extra], capsys
    )
    assert code == 2
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("givetake: error: ")
    assert expected in stderr, stderr
    assert "Traceback" not in stderr
    assert not Path("results").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_missing_file_and_unknown_name_exit_2(tmp_path, capsys):
    code, _, stderr = run_cli(["run", tmp_path / "nothere.toml", "--out", tmp_path / "o"], capsys)
    assert code == 2 and "nothere.toml: no such file" in stderr
    code, _, stderr = run_cli(["run", "open_mixe", "--out", tmp_path / "o"], capsys)
    assert code == 2 and "did you mean 'open_mixer'?" in stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["scenarios", "--help"]])
def test_every_command_has_help(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0
    assert "usage: givetake" in capsys.readouterr().out


def test_version_from_the_command_line():
    script = Path(sys.executable).with_name("givetake")  # the installed console script
    res = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == f"givetake {__version__}"


def test_an_unexpected_error_exits_1_with_a_traceback(tmp_path):
    code = (
        "import sys\n"
        "from simulation.mechanisms import Mechanism, mechanism\n"
        "from simulation.cli import main\n"
        "@mechanism\n"
        "class Broken(Mechanism):\n"
        "    name = 'broken_for_test'\n"
        "    def step(self, model):\n"
        "        raise RuntimeError('a bug in a mechanism')\n"
        f"sys.exit(main(['run', 'open_mixer', '--steps', '3', '--quiet', '--out', {str(tmp_path / 'o')!r},"
        " '--set', 'population.size=40', '--set', 'network.mean_degree=4', '--set', 'pipeline=[\"broken_for_test\"]']))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert "Traceback" in res.stderr and "a bug in a mechanism" in res.stderr
    assert not (tmp_path / "o").exists()


def test_progress_bar_on_a_terminal_and_an_interrupted_run_leaves_no_output(tmp_path):
    out = tmp_path / "interrupted"
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [*GIVETAKE, "run", "open_mixer", "--steps", "100000", *SMALL, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=secondary,
        # Ctrl-C's signal reaches the run even where the suite runs with it ignored (a
        # background job of a shell ignores it, and its children inherit that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 120
    try:
        # the progress bar shows on a terminal once the weeks start running
        while b"week" not in seen and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([primary], [], [], 1.0)
            if ready:
                seen += os.read(primary, 65536)
        assert b"week" in seen and b"/100000" in seen
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        while select.select([primary], [], [], 0.2)[0]:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
    assert proc.returncode == 130
    assert b"interrupted" in seen
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


# -- property: mutated files and overrides never end in a traceback ------------------------

FUZZ_BASE = """\
name = "fuzz"
steps = 2
pipeline = ["needs", "asking", "giving", "exchange", "reputation", "chapters", "events",
            "platforms", "arrivals", "habits", "maintenance", "meeting", "introductions", "churn"]
[population]
size = 60
[population.mix]
giver = 0.3
matcher = 0.4
taker = 0.3
[network]
kind = "erdos_renyi"
mean_degree = 4
[mechanisms.chapters]
size = 10
[mechanisms.events]
first = 1
per_year = 52
[mechanisms.platforms]
count = 3
per_member = 2
[mechanisms.arrivals]
at = 1
share = 0.2
strategy = "taker"
"""
FUZZ_KEYS = [
    "population.size",
    "population.mix.giver",
    "network.kind",
    "network.mean_degree",
    "mechanisms.chapters.size",
    "mechanisms.events.fee",
    "mechanisms.platforms.per_member",
    "mechanisms.platforms.count",
    "mechanisms.arrivals.strategy",
    "mechanisms.habits.deep_ties",
    "pipeline",
    "steps",
]
FUZZ_VALUES = st.one_of(
    st.booleans(),
    st.integers(-5, 80),
    st.floats(-1.0, 2.0),
    st.sampled_from(["taker", "mix", "thief", "lattice", "empty", "complete", "random_regular"]),
    st.lists(st.sampled_from(["needs", "chapters", "arrivals", "platforms", "bogus"]), max_size=3),
)


@st.composite
def fuzz_file(draw):
    lines = FUZZ_BASE.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "value", "garble"]))
        if kind == "drop":
            lines.pop(i)
        elif kind == "value" and "=" in lines[i]:
            key = lines[i].split("=")[0]
            lines[i] = (
                key + "= " + draw(st.sampled_from(["0", "1", "-1", "3.5", "1e9", '"x"', "true", "[]", "{}"]))
            )
        else:
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = (
                lines[i][:pos] + draw(st.sampled_from(["=", "[", '"', "x", "0", ".", "#"])) + lines[i][pos:]
            )
        if not lines:
            break
    return "\n".join(lines) + "\n"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=fuzz_file(), overrides=st.dictionaries(st.sampled_from(FUZZ_KEYS), FUZZ_VALUES, max_size=2))
def test_mutated_scenarios_run_or_fail_cleanly_from_the_command_line(tmp_path_factory, text, overrides):
    from simulation.errors import InputError
    from simulation.scenario_files import load_scenario

    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "fuzz.toml"
    path.write_text(text)
    sets = []
    for key, value in overrides.items():
        sets += ["--set", f"{key}={json.dumps(value)}"]
    try:
        s = load_scenario(path, {k: v for k, v in overrides.items()})
        if s.get("population.size") > 2000:
            return  # valid but too big for a unit test
    except InputError:
        pass
    out = folder / "out"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", str(path), "--steps", "2", "--quiet", "--out", str(out), *sets])
    assert code in (0, 2)
    if code == 2:
        assert err.getvalue().count("\n") == 1 and not out.exists()
    else:
        assert (out / "summary.json").is_file()


def test_an_unwritable_output_folder_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, stderr = run_cli(["run", "open_mixer", "--steps", "1", *SMALL, "--out", blocker / "res"], capsys)
    assert code == 2 and f"{blocker} is a file, not a folder" in stderr and stderr.count("\n") == 1
    code, _, stderr = run_cli(["run", "open_mixer", "--steps", "1", *SMALL, "--out", blocker], capsys)
    assert code == 2 and "exists and is not a folder" in stderr
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--write-docs", "--out", "x"],
            "--write-docs: writes docs/; expected either --write-docs or --out DIR",
        ),
        (["--write-docs", "--no-report"], "--write-docs: expected either --write-docs or --no-report"),
    ],
)
def test_validate_rejects_write_docs_with_another_destination_before_running(args, message, tmp_path, capsys):
    code, stdout, stderr = run_cli(["validate", "--quick", *args], capsys)
    assert code == 2
    assert stderr.startswith(f"givetake: error: {message}") and stderr.count("\n") == 1
    assert stdout == ""


@pytest.mark.parametrize("below", [False, True], ids=["a file", "a folder under a file"])
@pytest.mark.parametrize("command", ["run", "sweep", "report", "validate", "validate --patterns"])
def test_an_out_folder_that_cannot_be_one_is_refused_before_anything_runs(
    tmp_path, monkeypatch, capsys, command, below
):
    """--out naming a file, or a folder under a file, is one line and exit 2 before any run
    (validate ran all its studies first and then failed with exit 1; sweep and report
    failed with exit 1, run said "File exists")."""
    monkeypatch.chdir(tmp_path)
    Path("taken.txt").write_text("mine\n")
    out = "taken.txt/sub" if below else "taken.txt"
    Path("exp.toml").write_text(
        'name = "e"\nscenarios = [{ scenario = { population = { size = 30 } }, label = "a" }]\n'
        "replications = 2\nsteps = 2\n"
    )
    if command == "report":
        assert (
            main(["sweep", "exp.toml", "--out", "store", "--executor", "serial", "--no-report", "--quiet"])
            == 0
        )
        capsys.readouterr()
    argv = {
        "run": ["run", "open_mixer", "--steps", "2"],
        "sweep": ["sweep", "exp.toml", "--executor", "serial"],
        "report": ["report", "store"],
        "validate": ["validate", "--quick", "--executor", "serial"],
        "validate --patterns": ["validate", "--patterns", "--quick", "--pattern", "decay_start"],
    }[command]
    code, stdout, stderr = run_cli([*argv, "--out", out], capsys)
    said = "taken.txt is a file, not a folder" if below else "exists and is not a folder"
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and f"--out {out}" in stderr.replace("'", "") and said in stderr
    assert Path("taken.txt").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["taken.txt", "exp.toml", *(["store"] if command == "report" else [])]
    )


@pytest.mark.slow
def test_a_quiet_sweep_writes_the_report_but_does_not_print_its_answer(tmp_path):
    """`givetake sweep` prints the report's answer (health and tipping points) on stderr;
    with --quiet it writes the same report and prints only its path."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    (tmp_path / "exp.toml").write_text(
        'name = "e"\nscenarios = ["open_mixer"]\nreplications = 2\nsteps = 3\n'
        '[set]\n"population.size" = 30\n'
        '[vary.share]\nstrategy = "taker"\nlevels = [0.0, 0.8]\n'
    )
    said = {}
    for flags in ([], ["--quiet"]):
        out = "quiet" if flags else "loud"
        done = subprocess.run(
            [*GIVETAKE, "sweep", "exp.toml", "--out", out, "--executor", "serial", *flags],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"{Path(out) / 'report' / 'report.html'}\n"
        assert (tmp_path / out / "report" / "report.html").is_file()
        said[out] = done.stderr
    assert "Healthy = " in said["loud"] and "Tipping point = " in said["loud"]
    assert "Healthy = " not in said["quiet"] and "Tipping point" not in said["quiet"]
    assert "6 runs done, 0 failed" in said["quiet"]  # the ordinary mix and two levels, twice


@pytest.mark.parametrize(
    "args",
    [["run"], ["run", "open_mixer", "--format", "xml"], ["validate", "--only", "nosuch"], ["nosuchcommand"]],
)
def test_a_usage_error_is_one_line_naming_what_was_expected(args, capsys):
    """argparse printed its whole usage block before the error; now one line, exit code 2."""
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("givetake") and ": error: " in err, err
    assert "--help)" in err and ("required" in err or "choose from" in err)


@pytest.mark.parametrize(
    "scenario, setting, reason",
    [
        (
            "open_mixer",
            "mechanisms.chapters.size=20",
            "the pipeline of open_mixer has no 'chapters' mechanism",
        ),
        (
            "open_mixer",
            "game.b=1.85",
            "the pipeline of open_mixer has no 'play' mechanism, the one that reads [game]",
        ),
        ("nowak_may", "mechanisms.exchange.b=4", "the pipeline of nowak_may has no 'exchange' mechanism"),
    ],
)
def test_a_set_the_scenario_never_reads_exits_2_naming_the_key(tmp_path, capsys, scenario, setting, reason):
    out = tmp_path / "res"
    code, stdout, stderr = run_cli(["run", scenario, "--steps", "2", "--set", setting, "--out", out], capsys)
    key = setting.partition("=")[0]
    assert code == 2
    assert stderr.splitlines() == [f"givetake: error: --set: {key}: {reason}; this setting changes nothing"]
    assert not out.exists()


@pytest.mark.parametrize(
    "scenario, setting, small",
    [
        ("referral_group", "mechanisms.chapters.size=8", SMALL),
        ("nowak_may", "game.b=1.9", ["--set", "network.width=10", "--set", "network.height=10"]),
    ],
)
def test_a_set_the_scenario_reads_runs_without_a_word(tmp_path, capsys, scenario, setting, small):
    out = tmp_path / "res"
    args = ["run", scenario, "--steps", "2", *small, "--set", setting, "--out", out]
    code, _, stderr = run_cli(args, capsys)
    assert code == 0 and stderr == ""
    key, _, value = setting.partition("=")
    section, *rest = key.split(".")
    node = json.loads((out / "summary.json").read_text())["scenario"][section]
    for part in rest:
        node = node[part]
    assert node == float(value) if "." in value else node == int(value)
