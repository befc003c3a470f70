"""The run verdict: flourishing, stable, recovered, struggling or collapsed.

The verdict is judged from the run's recorded per-week table (the
``DataCollector`` table of a live model, or a stored ``timeseries``), so the
same function judges a run while it runs and after it was saved.  It reads
these columns of that table (``docs/metrics.md``):

* ``welfare`` — value created net of upkeep and fees (every change of wealth
  goes through ``model.pay``), per member-week;
* ``members`` — the members now against the members at the start (row 0; newcomers
  count, so it can pass 100 %);
* ``gifts`` / ``needs`` — the share of needs met (``fulfilment_rate``, pooled
  over weeks);
* ``left`` (less ``expelled``, when recorded) — turnover: members who failed or
  left of their own accord, per member-year (members a group expels are its choice,
  and count only through the members against the start);
* ``giant_component`` — the share of members in the largest connected group
  (optional: without it, fragmentation is not judged).

Each week the measures over the last ``window`` weeks are checked against the
*stable* bar (:class:`VerdictCriteria`); a week that misses it on any measure
is *failing*.  ``sustain`` failing weeks in a row are a **collapse**, and
``sustain`` passing weeks in a row after a collapse a **recovery**; a run can
collapse and recover more than once.  At the end the last ``tail`` of the run
(default: the last quarter) is judged: a run still in collapse is
**collapsed**; a run that misses the stable bar is **struggling** (whatever
its history); one that recovered from a collapse is **recovered**; otherwise
it is **flourishing** when it clears the flourishing bar and **stable** when
it does not.  So a run that lost most of its members, or created negative net
value over its last quarter, is never flourishing, stable or recovered.
Thresholds and their reasons: ``docs/ecosystems.md``; they are the scenario
table ``[verdict]``.

Examples
--------
>>> import pandas as pd
>>> weeks = 60
>>> ts = pd.DataFrame({"step": range(weeks + 1), "members": 100, "needs": 50, "gifts": 40,
...                    "welfare": 25.0, "left": 0, "giant_component": 1.0})
>>> judge(ts).verdict
'flourishing'
>>> ts.loc[31:, "welfare"] = -5.0  # from week 31 on, the network costs more than it gives
>>> v = judge(ts)
>>> v.verdict, v.collapse_step, v.collapse_reason
('collapsed', 58, 'value')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .params import Param, register_section

if TYPE_CHECKING:
    from .model import GiveTakeModel

__all__ = [
    "VERDICTS",
    "CONDITIONS",
    "REQUIRED_COLUMNS",
    "WEEKS_PER_YEAR",
    "VERDICT",
    "VerdictCriteria",
    "Verdict",
    "health",
    "judge",
    "judgeable",
    "judge_model",
]

#: the possible verdicts, best first
VERDICTS = ("flourishing", "stable", "recovered", "struggling", "collapsed")

#: the measures a week can fail on, in the order they are reported
CONDITIONS = ("members", "value", "fulfilment", "turnover", "fragmentation")

#: the per-week columns the verdict needs (``giant_component`` is optional)
REQUIRED_COLUMNS = ("step", "members", "welfare", "gifts", "needs", "left")

#: a step is a week
WEEKS_PER_YEAR = 52

#: the scenario table ``[verdict]``
VERDICT = {
    "window": Param(10, "weeks over which each week's measures are pooled", 1, None),
    "sustain": Param(20, "weeks a failing (or, after a collapse, passing) state must last to count", 1, None),
    "tail": Param(0.25, "share of the run, at its end, over which the final verdict is judged", 0.01, 1.0),
    "min_retained": Param(
        0.5, "stable bar: members at least this share of the members at the start", 0.0, None
    ),
    "min_value": Param(0.0, "stable bar: net value created per member-week at least this", None, None),
    "min_fulfilment": Param(0.25, "stable bar: share of needs met at least this", 0.0, 1.0),
    "max_turnover": Param(
        1.0,
        "stable bar: leavers per member-year (failures and exits, not expulsions) at most this",
        0.0,
        None,
    ),
    "giant_fraction": Param(
        0.5, "stable bar: largest connected group at least this share of the members", 0.0, 1.0
    ),
    "flourish_retained": Param(
        0.8, "flourishing: members at the end at least this share of the members at the start", 0.0, None
    ),
    "flourish_value": Param(0.1, "flourishing: net value created per member-week at least this", None, None),
    "flourish_fulfilment": Param(0.6, "flourishing: share of needs met at least this", 0.0, 1.0),
    "flourish_turnover": Param(
        0.5,
        "flourishing: leavers per member-year (failures and exits, not expulsions) at most this",
        0.0,
        None,
    ),
}

register_section("verdict", VERDICT)


@dataclass(frozen=True)
class VerdictCriteria:
    """The thresholds of :func:`judge`; the defaults are those of the ``[verdict]`` table."""

    window: int = 10
    sustain: int = 20
    tail: float = 0.25
    min_retained: float = 0.5
    min_value: float = 0.0
    min_fulfilment: float = 0.25
    max_turnover: float = 1.0
    giant_fraction: float = 0.5
    flourish_retained: float = 0.8
    flourish_value: float = 0.1
    flourish_fulfilment: float = 0.6
    flourish_turnover: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            VERDICT[f.name].check(f"verdict.{f.name}", getattr(self, f.name))

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> VerdictCriteria:
        """Criteria from a ``[verdict]`` table (missing keys: the defaults)."""
        settings = settings or {}
        return cls(**{f.name: settings[f.name] for f in fields(cls) if f.name in settings})

    @classmethod
    def from_scenario(cls, scenario: Any) -> VerdictCriteria:
        """Criteria of a :class:`~simulation.scenario.Scenario` (or its ``data`` dict)."""
        data = getattr(scenario, "data", scenario)
        return cls.from_settings(data.get("verdict"))


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`judge`.

    ``collapse_step`` is the week the last collapse was detected (the end of
    its ``sustain`` failing weeks), ``recovery_step`` the week it was over
    (``None`` while it lasts); ``collapses`` counts every collapse of the run
    and ``timeline`` lists them as ``(week, "collapsed" | "recovered",
    measures failing then)``.  ``measures`` are the numbers of the final
    judgement: ``retained`` (members at the end / at the start), and over the
    last ``tail`` of the run ``value`` (net value per member-week),
    ``fulfilment``, ``turnover`` (leavers per member-year, expulsions not counted) and ``giant``
    (mean share in the largest group; NaN when not measured).
    """

    verdict: str
    reason: str
    collapse_step: int | None = None
    recovery_step: int | None = None
    collapse_reason: str | None = None
    collapses: int = 0
    timeline: tuple[tuple[int, str, str], ...] = ()
    measures: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The entries of a run's ``summary.json`` (JSON-ready: NaN becomes ``None``)."""
        return {
            "verdict": self.verdict,
            "verdict_reason": self.reason,
            "collapse_step": self.collapse_step,
            "recovery_step": self.recovery_step,
            "collapse_reason": self.collapse_reason,
            "collapses": self.collapses,
            "verdict_timeline": [{"step": s, "event": e, "failing": f} for s, e, f in self.timeline],
            "verdict_measures": {k: (None if math.isnan(v) else v) for k, v in self.measures.items()},
        }


def judgeable(timeseries: pd.DataFrame) -> bool:
    """Whether the table has the columns the verdict needs (runs with ``metrics = "light"`` do not)."""
    return all(c in timeseries.columns for c in REQUIRED_COLUMNS)


def _prepare(timeseries: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in REQUIRED_COLUMNS if c not in timeseries.columns]
    if missing:
        raise ValueError(
            f"the verdict needs the per-week columns {', '.join(REQUIRED_COLUMNS)}; missing: {', '.join(missing)}"
        )
    ts = timeseries.sort_values("step", kind="stable").reset_index(drop=True)
    if ts["step"].duplicated().any():
        raise ValueError("the timeseries has repeated steps: judge one run at a time")
    return ts


def _pooled(ts: pd.DataFrame, window: int) -> dict[str, np.ndarray]:
    """Each week's pooled sums over the last ``window`` weeks (fewer at the start)."""
    roll = (
        ts[["members", "welfare", "gifts", "needs", "left"]]
        .astype(float)
        .assign(leavers=_leavers(ts))
        .rolling(window, min_periods=1)
        .sum()
    )
    out = {k: roll[k].to_numpy() for k in roll.columns}
    if "giant_component" in ts.columns:
        out["giant"] = ts["giant_component"].astype(float).rolling(window, min_periods=1).mean().to_numpy()
    else:
        out["giant"] = np.full(len(ts), np.nan)
    return out


def _leavers(ts: pd.DataFrame) -> pd.Series:
    """Members who failed or left of their own accord: ``left`` less ``expelled`` (when recorded)."""
    left = ts["left"].astype(float)
    return left - ts["expelled"].astype(float) if "expelled" in ts.columns else left


def _ratio(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """``a / b``, NaN where ``b`` is 0."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _failing(m: dict[str, np.ndarray], c: VerdictCriteria) -> dict[str, np.ndarray]:
    """Per measure, whether it misses the stable bar (an unknown measure never fails).

    Comparisons at a threshold count in the run's favour.
    """
    return {
        # a network with nobody left fails on members, whatever min_retained says
        "members": (m["retained"] < c.min_retained) | (m["retained"] == 0),
        "value": m["value"] < c.min_value,
        "fulfilment": m["fulfilment"] < c.min_fulfilment,
        "turnover": m["turnover"] > c.max_turnover,
        "fragmentation": m["giant"] < c.giant_fraction,
    }


def health(timeseries: pd.DataFrame, criteria: VerdictCriteria = VerdictCriteria()) -> pd.DataFrame:
    """Week by week: the pooled measures and the measures that miss the stable bar.

    One row per week after the start (row 0 of the table is the state before
    the first week): ``step``, ``retained``, ``value``, ``fulfilment``,
    ``turnover``, ``giant``, ``failing`` (the failing measures, comma-joined,
    ``""`` when none) and ``state`` (``"ok"`` or ``"collapsed"``).
    """
    ts = _prepare(timeseries)
    start = float(ts["members"].iloc[0]) if len(ts) else 0.0
    weeks = ts.iloc[1:].reset_index(drop=True)
    p = _pooled(weeks, criteria.window)
    m = {
        "retained": _ratio(weeks["members"].to_numpy(float), start),
        "value": _ratio(p["welfare"], p["members"]),
        "fulfilment": _ratio(p["gifts"], p["needs"]),
        "turnover": _ratio(WEEKS_PER_YEAR * p["leavers"], p["members"]),
        "giant": p["giant"],
    }
    fail = _failing(m, criteria)
    joined = np.full(len(weeks), "", dtype=object)
    for k in CONDITIONS:
        joined = joined + np.where(fail[k], k + ",", "")
    failing = [f[:-1] for f in joined]
    state, collapsed, run = [], False, 0
    for f in failing:
        run = run + 1 if bool(f) != collapsed else 0
        if run >= criteria.sustain:
            collapsed, run = not collapsed, 0
        state.append("collapsed" if collapsed else "ok")
    return pd.DataFrame(
        {"step": weeks["step"].to_numpy(), **m, "failing": failing, "state": state},
        columns=["step", "retained", "value", "fulfilment", "turnover", "giant", "failing", "state"],
    )


def _tail_measures(ts: pd.DataFrame, c: VerdictCriteria) -> dict[str, float]:
    weeks = ts.iloc[1:]
    n = max(1, math.ceil(c.tail * len(weeks)))
    t = weeks.iloc[-n:]
    members = float(t["members"].sum())
    start = float(ts["members"].iloc[0])
    giant = t["giant_component"].astype(float).mean() if "giant_component" in t.columns else float("nan")
    return {
        "retained": float(_ratio(float(ts["members"].iloc[-1]), start)),
        "value": float(_ratio(float(t["welfare"].sum()), members)),
        "fulfilment": float(_ratio(float(t["gifts"].sum()), float(t["needs"].sum()))),
        "turnover": float(_ratio(WEEKS_PER_YEAR * float(_leavers(t).sum()), members)),
        "giant": float(giant),
        "weeks": float(n),
    }


_WORDS = {
    "members": ("members against the start", "{:.0%}", "retained"),
    "value": ("net value a member-week", "{:.3g}", "value"),
    "fulfilment": ("needs met", "{:.0%}", "fulfilment"),
    "turnover": ("leavers a member-year", "{:.2f}", "turnover"),
    "fragmentation": ("in the largest group", "{:.0%}", "giant"),
}


def _bars(c: VerdictCriteria, flourish: bool) -> dict[str, tuple[str, float]]:
    """Each measure's bar: (comparison the measure must pass, threshold)."""
    if flourish:
        return {
            "members": (">=", c.flourish_retained),
            "value": (">=", c.flourish_value),
            "fulfilment": (">=", c.flourish_fulfilment),
            "turnover": ("<=", c.flourish_turnover),
            "fragmentation": (">=", c.giant_fraction),
        }
    return {
        "members": (">=", c.min_retained),
        "value": (">=", c.min_value),
        "fulfilment": (">=", c.min_fulfilment),
        "turnover": ("<=", c.max_turnover),
        "fragmentation": (">=", c.giant_fraction),
    }


def _misses(measures: dict[str, float], c: VerdictCriteria, flourish: bool) -> list[str]:
    """The measures (in :data:`CONDITIONS` order) that miss a bar; an unknown measure never misses."""
    out = []
    for cond, (op, bar) in _bars(c, flourish).items():
        x = measures[_WORDS[cond][2]]
        if math.isnan(x):
            continue
        if (op == ">=" and x < bar) or (op == "<=" and x > bar) or (cond == "members" and x == 0):
            out.append(cond)
    return out


def _describe(measures: dict[str, float], conds: list[str], c: VerdictCriteria, flourish: bool) -> str:
    bars = _bars(c, flourish)
    parts = []
    for cond in conds:
        label, fmt, key = _WORDS[cond]
        op, bar = bars[cond]
        miss = "<" if op == ">=" else ">"
        parts.append(f"{label} {fmt.format(measures[key])} {miss} {fmt.format(bar)}")
    return "; ".join(parts)


def judge(timeseries: pd.DataFrame, criteria: VerdictCriteria = VerdictCriteria()) -> Verdict | None:
    """Judge a run from its per-week table (see the module docstring).

    Parameters
    ----------
    timeseries : the run's per-week metrics: ``model.datacollector.get_model_vars_dataframe()``
        or a stored ``timeseries`` (one run), with row 0 the state at the start
    criteria : the thresholds

    Returns
    -------
    The :class:`Verdict`, or ``None`` when no week has run yet.

    Raises
    ------
    ValueError
        A column the verdict needs is missing (e.g. a run with ``metrics = "light"``).
    """
    ts = _prepare(timeseries)
    if len(ts) < 2:
        return None
    h = health(ts, criteria)
    timeline: list[tuple[int, str, str]] = []
    previous = "ok"
    for step, state, failing in zip(h["step"], h["state"], h["failing"]):
        if state != previous:
            timeline.append((int(step), "collapsed" if state == "collapsed" else "recovered", failing))
            previous = state
    collapses = sum(1 for _, e, _ in timeline if e == "collapsed")
    last_collapse = next(((s, f) for s, e, f in reversed(timeline) if e == "collapsed"), None)
    collapse_step = last_collapse[0] if last_collapse else None
    collapse_reason = last_collapse[1] if last_collapse else None
    recovery_step = timeline[-1][0] if timeline and timeline[-1][1] == "recovered" else None

    m = _tail_measures(ts, criteria)
    weeks = int(m["weeks"])
    span = f"over the last {weeks} week{'s' if weeks != 1 else ''}"
    common = {
        "collapse_step": collapse_step,
        "recovery_step": recovery_step,
        "collapse_reason": collapse_reason,
    }
    common.update(collapses=collapses, timeline=tuple(timeline), measures=m)
    if previous == "collapsed":
        reason = (
            f"collapsed at week {collapse_step} after {criteria.sustain} weeks of failing "
            f"({collapse_reason.replace(',', ', ')}) and not recovered"
        )
        return Verdict("collapsed", reason, **common)
    misses = _misses(m, criteria, flourish=False)
    if misses:
        history = (
            f" (collapsed at week {collapse_step}, recovered at week {recovery_step})" if collapses else ""
        )
        reason = f"below the stable bar {span}: {_describe(m, misses, criteria, False)}{history}"
        return Verdict("struggling", reason, **common)
    short = _misses(m, criteria, flourish=True)
    if collapses:
        now = "flourishing" if not short else "stable"
        reason = f"collapsed at week {collapse_step}, recovered at week {recovery_step}; {now} {span}"
        return Verdict("recovered", reason, **common)
    if short:
        reason = f"not flourishing {span}: {_describe(m, short, criteria, True)}"
        return Verdict("stable", reason, **common)
    reason = (
        f"{span}: net value {m['value']:.3g} a member-week, {m['fulfilment']:.0%} of needs met, "
        f"members {m['retained']:.0%} of the start, {m['turnover']:.2f} leavers a member-year"
    )
    return Verdict("flourishing", reason, **common)


def judge_model(model: GiveTakeModel) -> Verdict | None:
    """The verdict of a live model from the weeks so far (``None``: nothing to judge yet or light metrics)."""
    ts = model.datacollector.get_model_vars_dataframe()
    if not judgeable(ts):
        return None
    return judge(ts, VerdictCriteria.from_scenario(model.config))
