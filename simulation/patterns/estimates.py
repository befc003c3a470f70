"""From per-run numbers to one estimate with a confidence interval.

Two ways of combining runs (a pattern's ``aggregate``):

``mean``
    The mean over runs, with a 95% Student-t interval (runs are independent
    replications).
``tipping_point``
    For outcomes that are 0 or 1 (e.g. collapsed or not) at several levels
    of a varied setting (e.g. the taker share): a logistic regression of the
    outcome on the level, and the level where the fitted probability is 1/2,
    with a 95% percentile interval from a nonparametric bootstrap that
    resamples runs within each level.  When the outcomes separate perfectly
    (no run has the outcome below some level, every run has it from the next
    level on) the slope is bounded (``MAX_SLOPE``), which puts the crossing
    between those two levels, and the interval is the gap between them: the
    data say no more than that.

Examples
--------
>>> est = mean_ci([1.0, 2.0, 3.0])
>>> round(est.value, 3), round(est.low, 3), round(est.high, 3), est.n
(2.0, -0.484, 4.484, 3)
>>> x = [0.0] * 20 + [0.5] * 20 + [1.0] * 20
>>> y = [0] * 20 + [0] * 5 + [1] * 15 + [1] * 20
>>> est = tipping_point(x, y, draws=200, seed=1)
>>> 0.3 < est.value < 0.5
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ..stats import mean_ci as stats_mean_ci

__all__ = ["Estimate", "mean_ci", "logistic_fit", "tipping_point", "AGGREGATES", "MAX_SLOPE"]

#: bound on the logistic slope (per unit of the level), so that separated data still give a crossing
MAX_SLOPE = 200.0


@dataclass
class Estimate:
    """A reproduced value with its 95% interval, from ``n`` runs (``dropped`` gave no number)."""

    value: float
    low: float
    high: float
    n: int
    dropped: int = 0
    note: str = ""


def mean_ci(values, confidence: float = 0.95) -> Estimate:
    """Mean of the finite values with a Student-t interval (:func:`simulation.stats.mean_ci`);
    NaN values are dropped and counted."""
    v = np.asarray(values, float)
    dropped = int((~np.isfinite(v)).sum())
    m, lo, hi, n = stats_mean_ci(v, confidence)
    note = "no run gave a value" if n == 0 else ("one run: no interval" if n == 1 else "")
    return Estimate(m, lo, hi, n, dropped, note)


def logistic_fit(x, y) -> tuple[float, float]:
    """Maximum-likelihood intercept and slope of P(y=1) = 1 / (1 + exp(-(a + b x))), |b| <= MAX_SLOPE."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] + theta[1] * x
        # log(1 + e^z) - y z, stable for large |z|
        loss = float(np.sum(np.logaddexp(0.0, z) - y * z))
        p = 1.0 / (1.0 + np.exp(-z))
        g = p - y
        return loss, np.array([g.sum(), (g * x).sum()])

    res = optimize.minimize(
        nll, np.zeros(2), jac=True, method="L-BFGS-B", bounds=[(-1e4, 1e4), (-MAX_SLOPE, MAX_SLOPE)]
    )
    return float(res.x[0]), float(res.x[1])


def _crossing(x: np.ndarray, y: np.ndarray) -> float:
    a, b = logistic_fit(x, y)
    return -a / b if b > 0 else float("nan")


def tipping_point(levels, outcomes, draws: int = 1000, seed: int = 0) -> Estimate:
    """The level where the outcome becomes more likely than not (logistic fit, bootstrap 95% interval).

    NaN (with a note) when the outcome never happens, always happens, or does
    not become more likely with the level.
    """
    x = np.asarray(levels, float)
    y = np.asarray(outcomes, float)
    keep = np.isfinite(y)
    dropped = int((~keep).sum())
    x, y = x[keep], y[keep]
    n = len(x)
    nan = float("nan")
    if n == 0:
        return Estimate(nan, nan, nan, 0, dropped, "no run gave a value")
    if y.sum() == 0:
        return Estimate(nan, nan, nan, n, dropped, f"the outcome never happened (levels up to {x.max():g})")
    if y.sum() == n:
        return Estimate(nan, nan, nan, n, dropped, f"the outcome happened at every level (from {x.min():g})")
    value = _crossing(x, y)
    if not math.isfinite(value):
        return Estimate(nan, nan, nan, n, dropped, "the outcome does not become more likely with the level")
    below, above = x[y == 0].max(), x[y == 1].min()
    if below < above:
        # perfectly separated: the data only say that the crossing lies between these levels
        return Estimate(
            float(value),
            float(below),
            float(above),
            n,
            dropped,
            f"outcomes separate perfectly: the crossing lies between {below:g} and {above:g}",
        )
    gen = np.random.default_rng(seed)
    groups = [np.flatnonzero(x == lv) for lv in np.unique(x)]
    sims = []
    for _ in range(draws):
        idx = np.concatenate([g[gen.integers(0, len(g), len(g))] for g in groups])
        c = _crossing(x[idx], y[idx])
        if math.isfinite(c):
            sims.append(c)
    note = ""
    if len(sims) < draws:
        note = f"{draws - len(sims)} of {draws} bootstrap samples had no crossing"
    lo, hi = np.percentile(sims, [2.5, 97.5]) if sims else (nan, nan)
    return Estimate(float(value), float(lo), float(hi), n, dropped, note)


#: how a pattern combines its runs: name -> what it needs to know
AGGREGATES = ("mean", "tipping_point")
