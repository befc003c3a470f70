"""Classroom mode without a browser: seats, the join code, decisions under the model's
rules, weeks, the timer, authorisation, saving and resuming."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from charts import legend_read_back, lines_read_back

from simulation.app.drawing import ALL_MEMBERS, ALL_MEMBERS_COLOUR
from simulation.classroom import ClassSession, NotAuthorised, Refused
from simulation.classroom.debrief import student_debriefs
from simulation.classroom.strategy import Student
from simulation.errors import InputError
from simulation.strategies import REGISTRY, DecisionContext, colour, label, strategy
from simulation.strategies.builtin import Matcher

SMALL = {"population.size": 80}


def _class(**kw) -> ClassSession:
    kw.setdefault("overrides", SMALL)
    kw.setdefault("seed", 3)
    kw.setdefault("timer", None)
    return ClassSession("open_mixer", **kw)


def _trust_of(session: ClassSession, truster: int, trusted: int) -> float | None:
    """``truster``'s trust in ``trusted``, or None when they have no tie."""
    for c in session.contacts(truster):
        if c["slot"] == trusted:
            return c["trust"]
    return None


def _with_requests(session: ClassSession, n: int, weeks: int = 10) -> list:
    """Seat students until ``n`` of them have someone asking them this week."""
    seats = []
    for i in range(session.max_seats):
        seats.append(session.join(session.code, f"student {i}"))
        if sum(1 for s in seats if session.requests.get(s.slot)) >= n:
            return seats
    pytest.fail("not enough students are asked for help this week")


# -- joining ---------------------------------------------------------------------------------
def test_joining_needs_the_code_a_nickname_and_a_free_seat():
    s = _class(seats=2)
    assert len(s.code) == 5 and s.code.isalnum()
    with pytest.raises(Refused, match="code"):
        s.join("WRONG", "Ada")
    with pytest.raises(Refused, match="nickname"):
        s.join(s.code, "   ")
    with pytest.raises(Refused, match="at most"):
        s.join(s.code, "x" * 40)
    a = s.join(s.code.lower(), "Ada")  # codes are not case-sensitive
    with pytest.raises(Refused, match="taken"):
        s.join(s.code, "ada")
    b = s.join(s.code, "Ben")
    with pytest.raises(Refused, match="full"):
        s.join(s.code, "Cy")
    assert a.slot != b.slot and a.token != b.token
    pop = s.model.population
    assert pop.strategy[a.slot] == pop.strategy[b.slot] == s.student_index
    assert s.model.strategy_names[s.student_index] == "student"
    assert (pop.strategy[: pop.size] == s.student_index).sum() == 2  # nobody else plays it


def test_a_browser_gets_back_the_seat_it_joined_and_only_its_own(tmp_path):
    s = _class(seats=3)
    a = s.join(s.code, "Ada", browser="browser-a")
    assert s.seat_of_browser("browser-a") is a
    assert s.seat_of_browser("browser-b") is None and s.seat_of_browser(None) is None
    # joining again from the same browser with the same nickname: the same seat, not "taken"
    assert s.join(s.code, " ada ", browser="browser-a") is a
    assert len(s.seats) == 1
    # another browser, or none, is refused the nickname
    for other in ("browser-b", None):
        with pytest.raises(Refused, match="taken"):
            s.join(s.code, "Ada", browser=other)
    with pytest.raises(Refused, match="code"):
        s.join("WRONG", "Ada", browser="browser-a")
    # a second student on the same browser: the browser's last seat is theirs
    b = s.join(s.code, "Ben", browser="browser-a")
    assert b is not a and s.seat_of_browser("browser-a") is b
    s.remove_seat(b.id)
    assert s.seat_of_browser("browser-a") is a  # a removed seat is nobody's
    # a restarted server still knows the browsers
    s.save_dir = tmp_path
    s.save()
    resumed = ClassSession.load(tmp_path)
    assert resumed.seat_of_browser("browser-a").token == a.token


def test_bad_settings_are_one_line_input_errors():
    with pytest.raises(InputError, match="--seats 0"):
        _class(seats=0)
    with pytest.raises(InputError, match="refuse, matcher"):
        _class(default="giver")
    with pytest.raises(InputError, match="timer"):
        _class(timer=0)


def test_a_bad_size_names_the_option_given(tmp_path, capsys):
    """`givetake classroom --size 0` blamed "classroom settings: population.size", a setting
    the teacher never wrote; the error names --size, in one line, exit 2, nothing saved."""
    from simulation.app.local_server import free_port
    from simulation.cli import main

    args = ["classroom", "--size", "0", "--save", str(tmp_path / "class"), "--port", str(free_port())]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["givetake: error: --size 0: expected an integer in [2, 10000000], got 0"]
    assert not (tmp_path / "class").exists()


def test_a_removed_seat_hands_the_member_back_to_its_own_strategy():
    s = _class()
    a = s.join(s.code, "Ada")
    s.remove_seat(a.id)
    assert s.model.strategy_names[s.model.population.strategy[a.slot]] == a.original_strategy
    with pytest.raises(NotAuthorised, match="removed"):
        s.student_view(a.token)
    again = s.join(s.code, "Ada")  # the nickname is free again
    assert again.id != a.id


# -- looking ahead and deciding ---------------------------------------------------------------
def test_the_requests_shown_are_the_requests_the_week_brings():
    s = _class(seats=30)
    seats = _with_requests(s, 3)
    s.start()
    shown = {seat.slot: {r["asker"] for r in s.requests.get(seat.slot, [])} for seat in seats}
    s.advance()  # nobody decided: default refuse, so every request that can come does
    asked: dict[int, set[int]] = {}
    for row in s.log:
        assert row["decided_by"] == "default (refuse)" and row["choice"] == "refuse"
        asked.setdefault(row["member"], set()).add(row["asker"])
    assert asked == {slot: askers for slot, askers in shown.items() if askers}


def test_a_students_refusal_lowers_the_askers_trust_and_help_is_paid_for():
    s = _class(seats=30)
    seats = _with_requests(s, 2)
    asked = [x for x in seats if s.requests.get(x.slot)]
    refuser, helper = asked[0], asked[1]
    s.start()
    trust_before = {r["asker"]: _trust_of(s, r["asker"], refuser.slot) for r in s.requests[refuser.slot]}
    gifts_before = int(s.model.population.gifts_given[helper.slot])
    for seat in seats:
        if seat is refuser:
            s.decide(seat.token, week=0, helps={r["asker"]: False for r in s.requests[seat.slot]})
        elif seat is helper:
            s.decide(seat.token, week=0, helps={r["asker"]: True for r in s.requests[seat.slot]})
        else:
            s.decide(seat.token, week=0)
    assert s.week == 1  # everyone decided: the week ran
    refused = [r for r in s.log if r["member"] == refuser.slot and r["asked"]]
    assert refused and all(r["choice"] == "refuse" and r["decided_by"] == "student" for r in refused)
    for row in refused:
        after = _trust_of(s, row["asker"], refuser.slot)
        assert after is None or after < trust_before[row["asker"]]  # lower, or the tie was cut
    helped = [r for r in s.log if r["member"] == helper.slot and r["asked"]]
    assert helped and all(r["choice"] == "help" for r in helped)
    capacity = s.model.mechanism("giving").capacity
    gave = int(s.model.population.gifts_given[helper.slot]) - gifts_before
    assert gave == min(len(helped), capacity)  # willing, within the week's capacity


def test_undecided_members_play_the_teachers_default():
    s = _class(seats=30, default="matcher")
    _with_requests(s, 3)
    s.start()
    s.advance()
    rows = [r for r in s.log if r["asked"]]
    assert rows and all(r["decided_by"] == "default (matcher)" for r in rows)
    ctx = DecisionContext(
        s.model,
        giver=np.array([r["member"] for r in rows]),
        asker=np.array([r["asker"] for r in rows]),
        edge=np.zeros(len(rows), np.int64),
        given=np.array([r["given"] for r in rows]),
        received=np.array([r["received"] for r in rows]),
        trust=np.array([r["trust"] for r in rows]),
        asker_reputation=np.array([r["reputation"] for r in rows]),
    )
    assert [r["choice"] == "help" for r in rows] == Matcher().gives(ctx).tolist()


def test_a_dropped_contact_is_no_longer_a_contact_after_the_week():
    s = _class()
    a = s.join(s.code, "Ada")
    contact = s.contacts(a.slot)[0]["slot"]
    s.start()
    s.decide(a.token, week=0, drops=[contact])
    assert s.week == 1
    assert contact not in {c["slot"] for c in s.contacts(a.slot)}
    assert any(r["choice"] == "drop" and r["target"] == contact for r in s.log)


def test_the_student_strategy_alone_refuses_by_default():
    strat = Student()
    s = _class()
    ctx = DecisionContext(
        s.model,
        giver=np.array([1, 2]),
        asker=np.array([3, 4]),
        edge=np.zeros(2, np.int64),
        given=np.zeros(2, np.int64),
        received=np.zeros(2, np.int64),
        trust=np.full(2, 0.5),
    )
    assert strat.gives(ctx).tolist() == [False, False]
    strat.choices = {2: {4: True}}
    assert strat.gives(ctx).tolist() == [False, True]


# -- authorisation -----------------------------------------------------------------------------
def test_a_student_can_act_only_for_their_own_member():
    s = _class(seats=30)
    seats = _with_requests(s, 2)
    a, b = [x for x in seats if s.requests.get(x.slot)][:2]
    not_asking_a = [
        r["asker"] for r in s.requests[b.slot] if r["asker"] not in {q["asker"] for q in s.requests[a.slot]}
    ]
    assert not_asking_a
    with pytest.raises(NotAuthorised, match="has not asked"):
        s.decide(a.token, week=0, helps={not_asking_a[0]: True})  # b's request, forged by a
    with pytest.raises(NotAuthorised, match="Unknown seat"):
        s.decide("made-up-token", week=0, helps={})
    strangers = (
        set(s.model.population.alive_slots().tolist()) - {c["slot"] for c in s.contacts(a.slot)} - {a.slot}
    )
    with pytest.raises(NotAuthorised, match="not one of"):
        s.decide(a.token, week=0, drops=[min(strangers)])
    with pytest.raises(Refused, match="Week 5"):
        s.decide(a.token, week=5)
    assert not a.decided and not b.decided  # nothing was recorded


def test_a_students_view_holds_only_their_own_member():
    s = _class(seats=30)
    seats = _with_requests(s, 2)
    a, b = [x for x in seats if s.requests.get(x.slot)][:2]
    view = s.student_view(a.token)
    assert view["slot"] == a.slot and view["nickname"] == a.nickname
    assert view["requests"] == s.requests[a.slot]
    text = repr(view)
    assert b.token not in text and b.nickname not in text and "strategy" not in text
    assert s.student_view(a.token)["slot"] != s.student_view(b.token)["slot"]


# -- the week and the timer -----------------------------------------------------------------------
def test_the_week_waits_for_every_student_then_runs():
    s = _class()
    a = s.join(s.code, "Ada")
    b = s.join(s.code, "Ben")
    s.decide(a.token, week=0)
    s.decide(b.token, week=0)
    assert s.week == 0  # not started yet
    s.start()
    assert s.week == 1  # started with everyone decided: the week ran
    s.decide(a.token, week=1)
    assert s.week == 1 and a.decided and not b.decided  # one of two: the week waits
    s.decide(b.token, week=1)
    assert s.week == 2


def test_the_timer_runs_the_week_for_students_who_do_not_decide():
    s = _class(timer=0.4)
    a = s.join(s.code, "Ada")
    s.join(s.code, "Ben")
    s.decide(a.token, week=0)
    s.start_clock(every=0.05)
    try:
        time.sleep(0.6)
        assert s.week == 0  # paused until the teacher starts
        s.start()
        seen = s.version
        deadline = time.monotonic() + 5
        while s.week < 1 and time.monotonic() < deadline:
            seen = s.wait_for_change(seen, timeout=0.2)
        assert s.week == 1
        s.pause()
        time.sleep(0.6)
        assert s.week == 1  # a paused class waits
        assert 0 < s.seconds_left() <= 0.4
    finally:
        s.stop_clock()


# -- saving and resuming ----------------------------------------------------------------------------
def _play(s: ClassSession, seats, weeks: int) -> None:
    for _ in range(weeks):
        week = s.week
        for i, seat in enumerate(seats):
            if not s.model.population.alive[seat.slot]:  # their business closed: nothing to decide
                continue
            helps = {r["asker"]: (i + r["asker"]) % 2 == 0 for r in s.requests.get(seat.slot, [])}
            s.decide(seat.token, week=week, helps=helps)
        assert s.week == week + 1


def test_a_restarted_server_resumes_the_class_exactly(tmp_path):
    s = _class(save_dir=tmp_path / "class")
    seats = [s.join(s.code, n) for n in ("Ada", "Ben", "Cy")]
    s.start()
    _play(s, seats, 2)
    assert s.wait_saved(60)  # written just after the week opened (a server that stops waits for it)
    assert (tmp_path / "class" / "class.pkl").stat().st_mode & 0o077 == 0  # tokens inside: owner only
    resumed = ClassSession.load(tmp_path / "class")
    assert resumed.week == 2 and resumed.code == s.code and resumed.paused
    assert [x.slot for x in resumed.seats] == [x.slot for x in seats]
    assert resumed.student_view(seats[1].token)["nickname"] == "Ben"  # a reconnecting student's seat
    resumed.start()
    _play(resumed, [resumed.seat(x.token) for x in seats], 2)
    _play(s, seats, 2)  # the class that never stopped
    assert np.array_equal(resumed.model.population.wealth, s.model.population.wealth)
    assert len(resumed.log) == len(s.log)


def test_each_weeks_save_is_the_class_as_the_week_opened(tmp_path):
    s = _class(save_dir=tmp_path)
    seats = [s.join(s.code, n) for n in ("Ada", "Ben", "Cy")]
    s.start()
    for _ in range(3):
        _play(s, seats, 1)
        assert s.wait_saved(60)
        saved = ClassSession.load(tmp_path)
        assert saved.week == s.week and len(saved.log) == len(s.log)
        assert np.array_equal(saved.model.population.wealth, s.model.population.wealth)
        assert np.array_equal(saved.model.ties.trust, s.model.ties.trust)
        assert saved.requests == s.requests and saved.ask_options == s.ask_options


def test_a_save_that_cannot_be_written_is_one_line_and_the_class_goes_on(tmp_path, capfd):
    folder = tmp_path / "class"
    s = _class(save_dir=folder)
    seat = s.join(s.code, "Ada")
    s.start()
    shutil.rmtree(folder)
    folder.write_text("not a folder")  # nothing can be written into it now
    s.decide(seat.token, week=0)
    assert s.week == 1 and s.wait_saved(60)
    err = capfd.readouterr().err
    assert err.count("could not save the class") == 1 and "Traceback" not in err
    with pytest.raises(OSError):  # a save asked for by name says so to its caller
        s.save()
    folder.unlink()
    s.decide(seat.token, week=1)  # the next week's save is written again
    assert s.wait_saved(60) and ClassSession.load(folder).week == 2


def test_same_seed_and_decisions_give_the_same_class():
    runs = []
    for _ in range(2):
        s = _class(seed=11)
        seats = [s.join(s.code, n) for n in ("Ada", "Ben")]
        s.start()
        _play(s, seats, 3)
        runs.append(s)
    a, b = runs
    assert [x.slot for x in a.seats] == [x.slot for x in b.seats]
    assert np.array_equal(a.model.population.wealth, b.model.population.wealth)
    assert [(r["member"], r["asker"], r["choice"]) for r in a.log] == [
        (r["member"], r["asker"], r["choice"]) for r in b.log
    ]


def test_loading_something_else_is_a_one_line_error(tmp_path):
    bad = tmp_path / "class.pkl"
    bad.write_bytes(b"not a class")
    with pytest.raises(InputError, match="not a saved class"):
        ClassSession.load(bad)
    with pytest.raises(InputError, match="cannot read"):
        ClassSession.load(tmp_path / "missing.pkl")


# -- debrief and export ------------------------------------------------------------------------------
def _played(policy, weeks: int = 4, seed: int = 3) -> tuple[ClassSession, object]:
    """A class where one student answers every request with ``policy(request)``."""
    s = _class(seats=30, seed=seed)
    seats = _with_requests(s, 1)
    me = next(x for x in seats if s.requests.get(x.slot))
    s.start()
    for week in range(weeks):
        for seat in seats:
            if seat is me:
                s.decide(
                    seat.token,
                    week=week,
                    helps={r["asker"]: policy(r) for r in s.requests.get(seat.slot, [])},
                )
            else:
                s.decide(seat.token, week=week)
    return s, me


def test_the_debrief_names_the_strategy_a_student_played():
    from simulation.classroom.debrief import student_debriefs

    s, me = _played(lambda r: False)
    d = next(x for x in student_debriefs(s) if x["seat"] == me.id)
    assert d["decisions"] > 0 and d["helped_share"] == 0.0
    assert d["nearest"] == "taker" and d["nearest_agreement"] == 1.0
    assert d["agreement"]["giver"] == 0.0

    s, me = _played(lambda r: r["given"] - r["received"] < 1)  # a matcher's rule
    d = next(x for x in student_debriefs(s) if x["seat"] == me.id)
    assert d["decisions"] > 0
    assert d["agreement"]["matcher"] == 1.0 and "matcher" in d["nearest_tied"]


def test_the_debrief_ranks_wealth_among_all_members():
    from simulation.classroom.debrief import class_summary, student_debriefs
    from simulation.verdict import judge_model

    s, _ = _played(lambda r: True, weeks=3)
    pop = s.model.population
    alive = pop.alive_slots()
    for d in student_debriefs(s):
        assert d["of"] == len(alive)
        assert d["rank"] == 1 + int((pop.wealth[alive] > pop.wealth[d["member"]]).sum())
    summary = class_summary(s)
    assert summary["weeks"] == 3 and summary["students"] == len(s.seats)
    assert "student" in summary["mean_wealth"]
    assert summary["verdict"] == judge_model(s.model).verdict  # the run's verdict, judged from its weeks


def test_the_export_has_every_decision_with_pseudonyms_unless_names_are_on(tmp_path):
    import pandas as pd

    from simulation.classroom.debrief import COLUMNS, export_decisions

    s, me = _played(lambda r: r["reputation"] > 0.4, weeks=2)
    csv, parquet = export_decisions(s, tmp_path / "out")
    a, b = pd.read_csv(csv), pd.read_parquet(parquet)
    assert list(a.columns) == list(b.columns) == COLUMNS
    assert len(a) == len(b) == len(s.log) > 0
    assert set(b["student"]) <= {x.id for x in s.seats}
    assert me.nickname not in csv.read_text()
    mine = b[(b["student"] == me.id) & (b["decided_by"] == "student")]
    assert ((mine["reputation"] > 0.4) == (mine["choice"] == "help")).all()
    _, named = export_decisions(s, tmp_path / "named", names=True)
    assert set(pd.read_parquet(named)["nickname"]) <= {x.nickname for x in s.seats}
    assert not list((tmp_path / "out").glob(".*tmp"))


# -- whom to ask, meet and introduce ------------------------------------------------------------
def _with_ask_options(session: ClassSession, at_least: int = 2) -> list:
    """Seat students until one of them can ask at least ``at_least`` contacts this week."""
    seats = []
    for i in range(session.max_seats):
        seats.append(session.join(session.code, f"student {i}"))
        if any(len(session.ask_options.get(s.slot, {}).get("candidates", [])) >= at_least for s in seats):
            return seats
    pytest.fail("no student can ask enough contacts this week")


def test_the_contacts_a_student_is_offered_to_ask_are_the_ones_the_model_would_ask():
    s = _class(seats=30)
    seats = _with_ask_options(s)
    s.start()
    offered = {
        x.slot: [c["slot"] for c in s.ask_options.get(x.slot, {}).get("candidates", [])] for x in seats
    }
    limit = s.ask_options[next(x.slot for x in seats if offered[x.slot])]["limit"]
    for seat in seats:  # nobody picks: every member asks by the model's own ranking
        s.decide(seat.token, week=0)
    plan = s.model.tick.plan
    for slot, cands in offered.items():
        line = plan.giver[plan.asker == slot][np.argsort(plan.round[plan.asker == slot])].tolist()
        assert line == cands[:limit]


def test_a_chosen_ask_goes_to_the_chosen_contact_in_the_chosen_order():
    s = _class(seats=30)
    seats = _with_ask_options(s)
    seat = next(x for x in seats if len(s.ask_options.get(x.slot, {}).get("candidates", [])) >= 2)
    cands = [c["slot"] for c in s.student_view(seat.token)["ask_options"]]
    picks = cands[::-1][:2]  # the model's last choice first
    s.start()
    for other in seats:
        if other is not seat:
            s.decide(other.token, week=0)
    s.decide(seat.token, week=0, asks=picks)
    assert s.week == 1
    plan = s.model.tick.plan
    mine = plan.asker == seat.slot
    assert plan.giver[mine][np.argsort(plan.round[mine])].tolist() == picks
    rows = [r for r in s.log if r["student"] == seat.id and r["choice"] == "ask"]
    assert [r["target"] for r in rows] == picks
    mine = next(d for d in student_debriefs(s) if d["seat"] == seat.id)
    assert mine["asked"] == sum(r["asked"] for r in rows) >= 1
    assert mine["asked_helped"] == sum(r["outcome"] == "helped" for r in rows)
    first = rows[0]["outcome"]
    gifts, refusals = s.model.tick.gifts, s.model.tick.refusals
    helped = picks[0] in gifts.giver[gifts.asker == seat.slot].tolist()
    refused = picks[0] in refusals.giver[refusals.asker == seat.slot].tolist()
    assert first == ("helped" if helped else "refused" if refused else "busy")
    assert rows[0]["asked"]  # the first in line is always asked


def test_a_student_meets_the_friend_of_a_friend_they_chose():
    s = _class()
    a = s.join(s.code, "Ada")
    options = s.student_view(a.token)["meet_options"]
    assert options and all(o["mutual"] >= 1 for o in options)
    contacts = {c["slot"] for c in s.contacts(a.slot)}
    pick = options[-1]["slot"]
    assert pick not in contacts and pick != a.slot
    s.start()
    s.decide(a.token, week=0, meet=pick)
    assert pick in {c["slot"] for c in s.contacts(a.slot)}
    (row,) = [r for r in s.log if r["choice"] == "meet"]
    assert (row["target"], row["outcome"], row["asked"]) == (pick, "met", True)


def test_a_student_introduces_two_of_their_contacts():
    s = _class()
    a = s.join(s.code, "Ada")
    contacts = [c["slot"] for c in s.contacts(a.slot)]
    ties = s.model.ties
    pair = next(
        (x, y)
        for i, x in enumerate(contacts)
        for y in contacts[i + 1 :]
        if not ties.has(np.array([x]), np.array([y]))[0]
    )
    s.start()
    s.decide(a.token, week=0, introduce=pair)
    assert ties.has(np.array([pair[0]]), np.array([pair[1]]))[0]
    (row,) = [r for r in s.log if r["choice"] == "introduce"]
    assert {row["target"], row["partner"]} == set(pair) and row["outcome"] == "introduced"


def test_a_student_chooses_only_among_their_own_candidates():
    s = _class(seats=30)
    seats = _with_ask_options(s)
    a = next(x for x in seats if s.ask_options.get(x.slot))
    b = next((x for x in seats if x is not a), None) or s.join(s.code, "Other")
    view = s.student_view(a.token)
    own = {c["slot"] for c in view["ask_options"]}
    not_mine = [c for c in range(s.model.population.size) if c not in own and c != a.slot]
    with pytest.raises(NotAuthorised, match="cannot ask|can ask"):
        s.decide(a.token, week=0, asks=[not_mine[0]])
    with pytest.raises(Refused, match="once"):
        s.decide(a.token, week=0, asks=[min(own), min(own)])
    offered = {m["slot"] for m in view["meet_options"]}
    with pytest.raises(NotAuthorised, match="meet"):
        s.decide(a.token, week=0, meet=next(c for c in not_mine if c not in offered))
    contacts = {c["slot"] for c in view["contacts"]}
    stranger = next(c for c in not_mine if c not in contacts)
    with pytest.raises(NotAuthorised, match="not one of your member's contacts"):
        s.decide(a.token, week=0, introduce=[min(contacts), stranger])
    with pytest.raises(Refused, match="two of your contacts"):
        s.decide(a.token, week=0, introduce=[min(contacts), min(contacts)])
    # another student's candidates are not this one's
    other_meets = {m["slot"] for m in s.student_view(b.token)["meet_options"]} - offered - contacts - {a.slot}
    assert other_meets
    with pytest.raises(NotAuthorised, match="meet"):
        s.decide(a.token, week=0, meet=min(other_meets))
    assert not a.decided


def test_a_student_asks_no_more_contacts_than_any_member_may():
    s = _class(seats=60, overrides={"population.size": 120})
    seats = _with_ask_options(s, at_least=4)
    a = next(x for x in seats if len(s.ask_options.get(x.slot, {}).get("candidates", [])) >= 4)
    view = s.student_view(a.token)
    assert view["ask_limit"] == 3  # the scenario's mechanisms.asking.asks
    with pytest.raises(Refused, match="at most 3"):
        s.decide(a.token, week=0, asks=[c["slot"] for c in view["ask_options"]][:4])
    s.decide(a.token, week=0, asks=[c["slot"] for c in view["ask_options"]][1:4])
    assert a.decided


def test_a_saved_class_resumes_in_a_fresh_process(tmp_path):
    s = _class(save_dir=tmp_path)
    seat = s.join(s.code, "Ada")
    s.start()
    s.decide(seat.token, week=0)
    assert s.week == 1
    assert s.wait_saved(60)
    code = (
        "import sys; from simulation.classroom import ClassSession\n"
        "s = ClassSession.load(sys.argv[1]); s.start(); s.advance(); print(s.week)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["2"]


def test_the_teachers_wealth_chart_names_strategies_as_the_network_legend_does():
    """The teacher's chart legend said ``otherish_giver`` beside a network legend saying
    ``otherish giver``: both use the strategy registry's labels, in its colours."""
    import re

    from simulation.classroom.pages import _charts

    s = _class()
    seat = s.join(s.code, "Ada")
    s.start()
    _play(s, [seat], 2)
    wealth = _charts(s)[0]
    legend = re.findall(r'data-colour="([^"]+)".*?<text[^>]*>([^<]+)</text>', wealth)
    names = [n for n in s.model.strategy_names if s.model.metrics.get(f"n_{n}", 0)]
    assert "otherish_giver" in names and "student" in names
    # the strategies, then the line of all members (tested below)
    assert [(name, c) for c, name in legend] == [(label(n), colour(n)) for n in names] + [
        (ALL_MEMBERS, ALL_MEMBERS_COLOUR)
    ]
    assert "otherish_giver" not in wealth


def test_the_teachers_wealth_chart_draws_all_members_mean_wealth_as_a_dashed_black_line():
    """As in the app, the teacher can point at a strategy ahead of or behind the average member:
    the wealth chart carries, week by week, the mean wealth of the members then present
    (students' members among them), dashed and black, last in its legend."""
    from simulation.classroom.pages import _charts

    s = _class()
    seats = [s.join(s.code, n) for n in ("Ada", "Ben", "Cy")]
    s.start()
    pop = s.model.population
    mean, students = {}, {}  # week -> read from the members present that week
    for week in range(9):
        if week:
            _play(s, seats, 1)
        assert s.model.steps == week
        alive = pop.alive_slots()
        mean[week] = float(pop.wealth[alive].mean())
        mine = [seat.slot for seat in seats if pop.alive[seat.slot]]
        students[week] = float(pop.wealth[mine].mean())
    wealth = _charts(s)[0]
    lines = lines_read_back(wealth)
    average = lines[ALL_MEMBERS]
    assert average["colour"] == ALL_MEMBERS_COLOUR and average["dashed"]
    assert average["weeks"].tolist() == list(range(9))
    assert np.abs(average["values"] - [mean[w] for w in range(9)]).max() <= average["tolerance"]
    # the students' line is read back on the same scale, from the week after they joined
    student = lines[label("student")]
    assert student["weeks"].tolist() == list(range(1, 9)) and not student["dashed"]
    assert np.abs(student["values"] - [students[w] for w in range(1, 9)]).max() <= student["tolerance"]
    # the two differ: the line is the class's average member, not the students'
    assert np.abs(student["values"] - average["values"][1:]).max() > 10 * average["tolerance"]
    assert [name for name, line in lines.items() if line["dashed"]] == [ALL_MEMBERS]
    legend = legend_read_back(wealth)
    assert legend[-1] == (ALL_MEMBERS, ALL_MEMBERS_COLOUR, True)
    assert not any(dashed for *_, dashed in legend[:-1])


@pytest.fixture
def strategy_labelled_all_members():
    """A user strategy whose label is the wealth chart's name for the line of all members."""

    @strategy
    class AverageJoe(Matcher):
        """A matcher that calls itself the average member."""

        name = "average_joe"
        label = ALL_MEMBERS

    yield AverageJoe
    del REGISTRY["average_joe"]


def test_a_strategy_labelled_all_members_is_named_by_its_name_in_the_wealth_chart(
    strategy_labelled_all_members,
):
    """The line of all members keeps its name: a strategy labelled the same is named in the
    wealth chart by its registry name, in its own colour, solid; one line is dashed."""
    from simulation.classroom.pages import _charts

    s = _class(overrides={**SMALL, "population.mix.average_joe": 0.2, "population.mix.matcher": 0.2})
    seat = s.join(s.code, "Ada")
    s.start()
    _play(s, [seat], 3)
    assert s.model.metrics["n_average_joe"] > 0
    wealth = _charts(s)[0]
    legend = legend_read_back(wealth)
    names = [name for name, *_ in legend]
    assert names.count(ALL_MEMBERS) == 1 and names[-1] == ALL_MEMBERS
    assert ("average_joe", colour("average_joe"), False) in legend
    lines = lines_read_back(wealth)
    assert lines[ALL_MEMBERS]["dashed"] and lines[ALL_MEMBERS]["colour"] == ALL_MEMBERS_COLOUR
    assert not lines["average_joe"]["dashed"] and lines["average_joe"]["colour"] == colour("average_joe")
    # the strategy's own line is its members' mean wealth, not all members'
    assert lines["average_joe"]["values"][-1] == pytest.approx(
        s.model.metrics["wealth_average_joe"], abs=lines["average_joe"]["tolerance"]
    )


def test_the_teachers_list_says_waiting_before_the_start_and_done_after_the_end():
    """Before the start nobody is deciding yet, and after the end nobody still is (the list
    said 'deciding' for both)."""
    s = _class()
    seat = s.join(s.code, "Ada")
    assert [r["status"] for r in s.seat_table()] == ["waiting for the start"]
    s.start()
    assert [r["status"] for r in s.seat_table()] == ["deciding"]
    s.decide(seat.token, week=s.week, helps={})
    _play(s, [seat], 1)
    s.end()
    assert [r["status"] for r in s.seat_table()] == ["done"]
