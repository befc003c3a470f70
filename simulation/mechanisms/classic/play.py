"""Play: every member plays the scenario's 2x2 game with every contact (see :mod:`simulation.games`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ...errors import ScenarioError
from ...games import cooperator_share, payoff_matrix
from ...params import Param
from ..base import Mechanism, mechanism

if TYPE_CHECKING:
    from ...model import GiveTakeModel

__all__ = ["Play"]


# -- play ---------------------------------------------------------------------
@mechanism
class Play(Mechanism):
    """Every member plays the ``[game]`` with every contact; payoffs go to ``wealth``.

    Also sets the initial strategies (``game.init``), adds the per-step metric
    ``cooperators`` (share of members cooperating) and reports whether and when
    one strategy took over (``fixated``, ``winner``, ``fixation_step``).
    """

    name = "play"
    #: the game's work is numpy already; loading numba would cost about 100 MB and save nothing
    compiled_twin = False
    reads = ("game",)
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
