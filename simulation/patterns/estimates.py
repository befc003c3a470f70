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
    level on) the data place the crossing somewhere between those two levels
    and say no more: the estimate has no single value (NaN), its interval is
    the gap between the levels and ``separated`` is set.  Such a pattern passes
    when the whole gap lies in the accepted range.

Examples
--------
>>> est = mean_ci([1.0, 2.0, 3.0])
>>> round(est.value, 3), round(est.low, 3), round(est.high, 3), est.n
(2.0, -0.484, 4.484, 3)
>>> x = [0.0] * 20 + [0.5] * 20 + [1.0] * 20
>>> y = [0] * 20 + [0] * 5 + [1] * 15 + [1] * 20
>>> est = tipping_point(x, y, draws=200, seed=1)
>>> est.separated, est.low, est.high  # 15 of 20 at 0.5: more likely than not already there
(True, 0.0, 0.5)
>>> y = [0] * 20 + [1] * 2 + [0] * 18 + [1] * 12 + [0] * 8 + [1] * 20
>>> est = tipping_point([0.0] * 20 + [0.25] * 20 + [0.5] * 20 + [1.0] * 20, y, draws=200, seed=1)
>>> 0.25 < est.value < 1.0 and est.low < est.value < est.high
True
"""

from __future__ import annotations

import numpy as np

from ..stats import MAX_SLOPE, Estimate, logistic_crossing, tipping_point
from ..stats import mean_ci as stats_mean_ci

__all__ = ["Estimate", "mean_ci", "logistic_crossing", "tipping_point", "AGGREGATES", "MAX_SLOPE"]


def mean_ci(values, confidence: float = 0.95) -> Estimate:
    """Mean of the finite values with a Student-t interval (:func:`simulation.stats.mean_ci`);
    NaN values are dropped and counted."""
    v = np.asarray(values, float)
    dropped = int((~np.isfinite(v)).sum())
    m, lo, hi, n = stats_mean_ci(v, confidence)
    note = "no run gave a value" if n == 0 else ("one run: no interval" if n == 1 else "")
    return Estimate(m, lo, hi, n, dropped, note)


#: how a pattern combines its runs: name -> what it needs to know
AGGREGATES = ("mean", "tipping_point")
