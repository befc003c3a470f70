"""The classroom app in a real browser: Debian's Chromium driven by Playwright against
``givetake app`` served on a free localhost port.

Every request the page makes is recorded; anything that would leave this machine
is blocked and fails the test (the app must work in a classroom without
internet), as do failed responses, console errors and uncaught page errors.
Screenshots go to ``test-artifacts/app/``.  Without Chromium the tests are
skipped, except under ``CI=true``, where a missing browser fails the suite.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import chromium
import pytest
from chromium import RecordingTab
from relay import Relay

from simulation.app.local_server import LocalServer, ServerDidNotStart
from simulation.app.session import ALL_MEMBERS
from simulation.style_colours import style_colour

# the tests on the shared ``server`` (one Solara server per test process) are meant to go to
# one worker together (``--dist loadgroup``); a test that starts a server of its own is a
# group of its own, so that the long ones run beside the others, not after them.  (With
# pytest 9.2 and pytest-xdist 3.8 the groups are not honoured: xdist marks a test's group in
# a node id pytest no longer reads, and every test goes to any worker, each worker starting
# the shared server when it first needs it.)
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("app-browser")]

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "app"


@pytest.fixture(scope="module")
def browser():
    with chromium.launch() as b:
        yield b


class AppServer(LocalServer):
    """``givetake app ARGS`` on a free port, its output in ``test-artifacts/app/server-NAME.log``."""

    def __init__(self, name: str, *args: str):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            super().__init__("app", *args, log=ARTIFACTS / f"server-{name}.log", cwd=ROOT)
        except ServerDidNotStart as err:
            pytest.fail(str(err))

    def mark(self) -> int:
        """A place in the log: ``wait_line(since=mark)`` looks only at lines written after it."""
        return len(self.lines())

    def wait_line(self, pattern: str, timeout: float, count: int = 1, since: int = 0) -> float:
        """Seconds until ``count`` lines of the log after line ``since`` match ``pattern``
        (fails after ``timeout``)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if sum(bool(re.search(pattern, line)) for line in self.lines()[since:]) >= count:
                return time.monotonic() - t0
            time.sleep(0.25)
        tail = "\n".join(self.lines()[-5:])
        raise AssertionError(f"no {count} lines {pattern!r} within {timeout} s; last lines:\n{tail}")


@pytest.fixture(scope="module")
def server():
    """``givetake app`` on a free port (one server per test process)."""
    app = AppServer(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    yield app.url
    app.stop()


class Tab(RecordingTab):
    """One browser tab on the app, recording everything that goes wrong."""

    def __init__(
        self,
        browser,
        url: str,
        name: str,
        height: int = 1700,
        wait_for: str = ".gt-network-view svg circle",
        wait: bool = True,
    ):
        """``wait=False``: return once the page starts loading, and call :meth:`ready` later
        (several pages load side by side, as on several devices)."""
        super().__init__(browser, name, 1400, height)
        self.wait_for = wait_for
        self.page.goto(url, wait_until="load" if wait else "commit")
        if wait:
            self.ready()

    def ready(self) -> None:
        """Wait for the page to be drawn (``wait_for``)."""
        self.page.wait_for_selector(self.wait_for, timeout=45_000)

    # -- reading the page ------------------------------------------------------
    def week(self) -> int:
        return int(self.page.inner_text(".gt-step-count"))

    def members(self) -> int:
        return int(self.page.inner_text(".gt-members"))

    def network(self) -> str:
        return self.page.inner_html(".gt-network-view")

    def wait_week(self, predicate, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            week = self.week()
            if predicate(week):
                return week
            time.sleep(0.1)
        raise AssertionError(f"week stayed at {self.week()}")

    def step(self, weeks: int, timeout: float = 60) -> None:
        """Press Step ``weeks`` times, each time waiting for the week to move on (a press
        made while the page is being redrawn would otherwise be lost on a busy machine)."""
        for _ in range(weeks):
            start = self.week()
            self.page.click("button.gt-step")
            self.wait_week(lambda w, start=start: w > start, timeout)

    def stable_week(self, timeout: float = 15) -> int:
        """The week once it stops changing (frames already sent may still arrive)."""
        deadline = time.monotonic() + timeout
        last = self.week()
        while time.monotonic() < deadline:
            time.sleep(0.4)
            now = self.week()
            if now == last:
                return now
            last = now
        raise AssertionError(f"the week kept changing after pause (now {last})")

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the drop-down labelled ``label``."""
        self.page.locator(".v-select", has=self.page.locator("label", has_text=label)).first.click()
        self.page.locator(".v-select__content .v-list-item", has_text=option).first.click()

    def visible_member(self) -> tuple[float, float, str]:
        """The centre of a member's circle that no other circle covers, and its slot."""
        circles = self.page.locator(".gt-network-view svg circle[data-slot]")
        for i in range(min(circles.count(), 40)):
            box = circles.nth(i).bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            on_top = self.page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y).getAttribute('data-slot')", [x, y]
            )
            if on_top == circles.nth(i).get_attribute("data-slot"):
                return x, y, on_top
        raise AssertionError("every member is covered by another")

    def shot(self, what: str, full_page: bool = True) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{what}.png"), full_page=full_page)

    def check_clean(self) -> None:
        assert not self.offsite, f"requests off this machine: {self.offsite}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.errors, f"console errors: {self.errors}"
        body = self.page.inner_text("body")
        assert "Traceback" not in body

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_tab(browser, server, request):
    tabs: list[Tab] = []

    def open_(suffix: str = "", height: int = 1700) -> Tab:
        tab = Tab(browser, server, request.node.name.removeprefix("test_") + suffix, height)
        tabs.append(tab)
        return tab

    yield open_
    try:
        for tab in tabs:
            tab.check_clean()
    finally:
        for tab in tabs:
            tab.close()


def _drawn_charts(tab: Tab) -> list[int]:
    """Points drawn in each live chart, once it has a visible size."""
    charts = tab.page.locator("svg.gt-chart")
    out = []
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["height"] > 80 and box["width"] > 200
        out.append(int(charts.nth(i).get_attribute("data-points")))
    return out


def test_page_loads_offline_and_play_advances_the_week_and_changes_the_picture(open_tab):
    tab = open_tab()
    assert tab.week() == 0
    assert tab.page.locator(".gt-network-view svg circle[data-slot]").count() == tab.members() > 0
    points = _drawn_charts(tab)
    assert len(points) == 4 and points[0] > 0 and points[1] > 0  # fulfilment starts in week 1
    # the front-end really rendered: buttons and sliders came from the local assets
    assert tab.page.locator("button.gt-play").is_visible()
    assert tab.page.locator(".v-slider").count() > 3
    tab.shot("start")
    before = tab.network()
    tab.page.click("button.gt-play")
    tab.wait_week(lambda w: w >= 4)
    tab.page.click("button.gt-play")  # pause
    tab.page.locator("button.gt-play", has_text="Play").wait_for()
    paused = tab.stable_week()
    time.sleep(1.0)
    assert tab.week() == paused
    assert tab.network() != before
    points = _drawn_charts(tab)
    assert points[0] > 4 and all(p > 0 for p in points)
    tab.shot("playing")


def test_a_slider_change_then_reset_changes_the_population(open_tab):
    tab = open_tab()
    assert tab.members() > 10
    size = tab.page.locator(".v-input.v-slider", has_text="size:").first
    size.locator(".v-slider-thumb").focus()
    tab.page.keyboard.press("Home")  # the smallest population
    tab.wait_text(".gt-info", "press Reset")
    tab.page.click("button.gt-reset")
    tab.wait_text(".gt-members", r"^10$")
    assert tab.page.locator(".gt-network-view svg circle[data-slot]").count() == 10
    # an impossible mix is a message in the page, not a traceback, and the run stays
    taker = tab.page.locator(".v-input.v-slider", has_text="taker share").first
    taker.locator(".v-slider-thumb").focus()
    tab.page.keyboard.press("End")
    tab.wait_text(".gt-error", "shares must sum to 1")
    tab.page.click("button.gt-reset")
    assert tab.members() == 10
    tab.shot("invalid-mix")
    tab.page.click("button.gt-rescale")
    tab.page.wait_for_selector(".gt-error", state="detached")


def test_switching_scenario_works_and_a_lesson_loads_its_scenario_and_a_click_inspects(open_tab):
    tab = open_tab()
    tab.choose("Scenario", "referral_group")
    tab.wait_text(".gt-note", "referral group")
    # the style's colour chip: the colour of its line in the report's figures
    chip = tab.page.locator(".gt-note .gt-style-chip").first
    assert chip.evaluate("e => getComputedStyle(e).backgroundColor") == _rgb(style_colour("referral_group"))
    style = tab.page.locator("button.gt-group", has_text="Networking style")
    style.first.wait_for(timeout=10_000)  # the settings may arrive a moment after the description
    assert style.count() == 1
    assert tab.week() == 0
    tab.page.click("button.gt-step")
    tab.wait_week(lambda w: w == 1)
    tab.shot("referral-group")

    tab.choose("Lesson", "Users and abusers")
    tab.wait_text(".gt-lesson", "drains the community")
    scenario = tab.page.locator(".v-select", has=tab.page.locator("label", has_text="Scenario")).first
    assert "taker_invasion" in scenario.inner_text()
    assert tab.week() == 0 and tab.members() == 200
    x, y, slot = tab.visible_member()
    tab.page.mouse.click(x, y)
    text = tab.wait_text(".gt-inspected", f"Member #{slot}")
    assert re.search(r"giver|matcher|taker|connector", text)
    assert tab.page.locator(".gt-pick input").input_value() == str(slot)  # the box follows the click
    # the longer week line ("inspecting #…") leaves the colour toggle whole, inside its panel
    toggle = tab.page.locator(".gt-network-panel .v-btn", has_text="ecosystem").first.bounding_box()
    panel = tab.page.locator(".gt-network-panel").bounding_box()
    assert toggle["x"] + toggle["width"] <= panel["x"] + panel["width"]
    tab.page.locator(".gt-inspector svg.gt-chart").nth(1).wait_for(timeout=10_000)
    assert tab.page.locator(".gt-inspector svg.gt-chart").count() == 2  # trust and wealth over time
    tab.shot("lesson-inspector")


def test_the_scenario_a_lesson_compares_with_runs_at_the_lessons_size_and_the_lesson_stays(open_tab):
    """*Structure versus no structure* says: keep the seed, pick referral_group, compare. Its
    claim is about a referral group of the same size (200 members), and the student still needs
    the lesson's text to know what to compare; another scenario leaves the lesson."""
    tab = open_tab()
    tab.choose("Lesson", "Structure versus")
    tab.wait_text(".gt-lesson", "structure protects")
    assert tab.members() == 200
    tab.choose("Scenario", "referral_group")
    tab.wait_text(".gt-controls", "structured referral group")  # its description
    assert tab.week() == 0 and tab.members() == 200
    assert tab.page.locator(".gt-seed input").input_value() == "1"
    assert "structure protects" in tab.page.inner_text(".gt-lesson")
    tab.shot("structure-then-referral-group")
    tab.choose("Scenario", "paid_events")
    tab.wait_text(".gt-controls", "Pay-to-attend")
    tab.page.locator(".gt-lesson").wait_for(state="detached")


def test_a_loaded_lesson_says_where_its_text_is_and_the_link_shows_it(open_tab):
    """At 1400x900 the lesson's text is below the fold: a first-time student who picks a lesson
    sees, beside the picker, where to read what to watch for, and one click brings it into view."""
    tab = open_tab(height=900)
    assert tab.page.locator(".gt-lesson-hint").count() == 0  # no lesson, no hint
    tab.choose("Lesson", "You reap")
    tab.wait_text(".gt-lesson", "giving pays")
    lesson = tab.page.locator(".gt-lesson")
    box = lesson.bounding_box()
    assert box["y"] + box["height"] > 900 + 200  # mostly below the fold
    hint = tab.page.locator(".gt-lesson-hint")
    assert hint.is_visible() and hint.bounding_box()["y"] + hint.bounding_box()["height"] < 900
    hint.locator("a").click()
    tab.page.wait_for_function(
        "() => { const r = document.querySelector('.gt-lesson').getBoundingClientRect();"
        " return r.top >= 0 && r.top < 200; }",
        timeout=5_000,
    )
    tab.shot("lesson-in-view", full_page=False)


def test_the_sliders_show_the_mix_of_the_scenario_in_use_after_a_lesson_change(open_tab):
    """Two lessons with the same settings on the page (200 members): the second one's sliders
    showed the first one's strategy shares (connectors' 0.25 in *Relationships or numbers?*,
    whose scenario has 0.1)."""
    from simulation.app.lessons import LESSONS
    from simulation.scenario_files import load_scenario
    from simulation.strategies import label

    tab = open_tab()
    for key in ("connectors", "relationships_take_work"):
        lesson = LESSONS[key]
        tab.choose("Lesson", lesson.title)
        tab.wait_text(".gt-lesson", re.escape(lesson.title))
        scenario = tab.page.locator(".v-select", has=tab.page.locator("label", has_text="Scenario")).first
        assert lesson.scenario in scenario.inner_text()
        time.sleep(1)  # the settings may arrive a moment after the lesson
        text = tab.page.inner_text(".gt-settings")
        shown = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\S.*?) share: ([\d.]+)$", text, re.M)}
        mix = load_scenario(lesson.scenario).mix
        assert {label(s): shown.get(label(s)) for s in mix} == {label(s): v for s, v in mix.items()}, key


def test_two_tabs_keep_separate_models(open_tab):
    a = open_tab("-a")
    b = open_tab("-b")
    a_members = a.members()
    for _ in range(3):
        a.page.click("button.gt-step")
    a.wait_week(lambda w: w == 3)
    size = b.page.locator(".v-input.v-slider", has_text="size:").first
    size.locator(".v-slider-thumb").focus()
    b.page.keyboard.press("Home")
    b.page.click("button.gt-reset")
    b.wait_text(".gt-members", r"^10$")
    assert b.week() == 0
    # b's smaller population did not reach a, whose run went on from its own start
    assert a_members > 10 and a.week() == 3 and a.members() > 10
    a.shot("stepped")
    b.shot("reset")


def _rgb(hex_colour: str) -> str:
    """``#rrggbb`` as the browser's computed ``rgb(r, g, b)``."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _legend_of(chart) -> list[tuple[str, str]]:
    """(name, colour) of each entry in a chart's own legend."""
    items = chart.locator("g.gt-legend g.gt-legend-item")
    return [
        (items.nth(i).locator("text").text_content(), items.nth(i).get_attribute("data-colour"))
        for i in range(items.count())
    ]


def test_at_1400_by_900_the_network_and_the_charts_with_their_legends_are_in_view(open_tab):
    from simulation.scenario_files import load_scenario
    from simulation.strategies import BUILTIN, colour, label

    tab = open_tab(height=900)
    tab.step(3)
    network = tab.page.locator(".gt-network-view svg").bounding_box()
    assert network["width"] > 380 and network["y"] + network["height"] <= 900
    charts = tab.page.locator("svg.gt-chart")
    assert charts.count() == 4
    for i in range(4):
        chart = charts.nth(i)
        box = chart.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900, f"chart {i} is not above the fold: {box}"
        assert box["x"] >= network["x"] + network["width"]  # beside the network, not below it
        legend = _legend_of(chart)
        assert legend and all(
            chart.locator("g.gt-legend-item").nth(j).is_visible() for j in range(len(legend))
        )
        # every line drawn is named in the legend, in its colour
        lines = chart.locator("polyline")
        drawn = {
            (lines.nth(j).locator("title").text_content(), lines.nth(j).get_attribute("stroke"))
            for j in range(lines.count())
        }
        assert drawn <= set(legend)
    # the strategies in the colours of the strategy registry, as in the report
    members = _legend_of(charts.nth(0))
    mix = load_scenario("open_mixer").mix
    shown = [s for s in BUILTIN if mix.get(s, 0) > 0]
    assert members == [(label(s), colour(s)) for s in shown]
    # the wealth chart adds all members' mean wealth, the one dashed line, for the lessons that
    # compare a strategy with the average member
    wealth = tab.page.locator(".gt-chart-wealth svg.gt-chart")
    assert _legend_of(wealth) == [*members, (ALL_MEMBERS, "#000000")]
    dashed = wealth.locator("polyline[stroke-dasharray]")
    assert dashed.count() == 1 and dashed.locator("title").text_content() == ALL_MEMBERS
    tab.shot("1400x900", full_page=False)


def test_the_controls_keep_their_width_and_their_buttons_once_the_verdict_shows(open_tab):
    """At 1400x900 the verdict's line of figures (from week 10, the weeks it pools) must not
    squeeze the controls: a class saw the Reset button stick out of its panel, and the page
    jump sideways."""
    tab = open_tab(height=900)
    panel = tab.page.locator(".gt-controls")
    before = panel.bounding_box()
    tab.step(2)
    tab.wait_text(".gt-verdict", "Too early to judge")
    tab.step(8)
    tab.wait_text(".gt-verdict", "So far this network looks")
    after = panel.bounding_box()
    assert abs(after["width"] - before["width"]) < 1, (before, after)
    for button in ("gt-play", "gt-step", "gt-reset"):
        box = tab.page.locator(f"button.{button}").bounding_box()
        assert after["x"] <= box["x"] and box["x"] + box["width"] <= after["x"] + after["width"], button
    tab.shot("controls-with-verdict", full_page=False)


def test_the_relationships_lesson_shows_builders_against_collectors(open_tab):
    """Its claim compares collectors with builders, a habit independent of the strategy: the
    page has to show the two groups, in the charts and in the inspector."""
    tab = open_tab()
    tab.choose("Lesson", "Relationships or numbers")
    tab.wait_text(".gt-lesson", "numbers win")
    tab.step(3)
    for name, what in (("habits", "needs met"), ("habits_wealth", "mean wealth")):
        chart = tab.page.locator(f".gt-chart-{name} svg.gt-chart")
        assert [n for n, _ in _legend_of(chart)] == [f"builders, {what}", f"collectors, {what}"]
        assert int(chart.get_attribute("data-points")) > 0
    x, y, slot = tab.visible_member()
    tab.page.mouse.click(x, y)
    tab.wait_text(".gt-inspected", f"Member #{slot}")
    assert re.match(r"(builder|collector): ", tab.page.inner_text(".gt-habit"))
    tab.shot("habits")


def test_the_largest_ecosystems_on_screen_have_distinct_colours(open_tab):
    tab = open_tab(height=900)
    tab.choose("Scenario", "referral_group")
    tab.wait_text(".gt-note", "referral group")
    tab.page.locator(".v-btn", has_text="ecosystem").first.click()
    tab.step(16)  # chapters have formed and the picture has followed them
    circles = tab.page.locator(".gt-network-view svg circle[data-eco]")
    fills: dict[str, set[str]] = {}
    for eco, fill in circles.evaluate_all("cs => cs.map(c => [c.dataset.eco, c.getAttribute('fill')])"):
        fills.setdefault(eco, set()).add(fill)
    sizes = {eco: 0 for eco in fills}
    for eco in circles.evaluate_all("cs => cs.map(c => c.dataset.eco)"):
        sizes[eco] += 1
    ranked = [e for e in sorted(sizes, key=lambda e: -sizes[e]) if e != "-1"]
    top = ranked[:12]
    assert len(top) >= 10 and all(len(fills[e]) == 1 for e in top)
    colours = [next(iter(fills[e])) for e in top]
    assert len(set(colours)) == len(colours), f"two of the largest ecosystems share a colour: {colours}"
    legend = tab.page.inner_text(".gt-legend")
    assert all(f"E{e} ({sizes[e]})" in legend for e in top)
    tab.shot("ecosystem-colours", full_page=False)


def test_a_slider_knob_sits_where_its_value_is_on_a_track_as_wide_as_the_panel(open_tab):
    from simulation.scenario_files import load_scenario

    tab = open_tab(height=900)
    sliders = tab.page.locator(".gt-settings .v-input.v-slider")
    assert sliders.count() >= 5  # the population group is open at the start
    panel = tab.page.locator(".gt-settings").bounding_box()
    seen = {}
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        label = slider.locator(".v-label").inner_text()
        name, shown = label.rsplit(": ", 1)
        thumb = slider.locator("[role=slider]")
        low, high, now = (float(thumb.get_attribute(f"aria-value{k}")) for k in ("min", "max", "now"))
        assert float(shown) == now  # the label says the value the slider holds
        track = slider.locator(".v-slider-track__background").bounding_box()
        knob = thumb.locator(".v-slider-thumb__surface").bounding_box()
        assert track["width"] > 0.75 * panel["width"], f"{name}: the track is squeezed by its label"
        at = (knob["x"] + knob["width"] / 2 - track["x"]) / track["width"]
        assert abs(at - (now - low) / (high - low)) < 0.02, f"{name} = {now}: knob at {at:.2f} of the track"
        seen[name] = (now, at)
    # the case a class saw: the otherish givers' share at 0.15 with its knob at the far right
    share = load_scenario("open_mixer").mix["otherish_giver"]
    now, at = seen["otherish giver share"]
    assert now == share and abs(at - share) < 0.02
    ends = tab.page.locator(".gt-settings .gt-range").first.inner_text().split()
    assert ends == ["10", "2000"]  # the population slider's ends are written under it
    tab.page.locator(".gt-controls").screenshot(path=str(ARTIFACTS / "sliders.png"))


def test_the_server_prints_no_warnings_when_pages_load_and_run(open_tab, server):
    tab = open_tab()
    tab.step(1, timeout=90)  # a first step may compile the model's kernels
    open_tab("-second")  # another page load
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    log = (ARTIFACTS / f"server-{worker}.log").read_text()
    # the log holds every page this server served in this test process, the first load included
    assert "Solara server is starting" in log
    noisy = [line for line in log.splitlines() if re.search(r"warn|Traceback|Error", line, re.IGNORECASE)]
    assert not noisy, "the server printed:\n" + "\n".join(noisy[:10])


# -- pages that go away, and a full server ---------------------------------------------
@pytest.mark.xdist_group("app-browser-dropped")  # a server of its own
def test_pages_whose_browser_has_gone_stop_playing_at_once_and_their_runs_are_freed(browser):
    """One page goes silent (its network gone, nothing closed), two browsers close without an
    unload event (their connections drop), one page stays: the three stop playing within
    seconds and their runs are freed within a minute; the fourth plays on."""
    server = AppServer("dropped", "--max-sessions", "10")
    proxy = Relay(server.port)  # goes silent: what a closed laptop or a lost Wi-Fi does
    tabs: list[Tab] = []
    try:
        for url, name in [(f"http://127.0.0.1:{proxy.port}/", "silent"), (server.url, "crashed-0")] + [
            (server.url, "crashed-1"),
            (server.url, "kept"),
        ]:
            tabs.append(Tab(browser, url, name, wait=False))  # four devices at once
        for tab in tabs:
            tab.ready()
            tab.page.click("button.gt-play")
        silent, *crashed, kept = tabs
        for tab in tabs:
            tab.wait_week(lambda w: w >= 1, timeout=120)
        server.wait_line(r"4 pages open \(0 without a connection\), 4 runs in memory", 10)
        mark, gone = server.mark(), time.monotonic()
        proxy.go_silent()
        for tab in crashed:
            tab.context.close()  # no beforeunload: the page cannot say goodbye
        stopped = server.wait_line("a page without a connection stopped playing", 40, count=3, since=mark)
        # the closed ones at once, the silent one after a missed ping (5 s apart, 15 s to answer)
        assert stopped <= 22, f"the three pages stopped playing {stopped:.1f} s after they went"
        server.wait_line(r"1 page open \(0 without a connection\), 1 run in memory", 75 - stopped, since=mark)
        freed = time.monotonic() - gone
        assert freed <= 60, f"runs freed {freed:.1f} s after their pages went"
        # the page still watched kept playing all along
        week = kept.week()
        kept.wait_week(lambda w: w > week)
        kept.check_clean()
    finally:
        for tab in tabs:
            try:
                tab.close()
            except Exception:  # a context closed above
                pass
        proxy.close()
        server.stop()


@pytest.mark.xdist_group("app-browser-full")  # a server of its own
def test_past_max_sessions_a_page_is_asked_to_come_back_and_gets_in_once_a_place_is_free(browser):
    server = AppServer("full", "--max-sessions", "2")
    tabs = []
    try:
        a, b = Tab(browser, server.url, "full-a", wait=False), Tab(browser, server.url, "full-b", wait=False)
        tabs = [a, b]
        a.ready()
        b.ready()  # both pages hold a run: the next is the third
        c = Tab(browser, server.url, "full-c", wait_for=".gt-full .gt-info")
        tabs.append(c)
        text = c.page.inner_text(".gt-full .gt-info")
        assert "Sorry, the app is full: 2 pages are running simulations" in text
        assert "try again in a minute" in text
        assert c.page.locator(".gt-network-view").count() == 0
        c.shot("full")
        mark = server.mark()
        # a closed tab frees its place at once when its goodbye reaches the server; when that
        # is lost (a busy browser), once the page is taken as gone: 15 s without a ping, then
        # the 30 s hold
        a.page.close(run_before_unload=True)
        server.wait_line(r"1 page open \(0 without a connection\), 1 run in memory", 60, since=mark)
        c.page.click("button.gt-retry")
        c.page.wait_for_selector(".gt-network-view svg circle", timeout=30_000)
        c.page.click("button.gt-step")
        c.wait_week(lambda w: w == 1)
        for tab in (b, c):
            tab.check_clean()
    finally:
        for tab in tabs:
            tab.close()
        server.stop()


def _status_lines(server: AppServer, since: int) -> list[str]:
    return [line for line in server.lines()[since:] if re.search(r"pages? open \(", line)]


@pytest.mark.xdist_group("app-browser-renewed")  # a server of its own
def test_a_page_whose_connection_is_renewed_gets_its_run_back_and_plays_on(browser):
    """A playing page's connection drops and comes back through a slow network (whatever the
    server sends arrives a second late, as from a busy server or a poor Wi-Fi): the page gets
    its own run back, which plays on from where it was; the server makes no second run."""
    server = AppServer("renewed", "--max-sessions", "10")
    relay = Relay(server.port)
    tab = None
    try:
        tab = Tab(browser, f"http://127.0.0.1:{relay.port}/", "renewed")
        tab.page.click("button.gt-play")
        tab.wait_week(lambda w: w >= 3, timeout=120)
        server.wait_line(r"1 page open \(0 without a connection\), 1 run in memory", 10)
        mark = server.mark()
        relay.lag = 1.0
        relay.cut()
        cut_at = tab.week()
        # back: the week goes on from where it was (a new run would start at week 0)
        tab.wait_week(lambda w: w >= cut_at + 3, timeout=60)
        # and it keeps playing, well after the frames sent around the cut have arrived
        time.sleep(5)
        later = tab.week()
        tab.wait_week(lambda w: w >= later + 3, timeout=30)
        body = tab.page.inner_text("body")
        assert "refresh" not in body.lower(), body[:300]
        assert relay.websockets >= 2  # the page did open a new connection
        # one page, connected, and its one run: no second run was made for it
        deadline = time.monotonic() + 20
        while not re.search(
            r" 1 page open \(0 without a connection\), 1 run in memory", _status_lines(server, 0)[-1]
        ):
            assert time.monotonic() < deadline, _status_lines(server, 0)[-1]
            time.sleep(0.5)
        assert all(
            re.search(r" 1 page open .*, 1 run in memory", line) for line in _status_lines(server, mark)
        )
        tab.shot("renewed")
        tab.check_clean()
    finally:
        if tab is not None:
            tab.close()
        relay.close()
        server.stop()
