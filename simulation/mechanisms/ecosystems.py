"""The ecosystems mechanism: detection, tracking and influence during a run."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..arrays import rank_in_groups
from ..ecosystems import (
    EcosystemTracker,
    TieGraphKeeper,
    community_backend,
    detect_communities,
    format_ids,
    groups_from_labels,
    influence_measures,
    life_stories,
)
from .base import Mechanism, Param, mechanism

if TYPE_CHECKING:
    from ..model import GiveTakeModel

__all__ = ["Ecosystems"]


@mechanism
class Ecosystems(Mechanism):
    """Detect and track ecosystems (communities of the tie graph).

    Every ``every`` steps (and once at the start, on a network of fewer than
    ``at_start_below`` members) the strength-weighted tie
    graph of the members is split into communities (:func:`detect_communities`,
    seeded from a generator spawned from the model's, so measuring never
    changes the run); communities of at least ``min_size`` members are ecosystems, followed
    across detections by :class:`EcosystemTracker`, and each ecosystem's needs
    met and value created are measured.  Put it last in the pipeline: it reads
    what happened in the step.  (The run's verdict is judged from the per-week
    table for every run, with or without this mechanism: :mod:`simulation.verdict`.)
    """

    name = "ecosystems"
    PARAMS = {
        "every": Param(10, "steps between two detections of ecosystems (0: never detect)", 0, None),
        "at_start_below": Param(
            20_000,
            "detect once when the model is built too (week 0) if it has fewer members than this; "
            "larger worlds have their first detection at week `every` (on 100,000 members the "
            "first detection takes longer than the rest of the build)",
            0,
            None,
        ),
        "resolution": Param(1.0, "modularity resolution: above 1 finds smaller ecosystems", 0.0, None),
        "method": Param(
            "auto",
            "community detection: 'igraph' (Leiden, needs the igraph package), "
            "'networkx' (Louvain), or 'auto' (igraph when installed)",
            choices=("auto", "igraph", "networkx"),
        ),
        "warm_start": Param(
            True, "start each detection from the previous one (igraph only): ecosystems keep their identity"
        ),
        "iterations": Param(
            2, "Leiden iterations per detection (igraph only; -1: until the partition is stable)", -1, None
        ),
        "jaccard": Param(0.3, "overlap (Jaccard index) at which two detections' ecosystems match", 0.01, 1.0),
        "change": Param(0.1, "relative change in size that counts as growth or contraction", 0.0, None),
        "min_size": Param(3, "smallest community that counts as an ecosystem", 1, None),
        "influence_sample": Param(2000, "members for whom brokerage is measured (0: all)", 0, None),
    }

    def setup(self, model: GiveTakeModel) -> None:
        # a generator of our own, spawned from the model's: measuring ecosystems
        # never changes the run it measures
        base = getattr(model, "metrics_rng", model.rng)
        try:
            self.rng = base.spawn(1)[0]
        except (AttributeError, TypeError, ValueError):
            self.rng = np.random.default_rng(base.integers(2**63))
        self.backend = community_backend(self.method)
        self.tracker = EcosystemTracker(self.jaccard, self.change)
        self.labels = np.full(0, -1, np.int64)
        self._partition = np.full(0, -1, np.int64)  # every community of the last detection
        self.current: dict[int, int] = {}
        self.rows: list[dict[str, Any]] = []
        self.count = 0
        self.largest = 0.0
        self.detections: list[int] = []
        # accumulated between detections
        self._needs = np.zeros(0, np.int64)
        self._gifts: list[tuple[np.ndarray, np.ndarray]] = []
        self._mark = np.zeros(0)
        self._grow(model)
        pop = model.population
        self._mark[: pop.size] = pop.wealth[: pop.size]
        exchange = model.mechanism("exchange")
        # value created by help: b - c per gift (None: fall back to all changes of wealth)
        self._gift_value = (exchange.b, exchange.c) if exchange is not None else None
        self._influence: tuple[int, pd.DataFrame, dict] | None = None
        # the last detection's values, carried until the next; NaN before the first
        model.extra_metrics["ecosystems"] = lambda m: self.count if self.detections else math.nan
        model.extra_metrics["largest_ecosystem"] = lambda m: self.largest if self.detections else math.nan
        model.extra_metrics["ecosystems_week"] = lambda m: (
            self.detections[-1] if self.detections else math.nan
        )
        if self.every and model.population.n_alive < self.at_start_below:
            self.detect(model)

    def __getstate__(self) -> dict[str, Any]:
        # igraph's kept graph is not saved with the model: the next detection builds it again
        # (the same graph), so saves and copies stay as small and quick as before
        state = self.__dict__.copy()
        state.pop("_keeper", None)
        return state

    @property
    def method_used(self) -> str:
        """The detection algorithm actually used, e.g. ``"igraph-leiden-warm"``."""
        if self.backend == "networkx":
            return "networkx-louvain"
        return "igraph-leiden-warm" if self.warm_start else "igraph-leiden"

    @property
    def events(self) -> list[dict[str, Any]]:
        """Event rows so far (see ``docs/ecosystems.md``)."""
        return self.tracker.events

    def _grow(self, model: GiveTakeModel) -> None:
        n = model.population.size
        if len(self._needs) < n:
            cap = max(n, 2 * len(self._needs), 16)
            self._needs = np.concatenate([self._needs, np.zeros(cap - len(self._needs), np.int64)])
            self._mark = np.concatenate([self._mark, np.zeros(cap - len(self._mark))])

    def on_join(self, model: GiveTakeModel, slots) -> None:
        self._grow(model)
        self._mark[slots] = model.population.wealth[slots]

    def step(self, model: GiveTakeModel) -> None:
        pop, tick = model.population, model.tick
        self._grow(model)
        n = pop.size
        giver, asker = tick.gifts.giver, tick.gifts.asker
        # a member's need this step is either still open or was met by a gift
        self._needs[:n] += (pop.need[:n] >= 0) + np.bincount(asker, minlength=n)[:n]
        if len(giver):
            self._gifts.append((np.asarray(giver), np.asarray(asker)))
        if self.every and model.steps % self.every == 0:
            self.detect(model)

    # -- detection --------------------------------------------------------
    def detect(self, model: GiveTakeModel) -> list[int]:
        """Find and track the ecosystems now; returns their ids (largest first)."""
        pop, ties = model.population, model.ties
        self._grow(model)
        alive = pop.alive_slots()
        n = len(alive)
        index = np.full(pop.size, -1, np.int64)
        index[alive] = np.arange(n)
        e = ties.live()
        e = e[(index[ties.u[e]] >= 0) & (index[ties.v[e]] >= 0)]
        u, v = index[ties.u[e]], index[ties.v[e]]
        seed = int(self.rng.integers(2**31))
        initial = None
        if self.warm_start and self.backend == "igraph" and len(self._partition):
            initial = np.full(n, -1, np.int64)
            known = alive < len(self._partition)
            initial[known] = self._partition[alive[known]]
            fresh = initial < 0  # newcomers start on their own
            initial[fresh] = initial.max(initial=-1) + 1 + np.arange(fresh.sum())
        graph = None
        if self.backend == "igraph":  # igraph's graph kept from the last detection, brought up to date
            keeper = self.__dict__.get("_keeper")
            if keeper is None:
                keeper = self._keeper = TieGraphKeeper()
            graph = keeper.graph_for(alive, e, u, v, ties.compactions, ties.renumbered)
        lab = detect_communities(
            n,
            u,
            v,
            ties.strength[e],
            resolution=self.resolution,
            seed=seed,
            method=self.backend,
            initial=initial,
            iterations=self.iterations,
            graph=graph,
        )
        self._partition = np.full(pop.size, -1, np.int64)
        self._partition[alive] = lab
        groups = groups_from_labels(lab, alive, self.min_size)
        ids = self.tracker.update(model.steps, groups)

        labels = np.full(pop.size, -1, np.int64)
        for eid, g in zip(ids, groups):
            labels[g] = eid
        self.labels = labels
        inside = alive[labels[alive] >= 0]
        self.current = dict(zip(inside.tolist(), labels[inside].tolist()))
        self.count = len(groups)
        self.largest = len(groups[0]) / n if groups and n else 0.0
        self.detections.append(model.steps)
        self._record(model, ids, groups, e)
        self._gifts = []
        self._needs[:] = 0
        self._mark[: pop.size] = pop.wealth[: pop.size]
        return ids

    def _record(self, model: GiveTakeModel, ids: list[int], groups: list[np.ndarray], e: np.ndarray) -> None:
        if not groups:
            return
        pop, ties = model.population, model.ties
        k = len(groups)
        pos = np.full(pop.size, -1, np.int64)  # slot -> position of its ecosystem in `groups`
        for i, g in enumerate(groups):
            pos[g] = i
        members = np.concatenate(groups)
        where = pos[members]
        size = np.bincount(where, minlength=k).astype(float)

        pu, pv = pos[ties.u[e]], pos[ties.v[e]]
        inside = (pu == pv) & (pu >= 0)
        ei, gi = e[inside], pu[inside]
        internal = np.bincount(gi, minlength=k)
        trust_sum = np.bincount(gi, weights=ties.trust[ei].sum(axis=1), minlength=k)
        strength_sum = np.bincount(gi, weights=ties.strength[ei], minlength=k)

        needs = np.bincount(where, weights=self._needs[members], minlength=k)
        if self._gifts:
            giver = np.concatenate([g for g, _ in self._gifts])
            asker = np.concatenate([a for _, a in self._gifts])
        else:
            giver = asker = np.zeros(0, np.int64)
        pa = pos[asker]
        met = np.bincount(pa[pa >= 0], minlength=k)
        met_inside = np.bincount(pa[(pa >= 0) & (pos[giver] == pa)], minlength=k)
        b, c = self._gift_value if self._gift_value is not None else (0.0, 0.0)
        pg = pos[giver]
        given = np.bincount(pg[pg >= 0], minlength=k)
        value = b * met - c * given
        change = np.bincount(where, weights=pop.wealth[members] - self._mark[members], minlength=k)
        wealth = np.bincount(where, weights=pop.wealth[members], minlength=k)

        n_strat = len(model.strategy_names)
        mix = np.bincount(where * n_strat + pop.strategy[members], minlength=k * n_strat).reshape(k, n_strat)

        rows_, cols = np.nonzero(pop.skills[members])
        skey = where[rows_] * pop.n_skills + cols
        skeys, scount = np.unique(skey, return_counts=True)
        s_eco, s_skill = skeys // pop.n_skills, skeys % pop.n_skills
        order = np.lexsort((s_skill, -scount, s_eco))
        s_eco, s_skill, scount = s_eco[order], s_skill[order], scount[order]
        top = rank_in_groups(s_eco) < 2
        dominant = [[] for _ in range(k)]
        top_share = np.zeros(k)
        for eco, skill, cnt, first in zip(
            s_eco[top], s_skill[top], scount[top], rank_in_groups(s_eco)[top] == 0
        ):
            dominant[eco].append(int(skill))
            if first:
                top_share[eco] = cnt / size[eco]

        n_alive = pop.n_alive
        step = model.steps
        for i, eid in enumerate(ids):
            sz = size[i]
            possible = sz * (sz - 1) / 2
            row: dict[str, Any] = {
                "step": step,
                "ecosystem": eid,
                "size": int(sz),
                "share": sz / n_alive if n_alive else 0.0,
                "born": self.tracker.born[eid],
                "age": step - self.tracker.born[eid],
                "internal_ties": int(internal[i]),
                "density": internal[i] / possible if possible else 0.0,
                "mean_trust": trust_sum[i] / (2 * internal[i]) if internal[i] else float("nan"),
                "mean_strength": strength_sum[i] / internal[i] if internal[i] else float("nan"),
                "needs": int(needs[i]),
                "needs_met": int(met[i]),
                "needs_met_inside": int(met_inside[i]),
                "goal_attainment": met_inside[i] / needs[i] if needs[i] else float("nan"),
                "value_created": float(value[i]),
                "value_per_member": float(value[i] / sz),
                "wealth_change": float(change[i]),
                "mean_wealth": float(wealth[i] / sz),
            }
            for j, sname in enumerate(model.strategy_names):
                row[f"share_{sname}"] = mix[i, j] / sz
            row["dominant_strategy"] = model.strategy_names[int(np.argmax(mix[i]))]
            row["dominant_skills"] = format_ids(dominant[i])
            row["dominant_skill_share"] = float(top_share[i])
            self.rows.append(row)

    # -- results ----------------------------------------------------------
    def influence(self, model: GiveTakeModel) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Influence table and summary for the network as it is now (cached per step)."""
        if self._influence is None or self._influence[0] != model.steps:
            gen = np.random.default_rng(self.rng.integers(2**63))
            table, summary = influence_measures(model, self.influence_sample, gen)
            self._influence = (model.steps, table, summary)
        return self._influence[1], self._influence[2]

    def tables(self, model: GiveTakeModel) -> dict[str, pd.DataFrame]:
        eco, events = self._frames(model)
        return {
            "ecosystems": eco,
            "events": events,
            "ecosystem_lives": life_stories(eco, events),
            "influence": self.influence(model)[0],
        }

    def stats(self, model: GiveTakeModel) -> dict[str, Any]:
        """Run-level counts, and how ecosystems that ended differ from those alive at the end.

        ``fates`` maps each fate (``alive``, ``died``, ``merged``, ``split``) to
        the number of ecosystems and their means of lifetime (weeks until the
        end, or until the last detection), peak size, goal attainment and last
        taker share: the material for *why* some ecosystems end.
        """
        eco, events = self._frames(model)
        lives = life_stories(eco, events)
        final = eco[eco["step"] == self.detections[-1]] if self.detections else eco.iloc[:0]
        lifetime = np.where(lives["fate"] == "alive", lives["lifetime"], lives["ended"] - lives["born"])
        fates = {}
        for fate in ("alive", "died", "merged", "split"):
            sel = (lives["fate"] == fate).to_numpy()
            fates[fate] = {
                "count": int(sel.sum()),
                "mean_lifetime": _mean(lifetime[sel].tolist()),
                "mean_peak_size": _mean(lives.loc[sel, "peak_size"].tolist()),
                "mean_goal_attainment": _mean(lives.loc[sel, "mean_goal_attainment"].tolist()),
                "mean_taker_share_last": _mean(lives.loc[sel, "taker_share_last"].tolist()),
            }
        return {
            "detections": len(self.detections),
            "final": self.count,
            "ever": self.tracker.next_id,
            "largest_share": self.largest,
            "final_goal_attainment": _mean(final["goal_attainment"].tolist()),
            "fates": fates,
        }

    def _frames(self, model: GiveTakeModel) -> tuple[pd.DataFrame, pd.DataFrame]:
        columns = (
            list(self.rows[0])
            if self.rows
            else _ECOSYSTEM_COLUMNS
            + [f"share_{s}" for s in model.strategy_names]
            + ["dominant_strategy", "dominant_skills", "dominant_skill_share"]
        )
        return pd.DataFrame(self.rows, columns=columns), pd.DataFrame(self.events, columns=_EVENT_COLUMNS)

    def summary(self, model: GiveTakeModel) -> dict[str, Any]:
        return {
            "ecosystem_events": self.tracker.counts(),
            "ecosystem_method": self.method_used,
            "ecosystem_stats": self.stats(model),
            "influence": self.influence(model)[1],
        }


def _mean(values: list[float]) -> float | None:
    """Mean of the values that are numbers, or None (JSON has no NaN)."""
    ok = [float(v) for v in values if v is not None and not math.isnan(v)]
    return sum(ok) / len(ok) if ok else None


_ECOSYSTEM_COLUMNS = [
    "step", "ecosystem", "size", "share", "born", "age", "internal_ties", "density", "mean_trust",
    "mean_strength", "needs", "needs_met", "needs_met_inside", "goal_attainment", "value_created",
    "value_per_member", "wealth_change", "mean_wealth",
]  # fmt: skip


_EVENT_COLUMNS = ["step", "event", "ecosystem", "size", "previous_size", "sources", "targets"]
