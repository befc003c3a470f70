"""The classroom pages: the teacher's dashboard at ``/`` and the students' page at ``/join``.

``givetake classroom`` serves this module.  The class is one
:class:`~simulation.classroom.session.ClassSession` held in module state and
shared by every browser session (Solara's reactive variables are per session;
module state is not), guarded by the session's lock.  Each page waits for the
class to change in a thread of its own and redraws then.  Every action goes
through the session, which checks the seat's token (students) or the teacher's
key: a page cannot act for anyone else, and a student's page is built only
from that student's own view.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import solara
import solara.checks

from ..app.drawing import legend_html, line_chart, metric_series, network_svg, wealth_chart
from ..app.layout import NetworkLayout
from ..app.page import Checkbox
from ..strategies import colour as strategy_colour
from ..strategies import label as strategy_label
from .debrief import class_summary, export_decisions, student_debriefs
from .session import ClassSession, NotAuthorised, Refused

__all__ = ["routes", "current_class", "ENV_FILE", "ENV_JOIN"]

solara.checks.should_perform_jupyter_check = lambda: False

#: environment variable naming the saved class the server plays
ENV_FILE = "GIVETAKE_CLASSROOM_FILE"
#: environment variable with the address students join at (shown on the teacher's screen)
ENV_JOIN = "GIVETAKE_CLASSROOM_JOIN"
#: environment variable with the join QR code as SVG (drawn by the command)
ENV_QR = "GIVETAKE_CLASSROOM_QR"

TIMERS = {"30 s": 30.0, "60 s": 60.0, "90 s": 90.0, "2 min": 120.0, "3 min": 180.0, "no timer": None}

_CSS = """
.gc-app { max-width: 1500px; margin: 0 auto; padding: 8px 16px 32px 16px; font-size: 15px; }
.gc-panel { background: #fafafa; border: 1px solid #e4e4e4; border-radius: 8px; padding: 10px 12px; }
.gc-code { font-size: 44px; font-weight: 700; letter-spacing: 6px; font-family: monospace; }
.gc-big { font-size: 20px; }
.gc-question { font-size: 22px; font-weight: 600; color: #1b4a78; }
.gc-note { color: #666; font-size: 13px; }
.gc-notice { border-radius: 6px; padding: 8px 10px; font-size: 14px; }
.gc-error { background: #fdecea; border: 1px solid #e57373; color: #8a1c1c; }
.gc-info { background: #e8f1fb; border: 1px solid #90b8e0; color: #1b4a78; }
.gc-ok { background: #e9f6ec; border: 1px solid #7cc18b; color: #1b5e2b; }
.gc-table { border-collapse: collapse; width: 100%; }
.gc-table td, .gc-table th { border-bottom: 1px solid #e6e6e6; padding: 3px 8px; text-align: left; }
.gc-network svg, .gc-chart svg { width: 100%; height: auto; display: block; }
.gc-student { max-width: 760px; margin: 0 auto; padding: 8px 12px 40px 12px; font-size: 16px; }
.gc-request, .gc-option { border: 1px solid #ddd; border-radius: 8px; padding: 8px 10px; margin: 4px 0; background: #fff; }
"""

_state_lock = threading.Lock()
_state: dict[str, Any] = {"class": None, "layout": None, "layout_week": -1}


def current_class() -> ClassSession:
    """The class this server plays (loaded from ``$GIVETAKE_CLASSROOM_FILE`` on first use)."""
    with _state_lock:
        if _state["class"] is None:
            path = os.environ.get(ENV_FILE)
            if not path:
                raise RuntimeError(
                    f"no class to serve: start it with `givetake classroom` ({ENV_FILE} is not set)"
                )
            session = ClassSession.load(path)
            session.start_clock()
            _state["class"] = session
        return _state["class"]


def _layout(session: ClassSession) -> NetworkLayout:
    """One picture layout for every teacher's screen, brought up to date once a week."""
    with _state_lock, session.lock:
        layout = _state["layout"]
        if layout is None:
            layout = NetworkLayout(seed=session.seed)
            layout.update(session.model)
            _state["layout"] = layout
            _state["layout_week"] = session.week
        elif _state["layout_week"] != session.week:
            layout.update(session.model)
            _state["layout_week"] = session.week
        return layout


def use_class_changes(session: ClassSession) -> int:
    """A number that changes whenever the class does (and every second while a timer runs)."""
    version, set_version = solara.use_state(session.version)

    def watch(cancel: threading.Event) -> None:
        seen, ticks = session.version, 0
        while not cancel.is_set():
            now = session.wait_for_change(seen, timeout=1.0)
            if cancel.is_set():
                return
            if now != seen or session.deadline is not None:
                seen, ticks = now, ticks + 1
                set_version(now * 100_000 + ticks)

    solara.use_thread(watch, dependencies=[], intrusive_cancel=False)
    return version


@solara.component
def Notice(text: str, kind: str = "info", classes: list[str] | None = None):
    solara.HTML(
        tag="div", classes=["gc-notice", f"gc-{kind}", *(classes or [])], unsafe_innerHTML=html.escape(text)
    )


def _query(router) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(router.search or "").items() if v}


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "no timer"
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


# -- the teacher's screen ----------------------------------------------------------------
@solara.component
def Teacher():
    solara.Style(_CSS)
    solara.Title("givetake classroom — teacher")
    session = current_class()
    key = _query(solara.use_router()).get("key")
    if not session.is_teacher(key):
        with solara.Column(classes=["gc-student"]):
            solara.HTML(tag="h2", unsafe_innerHTML="givetake classroom")
            Notice(
                "This is the teacher's screen and needs the teacher's address. Students: open /join.",
                "info",
                ["gc-not-teacher"],
            )
            solara.Button("Join the class", href="/join", color="primary", classes=["gc-go-join"])
        return
    Dashboard(session)


@solara.component
def Dashboard(session: ClassSession):
    version = use_class_changes(session)
    message, set_message = solara.use_state(None)
    question, set_question = solara.use_state(session.question)

    def act(fn: Callable[[], Any]) -> None:
        try:
            fn()
            set_message(None)
        except (Refused, ValueError) as err:
            set_message(str(err))

    def save_question(text: str) -> None:
        with session.lock:
            session.question = text
            session._changed()
        set_question(text)

    join = os.environ.get(ENV_JOIN, "/join")
    qr = os.environ.get(ENV_QR, "")
    with solara.Column(classes=["gc-app"], gap="10px"):
        with solara.Row(gap="16px", style={"align-items": "stretch", "flex-wrap": "wrap"}):
            with solara.Column(classes=["gc-panel"], style={"flex": "1 1 360px"}, gap="2px"):
                solara.HTML(
                    tag="div", unsafe_innerHTML="Join at <b>" + html.escape(join) + "</b> with the code"
                )
                solara.HTML(tag="div", classes=["gc-code"], unsafe_innerHTML=html.escape(session.code))
                if qr:
                    solara.HTML(tag="div", classes=["gc-qr"], unsafe_innerHTML=qr, style="width: 180px")
            with solara.Column(classes=["gc-panel"], style={"flex": "2 1 480px"}, gap="6px"):
                solara.HTML(tag="div", classes=["gc-big"], unsafe_innerHTML=_status_line(session))
                with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
                    if session.ended:
                        pass
                    elif session.paused:
                        solara.Button(
                            "Resume" if session.started else "Start the class",
                            icon_name="mdi-play",
                            color="primary",
                            on_click=lambda: act(session.start),
                            classes=["gc-start"],
                        )
                    else:
                        solara.Button(
                            "Pause",
                            icon_name="mdi-pause",
                            on_click=lambda: act(session.pause),
                            classes=["gc-pause"],
                        )
                    solara.Button(
                        "Next week",
                        icon_name="mdi-step-forward",
                        on_click=lambda: act(session.advance),
                        classes=["gc-next"],
                        disabled=session.ended,
                    )
                    solara.Button(
                        "End the class" if not session.ended else "Class ended",
                        icon_name="mdi-flag-checkered",
                        on_click=lambda: act(session.end),
                        classes=["gc-end"],
                        disabled=session.ended,
                    )
                    timer_label = (
                        next((k for k, v in TIMERS.items() if v == session.timer), None)
                        or f"{session.timer:g} s"
                    )
                    solara.Select(
                        "Timer per week",
                        values=list(dict.fromkeys([*TIMERS, timer_label])),
                        value=timer_label,
                        on_value=lambda v: act(lambda: session.set_timer(TIMERS.get(v, session.timer))),
                        style={"max-width": "150px"},
                    )
                    solara.Select(
                        "Undecided students",
                        values=["refuse", "matcher"],
                        value=session.default,
                        on_value=lambda v: act(lambda: session.set_default(v)),
                        style={"max-width": "220px"},
                    )
                solara.InputText(
                    "The lesson's question", value=question, on_value=save_question, continuous_update=False
                )
                if session.question:
                    solara.HTML(
                        tag="div", classes=["gc-question"], unsafe_innerHTML=html.escape(session.question)
                    )
                if message:
                    Notice(message, "error")
        if session.ended:
            DebriefPanel(session, version)
        with solara.Row(gap="16px", style={"align-items": "flex-start", "flex-wrap": "wrap"}):
            with solara.Column(classes=["gc-panel"], style={"flex": "3 1 520px", "min-width": "380px"}):
                solara.HTML(tag="div", classes=["gc-network"], unsafe_innerHTML=_network(session))
                solara.HTML(tag="div", unsafe_innerHTML=_legend(session))
            with solara.Column(style={"flex": "2 1 380px", "min-width": "320px"}, gap="10px"):
                SeatTable(session, act, version)
                for svg in _charts(session):
                    solara.HTML(tag="div", classes=["gc-panel", "gc-chart"], unsafe_innerHTML=svg)


def _percent(x: float | None) -> str:
    return "–" if x is None or x != x else f"{x:.0%}"


def _status_line(session: ClassSession) -> str:
    """The teacher's line on the week: who has decided and the time left while the class runs;
    once it has ended, only that (no clock still showing the seconds it stopped at).

    >>> s = ClassSession("open_mixer", overrides={"population.size": 30}, seed=1, timer=60)
    >>> _status_line(s)
    "Week <b class='gc-week'>0</b> · <span class='gc-decided'>0 of 0</span> students decided · time left <b class='gc-time'>1:00</b> · <b class='gc-paused'>paused</b>"
    >>> s.end()
    >>> _status_line(s)
    "Week <b class='gc-week'>0</b> · <b class='gc-paused'>class ended</b>"
    """
    week = f"Week <b class='gc-week'>{session.week}</b> · "
    if session.ended:
        return week + "<b class='gc-paused'>class ended</b>"
    decided, playing = session.decided_count()
    left = session.seconds_left()
    return (
        week
        + f"<span class='gc-decided'>{decided} of {playing}</span> students decided"
        + (f" · time left <b class='gc-time'>{_clock(left)}</b>" if left is not None else " · no timer")
        + (" · <b class='gc-paused'>paused</b>" if session.paused else "")
    )


@solara.component
def DebriefPanel(session: ClassSession, version: int):
    """The end of the class: which strategy each student played, what it did to them and
    their ecosystem, the class summary, and the export of every decision."""
    names, set_names = solara.use_state(False)
    exported, set_exported = solara.use_state(None)
    summary = class_summary(session)
    rows = student_debriefs(session)

    def export() -> None:
        folder = (session.save_dir or Path.cwd()) / "export"
        set_exported(export_decisions(session, folder, names=names))

    wealth = " · ".join(
        f"{html.escape(strategy_label(k))} {v:.1f}" for k, v in summary["mean_wealth"].items()
    )
    head = (
        f"<h3>Debrief after {summary['weeks']} weeks</h3>"
        f"<div>The class helped in <b>{_percent(summary['helped_share'])}</b> of the requests it answered "
        f"({_percent(summary['default_share'])} answered by the default) · needs met in the network last week: "
        f"<b>{_percent(summary['fulfilment'])}</b>"
        + (f" · the network looks <b>{html.escape(summary['verdict'])}</b>" if summary["verdict"] else "")
        + f"</div><div>Mean wealth: {wealth}</div>"
    )
    body = "".join(
        "<tr>"
        f"<td><b>{html.escape(d['nickname'])}</b> <span class='gc-note'>{d['seat']}</span></td>"
        f"<td>{html.escape(strategy_label(d['nearest'])) if d['nearest'] else '–'}"
        + (
            f" <span class='gc-note'>({_percent(d['nearest_agreement'])} alike)</span>"
            if d["nearest"]
            else ""
        )
        + f"</td><td>{d['decisions']}</td><td>{_percent(d['helped_share'])}</td>"
        f"<td>{d['wealth']:.1f} ({d['wealth_change']:+.1f})</td>"
        f"<td>{'left' if not d['alive'] else str(d['rank']) + ' of ' + str(d['of'])}</td>"
        f"<td>{'–' if d['ecosystem'] is None else str(d['ecosystem_size']) + ' members: ' + html.escape(d['ecosystem_mix'])}</td>"
        "</tr>"
        for d in rows
        if not d["removed"]
    )
    table = (
        "<table class='gc-table'><tr><th>student</th><th>played most like</th><th>decisions</th>"
        "<th>helped</th><th>wealth (change)</th><th>wealth rank</th><th>their ecosystem now</th></tr>"
        f"{body}</table>"
    )
    with solara.Column(classes=["gc-panel", "gc-debrief"], gap="6px"):
        solara.HTML(tag="div", unsafe_innerHTML=head + table)
        with solara.Column(gap="0px"):
            Checkbox("Nicknames in the export (otherwise seat numbers only)", names, set_names)
            solara.Button(
                "Export every decision",
                icon_name="mdi-table-arrow-down",
                on_click=export,
                classes=["gc-export"],
                style={"align-self": "flex-start"},
            )
        if exported:
            csv, parquet = exported
            solara.HTML(
                tag="div",
                classes=["gc-note", "gc-exported"],
                unsafe_innerHTML=f"Written: {html.escape(str(csv))} and {html.escape(parquet.name)}",
            )
            with solara.Row(gap="8px"):
                solara.FileDownload(lambda: csv.read_bytes(), filename=csv.name, label="Download CSV")
                solara.FileDownload(
                    lambda: parquet.read_bytes(), filename=parquet.name, label="Download Parquet"
                )


@solara.component
def SeatTable(session: ClassSession, act: Callable[[Callable[[], Any]], None], version: int):
    """Who has joined and whether they decided (``version``: redraw when the class changes)."""
    rows = session.seat_table()
    with solara.Column(classes=["gc-panel", "gc-seats"], gap="2px"):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"<b>Students</b> ({len([r for r in rows if r['status'] != 'removed'])} of {session.max_seats} seats)",
        )
        if not rows:
            solara.HTML(tag="div", classes=["gc-note"], unsafe_innerHTML="Nobody has joined yet.")
        for r in rows:
            if r["status"] == "removed":
                continue
            with solara.Row(
                gap="8px", style={"align-items": "center"}, classes=["gc-seat", f"gc-seat-{r['seat']}"]
            ):
                solara.HTML(
                    tag="div",
                    style="flex: 1 1 auto",
                    unsafe_innerHTML=(
                        f"<b>{html.escape(r['nickname'])}</b> <span class='gc-note'>{r['seat']} · member #{r['member']}</span>"
                        f" · {r['status']} · wealth {r['wealth']:.1f}"
                    ),
                )
                solara.Button(
                    "Remove",
                    text=True,
                    on_click=lambda seat=r["seat"]: act(lambda: session.remove_seat(seat)),
                    classes=["gc-remove"],
                )


def _network(session: ClassSession) -> str:
    """The network with students' members ringed and named: drawn once a week and when the
    seats change, the same picture for every redraw in between (each decision, each tick of
    the timer, every teacher's screen)."""
    layout = _layout(session)
    with session.lock:
        names = {s.slot: s.nickname for s in session.active_seats()}
        key = (id(session), session.week, layout.frame, tuple(names.items()))
        with _state_lock:
            drawn = _state.get("network")
        if drawn is not None and drawn[0] == key:
            return drawn[1]
        svg = network_svg(session.model, layout, size=640)
    svg = _ring_players(svg, names)
    with _state_lock:
        _state["network"] = (key, svg)
    return svg


def _ring_players(svg: str, names: dict[int, str]) -> str:
    """``svg`` with the members in ``names`` (slot -> nickname) ringed and named."""
    marks = []
    for m in re.finditer(r'<circle cx="([\d.\-]+)" cy="([\d.\-]+)" r="([\d.]+)"[^>]*data-slot="(\d+)"', svg):
        slot = int(m.group(4))
        if slot in names:
            x, y, r = float(m.group(1)), float(m.group(2)), float(m.group(3))
            marks.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r + 4:.1f}" fill="none" stroke="#1a1a2e" stroke-width="2" '
                f'class="gc-player" data-player="{slot}"/>'
                f'<text x="{x + r + 5:.1f}" y="{y + 4:.1f}" font-size="12" font-weight="600" fill="#1a1a2e" '
                f'paint-order="stroke" stroke="#fff" stroke-width="3">{html.escape(names[slot])}</text>'
            )
    return svg.replace("</svg>", "".join(marks) + "</svg>")


def _legend(session: ClassSession) -> str:
    model = session.model
    items = [
        (
            strategy_label(name) + (" (played by a student)" if name == "student" else ""),
            strategy_colour(name),
        )
        for name in model.strategy_names
        if model.metrics.get(f"n_{name}", 0) or (name == "student" and session.active_seats())
    ]
    note = "<div class='gc-note'>ringed and named: students' members · circle size: wealth · line width: tie strength</div>"
    return legend_html(items) + note


def _charts(session: ClassSession) -> list[str]:
    with session.lock:
        model = session.model
        names = [n for n in model.strategy_names if model.metrics.get(f"n_{n}", 0)]
        return [
            # named as in the network's legend (the strategy registry's labels), with the app's
            # dashed line of all members; students' members are counted from the week after
            # they joined
            wealth_chart(model, names, from_week={"student": 1}),
            line_chart(
                {"fulfilment": metric_series(model, "fulfilment_rate", from_week=1)},
                title="Fulfilment rate (share of needs met)",
                colours={"fulfilment": "#0072B2"},
                y_min=0,
                y_max=1,
            ),
        ]


# -- the students' page --------------------------------------------------------------------
def _browser() -> str | None:
    """The page's browser as the server knows it: a hash of its Solara session cookie (None
    without a cookie, or outside a server)."""
    try:
        cookie = solara.get_session_id()
    except Exception:  # no kernel context: a test without a server
        return None
    if not cookie or cookie.startswith("session-id-cookie-unavailable"):
        return None
    return hashlib.sha256(cookie.encode()).hexdigest()


@solara.component
def Join():
    solara.Style(_CSS)
    solara.Title("givetake classroom")
    session = current_class()
    router = solara.use_router()
    query = _query(router)
    browser = solara.use_memo(_browser, [])
    token = query.get("seat")
    # a page that comes back without its seat's address (reloaded or renewed before the
    # address was updated, or opened anew) gets the member its browser was given
    own = None if token else session.seat_of_browser(browser)
    if own is not None:
        token = own.token

    def address_with_seat() -> None:
        if own is not None:
            router.push(f"/join?seat={quote(own.token)}")

    solara.use_effect(address_with_seat, [None if own is None else own.token])
    with solara.Column(classes=["gc-student"], gap="8px"):
        if token:
            try:
                session.seat(token)
            except NotAuthorised as err:
                Notice(str(err), "error", ["gc-join-error"])
            else:
                Play(session, token)
                return
        JoinForm(session, query.get("code", ""), lambda t: router.push(f"/join?seat={quote(t)}"), browser)


@solara.component
def JoinForm(session: ClassSession, code: str, on_joined: Callable[[str], None], browser: str | None = None):
    code_value, set_code = solara.use_state(code)
    nickname, set_nickname = solara.use_state("")
    message, set_message = solara.use_state(None)

    def join() -> None:
        try:
            seat = session.join(code_value, nickname, browser)
        except Refused as err:
            set_message(str(err))
            return
        on_joined(seat.token)

    solara.HTML(tag="h2", unsafe_innerHTML="Join the class")
    solara.HTML(
        tag="div",
        classes=["gc-note"],
        unsafe_innerHTML=(
            "You will play one member of a business network: each week people ask you for help, "
            "and you decide whom to help. Only a nickname is needed; it is shown to your teacher."
        ),
    )
    solara.InputText(
        "Class code", value=code_value, on_value=set_code, continuous_update=True, classes=["gc-code-input"]
    )
    solara.InputText(
        "Nickname", value=nickname, on_value=set_nickname, continuous_update=True, classes=["gc-nickname"]
    )
    solara.Button("Join", color="primary", on_click=join, classes=["gc-join"])
    if message:
        Notice(message, "error", ["gc-join-error"])


@solara.component
def Play(session: ClassSession, token: str):
    use_class_changes(session)
    try:
        view = session.student_view(token)
    except NotAuthorised as err:
        Notice(str(err), "error", ["gc-join-error"])
        return
    change = view["wealth"] - view["wealth_start"]
    solara.HTML(
        tag="div",
        classes=["gc-me"],
        unsafe_innerHTML=(
            f"<h2>{html.escape(view['nickname'])} — you are member <span class='gc-slot'>#{view['slot']}</span></h2>"
            f"<div class='gc-big'>Week <b class='gc-week'>{view['week']}</b> · wealth <b class='gc-wealth'>{view['wealth']:.1f}</b>"
            f" ({change:+.1f} since you joined) · reputation {view['reputation']:.2f}</div>"
            f"<div class='gc-note'>your skills: {', '.join(str(s) for s in view['skills'])} · "
            f"{_gift_terms(session)}refusing lowers their trust in you</div>"
        ),
    )
    if not view["alive"]:
        Notice(
            "Your member's business has closed and left the network. Watch the class screen.",
            "info",
            ["gc-left"],
        )
        return
    if view["ended"]:
        StudentDebrief(session, token)
        return
    if not view["started"]:
        Notice(
            "Waiting for the teacher to start. Look at your requests and contacts meanwhile.",
            "info",
            ["gc-waiting"],
        )
    elif view["paused"]:
        Notice("The teacher has paused the class.", "info", ["gc-waiting"])
    elif view["seconds_left"] is not None:
        solara.HTML(
            tag="div",
            classes=["gc-note"],
            unsafe_innerHTML=f"time left this week: <b class='gc-time'>{_clock(view['seconds_left'])}</b>",
        )
    LastWeek(view["last_week"])
    Decisions(session, token, view).key(f"week-{view['week']}")


def _gift_terms(session: ClassSession) -> str:
    """What a gift costs and is worth in this scenario, in words."""
    exchange = session.model.mechanism("exchange")
    b, c = getattr(exchange, "b", None), getattr(exchange, "c", None)
    if b is None or c is None:
        return ""
    return f"helping costs you {c:g} and is worth {b:g} to the one you help; "


@solara.component
def StudentDebrief(session: ClassSession, token: str):
    """A student's own debrief, when the class has ended."""
    seat = session.seat(token)
    d = next(x for x in student_debriefs(session) if x["seat"] == seat.id)
    if d["nearest"]:
        played = (
            f"You played most like a <b>{html.escape(strategy_label(d['nearest']))}</b>: it would have answered "
            f"{_percent(d['nearest_agreement'])} of your {d['decisions']} decisions the way you did. "
            f"You helped in {_percent(d['helped_share'])} of them."
        )
    else:
        played = "You did not answer any request yourself: the teacher's default played for you."
    rank = (
        "Your member's business closed."
        if not d["alive"]
        else f"Your wealth ranks {d['rank']} of {d['of']} members."
    )
    eco = (
        ""
        if d["ecosystem"] is None
        else f" Your ecosystem now has {d['ecosystem_size']} members: {html.escape(d['ecosystem_mix'])}."
    )
    chose = (
        f"<p>You chose whom to ask {d['asked']} time(s) and were helped {d['asked_helped']} of those times; "
        f"you met {d['met']} new contact(s) and introduced {d['introduced']} pair(s) of your contacts.</p>"
    )
    solara.HTML(
        tag="div",
        classes=["gc-panel", "gc-my-debrief"],
        unsafe_innerHTML=f"<h3>The class has ended</h3><p>{played}</p><p>{rank} Wealth {d['wealth']:.1f} "
        f"({d['wealth_change']:+.1f} since you joined).{eco}</p>{chose}",
    )


@solara.component
def LastWeek(last: dict[str, Any]):
    if not last:
        return

    def who(slots: list[int]) -> str:
        return ", ".join(f"#{s}" for s in slots) or "nobody"

    solara.HTML(
        tag="div",
        classes=["gc-panel", "gc-last-week"],
        unsafe_innerHTML=(
            "<b>Last week</b><br>"
            f"helped you: {who(last['helped_by'])} · refused you: {who(last['refused_by'])}<br>"
            f"you helped: {who(last['you_helped'])} · you refused: {who(last['you_refused'])} · "
            f"wealth {last['wealth_change']:+.1f}"
        ),
    )


#: token -> (week, the answers a student's page has picked but not sent yet), so that a page
#: drawn anew (a reconnect, a reload) keeps them
_drafts: dict[str, tuple[int, dict[str, Any]]] = {}


def _draft(token: str, week: int) -> dict[str, Any]:
    with _state_lock:
        held = _drafts.get(token)
        if held is None or held[0] != week:
            held = _drafts[token] = (week, {})
        return held[1]


def use_draft(draft: dict[str, Any], name: str, initial: Any) -> tuple[Any, Callable[[Any], None]]:
    """A page's state kept in the week's draft too: a page drawn anew starts from it."""
    value, set_value = solara.use_state(draft.get(name, initial))

    def set_both(new: Any) -> None:
        draft[name] = new
        set_value(new)

    return value, set_both


@solara.component
def Decisions(session: ClassSession, token: str, view: dict[str, Any]):
    draft = _draft(token, view["week"])
    helps, set_helps = use_draft(draft, "helps", dict(view["helps"]))
    drops, set_drops = use_draft(draft, "drops", set(view["drops"]))
    others, set_others = use_draft(draft, "others", view["others"])
    asks, set_asks = use_draft(draft, "asks", list(view["asks"]))
    meet, set_meet = use_draft(draft, "meet", view["meet"])
    introduce, set_introduce = use_draft(draft, "introduce", list(view["introduce"] or []))
    message, set_message = solara.use_state(None)

    def send() -> None:
        try:
            session.decide(
                token,
                week=view["week"],
                helps=helps,
                drops=drops,
                others=others,
                asks=asks,
                meet=meet,
                introduce=introduce if len(introduce) == 2 else None,
            )
            set_message(None)
        except Refused as err:
            set_message(str(err))

    # one element per week: a page can tell this week's answers from last week's as it redraws
    with solara.Column(classes=["gc-decisions", f"gc-for-week-{view['week']}"], gap="8px"):
        with solara.Column(classes=["gc-panel", "gc-requests"], gap="4px"):
            requests = view["requests"]
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<b>Asking you for help this week</b> ({len(requests)})"
                + ("" if requests else "<div class='gc-note'>Nobody needs your skills this week.</div>"),
            )
            for r in requests:
                a = r["asker"]
                choice = helps.get(a)
                with solara.Row(
                    gap="8px",
                    style={"align-items": "center", "flex-wrap": "wrap"},
                    classes=["gc-request", f"gc-request-{a}"],
                ):
                    solara.HTML(
                        tag="div",
                        style="flex: 1 1 260px",
                        unsafe_innerHTML=(
                            f"<b>#{a}</b> · reputation {r['reputation']:.2f} · your trust in them {r['trust']:.2f}"
                            f"<br><span class='gc-note'>you have helped them {r['given']}×, they have helped you {r['received']}×</span>"
                        ),
                    )
                    with solara.Row(gap="8px", style={"flex-wrap": "nowrap"}):  # the two stay together
                        solara.Button(
                            "Help",
                            color="success" if choice is True else None,
                            outlined=choice is not True,
                            on_click=lambda a=a: set_helps({**helps, a: True}),
                            classes=["gc-help"],
                        )
                        solara.Button(
                            "Refuse",
                            color="error" if choice is False else None,
                            outlined=choice is not False,
                            on_click=lambda a=a: set_helps({**helps, a: False}),
                            classes=["gc-refuse"],
                        )
            with solara.Row(
                gap="8px",
                style={"align-items": "center", "flex-wrap": "wrap"},
                classes=["gc-request", "gc-others"],
            ):
                solara.HTML(
                    tag="div",
                    style="flex: 1 1 260px",
                    unsafe_innerHTML="<b>Anyone else</b> who asks you this week"
                    "<br><span class='gc-note'>the week may take a turn nobody foresaw</span>",
                )
                with solara.Row(gap="8px", style={"flex-wrap": "nowrap"}):
                    solara.Button(
                        "Help",
                        color="success" if others is True else None,
                        outlined=others is not True,
                        on_click=lambda: set_others(True),
                        classes=["gc-help"],
                    )
                    solara.Button(
                        "Refuse",
                        color="error" if others is False else None,
                        outlined=others is not False,
                        on_click=lambda: set_others(False),
                        classes=["gc-refuse"],
                    )
        AskPanel(view, asks, set_asks)
        MeetPanel(view, meet, set_meet)
        with solara.Column(classes=["gc-panel", "gc-contacts"], gap="2px"):
            contacts = view["contacts"]
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<b>Your contacts</b> ({len(contacts)}) — drop the ones you no longer want (after this week)"
                + (
                    "<div class='gc-note'>Introduce two of them who do not know each other yet: "
                    "pick two with <i>Introduce</i>.</div>"
                    if view["can_introduce"] and len(contacts) > 1
                    else ""
                ),
            )
            for c in contacts:
                s = c["slot"]
                dropping = s in drops
                with solara.Row(
                    gap="8px", style={"align-items": "center"}, classes=["gc-contact", f"gc-contact-{s}"]
                ):
                    solara.HTML(
                        tag="div",
                        style="flex: 1 1 auto",
                        unsafe_innerHTML=(
                            f"<b>#{s}</b> · tie {c['strength']:.2f} · your trust {c['trust']:.2f} · reputation {c['reputation']:.2f}"
                            f" · you gave {c['given']}, got {c['received']}"
                        ),
                    )
                    if view["can_introduce"] and len(contacts) > 1:
                        picked = s in introduce
                        solara.Button(
                            "Introduce",
                            text=not picked,
                            color="primary" if picked else None,
                            on_click=lambda s=s: set_introduce(
                                [x for x in introduce if x != s] if s in introduce else [*introduce, s][-2:]
                            ),
                            classes=["gc-introduce"],
                        )
                    solara.Button(
                        "Keep" if dropping else "Drop",
                        text=not dropping,
                        color="warning" if dropping else None,
                        on_click=lambda s=s: set_drops((drops - {s}) if s in drops else (drops | {s})),
                        classes=["gc-drop"],
                    )
        undecided = [r["asker"] for r in view["requests"] if r["asker"] not in helps]
        default = "refuse them" if view["default"] == "refuse" else "answer as a matcher would"
        # always drawn (empty when all answered), so the button below keeps its place in the page
        solara.HTML(
            tag="div",
            classes=["gc-note", "gc-undecided"],
            unsafe_innerHTML=f"{len(undecided)} request(s) without your answer: if you send now, you {default}."
            if undecided
            else "",
        )
        solara.Button("Send my decisions", color="primary", on_click=send, classes=["gc-send"])
        if message:
            Notice(message, "error", ["gc-send-error"])
        elif view["decided"]:
            Notice(
                "Decisions sent. The week runs when everyone has decided; you can still change them until then.",
                "ok",
                ["gc-sent"],
            )


@solara.component
def AskPanel(view: dict[str, Any], asks: list[int], set_asks: Callable[[list[int]], None]):
    """Whom the student's member asks for help this week, in the order picked."""
    options = view["ask_options"]
    if view["need"] is None or view["need"] < 0 or not options:
        return
    limit = view["ask_limit"]
    with solara.Column(classes=["gc-panel", "gc-asks"], gap="4px"):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"<b>You need help with skill {view['need']} this week.</b> Whom do you ask? "
                f"Pick up to {limit}, first asked first"
                "<div class='gc-note'>If you pick nobody, your member asks the contacts it trusts "
                "most, as every member does. The first one who helps ends your asking.</div>"
            ),
        )
        for c in options:
            slot = c["slot"]
            place = asks.index(slot) + 1 if slot in asks else None
            with solara.Row(
                gap="8px",
                style={"align-items": "center", "flex-wrap": "wrap"},
                classes=["gc-option", f"gc-ask-{slot}"],
            ):
                solara.HTML(
                    tag="div",
                    style="flex: 1 1 260px",
                    unsafe_innerHTML=(
                        f"<b>#{slot}</b> · reputation {c['reputation']:.2f} · your trust {c['trust']:.2f}"
                        f" · tie {c['strength']:.2f}"
                        + (f" · <b class='gc-ask-place'>ask {place}.</b>" if place else "")
                    ),
                )
                solara.Button(
                    "Don't ask" if place else "Ask",
                    color="primary" if place else None,
                    outlined=not place,
                    disabled=not place and len(asks) >= limit,
                    on_click=lambda slot=slot: set_asks(
                        [x for x in asks if x != slot] if slot in asks else [*asks, slot]
                    ),
                    classes=["gc-ask"],
                )


@solara.component
def MeetPanel(view: dict[str, Any], meet: int | None, set_meet: Callable[[int | None], None]):
    """Someone new to seek out this week: friends of the student's friends."""
    options = view["meet_options"]
    if not options:
        return
    with solara.Column(classes=["gc-panel", "gc-meets"], gap="4px"):
        solara.HTML(
            tag="div",
            unsafe_innerHTML="<b>Meet someone new</b> — your contacts know them; you may seek out one a week"
            "<div class='gc-note'>You become contacts after this week (if neither of you has too many).</div>",
        )
        for m in options:
            slot = m["slot"]
            chosen = meet == slot
            with solara.Row(
                gap="8px", style={"align-items": "center"}, classes=["gc-option", f"gc-meet-{slot}"]
            ):
                solara.HTML(
                    tag="div",
                    style="flex: 1 1 auto",
                    unsafe_innerHTML=(
                        f"<b>#{slot}</b> · reputation {m['reputation']:.2f} · "
                        f"{m['mutual']} contact{'s' if m['mutual'] != 1 else ''} in common"
                    ),
                )
                solara.Button(
                    "Meet",
                    color="primary" if chosen else None,
                    outlined=not chosen,
                    on_click=lambda slot=slot: set_meet(None if meet == slot else slot),
                    classes=["gc-meet"],
                )


@solara.component
def Plain(children: list | None = None):
    """No navigation bar: each page is the whole screen."""
    solara.Column(children=children or [], style={"width": "100%"})


routes = [
    solara.Route(path="/", component=Teacher, label="Teacher", layout=Plain),
    solara.Route(path="join", component=Join, label="Join"),
]
