"""Memory of ``givetake app`` after pages whose browser crashed: is it handed back?

The server is started as a user would (``givetake app``), a real Chromium opens
pages on it and presses Play, and then the browser is killed (SIGKILL: no
unload, no goodbye, the way a crashed browser or a laptop that died goes).  The
server's resident memory (psutil) is read

- at the **baseline**: after a first page has been opened and closed, so the
  modules and caches every page needs once are loaded;
- with the **pages playing**;
- after the **freeing period**: once the server says no run is left in memory,
  and a few seconds more.

The server must notice the pages are gone within seconds (each stops playing:
its CPU use drops) and free their runs within a minute; the memory after
freeing should be within 10 % of the baseline.

    python benchmarks/bench_app_sessions.py              # 20 pages
    python benchmarks/bench_app_sessions.py --pages 5    # fewer
    python benchmarks/bench_app_sessions.py --quick      # 5 pages

Results are printed and written to ``benchmarks/results/app_sessions.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.app.local_server import LocalServer, ServerDidNotStart  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "app_sessions.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
FREE_WITHIN = 60.0


class Server(LocalServer):
    def __init__(self, max_sessions: int, log: Path):
        try:
            super().__init__("app", "--max-sessions", str(max_sessions), log=log, cwd=ROOT, timeout=120)
        except ServerDidNotStart as err:
            raise SystemExit(str(err)) from None
        self.ps = psutil.Process(self.proc.pid)

    def rss_mb(self) -> float:
        return self.ps.memory_info().rss / 2**20

    def status(self) -> str:
        lines = [x for x in self.lines() if re.search(r"pages? open", x)]
        return lines[-1] if lines else ""

    def wait_status(self, pattern: str, timeout: float) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if re.search(pattern, self.status()):
                return time.monotonic() - t0
            time.sleep(0.2)
        raise SystemExit(f"server never said {pattern!r} (last: {self.status()!r})")

    def stop(self) -> None:
        super().stop(15)


class Browser:
    """Chromium started by hand (so it can be killed like a crash), driven over CDP."""

    def __init__(self, playwright):
        self.proc = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_ARGS, "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for line in self.proc.stderr:
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                break
        else:
            raise SystemExit("Chromium did not start")
        self.cdp = playwright.chromium.connect_over_cdp(m.group(1))

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def open_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".gt-network-view svg circle", timeout=120_000)
    return page


def play(page) -> None:
    """Press Play (the click event itself: a pointer click waits for the page to be still, which
    a page among many playing ones on a loaded machine may not be for minutes)."""
    page.dispatch_event("button.gt-play", "click", timeout=180_000)


def week(page) -> int:
    """The page's week, or -1 while it shows none (reconnecting on a loaded machine)."""
    try:
        return int(page.inner_text(".gt-step-count", timeout=5_000))
    except Exception:
        return -1


def wait_weeks(pages, weeks: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    for page in pages:
        while week(page) < weeks and time.monotonic() < deadline:
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 pages")
    args = parser.parse_args()
    pages_n = 5 if args.quick else args.pages
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="givetake-bench-")) / "server.log"
    server = Server(max_sessions=max(pages_n, 1) + 5, log=log)
    out: dict = {"pages": pages_n, "machine": platform.machine(), "cpus": os.cpu_count()}
    try:
        with sync_playwright() as pw:
            out["rss_mb_started"] = round(server.rss_mb(), 1)
            # warm up: one page opened, played and closed, so the baseline holds what every page needs once
            warm = Browser(pw)
            page = open_page(warm.cdp, server.url)
            play(page)
            wait_weeks([page], 3)
            page.close(run_before_unload=True)
            warm.kill()
            server.wait_status(r"^givetake app: 0 pages open .* 0 runs in memory", 90)
            time.sleep(5)
            out["rss_mb_baseline"] = round(server.rss_mb(), 1)
            out["threads_baseline"] = server.ps.num_threads()
            out["load_average_at_baseline"] = round(os.getloadavg()[0], 2)

            crashing = Browser(pw)
            pages = [open_page(crashing.cdp, server.url) for _ in range(pages_n)]
            for page in pages:
                play(page)
            wait_weeks(pages, 3)
            out["status_playing"] = server.status()
            server.ps.cpu_percent()
            time.sleep(5)
            out["server_cpu_percent_playing"] = round(server.ps.cpu_percent(), 1)
            out["rss_mb_playing"] = round(server.rss_mb(), 1)
            out["threads_playing"] = server.ps.num_threads()
            out["load_average_playing"] = round(os.getloadavg()[0], 2)

            t0 = time.monotonic()
            crashing.kill()
            out["seconds_until_all_noticed"] = round(
                server.wait_status(r"\b(\d+) pages? open \(\1 without", 30), 1
            )
            out["load_average_noticed"] = round(os.getloadavg()[0], 2)
            server.ps.cpu_percent()
            time.sleep(5)
            out["server_cpu_percent_after_noticed"] = round(server.ps.cpu_percent(), 1)
            server.wait_status(r"0 pages open .* 0 runs in memory", FREE_WITHIN + 30)
            out["seconds_until_freed"] = round(time.monotonic() - t0, 1)
            out["load_average_freed"] = round(os.getloadavg()[0], 2)
            time.sleep(5)
            out["rss_mb_after_freeing"] = round(server.rss_mb(), 1)
            out["threads_after_freeing"] = server.ps.num_threads()
            out["load_average_after"] = round(os.getloadavg()[0], 2)
    finally:
        server.stop()
    out["after_vs_baseline"] = round(out["rss_mb_after_freeing"] / out["rss_mb_baseline"] - 1, 4)
    out["freed_within_a_minute"] = out["seconds_until_freed"] <= FREE_WITHIN
    out["memory_back_within_10_percent"] = abs(out["after_vs_baseline"]) <= 0.10
    print(
        f"{pages_n} pages: RSS {out['rss_mb_baseline']} MB at the baseline, {out['rss_mb_playing']} MB playing "
        f"(server CPU {out['server_cpu_percent_playing']} %), browser killed: all noticed in "
        f"{out['seconds_until_all_noticed']} s (CPU then {out['server_cpu_percent_after_noticed']} %), freed in "
        f"{out['seconds_until_freed']} s, RSS after {out['rss_mb_after_freeing']} MB "
        f"({out['after_vs_baseline']:+.1%} of the baseline); server threads {out['threads_baseline']} at the "
        f"baseline, {out['threads_playing']} playing, {out['threads_after_freeing']} after; load average "
        f"{out['load_average_at_baseline']} / {out['load_average_playing']} / {out['load_average_after']}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    return 0 if out["freed_within_a_minute"] and out["memory_back_within_10_percent"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
