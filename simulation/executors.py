"""Where runs happen: in this process, in a pool of processes, or on a Dask cluster.

Every executor has one interface (after EMA workbench's evaluators): a
context manager whose :meth:`Executor.imap` runs a function over items and
yields ``(item, result)`` pairs as they finish, keeping only a few runs in
flight so that memory stays flat however long the sweep.  The function is
:func:`perform_run`, a pure function of a :class:`~simulation.experiment.RunSpec`
(scenario, steps, seed) that returns the run's tables; :func:`run_sweep`
writes each result to the :class:`~simulation.store.Store` as soon as it
arrives (the parent is the only writer).

- ``serial``: one run after another in this process (debugging, tiny sweeps);
- ``process``: a pool of worker processes on this machine (the default, one per core);
- ``dask``: a ``dask.distributed`` scheduler (``--scheduler tcp://host:8786``), or a
  ``LocalCluster`` started for the sweep when no address is given.

Examples
--------
>>> with make_executor("serial") as ex:
...     sorted(r for _, r in ex.imap(abs, [-2, 1]))
[1, 2]
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .experiment import Experiment, RunSpec
from .store import Store, git_commit, now

__all__ = [
    "EXECUTORS",
    "Executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "RunOutcome",
    "SweepResult",
    "make_executor",
    "perform_run",
    "run_sweep",
    "default_workers",
]

EXECUTORS = ("serial", "process", "dask")

#: summary keys of ``run_scenario`` that are not results (the stored tags replace them)
_SUMMARY_SKIP = {"scenario", "scenario_name", "seed", "steps", "steps_run", "version", "final"}


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# -- one run -------------------------------------------------------------------


@dataclass
class RunOutcome:
    """What a worker sends back: the run's tables, or the error it raised."""

    run_id: str
    tables: dict[str, pd.DataFrame] | None
    error: str | None = None
    traceback: str | None = None
    started: float = 0.0
    finished: float = 0.0
    worker: str = ""
    cpu_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def perform_run(spec: RunSpec) -> RunOutcome:
    """Run one scenario and turn its results into small tagged tables.

    Never raises for a failing model: the error and its traceback are
    returned so the sweep can record them and go on.
    """
    started, cpu = time.time(), time.process_time()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        tables = _run_tables(spec)
        return RunOutcome(
            spec.run_id, tables, started=started, finished=time.time(), worker=worker,
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
            **{k: [v] * len(alive) for k, v in short.items()},
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


# -- executors -----------------------------------------------------------------


class Executor:
    """Runs a function over items; a context manager (start on enter, stop on exit)."""

    name = "executor"

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers."""

    def imap(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Yield ``(item, fn(item))`` as results arrive (in any order)."""
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"


class SerialExecutor(Executor):
    """Everything in this process, one item after another."""

    name = "serial"

    def imap(self, fn, items):
        for item in items:
            yield item, fn(item)


def _die_with_parent(parent: int) -> None:
    """Worker start-up: end this worker soon after the sweep process ``parent`` dies
    (killed, crashed), instead of finishing runs nobody will store."""
    import threading

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - the pid was reused by another user
                os._exit(1)

    threading.Thread(target=watch, name="givetake-parent-watch", daemon=True).start()


class ProcessExecutor(Executor):
    """A pool of worker processes on this machine (``forkserver`` start, package preloaded)."""

    name = "process"

    def __init__(self, workers: int | None = None, window: int | None = None):
        super().__init__(workers or default_workers())
        self.window = window or 2 * self.workers
        self._pool = None

    def _start(self):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("forkserver")
        # everything a run imports, loaded once in the server rather than in every worker
        ctx.set_forkserver_preload(["simulation.executors", "simulation.run", "simulation.ecosystems", "igraph"])
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=_die_with_parent, initargs=(os.getpid(),)
        )
        return self._pool

    def __enter__(self) -> ProcessExecutor:
        self._start()
        return self

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is not None and self._pool is not None:
            # interrupted (Ctrl-C) or failed: stop the runs in flight now rather than waiting
            # for them; they are not in the store and a --resume redoes them
            for proc in list(getattr(self._pool, "_processes", {}).values()):
                proc.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self.close()

    def imap(self, fn, items):
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pool = self._pool or self._start()
        pending: dict[Any, Any] = {}
        it = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.window:
                try:
                    item = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending[pool.submit(fn, item)] = item
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                item = pending.pop(fut, None)
                if item is None:  # resubmitted after a pool restart
                    continue
                try:
                    yield item, fut.result()
                except BrokenProcessPool as err:
                    # a worker died (e.g. killed for memory): report the run, start a fresh pool
                    yield item, err
                    self.close()
                    pool = self._start()
                    for other_fut, other in list(pending.items()):
                        pending.pop(other_fut)
                        pending[pool.submit(fn, other)] = other


class DaskExecutor(Executor):
    """Runs on a ``dask.distributed`` cluster: at ``scheduler`` if given, else a local one.

    Workers of a remote cluster need this package installed (same version);
    results come back to this process, which writes them.
    """

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None, window: int | None = None):
        super().__init__(workers or default_workers())
        self.scheduler = scheduler
        self.window = window
        self.client = None
        self.cluster = None

    def __enter__(self) -> DaskExecutor:
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as err:
                raise InputError(f"--scheduler {self.scheduler}: cannot reach the Dask scheduler ({err})") from None
            n = len(self.client.scheduler_info().get("workers", {}))
            self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()) or n)
        else:
            import logging
            import warnings

            # the dashboard is off, but the scheduler's health endpoint still looks for port
            # 8787 and warns when another cluster has it; and stopping workers is not news
            logging.getLogger("distributed").setLevel(logging.ERROR)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Port .* is already in use")
                self.cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            self.client = Client(self.cluster)
        return self

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def describe(self) -> str:
        where = self.scheduler or "local cluster"
        return f"dask at {where} ({self.workers} worker threads)"

    def imap(self, fn, items):
        from distributed import as_completed

        # a remote cluster may still be growing (batch jobs waiting in the queue): keep
        # enough runs queued on the scheduler for the workers still to come
        window = self.window or (max(4 * self.workers, 512) if self.scheduler else 4 * self.workers)
        it = iter(items)
        pending: dict[str, Any] = {}
        queue = as_completed()

        def top_up() -> None:
            while len(pending) < window:
                item = next(it, _END)
                if item is _END:
                    return
                fut = self.client.submit(fn, item, pure=False)
                pending[fut.key] = item
                queue.add(fut)

        top_up()
        for fut in queue:
            item = pending.pop(fut.key)
            try:
                result = fut.result()
            except Exception as err:  # noqa: BLE001 - a lost worker fails the run, not the sweep
                result = err
            fut.release()
            yield item, result
            top_up()


_END = object()


def make_executor(kind: str = "process", workers: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor by name: ``serial``, ``process`` or ``dask``."""
    if kind == "serial":
        return SerialExecutor(1)
    if kind == "process":
        if scheduler:
            raise InputError("--scheduler: only used with --executor dask")
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(workers, scheduler)
    raise InputError(f"--executor {kind!r}: expected one of {', '.join(EXECUTORS)}")


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
) -> SweepResult:
    """Run every missing run of ``experiment`` and write each to the store at ``out``.

    Parameters
    ----------
    experiment : the checked experiment (:func:`~simulation.experiment.load_experiment`)
    out : results folder; created if missing
    executor, workers, scheduler : where runs happen (see :func:`make_executor`)
    replications, steps : replace the experiment's values
    resume : complete an existing store (runs only what is missing or failed)
    progress : show a progress bar (runs done, failures, ETA) on stderr

    Raises
    ------
    InputError
        ``out`` already holds results and ``resume`` is false; or it holds
        results of a different experiment (file, scenarios or steps).
    """
    from . import __version__

    started = time.time()
    store = Store(out)
    specs = experiment.runs(replications=replications, steps=steps)
    identity = experiment.identity(steps)
    with store.lock():
        manifest = _prepare(store, experiment, identity, resume)
        store.tidy()
        done_before = store.done_ids()
        todo = [s for s in specs if s.run_id not in done_before]
        ex = make_executor(executor, workers, scheduler)
        session = {"started": now(), "finished": None, "executor": executor, "runs_to_do": len(todo)}
        commit = git_commit()
        notes = []
        if done_before and todo and (manifest.get("version"), manifest.get("git_commit")) != (__version__, commit):
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
        store.write_manifest(manifest)
        if experiment_text is not None:
            store.copy_experiment(experiment_text)
        result = SweepResult(store=store, total=len(specs), skipped=len(specs) - len(todo), notes=notes)
        bar = _progress(len(todo), progress)
        try:
            if todo:
                with ex:
                    session["executor"] = ex.describe()
                    for spec, outcome in ex.imap(perform_run, todo):
                        _record(store, spec, outcome, result)
                        bar.update(1)
                        if result.failed:
                            bar.set_postfix(failed=result.failed, refresh=False)
        finally:
            bar.close()
            session["finished"] = now()
            session["runs_done"] = result.done
            session["runs_failed"] = result.failed
            store.write_manifest(manifest)
    result.seconds = time.time() - started
    return result


def _record(store: Store, spec: RunSpec, outcome: Any, result: SweepResult) -> None:
    if isinstance(outcome, BaseException):  # the worker itself was lost
        outcome = RunOutcome(spec.run_id, None, error=f"{type(outcome).__name__}: {outcome}", traceback="".join(
            traceback.format_exception(outcome)))
    if outcome.ok:
        store.write_run(spec.run_id, outcome.tables)
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
            {"label": e.label, "reference": e.reference, "name": e.scenario.name} for e in experiment.scenarios
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
