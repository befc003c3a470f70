"""Member: a real ``mesa.Agent`` whose state lives in the model's arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from .model import GiveTakeModel

__all__ = ["Member"]


class Member(mesa.Agent):
    """One business person.  Reads and writes through ``model.population`` at ``slot``.

    The model steps all members at once (vectorised mechanisms), so ``step``
    does nothing on its own.
    """

    model: GiveTakeModel

    def __init__(self, model: GiveTakeModel, slot: int):
        super().__init__(model)
        self.slot = slot

    @property
    def strategy(self) -> str:
        return self.model.strategy_names[self.model.population.strategy[self.slot]]

    @property
    def wealth(self) -> float:
        return float(self.model.population.wealth[self.slot])

    @property
    def reputation(self) -> float:
        return float(self.model.population.reputation(np.array([self.slot]))[0])

    @property
    def rank(self) -> int:
        return int(self.model.population.rank[self.slot])

    @property
    def skills(self) -> list[int]:
        return np.flatnonzero(self.model.population.skills[self.slot]).tolist()

    @property
    def alive(self) -> bool:
        return bool(self.model.population.alive[self.slot])

    def contacts(self) -> list[int]:
        """Slots of the members this one has a tie with."""
        view = self.model.ties.directed(self.model.population.size)
        return view.dst[view.start[self.slot] : view.start[self.slot + 1]].tolist()

    def step(self) -> None:  # the pipeline steps everyone at once
        pass

    def __repr__(self) -> str:
        return f"Member(slot={self.slot}, strategy={self.strategy!r}, wealth={self.wealth:.1f})"
