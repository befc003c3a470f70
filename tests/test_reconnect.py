"""What the app's server changes in Solara so that a page whose connection is renewed keeps
its kernel (``simulation/app/reconnect.py``); the pages themselves are tested in a real
browser in ``test_app_browser.py`` and ``test_classroom_browser.py``."""

from __future__ import annotations

import json
import uuid

from ipywidgets import Widget
from solara.server import kernel, kernel_context
from solara.server import kernel as solara_kernel
from solara.server.kernel_context import PageStatus

from simulation.app.reconnect import (
    PATIENCE_MS,
    count_connections,
    hold_renewed_connections,
    patched_script,
    solara_script,
)


def test_solaras_page_script_is_served_with_a_patient_reconnect_and_nothing_else_changed():
    original = solara_script().read_text(encoding="utf-8")
    body, note = patched_script()
    assert body is not None, note  # a Solara release that words the wait differently fails here
    patched = body.decode("utf-8")
    assert f"new Error('app-status timeout')), {PATIENCE_MS});" in patched
    assert patched.replace(f"), {PATIENCE_MS});", "), 500);") == original


def _page_context() -> kernel_context.VirtualKernelContext:
    """A page's kernel context as Solara's server makes one, in a browser session of its own."""
    return kernel_context.VirtualKernelContext(
        id=str(uuid.uuid4()),
        kernel=kernel.Kernel(),
        session_id="a-browser",
        control_sockets=[],
        widgets={},
        templates={},
    )


def test_a_page_is_without_a_connection_only_when_its_last_connection_closes():
    count_connections()
    context = _page_context()
    try:
        context.page_connect("page")  # the page's first connection
        context.page_connect("page")  # its new one, before the server noticed the first closed
        context.page_disconnect("page")  # the first one's late goodbye
        assert context.page_status["page"] == PageStatus.CONNECTED
        context.page_disconnect("page")  # the new one closes too
        assert context.page_status["page"] == PageStatus.DISCONNECTED
        context.page_disconnect("page")  # a goodbye after the last: nothing raises
        assert context.page_status["page"] == PageStatus.DISCONNECTED
        context.page_connect("page")  # back
        assert context.page_status["page"] == PageStatus.CONNECTED
    finally:  # the cull the last disconnection scheduled (a server would close the kernel then)
        if context._last_kernel_cull_future is not None:
            context._last_kernel_cull_future.cancel()


class _Connection:
    """A page's connection as Solara's kernel sends to it: what it was sent."""

    def __init__(self):
        self.sent: list[str] = []

    def send(self, message) -> None:
        self.sent.append(message)


class _ControlComm:
    def __init__(self):
        self.sent: list[dict] = []

    def send(self, data, buffers=None) -> None:
        self.sent.append(data)


def _comm_msg(comm_id: str) -> str:
    return json.dumps({"header": {"msg_type": "comm_msg"}, "content": {"comm_id": comm_id, "data": {}}})


def test_a_renewed_connection_gets_the_pages_widgets_only_from_the_state_it_asked_for(monkeypatch):
    hold_renewed_connections()
    widget = Widget()  # a widget of the page (created in no kernel context: kept out of it below)
    context = _page_context()
    # Solara's server makes each context's kernel the current one (not patched in this process)
    monkeypatch.setattr(kernel.Kernel, "instance", classmethod(lambda cls, *a, **k: context.kernel))
    first, renewed = _Connection(), _Connection()
    try:
        kernel_context._wire_kernel_streams(context, first)  # the page's first connection
        context.widgets[widget.model_id] = widget  # the page is drawn; its connection is renewed
        kernel_context._wire_kernel_streams(context, renewed)
        sockets = {first, renewed}
        assert renewed in context.kernel.session.websockets
        status = json.dumps({"header": {"msg_type": "status"}, "content": {"execution_state": "busy"}})
        opened = json.dumps(
            {"header": {"msg_type": "comm_open"}, "content": {"target_name": "jupyter.widget"}}
        )
        for message in (status, _comm_msg(widget.model_id), opened, _comm_msg("the-pages-own-comm")):
            solara_kernel.send_websockets(sockets, message)
        # the renewed connection got neither the widget's change nor the new widget; the other
        # messages, and everything on a connection that is not held, went through
        assert renewed.sent == [status, _comm_msg("the-pages-own-comm")]
        assert len(first.sent) == 4
        # the page asks for the state of every widget: answered, and the hold ends
        control = Widget._control_comm = _ControlComm()
        with context:
            Widget._handle_control_comm_msg({"content": {"data": {"method": "request_states"}}})
        assert control.sent[0]["method"] == "update_states" and widget.model_id in control.sent[0]["states"]
        solara_kernel.send_websockets(sockets, _comm_msg(widget.model_id))
        assert renewed.sent[-1] == _comm_msg(widget.model_id)
    finally:
        Widget._control_comm = None
        widget.close()
        context.kernel.session.websockets.clear()
