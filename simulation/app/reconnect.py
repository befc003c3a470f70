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

* **A renewed connection that joins a redraw half-way.**  Solara sends what a
  page's widgets do to the page's connections open at the moment; what it sent
  while the page had none is lost, and the page asks for the state of every
  widget once connected again.  When the new connection reaches the server while
  the page is being redrawn (a click that arrived just before the drop), it
  gets the end of the redraw without its start: a widget whose children were
  created before it connected cannot be built (``widget model not found``), and
  the page shows an error instead of itself until it is reloaded.
  :func:`hold_renewed_connections` sends a renewed connection nothing of the
  page's widgets until the page has asked for their state, and answers that
  request between two redraws.

All three fix Solara's own behaviour for this server process only; should a Solara
release change what the first fixes, the script is served as it is and
:func:`patched_script` says why.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
import time
import weakref
from pathlib import Path
from typing import Any

__all__ = [
    "HOLD_SECONDS",
    "PATIENCE_MS",
    "SCRIPT_PATH",
    "PatientScript",
    "count_connections",
    "hold_renewed_connections",
    "patched_script",
    "solara_script",
    "widget_message",
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


#: seconds at most a renewed connection is sent nothing of the page's widgets while the page
#: has not asked for their state (Solara's page asks at once; this bounds a page that never does)
HOLD_SECONDS = 60.0

#: renewed connections not yet sent the page's widgets -> (the page's kernel context, until
#: when); weak both ways, so that a connection or a page gone is not kept by its hold
_held: weakref.WeakKeyDictionary[Any, tuple[weakref.ref, float]] = weakref.WeakKeyDictionary()
_held_lock = threading.Lock()


def widget_message(wire: str | bytes, widgets: dict) -> bool:
    """Whether a message as Solara sends it (JSON text, or Jupyter's binary framing with the
    message first) creates one of the page's widgets or changes one of ``widgets``, the page's
    widgets by id.  Closing a widget, and messages of the page's own comms, are not.

    >>> widget_message('{"header": {"msg_type": "comm_open"}, "content": {"target_name": "jupyter.widget"}}', {})
    True
    >>> widget_message('{"header": {"msg_type": "comm_msg"}, "content": {"comm_id": "a"}}', {"a": 1})
    True
    >>> widget_message('{"header": {"msg_type": "comm_msg"}, "content": {"comm_id": "control"}}', {"a": 1})
    False
    >>> widget_message('{"header": {"msg_type": "status"}, "content": {}}', {"a": 1})
    False
    """
    if isinstance(wire, (bytes, bytearray, memoryview)):
        wire = bytes(wire)
        parts = struct.unpack("!I", wire[:4])[0]
        offsets = struct.unpack("!" + "I" * parts, wire[4 : 4 * (parts + 1)])
        wire = wire[offsets[0] : offsets[1] if parts > 1 else None]
    msg = json.loads(wire)
    kind, content = msg.get("header", {}).get("msg_type"), msg.get("content", {})
    if kind == "comm_open":
        return content.get("target_name") == "jupyter.widget"
    return kind == "comm_msg" and content.get("comm_id") in widgets


def _widget_message_or_not(wire: Any, widgets: dict) -> bool:
    """:func:`widget_message`, False for a message it cannot read (sent as it is, then)."""
    try:
        return widget_message(wire, widgets)
    except (ValueError, TypeError, AttributeError, struct.error):
        return False


def _release(context: Any) -> None:
    with _held_lock:
        for ws in [ws for ws, (held_for, _) in _held.items() if held_for() in (context, None)]:
            del _held[ws]


def _render_what_waited(render_context: Any) -> None:
    """Render what was asked for while the render lock was held here: reacton leaves a render
    asked for by another thread to the thread holding the lock, and renders it after releasing
    the lock itself (``_RenderContext.render``); this thread does the same."""
    if (
        getattr(render_context, "_rerender_needed", False)
        and not getattr(render_context, "_is_rendering", True)
        and not getattr(render_context, "_closing", True)
        and render_context._batch_counter.current() == 0
    ):
        render_context.render()


def hold_renewed_connections() -> None:
    """Send a page's renewed connection nothing of its widgets until the page has asked for
    their state, and answer that request between two redraws of the page.

    A connection is renewed when it reaches a kernel that already has widgets (Solara's
    ``initialize_virtual_kernel`` reuses it).  Until the page's ``request_states`` (its
    ``fetchAll`` once connected again) is answered, or :data:`HOLD_SECONDS` have passed, the
    widget messages Solara sends to that connection are dropped as they would have been
    without it; every other message (status, replies, the page's own comms) goes through.
    The request is answered holding the page's render lock (reacton's), so the state sent is
    that of a finished redraw and everything after it reaches the page.  Idempotent; for the
    server process that calls it.
    """
    from ipywidgets import Widget
    from solara.server import kernel as solara_kernel
    from solara.server import kernel_context

    if getattr(kernel_context, "_givetake_holds_renewed", False):
        return
    wire_streams = kernel_context._wire_kernel_streams
    send_websockets = solara_kernel.send_websockets
    handle_control = Widget._handle_control_comm_msg.__func__

    def _wire_kernel_streams(context: Any, websocket: Any) -> None:
        if context.widgets:  # the page has widgets: this connection renews its connection
            with _held_lock:
                now = time.monotonic()
                for ws in [
                    ws for ws, (held_for, until) in _held.items() if until < now or held_for() is None
                ]:
                    del _held[ws]
                _held[websocket] = (weakref.ref(context), now + HOLD_SECONDS)
        wire_streams(context, websocket)

    def _send_websockets(websockets: Any, binary_msg: Any) -> None:
        if not _held:
            return send_websockets(websockets, binary_msg)
        now, skip = time.monotonic(), set()
        with _held_lock:
            holds = [(ws, _held[ws]) for ws in list(websockets) if ws in _held]
        for ws, (held_for, until) in holds:
            context = held_for()
            if until < now or context is None:
                with _held_lock:
                    _held.pop(ws, None)
            elif _widget_message_or_not(binary_msg, context.widgets):
                skip.add(ws)
        if not skip:
            return send_websockets(websockets, binary_msg)
        targets = {ws for ws in list(websockets) if ws not in skip}
        send_websockets(targets, binary_msg)
        for ws in list(websockets):  # those Solara dropped as closed while sending
            if ws not in skip and ws not in targets:
                websockets.discard(ws)
        return None

    def _handle_control_comm_msg(cls: Any, msg: dict) -> Any:
        if msg.get("content", {}).get("data", {}).get("method") != "request_states":
            return handle_control(cls, msg)
        try:
            context = kernel_context.get_current_context()
        except Exception:  # no kernel context: not on a server
            return handle_control(cls, msg)
        lock = getattr(context.app_object, "thread_lock", None)
        # a redraw started elsewhere (a page's own thread) finishes first; one waiting on what
        # this thread holds would wait for ever, hence the bound
        locked = lock is not None and lock.acquire(timeout=10)
        try:
            result = handle_control(cls, msg)
            _release(context)
        finally:
            if locked:
                lock.release()
        if locked:
            _render_what_waited(context.app_object)
        return result

    kernel_context._wire_kernel_streams = _wire_kernel_streams
    solara_kernel.send_websockets = _send_websockets
    Widget._handle_control_comm_msg = classmethod(_handle_control_comm_msg)
    kernel_context._givetake_holds_renewed = True
