"""Ctrl-C that is not lost.

Python turns Ctrl-C into a :class:`KeyboardInterrupt` raised wherever the main thread happens to
be.  Where that is a weakref callback or a ``__del__`` (pyabc and SQLAlchemy run many), Python
prints the exception and carries on, and a long calibration or sweep would run to its end as if
no one had asked it to stop; raised inside a library between taking a lock and releasing it, it
can leave the lock taken and the next call waiting for it for ever.  While :func:`recorded` is
active, Ctrl-C (and whatever else :func:`stop` is installed for, such as a batch system's
SIGTERM) is also remembered, and :func:`check`, called between units of work (a generation, a
particle, a run), raises it again.  Inside :func:`deferred` Ctrl-C is only remembered, and the
next :func:`check` raises it, at a point of the caller's choosing; a second Ctrl-C there raises
at once.  A request is remembered only while a command runs: one that came before it (a SIGTERM
to a process that went on) does not stop the next.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_requested = False
_recording = False  # inside recorded() on the main thread


def stop(signum, frame) -> None:
    """A signal handler: remember the request to stop (inside :func:`recorded`), and raise it as
    Ctrl-C does."""
    global _requested
    if _recording:
        _requested = True
    raise KeyboardInterrupt


def _remember(signum, frame) -> None:
    """A signal handler: remember the request to stop; raise only if one was already pending."""
    global _requested
    if _requested:
        raise KeyboardInterrupt
    _requested = True


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if a request to stop came and was swallowed."""
    if _requested:
        raise KeyboardInterrupt


@contextmanager
def recorded() -> Iterator[None]:
    """Remember Ctrl-C, and whatever :func:`stop` handles, while inside (main thread only; an
    ignored Ctrl-C stays ignored); a request from before is forgotten, as is this one after."""
    global _requested, _recording
    if threading.current_thread() is not threading.main_thread() or _recording:
        yield
        return
    install = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    previous = signal.signal(signal.SIGINT, stop) if install else None
    _requested, _recording = False, True
    try:
        yield
    finally:
        if install:
            signal.signal(signal.SIGINT, previous)
        _requested, _recording = False, False


@contextmanager
def deferred() -> Iterator[None]:
    """Inside :func:`recorded`: Ctrl-C only remembered, for :func:`check` to raise (a second
    Ctrl-C raises at once).  Around work in this process whose every step calls :func:`check`
    and whose libraries should not be interrupted halfway (pyabc's serial sampler, writing its
    history).  Elsewhere it changes nothing."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not stop
    ):
        yield
        return
    signal.signal(signal.SIGINT, _remember)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, stop)
