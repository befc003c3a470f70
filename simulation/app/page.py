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
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import solara
import solara.checks

from ..errors import InputError
from ..params import check_seed
from ..scenario import Scenario
from ..strategies import label as strategy_label
from ..style_colours import style_colour
from ..verdict import VerdictCriteria, judge_model
from .controls import Control, check_setting, controls_for
from .drawing import NEW_WEEKS, NO_ECOSYSTEM, SMALL_ECOSYSTEM, legend_html, strategy_colour
from .lessons import LESSONS, Lesson
from .serving import SESSIONS, current_context
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

#: seconds the play loop waits at most for a frame to be drawn before it steps on
FRAME_WAIT_SECONDS = 10.0


def _hold_seconds() -> float:
    """How long the server keeps a page without a connection (Solara's kernel cull timeout)."""
    try:
        import solara.server.settings
        import solara.util

        return float(solara.util.parse_timedelta(solara.server.settings.kernel.cull_timeout))
    except Exception:  # not served: no page to wait for
        return 0.0


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
.gt-style-chip { display: inline-block; width: 12px; height: 12px; border-radius: 3px;
  margin-right: 6px; vertical-align: -1px; }
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
    except InputError as err:
        return Session(DEFAULT_SCENARIO, None, 0), f"{_one_line(err)} — showing {DEFAULT_SCENARIO} instead"


def _admit(
    scenario: str | None, overrides: dict[str, Any] | None, seed: int, context: Any
) -> tuple[Session, str | None] | None:
    """The page's run, or None when the server holds as many runs as it allows."""
    first_error: list[str | None] = []

    def make() -> Session:
        session, error = _start(scenario, overrides, seed)
        first_error.append(error)
        return session

    session = SESSIONS.admit(make, context)
    return None if session is None else (session, first_error[0])


def _guarded(action: Callable[..., Any], report: Callable[[str | None], None]) -> Callable[..., Any]:
    """``action`` that, should it fail unexpectedly, leaves the run as it is and says so in
    the page in one line (the traceback goes to the server's log, never to the page)."""

    def run(*args: Any) -> Any:
        try:
            return action(*args)
        except Exception as err:
            print("givetake app: an action failed:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            report(f"That did not work ({type(err).__name__}); the run is kept as it was.")
            return None

    return run


@solara.component
def Full(limit: int | None, on_retry: Callable[[], None]):
    """What a page sees when the server holds as many runs as it allows."""
    solara.Style(_CSS)
    solara.Title("givetake — networking ecosystems")
    with solara.Column(classes=["gt-app", "gt-full"], gap="8px", style={"max-width": "640px"}):
        solara.HTML(
            tag="div",
            classes=["gt-header"],
            unsafe_innerHTML="<h1>givetake — watch a networking ecosystem grow or crumble</h1>",
        )
        Notice(
            f"Sorry, the app is full: {limit} pages are running simulations on this computer, the most "
            "it takes at a time. Please try again in a minute or two; a page closed or left frees its "
            "place.",
            kind="info",
        )
        solara.Button("Try again", icon_name="mdi-refresh", on_click=on_retry, classes=["gt-retry"])


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
    context = solara.use_memo(current_context, [])
    attempt, set_attempt = solara.use_state(0)
    started = solara.use_memo(
        lambda: (session, None) if session is not None else _admit(scenario, overrides, seed, context),
        [attempt],
    )
    if started is None:
        Full(SESSIONS.limit, lambda: set_attempt(attempt + 1))
    else:
        Running(*started, context)


@solara.component
def Running(session: Session, first_error: str | None, context: Any):
    """The app on one run: controls, picture, inspector, charts (``context``: the page's
    Solara kernel context, whose connection the play loop watches; None in a notebook)."""
    counter = solara.use_memo(lambda: itertools.count(1), [])
    version, set_version = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(4)
    pending, set_pending = solara.use_state(dict(session.overrides))
    seed_value, set_seed_value = solara.use_state(session.seed)
    seed_text, set_seed_text = solara.use_state(str(session.seed))
    message, set_message = solara.use_state(first_error)
    #: what was wrong with the value last sent for each field: key -> one line, shown beside it
    field_errors, set_field_errors = solara.use_state({})
    lesson_key, set_lesson_key = solara.use_state(None)
    choices = solara.use_memo(scenario_choices, [])

    def bump() -> None:
        set_version(next(counter))

    def field_error(key: str, text: str | None) -> None:
        if field_errors.get(key) != text:
            set_field_errors({k: v for k, v in {**field_errors, key: text}.items() if v})

    # -- actions (every value a page sends is checked here, on the server) ------------
    def apply(**kwargs: Any) -> bool:
        set_playing(False)
        try:
            session.configure(**kwargs)
        except InputError as err:
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

    def on_scenario(label: Any) -> None:
        # only the scenarios offered: a page never names a file of the server's own choosing
        if not isinstance(label, str) or label not in choices:
            field_error("scenario", f"Scenario {label!r}: expected one of the scenarios offered")
            return
        field_error("scenario", None)
        lesson = LESSONS.get(lesson_key) if lesson_key else None
        if lesson is not None and choices[label] == lesson.compare_with:
            # the run the lesson compares with: same settings and seed, the lesson stays open
            apply(scenario=choices[label], overrides=lesson.overrides, seed=seed_value)
        elif apply(scenario=choices[label], overrides={}, seed=seed_value):
            set_lesson_key(None)

    def on_lesson(title: Any) -> None:
        lesson = next((x for x in LESSONS.values() if x.title == title), None)
        if lesson is None:
            if title is not None:
                field_error("lesson", f"Lesson {title!r}: expected one of the lessons offered")
            set_lesson_key(None)
            return
        field_error("lesson", None)
        set_seed_value(lesson.seed)
        set_seed_text(str(lesson.seed))
        field_error("seed", None)
        if apply(scenario=lesson.scenario, overrides=lesson.overrides, seed=lesson.seed):
            set_lesson_key(lesson.key)

    def on_seed(text: Any) -> None:
        """The Seed box: checked as ``givetake run --seed`` is; used at the next Reset."""
        set_seed_text(str(text))
        try:
            set_seed_value(check_seed(text if isinstance(text, str | int) else repr(text), "Seed"))
        except InputError as err:
            field_error("seed", _one_line(err))
            return
        field_error("seed", None)

    def on_speed(value: Any) -> None:
        if isinstance(value, bool) or value not in SPEEDS:
            field_error("speed", f"Speed {value!r}: expected a whole number from 1 to {len(SPEEDS)}")
            return
        field_error("speed", None)
        set_speed(int(value))

    def update_settings(new: dict[str, Any]) -> None:
        """Keep the page's settings until Reset; say at once if they do not fit together."""
        set_pending(new)
        try:
            session.scenario(new)
            set_message(None)
        except InputError as err:
            set_message(_one_line(err))

    def on_setting(control: Control, value: Any) -> None:
        try:
            value = check_setting(control, value)
        except InputError as err:
            field_error(control.key, _one_line(err))
            return
        field_error(control.key, None)
        update_settings({**pending, control.key: value})

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

    def guard(action: Callable[..., Any]) -> Callable[..., Any]:
        return _guarded(action, set_message)

    on_reset, on_step, on_scenario, on_lesson, on_seed, on_speed = map(
        guard, (on_reset, on_step, on_scenario, on_lesson, on_seed, on_speed)
    )
    on_setting, rescale_mix = guard(on_setting), guard(rescale_mix)

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
                # a fixed width: the picture and charts beside it give way, not the buttons
                classes=["gt-panel", "gt-controls"],
                style={"flex": "0 0 330px", "width": "330px"},
            ):
                solara.Select(
                    "Lesson",
                    values=[x.title for x in LESSONS.values()],
                    value=lesson.title if lesson else None,
                    on_value=on_lesson,
                )
                FieldError(field_errors.get("lesson"))
                if lesson is not None:
                    # at 1400x900 the lesson's text is below the fold: say where it is
                    solara.HTML(
                        tag="div",
                        classes=["gt-note", "gt-lesson-hint"],
                        unsafe_innerHTML=(
                            "What to watch for and what to try next: "
                            "<a href='#' onclick=\"document.querySelector('.gt-lesson')"
                            ".scrollIntoView({behavior: 'smooth'}); return false\">"
                            "the lesson, below the picture</a>."
                        ),
                    )
                solara.Select(
                    "Scenario (networking style)",
                    values=list(choices) or [str(scenario_label)],
                    value=scenario_label,
                    on_value=on_scenario,
                )
                FieldError(field_errors.get("scenario"))
                solara.HTML(
                    tag="div",
                    classes=["gt-note"],
                    unsafe_innerHTML=(
                        # the style's colour: the same as its line in the report's figures
                        f'<span class="gt-style-chip" title="this style\'s colour in the report" '
                        f'style="background:{style_colour(session.scenario_name)}"></span>'
                        + html.escape(session.description)
                    ),
                )
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
                Slider("Speed", speed, 1, len(SPEEDS), 1, on_speed)
                FieldError(field_errors.get("speed"))
                weeks, interval = SPEEDS[speed]
                solara.HTML(
                    tag="div",
                    classes=["gt-note"],
                    unsafe_innerHTML=f"up to {weeks / interval:.3g} weeks per second",
                )
                solara.InputText(
                    "Seed",
                    value=seed_text,
                    on_value=on_seed,
                    error=field_errors.get("seed") or False,
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
                Settings(session, session.config, pending, on_setting, field_errors)

            # picture, lesson and inspector
            Live(
                session,
                version,
                playing,
                speed,
                set_playing,
                set_message,
                lesson,
                SESSIONS.still_connected(context),
            )


@solara.component
def Live(
    session: Session,
    generation: int,
    playing: bool,
    speed: int,
    set_playing: Callable[[bool], None],
    set_message: Callable[[str | None], None],
    lesson: Lesson | None,
    connected: Callable[[], bool] = lambda: True,
):
    """The moving part of the page: week counter, network, inspector, charts, ecosystems.

    It holds the play loop and its own frame counter, so a frame redraws only
    this part and not the controls.  ``generation`` changes when the controls
    change the run (step, reset, another scenario).  The loop stops stepping as soon as
    ``connected()`` says the page's browser has gone, and goes on if the page's connection
    comes back before the server closes the page.
    """
    counter = solara.use_memo(lambda: itertools.count(1), [])
    version, set_version = solara.use_state(0)
    pick, set_pick = solara.use_state(0)

    def bump() -> None:
        set_version(next(counter))

    frame = solara.use_memo(session.frame, [version, generation])
    #: set once the last frame asked for is drawn (the render pass that drew it has ended)
    drawn = solara.use_memo(threading.Event, [])
    solara.use_effect(drawn.set, [version])

    # -- the play loop (a thread per view, stopped when paused or changed) ----------
    def loop(cancel: threading.Event) -> None:
        if not playing:
            return
        weeks, interval = SPEEDS[speed]
        while not cancel.is_set():
            if not connected():  # nobody is watching: stop until the page comes back
                SESSIONS.note(f"a page without a connection stopped playing at week {session.model.steps}")
                # the server keeps the page for a while: a page whose connection is renewed (a
                # network blip) goes on playing; one that is gone is closed, which cancels this
                # (and should that not come, the wait ends once the page is past its hold)
                give_up = time.monotonic() + _hold_seconds() + 10.0
                while not connected():
                    if cancel.wait(0.25) or time.monotonic() > give_up:
                        return
                SESSIONS.note(f"a page got its connection back and plays on at week {session.model.steps}")
                continue
            t0 = time.perf_counter()
            try:
                session.step(weeks)
            except Exception as err:  # show it in the page, never a traceback
                set_message(f"The run stopped: {_one_line(err)}")
                set_playing(False)
                return
            drawn.clear()
            bump()
            # the next frame only once this one is drawn: on a busy server a frame can take
            # longer to draw than the speed allows, and a change during every render pass
            # makes the page's render loop run on until Solara stops it with an error page
            deadline = time.monotonic() + FRAME_WAIT_SECONDS
            while not drawn.wait(0.05):
                if cancel.is_set() or time.monotonic() > deadline:
                    break
            if not getattr(session.model, "running", True) or session.model.population.n_alive == 0:
                set_playing(False)
                return
            cancel.wait(max(interval - (time.perf_counter() - t0), 0.01))

    solara.use_thread(loop, dependencies=[playing, speed, session.model], intrusive_cancel=False)

    def select(slot: Any) -> None:
        if slot is not None and (
            not isinstance(slot, int) or isinstance(slot, bool) or not session.member_at(slot)
        ):
            return  # a click the page cannot have sent: nothing to inspect
        session.selected = slot
        if slot is not None:
            set_pick(int(slot))  # the number box follows the member clicked in the network
        bump()

    def on_colour(value: Any) -> None:
        if value not in ("strategy", "ecosystem"):
            return
        session.colour_by = value
        bump()

    select, on_colour = _guarded(select, set_message), _guarded(on_colour, set_message)

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
                        Toggle(session.colour_by, colour_values, on_colour)
                NetworkView(svg=frame.network, event_select_member=select)
                with session.lock:
                    legend = _legend(session)
                solara.HTML(tag="div", unsafe_innerHTML=legend)
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
def Slider(
    label: str,
    value: float,
    low: float,
    high: float,
    step: float,
    on_value: Callable[[Any], None],
    thumb_label: bool = False,
):
    """A slider that hands what the page sends to ``on_value`` as it came: Solara's own
    sliders convert it first, and a value that does not convert would stop the page."""
    solara.v.Slider(
        v_model=value,
        on_v_model=on_value,
        label=label,
        min=low,
        max=high,
        step=step,
        thumb_label=thumb_label,
        dense=False,
        hide_details=True,
    )


@solara.component
def Checkbox(label: str, value: bool, on_value: Callable[[Any], None]):
    """A checkbox with its label once, beside the box: Solara's own passes the label to
    Vuetify twice, as the label and as the box's content, and the second copy is squeezed
    into the box's width, a word a line, out of the panel."""
    solara.v.Checkbox(v_model=value, on_v_model=on_value, label=label, hide_details=True)


@solara.component
def Toggle(value: str, values: list[str], on_value: Callable[[str], None]):
    """Buttons choosing one of ``values``; an index the page cannot have sent is ignored."""

    def on_index(index: Any) -> None:
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(values):
            on_value(values[index])

    solara.v.BtnToggle(
        children=[solara.Button(label=x) for x in values],
        v_model=values.index(value) if value in values else None,
        on_v_model=on_index,
        mandatory=True,
        dense=True,
        style_="flex-shrink: 0",
    )


@solara.component
def FieldError(text: str | None):
    """The reason the value last sent for the field above was not taken (nothing when it was)."""
    if text:
        solara.HTML(
            tag="div", classes=["gt-notice", "gt-error", "gt-field-error"], unsafe_innerHTML=html.escape(text)
        )


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
    session: Session,
    config: Scenario,
    pending: dict[str, Any],
    on_setting: Callable[[Control, Any], None],
    errors: dict[str, str] | None = None,
):
    """Sliders generated from the declared parameters of the scenario in use (``config``);
    ``errors`` (key -> one line) are shown beside their fields."""
    groups = controls_for(config)
    errors = errors or {}
    with solara.Column(gap="0px", classes=["gt-settings"]):
        for group, controls in groups.items():
            SettingGroup(
                group,
                controls,
                config,
                pending,
                on_setting,
                open_at_start=group == "Population" or any(c.key in errors for c in controls),
                errors=errors,
            )


@solara.component
def SettingGroup(
    title: str,
    controls: list[Control],
    config: Scenario,
    pending: dict[str, Any],
    on_setting: Callable[[Control, Any], None],
    open_at_start: bool = False,
    errors: dict[str, str] | None = None,
):
    """A group of settings that opens and closes with a click on its title; a setting not
    changed on the page shows its value in ``config``, the scenario in use (passed, not read
    from the session, so that another scenario with the same settings on the page redraws
    the values)."""
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
                SettingControl(
                    control,
                    pending.get(control.key, control.value(config)),
                    on_setting,
                    (errors or {}).get(control.key),
                )


@solara.component
def SettingControl(
    control: Control, value: Any, on_setting: Callable[[Control, Any], None], error: str | None = None
):
    """One slider, switch or menu, labelled and explained by its Param; ``error`` beside it.

    What the page sends goes to ``on_setting`` as it came (the server checks it)."""
    if control.kind == "int":
        Slider(
            f"{control.label}: {value}",
            int(value),
            int(control.low),
            int(control.high),
            1,
            lambda v: on_setting(control, v),
            thumb_label=True,
        )
    elif control.kind == "float":
        Slider(
            f"{control.label}: {value:g}",
            float(value),
            float(control.low),
            float(control.high),
            float(control.step),
            lambda v: on_setting(control, round(v, 6) if isinstance(v, float) else v),
            thumb_label=True,
        )
    if control.kind in ("int", "float"):
        solara.HTML(
            tag="div",
            classes=["gt-range"],
            unsafe_innerHTML=f"<span>{control.low:g}</span><span>{control.high:g}</span>",
        )
    elif control.kind == "bool":
        Checkbox(control.label, bool(value), lambda v: on_setting(control, v))
    elif control.kind == "choice":
        solara.Select(
            control.label,
            values=list(control.param.choices),
            value=value,
            on_value=lambda v: on_setting(control, v),
        )
    FieldError(error)
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
    error, set_error = solara.use_state(None)

    def member(text: Any) -> int | None:
        """The member numbered ``text``, or None with the reason beside the box."""
        try:
            n = int(str(text).strip(), 10)
        except ValueError:
            set_error(f"Member # {text!r}: expected a whole number")
            return None
        if not session.member_at(n):
            last = session.model.population.size - 1
            set_error(f"Member # {n}: no such member in this run (members are numbered 0 to {last})")
            return None
        set_error(None)
        return n

    def on_pick(text: Any) -> None:
        n = member(text)
        if n is not None:
            set_pick(n)

    def on_inspect() -> None:
        n = member(pick)
        if n is not None:
            select(n)

    with solara.Column(classes=["gt-panel", "gt-inspector"], gap="4px"):
        with solara.Row(gap="6px", style={"align-items": "center"}):
            solara.InputText(
                "Member #",
                value=str(pick),
                on_value=on_pick,
                error=error or False,
                classes=["gt-pick"],
                dense=True,
            )
            solara.Button("Inspect", on_click=on_inspect, classes=["gt-inspect"])
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
                + (
                    f"<tr><td>habit</td><td colspan='3' class='gt-habit'>{info['habit']}: "
                    + (
                        "collects many connections and leaves them be"
                        if info["habit"] == "collector"
                        else "keeps a few deep relationships and works on them"
                    )
                    + "</td></tr>"
                    if info.get("habit")
                    else ""
                )
                + "</table>"
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
    with session.lock:  # the play loop may be stepping the model in another thread
        m = dict(session.model.metrics)
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
    with session.lock:  # the play loop may be stepping the model in another thread
        text = _verdict(session.model)
    if text:
        solara.HTML(tag="div", classes=["gt-panel", "gt-verdict"], unsafe_innerHTML=text)


def _verdict(model: Any) -> str:
    """The run's verdict so far (criteria in ``docs/ecosystems.md``) as HTML, or "" when there is none."""
    v = judge_model(model)
    if v is None:
        return ""
    window = VerdictCriteria.from_scenario(model.config).window
    if model.steps < window:  # each week's measures pool the last `window` weeks: fewer say little
        return f"Too early to judge: a verdict pools {window} weeks of the run (week {model.steps} so far)."
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
