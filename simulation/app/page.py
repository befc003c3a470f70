"""The Solara page: controls, the network picture, live charts, inspector and lessons.

``Page`` is what ``givetake app`` serves; in a Jupyter notebook, display
``Page()`` or ``Viewer(scenario="taker_invasion", seed=3)``.  Every view
holds its own :class:`~simulation.app.session.Session` (made once per view
with ``use_memo``), so two browser tabs or two notebook cells never share a
model.  All pictures are SVG made on the server, so nothing is fetched from
the internet.
"""

from __future__ import annotations

import html
import itertools
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import solara
import solara.checks

from ..errors import InputError
from ..scenario import Scenario, ScenarioError
from ..strategies import label as strategy_label
from ..verdict import judge_model
from .controls import Control, controls_for
from .drawing import NEW_WEEKS, NO_ECOSYSTEM, SMALL_ECOSYSTEM, legend_html, strategy_colour
from .lessons import LESSONS, Lesson
from .session import DEFAULT_SCENARIO, Session, scenario_choices
from .story import KINDS, Chapter, totals
from .story import name as eco_name

__all__ = ["Page", "Viewer", "NetworkView", "SPEEDS"]

# Displayed in a notebook, Solara adds a one-time check that loads a page from
# solara.dev; the app must not reach the internet, so that check is switched off.
solara.checks.should_perform_jupyter_check = lambda: False

#: speed setting -> (weeks per frame, seconds per frame)
SPEEDS: dict[int, tuple[int, float]] = {
    1: (1, 1.0),
    2: (1, 0.5),
    3: (1, 0.25),
    4: (1, 0.12),
    5: (3, 0.12),
    6: (10, 0.12),
}

_CSS = """
.gt-app { max-width: 1500px; margin: 0 auto; padding: 8px 16px 32px 16px; font-size: 14px; }
.gt-header h1 { font-size: 20px; font-weight: 600; margin: 2px 0 0 0; }
.gt-header p { color: #555; margin: 0 0 2px 0; }
.gt-panel { background: #fafafa; border: 1px solid #e4e4e4; border-radius: 8px; padding: 8px 10px; }
.gt-verdict { font-size: 13px; }
/* settings: the label (with the value) above a slider as wide as the panel, so the knob's
   place along the track is the value's place between the ends written under it */
.gt-settings .v-input.v-slider.v-input--horizontal {
    grid-template-areas: "prepend" "control" "messages"; grid-template-columns: minmax(0, 1fr); }
.gt-settings .v-input.v-slider .v-input__prepend { margin: 0 0 -8px 0; }
.gt-settings .v-input.v-slider .v-slider__label { margin: 0; }
.gt-range { display: flex; justify-content: space-between; color: #888; font-size: 11px;
            margin: -12px 8px 0 8px; }
.gt-week { font-size: 16px; }
.gt-week b { font-size: 20px; }
.gt-chart, .gt-network { width: 100%; height: auto; display: block; }
.gt-story { font-size: 13px; max-height: 320px; overflow-y: auto; }
.gt-story ul { margin: 0 0 4px 0; padding-left: 18px; }
.gt-chapter { margin-top: 4px; }
.gt-facts td { padding: 1px 10px 1px 0; }
.gt-note { color: #666; font-size: 12px; }
.gt-notice { border-radius: 6px; padding: 8px 10px; font-size: 13px; }
.gt-error { background: #fdecea; border: 1px solid #e57373; color: #8a1c1c; }
.gt-info { background: #e8f1fb; border: 1px solid #90b8e0; color: #1b4a78; }
.gt-lesson blockquote { border-left: 3px solid #bbb; margin: 4px 0 8px 0; padding-left: 8px; color: #444; font-style: italic; }
.gt-lesson h3 { font-size: 17px; margin: 2px 0 6px 0; }
.gt-lesson ul { margin: 0 0 6px 0; }
.gt-lesson p { margin: 0 0 6px 0; }
"""


@solara.component_vue("network.vue", vuetify=False)
def NetworkView(svg: str, event_select_member: Callable[[int], None] | None = None):
    """The network picture; clicking a member calls ``event_select_member(slot)``."""


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _start(scenario: str | None, overrides: dict[str, Any] | None, seed: int) -> tuple[Session, str | None]:
    try:
        return Session(scenario, overrides, seed), None
    except (ScenarioError, InputError) as err:
        return Session(DEFAULT_SCENARIO, None, seed), f"{_one_line(err)} — showing {DEFAULT_SCENARIO} instead"


@solara.component
def Viewer(
    scenario: str | None = DEFAULT_SCENARIO,
    overrides: dict[str, Any] | None = None,
    seed: int = 0,
    session: Session | None = None,
):
    """The whole app, opening on ``scenario`` with ``overrides`` and ``seed``.

    Each Viewer builds its own :class:`Session` (so its own model), unless one is
    given: in a notebook, ``Viewer(session=s)`` lets you look at ``s.model`` while
    the page runs it.
    """
    session, first_error = solara.use_memo(
        lambda: (session, None) if session is not None else _start(scenario, overrides, seed), []
    )
    counter = solara.use_memo(lambda: itertools.count(1), [])
    version, set_version = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(4)
    pending, set_pending = solara.use_state(dict(session.overrides))
    seed_value, set_seed_value = solara.use_state(session.seed)
    message, set_message = solara.use_state(first_error)
    lesson_key, set_lesson_key = solara.use_state(None)
    choices = solara.use_memo(scenario_choices, [])

    def bump() -> None:
        set_version(next(counter))

    # -- actions ---------------------------------------------------------------------
    def apply(**kwargs: Any) -> bool:
        set_playing(False)
        try:
            session.configure(**kwargs)
        except (ScenarioError, InputError) as err:
            set_message(_one_line(err))
            return False
        set_message(None)
        set_pending(dict(session.overrides))
        bump()
        return True

    def on_reset() -> None:
        apply(overrides=pending, seed=seed_value)

    def on_step() -> None:
        session.step(1)
        bump()

    def on_scenario(label: str) -> None:
        if apply(scenario=choices.get(label, label), overrides={}, seed=seed_value):
            set_lesson_key(None)

    def on_lesson(title: str | None) -> None:
        lesson = next((x for x in LESSONS.values() if x.title == title), None)
        if lesson is None:
            set_lesson_key(None)
            return
        set_seed_value(lesson.seed)
        if apply(scenario=lesson.scenario, overrides=lesson.overrides, seed=lesson.seed):
            set_lesson_key(lesson.key)

    def update_settings(new: dict[str, Any]) -> None:
        """Keep the page's settings until Reset; say at once if they do not fit together."""
        set_pending(new)
        try:
            session.scenario(new)
            set_message(None)
        except (ScenarioError, InputError) as err:
            set_message(_one_line(err))

    def on_setting(key: str, value: Any) -> None:
        update_settings({**pending, key: value})

    def rescale_mix() -> None:
        mix = {k.rsplit(".", 1)[1]: v for k, v in pending.items() if k.startswith("population.mix.")}
        shares = {**session.config.mix, **mix}
        total = sum(shares.values())
        if total <= 0:
            return
        scaled = {f"population.mix.{k}": round(v / total, 4) for k, v in shares.items()}
        # rounding may leave the shares a hair off 1: the largest share takes the rest
        top = max(scaled, key=scaled.get)
        scaled[top] = round(scaled[top] + 1.0 - sum(scaled.values()), 6)
        update_settings({**pending, **scaled})

    # -- the page --------------------------------------------------------------------
    solara.Style(_CSS)
    solara.Title("givetake — networking ecosystems")
    scenario_label = next(
        (lbl for lbl, v in choices.items() if v == session.scenario_name), session.scenario_name
    )
    lesson = LESSONS.get(lesson_key) if lesson_key else None
    settings_changed = pending != session.overrides or seed_value != session.seed
    with solara.Column(classes=["gt-app"], gap="8px"):
        solara.HTML(
            tag="div",
            classes=["gt-header"],
            unsafe_innerHTML=(
                "<h1>givetake — watch a networking ecosystem grow or crumble</h1>"
                "<p>Members ask each other for help, give or refuse, build trust, drop ties and meet "
                "new people. Pick a lesson or a networking style and press play.</p>"
            ),
        )
        with solara.Row(gap="16px", style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
            # controls
            with solara.Column(
                classes=["gt-panel", "gt-controls"], style={"width": "330px", "min-width": "290px"}
            ):
                solara.Select(
                    "Lesson",
                    values=[x.title for x in LESSONS.values()],
                    value=lesson.title if lesson else None,
                    on_value=on_lesson,
                )
                solara.Select(
                    "Scenario (networking style)",
                    values=list(choices) or [str(scenario_label)],
                    value=scenario_label,
                    on_value=on_scenario,
                )
                solara.HTML(tag="div", classes=["gt-note"], unsafe_innerHTML=html.escape(session.description))
                with solara.Row(gap="6px"):
                    solara.Button(
                        "Pause" if playing else "Play",
                        icon_name="mdi-pause" if playing else "mdi-play",
                        color="primary",
                        on_click=lambda: set_playing(not playing),
                        classes=["gt-play"],
                    )
                    solara.Button(
                        "Step",
                        icon_name="mdi-step-forward",
                        on_click=on_step,
                        disabled=playing,
                        classes=["gt-step"],
                    )
                    solara.Button(
                        "Reset",
                        icon_name="mdi-restore",
                        on_click=on_reset,
                        color="warning" if settings_changed else None,
                        classes=["gt-reset"],
                    )
                solara.SliderInt(
                    "Speed", value=speed, min=1, max=len(SPEEDS), on_value=set_speed, thumb_label=False
                )
                weeks, interval = SPEEDS[speed]
                solara.HTML(
                    tag="div",
                    classes=["gt-note"],
                    unsafe_innerHTML=f"up to {weeks / interval:.3g} weeks per second",
                )
                solara.InputInt(
                    "Seed",
                    value=seed_value,
                    on_value=lambda v: set_seed_value(int(v or 0)),
                    classes=["gt-seed"],
                )
                if message:
                    Notice(message, kind="error")
                    if "population.mix" in message:
                        solara.Button(
                            "Rescale the shares to sum to 1",
                            on_click=rescale_mix,
                            text=True,
                            classes=["gt-rescale"],
                        )
                elif settings_changed:
                    Notice("Settings changed: press Reset to start again with them.", kind="info")
                Settings(session, session.config, pending, on_setting)

            # picture, lesson and inspector
            Live(session, version, playing, speed, set_playing, set_message, lesson)


@solara.component
def Live(
    session: Session,
    generation: int,
    playing: bool,
    speed: int,
    set_playing: Callable[[bool], None],
    set_message: Callable[[str | None], None],
    lesson: Lesson | None,
):
    """The moving part of the page: week counter, network, inspector, charts, ecosystems.

    It holds the play loop and its own frame counter, so a frame redraws only
    this part and not the controls.  ``generation`` changes when the controls
    change the run (step, reset, another scenario).
    """
    counter = solara.use_memo(lambda: itertools.count(1), [])
    version, set_version = solara.use_state(0)
    pick, set_pick = solara.use_state(0)

    def bump() -> None:
        set_version(next(counter))

    frame = solara.use_memo(session.frame, [version, generation])

    # -- the play loop (a thread per view, stopped when paused or changed) ----------
    def loop(cancel: threading.Event) -> None:
        if not playing:
            return
        weeks, interval = SPEEDS[speed]
        while not cancel.is_set():
            t0 = time.perf_counter()
            try:
                session.step(weeks)
            except Exception as err:  # show it in the page, never a traceback
                set_message(f"The run stopped: {_one_line(err)}")
                set_playing(False)
                return
            bump()
            if not getattr(session.model, "running", True) or session.model.population.n_alive == 0:
                set_playing(False)
                return
            cancel.wait(max(interval - (time.perf_counter() - t0), 0.01))

    solara.use_thread(loop, dependencies=[playing, speed, session.model], intrusive_cancel=False)

    def select(slot: int | None) -> None:
        session.selected = slot
        if slot is not None:
            set_pick(int(slot))  # the number box follows the member clicked in the network
        bump()

    def on_colour(value: str) -> None:
        session.colour_by = value
        bump()

    ticks = (version, generation)
    inspecting = f" · inspecting <b>#{session.selected}</b> (below)" if session.selected is not None else ""
    with solara.Column(style={"flex": "1 1 auto", "min-width": "0"}, gap="10px"):
        # what a class watches, all above the fold at 1400x900: the network beside the charts
        with solara.Row(gap="12px", style={"align-items": "flex-start", "flex-wrap": "wrap"}):
            with solara.Column(
                classes=["gt-panel", "gt-network-panel"],
                style={"flex": "1 1 440px", "min-width": "380px", "max-width": "620px"},
                gap="4px",
            ):
                with solara.Row(
                    justify="space-between", style={"align-items": "center", "flex-wrap": "wrap"}
                ):
                    solara.HTML(
                        tag="div",
                        classes=["gt-week"],
                        unsafe_innerHTML=(
                            f"Week <b class='gt-step-count'>{frame.step}</b> · "
                            f"<span class='gt-members'>{frame.members}</span> members · "
                            f"{int(frame.metrics.get('ties', 0))} ties{inspecting}"
                        ),
                    )
                    colour_values = (
                        ["strategy", "ecosystem"] if session.ecosystems is not None else ["strategy"]
                    )
                    if len(colour_values) > 1:
                        solara.ToggleButtonsSingle(
                            value=session.colour_by,
                            values=colour_values,
                            on_value=on_colour,
                            dense=True,
                            style={"flex-shrink": "0"},
                        )
                NetworkView(svg=frame.network, event_select_member=select)
                solara.HTML(tag="div", unsafe_innerHTML=_legend(session))
            with solara.Column(
                classes=["gt-charts"], style={"flex": "1 1 380px", "min-width": "320px"}, gap="6px"
            ):
                VerdictPanel(session, ticks)
                for name, svg in frame.charts.items():
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=svg,
                        classes=["gt-panel", f"gt-chart-{name}"],
                        style="padding: 2px 4px",
                    )
        # below: the lesson, the member inspected and the ecosystems' story
        with solara.Row(gap="12px", style={"align-items": "flex-start", "flex-wrap": "wrap"}):
            if lesson is not None:
                with solara.Column(classes=["gt-panel", "gt-lesson"], style={"flex": "1 1 320px"}):
                    solara.HTML(tag="div", unsafe_innerHTML=lesson.html())
            with solara.Column(style={"flex": "1 1 360px", "min-width": "320px"}):
                Inspector(session, ticks, select, pick, set_pick)
            with solara.Column(style={"flex": "1 1 360px", "min-width": "320px"}):
                EcosystemPanel(session, ticks)


@solara.component
def Notice(text: str, kind: str = "info"):
    """A coloured one-line message box (``kind``: ``"error"`` or ``"info"``)."""
    solara.HTML(tag="div", classes=["gt-notice", f"gt-{kind}"], unsafe_innerHTML=html.escape(text))


def _legend(session: Session) -> str:
    model = session.model
    eco = session.ecosystem_map() if session.colour_by == "ecosystem" else None
    if eco:
        sizes = session.ecosystem_sizes(eco)
        colours = session.ecosystem_colours
        items = [(f"{eco_name(e)} ({n})", colours[e]) for e, n in sizes.items() if e in colours]
        if len(sizes) > len(items):
            more = len(sizes) - len(items)
            items.append((f"{more} smaller ecosystem{'s' if more > 1 else ''}", SMALL_ECOSYSTEM))
        items.append(("in no ecosystem", NO_ECOSYSTEM))
    else:
        items = [
            (strategy_label(name), strategy_colour(name))
            for name in model.strategy_names
            if name in session.config.mix
            and session.config.mix[name] > 0
            or model.metrics.get(f"n_{name}", 0)
        ]
    note = (
        "<div class='gt-note'>circle size: wealth · line width: tie strength · black outline: "
        f"joined in the last {NEW_WEEKS} weeks · grey, fading: left · click a member to inspect it</div>"
    )
    return legend_html(items) + note


@solara.component
def Settings(
    session: Session, config: Scenario, pending: dict[str, Any], on_setting: Callable[[str, Any], None]
):
    """Sliders generated from the declared parameters of the scenario in use (``config``)."""
    groups = controls_for(config)
    with solara.Column(gap="0px", classes=["gt-settings"]):
        for group, controls in groups.items():
            SettingGroup(group, controls, session, pending, on_setting, open_at_start=group == "Population")


@solara.component
def SettingGroup(
    title: str,
    controls: list[Control],
    session: Session,
    pending: dict[str, Any],
    on_setting: Callable[[str, Any], None],
    open_at_start: bool = False,
):
    """A group of settings that opens and closes with a click on its title."""
    is_open, set_open = solara.use_state(open_at_start)
    solara.Button(
        ("▾ " if is_open else "▸ ") + title,
        on_click=lambda: set_open(not is_open),
        text=True,
        classes=["gt-group"],
        style={
            "justify-content": "flex-start",
            "text-transform": "none",
            "font-weight": "600",
            "width": "100%",
        },
    )
    if is_open:
        with solara.Column(gap="0px", style={"padding": "0 4px 0 8px"}):
            for control in controls:
                SettingControl(control, pending.get(control.key, control.value(session.config)), on_setting)


@solara.component
def SettingControl(control: Control, value: Any, on_setting: Callable[[str, Any], None]):
    """One slider, switch or menu, labelled and explained by its Param."""
    key = control.key
    if control.kind == "int":
        solara.SliderInt(
            f"{control.label}: {value}",
            value=int(value),
            min=int(control.low),
            max=int(control.high),
            on_value=lambda v: on_setting(key, int(v)),
            thumb_label=True,
        )
    elif control.kind == "float":
        solara.SliderFloat(
            f"{control.label}: {value:g}",
            value=float(value),
            min=float(control.low),
            max=float(control.high),
            step=float(control.step),
            on_value=lambda v: on_setting(key, round(float(v), 6)),
            thumb_label=True,
        )
    if control.kind in ("int", "float"):
        solara.HTML(
            tag="div",
            classes=["gt-range"],
            unsafe_innerHTML=f"<span>{control.low:g}</span><span>{control.high:g}</span>",
        )
    elif control.kind == "bool":
        solara.Checkbox(label=control.label, value=bool(value), on_value=lambda v: on_setting(key, bool(v)))
    elif control.kind == "choice":
        solara.Select(
            control.label,
            values=list(control.param.choices),
            value=value,
            on_value=lambda v: on_setting(key, v),
        )
    solara.HTML(
        tag="div",
        classes=["gt-note"],
        unsafe_innerHTML=html.escape(control.param.doc),
        style="margin: -6px 0 6px 0",
    )


@solara.component
def Inspector(
    session: Session,
    version: tuple[int, int],
    select: Callable[[int | None], None],
    pick: int,
    set_pick: Callable[[int], None],
):
    """Details of the selected member: strategy, wealth, ties, trust over time.

    ``version`` changes whenever the run or the selection does, so the panel is redrawn.
    """
    slot = session.selected
    with solara.Column(classes=["gt-panel", "gt-inspector"], gap="4px"):
        with solara.Row(gap="6px", style={"align-items": "center"}):
            solara.InputInt(
                "Member #",
                value=pick,
                on_value=lambda v: set_pick(int(v or 0)),
                classes=["gt-pick"],
                dense=True,
            )
            solara.Button(
                "Inspect",
                on_click=lambda: select(pick) if session.member_at(pick) else None,
                classes=["gt-inspect"],
            )
            if slot is not None:
                solara.Button("Close", on_click=lambda: select(None), text=True)
        if slot is None:
            solara.HTML(
                tag="div",
                classes=["gt-note"],
                unsafe_innerHTML="Click a member in the picture (or enter a number) to inspect it.",
            )
            return
        info = session.inspect(slot)
        status = "active" if info["alive"] else f"left in week {info['left']}"
        colour = strategy_colour(info["strategy"])
        solara.HTML(
            tag="div",
            classes=["gt-inspected"],
            unsafe_innerHTML=(
                f"<div style='font-size:16px'><span style='color:{colour};font-size:20px'>●</span> "
                f"<b>Member #{slot}</b> — <span class='gt-inspected-strategy'>{strategy_label(info['strategy'])}</span></div>"
                "<table class='gt-facts'>"
                f"<tr><td>wealth</td><td><b>{info['wealth']:.1f}</b></td><td>status</td><td>{status}</td></tr>"
                f"<tr><td>ties</td><td><b>{info['ties']}</b></td><td>joined</td><td>week {info['joined']}</td></tr>"
                f"<tr><td>reputation</td><td>{info['reputation']:.2f}</td><td>rank</td><td>{info['rank']}</td></tr>"
                f"<tr><td>skills</td><td colspan='3'>{', '.join(str(s) for s in info['skills'])}</td></tr>"
                "</table>"
            ),
        )
        solara.HTML(tag="div", unsafe_innerHTML=info["chart"])
        solara.HTML(tag="div", unsafe_innerHTML=info["wealth_chart"])
        contacts = info["contacts"][:8]
        if contacts:
            solara.HTML(
                tag="div",
                classes=["gt-note"],
                unsafe_innerHTML="Strongest ties (strength · trust given / received):",
            )
            with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
                for c in contacts:
                    solara.Button(
                        f"#{c['slot']} {strategy_label(c['strategy'])} · {c['strength']:.2f} · "
                        f"{c['trust_given']:.2f}/{c['trust_received']:.2f}",
                        on_click=lambda s=c["slot"]: select(s),
                        text=True,
                        style={
                            "text-transform": "none",
                            "font-size": "12px",
                            "color": strategy_colour(c["strategy"]),
                        },
                    )


@solara.component
def EcosystemPanel(session: Session, version: tuple[int, int]):
    """The ecosystems' story: one line per detection with what changed, and a few
    notable events in words (when the scenario detects ecosystems).

    ``version`` changes whenever the run does, so the panel is redrawn.
    """
    mech = session.ecosystems
    if mech is None:
        return
    m = session.model.metrics
    story = session.story()
    with solara.Column(classes=["gt-panel", "gt-ecosystems"], gap="4px"):
        every = getattr(mech, "every", None)
        count, largest = m.get("ecosystems", math.nan), m.get("largest_ecosystem", math.nan)
        if not mech.detections:  # not looked for yet (NaN in the week's metrics)
            count, largest = 0, 0.0
        head = (
            f"<b>Ecosystems</b>: <span class='gt-eco-count'>{int(count)}</span> now"
            f" · largest {largest:.0%} of members" + (f" · looked for every {every} weeks" if every else "")
        )
        solara.HTML(tag="div", unsafe_innerHTML=head)
        if len(story) < 2:
            solara.HTML(
                tag="div",
                classes=["gt-note"],
                unsafe_innerHTML="No changes yet: the story starts at the next detection.",
            )
            return
        solara.HTML(tag="div", classes=["gt-story"], unsafe_innerHTML=_story_html(story))


def _story_html(story: list[Chapter], chapters_shown: int = 6) -> str:
    """The story as HTML: what happened since the start, then the latest detections, newest first."""
    total = totals(story)
    ended, dissolved = total["ended"], total["dissolved"]
    since = ", ".join(f"{total[k]} {k}" for k in KINDS if total[k]) or "no change"
    gone = (
        f" — of the ecosystems that are gone, {ended} ended because their members left and "
        f"{dissolved} dissolved while their members stayed and regrouped"
        if ended + dissolved
        else ""
    )
    parts = [f"<div class='gt-story-total'>Since week {story[0].step}: {html.escape(since)}{gone}.</div>"]
    for ch in reversed(story[-chapters_shown:]):
        if ch.step == story[0].step:
            continue
        items = "".join(f"<li>{html.escape(t)}</li>" for t in ch.notable)
        parts.append(
            f"<div class='gt-chapter' data-step='{ch.step}'><b>Week {ch.step}</b> · "
            f"{html.escape(ch.summary())}" + (f"<ul>{items}</ul>" if items else "") + "</div>"
        )
    return "".join(parts)


_VERDICT_COLOURS = {
    "flourishing": "#1b7f3b",
    "stable": "#7a6a00",
    "recovered": "#3d7a2a",
    "struggling": "#b35c00",
    "collapsed": "#b3261e",
}


@solara.component
def VerdictPanel(session: Session, version: tuple[int, int]):
    """The run's verdict so far (runs that collect the full metrics).

    ``version`` changes whenever the run does, so the panel is redrawn.
    """
    text = _verdict(session.model)
    if text:
        solara.HTML(tag="div", classes=["gt-panel", "gt-verdict"], unsafe_innerHTML=text)


def _verdict(model: Any) -> str:
    """The run's verdict so far (criteria in ``docs/ecosystems.md``) as HTML, or "" when there is none."""
    v = judge_model(model)
    if v is None:
        return ""
    colour = _VERDICT_COLOURS.get(v.verdict, "#333")
    story = "".join(f" · {html.escape(event)} at week {step}" for step, event, _ in v.timeline[-4:])
    return (
        f"So far this network looks <b style='color:{colour}'>{html.escape(v.verdict)}</b>{story}"
        f"<br><span class='gt-note'>{html.escape(v.reason)}</span>"
    )


@solara.component
def Page():
    """The app as served by ``givetake app``: opens on the default scenario."""
    Viewer()
