"""Meeting new people: random encounters, friends of friends, and reputation."""

from __future__ import annotations

import numpy as np

from ..strategies import ChoiceContext
from .base import Mechanism, Param, mechanism
from .contacts import (
    attachment_powers,
    attachment_weights,
    connect,
    friends_of_friends,
    second_contacts,
    top_choice,
)

__all__ = ["Meeting"]


@mechanism
class Meeting(Mechanism):
    """Random meetings, attachment to reputation, and friends of friends.

    A member whose strategy chooses whom to meet (``"meet"`` in its ``chooses``) may
    also seek out one friend of a friend a week, on purpose: the candidates are the
    members its contacts know and it does not (:func:`~.contacts.second_contacts`,
    ranked by contacts in common), and the new tie obeys the network's degree cap.
    """

    name = "meeting"
    PARAMS = {
        "p_random": Param(0.03, "weekly chance of meeting a random stranger", 0.0, 1.0),
        "p_attach": Param(0.02, "weekly chance of seeking out a well-reputed member", 0.0, 1.0),
        "p_triadic": Param(0.08, "weekly chance of meeting a friend of a friend", 0.0, 1.0),
    }

    def step(self, model) -> None:
        pop, rng = model.population, model.rng
        alive = pop.alive_slots()
        n = len(alive)
        if n < 2:
            return
        if model.compiled and type(self) is Meeting and not model.chooses["meet"].any():
            return self._step_compiled(model, alive)
        # friends of friends are found on this week's network, before it changes
        sa, sb = self.sought(model, alive)
        fa, fb = friends_of_friends(model, alive[rng.random(n) < self.p_triadic])
        ra = alive[rng.random(n) < self.p_random]
        rb = alive[rng.integers(0, n, len(ra))]
        pa = alive[rng.random(n) < self.p_attach]
        if len(pa):
            pb = rng.choice(alive, size=len(pa), p=attachment_weights(model, alive))
        else:
            pb = pa
        connect(
            model,
            np.concatenate([ra, pa, fa, sa]),
            np.concatenate([rb, pb, fb, sb]),
        )

    def _step_compiled(self, model, alive: np.ndarray) -> None:
        """The same meetings from the same draws, proposed by a compiled kernel
        (``simulation.compiled.encounters``), whom members seek out drawn there too as
        :func:`~simulation.mechanisms.contacts.attachment_choice` draws it; same results."""
        from ..compiled.encounters import meeting
        from ..compiled.generator import handle
        from ..draws import SUM_TOLERANCE

        pop = model.population
        view = model.ties.directed(pop.size)
        bias, powered = attachment_powers(model, alive)
        fa, fb, ra, rb, pa, pb, plain, p = meeting(
            handle(model.rng),
            alive,
            view.start,
            view.dst,
            float(self.p_triadic),
            float(self.p_random),
            float(self.p_attach),
            pop.public_gifts,
            pop.public_refusals,
            model.ties.degree(pop.size),
            bias,
            powered,
            SUM_TOLERANCE,
        )
        if not plain:  # Generator.choice checks the chances (and says what is wrong)
            pb = model.rng.choice(alive, size=len(pa), p=p)
        connect(model, np.concatenate([ra, pa, fa]), np.concatenate([rb, pb, fb]))

    @staticmethod
    def sought(model, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The meetings members choose themselves this week: ``(member, candidate)``."""
        members = alive[model.choosers("meet", alive)]
        if len(members) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        who, cand, mutual = second_contacts(model, members)
        edge = np.full(len(who), -1, np.int64)
        pref = model.choose(ChoiceContext("meet", model, who, cand, edge, mutual.astype(float)))
        top = top_choice(who, pref)
        return who[top], cand[top]
