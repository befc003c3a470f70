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
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import InputError

__all__ = [
    "EXECUTORS",
    "Executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "make_executor",
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
                raise InputError(
                    f"--scheduler {self.scheduler}: cannot reach the Dask scheduler ({err})"
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


def make_executor(
    kind: str = "process", workers: int | None = None, scheduler: str | None = None
) -> Executor:
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
