"""Tie census: a recorder of tie births and deaths (it changes nothing in the model).

Burt (2000, *Social Networks* 22:1; 2002, *Social Networks* 24:333) followed
the ties of bankers from year to year and found that about nine in ten new
*bridging* ties -- ties to people one's other contacts do not know -- were
gone a year later, and that bridges of more experienced people decayed more
slowly.  To compare the model with that, :class:`TieCensus` writes one row per
tie made during the run: when it was made, whether it was a bridge when it
was made, how long each of its two members had been in the network, when
it was gone and whether it went because one of them left the network.

Put it last in the pipeline: it looks at the ties at the end of each week.
A tie made and lost within the same week is not seen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import adjacency
from .base import Mechanism, mechanism

__all__ = ["TieCensus"]

_KEY_BASE = np.int64(1) << 32


def _identity(ties, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ties ``idx`` as (pair key, week made): a pair may be tied, cut and tied again."""
    return ties.u[idx] * _KEY_BASE + ties.v[idx], ties.born[idx]


@mechanism
class TieCensus(Mechanism):
    """Records every tie made after the start: week made, bridge at birth, members' tenure, week lost.

    A new tie is a **bridge** when its two members have no contact in common
    at the end of the week it was made (no third member tied to both), so
    that it joins parts of the network that were not otherwise joined
    (Burt 1992, *Structural Holes*).  A member's **tenure** is the number of
    weeks since it joined.  The run's ``tie_life`` table has the columns
    ``u, v, born, died, exit, bridge, common, tenure_u, tenure_v``; ``died`` is the
    first week at whose end the tie was gone (-1 while it lives), and ``exit``
    says that one of its members had left the network by then (the tie ended
    with the membership, not because the two stopped keeping it up).
    """

    name = "tie_census"
    PARAMS: dict = {}

    def setup(self, model) -> None:
        # ties of the initial network are followed (so that their deaths are not
        # mistaken for anything) but not recorded: they were not made in the run
        live = model.ties.live()
        self._keys, self._born = _identity(model.ties, live)
        self._rows = np.full(len(live), -1, np.int64)
        self._columns: dict[str, list[np.ndarray]] = {
            k: [] for k in ("u", "v", "born", "bridge", "common", "tenure_u", "tenure_v")
        }
        self._died = np.zeros(0, np.int64)
        self._exit = np.zeros(0, bool)
        self._n = 0

    def step(self, model) -> None:
        ties, pop, week = model.ties, model.population, model.steps
        live = ties.live()
        keys, born = _identity(ties, live)
        order = np.argsort(keys, kind="stable")
        sorted_keys, sorted_born = keys[order], born[order]
        # which ties of last week are still there (same pair, same week made)
        pos = np.minimum(np.searchsorted(sorted_keys, self._keys), max(len(sorted_keys) - 1, 0))
        if len(sorted_keys):
            kept = (sorted_keys[pos] == self._keys) & (sorted_born[pos] == self._born)
        else:
            kept = np.zeros(len(self._keys), bool)
        gone = self._rows[~kept]
        recorded = gone >= 0
        self._died[gone[recorded]] = week
        gone_keys = self._keys[~kept][recorded]
        self._exit[gone[recorded]] = ~pop.alive[gone_keys >> 32] | ~pop.alive[gone_keys & (_KEY_BASE - 1)]
        rows = np.full(len(live), -1, np.int64)
        rows[order[pos[kept]]] = self._rows[kept]
        # ties not seen last week were made this week (or earlier this week and kept)
        seen = np.zeros(len(live), bool)
        seen[order[pos[kept]]] = True
        new = np.flatnonzero(~seen)
        if len(new):
            u, v = ties.u[live[new]], ties.v[live[new]]
            adj = adjacency(model)
            common = np.asarray(adj[u].multiply(adj[v]).sum(axis=1)).ravel().astype(np.int64)
            cols = self._columns
            cols["u"].append(u)
            cols["v"].append(v)
            cols["born"].append(ties.born[live[new]])
            cols["common"].append(common)
            cols["bridge"].append(common == 0)
            cols["tenure_u"].append(week - pop.joined[u])
            cols["tenure_v"].append(week - pop.joined[v])
            rows[new] = np.arange(self._n, self._n + len(new))
            self._n += len(new)
            grown = np.full(self._n, -1, np.int64)
            grown[: len(self._died)] = self._died
            self._died = grown
            self._exit = np.concatenate([self._exit, np.zeros(self._n - len(self._exit), bool)])
        self._keys, self._born, self._rows = keys, born, rows

    def table(self) -> pd.DataFrame:
        """One row per tie made during the run (see the class docstring)."""
        cols = {k: (np.concatenate(v) if v else np.zeros(0, np.int64)) for k, v in self._columns.items()}
        df = pd.DataFrame(
            {
                "u": cols["u"].astype(np.int64),
                "v": cols["v"].astype(np.int64),
                "born": cols["born"].astype(np.int64),
                "died": self._died[: self._n],
                "exit": self._exit[: self._n],
                "bridge": cols["bridge"].astype(bool),
                "common": cols["common"].astype(np.int64),
                "tenure_u": cols["tenure_u"].astype(np.int64),
                "tenure_v": cols["tenure_v"].astype(np.int64),
            }
        )
        return df

    def tables(self, model) -> dict:
        return {"tie_life": self.table()}

    def summary(self, model) -> dict:
        df = self.table()
        return {"ties_made": int(len(df)), "bridges_made": int(df["bridge"].sum())}
