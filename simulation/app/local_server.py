"""``givetake app`` or ``givetake classroom`` in a process of its own on a free port of this
machine, waited for until it answers: how the browser tests and the benchmarks start the
server, as a user would from a terminal.

Examples
--------
>>> 0 < free_port() < 65536
True
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

__all__ = ["LocalServer", "ServerDidNotStart", "free_port"]


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerDidNotStart(RuntimeError):
    """The server stopped, or did not answer in time; the message names its log."""


class LocalServer:
    """``givetake COMMAND --port PORT ARGS`` on a free port, its output in ``log``.

    Returns once a request for ``ready_path`` is answered; raises :class:`ServerDidNotStart`
    (after stopping it) if the process ends or ``timeout`` seconds pass first.
    ``url`` is the server's address, ``port`` its port, ``proc`` its process.
    """

    def __init__(
        self,
        command: str,
        *args: str,
        log: Path,
        ready_path: str = "/",
        cwd: Path | str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 90.0,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = Path(log)
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulation.cli", command, "--port", str(self.port), *args],
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        ready = self.url + ready_path.lstrip("/")
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(ready, timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise ServerDidNotStart(
                        f"givetake {command} did not start; see {self.log_path}"
                    ) from None
                time.sleep(0.3)

    def lines(self) -> list[str]:
        """What the server has printed so far."""
        return self.log_path.read_text().splitlines()

    def environ(self) -> dict[str, str]:
        """The environment the server runs in (Linux: ``/proc``)."""
        raw = Path(f"/proc/{self.proc.pid}/environ").read_bytes().decode(errors="replace")
        return dict(x.split("=", 1) for x in raw.split("\0") if "=" in x)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to stop; kill it after ``timeout`` seconds."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
