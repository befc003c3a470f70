"""Per-member state held as numpy arrays (a struct of arrays).

Every member occupies a *slot*; slot ``i`` of each array describes the same
member.  Slots of members who left are never reused, so a slot index is a
stable id for the whole run.  Arrays grow by doubling.

Examples
--------
>>> import numpy as np
>>> pop = Population(n_skills=4, n_interests=3, n_platforms=1)
>>> slots = pop.add(3, strategy=np.array([0, 1, 0]), step=0, wealth=10.0)
>>> slots.tolist(), pop.n_alive
([0, 1, 2], 3)
>>> pop.remove(np.array([1]))
>>> pop.alive_slots().tolist()
[0, 2]
"""

from __future__ import annotations

import numpy as np

__all__ = ["Population", "PRIOR_EXPECTATION"]

#: what a newcomer expects of others before it has asked anyone: half its requests met
#: (nothing known; the same neutral 0.5 as a first image or an empty public record).  In
#: Fischbacher & Gächter's repeated public-goods game (2010, AER 100:541) the belief elicited
#: in the first period was 9.8 tokens of 20 on average (0.49)
PRIOR_EXPECTATION = 0.5


class Population:
    """Member attributes as parallel numpy arrays indexed by slot."""

    def __init__(self, n_skills: int, n_interests: int, n_platforms: int, capacity: int = 256):
        self.n_skills = n_skills
        self.n_interests = n_interests
        self.n_platforms = n_platforms
        cap = max(int(capacity), 16)
        self.alive = np.zeros(cap, bool)  #: the member is in the network
        self.strategy = np.zeros(cap, np.int16)  #: index of its strategy in ``model.strategy_names``
        self.wealth = np.zeros(cap)  #: business value: starting wealth plus every payment (``model.pay``)
        self.skills = np.zeros((cap, n_skills), bool)  #: the skill categories it can help with
        self.interests = np.zeros((cap, n_interests), bool)  #: its interests (homophily on platforms)
        self.platforms = np.zeros((cap, max(n_platforms, 1)), bool)  #: online platforms it is on
        self.need = np.full(cap, -1, np.int64)  #: the skill it needs this week, ``-1``: none
        self.rank = np.zeros(cap, np.int16)  #: formal rank (title), unrelated to behaviour
        self.chapter = np.full(cap, -1, np.int64)  #: its referral-group chapter, ``-1``: none
        self.public_gifts = np.zeros(cap)  #: its gifts that became public (gossip, reports, ratings)
        self.public_refusals = np.zeros(cap)  #: its refusals that became public
        self.gifts_given = np.zeros(cap, np.int64)  #: gifts it gave, in total
        self.gifts_received = np.zeros(cap, np.int64)  #: gifts it received, in total
        self.referrals_received = np.zeros(cap, np.int64)  #: clients referred to it, in total
        #: running average of its weekly net income from the network (``churn``)
        self.income = np.zeros(cap)
        self.refusals = np.zeros(cap, np.int64)  #: requests it refused, in total
        self.strikes = np.zeros(cap, np.int64)  #: referral-group strikes against it (``chapters``)
        #: the share of its requests it expects others to meet, learnt from the answers it got
        #: (``exchange``); a newcomer starts at 0.5 (``PRIOR_EXPECTATION``)
        self.expectation = np.zeros(cap)
        self.joined = np.zeros(cap, np.int64)  #: week it joined
        self.left = np.full(cap, -1, np.int64)  #: week it left, ``-1``: still in
        self.size = 0

    _ARRAYS = (
        "alive strategy wealth skills interests platforms need rank chapter public_gifts "
        "public_refusals gifts_given gifts_received referrals_received income refusals strikes expectation "
        "joined left"
    ).split()

    def _ensure(self, extra: int) -> None:
        need = self.size + extra
        if need <= len(self.alive):
            return
        cap = max(need, 2 * len(self.alive))
        for name in self._ARRAYS:
            old = getattr(self, name)
            fill = -1 if name in ("need", "chapter", "left") else 0
            new = np.full((cap, *old.shape[1:]), fill, old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def add(self, n: int, *, strategy: np.ndarray, step: int, wealth: float) -> np.ndarray:
        """Open ``n`` new slots and return their indices."""
        self._ensure(n)
        slots = np.arange(self.size, self.size + n)
        self.size += n
        self.alive[slots] = True
        self.strategy[slots] = strategy
        self.wealth[slots] = wealth
        self.expectation[slots] = PRIOR_EXPECTATION
        self.joined[slots] = step
        return slots

    def remove(self, slots: np.ndarray, step: int = -1) -> None:
        self.alive[slots] = False
        self.need[slots] = -1
        self.left[slots] = step

    @property
    def n_alive(self) -> int:
        return int(self.alive[: self.size].sum())

    def alive_slots(self) -> np.ndarray:
        return np.flatnonzero(self.alive[: self.size])

    def reputation(self, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Public reputation in ``(0, 1)``: the share of known requests a member met.

        A Laplace estimate, so that a newcomer with no record starts at 0.5.
        """
        g = self.public_gifts[slots]
        r = self.public_refusals[slots]
        return (g + 1.0) / (g + r + 2.0)
