"""Update: members change strategy by a classic rule (imitate the best, Fermi, death-birth, birth-death)."""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

from ...errors import ScenarioError
from ...games import RULES
from ...params import Param
from ..base import Mechanism, mechanism

if TYPE_CHECKING:
    from ...model import GiveTakeModel

__all__ = ["Update"]


# -- update -------------------------------------------------------------------
@mechanism
class Update(Mechanism):
    """Members change strategy by a classic rule: imitate the best, Fermi pairwise comparison,
    death-birth, or birth-death (the Moran process); see :mod:`simulation.games`."""

    name = "update"
    #: the game's work is numpy already; loading numba would cost about 100 MB and save nothing
    compiled_twin = False
    PARAMS = {
        "rule": Param(
            "imitate_best",
            "'imitate_best' (copy the best-scoring contact), 'fermi' (pairwise comparison with "
            "one random contact), 'death_birth' (a member dies; contacts compete for the place in "
            "proportion to fitness), 'birth_death' (the Moran process: a member reproduces in "
            "proportion to fitness into a random contact's place)",
            choices=RULES,
        ),
        "synchronous": Param(
            True,
            "true: everyone updates at once from the same payoffs; false: one generation per "
            "step, as many single updates as members, each seeing the current payoffs",
        ),
        "events": Param(
            0,
            "asynchronous: single updates per step; 0 means one per member (a generation)",
            0,
            None,
        ),
        "include_self": Param(
            True, "imitate_best: a member keeps its strategy when it scores at least as well as every contact"
        ),
        "beta": Param(1.0, "fermi: intensity of selection (0: random copying)", 0.0, 1e6),
        "w": Param(
            1.0,
            "death_birth, birth_death: intensity of selection in the fitness (0: neutral drift)",
            0.0,
            1e6,
        ),
        "fitness": Param(
            "linear",
            "death_birth, birth_death: fitness 'linear' = max(0, 1 - w + w * payoff), "
            "or 'exponential' = exp(w * payoff)",
            choices=("linear", "exponential"),
        ),
    }

    def setup(self, model: GiveTakeModel) -> None:
        self.play = model.mechanism("play")
        names = [m.name for m in model.pipeline]
        if self.play is None or names.index("play") > names.index("update"):
            raise ScenarioError(
                model.config.source, "pipeline", "'update' needs the 'play' mechanism before it"
            )
        if self.rule == "birth_death" and self.synchronous:
            raise ScenarioError(
                model.config.source,
                "mechanisms.update.synchronous",
                "birth_death updates one member at a time: set synchronous = false",
            )
        self._lists_key = None

    def fitness_from(self, payoff: np.ndarray) -> np.ndarray:
        """Fitness from payoff (vectorised)."""
        if self.fitness_kind_exp:
            return np.exp(np.clip(self.w * payoff, -700, 700))
        return np.maximum(0.0, 1.0 - self.w + self.w * payoff)

    @property
    def fitness_kind_exp(self) -> bool:
        return self.fitness == "exponential"

    def step(self, model: GiveTakeModel) -> None:
        if self.play.fixated:
            return
        if self.synchronous:
            self._synchronous(model)
        else:
            self._asynchronous(model)
        self.play.check_fixation(model)

    # -- everyone at once ----------------------------------------------------
    def _synchronous(self, model: GiveTakeModel) -> None:
        play, pop, rng = self.play, model.population, model.rng
        n = pop.size
        view = model.ties.directed(n)
        coop = play.coop  # the strategies the payoffs were computed from
        pay = play.payoff
        table = play.neighbour_table(model) if self.rule == "imitate_best" else None
        has = None if table is not None else (view.start[1:] > view.start[:-1]) & pop.alive[:n]
        if table is not None:
            new = self._imitate_best_table(table, coop, pay)
        elif self.rule == "imitate_best":
            new = self._imitate_best(view, coop, pay, has)
        elif self.rule == "fermi":
            members = np.flatnonzero(has)
            other = view.random_neighbor(members, rng)
            p = 1.0 / (1.0 + np.exp(np.clip(-self.beta * (pay[other] - pay[members]), -700, 700)))
            switch = rng.random(len(members)) < p
            new = coop.copy()
            new[members[switch]] = coop[other[switch]]
        else:  # death_birth, everyone replaced at once by a fitness-weighted contact's offspring
            members = np.flatnonzero(has)
            fit = self.fitness_from(pay)[view.dst]
            cum = np.cumsum(fit)
            lo, hi = view.start[members], view.start[members + 1]
            before = np.where(lo > 0, cum[lo - 1], 0.0)
            total = cum[hi - 1] - before
            target = before + rng.random(len(members)) * total
            pick = np.clip(np.searchsorted(cum, target, side="right"), lo, hi - 1)
            # contacts all of zero fitness: a uniformly random one
            flat = np.flatnonzero(total <= 0)
            if len(flat):
                width = hi[flat] - lo[flat]
                pick[flat] = lo[flat] + (rng.random(len(flat)) * width).astype(np.int64)
            new = coop.copy()
            new[members] = coop[view.dst[pick]]
        pop.strategy[:n] = np.where(new, np.int16(play.c_index), np.int16(play.d_index))

    def _imitate_best_table(self, table: np.ndarray, coop: np.ndarray, pay: np.ndarray) -> np.ndarray:
        """:meth:`_imitate_best` by column-wise gathers over the neighbour table."""
        n = len(coop)
        # column 0: payoff of cooperators (-inf for defectors), column 1 the reverse; one
        # 16-byte gather per contact fetches both (a complex view of the pair)
        both = np.full((n + 1, 2), -np.inf)
        both[:n, 0] = np.where(coop, pay, -np.inf)
        both[:n, 1] = np.where(coop, -np.inf, pay)
        pairs = both.view(np.complex128).ravel()
        best = both[:n].copy() if self.include_self else np.full((n, 2), -np.inf)
        for row in table:
            np.maximum(best, pairs.take(row).view(np.float64).reshape(n, 2), out=best)
        best_c, best_d = best[:, 0], best[:, 1]
        return (best_c > best_d) | ((best_c == best_d) & coop)  # a tie keeps one's own

    def _imitate_best(self, view, coop: np.ndarray, pay: np.ndarray, has: np.ndarray) -> np.ndarray:
        """Best payoff among cooperating and among defecting contacts (and oneself)."""
        n = len(coop)
        vals = pay[view.dst]
        c_dst = coop[view.dst]
        starts = view.start[:-1]
        safe = np.minimum(starts, max(len(vals) - 1, 0))
        if len(vals):
            best_c = np.maximum.reduceat(np.where(c_dst, vals, -np.inf), safe)
            best_d = np.maximum.reduceat(np.where(c_dst, -np.inf, vals), safe)
            best_c[~has] = -np.inf
            best_d[~has] = -np.inf
        else:
            best_c = np.full(n, -np.inf)
            best_d = np.full(n, -np.inf)
        if self.include_self:
            np.maximum(best_c, np.where(coop, pay, -np.inf), out=best_c)
            np.maximum(best_d, np.where(coop, -np.inf, pay), out=best_d)
        # a tie between the strategies keeps one's own
        return np.where(best_c > best_d, True, np.where(best_d > best_c, False, coop))

    # -- one member at a time ------------------------------------------------------
    def _lists(self, model: GiveTakeModel):
        view = model.ties.directed(model.population.size)
        if self._lists_key is not view:
            dst = view.dst.tolist()
            start = view.start.tolist()
            self._nbrs = [dst[start[i] : start[i + 1]] for i in range(len(start) - 1)]
            self._deg = np.diff(view.start).tolist()
            self._lists_key = view
        return self._nbrs, self._deg

    def _asynchronous(self, model: GiveTakeModel) -> None:
        play, pop = self.play, model.population
        nbrs, deg = self._lists(model)
        alive = pop.alive_slots()
        members = alive.tolist()
        coop_arr = play.cooperating(model)
        coop = coop_arr.astype(np.int8).tolist()
        ncoop = play.ncoop.astype(np.int64).tolist()  # play ran earlier this step
        pay = play.payoff.tolist()
        R, S, T, P = play.R, play.S, play.T, play.P
        self_play, averaged = play.self_play, play.averaged
        rule = self.rule
        use_fit = rule in ("death_birth", "birth_death")
        w, beta, expo = self.w, self.beta, self.fitness_kind_exp
        exp = math.exp

        def fit_of(p: float) -> float:
            if expo:
                return exp(min(700.0, w * p))
            f = 1.0 - w + w * p
            return f if f > 0.0 else 0.0

        fit_arr = self.fitness_from(play.payoff) if use_fit else np.zeros(0)
        fit = fit_arr.tolist()
        # an upper bound of every fitness, for rejection sampling (raised when a fitness grows)
        fmax = float(fit_arr.max()) if len(fit_arr) else 0.0
        self_r, self_p = (R, P) if self_play else (0.0, 0.0)

        n_alive = len(members)
        n_coop = int(np.count_nonzero(coop_arr[alive]))
        rand = model.random.random

        def flip(i: int) -> None:
            nonlocal fmax, n_coop
            new = 1 - coop[i]
            coop[i] = new
            n_coop += 1 if new else -1
            d = 1 if new else -1
            for j in nbrs[i]:
                ncoop[j] += d
            for j in nbrs[i] + [i]:
                nc, dg = ncoop[j], deg[j]
                if coop[j]:
                    p = nc * R + (dg - nc) * S + self_r
                else:
                    p = nc * T + (dg - nc) * P + self_p
                if averaged:
                    g = dg + self_play
                    p = p / g if g else 0.0
                pay[j] = p
                if use_fit:
                    f = fit_of(p)
                    fit[j] = f
                    if f > fmax:
                        fmax = f

        for _ in range(self.events or n_alive):
            if n_coop == 0 or n_coop == n_alive:
                break  # absorbed: nothing can change any more
            if rule == "birth_death":
                # reproduce in proportion to fitness: rejection sampling against fmax
                if fmax <= 0.0:
                    parent = members[int(rand() * n_alive)]
                else:
                    while True:
                        parent = members[int(rand() * n_alive)]
                        if rand() * fmax < fit[parent]:
                            break
                nb = nbrs[parent]
                if not nb:
                    continue
                child = nb[int(rand() * len(nb))]
                if coop[child] != coop[parent]:
                    flip(child)
                continue
            i = members[int(rand() * n_alive)]
            nb = nbrs[i]
            if not nb:
                continue
            if rule == "death_birth":
                acc = list(accumulate(map(fit.__getitem__, nb)))
                total = acc[-1]
                if total > 0.0:
                    k = min(bisect_right(acc, rand() * total), len(nb) - 1)
                else:
                    k = int(rand() * len(nb))
                if coop[nb[k]] != coop[i]:
                    flip(i)
            elif rule == "fermi":
                j = nb[int(rand() * len(nb))]
                if coop[j] != coop[i]:
                    x = -beta * (pay[j] - pay[i])
                    p = 0.0 if x > 700 else 1.0 / (1.0 + exp(x))
                    if rand() < p:
                        flip(i)
            else:  # imitate_best
                best = max(map(pay.__getitem__, nb))
                mine = coop[i]
                if self.include_self and pay[i] >= best:
                    continue
                if any(pay[j] == best and coop[j] == mine for j in nb):
                    continue
                flip(i)
        pop.strategy[members] = np.where(np.array(coop, bool)[members], play.c_index, play.d_index)
        play.payoff = np.array(pay)
        play.ncoop = np.array(ncoop, float)
        pop.wealth[: len(play.payoff)] = play.payoff
