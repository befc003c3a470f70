"""Ctrl-C that is not lost.

Python turns Ctrl-C into a :class:`KeyboardInterrupt` raised wherever the main thread happens to
be.  Where that is a weakref callback or a ``__del__`` (pyabc and SQLAlchemy run many), Python
prints the exception and carries on, and a long calibration or sweep would run to its end as if
no one had asked it to stop.  While :func:`recorded` is active, Ctrl-C (and whatever else
:func:`stop` is installed for, such as a batch system's SIGTERM) is also remembered, and
:func:`check`, called between units of work (a generation, a particle, a run), raises it again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_requested = False


def stop(signum, frame) -> None:
    """A signal handler: remember the request to stop, and raise it as Ctrl-C does."""
    global _requested
    _requested = True
    raise KeyboardInterrupt


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if a request to stop came and was swallowed."""
    if _requested:
        raise KeyboardInterrupt


@contextmanager
def recorded() -> Iterator[None]:
    """Remember Ctrl-C while inside (main thread only; an ignored Ctrl-C stays ignored)."""
    global _requested
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _requested = False
