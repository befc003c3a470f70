"""Measures: one number per run, computed from the run's recorded tables.

A measure is a function ``fn(run, **params) -> float`` registered with
:func:`measure`.  ``run`` is the dict of tables a run records (the same
tables a sweep stores: ``timeseries``, ``members``, ``summary`` and every
table a mechanism offers, e.g. ``tie_life``).  A measure that needs a table
only a recorder mechanism writes names that mechanism in ``needs``; the
pattern runner adds it to the end of the pipeline.  A measure returns NaN when
the run has nothing to measure (e.g. no bridge was made); such runs are left
out and counted.

Register your own in a module of your own and name it in a pattern file as
``measure = "my_module:my_function"`` (any importable function with this
signature), or with the decorator before running the patterns.

Examples
--------
>>> import pandas as pd
>>> ts = pd.DataFrame({"step": [0, 1, 2], "gifts": [0, 3, 1], "refusals": [0, 1, 3], "members": [10, 10, 10]})
>>> help_rate({"timeseries": ts}, weeks=[1, 2])
0.5
>>> members = pd.DataFrame({"strategy": ["taker"] * 2 + ["giver"] * 18, "wealth": [100, 90] + [1] * 18})
>>> decile_ratio({"members": members}, strategy="taker", decile="top")
10.0
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MEASURES",
    "Measure",
    "measure",
    "get_measure",
    "help_rate",
    "help_rate_change",
    "rate_per_member_year",
    "decile_ratio",
    "collapsed",
    "bridge_survival",
    "bridge_survival_gap",
    "bridges_kept",
    "bridges_kept_vs_embedded",
    "bridges_kept_by_experience",
    "tail_mean",
]

WEEKS_PER_YEAR = 52

Run = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Measure:
    """A registered measure: its function, the recorder mechanisms it needs and a one-line description."""

    name: str
    fn: Callable[..., float]
    needs: tuple[str, ...] = ()
    describe: str = ""
    params: dict[str, Any] = field(default_factory=dict)


#: name -> measure, filled by :func:`measure`
MEASURES: dict[str, Measure] = {}


def measure(name: str | None = None, needs: tuple[str, ...] = ()) -> Callable:
    """Decorator registering a measure under ``name`` (default: the function's name)."""

    def wrap(fn: Callable[..., float]) -> Callable[..., float]:
        key = name or fn.__name__
        doc = (fn.__doc__ or "").strip().splitlines()
        MEASURES[key] = Measure(key, fn, tuple(needs), doc[0] if doc else "")
        return fn

    return wrap


def get_measure(name: str) -> Measure:
    """A registered measure, or ``module:function`` imported on the spot.

    Raises
    ------
    KeyError
        No such measure (the message lists the known ones).
    """
    if name in MEASURES:
        return MEASURES[name]
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            fn = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as err:
            raise KeyError(f"cannot import measure {name!r} ({err})") from None
        return Measure(name, fn, tuple(getattr(fn, "needs", ())), (fn.__doc__ or "").strip())
    raise KeyError(f"unknown measure {name!r} (known: {', '.join(sorted(MEASURES))}, or module:function)")


def _window(ts: pd.DataFrame, weeks: list[int] | None, tail: float | None = None) -> pd.DataFrame:
    """Rows of weeks ``weeks[0]..weeks[1]`` (inclusive; negative counts from the last week),
    or the last ``tail`` share of the run, or every week after the start."""
    steps = ts["step"].to_numpy()
    last = int(steps.max())
    if weeks is not None:
        lo, hi = (w if w >= 0 else last + 1 + w for w in weeks)
        return ts[(steps >= lo) & (steps <= hi)]
    if tail is not None:
        n = max(1, int(round(len(ts) * tail)))
        return ts.iloc[-n:]
    return ts[steps >= 1]


@measure()
def help_rate(run: Run, weeks: list[int] | None = None, tail: float | None = None) -> float:
    """Share of requests answered with help (gifts / (gifts + refusals)) over a window of weeks.

    The analogue of the contribution rate of a public-goods game: of the
    requests members decided on, how many they met.  Requests a willing
    contact could not meet for lack of time count as neither.
    """
    ts = _window(run["timeseries"], weeks, tail)
    gifts, refusals = float(ts["gifts"].sum()), float(ts["refusals"].sum())
    return gifts / (gifts + refusals) if gifts + refusals else float("nan")


@measure()
def rate_per_member_year(
    run: Run,
    column: str = "gifts",
    fallback: str | None = None,
    weeks: list[int] | None = None,
    tail: float | None = None,
) -> float:
    """Events of a per-week column per member-year (column sum / member-weeks x 52) over a window.

    ``fallback`` is used when the run records no ``column`` (e.g. ``referrals``
    before the model passes referrals of its own, every gift counts).
    """
    ts = run["timeseries"]
    if column not in ts.columns:
        if fallback is None or fallback not in ts.columns:
            raise KeyError(
                f"the run records no {column!r} column" + (f" nor {fallback!r}" if fallback else "")
            )
        column = fallback
    ts = _window(ts, weeks, tail)
    member_weeks = float(ts["members"].sum())
    return float(ts[column].sum()) / member_weeks * WEEKS_PER_YEAR if member_weeks else float("nan")


@measure()
def help_rate_change(run: Run, first: list[int] | None = None, tail: float = 0.25) -> float:
    """Help rate over the last ``tail`` share of the run minus over the weeks ``first`` (default 1-5)."""
    return help_rate(run, tail=tail) - help_rate(run, weeks=first or [1, 5])


@measure()
def tail_mean(run: Run, column: str, tail: float = 0.25) -> float:
    """Mean of a per-week column over the last ``tail`` share of the run."""
    return float(_window(run["timeseries"], None, tail)[column].mean())


@measure()
def decile_ratio(run: Run, strategy: str, decile: str = "top", absent: float = float("nan")) -> float:
    """How over-represented a strategy is in the top (or bottom) wealth decile at the end.

    The strategy's share among the richest (poorest) tenth of the members
    still there, divided by its share among all of them: 1 means as often as
    chance, above 1 over-represented.  Members are ranked by wealth, ties by
    their place in the table (the decile has exactly ``ceil(n / 10)`` members).
    ``absent`` (default NaN: nothing to measure) when the strategy has no member left.
    """
    m = run["members"]
    if decile not in ("top", "bottom"):
        raise ValueError(f"decile: expected 'top' or 'bottom', got {decile!r}")
    n = len(m)
    is_s = (m["strategy"] == strategy).to_numpy()
    if n == 0:
        return float("nan")
    if not is_s.any():
        return float(absent)
    k = int(np.ceil(n / 10))
    order = np.argsort(-m["wealth"].to_numpy() if decile == "top" else m["wealth"].to_numpy(), kind="stable")
    return float(is_s[order[:k]].mean() / is_s.mean())


@measure()
def collapsed(run: Run, verdicts: list[str] | None = None) -> float:
    """1 if the run's verdict is a collapse (``verdicts``, default ``["collapsed"]``), else 0."""
    verdict = run["summary"]["verdict"].iloc[0]
    return float(verdict in (verdicts or ["collapsed"]))


def _bridges(
    run: Run, after: int, born_from: int, exits: str = "count", arrivals: bool = True
) -> tuple[pd.DataFrame, pd.Series]:
    if exits not in ("count", "censor"):
        raise ValueError(f"exits: expected 'count' or 'censor', got {exits!r}")
    life = run["tie_life"]
    last = int(run["timeseries"]["step"].max())
    b = life[life["bridge"] & (life["born"] >= born_from) & (life["born"] + after <= last)]
    if not arrivals:
        b = b[(b["tenure_u"] > 0) & (b["tenure_v"] > 0)]
    alive = (b["died"] < 0) | (b["died"] > b["born"] + after)
    if exits == "censor":
        kept = alive | ~b["exit"]
        b, alive = b[kept], alive[kept]
    return b, alive


def _experienced(b: pd.DataFrame, weeks: int) -> pd.Series:
    return (b["tenure_u"] >= weeks) & (b["tenure_v"] >= weeks)


@measure(needs=("tie_census",))
def bridge_survival(
    run: Run,
    after: int = WEEKS_PER_YEAR,
    born_from: int = WEEKS_PER_YEAR,
    who: str = "all",
    experienced_weeks: int = WEEKS_PER_YEAR,
    exits: str = "count",
    arrivals: bool = True,
) -> float:
    """Share of new bridging ties still there ``after`` weeks later.

    Bridges made from week ``born_from`` on (the first year is the network
    settling in) and at least ``after`` weeks before the end.  ``who``:
    ``all``, ``experienced`` (both members in the network at least
    ``experienced_weeks`` when the tie was made) or ``novice`` (the others).
    ``exits``: ``count`` (default) counts a bridge lost because one of its
    members left the network as decayed; ``censor`` leaves such bridges out
    (only relations both members could still have kept are judged).
    ``arrivals``: with ``False``, ties made in the week one of the members
    joined (a newcomer's first contacts, bridges by construction) are left out.
    """
    b, alive = _bridges(run, after, born_from, exits, arrivals)
    if who != "all":
        exp = _experienced(b, experienced_weeks)
        alive = alive[exp if who == "experienced" else ~exp]
    return float(alive.mean()) if len(alive) else float("nan")


@measure(needs=("tie_census",))
def bridge_survival_gap(
    run: Run,
    after: int = WEEKS_PER_YEAR,
    born_from: int = WEEKS_PER_YEAR,
    experienced_weeks: int = WEEKS_PER_YEAR,
    exits: str = "count",
    arrivals: bool = True,
) -> float:
    """Survival of experienced members' bridges minus novices' (see :func:`bridge_survival`).

    Positive when experienced members' bridges last longer.  NaN when a run
    made no bridge of one of the two kinds.
    ``exits``: ``count`` (default) counts a bridge lost because one of its
    members left the network as decayed; ``censor`` leaves such bridges out
    (only relations both members could still have kept are judged).
    ``arrivals``: with ``False``, ties made in the week one of the members
    joined (a newcomer's first contacts, bridges by construction) are left out.
    """
    b, alive = _bridges(run, after, born_from, exits, arrivals)
    return _gap(alive, _experienced(b, experienced_weeks))


def _gap(kept, group) -> float:
    """Share kept in ``group`` minus share kept outside it; NaN when either side is empty."""
    kept, group = np.asarray(kept), np.asarray(group, bool)
    if not group.any() or group.all():
        return float("nan")
    return float(kept[group].mean() - kept[~group].mean())


def _censuses(run: Run, after: int, first: int, exits: str) -> pd.DataFrame:
    """Every tie of every census from week ``first`` on that has a census ``after`` weeks
    later, with ``kept``: whether the same tie is there in that later census.

    ``exits = "censor"`` leaves out ties lost because one of their members had left by then.
    """
    if exits not in ("count", "censor"):
        raise ValueError(f"exits: expected 'count' or 'censor', got {exits!r}")
    ties, members = run["tie_census"], run["member_census"]
    weeks = set(members["week"].tolist())
    pairs = [t for t in sorted(weeks) if t >= first and t + after in weeks]
    if not pairs:
        raise ValueError(
            f"no two censuses {after} weeks apart from week {first} on (censuses at weeks "
            f"{sorted(weeks)}): mechanisms.tie_census.every must divide 'after' and the run be long enough"
        )
    out = []
    for t in pairs:
        now = ties[ties["week"] == t]
        later = ties.loc[ties["week"] == t + after, ["u", "v", "born"]].assign(kept=True)
        now = now.merge(later, on=["u", "v", "born"], how="left")
        now["kept"] = now["kept"].fillna(False).astype(bool)
        if exits == "censor":
            there = members.loc[members["week"] == t + after, "slot"].to_numpy()
            stayed = np.isin(now["u"].to_numpy(), there) & np.isin(now["v"].to_numpy(), there)
            now = now[now["kept"].to_numpy() | stayed]
        out.append(now)
    return pd.concat(out, ignore_index=True)


@measure(needs=("tie_census",))
def bridges_kept(
    run: Run, after: int = WEEKS_PER_YEAR, first: int = WEEKS_PER_YEAR, exits: str = "count"
) -> float:
    """Share of the bridges in a census still there in the census ``after`` weeks later.

    A bridge is a tie whose two members have no contact in common at the census
    (:class:`~simulation.mechanisms.tie_census.TieCensus`); censuses from week
    ``first`` on (the first year is the network settling in), pooled.  Burt (2002,
    *Social Networks* 24:333): nine in ten bridges of one year are gone the next.
    ``exits``: ``count`` (default) counts a bridge lost because one of its members
    left the network as gone; ``censor`` leaves such bridges out.
    """
    c = _censuses(run, after, first, exits)
    kept = c.loc[c["common"] == 0, "kept"]
    return float(kept.mean()) if len(kept) else float("nan")


@measure(needs=("tie_census",))
def bridges_kept_vs_embedded(
    run: Run, after: int = WEEKS_PER_YEAR, first: int = WEEKS_PER_YEAR, exits: str = "count"
) -> float:
    """Share of bridges still there ``after`` weeks later minus that of the other ties (see :func:`bridges_kept`).

    The other ties are embedded: their members have a contact in common at the
    census.  Negative when bridges decay faster, as Burt (2002) found.  NaN when a
    census had no tie of one of the two kinds.
    """
    c = _censuses(run, after, first, exits)
    return _gap(c["kept"], c["common"] == 0)


@measure(needs=("tie_census",))
def bridges_kept_by_experience(
    run: Run,
    after: int = WEEKS_PER_YEAR,
    first: int = WEEKS_PER_YEAR,
    experience_weeks: int = WEEKS_PER_YEAR,
    exits: str = "censor",
) -> float:
    """Bridges kept in the networks of members experienced with bridges minus in the others'.

    Each bridge of a census (see :func:`bridges_kept`) counts once in each of its
    two members' networks.  A member is **experienced with bridges** when it held a
    bridge in the census ``experience_weeks`` before; the comparison is among
    members who were in the network at that earlier census, so that it is not one
    of tenure.  Positive when experienced members' bridges last longer, as Burt
    (2002) found of bankers experienced with bridge relations.  ``exits``:
    ``censor`` (default) leaves out bridges lost because a member left (those who
    leave take their ties with them whatever their experience); ``count`` counts
    them as gone.  NaN when one of the two groups had no bridge.
    """
    c = _censuses(run, after, first, exits)
    ties, members = run["tie_census"], run["member_census"]
    rows = []
    for t, now in c[c["common"] == 0].groupby("week"):
        earlier = t - experience_weeks
        there = members.loc[members["week"] == earlier, "slot"].to_numpy()
        if len(there) == 0:
            continue
        past = ties[(ties["week"] == earlier) & (ties["common"] == 0)]
        held = np.union1d(past["u"].to_numpy(), past["v"].to_numpy())
        ego = np.concatenate([now["u"].to_numpy(), now["v"].to_numpy()])
        kept = np.concatenate([now["kept"].to_numpy(), now["kept"].to_numpy()])
        known = np.isin(ego, there)
        rows.append(pd.DataFrame({"experienced": np.isin(ego[known], held), "kept": kept[known]}))
    if not rows:
        return float("nan")
    d = pd.concat(rows, ignore_index=True)
    return _gap(d["kept"], d["experienced"])
