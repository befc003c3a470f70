"""Tie census: a recorder of tie births and deaths and of the whole network once a year
(it changes nothing in the model).

Burt (2002, *Social Networks* 24:333) followed the networks of the bankers of one
firm over four years: *bridges* -- relations between people not otherwise
connected -- decay faster than other relations, nine in ten bridges of one year
are gone the next, and bridges decay more slowly in the networks of bankers
experienced with bridge relations.  To compare the model with that,
:class:`TieCensus` writes three tables.

``tie_life``, one row per tie made during the run, with the columns ``u, v,
born, died, exit, bridge, common, tenure_u, tenure_v``: when it was made, its
members' contacts in common and whether it was a bridge (none in common) at the
end of that week, how long each member had been in the network (tenure, in
weeks), the first week at whose end it was gone (``died``, -1 while it lives)
and whether one of its members had left the network by then (``exit``: the tie
ended with the membership, not because the two stopped keeping it up).

``tie_census`` and ``member_census``, yearly by default as Burt's data are: at
the start (week 0) and at the end of every ``every``-th week, a row ``week, u,
v, born, common`` for every tie there is, with its members' contacts in common
then, and a row ``week, slot`` for every member.  A tie is the same tie in two
censuses when ``u, v, born`` are the same (a pair may be tied, cut and tied
again); slots are never reused.

Put it last in the pipeline: it looks at the ties at the end of each week.
A tie made and lost within the same week is not seen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import adjacency
from .base import Mechanism, Param, mechanism

__all__ = ["TieCensus"]

_KEY_BASE = np.int64(1) << 32


def _identity(ties, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ties ``idx`` as (pair key, week made): a pair may be tied, cut and tied again."""
    return ties.u[idx] * _KEY_BASE + ties.v[idx], ties.born[idx]


def _common(model, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """How many contacts ``u[k]`` and ``v[k]`` have in common now."""
    adj = adjacency(model)
    return np.asarray(adj[u].multiply(adj[v]).sum(axis=1)).ravel().astype(np.int64)


@mechanism
class TieCensus(Mechanism):
    """Records every tie made after the start (week made, bridge at birth, members' tenure, week
    lost) and takes a census of every tie every ``every`` weeks.

    A tie is a **bridge** when its two members have no contact in common (no
    third member tied to both), so that it joins parts of the network that are
    not otherwise joined (Burt 1992, *Structural Holes*).  The tables are
    described in the module's docstring.
    """

    name = "tie_census"
    PARAMS = {
        "every": Param(
            52, "weeks between censuses of every tie (Burt's data on bankers are yearly)", 1, 100_000
        ),
    }

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
        self._census: list[pd.DataFrame] = []
        self._members: list[pd.DataFrame] = []
        self._take_census(model)

    def _take_census(self, model) -> None:
        """Every tie and every member as they are now."""
        ties, week = model.ties, int(model.steps)
        live = ties.live()
        u, v = ties.u[live].astype(np.int64), ties.v[live].astype(np.int64)
        self._census.append(
            pd.DataFrame(
                {
                    "week": np.full(len(live), week, np.int64),
                    "u": u,
                    "v": v,
                    "born": ties.born[live].astype(np.int64),
                    "common": _common(model, u, v),
                }
            )
        )
        slots = model.population.alive_slots().astype(np.int64)
        self._members.append(pd.DataFrame({"week": np.full(len(slots), week, np.int64), "slot": slots}))

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
            common = _common(model, u, v)
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
        if week % self.every == 0:
            self._take_census(model)

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

    def census(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The censuses: ``(ties, members)`` with the columns of the class docstring."""
        return pd.concat(self._census, ignore_index=True), pd.concat(self._members, ignore_index=True)

    def tables(self, model) -> dict:
        ties, members = self.census()
        return {"tie_life": self.table(), "tie_census": ties, "member_census": members}

    def summary(self, model) -> dict:
        df = self.table()
        return {"ties_made": int(len(df)), "bridges_made": int(df["bridge"].sum())}
