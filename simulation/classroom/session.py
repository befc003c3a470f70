"""A class playing one shared model: join code, seats, weeks, decisions, saving.

A :class:`ClassSession` holds the model the whole class plays, with no web page
in it, so it can be tested on its own.  Students join with the class code and a
nickname and get a *seat*: one member of the model, played through the
:class:`~simulation.classroom.strategy.Student` strategy.  Every action names
the seat by its secret token; what a seat may do and see is checked here, on
the server, never in the page.

A week runs like this.  Before it runs, a copy of the model looks ahead to see
who will ask each student's member for help (the same needs and the same asking
as the real week: they are drawn before anyone answers).  Each student decides
to help or refuse each of them, and anyone else who asks (once a student helps,
the week can take another turn than the look-ahead, and someone unforeseen may
ask), and may drop contacts.  When every student has
decided, or the teacher's timer runs out, or the teacher presses *next week*,
the real model runs one week; undecided students' members take the teacher's
default (refuse, or answer as a matcher).  The session is saved after every
week and every change of seats, so a restarted server resumes the class: a week's
save is taken as the week ends and written to disk just after the next week is
opened, so that students do not wait for the disk.

Examples
--------
>>> s = ClassSession("open_mixer", seats=5, seed=1, overrides={"population.size": 60})
>>> seat = s.join(s.code, "Ada")
>>> view = s.student_view(seat.token)
>>> view["week"], view["seat"], view["slot"] == seat.slot
(0, 'S01', True)
>>> s.start()  # the teacher starts the class
>>> s.decide(seat.token, week=0, helps={r["asker"]: True for r in view["requests"]})
>>> s.week  # the only student decided: the week ran
1
"""

from __future__ import annotations

import copy
import os
import pickle
import secrets
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np

from ..errors import InputError
from ..mechanisms.contacts import second_contacts
from ..model import GiveTakeModel
from ..scenario import Scenario
from ..scenario_files import load_scenario
from .strategy import DEFAULTS, STUDENT, Student

__all__ = [
    "ClassSession",
    "Seat",
    "Refused",
    "NotAuthorised",
    "MAX_SIZE",
    "MAX_SEATS",
    "MAX_NICKNAME",
    "SAVE_FILE",
]

#: scenarios bigger than this start smaller in class (a picture a class can read)
MAX_SIZE = 300

#: no class has more seats than this
MAX_SEATS = 200

MAX_NICKNAME = 24

#: the file a class is saved to, in its folder
SAVE_FILE = "class.pkl"

#: the mechanisms in which members' strategies answer requests (model.decide): the
#: look-ahead runs a week's copy as far as the last of them
ANSWERING = ("giving", "referrals")

#: friends of friends a student is offered to meet each week (most contacts in common first)
MEET_OPTIONS = 8

#: join codes avoid letters and digits that look alike (0/O, 1/I/L)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5


class Refused(Exception):
    """A request the class cannot grant (wrong code, class full, stale week...); one line."""


class NotAuthorised(Refused):
    """A seat token that is unknown, removed, or an action outside the seat's own member."""


@dataclass
class Seat:
    """One student: a pseudonym, a nickname, a secret token and a member of the model."""

    id: str
    nickname: str
    token: str
    slot: int
    joined_week: int
    original_strategy: str
    removed: bool = False
    helps: dict[int, bool] = field(default_factory=dict)
    drops: set[int] = field(default_factory=set)
    others: bool | None = None  # the answer for anyone else who asks
    asks: list[int] = field(default_factory=list)  # contacts to ask, first asked first
    meet: int | None = None  # a friend of a friend to seek out
    introduce: tuple[int, int] | None = None  # two contacts to introduce to each other
    decided: bool = False
    decided_after: float | None = None
    #: the browser that joined (a hash of its session cookie; None when it sent none), which
    #: gets the seat back when its page comes back without the seat's address
    browser: str | None = None


class ClassSession:
    """The shared model of a class, its seats and its weeks.

    Parameters
    ----------
    scenario : built-in scenario name or path to a ``.toml`` file.
    seats : the most students who can join (1 to ``MAX_SEATS``).
    seed : the model's seed (the class's run is reproducible from it and the decisions).
    default : what an undecided student's member does: ``"refuse"`` or ``"matcher"``.
    timer : seconds a week stays open for decisions; ``None``: until everyone decided
        or the teacher moves on.
    overrides : dotted scenario settings, e.g. ``{"population.size": 100}``.
    save_dir : folder the class is saved to after every week and every change of seats
        (``None``: not saved).
    question : the lesson's question shown on the teacher's screen.

    Raises
    ------
    InputError
        A bad scenario, setting, seat count, default or timer (one line).
    """

    def __init__(
        self,
        scenario: str = "open_mixer",
        *,
        seats: int = 30,
        seed: int = 1,
        default: str = "refuse",
        timer: float | None = 90.0,
        overrides: dict[str, Any] | None = None,
        save_dir: str | Path | None = None,
        question: str = "",
    ):
        if not 1 <= int(seats) <= MAX_SEATS:
            raise InputError(f"--seats {seats}: expected a number of seats between 1 and {MAX_SEATS}")
        if default not in DEFAULTS:
            raise InputError(f"default {default!r}: expected one of {', '.join(DEFAULTS)}")
        if timer is not None and not timer > 0:
            raise InputError(f"timer {timer!r}: expected a number of seconds above 0, or none")
        self.scenario_name = scenario
        self.config = self._scenario(scenario, overrides or {})
        self.max_seats = int(seats)
        self.seed = int(seed)
        self.timer = None if timer is None else float(timer)
        self.question = question
        self.save_dir = None if save_dir is None else Path(save_dir)
        self.code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        #: the teacher's screen asks for this key (it is in the address the command prints)
        self.teacher_key = secrets.token_urlsafe(12)
        self.model = GiveTakeModel(self.config, rng=self.seed)
        self.student_index = self.model.strategy_names.index(STUDENT)
        self.strategy.default = default
        # seats are handed out with a generator of their own, so who joins when does not
        # change the model's random stream
        self._seat_rng = np.random.default_rng([self.seed, 7])
        self.seats: list[Seat] = []
        self.log: list[dict[str, Any]] = []
        self.requests: dict[int, list[dict[str, Any]]] = {}
        #: seat slot -> this week's need, how many contacts it may ask and whom it could ask
        self.ask_options: dict[int, dict[str, Any]] = {}
        #: seat slot -> friends of friends it could seek out this week
        self.meet_options: dict[int, list[dict[str, Any]]] = {}
        self.last_week: dict[int, dict[str, Any]] = {}
        self.wealth_before: dict[int, float] = {}
        self.paused = True  # the teacher starts the class
        self.started = False
        self.ended = False
        self.version = 0
        self._init_runtime()
        self._look_ahead()

    # -- building ------------------------------------------------------------------
    @staticmethod
    def _scenario(name: str, overrides: dict[str, Any]) -> Scenario:
        base = load_scenario(name)
        extra: dict[str, Any] = {}
        if "population.size" not in overrides and base.get("population.size") > MAX_SIZE:
            extra["population.size"] = MAX_SIZE
            if base.get("network.mean_degree") >= MAX_SIZE:
                extra["network.mean_degree"] = MAX_SIZE // 10
        # the student strategy is in the model with no share: only seats play it
        extra["population.mix.student"] = 0.0
        extra.update(overrides)
        return base.with_overrides(extra, source="classroom settings")

    def _init_runtime(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._clock: threading.Thread | None = None
        self._stop = threading.Event()
        self.opened_at = time.monotonic()
        self.deadline: float | None = None
        self.time_left: float | None = self.timer
        self._saves = _Writer(self._write)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for key in ("lock", "changed", "_clock", "_stop", "opened_at", "deadline", "_saves"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        # a class saved before students chose whom to ask, meet and introduce
        self.__dict__.setdefault("ask_options", {})
        self.__dict__.setdefault("meet_options", {})
        for seat in self.seats:
            for key, value in (("asks", []), ("meet", None), ("introduce", None)):
                seat.__dict__.setdefault(key, value)
        self._init_runtime()
        self.paused = True  # a resumed class waits for the teacher

    # -- the shared model's pieces -----------------------------------------------------
    @property
    def strategy(self) -> Student:
        return self.model.strategies[self.student_index]

    @property
    def week(self) -> int:
        return int(self.model.steps)

    @property
    def default(self) -> str:
        return self.strategy.default

    def active_seats(self) -> list[Seat]:
        """Seats that play this week: not removed, and their member still in the network."""
        alive = self.model.population.alive
        return [s for s in self.seats if not s.removed and alive[s.slot]]

    def seat_of_slot(self, slot: int) -> Seat | None:
        return next((s for s in self.seats if s.slot == slot and not s.removed), None)

    # -- joining -------------------------------------------------------------------------
    def join(self, code: str, nickname: str, browser: str | None = None) -> Seat:
        """Give a student a seat: one member of the model.

        ``browser`` names the student's browser (see :meth:`seat_of_browser`); a browser that
        joins again with the nickname it already holds gets its own seat back.

        Raises
        ------
        Refused
            Wrong code, empty or too long or taken nickname, or the class is full.
        """
        with self.lock:
            if str(code).strip().upper() != self.code:
                raise Refused("That is not this class's code.")
            nickname = " ".join(str(nickname).split())
            if not nickname:
                raise Refused("Please type a nickname.")
            if len(nickname) > MAX_NICKNAME:
                raise Refused(f"Please use a nickname of at most {MAX_NICKNAME} characters.")
            same = next(
                (s for s in self.seats if s.nickname.casefold() == nickname.casefold() and not s.removed),
                None,
            )
            if same is not None:
                if browser is not None and same.browser == browser:
                    return same  # their own seat: the first join's answer never reached them
                raise Refused("That nickname is taken in this class; please pick another.")
            if len([s for s in self.seats if not s.removed]) >= self.max_seats:
                raise Refused("The class is full.")
            slot = self._free_member()
            pop = self.model.population
            seat = Seat(
                id=f"S{len(self.seats) + 1:02d}",
                nickname=nickname,
                token=secrets.token_urlsafe(18),
                slot=slot,
                joined_week=self.week,
                original_strategy=self.model.strategy_names[pop.strategy[slot]],
                browser=browser,
            )
            pop.strategy[slot] = self.student_index
            self.seats.append(seat)
            self.wealth_before[slot] = float(pop.wealth[slot])
            self._look_ahead()  # the member asks like a student now; who asks whom may change
            self.save()  # a server restarted before the next week still knows the seat
            self._changed()
            return seat

    def _free_member(self) -> int:
        pop = self.model.population
        alive = pop.alive_slots()
        taken = {s.slot for s in self.seats if not s.removed}
        free = np.array(
            [i for i in alive.tolist() if i not in taken and pop.strategy[i] != self.student_index]
        )
        if len(free) == 0:
            raise Refused("The class is full: every member of the network is taken.")
        degree = self.model.ties.degree(pop.size)[free]
        connected = free[degree > 0]
        pool = connected if len(connected) else free
        return int(self._seat_rng.choice(pool))

    def seat(self, token: str) -> Seat:
        """The seat holding ``token``.

        Raises
        ------
        NotAuthorised
            No such seat, or the teacher removed it.
        """
        with self.lock:
            for s in self.seats:
                if secrets.compare_digest(s.token, str(token)):
                    if s.removed:
                        raise NotAuthorised("The teacher removed this seat.")
                    return s
            raise NotAuthorised("Unknown seat: join the class with its code.")

    def seat_of_browser(self, browser: str | None) -> Seat | None:
        """The seat the browser ``browser`` joined last and still holds, or None.

        ``browser`` is what the server knows of a page's browser (its session cookie, hashed),
        never anything the page says: a page that comes back without its seat's address (a
        reload before the address was updated, a new tab) gets the member it was given.
        """
        if browser is None:
            return None
        with self.lock:
            return next((s for s in reversed(self.seats) if s.browser == browser and not s.removed), None)

    def is_teacher(self, key: str | None) -> bool:
        return key is not None and secrets.compare_digest(str(key), self.teacher_key)

    def remove_seat(self, seat_id: str) -> None:
        """The teacher frees a seat: its member goes back to its own strategy."""
        with self.lock:
            seat = next((s for s in self.seats if s.id == seat_id and not s.removed), None)
            if seat is None:
                raise Refused(f"No seat {seat_id} in this class.")
            seat.removed = True
            pop = self.model.population
            if pop.alive[seat.slot]:
                pop.strategy[seat.slot] = self.model.strategy_names.index(seat.original_strategy)
            self._look_ahead()
            self.save()
            self._changed()
            self._advance_if_all_decided()

    # -- deciding -------------------------------------------------------------------------
    def decide(
        self,
        token: str,
        *,
        week: int,
        helps: dict[int, bool] | None = None,
        drops=(),
        others: bool | None = None,
        asks=(),
        meet: int | None = None,
        introduce=None,
    ) -> None:
        """Record a student's decisions for ``week``: help (True) or refuse (False) each
        asker, anyone else who asks (``others``; None: the teacher's default), contacts
        to drop after the week, whom to ask for help (``asks``, first asked first; empty:
        as every member asks), a friend of a friend to seek out (``meet``) and two
        contacts to introduce to each other (``introduce``).

        Raises
        ------
        NotAuthorised
            The token is not a seat, or a decision concerns a member who did not ask
            this seat's member, a contact it does not have, a contact it cannot ask this
            week, a member it was not offered to meet, or a pair it cannot introduce.
        Refused
            ``week`` is not the open week, or the seat's member has left.
        """
        with self.lock:
            seat = self.seat(token)
            if self.ended:
                raise Refused("The class has ended.")
            if int(week) != self.week:
                raise Refused(f"Week {week} is over; this is week {self.week}.")
            if not self.model.population.alive[seat.slot]:
                raise Refused("Your member has left the network.")
            helps = {int(a): bool(h) for a, h in (helps or {}).items()}
            asked = {r["asker"] for r in self.requests.get(seat.slot, [])}
            stray = sorted(set(helps) - asked)
            if stray:
                raise NotAuthorised(f"Member #{stray[0]} has not asked your member for help this week.")
            drops = {int(d) for d in drops}
            contacts = {c["slot"] for c in self.contacts(seat.slot)}
            stray = sorted(drops - contacts)
            if stray:
                raise NotAuthorised(f"Member #{stray[0]} is not one of your member's contacts.")
            asks = [int(c) for c in asks]
            meet = None if meet is None else int(meet)
            introduce = None if introduce is None else tuple(sorted(int(c) for c in introduce))
            self._check_choices(seat, asks, meet, introduce, contacts)
            seat.asks, seat.meet, seat.introduce = asks, meet, introduce
            seat.helps, seat.drops, seat.decided = helps, drops, True
            seat.others = None if others is None else bool(others)
            seat.decided_after = round(time.monotonic() - self.opened_at, 3)
            self._changed()
            self._advance_if_all_decided()

    def _check_choices(
        self, seat: Seat, asks: list[int], meet: int | None, introduce: tuple | None, contacts: set[int]
    ) -> None:
        """Whom to ask, meet and introduce: only among this seat's own candidates."""
        options = self.ask_options.get(seat.slot, {})
        can_ask = {c["slot"] for c in options.get("candidates", [])}
        if len(set(asks)) != len(asks):
            raise Refused("Ask each contact once.")
        stray = [c for c in asks if c not in can_ask]
        if stray:
            raise NotAuthorised(
                f"Member #{stray[0]} is not one of the contacts your member can ask this week."
            )
        if len(asks) > options.get("limit", 0):
            raise Refused(f"Your member can ask at most {options.get('limit', 0)} contacts a week.")
        if meet is not None and meet not in {m["slot"] for m in self.meet_options.get(seat.slot, [])}:
            raise NotAuthorised(f"Member #{meet} is not one of the members you can meet this week.")
        if introduce is not None:
            if self.model.mechanism("introductions") is None:
                raise Refused("There are no introductions in this network.")
            if len(introduce) != 2 or introduce[0] == introduce[1]:
                raise Refused("An introduction is between two of your contacts.")
            stray = [c for c in introduce if c not in contacts]
            if stray:
                raise NotAuthorised(f"Member #{stray[0]} is not one of your member's contacts.")
            if self.model.ties.has(np.array([introduce[0]]), np.array([introduce[1]]))[0]:
                raise Refused(f"Members #{introduce[0]} and #{introduce[1]} already know each other.")

    def _advance_if_all_decided(self) -> None:
        active = self.active_seats()
        if self.started and not self.paused and active and all(s.decided for s in active):
            self.advance()

    # -- the teacher's controls ---------------------------------------------------------------
    def start(self) -> None:
        """Start or resume: the week's timer runs (and the week runs at once when all decided)."""
        with self.lock:
            if self.ended:
                raise Refused("The class has ended.")
            self.started = True
            self.paused = False
            self.opened_at = time.monotonic() - (
                (self.timer - self.time_left) if self.timer and self.time_left is not None else 0.0
            )
            self.deadline = None if self.time_left is None else time.monotonic() + self.time_left
            self._changed()
            self._advance_if_all_decided()

    def end(self) -> None:
        """End the class: no more weeks or decisions; the debrief can be shown."""
        with self.lock:
            self.pause()
            self.ended = True
            self.save()
            self._changed()

    def pause(self) -> None:
        with self.lock:
            if self.deadline is not None:
                self.time_left = max(self.deadline - time.monotonic(), 0.0)
            self.paused = True
            self.deadline = None
            self._changed()

    def set_timer(self, seconds: float | None) -> None:
        """Seconds per week from the next week on (and for the rest of this one)."""
        if seconds is not None and not seconds > 0:
            raise InputError(f"timer {seconds!r}: expected a number of seconds above 0, or none")
        with self.lock:
            self.timer = None if seconds is None else float(seconds)
            self.time_left = self.timer
            self.deadline = None if (self.paused or self.timer is None) else time.monotonic() + self.timer
            self._changed()

    def set_default(self, default: str) -> None:
        if default not in DEFAULTS:
            raise InputError(f"default {default!r}: expected one of {', '.join(DEFAULTS)}")
        with self.lock:
            self.strategy.default = default
            self._changed()

    def seconds_left(self) -> float | None:
        with self.lock:
            if self.deadline is None:
                return self.time_left if self.timer is not None else None
            return max(self.deadline - time.monotonic(), 0.0)

    def check_timer(self) -> bool:
        """Run the week if its time is up; returns whether it ran."""
        with self.lock:
            if (
                self.started
                and not self.paused
                and self.deadline is not None
                and time.monotonic() >= self.deadline
            ):
                self.advance()
                return True
            return False

    def start_clock(self, every: float = 0.2) -> None:
        """A background thread that runs the week when the timer runs out."""
        with self.lock:
            if self._clock is not None and self._clock.is_alive():
                return
            self._stop.clear()

            def tick() -> None:
                while not self._stop.wait(every):
                    try:
                        self.check_timer()
                    except Exception:  # a failed week must not stop the clock
                        time.sleep(every)

            self._clock = threading.Thread(target=tick, name="classroom-clock", daemon=True)
            self._clock.start()

    def stop_clock(self) -> None:
        self._stop.set()

    # -- the week --------------------------------------------------------------------------
    def advance(self) -> None:
        """Run one week of the shared model with the students' decisions, then open the next."""
        with self.lock:
            if self.ended:
                raise Refused("The class has ended.")
            t0 = time.perf_counter()
            week = self.week
            active = self.active_seats()
            by_slot = {s.slot: s for s in active}
            strat = self.strategy
            strat.choices = {s.slot: dict(s.helps) for s in active}
            strat.others = {s.slot: s.others for s in active if s.others is not None}
            strat.asks = {s.slot: list(s.asks) for s in active if s.asks}
            strat.meets = {s.slot: s.meet for s in active if s.meet is not None}
            strat.introductions = {s.slot: s.introduce for s in active if s.introduce is not None}
            strat.answered = []
            pop = self.model.population
            before = {s.slot: float(pop.wealth[s.slot]) for s in active}
            self.model.step()
            answered = strat.take_answered()
            strat.choices, strat.others = {}, {}
            strat.asks, strat.meets, strat.introductions = {}, {}, {}
            self._log_answers(week, by_slot, answered)
            self._log_choices(week, active)
            self._apply_drops(week, active)
            self._keep_players()
            self.last_week = self._outcomes(active, before)
            for s in self.seats:
                s.helps, s.drops, s.others, s.decided, s.decided_after = {}, set(), None, False, None
                s.asks, s.meet, s.introduce = [], None, None
            # one copy of the model as the week ended serves the look-ahead and the week's save
            model_data = cloudpickle.dumps(self.model)
            self._look_ahead(cloudpickle.loads(model_data))
            self.time_left = self.timer
            self.opened_at = time.monotonic()
            self.deadline = None if (self.paused or self.timer is None) else self.opened_at + self.timer
            # the save is the class as the next week opens; written to disk once the lock is
            # released, while the students' pages show the new week
            self._saves.put(self._snapshot(model_data))
            self.last_advance_seconds = time.perf_counter() - t0
            self._changed()

    def _log_answers(self, week: int, by_slot: dict[int, Seat], answered: dict[str, np.ndarray]) -> None:
        seen: set[tuple[int, int]] = set()
        for i in range(len(answered["giver"])):
            g, a = int(answered["giver"][i]), int(answered["asker"][i])
            seat = by_slot.get(g)
            if seat is None:  # a member who imitated a student this week
                continue
            seen.add((g, a))
            self.log.append(
                self._row(
                    week,
                    seat,
                    "help" if answered["helps"][i] else "refuse",
                    asker=a,
                    asked=True,
                    decided_by=(
                        ("student (anyone else)" if answered["by_rule"][i] else "student")
                        if answered["chosen"][i]
                        else f"default ({self.default})"
                    ),
                    reputation=float(answered["asker_reputation"][i]),
                    trust=float(answered["trust"][i]),
                    given=int(answered["given"][i]),
                    received=int(answered["received"][i]),
                )
            )
        # choices about requests that were never made (the asker was helped before)
        for seat in by_slot.values():
            for r in self.requests.get(seat.slot, []):
                a = r["asker"]
                if (seat.slot, a) in seen or a not in seat.helps:
                    continue
                self.log.append(
                    self._row(
                        week,
                        seat,
                        "help" if seat.helps[a] else "refuse",
                        asker=a,
                        asked=False,
                        decided_by="student",
                        reputation=r["reputation"],
                        trust=r["trust"],
                        given=r["given"],
                        received=r["received"],
                    )
                )

    def _log_choices(self, week: int, active: list[Seat]) -> None:
        """Whom each student asked, met and introduced this week, and what came of it."""
        tick, ties = self.model.tick, self.model.ties
        plan = tick.plan
        for seat in active:
            if seat.asks:
                mine = plan.asker == seat.slot
                helped = tick.gifts.giver[tick.gifts.asker == seat.slot]
                # requests go down the line until one is granted: those after it were not made
                met_round = (
                    int(tick.gifts.round[tick.gifts.asker == seat.slot].min()) if len(helped) else None
                )
                refused = set(tick.refusals.giver[tick.refusals.asker == seat.slot].tolist())
                for c in seat.asks:
                    rounds = plan.round[mine & (plan.giver == c)]
                    made = len(rounds) > 0 and (met_round is None or int(rounds.min()) <= met_round)
                    outcome = (
                        "helped"
                        if c in helped.tolist()
                        else ("refused" if c in refused else ("busy" if made else "not asked"))
                    )
                    self.log.append(self._choice_row(week, seat, "ask", c, None, made, outcome))
            if seat.meet is not None:
                met = bool(ties.has(np.array([seat.slot]), np.array([seat.meet]))[0])
                self.log.append(
                    self._choice_row(week, seat, "meet", seat.meet, None, met, "met" if met else "not met")
                )
            if seat.introduce is not None:
                a, b = seat.introduce
                done = bool(ties.has(np.array([a]), np.array([b]))[0])
                self.log.append(
                    self._choice_row(
                        week, seat, "introduce", a, b, done, "introduced" if done else "not introduced"
                    )
                )

    def _choice_row(
        self, week: int, seat: Seat, choice: str, target: int, partner: int | None, done: bool, outcome: str
    ) -> dict[str, Any]:
        return self._row(
            week,
            seat,
            choice,
            asked=done,
            decided_by="student",
            target=target,
            partner=partner,
            outcome=outcome,
        )

    def _row(self, week: int, seat: Seat, choice: str, **situation: Any) -> dict[str, Any]:
        return {
            "week": week,
            "student": seat.id,
            "nickname": seat.nickname,
            "member": seat.slot,
            "choice": choice,
            **situation,
            "response_seconds": seat.decided_after
            if str(situation.get("decided_by")).startswith("student")
            else None,
        }

    def _apply_drops(self, week: int, active: list[Seat]) -> None:
        ties = self.model.ties
        for seat in active:
            if not seat.drops:
                continue
            live = ties.live()
            for other in sorted(seat.drops):
                hit = live[
                    ((ties.u[live] == seat.slot) & (ties.v[live] == other))
                    | ((ties.v[live] == seat.slot) & (ties.u[live] == other))
                ]
                ties.remove(hit)
                self.log.append(
                    self._row(
                        week,
                        seat,
                        "drop",
                        target=other,
                        asked=False,
                        decided_by="student",
                        reputation=None,
                        trust=None,
                        given=None,
                        received=None,
                    )
                )

    def _keep_players(self) -> None:
        """Members played by students stay theirs; a member who imitated a student (when
        the scenario lets members learn) plays the teacher's default instead."""
        pop = self.model.population
        players = {s.slot for s in self.active_seats()}
        for slot in players:
            pop.strategy[slot] = self.student_index
        alive = pop.alive_slots()
        copied = alive[pop.strategy[alive] == self.student_index]
        fallback = self.model.strategy_names.index("matcher" if self.default == "matcher" else "taker")
        for slot in copied.tolist():
            if slot not in players:
                pop.strategy[slot] = fallback

    def _outcomes(self, active: list[Seat], before: dict[int, float]) -> dict[int, dict[str, Any]]:
        """What happened to each student's member in the week that just ran."""
        tick, pop = self.model.tick, self.model.population
        gg, ga = tick.gifts.giver, tick.gifts.asker
        rg, ra = tick.refusals.giver, tick.refusals.asker
        out = {}
        for s in active:
            out[s.slot] = {
                "helped_by": sorted(int(x) for x in gg[ga == s.slot]),
                "refused_by": sorted(int(x) for x in rg[ra == s.slot]),
                "you_helped": sorted(int(x) for x in ga[gg == s.slot]),
                "you_refused": sorted(int(x) for x in ra[rg == s.slot]),
                "wealth_change": float(pop.wealth[s.slot]) - before.get(s.slot, float(pop.wealth[s.slot])),
            }
        return out

    def _look_ahead(self, ahead: GiveTakeModel | None = None) -> None:
        """Who will ask each student's member this week: run a copy of the model (``ahead``,
        or a fresh copy) one week with students refusing and note who asks them."""
        if ahead is None:
            ahead = copy.deepcopy(self.model)
        # the copy runs the week only as far as members answer requests: what comes after
        # (meeting, churn, ecosystems...) cannot change who asks a student this week
        answering = [i for i, m in enumerate(ahead.pipeline) if m.name in ANSWERING]
        if answering:
            ahead.pipeline = ahead.pipeline[: answering[-1] + 1]
        strat = ahead.strategies[self.student_index]
        strat.looking_ahead = True
        strat.answered = []
        strat.ask_candidates = []
        ahead.step()
        rows = strat.take_answered()
        self._ask_options(strat.ask_candidates)
        strat.ask_candidates = []
        self._meet_options()
        requests: dict[int, list[dict[str, Any]]] = {}
        seen: set[tuple[int, int]] = set()
        for i in range(len(rows["giver"])):
            pair = (int(rows["giver"][i]), int(rows["asker"][i]))
            if pair in seen:  # asked twice in a week (say, on two ties): one answer for both
                continue
            seen.add(pair)
            requests.setdefault(pair[0], []).append(
                {
                    "asker": int(rows["asker"][i]),
                    "reputation": float(rows["asker_reputation"][i]),
                    "trust": float(rows["trust"][i]),
                    "given": int(rows["given"][i]),
                    "received": int(rows["received"][i]),
                }
            )
        self.requests = requests

    def _ask_options(self, seen: list) -> None:
        """Each seat's need this week and the contacts it could ask (as the look-ahead's
        Asking offered them, the model's own order first)."""
        seats = {s.slot for s in self.active_seats()}
        asking = self.model.mechanism("asking")
        limit = 0
        if asking is not None:
            limit = int(np.rint(asking.asks * self.model.asks_factor[self.student_index]))
        pop, ties = self.model.population, self.model.ties
        options: dict[int, dict[str, Any]] = {}
        for member, cand, score, need in seen:
            for m, c, sc, nd in zip(
                member.tolist(), cand.tolist(), score.tolist(), need.tolist(), strict=True
            ):
                if m not in seats:
                    continue
                opt = options.setdefault(m, {"need": nd, "limit": limit, "candidates": []})
                if any(x["slot"] == c for x in opt["candidates"]):
                    continue
                opt["candidates"].append({"slot": c, "score": sc})
        for m, opt in options.items():
            opt["candidates"].sort(key=lambda x: -x["score"])
            cands = np.array([x["slot"] for x in opt["candidates"]], np.int64)
            edge = ties.find(np.full(len(cands), m), cands)
            side = (ties.u[edge] != m).astype(int)
            rep = pop.reputation(cands)
            opt["candidates"] = [
                {
                    "slot": int(cands[i]),
                    "trust": float(ties.trust[edge[i], side[i]]),
                    "strength": float(ties.strength[edge[i]]),
                    "reputation": float(rep[i]),
                }
                for i in range(len(cands))
            ]
        self.ask_options = options

    def _meet_options(self) -> None:
        """Friends of friends each seat could seek out this week (most mutual contacts first)."""
        self.meet_options = {}
        if self.model.mechanism("meeting") is None:
            return
        slots = np.array([s.slot for s in self.active_seats()], np.int64)
        if len(slots) == 0:
            return
        who, cand, mutual = second_contacts(self.model, slots)
        # sorted by member: the first MEET_OPTIONS of each
        first = np.flatnonzero(np.r_[True, who[1:] != who[:-1]]) if len(who) else np.zeros(0, np.int64)
        rank = np.arange(len(who)) - np.repeat(first, np.diff(np.r_[first, len(who)]))
        keep = rank < MEET_OPTIONS
        who, cand, mutual = who[keep], cand[keep], mutual[keep]
        rep = self.model.population.reputation(cand) if len(cand) else np.zeros(0)
        for m, c, k, r in zip(who.tolist(), cand.tolist(), mutual.tolist(), rep.tolist(), strict=True):
            self.meet_options.setdefault(m, []).append({"slot": c, "mutual": k, "reputation": r})

    # -- looking -----------------------------------------------------------------------------
    def contacts(self, slot: int) -> list[dict[str, Any]]:
        """A member's contacts as the member knows them (strongest first): slot, tie
        strength, own trust in them, gifts given to and received from them, and
        their public reputation."""
        ties, pop = self.model.ties, self.model.population
        view = ties.directed(pop.size)  # cached until the ties change
        lo, hi = view.start[slot], view.start[slot + 1]
        mine, side, other = view.edge[lo:hi], view.side[lo:hi].astype(int), view.dst[lo:hi]
        rep = pop.reputation(other) if len(other) else np.zeros(0)
        order = np.lexsort((mine, -ties.strength[mine]))  # strongest first, then oldest
        return [
            {
                "slot": int(other[i]),
                "strength": float(ties.strength[mine[i]]),
                "trust": float(ties.trust[mine[i], side[i]]),
                "given": int(ties.ledger[mine[i], side[i]]),
                "received": int(ties.ledger[mine[i], 1 - side[i]]),
                "reputation": float(rep[i]),
            }
            for i in order
        ]

    def student_view(self, token: str) -> dict[str, Any]:
        """Everything one student may see: their own member only.

        Keys: ``week, seat, nickname, slot, alive, wealth, wealth_start, reputation,
        skills, requests, contacts, last_week, decided, helps, others, drops, need,
        ask_limit, ask_options, asks, meet_options, meet, can_introduce, introduce,
        seconds_left, paused, started, ended, default``.
        """
        with self.lock:
            seat = self.seat(token)
            pop, slot = self.model.population, seat.slot
            alive = bool(pop.alive[slot])
            return {
                "week": self.week,
                "seat": seat.id,
                "nickname": seat.nickname,
                "slot": slot,
                "alive": alive,
                "wealth": float(pop.wealth[slot]),
                "wealth_start": self.wealth_before.get(slot, float(pop.wealth[slot])),
                "reputation": float(pop.reputation(np.array([slot]))[0]),
                "skills": np.flatnonzero(pop.skills[slot]).tolist(),
                "requests": [dict(r) for r in self.requests.get(slot, [])] if alive else [],
                "contacts": self.contacts(slot) if alive else [],
                "last_week": dict(self.last_week.get(slot, {})),
                "decided": seat.decided,
                "helps": dict(seat.helps),
                "others": seat.others,
                "drops": sorted(seat.drops),
                "need": self.ask_options.get(slot, {}).get("need") if alive else None,
                "ask_limit": self.ask_options.get(slot, {}).get("limit", 0),
                "ask_options": [dict(c) for c in self.ask_options.get(slot, {}).get("candidates", [])]
                if alive
                else [],
                "asks": list(seat.asks),
                "meet_options": [dict(m) for m in self.meet_options.get(slot, [])] if alive else [],
                "meet": seat.meet,
                "can_introduce": self.model.mechanism("introductions") is not None,
                "introduce": list(seat.introduce) if seat.introduce else None,
                "seconds_left": self.seconds_left(),
                "paused": self.paused,
                "started": self.started,
                "ended": self.ended,
                "default": self.default,
            }

    def decided_count(self) -> tuple[int, int]:
        """Students who decided this week, and students playing."""
        with self.lock:
            active = self.active_seats()
            return sum(1 for s in active if s.decided), len(active)

    def seat_table(self) -> list[dict[str, Any]]:
        """The teacher's list of seats: pseudonym, nickname, member, status, wealth."""
        with self.lock:
            pop = self.model.population
            return [
                {
                    "seat": s.id,
                    "nickname": s.nickname,
                    "member": s.slot,
                    "status": "removed"
                    if s.removed
                    else (
                        "left the network"
                        if not pop.alive[s.slot]
                        else "done"
                        if self.ended
                        else "waiting for the start"
                        if not self.started
                        else ("decided" if s.decided else "deciding")
                    ),
                    "wealth": float(pop.wealth[s.slot]),
                    "requests": len(self.requests.get(s.slot, [])),
                }
                for s in self.seats
            ]

    # -- change notices ------------------------------------------------------------------------
    def _changed(self) -> None:
        self.version += 1
        self.changed.notify_all()

    def wait_for_change(self, seen: int, timeout: float = 1.0) -> int:
        """Block until the version differs from ``seen`` (or ``timeout``); the version now."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout=timeout)
            return self.version

    # -- saving -------------------------------------------------------------------------------
    @property
    def save_path(self) -> Path | None:
        return None if self.save_dir is None else self.save_dir / SAVE_FILE

    def save(self) -> Path | None:
        """Write the whole class (model, seats, decisions) to ``save_dir`` and return when it
        is written; readable only by its owner (it holds the seats' tokens).  Replaced whole,
        never half-written."""
        if self.save_path is None:
            return None
        with self.lock:  # no newer save can come meanwhile: the one written last is this one
            self._saves.put(self._snapshot(), report=False)
            self._saves.wait()
            if self._saves.error is not None:
                raise self._saves.error
        return self.save_path

    def wait_saved(self, timeout: float | None = None) -> bool:
        """Wait until the class as it is now is on disk (a week's save is written in the
        background just after the week); False if ``timeout`` seconds passed first."""
        return self._saves.wait(timeout)

    def _snapshot(self, model_data: bytes | None = None) -> bytes | None:
        """The class as it is now, pickled (under the lock); ``model_data``: the model
        already pickled, put in as it is.  None when the class is not saved."""
        if self.save_path is None:
            return None
        if model_data is None:
            return cloudpickle.dumps(self)
        state = self.__getstate__()
        state["model"] = _Pickled(model_data)
        frozen = object.__new__(ClassSession)
        frozen.__dict__.update(state)
        return cloudpickle.dumps(frozen)

    def _write(self, data: bytes) -> Path | None:
        path = self.save_path
        if path is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".class-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | Path) -> ClassSession:
        """A class saved by :meth:`save`, waiting for the teacher to resume it.

        Raises
        ------
        InputError
            The file is missing or is not a saved class.
        """
        path = Path(path)
        if path.is_dir():
            path = path / SAVE_FILE
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(f"{path}: cannot read a saved class ({err.strerror})") from None
        try:
            session = cloudpickle.loads(data)
        except Exception as err:
            raise InputError(f"{path}: not a saved class ({type(err).__name__})") from None
        if not isinstance(session, cls):
            raise InputError(f"{path}: not a saved class")
        session.save_dir = path.parent
        session._look_ahead()  # the saved requests may be from before the week's look-ahead
        return session


class _Pickled:
    """An object already pickled: pickled as its bytes, unpickled as the object."""

    def __init__(self, data: bytes):
        self.data = data

    def __reduce__(self):
        return pickle.loads, (self.data,)


class _Writer:
    """Writes a class's saves in order in a thread of its own, so that nobody waits for the
    disk; a save still waiting when a newer one comes is dropped (the newer has it all).

    The thread runs while there is something to write and is not a daemon: a server that
    stops writes the last save before it exits.  A save that cannot be written is one line
    on standard error (or raised, for :meth:`ClassSession.save`); the next is tried as usual.
    """

    def __init__(self, write):
        self._write = write
        self._cond = threading.Condition()
        self._pending: tuple[bytes, bool] | None = None
        self._busy = False
        #: why the last save written could not be written (None: it was written)
        self.error: Exception | None = None

    def put(self, data: bytes | None, report: bool = True) -> None:
        """Write ``data`` soon; ``report``: say on standard error if it cannot be written."""
        if data is None:
            return
        with self._cond:
            self._pending = (data, report)
            if not self._busy:
                self._busy = True
                threading.Thread(target=self._run, name="classroom-save").start()

    def wait(self, timeout: float | None = None) -> bool:
        """True once nothing is left to write (False after ``timeout`` seconds)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                job, self._pending = self._pending, None
                if job is None:
                    self._busy = False
                    self._cond.notify_all()
                    return
            data, report = job
            try:
                self._write(data)
                self.error = None
            except Exception as err:  # a full disk, a folder removed: say so, keep the class
                self.error = err
                if report:
                    print(
                        f"givetake classroom: could not save the class ({err})", file=sys.stderr, flush=True
                    )
