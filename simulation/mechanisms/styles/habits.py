"""Relationships versus numbers: deep maintained ties beside collected shallow ones (seed 004)."""

from __future__ import annotations

import numpy as np

from ...arrays import rank_in_groups
from ..base import Mechanism, Param, mechanism
from ..contacts import connect
from .common import grow_to

__all__ = ["Habits"]


@mechanism
class Habits(Mechanism):
    """Relationships versus numbers (seed 004): two networking habits side by side.

    A share ``collectors`` of members collect connections: each week they add
    ``collect`` new acquaintances at random, starting at ``collect_strength``,
    and do nothing to keep them.  The others build relationships: they keep
    at most ``deep_ties`` ties (letting the weakest go), and work on every one
    of them each week, adding ``care`` of its distance to full strength (so
    their ties never decay).  The habit is independent of the give/take
    strategy.  Metrics compare the two groups: ``degree_*``, ``wealth_*``
    and ``fulfilment_*`` (share of this week's needs met).
    """

    name = "habits"
    PARAMS = {
        "collectors": Param(0.5, "share of members who collect many shallow connections", 0.0, 1.0),
        "collect": Param(3, "new connections a collector makes per week", 0, 1000),
        "collect_strength": Param(0.1, "strength of a collected connection", 0.0, 1.0),
        "deep_ties": Param(8, "most ties a relationship builder keeps", 1, 100_000),
        "care": Param(
            0.05, "share of the distance to full strength a builder adds to its ties per week", 0.0, 1.0
        ),
    }

    GROUPS = ("builders", "collectors")

    def setup(self, model) -> None:
        pop, rng = model.population, model.rng
        alive = pop.alive_slots()
        self.collector = np.zeros(len(pop.alive), bool)
        n = int(round(self.collectors * len(alive)))
        self.collector[rng.permutation(alive)[:n]] = True
        self.fulfilment = {g: 0.0 for g in self.GROUPS}
        for i, group in enumerate(self.GROUPS):
            model.extra_metrics[f"degree_{group}"] = lambda m, i=i: self._by_group(m, "degree")[i]
            model.extra_metrics[f"wealth_{group}"] = lambda m, i=i: self._by_group(m, "wealth")[i]
            model.extra_metrics[f"fulfilment_{group}"] = lambda m, g=group: self.fulfilment[g]

    def on_join(self, model, slots) -> None:
        slots = np.asarray(slots)
        self.collector = grow_to(self.collector, model.population.size, False)
        self.collector[slots] = model.rng.random(len(slots)) < self.collectors

    def is_collector(self, slots: np.ndarray) -> np.ndarray:
        """Whether each member collects connections (False: builds relationships)."""
        return self.collector[slots]

    def _by_group(self, model, what: str) -> tuple[float, float]:
        pop = model.population
        alive = pop.alive_slots()
        if what == "degree":
            values = model.ties.degree(pop.size)[alive].astype(float)
        else:
            values = pop.wealth[alive]
        col = self.collector[alive]
        out = []
        for mask in (~col, col):
            out.append(float(values[mask].mean()) if mask.any() else 0.0)
        return out[0], out[1]

    def step(self, model) -> None:
        pop, ties, rng = model.population, model.ties, model.rng
        self.collector = grow_to(self.collector, pop.size, False)
        alive = pop.alive_slots()
        col = self.collector[alive]
        # needs met this week, per group (runs after giving and exchange)
        met = np.zeros(pop.size, bool)
        met[model.tick.gifts.asker] = True
        open_ = pop.need[alive] >= 0
        for group, mask in zip(self.GROUPS, (~col, col), strict=True):
            n_met = int(met[alive[mask]].sum())
            n_needs = n_met + int(open_[mask].sum())
            self.fulfilment[group] = n_met / n_needs if n_needs else 0.0
        # builders keep their few ties strong and let the weakest go
        view = ties.directed(pop.size)
        builder_rows = ~self.collector[view.src] & pop.alive[view.src]
        k = np.flatnonzero(builder_rows)
        if len(k):
            strength = ties.strength[view.edge[k]]
            order = np.lexsort((-strength, view.src[k]))
            k = k[order]
            rank = rank_in_groups(view.src[k])
            model.tick.ties_cut += ties.remove(view.edge[k[rank >= self.deep_ties]])
            kept = view.edge[k[rank < self.deep_ties]]
            kept = kept[ties.alive[kept]]
            kept = np.unique(kept)
            ties.strength[kept] += self.care * (1.0 - ties.strength[kept])
            ties.last_used[kept] = model.steps
        # collectors add acquaintances (a builder drops the weakest beyond its cap next week)
        collectors = alive[col]
        if len(collectors) and self.collect:
            a = np.repeat(collectors, self.collect)
            b = alive[rng.integers(0, len(alive), len(a))]
            connect(model, a, b, strength=self.collect_strength, trust=0.5)

    def summary(self, model) -> dict:
        deg = self._by_group(model, "degree")
        wealth = self._by_group(model, "wealth")
        return {
            "habits": {
                g: {"mean_degree": deg[i], "mean_wealth": wealth[i], "fulfilment": self.fulfilment[g]}
                for i, g in enumerate(self.GROUPS)
            }
        }
