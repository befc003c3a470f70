"""What the app's server changes in Solara so that a page whose connection is renewed keeps
its kernel (``simulation/app/reconnect.py``); the pages themselves are tested in a real
browser in ``test_app_browser.py`` and ``test_classroom_browser.py``."""

from __future__ import annotations

import uuid

from solara.server import kernel, kernel_context
from solara.server.kernel_context import PageStatus

from simulation.app.reconnect import PATIENCE_MS, count_connections, patched_script, solara_script


def test_solaras_page_script_is_served_with_a_patient_reconnect_and_nothing_else_changed():
    original = solara_script().read_text(encoding="utf-8")
    body, note = patched_script()
    assert body is not None, note  # a Solara release that words the wait differently fails here
    patched = body.decode("utf-8")
    assert f"new Error('app-status timeout')), {PATIENCE_MS});" in patched
    assert patched.replace(f"), {PATIENCE_MS});", "), 500);") == original


def test_a_page_is_without_a_connection_only_when_its_last_connection_closes():
    count_connections()
    context = kernel_context.VirtualKernelContext(
        id=str(uuid.uuid4()),
        kernel=kernel.Kernel(),
        session_id="a-browser",
        control_sockets=[],
        widgets={},
        templates={},
    )
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
