"""Faults: workers that die, interrupted sweeps, collisions, corrupt stores, bad input.

Real processes, real signals and real files throughout; the slower cases are
marked ``slow`` (``make faults`` runs them).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from test_sweep import assert_same_results, cli, sweep_process, tiny_experiment, wait_for_runs

from simulation.app.local_server import free_port
from simulation.errors import InputError
from simulation.experiment import load_experiment
from simulation.mechanisms import DEFAULT_PIPELINE
from simulation.store import Store
from simulation.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]

#: a script that registers a mechanism which kills the worker process running it, then runs the CLI
KILLER = '''
import multiprocessing
import os
import signal
import sys

from simulation.mechanisms import Mechanism, mechanism
from simulation.params import Param


@mechanism
class Killer(Mechanism):
    """At week 3, in a worker process: ``once`` kills it in the first run to get there
    (a marker file says who was first), ``always`` kills it every time."""

    name = "killer"
    PARAMS = {
        "mode": Param("never", "when to kill the worker", choices=("never", "once", "always")),
        "marker": Param("", "file that marks the one kill of mode once"),
    }

    def step(self, model):
        if model.steps != 3 or multiprocessing.parent_process() is None:
            return
        if self.mode == "once":
            try:
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return
        if self.mode != "never":
            os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    from simulation.cli import main

    sys.exit(main(sys.argv[1:]))
'''


def killer_experiment(tmp_path: Path, modes: list[str], reps: int = 3) -> tuple[Path, Path]:
    script = tmp_path / "killer_sweep.py"
    script.write_text(KILLER)
    pipeline = ", ".join(f'"{m}"' for m in [*DEFAULT_PIPELINE, "killer"])
    marker = tmp_path / "killed-once"
    exp = tmp_path / "killer.toml"
    exp.write_text(
        textwrap.dedent(f"""
        scenarios = [{{ scenario = {{ population = {{ size = 60 }}, network = {{ mean_degree = 6 }}, pipeline = [{pipeline}], mechanisms = {{ killer = {{ marker = "{marker}" }} }} }}, label = "k" }}]
        replications = {reps}
        steps = 8
        [vary.values]
        "mechanisms.killer.mode" = {json.dumps(modes)}
        """)
    )
    return script, exp


def log_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


# -- workers that die ------------------------------------------------------------


def test_a_worker_killed_mid_run_is_retried_and_the_store_equals_a_serial_sweep(tmp_path):
    script, exp = killer_experiment(tmp_path, ["once"], reps=6)
    out = tmp_path / "out"
    done = cli(
        "sweep", str(exp), "--out", str(out), "--workers", "2", "--no-report", "--quiet", script=script
    )
    assert (tmp_path / "killed-once").exists(), "a worker must have been killed"
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "6 runs done, 0 failed" in done.stderr
    retried = [r for r in log_lines(out) if r.get("retried")]
    assert retried and all("killed by SIGKILL" in r["error"] for r in retried)
    # the serial executor runs in the sweep's own process, where the mechanism never kills
    serial = cli(
        "sweep",
        str(exp),
        "--out",
        str(tmp_path / "serial"),
        "--executor",
        "serial",
        "--no-report",
        "--quiet",
        script=script,
    )
    assert serial.returncode == 0, serial.stderr
    assert_same_results(tmp_path / "serial", out)


def test_a_run_that_kills_its_worker_every_time_is_recorded_as_failed_and_the_rest_complete(tmp_path):
    script, exp = killer_experiment(tmp_path, ["never", "always"], reps=2)
    out = tmp_path / "out"
    done = cli(
        "sweep",
        str(exp),
        "--out",
        str(out),
        "--workers",
        "2",
        "--retries",
        "1",
        "--no-report",
        "--quiet",
        script=script,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "2 runs done, 2 failed" in done.stderr
    store = Store(out)
    assert store.done_ids() == {"k-p0000-r0000", "k-p0000-r0001"}
    assert store.failed_ids() == {"k-p0001-r0000", "k-p0001-r0001"}
    record = json.loads((out / "failures" / "k-p0001-r0000.json").read_text())
    assert record["error"].startswith(
        "WorkerLost: the worker process died (killed by SIGKILL) while running this alone"
    )
    # each was tried at most 1 + retries times alone after being in flight at other breaks
    attempts = [r for r in log_lines(out) if r["run_id"] == "k-p0001-r0000"]
    assert 2 <= len(attempts) <= 4 and attempts[-1]["ok"] is False and not attempts[-1].get("retried")


def pool_workers(proc: subprocess.Popen) -> list[psutil.Process]:
    """The sweep's process-pool workers (children of its fork server)."""
    return [p for p in psutil.Process(proc.pid).children(recursive=True) if p.ppid() != proc.pid]


@pytest.mark.slow
def test_workers_killed_at_random_moments_never_break_a_sweep(tmp_path):
    path = tiny_experiment(tmp_path, reps=5, steps=12)
    run_sweep(load_experiment(path), tmp_path / "whole", executor="serial", progress=False)
    rng = random.Random(15)
    for trial in range(3):
        out = tmp_path / f"t{trial}"
        proc = sweep_process(path, out, "--workers", "2")
        # the moment is drawn in runs stored (of 20), not in seconds: on a fast machine a sweep
        # this small ends within a second or two, and at least 8 runs are still to go here
        wait_for_runs(out, rng.randint(1, 12), proc)
        workers = pool_workers(proc)
        assert workers
        rng.choice(workers).kill()
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0 and "Traceback" not in err, err
        assert_same_results(tmp_path / "whole", out)


@pytest.mark.slow
def test_sigterm_ends_a_sweep_within_seconds_leaving_a_resumable_store(tmp_path):
    path = tiny_experiment(tmp_path, reps=10, steps=12)
    out = tmp_path / "out"
    proc = sweep_process(path, out, "--workers", "2")
    wait_for_runs(out, 2, proc)
    workers = pool_workers(proc)
    t = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    ended = time.monotonic() - t
    assert ended < 10, f"took {ended:.1f} s to stop"
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == "givetake: interrupted"
    time.sleep(1.5)  # workers of a stopped pool end at once; none may outlive the sweep
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sessions"][-1]["finished"] is not None
    done_at_stop = len(Store(out).done_ids())
    assert done_at_stop < 40
    resumed = cli(
        "sweep", str(path), "--out", str(out), "--workers", "2", "--resume", "--no-report", "--quiet"
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done_at_stop} already stored" in resumed.stderr
    run_sweep(load_experiment(path), tmp_path / "whole", executor="serial", progress=False)
    assert_same_results(tmp_path / "whole", out)


def process_tree(pid: int) -> set[int]:
    """A process and all its descendants (a dask worker's nanny and the worker it started)."""
    root = psutil.Process(pid)
    return {pid, *(p.pid for p in root.children(recursive=True))}


@pytest.mark.slow
def test_a_dask_worker_lost_mid_sweep_changes_no_result(tmp_path):
    """A scheduler and two workers started as on several machines; one worker is killed."""
    dask = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    started = []

    def start(*args: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [dask, *args],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(proc)
        return proc

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
        workers = [
            start(
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-dashboard",
                "--memory-limit",
                "0",
                "--name",
                f"w{i}",
            )
            for i in range(2)
        ]
        from distributed import Client

        with Client(address, timeout=60) as client:  # both machines are up before the sweep starts
            client.wait_for_workers(2, timeout=120)
        path = tiny_experiment(tmp_path, reps=6, steps=12)
        out = tmp_path / "dask"
        proc = sweep_process(path, out, "--executor", "dask", "--scheduler", address)
        started.append(proc)
        wait_for_runs(out, 3, proc)
        # the machine lost is one that has already run part of the sweep (the scheduler may
        # have sent the first runs to either), so the rest must be finished by the other
        deadline = time.monotonic() + 60
        busy: set[int] = set()
        while not busy and time.monotonic() < deadline:  # the log line follows the run's files
            log = log_lines(out) if (out / "log.jsonl").is_file() else []
            busy = {int(r["worker"].rsplit(":", 1)[1]) for r in log if r.get("worker")}
            time.sleep(0.02)
        lost = next(w for w in workers if busy & process_tree(w.pid))
        os.killpg(lost.pid, signal.SIGKILL)  # the worker and its nanny
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and "Traceback" not in err, err
        run_sweep(load_experiment(path), tmp_path / "serial", executor="serial", progress=False)
        assert_same_results(tmp_path / "serial", out)
        ran_on = {r["worker"] for r in log_lines(out)}
        assert len(ran_on) == 2, "the runs left when a worker was lost must have gone to the other"
    finally:
        for proc in started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# -- outputs that never collide ----------------------------------------------------

SMALL_RUN = ["--steps", "4", "--set", "population.size=60", "--set", "network.mean_degree=6", "--quiet"]


def givetake(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(procs: list[subprocess.Popen]) -> list[tuple[int, str]]:
    return [(p.wait(timeout=300), p.communicate()[1]) for p in procs]


@pytest.mark.slow
def test_runs_started_together_each_keep_their_own_folder(tmp_path):
    procs = [
        givetake("run", "open_mixer", "--seed", str(seed), *SMALL_RUN, cwd=tmp_path) for seed in range(4)
    ]
    ended = finish(procs)
    assert all(code == 0 for code, _ in ended), ended
    folders = sorted((tmp_path / "results").iterdir())
    assert len(folders) == 4 and not [f for f in folders if f.name.startswith(".")]
    seeds = sorted(json.loads((f / "summary.json").read_text())["seed"] for f in folders)
    assert seeds == [0, 1, 2, 3]
    for f in folders:
        assert {p.name for p in f.iterdir()} >= {"summary.json", "timeseries.parquet", "network.graphml"}


@pytest.mark.slow
def test_runs_started_together_on_one_out_folder_one_wins_the_others_say_so(tmp_path):
    out = tmp_path / "same"
    procs = [
        givetake("run", "open_mixer", "--seed", str(seed), "--out", str(out), *SMALL_RUN, cwd=tmp_path)
        for seed in range(4)
    ]
    ended = finish(procs)
    codes = sorted(code for code, _ in ended)
    assert codes[0] == 0 and set(codes[1:]) <= {0, 2}
    # each run saw the folder missing or full: exactly one wrote it, the others exit 2
    assert codes.count(0) == 1, ended
    for code, err in ended:
        if code == 2:
            assert err.count("\n") == 1 and "Traceback" not in err and str(out) in err
    summary = json.loads((out / "summary.json").read_text())
    winner = summary["seed"]
    # the files of one run only: the network and the time series agree with that run's summary
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts.iloc[-1]["members"] == summary["final"]["members"]
    alone = tmp_path / "alone"
    code = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulation.cli",
            "run",
            "open_mixer",
            "--seed",
            str(winner),
            "--out",
            str(alone),
            *SMALL_RUN,
        ],
        cwd=tmp_path,
    ).returncode
    assert code == 0
    pd.testing.assert_frame_equal(ts, pd.read_parquet(alone / "timeseries.parquet"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_out_naming_a_folder_with_files_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "old"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    refused = cli("run", "open_mixer", "--out", str(out), *SMALL_RUN)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "exists and is not empty" in refused.stderr and "--overwrite" in refused.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    replaced = cli("run", "open_mixer", "--out", str(out), "--overwrite", *SMALL_RUN)
    assert replaced.returncode == 0, replaced.stderr
    names = {p.name for p in out.iterdir()}
    assert "notes.txt" not in names and "summary.json" in names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("run", "open_mixer", "--out", str(empty), *SMALL_RUN).returncode == 0


def test_a_run_killed_while_writing_leaves_nothing_after_the_next_start(tmp_path):
    import socket

    # a real process that wrote a temporary folder and died before renaming it
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / "results" / f".givetake-tmp-{dead.pid}@{socket.gethostname()}@abc123"
    stale.mkdir(parents=True)
    (stale / "timeseries.parquet").write_bytes(b"PAR1 half")
    # a temporary folder of a process still alive (this one) is left alone
    busy = tmp_path / "results" / f".givetake-tmp-{os.getpid()}@{socket.gethostname()}@def456"
    busy.mkdir()
    done = givetake("run", "open_mixer", *SMALL_RUN, cwd=tmp_path)
    assert finish([done])[0][0] == 0
    assert not stale.exists() and busy.exists()
    assert len([p for p in (tmp_path / "results").iterdir() if not p.name.startswith(".")]) == 1


# -- verified stores -----------------------------------------------------------------


def test_resume_finds_a_truncated_a_changed_and_a_deleted_file_and_runs_them_again(tmp_path):
    path = tiny_experiment(tmp_path, reps=1, steps=5)
    out = tmp_path / "out"
    # in a fresh process, as the resume below: this test process may hold strategies or
    # mechanisms other tests registered, which are part of the scenario defaults
    first = cli("sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet", "--no-report")
    assert first.returncode == 0, first.stderr
    data = out / "data"
    truncated = data / "summary" / "plain-p0000-r0000.parquet"
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    changed = data / "members" / "harsh-p0001-r0000.parquet"
    raw = bytearray(changed.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # same size, one byte flipped
    changed.write_bytes(bytes(raw))
    (data / "timeseries" / "plain-p0001-r0000.parquet").unlink()

    checked = cli("sweep", "--verify", str(out))
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    listed = dict(line.split(": ", 1) for line in checked.stdout.splitlines())
    assert listed == {
        "harsh-p0001-r0000": "data/members/harsh-p0001-r0000.parquet: its SHA-256 differs from the one recorded "
        "when it was written",
        "plain-p0000-r0000": listed["plain-p0000-r0000"],
        "plain-p0001-r0000": "data/timeseries/plain-p0001-r0000.parquet: missing",
    }
    assert "bytes" in listed["plain-p0000-r0000"] and "when written" in listed["plain-p0000-r0000"]
    assert "1 of 4 stored runs verified, 3 missing or corrupt" in checked.stderr

    report = cli("report", str(out))
    assert report.returncode == 2 and report.stderr.count("\n") == 1 and "missing or corrupt" in report.stderr
    assert not (out / "report").exists()

    resumed = cli("sweep", str(path), "--out", str(out), "--executor", "serial", "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "3 stored runs were missing or corrupt and are run again" in resumed.stderr
    assert "3 runs done, 0 failed, 1 already stored" in resumed.stderr
    run_sweep(load_experiment(path), tmp_path / "whole", executor="serial", progress=False)
    assert_same_results(tmp_path / "whole", out)
    assert cli("sweep", "--verify", str(out)).returncode == 0


def test_a_store_without_checksums_is_still_checked_for_whole_parquet_files(tmp_path):
    path = tiny_experiment(tmp_path, reps=1, steps=5)
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, executor="serial", progress=False)
    # as an older version wrote it: no checksums in the manifest or the log
    (out / "log.jsonl").unlink()
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["files"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert Store(out).verify() == {}
    cut = out / "data" / "timeseries" / "harsh-p0000-r0000.parquet"
    cut.write_bytes(cut.read_bytes()[:-100])
    assert list(Store(out).verify()) == ["harsh-p0000-r0000"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: [1, 2, 3],
        lambda m: {**m, "identity": "hand-edited"},
        lambda m: {**m, "sessions": {"a": 1}},
        lambda m: {**m, "files": {"plain-p0000-r0000": "x"}},
    ],
    ids=["array", "identity-text", "sessions-object", "files-record-text"],
)
def test_a_hand_edited_manifest_is_a_one_line_error_or_a_corrupt_run(tmp_path, capsys, edit):
    from simulation.cli import main

    path = tiny_experiment(tmp_path, reps=1, steps=3)
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, executor="serial", progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps(edit(manifest)))
    for args in (
        ["sweep", str(path), "--out", str(out), "--resume", "--executor", "serial", "--no-report", "--quiet"],
        ["report", str(out)],
        ["sweep", "--verify", str(out)],
    ):
        code = main(args)  # an unexpected exception would fail the test here
        err = capsys.readouterr().err
        assert code in (0, 1, 2)
        if code == 2:
            last = err.strip().splitlines()[-1]
            assert last.startswith("givetake: error: ") and ("manifest.json" in last or "corrupt" in last)


# -- bounded by design ---------------------------------------------------------------

TOO_LARGE_RUNS = {
    "weeks": ["--steps", "99999999999999999999"],
    "lattice": [
        "--set",
        'network.kind="lattice"',
        "--set",
        "network.width=100000",
        "--set",
        "network.height=100000",
    ],
    "complete": ["--set", 'network.kind="complete"', "--set", "population.size=200000"],
}


@pytest.mark.parametrize("case", sorted(TOO_LARGE_RUNS))
def test_a_run_past_the_limits_is_refused_with_its_estimate_before_it_starts(tmp_path, capsys, case):
    from simulation.cli import main

    out = tmp_path / "out"
    code = main(["run", "open_mixer", *TOO_LARGE_RUNS[case], "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "past the declared limits" in err and "--allow-large" in err and "of one core" in err
    assert not out.exists()
    if case != "weeks":
        # past the limits on purpose, but not past the memory this machine has
        code = main(
            ["run", "open_mixer", *TOO_LARGE_RUNS[case], "--out", str(out), "--quiet", "--allow-large"]
        )
        err = capsys.readouterr().err
        assert code == 2 and "of memory" in err and "are available" in err and not out.exists()


def test_a_run_just_past_a_limit_runs_with_allow_large():
    from simulation.limits import LIMITS, check_run
    from simulation.scenario_files import load_scenario

    data = load_scenario("open_mixer", {"population.size": 60, "network.mean_degree": 4}).data
    with pytest.raises(InputError, match="steps 100,001 > 100,000"):
        check_run(data, LIMITS["steps"] + 1, False, "x")
    assert check_run(data, LIMITS["steps"] + 1, True, "x").steps == 100_001


def test_a_sweep_past_the_limits_is_refused_before_its_runs_are_made(tmp_path, capsys):
    from simulation.cli import main

    path = tiny_experiment(tmp_path, reps=1, steps=5)
    out = tmp_path / "out"
    code = main(["sweep", str(path), "--out", str(out), "--replications", "100000000000", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "replications 100,000,000,000 > 100,000" in err and "--allow-large" in err
    assert not out.exists()
    code = main(["sweep", str(path), "--out", str(out), "--replications", "100000000000", "--allow-large"])
    err = capsys.readouterr().err
    assert code == 2 and "of memory" in err and "are available" in err and not out.exists()
    grid = tmp_path / "grid.toml"
    values = ", ".join(str(v) for v in range(50))
    keys = ["b", "c", "cost", "p_meet", "x1", "x2", "x3", "x4"]
    grid.write_text(
        'scenarios = ["open_mixer"]\n[vary.values]\n'
        + "\n".join(f'"mechanisms.m.{k}" = [{values}]' for k in keys)
        + "\n"
    )
    code = main(["sweep", str(grid), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "a grid of 39,062,500,000,000 points" in err and err.count("\n") == 1
    assert not out.exists()


# -- every failure a one-line error ------------------------------------------------------


def limit_file_size(max_bytes: int):
    """For a child process: writes past ``max_bytes`` fail (EFBIG), as on a full disk."""
    import resource

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def test_a_write_that_fails_is_one_line_and_leaves_no_output(tmp_path):
    def givetake_limited(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "simulation.cli", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=limit_file_size(2_000),
        )

    out = tmp_path / "results" / "run"
    done = givetake_limited("run", "open_mixer", *SMALL_RUN, "--out", str(out))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "cannot write the results" in done.stderr and "File too large" in done.stderr
    assert not out.exists() and list((tmp_path / "results").iterdir()) == []

    path = tiny_experiment(tmp_path, reps=1, steps=3)
    swept = givetake_limited(
        "sweep", str(path), "--out", str(tmp_path / "s"), "--executor", "serial", "--quiet"
    )
    assert swept.returncode == 1 and "Traceback" not in swept.stderr, swept.stderr
    last = swept.stderr.strip().splitlines()[-1]
    assert last.startswith("givetake: error: ") and "File too large" in last
    assert not [p for p in (tmp_path / "s").rglob("*.tmp")]
    debug = givetake_limited(
        "--debug", "sweep", str(path), "--out", str(tmp_path / "d"), "--executor", "serial", "--quiet"
    )
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_input_nested_too_deeply_is_a_one_line_error(tmp_path, capsys):
    from simulation.cli import main

    code = main(["run", "open_mixer", "--set", "population.size=" + "[" * 5000 + "]" * 5000])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("givetake: error: --set population.size:")
    assert "nested too deeply" in err
    deep = tmp_path / "deep.toml"
    deep.write_text("steps = " + "[" * 5000 + "]" * 5000 + "\n")
    code = main(["run", str(deep), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "deep.toml: nested too deeply" in err
    code = main(["validate", "--patterns", str(deep), "--executor", "serial"])  # a pattern file
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "deep.toml: nested too deeply" in err
    previous = "open_mixer"
    for i in range(1000):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "{previous}"\nname = "s{i}"\n')
        previous = str(tmp_path / f"s{i}.toml")
    code = main(["run", previous, "--steps", "1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("givetake: error:")
    assert "s999.toml: extends: a chain of more than 100 scenarios" in err
    assert not (tmp_path / "o").exists()


def test_a_non_finite_setting_is_refused_before_anything_is_written(tmp_path, capsys):
    from simulation.cli import main

    out = tmp_path / "inf"
    for value in ("inf", "1e400", "nan"):
        code = main(
            ["run", "open_mixer", *SMALL_RUN, "--set", f"mechanisms.exchange.b={value}", "--out", str(out)]
        )
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1
        assert "mechanisms.exchange.b: expected a number in [0.0, inf), got " in err
        assert not out.exists()


def test_summary_json_is_strict_json_with_non_finite_values_as_null(tmp_path):
    """No setting can be infinite any more, but a metric of a mechanism of one's own can: the
    run's summary is still strict JSON, with such a value as null and its place listed."""
    from simulation.run import run_scenario, write_run
    from simulation.scenario_files import load_scenario

    result = run_scenario(load_scenario("open_mixer", {"population.size": 60}), steps=2, seed=1)
    result.summary["final"]["my_ratio"] = float("inf")

    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    out = write_run(result, tmp_path / "run", network=False)
    summary = json.loads((out / "summary.json").read_text(), parse_constant=refuse)
    assert summary["final"]["my_ratio"] is None
    assert summary["non_finite_as_null"] == ["final.my_ratio"]
    assert summary["final"]["members"] == result.summary["final"]["members"] > 0


def test_a_scheduler_that_cannot_be_reached_leaves_nothing_behind(tmp_path, capsys):
    from simulation.cli import main

    path = tiny_experiment(tmp_path, reps=1, steps=3)
    out = tmp_path / "out"
    args = ["sweep", str(path), "--out", str(out), "--quiet", "--no-report"]
    code = main([*args, "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{free_port()}"])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().splitlines()[-1].startswith("givetake: error: --scheduler")
    assert not out.exists()
    # nothing blocks a plain run into the same folder
    assert main([*args, "--executor", "serial"]) == 0


@pytest.mark.parametrize("address", ["nonsense", "tcp://host", "foo://host:1", "tcp://127.0.0.1:x"])
def test_a_scheduler_address_that_is_no_address_is_a_one_line_error(tmp_path, capsys, address):
    """An address without a port, with an unknown scheme or a port that is no number: exit 2
    with one line naming the option and what was expected (it was a traceback and exit 1)."""
    from simulation.cli import main

    path = tiny_experiment(tmp_path, reps=1, steps=3)
    out = tmp_path / "out"
    args = ["sweep", str(path), "--out", str(out), "--quiet", "--no-report"]
    assert main([*args, "--executor", "dask", "--scheduler", address]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"givetake: error: --scheduler {address}: not a scheduler address (")
    assert err[-1].endswith("expected one such as tcp://10.0.0.5:8786")
    assert "Traceback" not in "\n".join(err)
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sweep", "EXP", "--workers", "0"], "--workers 0: expected a whole number of workers, at least 1"),
        (["sweep", "EXP", "--executor", "serial", "--scheduler", "tcp://h:1"], "--scheduler: only used with"),
        (
            ["validate", "--patterns", "PAT", "--executor", "serial", "--scheduler", "tcp://h:1"],
            "--scheduler",
        ),
        (["validate", "--quick", "--workers", "-1"], "--workers -1: expected a whole number of workers"),
    ],
)
def test_executor_options_that_do_not_go_together_are_one_line_errors(tmp_path, capsys, argv, message):
    """Every command with --executor checks its options alike, before anything is written."""
    from simulation.cli import main

    pattern = tmp_path / "p.toml"
    pattern.write_text("")
    argv = [str(tiny_experiment(tmp_path)) if a == "EXP" else str(pattern) if a == "PAT" else a for a in argv]
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


# -- fuzz: arguments and experiment files ----------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EXPERIMENT_LINES = (
    textwrap.dedent(
        """
    name = "fuzz"
    scenarios = [{ scenario = { population = { size = 30 }, network = { mean_degree = 4 } }, label = "a" }]
    replications = 1
    steps = 2
    seed = 5
    [vary.values]
    "mechanisms.exchange.b" = [2.0, 3.0]
    """
    )
    .strip()
    .splitlines()
)


@st.composite
def mutated_experiment(draw) -> str:
    lines = list(EXPERIMENT_LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "value", "garble", "nest"]))
        key = lines[i].split("=")[0] if "=" in lines[i] else lines[i]
        if kind == "drop":
            lines[i] = ""
        elif kind == "value":
            lines[i] = (
                key
                + "= "
                + draw(
                    st.sampled_from(
                        ["0", "-1", "1e12", "100000000000", "inf", "nan", '"x"', "true", "[]", "{}"]
                    )
                )
            )
        elif kind == "nest":
            depth = draw(st.integers(1, 3000))
            lines[i] = key + "= " + "[" * depth + "]" * depth
        else:
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = (
                lines[i][:pos]
                + draw(st.sampled_from(["=", "[", '"', "x", "0", ".", "#", "{"]))
                + lines[i][pos:]
            )
    return "\n".join(lines) + "\n"


def nothing_half_written(root: Path) -> bool:
    return not [p for p in root.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".givetake-tmp-")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated_experiment())
def test_fuzzed_experiment_files_run_or_fail_with_one_line(tmp_path_factory, capsys, text):
    from simulation.cli import main

    root = tmp_path_factory.mktemp("fuzz")
    path = root / "e.toml"
    path.write_text(text)
    out = root / "out"
    code = main(["sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet", "--no-report"])
    err = capsys.readouterr().err
    assert code in (0, 1, 2) and "Traceback" not in err
    if code == 2:
        assert err.strip().splitlines()[-1].startswith("givetake: error: ")
        assert not (out / "data").exists()
    assert nothing_half_written(root)


ARGUMENTS = st.lists(
    st.sampled_from(
        [
            "--steps",
            "--seed",
            "--set",
            "--out",
            "--format",
            "--replications",
            "--workers",
            "--retries",
            "0",
            "-1",
            "2",
            "1e11",
            "99999999999999999999",
            "population.size=0",
            'network.kind="complete"',
            "x=",
            "csv",
            "--allow-large",
            "--overwrite",
            "--quiet",
            "open_mixer",
            "nowhere.toml",
            "--executor",
            "serial",
            "dask",
        ]
    ),
    max_size=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["run", "sweep"]), args=ARGUMENTS)
def test_fuzzed_arguments_exit_0_1_or_2_without_a_traceback(tmp_path_factory, capsys, command, args):
    from simulation.cli import main

    root = tmp_path_factory.mktemp("args")
    first = ["open_mixer", "--steps", "2", "--set", "population.size=30", "--set", "network.mean_degree=4"]
    if command == "sweep":
        first = [str(tiny_experiment(root, reps=1, steps=2)), "--executor", "serial", "--no-report"]
    argv = [command, *first, "--out", str(root / "out"), *args]
    try:
        # a fuzzed "--out 1e11" is a relative path: it lands under root, not the working tree
        with contextlib.chdir(root):
            code = main(argv)
    except SystemExit as stop:  # argparse: a malformed command line
        code = stop.code
    err = capsys.readouterr().err
    assert code in (0, 1, 2) and "Traceback" not in err, (argv, err)
    assert nothing_half_written(root)


class _SwallowsCtrlC:
    """An object whose finaliser receives Ctrl-C: Python prints that exception and drops it, as
    it does in the weakref callbacks pyabc and SQLAlchemy run."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ctrl_c_python_drops_still_stops_a_sweep_after_the_run_under_way(tmp_path):
    """Ctrl-C raised where Python cannot pass it on is remembered: a sweep on one worker process
    stops once the first run is stored, the store keeps it and a resume runs the rest, the same as
    a whole sweep."""
    from simulation import interrupts

    path = tiny_experiment(tmp_path, reps=3, steps=8)
    exp = load_experiment(path)
    out = tmp_path / "out"
    with interrupts.recorded():
        _SwallowsCtrlC()  # dropped at once: its Ctrl-C is printed and lost
        with pytest.raises(KeyboardInterrupt):
            run_sweep(exp, out, executor="process", workers=1, progress=False)
    assert len(list((out / "data" / "summary").glob("*.parquet"))) == 1
    # the request is forgotten once the command it interrupted has ended
    interrupts.check()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    run_sweep(exp, out, executor="serial", progress=False, resume=True)
    run_sweep(exp, tmp_path / "whole", executor="serial", progress=False)
    assert_same_results(tmp_path / "whole", out)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ctrl_c_python_drops_still_stops_a_single_run_at_its_next_week():
    from simulation import interrupts
    from simulation.run import run_scenario
    from simulation.scenario import Scenario

    weeks = []
    with interrupts.recorded():
        with pytest.raises(KeyboardInterrupt):
            run_scenario(
                Scenario.from_dict({"population": {"size": 30}}),
                steps=20,
                on_step=lambda m: (weeks.append(m.steps), m.steps == 3 and _SwallowsCtrlC()),
            )
    assert weeks == [1, 2, 3]


def test_a_deferred_ctrl_c_waits_for_the_next_check_and_a_second_one_does_not():
    """Inside interrupts.deferred (a serial calibration's generation) Ctrl-C is only remembered,
    so no library is interrupted halfway; the next check raises it, and a second Ctrl-C before
    that raises at once."""
    from simulation import interrupts

    with interrupts.recorded():
        with interrupts.deferred():
            signal.raise_signal(signal.SIGINT)  # nothing raised here
            with pytest.raises(KeyboardInterrupt):
                interrupts.check()
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is interrupts.stop
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    interrupts.check()  # forgotten once the command ended


def test_a_stop_before_a_command_does_not_stop_the_next_one(tmp_path, capsys, monkeypatch):
    """A sweep leaves interrupts.stop as the process's SIGTERM handler; a SIGTERM after it, which
    the caller handles, is held neither against the next command (it exited 130, 'interrupted')
    nor against a run made outside any command (it raised KeyboardInterrupt at its first week)."""
    from simulation import interrupts
    from simulation.cli import main
    from simulation.run import run_scenario
    from simulation.scenario import Scenario

    monkeypatch.setattr(interrupts, "_requested", False)  # and so after the test, whatever it finds

    def sigterm_handled_by_the_caller():
        previous = signal.signal(signal.SIGTERM, interrupts.stop)  # as `givetake sweep` leaves it
        try:
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGTERM)
        finally:
            signal.signal(signal.SIGTERM, previous)

    sigterm_handled_by_the_caller()
    assert main(["run", "open_mixer", *SMALL_RUN, "--out", str(tmp_path / "r")]) == 0
    assert "interrupted" not in capsys.readouterr().err
    sigterm_handled_by_the_caller()
    weeks = []
    try:
        run_scenario(
            Scenario.from_dict({"population": {"size": 30}}), steps=3, on_step=lambda m: weeks.append(m.steps)
        )
    except KeyboardInterrupt:
        pytest.fail(f"a run outside any command stopped after weeks {weeks} by a SIGTERM before it")
    assert weeks == [1, 2, 3]


def test_a_sweep_run_in_process_gives_back_the_sigterm_handler_it_found(tmp_path, capsys):
    """`givetake sweep` stops on SIGTERM as on Ctrl-C while it runs; a process that ran one (a
    test, a notebook) keeps its own SIGTERM handler after it (it was left with the sweep's)."""
    from simulation.cli import main

    (tmp_path / "e.toml").write_text(
        'name = "e"\nscenarios = ["open_mixer"]\nreplications = 1\nsteps = 2\n[set]\n"population.size" = 30\n'
    )

    def own(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, own)
    try:
        argv = ["sweep", str(tmp_path / "e.toml"), "--out", str(tmp_path / "s"), "--executor", "serial"]
        assert main([*argv, "--no-report", "--quiet"]) == 0, capsys.readouterr().err
        assert signal.getsignal(signal.SIGTERM) is own
    finally:
        signal.signal(signal.SIGTERM, previous)
