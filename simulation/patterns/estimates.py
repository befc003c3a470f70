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
    resamples runs within each level (fitted by maximum likelihood on a grid of
    crossings, in steps of 1/400 of the range of levels, and slopes).  When the outcomes separate perfectly
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

from dataclasses import dataclass

import numpy as np

from ..stats import mean_ci as stats_mean_ci

__all__ = ["Estimate", "mean_ci", "logistic_crossing", "tipping_point", "AGGREGATES", "MAX_SLOPE"]

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


def _grids(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = float(x.min()), float(x.max())
    span = hi - lo if hi > lo else 1.0
    crossings = np.linspace(lo - span / 2, hi + span / 2, 801)  # steps of 1/400 of the range
    slopes = np.geomspace(0.5 / span, MAX_SLOPE, 60)
    return crossings, slopes


def _grid_mle(levels: np.ndarray, k: np.ndarray, n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Crossing of the maximum-likelihood logistic curve for each row of successes ``k`` (S x L)."""
    crossings, slopes = _grids(x)
    z = slopes[:, None, None] * (levels[None, None, :] - crossings[None, :, None])  # (B, C, L)
    log_p, log_q = -np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)
    diff = (log_p - log_q).reshape(-1, len(levels))  # (B*C, L)
    base = log_q.reshape(-1, len(levels)) @ n  # (B*C,)
    out = np.empty(len(k))
    for i in range(0, len(k), 64):  # a few rows at a time keeps memory small
        ll = k[i : i + 64] @ diff.T + base
        best = np.argmax(ll, axis=1)
        out[i : i + 64] = crossings[best % len(crossings)]
    return out


def logistic_crossing(x, y) -> float:
    """Level where the maximum-likelihood logistic curve of ``y`` (0/1) on ``x`` crosses 1/2.

    Fitted on a grid: crossings in steps of 1/400 of the range of ``x`` (up to half
    the range beyond either end) and increasing slopes up to ``MAX_SLOPE``.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    levels = np.unique(x)
    k = np.array([y[x == lv].sum() for lv in levels])
    n = np.array([(x == lv).sum() for lv in levels], float)
    return float(_grid_mle(levels, k[None, :], n, x)[0])


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
    n_runs = len(x)
    nan = float("nan")
    if n_runs == 0:
        return Estimate(nan, nan, nan, 0, dropped, "no run gave a value")
    if y.sum() == 0:
        return Estimate(
            nan, nan, nan, n_runs, dropped, f"the outcome never happened (levels up to {x.max():g})"
        )
    if y.sum() == n_runs:
        return Estimate(
            nan, nan, nan, n_runs, dropped, f"the outcome happened at every level (from {x.min():g})"
        )
    if np.corrcoef(x, y)[0, 1] <= 0:
        return Estimate(
            nan, nan, nan, n_runs, dropped, "the outcome does not become more likely with the level"
        )
    lv = np.unique(x)
    k = np.array([y[x == v].sum() for v in lv])
    n = np.array([(x == v).sum() for v in lv], float)
    value = float(_grid_mle(lv, k[None, :], n, x)[0])
    below, above = x[y == 0].max(), x[y == 1].min()
    if below < above:
        # perfectly separated: the data only say that the crossing lies between these levels
        return Estimate(
            value,
            float(below),
            float(above),
            n_runs,
            dropped,
            f"outcomes separate perfectly: the crossing lies between {below:g} and {above:g}",
        )
    # resampling runs within each level = drawing each level's count from its binomial
    gen = np.random.default_rng(seed)
    sims = _grid_mle(lv, gen.binomial(n.astype(np.int64), k / n, size=(draws, len(lv))).astype(float), n, x)
    lo, hi = np.percentile(sims, [2.5, 97.5])
    note = ""
    if not x.min() <= value <= x.max():
        note = f"the crossing lies outside the levels studied ({x.min():g} to {x.max():g}): extrapolated"
    return Estimate(value, float(lo), float(hi), n_runs, dropped, note)


#: how a pattern combines its runs: name -> what it needs to know
AGGREGATES = ("mean", "tipping_point")
