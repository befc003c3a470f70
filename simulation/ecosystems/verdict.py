"""The run verdict: flourishing, stable or collapsed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["VERDICTS", "VerdictCriteria", "Verdict", "judge"]

#: the possible run verdicts
VERDICTS = ("flourishing", "stable", "collapsed")


@dataclass(frozen=True)
class VerdictCriteria:
    """The thresholds of :func:`judge` (defaults as in the mechanism's parameters)."""

    window: int = 10
    sustain: int = 20
    value_fraction: float = 0.5
    min_value: float = 0.05
    giant_fraction: float = 0.5
    flourish_fulfilment: float = 0.6
    flourish_value: float = 0.8


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`judge`."""

    verdict: str
    collapse_step: int | None = None
    reason: str | None = None


def _trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of each entry and the ``window - 1`` before it (fewer at the start)."""
    if len(x) == 0:
        return np.zeros(0)
    padded = np.concatenate([np.full(window - 1, np.nan), np.asarray(x, float)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    counts = np.minimum(np.arange(1, len(x) + 1), window)
    return np.nansum(windows, axis=1) / counts


def _first_sustained(flag: np.ndarray, sustain: int) -> int | None:
    """Index at which ``flag`` has been true for ``sustain`` consecutive entries, or None."""
    run = 0
    for i, f in enumerate(flag):
        run = run + 1 if f else 0
        if run >= sustain:
            return i
    return None


def judge(
    steps: np.ndarray,
    value: np.ndarray,
    giant: np.ndarray | None = None,
    needs: np.ndarray | None = None,
    met: np.ndarray | None = None,
    criteria: VerdictCriteria = VerdictCriteria(),
) -> Verdict:
    """Judge a run from its per-step series.

    Parameters
    ----------
    steps : the step numbers
    value : business value created per member in each step
    giant : share of members in the largest connected component (NaN: not measured)
    needs, met : needs that arose and needs that were met, per step
    criteria : the thresholds

    A run has **collapsed** at the first step where, for ``sustain``
    consecutive steps, either the value created per member (mean over the last
    ``window`` steps) stayed below ``value_fraction`` times its peak so far or
    below ``min_value`` (reason ``"value"``), or the giant component stayed
    below ``giant_fraction`` of the members (reason ``"fragmentation"``).
    Otherwise it is **flourishing** when, at the end, the value created per
    member is at least ``flourish_value`` times its peak, at least
    ``flourish_fulfilment`` of the needs of the last ``window`` steps were met
    and the giant component holds at least ``giant_fraction`` of the members;
    else **stable**.

    Examples
    --------
    >>> steps = np.arange(1, 61)
    >>> judge(steps, np.r_[np.ones(30), np.zeros(30)])  # value stops: collapse after 20 low steps
    Verdict(verdict='collapsed', collapse_step=55, reason='value')
    """
    steps = np.asarray(steps)
    value = np.asarray(value, float)
    if len(steps) == 0:
        return Verdict("stable")
    smooth = _trailing_mean(value, criteria.window)
    peak = np.maximum.accumulate(smooth)
    stalled = (smooth < criteria.value_fraction * peak) | (smooth < criteria.min_value)
    found: list[tuple[int, str]] = []
    i = _first_sustained(stalled, criteria.sustain)
    if i is not None:
        found.append((i, "value"))
    g = None
    if giant is not None:
        g = np.asarray(giant, float)
        i = _first_sustained(g < criteria.giant_fraction, criteria.sustain)  # NaN compares False
        if i is not None:
            found.append((i, "fragmentation"))
    if found:
        i, reason = min(found)
        return Verdict("collapsed", int(steps[i]), reason)
    ok = smooth[-1] >= criteria.flourish_value * peak[-1]
    if needs is not None and met is not None:
        w = slice(max(len(steps) - criteria.window, 0), None)
        total = float(np.sum(np.asarray(needs, float)[w]))
        ok &= total > 0 and float(np.sum(np.asarray(met, float)[w])) / total >= criteria.flourish_fulfilment
    if g is not None:
        known = g[~np.isnan(g)]
        ok &= len(known) == 0 or known[-1] >= criteria.giant_fraction
    return Verdict("flourishing" if ok else "stable")
