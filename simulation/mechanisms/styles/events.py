"""Paid events a few times a year (seed 003)."""

from __future__ import annotations

import numpy as np

from ..base import Mechanism, Param, mechanism
from ..contacts import connect
from .common import WEEKS_PER_YEAR

__all__ = ["Events"]


@mechanism
class Events(Mechanism):
    """A few large paid events a year (seed 003: "attend events at least 4 times a year ... and you pay").

    ``per_year`` events are spread evenly over the 52-week year, the first in
    week ``first``.  Each member who can afford the ``fee`` attends with chance
    ``attendance`` and pays the fee, which leaves the network (it goes to the
    organiser).  Each attendee meets ``meets`` random other attendees; the
    new ties start at ``strength``.
    """

    name = "events"
    PARAMS = {
        "per_year": Param(4, "events a year", 1, WEEKS_PER_YEAR),
        "first": Param(4, "week of the first event", 1, 10_000_000),
        "attendance": Param(0.6, "chance that a member who can afford the fee attends", 0.0, 1.0),
        "fee": Param(2.0, "attendance cost paid by each attendee", 0.0, None),
        "meets": Param(6, "other attendees each attendee meets", 0, 10_000),
        "strength": Param(0.3, "strength of a tie made at an event", 0.0, 1.0),
        "trust": Param(0.5, "trust a tie made at an event starts with", 0.0, 1.0),
    }

    def setup(self, model) -> None:
        self.interval = max(1, int(round(WEEKS_PER_YEAR / self.per_year)))
        self.last_attendees = np.zeros(0, np.int64)
        self.held = 0
        self.fees_total = 0.0
        self.week = (-1, 0, 0.0)  # (step, attendees, fees) of the latest event
        model.extra_metrics["event_attendees"] = lambda m: self.week[1] if self.week[0] == m.steps else 0
        model.extra_metrics["event_fees"] = lambda m: self.week[2] if self.week[0] == m.steps else 0.0

    def is_event_week(self, week: int) -> bool:
        return week >= self.first and (week - self.first) % self.interval == 0

    def step(self, model) -> None:
        if not self.is_event_week(model.steps):
            return
        pop, rng = model.population, model.rng
        alive = pop.alive_slots()
        can_pay = alive[pop.wealth[alive] >= self.fee]
        attendees = can_pay[rng.random(len(can_pay)) < self.attendance]
        self.last_attendees = attendees
        self.held += 1
        if self.fee:
            model.pay(attendees, -self.fee)
        fees = float(self.fee * len(attendees))
        self.fees_total += fees
        self.week = (model.steps, len(attendees), fees)
        if len(attendees) < 2 or self.meets == 0:
            return
        a = np.repeat(attendees, self.meets)
        b = attendees[rng.integers(0, len(attendees), len(a))]
        connect(model, a, b, strength=self.strength, trust=self.trust)

    def summary(self, model) -> dict:
        return {"events": {"held": self.held, "fees_paid": self.fees_total}}
