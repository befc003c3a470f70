"""A page whose connection is renewed keeps its kernel: two fixes to how Solara serves it.

When a page's connection to the server drops and comes back (a Wi-Fi blip, a
laptop waking up, a server too busy to answer a ping in time), Solara keeps
the page's kernel, and with it the page's run or seat, for the hold (30 s in
the app, 10 minutes in the classroom), and the page connects to it again.  Two
things in Solara 1.58 lose the page all the same:

* **The page gives up after 500 ms.**  Once connected again, Solara's page
  script asks the server whether the page's app still runs there and waits
  500 ms for the answer.  A busy server (pages stepping their models), or a
  browser still drawing the frames queued before the answer, takes longer; the
  script then gives the page up for good: it shuts the kernel down (the run is
  lost) and asks for a reload.  :class:`PatientScript` serves the same script
  with that wait at :data:`PATIENCE_MS`.
* **A late goodbye from the old connection.**  Solara keeps one status per
  page, not per connection: when the server notices the old connection closed
  only after the new one has connected, the page is marked disconnected
  although its new connection is open, and its kernel is closed when the hold
  ends (and a second late goodbye raises in the server).
  :func:`count_connections` makes a page disconnected only when its last
  connection closes.

Both fix Solara's own behaviour for this server process only; should a Solara
release change what they fix, the script is served as it is and
:func:`patched_script` says why.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

__all__ = [
    "PATIENCE_MS",
    "SCRIPT_PATH",
    "PatientScript",
    "count_connections",
    "patched_script",
    "solara_script",
]

#: milliseconds a page whose connection came back waits for the server to say its app still runs
PATIENCE_MS = 15_000

#: where Solara's page loads its script from (below the server's root path)
SCRIPT_PATH = "/static/main-vuetify.js"

#: the wait as Solara 1.58 writes it
_WAIT = "setTimeout(() => reject(new Error('app-status timeout')), 500);"


def solara_script() -> Path:
    """The page script of the installed Solara (found without importing Solara)."""
    spec = importlib.util.find_spec("solara")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("solara is not installed")
    return Path(spec.submodule_search_locations[0]) / "server" / "static" / "main-vuetify.js"


def patched_script(source: str | None = None) -> tuple[bytes | None, str]:
    """Solara's page script (or ``source``) with the reconnect wait at :data:`PATIENCE_MS`,
    and what was done; None when the wait is not written as expected (nothing is changed then).

    >>> body, note = patched_script("a(); " + _WAIT + " b();")
    >>> b"15000);" in body, note
    (True, 'reconnect wait 500 ms -> 15000 ms')
    >>> patched_script("a();")
    (None, "Solara's page script has no 500 ms reconnect wait to lengthen (found 0)")
    """
    text = solara_script().read_text(encoding="utf-8") if source is None else source
    found = text.count(_WAIT)
    if found != 1:
        return None, f"Solara's page script has no 500 ms reconnect wait to lengthen (found {found})"
    patient = _WAIT.replace("), 500);", f"), {PATIENCE_MS});")
    return text.replace(_WAIT, patient).encode("utf-8"), f"reconnect wait 500 ms -> {PATIENCE_MS} ms"


class PatientScript:
    """An ASGI application: Solara's ``app`` with its page script served patched."""

    def __init__(self, app: Any):
        self.app = app
        self.body, self.note = patched_script()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (
            self.body is not None
            and scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"].removeprefix(scope.get("root_path", "")) == SCRIPT_PATH
        ):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/javascript; charset=utf-8"),
                        (b"content-length", str(len(self.body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": self.body if scope["method"] == "GET" else b""})
            return
        await self.app(scope, receive, send)


def count_connections() -> None:
    """Make Solara take a page as disconnected only when the last of its connections closes.

    Solara's ``VirtualKernelContext`` marks a page connected when a connection opens and
    disconnected when one closes; with an old connection and its replacement open at once
    (the server notices the old one closed late), the old one's goodbye marks the page
    disconnected while the new one is open.  Here each page's open connections are counted.
    Idempotent; for the server process that calls it.
    """
    from solara.server.kernel_context import PageStatus, VirtualKernelContext

    if getattr(VirtualKernelContext, "_givetake_counts_connections", False):
        return
    connect, disconnect = VirtualKernelContext.page_connect, VirtualKernelContext.page_disconnect

    def _open(context: Any) -> dict[str, int]:
        return context.__dict__.setdefault("_givetake_open_connections", {})

    def page_connect(self: Any, page_id: str) -> None:
        with self.lock:
            connect(self, page_id)  # raises for a closed kernel or page: nothing counted then
            _open(self)[page_id] = _open(self).get(page_id, 0) + 1

    def page_disconnect(self: Any, page_id: str) -> Any:
        with self.lock:
            open_ = _open(self)
            left = max(open_.get(page_id, 1) - 1, 0)
            open_[page_id] = left
            status = self.page_status.get(page_id)
            if status == PageStatus.CONNECTED and left > 0:
                return None  # another connection of this page is still open
            if status == PageStatus.DISCONNECTED:
                return None  # a goodbye after the last one
            return disconnect(self, page_id)

    VirtualKernelContext.page_connect = page_connect
    VirtualKernelContext.page_disconnect = page_disconnect
    VirtualKernelContext._givetake_counts_connections = True
