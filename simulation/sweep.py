"""Running a sweep: every run of an experiment, each written to the store as it arrives.

:func:`perform_run` is a pure function of a :class:`~simulation.experiment.RunSpec`
(scenario, steps, seed) that returns the run's tables, or writes them to the
:class:`~simulation.store.Store` itself when given one it can see; :func:`run_sweep`
maps it over the runs still missing with one of the
:mod:`~simulation.executors`, so each worker writes its own runs' files (atomically,
the same bytes whichever process writes them) and sends back only their sizes and
checksums, which the sweep records in the store's log and manifest.  Tables that
come back instead (a worker that cannot see the folder) are written by the sweep.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import interrupts
from .errors import InputError
from .executors import DEFAULT_RETRIES, ProcessExecutor, default_workers, make_executor
from .experiment import Experiment, RunSpec
from .io import check_out_folder
from .limits import check_points, check_sweep, sweep_sizes
from .store import Store, git_commit, now

__all__ = ["RunOutcome", "SweepResult", "perform_run", "run_sweep"]

#: summary keys of ``run_scenario`` that are not results (the stored tags replace them)
_SUMMARY_SKIP = {"scenario", "scenario_name", "seed", "steps", "steps_run", "version", "final"}


# -- one run -------------------------------------------------------------------


@dataclass
class RunOutcome:
    """What a worker sends back: the run's tables (or, when it wrote them to the store
    itself, their files' sizes and checksums), or the error it raised."""

    run_id: str
    tables: dict[str, pd.DataFrame] | None
    error: str | None = None
    traceback: str | None = None
    started: float = 0.0
    finished: float = 0.0
    worker: str = ""
    cpu_seconds: float = 0.0
    #: ``{table: {"bytes", "sha256"}}`` of the files the worker wrote (None: it sent ``tables``)
    files: dict[str, dict[str, Any]] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class StoreTarget:
    """Where a worker writes its runs: the store's folder and the token of the sweep writing it."""

    path: str
    token: str


def perform_run(spec: RunSpec, target: StoreTarget | None = None) -> RunOutcome:
    """Run one scenario and turn its results into small tagged tables.

    With a ``target`` whose lock holds its token (the folder is visible from here and
    the sweep that sent the run still holds it), the tables are written to that store
    (:meth:`~simulation.store.Store.write_run`) and only their files' sizes and
    checksums come back; otherwise the tables come back.

    Never raises for a failing model: the error and its traceback are
    returned so the sweep can record them and go on.
    """
    started, cpu = time.time(), time.process_time()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        tables = _run_tables(spec)
        files = None
        if target is not None:
            store = Store(target.path)
            if store.holds(target.token):
                files, tables = store.write_run(spec.run_id, tables), None
        return RunOutcome(
            spec.run_id,
            tables,
            files=files,
            started=started,
            finished=time.time(),
            worker=worker,
            cpu_seconds=time.process_time() - cpu,
        )
    except Exception as err:  # noqa: BLE001 - any failure of a run is recorded, not fatal
        return RunOutcome(
            spec.run_id,
            None,
            error=f"{type(err).__name__}: {err}",
            traceback=traceback.format_exc(),
            started=started,
            finished=time.time(),
            worker=worker,
        )


def _run_tables(spec: RunSpec) -> dict[str, pd.DataFrame]:
    from .run import run_scenario

    result = run_scenario(spec.scenario, steps=spec.steps, seed=spec.seed)
    tags = spec.tags()
    short = {k: tags[k] for k in ("run_id", "scenario", "point", "replication")}

    ts = result.timeseries.copy()
    for i, (k, v) in enumerate(tags.items()):
        ts.insert(i, k, v)

    summary: dict[str, Any] = dict(tags)
    summary["steps"] = spec.steps
    summary["steps_run"] = int(result.model.steps)
    metrics = [c for c in result.timeseries.columns if c != "step"]
    last = result.timeseries.iloc[-1]
    tail = result.timeseries.iloc[-max(1, len(result.timeseries) // 4) :]
    for m in metrics:
        summary[f"final_{m}"] = _scalar(last[m])
    for m in metrics:
        summary[f"tail_{m}"] = float(tail[m].mean())
    for key, value in result.summary.items():
        if key in _SUMMARY_SKIP:
            continue
        _flatten_into(summary, key, value)

    pop = result.model.population
    alive = pop.alive_slots()
    names = np.array(result.model.strategy_names, dtype=object)
    members = pd.DataFrame(
        {
            # typed even when nobody is left, so that every run's table has the same schema
            **{
                k: pd.Series([v] * len(alive), dtype=object if isinstance(v, str) else "int64")
                for k, v in short.items()
            },
            "slot": alive.astype(np.int64),
            "strategy": names[pop.strategy[alive]],
            "wealth": pop.wealth[alive].astype(float),
            "joined": pop.joined[alive].astype(np.int64),
            "rank": pop.rank[alive].astype(np.int64),
            "gifts_given": pop.gifts_given[alive].astype(np.int64),
            "gifts_received": pop.gifts_received[alive].astype(np.int64),
        }
    )
    tables = {"timeseries": ts, "members": members}
    for name, df in result.tables.items():
        if name in ("summary", "timeseries", "members") or not isinstance(df, pd.DataFrame):
            continue
        df = df.copy()
        for i, (k, v) in enumerate(short.items()):
            if k not in df.columns:
                df.insert(i, k, v)
        tables[name] = df
    tables["summary"] = pd.DataFrame([summary])
    return tables


def _scalar(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _flatten_into(out: dict[str, Any], key: str, value: Any) -> None:
    """Summary entries as flat columns: ``{"events": {"birth": 3}}`` -> ``events_birth``."""
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten_into(out, f"{key}_{k}", v)
    elif value is None or isinstance(value, bool | int | float | str | np.generic):
        out[key] = _scalar(value)
    else:
        import json

        out[key] = json.dumps(value, default=str)


# -- a sweep -------------------------------------------------------------------


@dataclass
class SweepResult:
    """What a sweep did."""

    store: Store
    total: int
    skipped: int
    done: int = 0
    failed: int = 0
    failed_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: things the user should know, e.g. that the code changed since the store was started
    notes: list[str] = field(default_factory=list)


def run_sweep(
    experiment: Experiment,
    out: str | Path,
    *,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    replications: int | None = None,
    steps: int | None = None,
    resume: bool = False,
    progress: bool = True,
    experiment_text: str | None = None,
    retries: int = DEFAULT_RETRIES,
    allow_large: bool = False,
    on_start: Callable[[], None] | None = None,
) -> SweepResult:
    """Run every missing run of ``experiment`` and write each to the store at ``out``.

    Parameters
    ----------
    experiment : the checked experiment (:func:`~simulation.experiment.load_experiment`)
    out : results folder; created if missing
    executor, workers, scheduler : where runs happen (see :func:`make_executor`)
    retries : how many times a run whose worker died (killed, out of memory) is tried again
    allow_large : go past the declared limits (:mod:`~simulation.limits`); never past the memory available
    replications, steps : replace the experiment's values
    resume : complete an existing store (runs only what is missing or failed)
    progress : show a progress bar (runs done, failures, ETA) on stderr
    on_start : called once the store, the experiment and the executor are checked and the
        runs are about to start (the command line announces the sweep there, so that a
        refused one says only why)

    Raises
    ------
    InputError
        ``out`` already holds results and ``resume`` is false; or it holds
        results of a different experiment (file, scenarios or steps).
    """

    started = time.time()
    store = Store(out)
    reps = experiment.replications if replications is None else replications
    check_points(len(experiment.points), allow_large, experiment.source)
    check_sweep(
        sweep_sizes(experiment, steps),
        len(experiment.scenarios) * len(experiment.points) * reps,
        reps,
        1 if executor == "serial" else (workers or default_workers()),
        allow_large,
        experiment.source,
    )
    specs = experiment.runs(replications=replications, steps=steps)
    identity = experiment.identity(steps)
    check_out_folder(store.path, f"--out {store.path}")
    created = not store.path.exists()
    try:
        with store.lock() as token, contextlib.ExitStack() as running:
            # what a worker stopped while writing left behind goes once the workers have stopped
            # (the executor's exit, below, comes first): tidied while one still wrote, a run's
            # tables could go and its summary, written after, mark it done without them
            running.callback(store.tidy)
            fresh = resume and not store.exists()
            manifest = _prepare(store, experiment, identity, resume)
            store.tidy()
            notes = []
            if fresh:  # --resume in a script that always passes it: said, not refused
                notes.append(f"--resume: {store.path} held no sweep to resume; every run was started afresh")
            corrupt = store.verify() if resume else {}
            if corrupt:
                store.forget(corrupt)
                notes.append(_corrupt_note(store, corrupt))
            done_before = store.done_ids()
            todo = [s for s in specs if s.run_id not in done_before]
            ex = make_executor(executor, workers, scheduler, retries=retries)
            if isinstance(ex, ProcessExecutor):
                ex.on_retry = lambda spec, reason: _record_lost_attempt(store, spec, reason)
            if todo:  # start the workers (or reach the scheduler) before anything is written
                running.enter_context(ex)
            if on_start is not None:
                on_start()
            return _sweep(
                store,
                token,
                manifest,
                experiment,
                specs,
                todo,
                ex,
                notes,
                replications,
                progress,
                experiment_text,
                started,
            )
    finally:
        if created and store.path.is_dir() and [p.name for p in store.path.iterdir()] == [".lock"]:
            (store.path / ".lock").unlink()  # nothing was written: leave nothing behind
            store.path.rmdir()


def _sweep(
    store,
    token,
    manifest,
    experiment,
    specs,
    todo,
    ex,
    notes,
    replications,
    progress,
    experiment_text,
    started,
) -> SweepResult:
    from . import __version__

    done_before = store.done_ids()
    session = {
        "started": now(),
        "finished": None,
        "executor": ex.describe() if todo else ex.name,
        "runs_to_do": len(todo),
    }
    commit = git_commit()
    if (
        done_before
        and todo
        and (manifest.get("version"), manifest.get("git_commit")) != (__version__, commit)
    ):
        notes.append(
            f"{store.path}: its first runs were made with givetake {manifest.get('version')} "
            f"(commit {manifest.get('git_commit')}), the new ones with {__version__} (commit {commit}); "
            "if the model changed in between, start a new --out"
        )
    manifest.update(
        {
            "version": __version__,
            "git_commit": commit,
            "replications": replications or experiment.replications,
            "runs": {
                s.run_id: {
                    "scenario": s.scenario_label,
                    "point": s.point,
                    "replication": s.replication,
                    "spawn_key": list(s.spawn_key),
                }
                for s in specs
            },
        }
    )
    manifest.setdefault("sessions", []).append(session)
    manifest.setdefault("files", {})
    store.write_manifest(manifest)
    if experiment_text is not None:
        store.copy_experiment(experiment_text)
    result = SweepResult(store=store, total=len(specs), skipped=len(specs) - len(todo), notes=notes)
    bar = _progress(len(todo), progress)
    # each worker writes its own runs' files; the parent records them
    run = functools.partial(perform_run, target=StoreTarget(str(store.path.resolve()), token))
    try:
        for spec, outcome in ex.imap(run, todo) if todo else ():
            files = _record(store, spec, outcome, result)
            if files is not None:
                manifest["files"][spec.run_id] = files
            bar.update(1)
            if result.failed:
                bar.set_postfix(failed=result.failed, refresh=False)
            interrupts.check()  # a Ctrl-C that landed where Python drops it
    finally:
        bar.close()
        session["finished"] = now()
        session["runs_done"] = result.done
        session["runs_failed"] = result.failed
        store.write_manifest(manifest)
    result.seconds = time.time() - started
    return result


def _corrupt_note(store: Store, corrupt: dict[str, str]) -> str:
    shown = "; ".join(f"{run} ({why})" for run, why in list(corrupt.items())[:3])
    more = f"; and {len(corrupt) - 3} more" if len(corrupt) > 3 else ""
    return (
        f"{store.path}: {len(corrupt)} stored run{'s were' if len(corrupt) != 1 else ' was'} "
        f"missing or corrupt and {'are' if len(corrupt) != 1 else 'is'} run again: {shown}{more}"
    )


def _record(store: Store, spec: RunSpec, outcome: Any, result: SweepResult) -> dict[str, Any] | None:
    """Store a run's outcome; returns its files' sizes and checksums if it succeeded."""
    files = None
    if isinstance(outcome, BaseException):  # the worker itself was lost
        outcome = RunOutcome(
            spec.run_id,
            None,
            error=f"{type(outcome).__name__}: {outcome}",
            traceback="".join(traceback.format_exception(outcome)),
        )
    if outcome.ok:
        files = outcome.files if outcome.files is not None else store.write_run(spec.run_id, outcome.tables)
        result.done += 1
    else:
        store.write_failure(
            spec.run_id,
            {
                "run_id": spec.run_id,
                "scenario": spec.scenario_label,
                "point": spec.point,
                "replication": spec.replication,
                "params": spec.params,
                "spawn_key": list(spec.spawn_key),
                "seed": spec.master_seed,
                "error": outcome.error,
                "traceback": outcome.traceback,
                "time": now(),
            },
        )
        result.failed += 1
        result.failed_ids.append(spec.run_id)
    store.log(
        {
            "run_id": spec.run_id,
            "ok": outcome.ok,
            "started": outcome.started,
            "finished": outcome.finished,
            "seconds": round(outcome.finished - outcome.started, 4),
            "cpu_seconds": round(outcome.cpu_seconds, 4),
            "worker": outcome.worker,
            **(
                {"files": files, "written_by": "worker" if outcome.files is not None else "sweep"}
                if files is not None
                else {}
            ),
        }
    )
    return files


def _record_lost_attempt(store: Store, spec: RunSpec, reason: str) -> None:
    """A run whose worker died and that is tried again: a line in the log."""
    t = time.time()
    store.log(
        {
            "run_id": spec.run_id,
            "ok": False,
            "retried": True,
            "error": f"WorkerLost: {reason}",
            "started": t,
            "finished": t,
            "seconds": 0.0,
            "cpu_seconds": 0.0,
            "worker": "",
        }
    )


def _prepare(store: Store, experiment: Experiment, identity: dict[str, Any], resume: bool) -> dict[str, Any]:
    """Check that ``store`` may receive this experiment's runs; returns its manifest."""
    if store.exists():
        manifest = store.manifest()
        if not resume:
            raise InputError(
                f"{store.path}: already holds results; add --resume to complete them or choose another --out"
            )
        old = manifest.get("identity", {})
        for key, what in (
            ("experiment_hash", "a different experiment file"),
            ("scenarios_hash", "different scenario settings (a scenario file or the defaults changed)"),
            ("steps", "a different number of steps"),
            ("seed", "a different master seed"),
        ):
            if old.get(key) != identity[key]:
                raise InputError(
                    f"{store.path}: was written by {what} ({manifest.get('experiment_file', '?')}); "
                    "refusing to mix results -- remove that folder or choose another --out"
                )
        return manifest
    if store.path.exists() and any(p for p in store.path.iterdir() if p.name != ".lock"):
        raise InputError(f"{store.path}: exists and is not a givetake results folder; choose another --out")
    return {
        "format": "givetake-store/1",
        "experiment": experiment.name,
        "experiment_file": experiment.source,
        "description": experiment.description,
        "identity": identity,
        "master_seed": experiment.seed,
        "seed_rule": "numpy.random.SeedSequence(master_seed, spawn_key=(scenario, point, replication))",
        "design": experiment.method,
        "varied": experiment.varied,
        "ranges": {k: list(v) for k, v in experiment.ranges.items()},
        "levels": experiment.levels,
        "points": experiment.points,
        "scenarios": [
            {"label": e.label, "reference": e.reference, "name": e.scenario.name}
            for e in experiment.scenarios
        ],
        "created": now(),
    }


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kw: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, show: bool):
    if not show:
        return _NoBar()
    import sys

    from tqdm import tqdm

    # on a terminal the bar redraws in place; in a log file, a line every 15 s is enough
    every = 0.1 if sys.stderr.isatty() else 15.0
    return tqdm(total=total, desc="runs", unit="run", dynamic_ncols=True, smoothing=0.1, mininterval=every)
