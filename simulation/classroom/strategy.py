"""The strategy of a member played by a student.

A student's member lives under the model's own rules: it is asked for help by
the Asking mechanism, answers through the Giving mechanism, pays and gains
through Exchange, like every other member.  Only its answer comes from a
person: :class:`Student` looks up what the student chose for each asker this
week, and where the student has not chosen it plays the teacher's default
(refuse, or answer as a matcher would).

A student also chooses whom their member asks for help, whom it seeks out and which
two of its contacts it introduces: :class:`Student` makes these choices of the shared
mechanisms (``chooses``), among the candidates those mechanisms offer, from the
student's picks; a student who picks nobody to ask asks as every member does.

Examples
--------
>>> from simulation.classroom.strategy import Student
>>> Student(default="matcher").default
'matcher'
>>> Student().classifier["uses_memory"]
False
"""

from __future__ import annotations

import numpy as np

from ..params import Param
from ..strategies import CHOICES, ChoiceContext, DecisionContext, Strategy, strategy
from ..strategies.builtin import Matcher

__all__ = ["Student", "STUDENT", "DEFAULTS"]

#: the registry name of the strategy
STUDENT = "student"

#: what an undecided student's member does
DEFAULTS = ("refuse", "matcher")


@strategy
class Student(Strategy):
    """A member played by a person: helps or refuses each asker as its player chose
    for this week; an undecided player's member refuses, or answers as a matcher
    (the teacher's choice)."""

    name = STUDENT
    label = "student"
    colour = "#F0E442"  # Okabe & Ito's yellow: no built-in strategy uses it
    classifier = {
        "gives_unconditionally": False,
        "uses_reputation": False,
        "uses_memory": False,
        "introduces": False,
    }
    PARAMS = {
        "default": Param("refuse", "what a member does when its player has not decided", choices=DEFAULTS),
    }
    # the player decides whom to drop; the model never cuts a player's tie for them
    tolerance = float("inf")
    cuts_distrusted = False
    # whom to ask, meet and introduce: the player's picks
    chooses = frozenset(CHOICES)

    def __init__(self, **params):
        super().__init__(**params)
        #: member slot -> {asker slot: helps?} for the week about to run
        self.choices: dict[int, dict[int, bool]] = {}
        #: member slot -> helps? for anyone else who asks (a request nobody foresaw)
        self.others: dict[int, bool] = {}
        #: True while a copy of the model looks ahead at who will ask: record, refuse
        self.looking_ahead = False
        #: requests answered in the current week (one dict of arrays per batch)
        self.answered: list[dict[str, np.ndarray]] = []
        #: member slot -> the contacts its player asks, first asked first
        self.asks: dict[int, list[int]] = {}
        #: member slot -> the friend of a friend its player seeks out
        self.meets: dict[int, int] = {}
        #: member slot -> the two contacts its player introduces to each other
        self.introductions: dict[int, tuple[int, int]] = {}
        #: the contacts each member could ask, as the look-ahead saw them (member, contact,
        #: score, the member's need)
        self.ask_candidates: list[tuple[np.ndarray, ...]] = []

    def choose(self, ctx: ChoiceContext) -> np.ndarray:
        # a loop over the players' few picks, each a mask over every candidate offered
        member, cand = np.asarray(ctx.member), np.asarray(ctx.candidate)
        if ctx.kind == "ask":
            if self.looking_ahead:
                need = ctx.model.population.need[ctx.member]
                self.ask_candidates.append((ctx.member.copy(), ctx.candidate.copy(), ctx.score.copy(), need))
                return np.array(ctx.score, float)  # no pick: asks as every member does
            pref = np.array(ctx.score, float)
            for m, picks in self.asks.items():
                mine = member == m
                if not picks or not mine.any():
                    continue
                pref[mine] = -np.inf
                for rank in range(len(picks) - 1, -1, -1):  # the first asked is preferred most
                    pref[mine & (cand == picks[rank])] = len(picks) - rank
            return pref
        pref = np.full(len(ctx), -np.inf)
        if ctx.kind == "meet":
            for m, c in self.meets.items():
                pref[(member == m) & (cand == c)] = 1.0
        else:
            partner = np.asarray(ctx.partner)
            for m, (a, b) in self.introductions.items():
                pair = ((cand == a) & (partner == b)) | ((cand == b) & (partner == a))
                pref[(member == m) & pair] = 1.0
        return pref

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        n = len(ctx)
        out = np.zeros(n, bool)
        chosen = np.zeros(n, bool)
        by_rule = np.zeros(n, bool)
        if not self.looking_ahead:
            for i, (g, a) in enumerate(zip(ctx.giver.tolist(), ctx.asker.tolist(), strict=True)):
                choice = self.choices.get(g, {}).get(a)
                if choice is None and g in self.others:
                    choice, by_rule[i] = self.others[g], True
                if choice is not None:
                    out[i] = choice
                    chosen[i] = True
            if self.default == "matcher" and not chosen.all():
                rest = np.flatnonzero(~chosen)
                out[rest] = Matcher().gives(DecisionContext.subset(ctx, rest))
        self.answered.append(
            {
                "giver": np.asarray(ctx.giver).copy(),
                "asker": np.asarray(ctx.asker).copy(),
                "given": np.asarray(ctx.given).copy(),
                "received": np.asarray(ctx.received).copy(),
                "trust": np.asarray(ctx.trust, float).copy(),
                "asker_reputation": np.asarray(ctx.asker_reputation, float).copy(),
                "helps": out.copy(),
                "chosen": chosen,
                "by_rule": by_rule,
            }
        )
        return out

    def take_answered(self) -> dict[str, np.ndarray]:
        """The requests answered since the last call, as one dict of aligned arrays."""
        keys = (
            "giver",
            "asker",
            "given",
            "received",
            "trust",
            "asker_reputation",
            "helps",
            "chosen",
            "by_rule",
        )
        batches, self.answered = self.answered, []
        if not batches:
            kinds = {
                "trust": float,
                "asker_reputation": float,
                "helps": bool,
                "chosen": bool,
                "by_rule": bool,
            }
            return {k: np.zeros(0, kinds.get(k, np.int64)) for k in keys}
        return {k: np.concatenate([b[k] for b in batches]) for k in keys}
