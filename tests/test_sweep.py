"""Sweeps: identical results on every executor, resume after SIGKILL, failures recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import TRIPWIRE

from simulation.errors import InputError
from simulation.experiment import load_experiment
from simulation.mechanisms import DEFAULT_PIPELINE
from simulation.store import Store
from simulation.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]

EXPERIMENT = """
name = "tiny"
scenarios = [
    {{ scenario = {{ population = {{ size = 60 }}, network = {{ mean_degree = 6 }} }}, label = "plain" }},
    {{ scenario = {{ population = {{ size = 60, mix = {{ giver = 0.5, taker = 0.5 }} }}, network = {{ mean_degree = 6 }} }}, label = "harsh" }},
]
replications = {reps}
steps = {steps}
seed = 99
[vary.values]
"mechanisms.exchange.b" = [2.0, 4.0]
"""


def tiny_experiment(tmp_path: Path, reps: int = 2, steps: int = 15) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(textwrap.dedent(EXPERIMENT.format(reps=reps, steps=steps)))
    return path


def stored(out: Path) -> dict[str, pd.DataFrame]:
    """Every stored table, rows in a canonical order."""
    store = Store(out)
    tables = {}
    for name in store.tables():
        df = store.load(name)
        keys = [c for c in ("run_id", "step", "slot", "ecosystem", "event") if c in df.columns]
        tables[name] = df.sort_values(keys, kind="stable").reset_index(drop=True)
    return tables


def assert_same_results(a: Path, b: Path) -> None:
    ta, tb = stored(a), stored(b)
    assert sorted(ta) == sorted(tb)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], obj=name)


def cli(*args: str, script: Path | None = None, **kw) -> subprocess.CompletedProcess:
    head = [sys.executable, str(script)] if script else [sys.executable, "-m", "simulation.cli"]
    return subprocess.run([*head, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c


@pytest.mark.slow
def test_serial_process_pool_and_dask_store_identical_results(tmp_path, cluster):
    exp = load_experiment(tiny_experiment(tmp_path))
    base = run_sweep(exp, tmp_path / "serial", executor="serial", progress=False)
    assert base.done == base.total == 8 and base.failed == 0
    run_sweep(exp, tmp_path / "one", executor="process", workers=1, progress=False)
    run_sweep(exp, tmp_path / "two", executor="process", workers=2, progress=False)
    run_sweep(exp, tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address, progress=False)
    for other in ("one", "two", "dask"):
        assert_same_results(tmp_path / "serial", tmp_path / other)
        # byte for byte: every file's SHA-256, whichever process wrote it
        assert Store(tmp_path / other).recorded_files() == Store(tmp_path / "serial").recorded_files()
        assert Store(tmp_path / other).verify() == {}
        # each worker wrote its own runs' files
        log = [json.loads(line) for line in (tmp_path / other / "log.jsonl").read_text().splitlines()]
        assert {r["written_by"] for r in log} == {"worker"}
    # the runs really were spread over two Dask worker processes
    workers = {
        json.loads(line)["worker"] for line in (tmp_path / "dask" / "log.jsonl").read_text().splitlines()
    }
    assert len(workers) == 2
    ts = Store(tmp_path / "serial").load("timeseries")
    assert {"run_id", "scenario", "replication", "seed", "spawn_key", "mechanisms.exchange.b"} <= set(
        ts.columns
    )
    members = Store(tmp_path / "serial").load("members")
    assert set(members["strategy"]) >= {"giver", "taker"} and members["wealth"].notna().all()


def sweep_process(exp: Path, out: Path, *extra: str) -> subprocess.Popen:
    """``givetake sweep EXP --out OUT --no-report --quiet EXTRA`` started in a session of its own
    (so that a test can signal the sweep and its workers together), its output piped."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulation.cli",
            "sweep",
            str(exp),
            "--out",
            str(out),
            "--no-report",
            "--quiet",
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_runs(out: Path, n: int, proc: subprocess.Popen, timeout: float = 240) -> None:
    """Return once the sweep writing to ``out`` has stored ``n`` runs; fails if it ends first."""
    summaries = out / "data" / "summary"
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if summaries.is_dir() and len(list(summaries.glob("*.parquet"))) >= n:
            return
        time.sleep(0.02)
    raise AssertionError(f"the sweep did not store {n} runs in time")


@pytest.mark.slow
def test_sigkill_mid_sweep_then_resume_gives_exactly_the_uninterrupted_runs(tmp_path):
    path = tiny_experiment(tmp_path, reps=10, steps=12)
    out = tmp_path / "killed"
    proc = sweep_process(path, out, "--workers", "2")
    wait_for_runs(out, 2, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, with no chance to clean up
    proc.communicate()
    done_at_kill = len(Store(out).done_ids())
    assert 2 <= done_at_kill < 40, f"the sweep must be killed in the middle ({done_at_kill} of 40 done)"

    resumed = cli(
        "sweep", str(path), "--out", str(out), "--workers", "2", "--resume", "--no-report", "--quiet"
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done_at_kill} already stored" in resumed.stderr

    exp = load_experiment(path)
    run_sweep(exp, tmp_path / "whole", executor="serial", progress=False)
    assert_same_results(tmp_path / "whole", out)
    summary = Store(out).load("summary")
    assert summary["run_id"].is_unique and len(summary) == 40
    assert (Store(out).load("timeseries").groupby("run_id").size() == 13).all()
    leftovers = [p for p in out.rglob(".*") if p.name != ".lock"]
    assert leftovers == []


@pytest.mark.slow
def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path):
    script = tmp_path / "tripwire_sweep.py"
    script.write_text(TRIPWIRE)
    pipeline = ", ".join(f'"{m}"' for m in [*DEFAULT_PIPELINE, "tripwire"])
    exp = tmp_path / "breaks.toml"
    exp.write_text(
        textwrap.dedent(f"""
        scenarios = [{{ scenario = {{ population = {{ size = 60 }}, network = {{ mean_degree = 6 }}, pipeline = [{pipeline}] }}, label = "t" }}]
        replications = 2
        steps = 10
        [vary.values]
        "mechanisms.tripwire.fail" = [false, true]
        """)
    )
    out = tmp_path / "out"
    first = cli(
        "sweep", str(exp), "--out", str(out), "--workers", "2", "--no-report", "--quiet", script=script
    )
    assert first.returncode == 1, first.stderr
    assert "2 runs done, 2 failed" in first.stderr
    store = Store(out)
    assert store.done_ids() == {"t-p0000-r0000", "t-p0000-r0001"}
    assert store.failed_ids() == {"t-p0001-r0000", "t-p0001-r0001"}
    record = json.loads((out / "failures" / "t-p0001-r0000.json").read_text())
    assert "RuntimeError: tripwire went off" in record["traceback"]
    assert record["spawn_key"] == [0, 1, 0] and record["params"] == {"mechanisms.tripwire.fail": True}
    # resuming retries only the failed runs
    again = cli(
        "sweep",
        str(exp),
        "--out",
        str(out),
        "--workers",
        "1",
        "--resume",
        "--no-report",
        "--quiet",
        script=script,
    )
    assert "0 runs done, 2 failed, 2 already stored" in again.stderr
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert sorted(r["run_id"] for r in log if not r["ok"]) == sorted(["t-p0001-r0000", "t-p0001-r0001"] * 2)


def test_a_store_is_not_overwritten_nor_mixed_with_another_experiment(tmp_path):
    path = tiny_experiment(tmp_path, reps=1, steps=5)
    exp = load_experiment(path)
    out = tmp_path / "out"
    run_sweep(exp, out, executor="serial", progress=False)
    with pytest.raises(InputError, match="already holds results; add --resume"):
        run_sweep(exp, out, executor="serial", progress=False)
    again = run_sweep(exp, out, executor="serial", progress=False, resume=True)
    assert again.done == 0 and again.skipped == 4
    path.write_text(path.read_text().replace("seed = 99", "seed = 100"))
    with pytest.raises(InputError, match="different experiment file"):
        run_sweep(load_experiment(path), out, executor="serial", progress=False, resume=True)
    with pytest.raises(InputError, match="different number of steps"):
        run_sweep(exp, out, executor="serial", progress=False, resume=True, steps=6)
    # more replications extend the store and keep what is there
    more = run_sweep(exp, out, executor="serial", progress=False, resume=True, replications=2)
    assert more.skipped == 4 and more.done == 4


def test_a_worker_that_cannot_see_the_sweeps_store_sends_its_tables_back(tmp_path):
    from simulation.sweep import StoreTarget, perform_run

    exp = load_experiment(tiny_experiment(tmp_path, reps=1, steps=3))
    spec = exp.runs()[0]
    store = Store(tmp_path / "store")
    with store.lock() as token:
        # another sweep's token, or a folder this worker does not see: nothing is written here
        for target in (
            StoreTarget(str(store.path), "another"),
            StoreTarget(str(tmp_path / "elsewhere"), token),
        ):
            out = perform_run(spec, target)
            assert out.ok and out.files is None and set(out.tables) >= {"summary", "timeseries"}
        assert store.done_ids() == set() and not (tmp_path / "elsewhere").exists()
        # the sweep holding the lock: the worker writes the files, the same bytes as the sweep would
        mine = perform_run(spec, StoreTarget(str(store.path), token))
        assert mine.ok and mine.tables is None and store.done_ids() == {spec.run_id}
    assert Store(tmp_path / "other").write_run(spec.run_id, out.tables) == mine.files
    assert not store.holds(token)  # released: a worker still running would write nothing


def test_the_count_of_runs_done_agrees_in_number(tmp_path, capsys):
    """One run to do: "1 run done", not "1 runs done"."""
    from simulation.cli import main

    exp = tmp_path / "one.toml"
    exp.write_text(
        'name = "one"\nscenarios = [{ scenario = { population = { size = 30 } }, label = "a" }]\n'
        "replications = 1\nsteps = 2\n"
    )
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--executor", "serial", "--no-report", "--quiet"]) == 0
    assert "givetake: 1 run done, 0 failed, 0 already stored" in capsys.readouterr().err


def test_a_refused_sweep_says_only_why_and_a_started_one_first_says_what_it_runs(tmp_path, capsys):
    """The line announcing the sweep ("e: 2 runs -> out") comes once the folder and the
    experiment are checked: a folder already holding results, without --resume, gets the
    one line of the error alone (it came after the announcement)."""
    from simulation.cli import main

    exp = tmp_path / "e.toml"
    exp.write_text(
        'name = "e"\nscenarios = [{ scenario = { population = { size = 30 } }, label = "a" }]\n'
        "replications = 2\nsteps = 2\n"
    )
    args = [
        "sweep",
        str(exp),
        "--out",
        str(tmp_path / "out"),
        "--executor",
        "serial",
        "--no-report",
        "--quiet",
    ]
    assert main(args) == 0
    first = capsys.readouterr().err.splitlines()
    assert first[0] == f"givetake: e: 2 runs -> {tmp_path / 'out'}"
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("givetake: error: ") and "add --resume" in err[0]


def test_resume_where_no_sweep_was_stored_says_it_started_afresh(tmp_path, capsys):
    """--resume on a folder holding no sweep runs every run, and says so (it started a new
    sweep without a word, as if it had completed one)."""
    from simulation.cli import main

    exp = tmp_path / "e.toml"
    exp.write_text(
        'name = "e"\nscenarios = [{ scenario = { population = { size = 30 } }, label = "a" }]\n'
        "replications = 2\nsteps = 2\n"
    )
    out = tmp_path / "out"
    args = ["sweep", str(exp), "--out", str(out), "--executor", "serial", "--no-report", "--quiet"]
    assert main([*args, "--resume"]) == 0
    err = capsys.readouterr().err
    assert f"givetake: note: --resume: {out} held no sweep to resume; every run was started afresh" in err
    assert "2 runs done, 0 failed, 0 already stored" in err
    assert main([*args, "--resume"]) == 0  # a real resume says nothing of the kind
    err = capsys.readouterr().err
    assert "held no sweep" not in err and "0 runs done, 0 failed, 2 already stored" in err
