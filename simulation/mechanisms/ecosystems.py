"""The ecosystems mechanism: detection, tracking and influence during a run."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

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
        self._current: dict[int, int] | None = {}
        self._partition = np.full(0, -1, np.int64)  # every community of the last detection
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
        u, v = index[ties.u[e]], index[ties.v[e]]
        both = (u >= 0) & (v >= 0)
        if not both.all():  # ties of members who are gone
            e, u, v = e[both], u[both], v[both]
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

        sizes = [len(g) for g in groups]
        members = np.concatenate(groups) if groups else np.zeros(0, np.int64)
        which = np.repeat(np.arange(len(groups)), sizes)  # the place in ``groups`` of each of ``members``
        labels = np.full(pop.size, -1, np.int64)
        labels[members] = np.repeat(np.asarray(ids, np.int64), sizes)
        self.labels = labels
        self._current = None  # made from the labels when asked for
        self.count = len(groups)
        self.largest = sizes[0] / n if groups and n else 0.0
        self.detections.append(model.steps)
        if groups:
            place = np.full(pop.size, -1, np.int64)  # slot -> place of its ecosystem in ``groups``
            place[members] = which
            by_node = place[alive]  # the same by node of the detection
            self._record(model, ids, members, which, place, e, by_node[u], by_node[v])
        self._gifts = []
        self._needs[:] = 0
        self._mark[: pop.size] = pop.wealth[: pop.size]
        return ids

    @property
    def current(self) -> dict[int, int]:
        """Member slot -> id of its ecosystem at the last detection (members in none left out)."""
        if self.__dict__.get("_current") is None:
            inside = np.flatnonzero(self.labels >= 0)
            self._current = dict(zip(inside.tolist(), self.labels[inside].tolist()))
        return self._current

    def _record(
        self,
        model: GiveTakeModel,
        ids: list[int],
        members: np.ndarray,
        where: np.ndarray,
        pos: np.ndarray,
        e: np.ndarray,
        pu: np.ndarray,
        pv: np.ndarray,
    ) -> None:
        """One row per ecosystem: ``members`` of the ecosystems, ecosystem by ecosystem, ``where``
        the place of each one's ecosystem in ``ids``, ``pos`` the same by member slot (-1: in
        none); ``e`` the members' ties, ``pu`` and ``pv`` the places of their two ends."""
        pop, ties = model.population, model.ties
        k = len(ids)
        size = np.bincount(where, minlength=k).astype(float)

        # the ties inside an ecosystem counted in its bin, the others in bin ``k`` (each bin's
        # sum adds its ties in the same order as over the inside ties alone)
        gi = np.where((pu == pv) & (pu >= 0), pu, k)
        internal = np.bincount(gi, minlength=k + 1)[:k]
        trust = np.take(ties.trust, e, axis=0)  # both directions: ``.sum(axis=1)``, many times faster
        trust_sum = np.bincount(gi, weights=trust[:, 0] + trust[:, 1], minlength=k + 1)[:k]
        strength_sum = np.bincount(gi, weights=ties.strength[e], minlength=k + 1)[:k]

        needs = np.bincount(where, weights=self._needs[members], minlength=k)
        if self._gifts:
            giver = np.concatenate([g for g, _ in self._gifts])
            asker = np.concatenate([a for _, a in self._gifts])
        else:
            giver = asker = np.zeros(0, np.int64)
        pa, pg = pos[asker], pos[giver]
        met = np.bincount(pa[pa >= 0], minlength=k)
        met_inside = np.bincount(pa[(pa >= 0) & (pg == pa)], minlength=k)
        b, c = self._gift_value if self._gift_value is not None else (0.0, 0.0)
        given = np.bincount(pg[pg >= 0], minlength=k)
        value = b * met - c * given
        change = np.bincount(where, weights=pop.wealth[members] - self._mark[members], minlength=k)
        wealth = np.bincount(where, weights=pop.wealth[members], minlength=k)

        n_strat = len(model.strategy_names)
        mix = np.bincount(where * n_strat + pop.strategy[members], minlength=k * n_strat).reshape(k, n_strat)

        # members with each skill, ecosystem by ecosystem; the two commonest skills of each,
        # the lower one first when as common
        ns = pop.n_skills
        has = np.flatnonzero(np.take(pop.skills, members, axis=0))  # member * ns + skill
        skilled = np.bincount(where[has // ns] * ns + has % ns, minlength=k * ns).reshape(k, ns)
        common = np.argsort(-skilled, axis=1, kind="stable")[:, :2]
        count = np.take_along_axis(skilled, common, axis=1)
        dominant = [[int(s) for s, n in zip(sk, cn) if n] for sk, cn in zip(common.tolist(), count.tolist())]
        top_share = np.where(count[:, 0] > 0, count[:, 0] / size, 0.0)

        n_alive = pop.n_alive
        step = model.steps
        born = self.tracker.born
        names = model.strategy_names
        shares = [f"share_{name}" for name in names]
        strategy_of = np.argmax(mix, axis=1).tolist()
        columns = zip(
            ids,
            size.tolist(),
            internal.tolist(),
            trust_sum.tolist(),
            strength_sum.tolist(),
            needs.tolist(),
            met.tolist(),
            met_inside.tolist(),
            value.tolist(),
            change.tolist(),
            wealth.tolist(),
            mix.tolist(),
            strategy_of,
            dominant,
            top_share.tolist(),
        )
        # Python numbers: the same arithmetic as on numpy's scalars, in a fraction of the time
        for (
            eid,
            sz,
            inner,
            t_sum,
            s_sum,
            need,
            got,
            got_inside,
            val,
            chg,
            wlt,
            mx,
            strat,
            dom,
            top,
        ) in columns:
            possible = sz * (sz - 1) / 2
            row: dict[str, Any] = {
                "step": step,
                "ecosystem": eid,
                "size": int(sz),
                "share": sz / n_alive if n_alive else 0.0,
                "born": born[eid],
                "age": step - born[eid],
                "internal_ties": inner,
                "density": inner / possible if possible else 0.0,
                "mean_trust": t_sum / (2 * inner) if inner else float("nan"),
                "mean_strength": s_sum / inner if inner else float("nan"),
                "needs": int(need),
                "needs_met": got,
                "needs_met_inside": got_inside,
                "goal_attainment": got_inside / need if need else float("nan"),
                "value_created": val,
                "value_per_member": val / sz,
                "wealth_change": chg,
                "mean_wealth": wlt / sz,
            }
            for name, share in zip(shares, mx):
                row[name] = share / sz
            row["dominant_strategy"] = names[strat]
            row["dominant_skills"] = format_ids(dom)
            row["dominant_skill_share"] = top
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
