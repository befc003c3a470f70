"""Where runs happen: in this process, in a pool of processes, or on a Dask cluster.

Every executor has one interface (after EMA workbench's evaluators): a
context manager whose :meth:`Executor.imap` runs a function over items and
yields ``(item, result)`` pairs as they finish, keeping only a few runs in
flight so that memory stays flat however long the sweep.  What is run and
where its results go is :mod:`simulation.sweep`'s business.

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
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import InputError

__all__ = [
    "EXECUTORS",
    "Executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "WorkerLost",
    "DEFAULT_RETRIES",
    "make_executor",
    "check_options",
    "default_workers",
]

EXECUTORS = ("serial", "process", "dask")


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


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


class WorkerLost(RuntimeError):
    """The worker process running an item died (killed, e.g. for lack of memory, or crashed)."""


#: how many times an item whose worker died is tried again before it is reported as lost
DEFAULT_RETRIES = 2


@dataclass
class _Job:
    item: Any
    #: how often the pool broke while this item was in flight
    losses: int = 0


class ProcessExecutor(Executor):
    """A pool of worker processes on this machine (``forkserver`` start, package preloaded).

    A worker that dies (killed by the out-of-memory killer, a crash in a
    library) breaks a :class:`~concurrent.futures.ProcessPoolExecutor`; the
    pool is then replaced and the items that were in flight are tried again.
    The pool cannot tell which of them killed it, so an item that was in
    flight at two breaks runs alone in the pool: if it dies alone again and
    has been lost more than ``retries`` times, it is reported as lost (a
    :class:`WorkerLost` in place of its result) and the others go on.
    ``on_retry(item, reason)``, if given, hears of every lost attempt that is
    tried again.
    """

    name = "process"

    def __init__(
        self,
        workers: int | None = None,
        window: int | None = None,
        retries: int = DEFAULT_RETRIES,
        on_retry: Callable[[Any, str], None] | None = None,
    ):
        super().__init__(workers or default_workers())
        self.window = window or 2 * self.workers
        self.retries = max(0, int(retries))
        self.on_retry = on_retry
        self.restarts = 0
        self._pool = None

    def _start(self):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("forkserver")
        # everything a run imports, loaded once in the server rather than in every worker
        ctx.set_forkserver_preload(["simulation.sweep", "simulation.run", "simulation.ecosystems", "igraph"])
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=_die_with_parent, initargs=(os.getpid(),)
        )
        return self._pool

    def __enter__(self) -> ProcessExecutor:
        self._start()
        return self

    def close(self) -> None:
        if self._pool is not None:
            if getattr(self._pool, "_broken", False):
                self._abandon()
            else:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def _abandon(self) -> str:
        """Stop the pool's workers now, without waiting for them; returns how the dead ones ended."""
        pool, self._pool = self._pool, None
        if pool is None:
            return ""
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for proc in processes:
            if proc.exitcode is None:
                proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        codes = sorted({p.exitcode for p in processes if p.exitcode is not None and p.exitcode < 0})
        if len(codes) > 1 and -15 in codes:  # the pool terminates the others once one has died
            codes.remove(-15)
        deadline = time.monotonic() + 5.0
        for proc in processes:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.exitcode is None:
                proc.kill()
        return ", ".join(_signal_name(-c) for c in codes)

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is not None:
            # interrupted (Ctrl-C, SIGTERM) or failed: stop the runs in flight now rather than
            # waiting for them; they are not in the store and a --resume redoes them
            self._abandon()
        self.close()

    def imap(self, fn, items):
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        if self._pool is None:
            self._start()
        source = iter(items)
        exhausted = False
        again: deque[_Job] = deque()  # lost in a broken pool, to be tried again
        pending: dict[Any, _Job] = {}
        while True:
            broken = False
            # keep the window full; a suspect (in flight at two breaks) runs alone
            while len(pending) < self.window and not any(j.losses >= 2 for j in pending.values()):
                if again:
                    if again[0].losses >= 2 and pending:
                        break
                    job = again.popleft()
                elif not exhausted:
                    item = next(source, _END)
                    if item is _END:
                        exhausted = True
                        break
                    job = _Job(item)
                else:
                    break
                try:
                    pending[self._pool.submit(fn, job.item)] = job
                except (BrokenProcessPool, RuntimeError):  # the pool broke since the last wait
                    again.appendleft(job)
                    broken = True
                    break
            if not pending and not broken:
                if exhausted and not again:
                    return
                continue
            if not broken:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    if isinstance(fut.exception(), BrokenProcessPool):
                        broken = True
                        continue
                    job = pending.pop(fut)
                    yield job.item, fut.result()
            if broken:
                lost = []
                for fut, job in pending.items():
                    if fut.done() and fut.exception() is None:
                        yield job.item, fut.result()  # finished just before the break
                    else:
                        lost.append(job)
                pending.clear()
                how = self._abandon() or "an unknown cause"
                self.restarts += 1
                self._start()
                for job in lost:
                    job.losses += 1
                    reason = (
                        f"the worker process died ({how}) while running this or {len(lost) - 1} other items"
                    )
                    if len(lost) == 1:
                        reason = f"the worker process died ({how}) while running this alone"
                    if len(lost) == 1 and job.losses > self.retries:
                        yield job.item, WorkerLost(f"{reason}, {job.losses} times lost; not tried again")
                        continue
                    if self.on_retry is not None:
                        self.on_retry(job.item, reason)
                    again.append(job)


def _signal_name(signum: int) -> str:
    import signal

    try:
        return f"killed by {signal.Signals(signum).name}"
    except ValueError:
        return f"killed by signal {signum}"


class DaskExecutor(Executor):
    """Runs on a ``dask.distributed`` cluster: at ``scheduler`` if given, else a local one.

    Workers of a remote cluster need this package installed (same version); what comes
    back is whatever the function returns (a sweep's workers write their runs' files
    themselves when they see the store, :mod:`simulation.sweep`).
    """

    name = "dask"

    def __init__(
        self,
        workers: int | None = None,
        scheduler: str | None = None,
        window: int | None = None,
        retries: int = DEFAULT_RETRIES,
    ):
        super().__init__(workers or default_workers())
        self.scheduler = scheduler
        self.retries = retries
        self.window = window
        self.client = None
        self.cluster = None

    def __enter__(self) -> DaskExecutor:
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as err:
                raise InputError(
                    f"--scheduler {self.scheduler}: cannot reach the Dask scheduler ({err})"
                ) from None
            except ValueError as err:  # no port, an unknown scheme, a port that is no number
                raise InputError(
                    f"--scheduler {self.scheduler}: not a scheduler address ({err}); expected one "
                    "such as tcp://10.0.0.5:8786"
                ) from None
            n = len(self.client.scheduler_info().get("workers", {}))
            self.workers = max(
                1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()) or n
            )
        else:
            import logging
            import warnings

            # the dashboard is off, but the scheduler's health endpoint still looks for port
            # 8787 and warns when another cluster has it; and stopping workers is not news
            logging.getLogger("distributed").setLevel(logging.ERROR)
            import dask

            with (
                warnings.catch_warnings(),
                dask.config.set({"distributed.scheduler.allowed-failures": self.retries}),
            ):
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


def make_executor(
    kind: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = DEFAULT_RETRIES,
) -> Executor:
    """An executor by name: ``serial``, ``process`` or ``dask``.

    ``retries``: how many times an item whose worker died is tried again
    (the process pool's rule; a local Dask cluster is given the same as its
    ``allowed-failures``, a remote scheduler keeps its own setting).
    """
    check_options(kind, workers, scheduler, retries)
    if kind == "serial":
        return SerialExecutor(1)
    if kind == "process":
        return ProcessExecutor(workers, retries=retries)
    return DaskExecutor(workers, scheduler, retries=retries)


def check_options(
    kind: str, workers: int | None = None, scheduler: str | None = None, retries: int | None = None
) -> None:
    """Refuse executor options that do not go together, as the command line names them
    (every command that takes ``--executor`` checks them here, before anything is written).

    >>> check_options("process", scheduler="tcp://head:8786")
    Traceback (most recent call last):
    ...
    simulation.errors.InputError: --scheduler: only used with --executor dask
    """
    if kind not in EXECUTORS:
        raise InputError(f"--executor {kind!r}: expected one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}: expected a whole number of workers, at least 1")
    if retries is not None and retries < 0:
        raise InputError(f"--retries {retries}: expected a non-negative integer")
    if scheduler and kind != "dask":
        raise InputError("--scheduler: only used with --executor dask")
