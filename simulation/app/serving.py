"""What ``givetake app``'s server keeps: the runs of the pages open, their limit, and freeing.

Every page the server shows holds one :class:`~simulation.app.session.Session`
(its run).  :data:`SESSIONS` admits a new page's run only while fewer than the
limit are in memory (``givetake app --max-sessions``, passed in
:data:`ENV_MAX_SESSIONS`), tells a page's play loop whether its browser is
still connected (so a page whose browser has gone stops at once), and, once
Solara has closed the kernel of a page that is gone, collects what it held,
ends the server's threads left idle by closed connections and hands the memory
back to the operating system.  Each change is one line on the server's
standard error::

    givetake app: 3 pages open (1 without a connection), 3 runs in memory (most 40)

Outside ``givetake app`` (a notebook, a test) nothing is limited or logged.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["ENV_MAX_SESSIONS", "OnServerLoop", "Sessions", "SESSIONS", "current_context"]

#: environment variable through which ``givetake app`` passes ``--max-sessions``
ENV_MAX_SESSIONS = "GIVETAKE_APP_MAX_SESSIONS"

#: seconds between two looks at the pages (closed kernels are collected at the next look)
LOOK_SECONDS = 1.0

#: seconds after which anyio ends a worker thread left idle, once it is asked for a thread
#: (``anyio``'s ``WorkerThread.MAX_IDLE_TIME``), plus a margin
IDLE_THREAD_SECONDS = 12.0


def current_context() -> Any | None:
    """The Solara kernel context of the page being drawn, or None outside a server."""
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context()
    except Exception:  # no kernel context: a notebook or a test without a server
        return None


def _connected(context: Any) -> bool:
    from solara.server.kernel_context import PageStatus

    return not context.closed_event.is_set() and PageStatus.CONNECTED in context.page_status.values()


def _n(count: int, what: str) -> str:
    return f"{count} {what}" + ("" if count == 1 else "s")


def _nothing() -> None:
    """Work for a thread that does nothing."""


def _trim() -> None:
    """Hand freed heap memory back to the operating system (glibc; elsewhere nothing)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


class Sessions:
    """The runs the server holds, at most ``limit`` (None: no limit, nothing logged)."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self._lock = threading.Lock()
        self._in_memory: weakref.WeakSet = weakref.WeakSet()
        #: id of a run -> weak reference to its page's kernel context
        self._pages: dict[int, Callable[[], Any]] = {}
        self._closed_since_look = False
        #: when to release memory next (after a page closed; one more once the threads of its
        #: connections have been idle long enough to be ended)
        self._due: list[float] = []
        self._janitor: threading.Thread | None = None
        self._last_line = ""
        #: the event loop of the server (set by :class:`OnServerLoop`)
        self.loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_environment(cls) -> Sessions:
        text = os.environ.get(ENV_MAX_SESSIONS)
        return cls(int(text) if text else None)

    def admit(self, make: Callable[[], Any], context: Any | None = None) -> Any | None:
        """``make()``'s run, kept as the run of the page of ``context``; None when ``limit``
        runs are in memory already (nothing is made then)."""
        with self._lock:
            if self.limit is not None and len(self._in_memory) >= self.limit:
                return None
            session = make()
            if self.limit is None:
                return session
            self._in_memory.add(session)
            if context is not None:
                self._pages[id(session)] = weakref.ref(context)
                weakref.finalize(session, self._pages.pop, id(session), None)
                context.on_close(self._page_closed)
        self._report()
        return session

    def start(self, limit: int) -> None:
        """Limit the runs to ``limit`` and start looking after them (from the command that
        starts the server: a thread started while a page is drawn would hold on to its page)."""
        self.limit = limit
        if self._janitor is None:
            self._janitor = threading.Thread(target=self._look_after, name="givetake-sessions", daemon=True)
            self._janitor.start()

    def still_connected(self, context: Any | None) -> Callable[[], bool]:
        """A function telling whether the page of ``context`` still has a browser connected
        (always True without a context)."""
        if context is None:
            return lambda: True
        ref = weakref.ref(context)

        def connected() -> bool:
            ctx = ref()
            return ctx is not None and _connected(ctx)

        return connected

    def note(self, text: str) -> None:
        """A line on the server's standard error (when served by ``givetake app``)."""
        if self.limit is not None:
            print(f"givetake app: {text}", file=sys.stderr, flush=True)

    def counts(self) -> dict[str, int]:
        """``open`` pages, of which ``disconnected``, and ``in_memory`` runs."""
        with self._lock:
            contexts = [ref() for ref in self._pages.values()]
            in_memory = len(self._in_memory)
        open_ = [c for c in contexts if c is not None and not c.closed_event.is_set()]
        return {
            "open": len(open_),
            "disconnected": sum(not _connected(c) for c in open_),
            "in_memory": in_memory,
        }

    def _page_closed(self) -> None:
        self._closed_since_look = True

    def _look_after(self) -> None:
        looks = 0
        while True:
            threading.Event().wait(LOOK_SECONDS)
            looks += 1
            now = time.monotonic()
            if self._closed_since_look:
                # the kernel's widgets and render context are closed after its close callbacks:
                # collect at the next look, when nothing of the page is left in use, and again
                # once the threads that served its connections can be ended
                self._closed_since_look = False
                self._due = [now + LOOK_SECONDS, now + IDLE_THREAD_SECONDS]
            if self._due and now >= self._due[0]:
                self._due = [t for t in self._due if t > now]
                self._release()
            elif looks % 10 == 0:
                c = self.counts()
                if c["in_memory"] > c["open"]:  # a closed page's run still held by a cycle
                    self._release()
            self._report()

    def _release(self) -> None:
        """Collect what closed pages held, end the idle threads of their connections and hand
        the freed memory back to the operating system."""
        gc.collect()
        self._report()
        if self._end_idle_threads():
            threading.Event().wait(0.5)  # for the ended threads to exit (their stacks are freed then)
        _trim()

    def _end_idle_threads(self) -> bool:
        """Ask the server's event loop for a worker thread, so that anyio ends those idle for
        :data:`IDLE_THREAD_SECONDS` or more; whether it answered.

        Each connection of a page is served in a worker thread of anyio's pool for as long as
        it is open; a closed connection leaves its thread idle, with its stack and its share of
        the C library's heap, and anyio ends idle threads only when it is next asked for one,
        which may be hours later on a server nobody opens a page on."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return False

        async def ask() -> None:
            import anyio.to_thread

            await anyio.to_thread.run_sync(_nothing)

        try:
            asyncio.run_coroutine_threadsafe(ask(), loop).result(timeout=30)
        except Exception:  # the server is stopping, or too busy to answer: at the next release
            return False
        return True

    def _report(self) -> None:
        c = self.counts()
        line = (
            f"givetake app: {_n(c['open'], 'page')} open ({c['disconnected']} without a connection), "
            f"{_n(c['in_memory'], 'run')} in memory (most {self.limit})"
        )
        if line != self._last_line:
            self._last_line = line
            print(line, file=sys.stderr, flush=True)


class OnServerLoop:
    """An ASGI application: ``app``, noting in ``sessions`` the event loop that serves it."""

    def __init__(self, app: Any, sessions: Sessions):
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self.sessions.loop is None:
            self.sessions.loop = asyncio.get_running_loop()
        await self.app(scope, receive, send)


#: the server's runs (limited and logged only when served by ``givetake app``)
SESSIONS = Sessions.from_environment()
