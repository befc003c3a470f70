"""Debian's Chromium driven by Playwright, for the browser tests of the app and the classroom.

:func:`launch` starts the browser (the tests are skipped without it, except under
``CI=true``, where a missing browser fails them); :class:`RecordingTab` is one browser
context (a device) with one page that records everything that goes wrong: requests that
would leave this machine (blocked: the apps must work without internet), failed responses,
console errors and uncaught page errors.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "LOCAL_HOSTS", "RecordingTab", "launch"]

CHROMIUM = "/usr/bin/chromium"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


@contextmanager
def launch() -> Iterator:
    """Chromium, headless, closed on leaving."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class RecordingTab:
    """One browser context with one page (not yet opened at any address), recording what
    goes wrong in ``offsite``, ``failed`` and ``errors``."""

    def __init__(self, browser, name: str, width: int, height: int):
        self.name = name
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.offsite: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page.on(
            "response", lambda r: self.failed.append(f"{r.url} {r.status}") if r.status >= 400 else None
        )

    def _route(self, route) -> None:
        parsed = urlparse(route.request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in LOCAL_HOSTS:
            self.offsite.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def wait_text(self, selector: str, pattern: str, timeout: float = 30) -> str:
        """The text of the first ``selector`` once it matches ``pattern``; fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            loc = self.page.locator(selector)
            if loc.count():
                text = loc.first.inner_text()
                if re.search(pattern, text):
                    return text
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: {selector}: {pattern!r} never appeared (last: {text!r})")
