"""Classic evolutionary games on graphs, run by the same engine as the business scenarios.

Two pipeline mechanisms and two strategies turn :class:`~simulation.model.GiveTakeModel`
into the classic models of evolutionary game theory on graphs:

``play``
    every member plays a 2x2 game (cooperate or defect) with every contact on the tie
    graph; payoffs are summed (``accumulated``) or averaged, optionally including a
    game against oneself.  The payoff is also written into each member's ``wealth``.
``update``
    members change strategy by one of four classic rules (``rule``):

    * ``imitate_best`` -- take the strategy of the best-scoring contact (or keep one's own
      when one scores best oneself, ``include_self``); Nowak & May 1992, *Nature* 359:826.
    * ``fermi`` -- compare with one random contact and copy its strategy with probability
      ``1 / (1 + exp(-beta (payoff_contact - payoff_own)))``; Szabó & Tőke 1998,
      *Phys. Rev. E* 58:69.
    * ``death_birth`` -- a member dies and its contacts compete for the empty place in
      proportion to fitness; Ohtsuki et al. 2006, *Nature* 441:502.
    * ``birth_death`` -- a member is chosen to reproduce in proportion to fitness and its
      offspring replaces a random contact (the Moran process on a graph); Lieberman,
      Hauert & Nowak 2005, *Nature* 433:312.

    Fitness is ``1 - w + w * payoff`` (``fitness = "linear"``, cut at 0) or
    ``exp(w * payoff)``; ``w`` is the intensity of selection.  ``synchronous = true``
    updates everyone at once from the same payoffs; ``false`` runs one *generation*
    per step: as many single updates as there are members, each one seeing the payoffs
    the previous ones left (birth--death is asynchronous only).

The game itself -- payoff matrix, initial condition and stop condition -- is the
top-level scenario table ``[game]`` (:data:`GAME`).  The strategies are ``cooperate``
and ``defect``; the scenario's ``population.mix`` must name both.

Examples
--------
>>> from simulation.model import GiveTakeModel
>>> model = GiveTakeModel({
...     "pipeline": ["play", "update"], "metrics": "light",
...     "population": {"mix": {"cooperate": 0.5, "defect": 0.5}},
...     "network": {"kind": "lattice", "width": 5, "height": 5},
...     "game": {"payoff": "weak_pd", "b": 1.85, "init": "single_defector_centre"},
... }, rng=1)
>>> model.step()
>>> int(25 - round(model.metrics["cooperators"] * 25))  # the defector took its 8 neighbours
9
>>> payoff_matrix({"payoff": "donation", "b": 3.0, "c": 1.0})
(2.0, -1.0, 3.0, 0.0)
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .mechanisms.base import Mechanism, mechanism
from .params import Param
from .scenario import ScenarioError, register_section
from .strategies.base import strategy
from .strategies.builtin import Giver, Taker

if TYPE_CHECKING:
    from .model import GiveTakeModel

__all__ = [
    "GAME",
    "Cooperate",
    "Defect",
    "Play",
    "Update",
    "payoff_matrix",
    "FAMILIES",
    "RULES",
]

#: payoff families ``game.payoff`` accepts; each gives ``(R, S, T, P)``
FAMILIES = ("matrix", "weak_pd", "donation", "snowdrift", "stag_hunt")
#: update rules ``mechanisms.update.rule`` accepts
RULES = ("imitate_best", "fermi", "death_birth", "birth_death")

GAME: dict[str, Param] = {
    "payoff": Param(
        "weak_pd",
        "the 2x2 game. 'matrix': R, S, T, P as given; 'weak_pd': Nowak & May's weak prisoner's "
        "dilemma R=1, T=b, S=P=0; 'donation': a cooperator pays c for the other to get b "
        "(R=b-c, S=-c, T=b, P=0); 'snowdrift': R=b-c/2, S=b-c, T=b, P=0; 'stag_hunt': the stag "
        "(b) needs both, a hare (c) is safe alone (R=b, S=0, T=c, P=c)",
        choices=FAMILIES,
    ),
    "R": Param(3.0, "payoff 'matrix': reward for mutual cooperation", None, None),
    "S": Param(0.0, "payoff 'matrix': sucker's payoff (I cooperate, the other defects)", None, None),
    "T": Param(5.0, "payoff 'matrix': temptation (I defect, the other cooperates)", None, None),
    "P": Param(1.0, "payoff 'matrix': punishment for mutual defection", None, None),
    "b": Param(
        1.85,
        "benefit: the temptation in 'weak_pd', the gift in 'donation' and 'snowdrift', "
        "the stag in 'stag_hunt'",
        None,
        None,
    ),
    "c": Param(1.0, "cost of cooperating ('donation', 'snowdrift'); the hare in 'stag_hunt'", None, None),
    "payoffs": Param(
        "accumulated",
        "'accumulated': a member's payoff is the sum over its games; 'averaged': the mean",
        choices=("accumulated", "averaged"),
    ),
    "self_interaction": Param(False, "each member also plays one game against itself (Nowak & May)"),
    "init": Param(
        "random",
        "initial strategies: 'random' (a share 'cooperators' of members, placed at random), "
        "'single_mutant' (one random member plays 'mutant', everyone else the other strategy), "
        "'single_defector_centre' (one defector in the middle of a lattice of cooperators)",
        choices=("random", "single_mutant", "single_defector_centre"),
    ),
    "cooperators": Param(0.5, "init 'random': share of members who start cooperating", 0.0, 1.0),
    "mutant": Param(
        "cooperate", "init 'single_mutant': the strategy of the one mutant", choices=("cooperate", "defect")
    ),
    "stop": Param(
        "steps",
        "'steps': run the given number of steps; 'fixation': stop as soon as one strategy is left",
        choices=("steps", "fixation"),
    ),
}

register_section("game", GAME)


def payoff_matrix(game: dict[str, Any]) -> tuple[float, float, float, float]:
    """``(R, S, T, P)``: my payoff for (C vs C), (C vs D), (D vs C), (D vs D)."""
    fam, b, c = game["payoff"], float(game["b"]), float(game["c"])
    if fam == "matrix":
        return float(game["R"]), float(game["S"]), float(game["T"]), float(game["P"])
    if fam == "weak_pd":
        return 1.0, 0.0, b, 0.0
    if fam == "donation":
        return b - c, -c, b, 0.0
    if fam == "snowdrift":
        return b - c / 2.0, b - c, b, 0.0
    if fam == "stag_hunt":
        return b, 0.0, c, c
    raise ValueError(f"game.payoff: unknown family {fam!r}")  # pragma: no cover


# -- strategies ---------------------------------------------------------------
@strategy
class Cooperate(Giver):
    """Always cooperates: pays the cost of every game so that the other side gains."""

    name = "cooperate"


@strategy
class Defect(Taker):
    """Always defects: takes what others give and gives nothing."""

    name = "defect"
    asks_factor = 1.0


# -- play ---------------------------------------------------------------------
@mechanism
class Play(Mechanism):
    """Every member plays the ``[game]`` with every contact; payoffs go to ``wealth``.

    Also sets the initial strategies (``game.init``), adds the per-step metric
    ``cooperators`` (share of members cooperating) and reports whether and when
    one strategy took over (``fixated``, ``winner``, ``fixation_step``).
    """

    name = "play"
    PARAMS: dict[str, Param] = {}

    def setup(self, model: GiveTakeModel) -> None:
        game = model.config.data["game"]
        self.game = game
        self.R, self.S, self.T, self.P = payoff_matrix(game)
        self.averaged = game["payoffs"] == "averaged"
        self.self_play = 1 if game["self_interaction"] else 0
        names = model.strategy_names
        mix = model.config.mix
        if (
            "cooperate" not in names
            or "defect" not in names
            or any(share > 0 for s, share in mix.items() if s not in ("cooperate", "defect"))
        ):
            raise ScenarioError(
                model.config.source,
                "population.mix",
                "the classic games need a mix of only 'cooperate' and 'defect' "
                "(e.g. mix = {cooperate = 0.5, defect = 0.5})",
            )
        self.c_index = names.index("cooperate")
        self.d_index = names.index("defect")
        self.fixated = False
        self.winner: str | None = None
        self.fixation_step: int | None = None
        self._adj_view = None
        self._adj: sp.csr_matrix | None = None
        self._table_view = None
        self._degree_view = None
        self._table: np.ndarray | None = None
        self._init_strategies(model)
        n = model.population.size
        self.payoff = np.zeros(n)
        self.coop = self.cooperating(model)
        self.ncoop = np.zeros(n)
        self.degree = np.zeros(n)
        model.extra_metrics["cooperators"] = cooperator_share
        self.check_fixation(model)

    def _init_strategies(self, model: GiveTakeModel) -> None:
        pop, game, rng = model.population, self.game, model.rng
        alive = pop.alive_slots()
        n = len(alive)
        coop = np.zeros(n, bool)
        init = game["init"]
        if init == "random":
            k = int(round(game["cooperators"] * n))
            coop[rng.permutation(n)[:k]] = True
        elif init == "single_mutant":
            coop[:] = game["mutant"] == "defect"
            coop[int(rng.integers(n))] = game["mutant"] == "cooperate"
        else:  # single_defector_centre
            net = model.config.data["network"]
            if net["kind"] != "lattice":
                raise ScenarioError(
                    model.config.source,
                    "game.init",
                    "'single_defector_centre' needs network.kind = 'lattice'",
                )
            coop[:] = True
            coop[(net["height"] // 2) * net["width"] + net["width"] // 2] = False
        pop.strategy[alive] = np.where(coop, self.c_index, self.d_index)

    # -- helpers shared with Update --------------------------------------
    def cooperating(self, model: GiveTakeModel) -> np.ndarray:
        """Boolean array over slots: who plays cooperate now."""
        pop = model.population
        return pop.strategy[: pop.size] == self.c_index

    def adjacency(self, model: GiveTakeModel):
        """The CSR view of the ties and a cached sparse adjacency matrix over slots."""
        n = model.population.size
        view = model.ties.directed(n)
        if view is not self._adj_view:
            self._adj = sp.csr_matrix((np.ones(len(view.dst)), view.dst, view.start), shape=(n, n))
            self._adj_view = view
        return view, self._adj

    def neighbour_table(self, model: GiveTakeModel) -> np.ndarray | None:
        """Contacts as a ``(max_degree, n)`` table (missing entries point at slot ``n``), or
        None when padding would waste too much (hubs).  Column-wise gathers over this
        table are the fast path on lattices and regular graphs."""
        n = model.population.size
        view = model.ties.directed(n)
        if view is not self._table_view:
            self._table_view = view
            self._table = None
            deg = np.diff(view.start)
            k = int(deg.max()) if n else 0
            if k and k * n <= 1.5 * len(view.dst) + n:
                table = np.full((k, n), n, np.int64)
                table[np.arange(len(view.dst)) - view.start[view.src], view.src] = view.dst
                self._table = table
        return self._table

    def payoffs_from(self, coop: np.ndarray, ncoop: np.ndarray, degree: np.ndarray) -> np.ndarray:
        """Payoffs of members given whether they cooperate, cooperating contacts and degree."""
        nd = degree - ncoop
        pay = np.where(coop, ncoop * self.R + nd * self.S, ncoop * self.T + nd * self.P)
        if self.self_play:
            pay += np.where(coop, self.R, self.P)
        if self.averaged:
            games = degree + self.self_play
            pay = np.divide(pay, games, out=np.zeros_like(pay), where=games > 0)
        return pay

    def step(self, model: GiveTakeModel) -> None:
        n = model.population.size
        view = model.ties.directed(n)
        coop = self.cooperating(model)
        self.coop = coop
        if self._degree_view is not view:
            self.degree = np.diff(view.start).astype(float)
            self._degree_view = view
        table = self.neighbour_table(model)
        if table is not None:
            c = np.zeros(n + 1)  # slot n: the padding, never cooperating
            c[:n] = coop
            ncoop = c.take(table[0])
            for row in table[1:]:
                ncoop += c.take(row)
            self.ncoop = ncoop
        else:
            _, adj = self.adjacency(model)
            self.ncoop = adj @ coop.astype(float)
        self.payoff = self.payoffs_from(coop, self.ncoop, self.degree)
        model.population.wealth[: len(self.payoff)] = self.payoff

    def check_fixation(self, model: GiveTakeModel) -> bool:
        """Record fixation (one strategy left); stop the run when ``game.stop = 'fixation'``."""
        if self.fixated:
            return True
        n_coop, n_alive = self.counts(model)
        if n_alive == 0 or 0 < n_coop < n_alive:
            return False
        self.fixated = True
        self.winner = "cooperate" if n_coop else "defect"
        self.fixation_step = int(model.steps)
        if self.game["stop"] == "fixation":
            model.running = False
        return True

    def counts(self, model: GiveTakeModel) -> tuple[int, int]:
        """Living cooperators and living members."""
        pop = model.population
        n = pop.size
        coop = pop.strategy[:n] == self.c_index
        alive = pop.alive[:n]
        if alive.all():  # no one has left: skip the selection
            return int(np.count_nonzero(coop)), n
        return int(np.count_nonzero(coop & alive)), int(np.count_nonzero(alive))

    def summary(self, model: GiveTakeModel) -> dict:
        return {"fixated": self.fixated, "winner": self.winner, "fixation_step": self.fixation_step}


def cooperator_share(model: GiveTakeModel) -> float:
    """Share of living members who play cooperate."""
    n_coop, n_alive = model.mechanism("play").counts(model)
    return n_coop / n_alive if n_alive else 0.0


# -- update -------------------------------------------------------------------
@mechanism
class Update(Mechanism):
    """Members change strategy by a classic rule: imitate the best, Fermi pairwise comparison,
    death-birth, or birth-death (the Moran process); see :mod:`simulation.games`."""

    name = "update"
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
