"""The statistics every analysis in givetake uses: intervals, tests, effect sizes.

One module, so that a sweep's report (:mod:`simulation.analysis`) and the
validation against published results (:mod:`simulation.validation`) compute
every interval the same way.

Methods
-------
:func:`mean_ci`        mean with a t-based interval (Student 1908)
:func:`mean_ci_arrays` the same interval for many groups at once, from their means, sds and sizes
:func:`wilson`         proportion with a Wilson score interval (Wilson 1927)
:func:`holm`           Holm's step-down adjustment of p-values (Holm 1979)
:func:`cohens_d`       standardised mean difference with the pooled standard deviation (Cohen 1988)
:func:`cliffs_delta`   Cliff's delta, P(a > b) - P(a < b) (Cliff 1993)
:func:`cliffs_magnitude` Romano et al. (2006) words for the size of a Cliff's delta
:func:`cliffs_delta_ci` Cliff's delta with a 95% percentile interval from a nonparametric
                       bootstrap of each sample (Efron 1979; ``scipy.stats.bootstrap``)
:func:`difference_ci`  difference of two means with Welch's 95% interval (Welch 1947)
:func:`one_sample_p`   two-sided one-sample t-test of a mean difference against 0
:func:`tipping_point`  the level where a 0/1 outcome becomes more likely than not: logistic
                       fit, 95% percentile interval from a nonparametric bootstrap (Efron 1979);
                       when the runs separate perfectly between two levels, only that interval

Perfect separation
------------------
When every run below some level went one way and every run from the next
level on the other, the likelihood of a logistic curve keeps rising as the
curve steepens, at any crossing between the two levels: the data place the
crossing between them and say nothing about where.  The same holds when one
level between them has some runs each way (quasi-complete separation): the
crossing lies between the last level where no run went the second way and
the first where every run did (or that mixed level itself, on the side its
Wilson 95% interval puts clearly above or below 1/2).  A fit with a bounded
slope would put it near the midpoint (e.g. 0.376 between levels 0.25 and
0.5), a number that only reflects the grid of levels studied.
:func:`tipping_point` then returns no value (NaN), the two levels as the
interval and ``separated = True``.

No data
-------
Every function answers an empty sample with NaN where a number would claim
knowledge it does not have: :func:`mean_ci` of nothing is ``(nan, nan, nan,
0)``, and one value has a mean but no interval.  The Wilson interval of a
proportion with ``n = 0`` trials is ``(nan, 0.0, 1.0)``: the proportion is
undefined, and the interval is the whole of [0, 1], the limit of the Wilson
interval as ``n`` goes to 0 (no trial rules out any proportion).

Examples
--------
>>> m, lo, hi, n = mean_ci(np.array([1.0, 2.0, 3.0]))
>>> round(m, 3), round(lo, 3), round(hi, 3), n
(2.0, -0.484, 4.484, 3)
>>> [round(x, 3) for x in wilson(3, 10)]
[0.3, 0.108, 0.603]
>>> wilson(0, 0)
(nan, 0.0, 1.0)
>>> cliffs_delta(np.array([3, 4, 5]), np.array([1, 2, 3]))
0.889
>>> holm(np.array([0.01, 0.04, 0.03])).round(3).tolist()
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "mean_ci",
    "mean_ci_arrays",
    "wilson",
    "holm",
    "smallest_mannwhitney_p",
    "cohens_d",
    "cliffs_delta",
    "cliffs_magnitude",
    "cliffs_delta_ci",
    "difference_ci",
    "one_sample_p",
    "Estimate",
    "MixedLevel",
    "logistic_crossing",
    "tipping_point",
    "MAX_SLOPE",
    "NOTE_NEVER",
    "NOTE_ALWAYS",
]


def _z(level: float) -> float:
    """Two-sided standard normal quantile of a confidence ``level``."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: expected a number in (0, 1), got {level!r}")
    return float(stats.norm.ppf(0.5 + level / 2))


def mean_ci(
    values: np.ndarray, level: float = 0.95, bounds: tuple[float, float] | None = None
) -> tuple[float, float, float, int]:
    """Mean and t-based confidence interval of the finite values.

    Parameters
    ----------
    values : array_like
        The sample; NaN and infinite values are left out.
    level : float
        Confidence level of the interval.
    bounds : (low, high), optional
        The values the measure can take (a share: ``(0, 1)``); the interval is cut to
        them.  With few runs a t interval of a share can reach below 0 or above 1,
        values no run could have.

    Returns
    -------
    (mean, low, high, n)
        ``n`` counts the finite values.  With no values everything is NaN; with
        one value the mean is that value and the bounds are NaN.

    Examples
    --------
    >>> mean_ci([2.0, 4.0, np.nan])[0], mean_ci([2.0, 4.0, np.nan])[3]
    (3.0, 2)
    >>> mean_ci([5.0])
    (5.0, nan, nan, 1)
    >>> mean_ci([])
    (nan, nan, nan, 0)
    >>> [round(v, 3) for v in mean_ci([0.8, 0.95], bounds=(0.0, 1.0))[:3]]
    [0.875, 0.0, 1.0]
    """
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(x.mean())
    if n < 2:
        return m, float("nan"), float("nan"), n
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    low, high = m - half, m + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return m, low, high, n


def mean_ci_arrays(
    mean: np.ndarray, sd: np.ndarray, n: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the t-based interval of :func:`mean_ci` for many groups at once.

    ``mean``, ``sd`` (with ``ddof=1``) and ``n`` are aligned arrays, one entry
    per group; groups with fewer than two values get NaN bounds.

    Examples
    --------
    >>> lo, hi = mean_ci_arrays(np.array([2.0, 5.0]), np.array([1.0, 0.0]), np.array([3, 1]))
    >>> lo.round(3).tolist(), hi.round(3).tolist()
    ([-0.484, nan], [4.484, nan])
    """
    mean, sd, n = np.asarray(mean, float), np.asarray(sd, float), np.asarray(n, float)
    tcrit = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.where(n > 1, tcrit * sd / np.sqrt(n), np.nan)
    return mean - half, mean + half


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Proportion ``k / n`` with its Wilson score interval.

    Parameters
    ----------
    k, n : int
        Successes and trials, ``0 <= k <= n``.
    level : float
        Confidence level (0.99 for a 99% interval).

    Returns
    -------
    (p, low, high)
        The bounds stay inside [0, 1] and are exactly 0 (1) when ``k = 0``
        (``k = n``).  With ``n = 0`` the proportion is NaN and the interval is
        all of [0, 1]: ``(nan, 0.0, 1.0)``.

    Examples
    --------
    >>> p, lo, hi = wilson(10, 100)
    >>> p, round(lo, 3), round(hi, 3)
    (0.1, 0.055, 0.174)
    >>> wilson(5, 5)[2]
    1.0
    """
    if n < 0 or not 0 <= k <= max(n, 0):
        raise ValueError(f"wilson: expected 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return float("nan"), 0.0, 1.0
    low, high = _wilson_bounds(k, n, _z(level))
    low = 0.0 if k == 0 else max(0.0, float(low))
    high = 1.0 if k == n else min(1.0, float(high))
    return k / n, low, high


def _wilson_bounds(k, n, z: float):
    """The Wilson score interval's raw bounds ``centre -/+ half`` for ``k`` successes in ``n``
    trials (numbers or aligned arrays, ``n > 0``), not yet kept inside [0, 1]."""
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of p-values; NaNs stay NaN and are not counted.

    Examples
    --------
    >>> holm([0.02, np.nan, 0.5]).tolist()
    [0.04, nan, 0.5]
    """
    p = np.asarray(p, float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def smallest_mannwhitney_p(n_a: int, n_b: int) -> float:
    """The smallest two-sided p-value the Mann-Whitney test (scipy's, as
    :func:`simulation.analysis.pairwise` calls it) can give two samples of ``n_a`` and
    ``n_b`` values, neither of them all equal: that of two samples that do not overlap,
    without ties (the exact test) or with as many ties as possible within each sample (the
    normal approximation, whose tie correction then gives its smallest p-value).  Below
    about 4 runs a side no difference can reach p < 0.05, however large.

    Examples
    --------
    >>> round(smallest_mannwhitney_p(3, 3), 3), round(smallest_mannwhitney_p(6, 6), 4)
    (0.072, 0.0022)
    """
    if n_a < 2 or n_b < 2:
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        apart = stats.mannwhitneyu(np.arange(n_a), np.arange(n_a, n_a + n_b)).pvalue
        tied = stats.mannwhitneyu([0] * (n_a - 1) + [1], [2] * (n_b - 1) + [3]).pvalue
    return float(min(apart, tied))


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised mean difference ``(mean(a) - mean(b)) / pooled sd``.

    NaN when either sample has fewer than two values; with no spread at all it
    is 0 for equal means and plus or minus infinity otherwise.

    Examples
    --------
    >>> cohens_d([1.0, 2.0, 3.0], [0.0, 1.0, 2.0])
    1.0
    >>> cohens_d([1.0], [0.0, 1.0])
    nan
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return float("nan")
    pooled = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    if pooled == 0:
        return 0.0 if a.mean() == b.mean() else float(np.sign(a.mean() - b.mean()) * np.inf)
    return float((a.mean() - b.mean()) / pooled)


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """``P(a > b) - P(a < b)`` over all pairs, in [-1, 1], rounded to 3 decimals.

    NaN when either sample is empty.

    Examples
    --------
    >>> cliffs_delta([1, 2], [3, 4]), cliffs_delta([1, 2], [1, 2])
    (-1.0, 0.0)
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    bs = np.sort(b)
    greater = np.searchsorted(bs, a, side="left").sum()
    less = (len(bs) - np.searchsorted(bs, a, side="right")).sum()
    return round(float((greater - less) / (len(a) * len(b))), 3)


def cliffs_magnitude(delta: float) -> str:
    """Romano et al. (2006) thresholds for ``|delta|``: negligible, small, medium, large.

    Examples
    --------
    >>> [cliffs_magnitude(d) for d in (0.1, -0.2, 0.4, 0.9, np.nan)]
    ['negligible', 'small', 'medium', 'large', '']
    """
    d = abs(delta)
    if not np.isfinite(d):
        return ""
    return "negligible" if d < 0.147 else "small" if d < 0.33 else "medium" if d < 0.474 else "large"


def _cliffs_delta_vectorised(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    a, b = np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)
    return np.sign(a[..., :, None] - b[..., None, :]).mean(axis=(-2, -1))


def cliffs_delta_ci(
    a: np.ndarray, b: np.ndarray, level: float = 0.95, draws: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of Cliff's delta from a nonparametric bootstrap.

    Each sample is resampled with replacement on its own (``scipy.stats.bootstrap``,
    ``method="percentile"``); same ``seed``, same interval.  NaN bounds when either
    sample has fewer than two finite values.  When the samples do not overlap at all
    every resample gives the same delta, and the interval is that single value.

    Examples
    --------
    >>> lo, hi = cliffs_delta_ci([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 3.0, 4.0, 5.0, 6.0], seed=1)
    >>> bool(lo < cliffs_delta([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 3.0, 4.0, 5.0, 6.0]) < hi)
    True
    >>> cliffs_delta_ci([5.0, 6.0], [1.0, 2.0])
    (1.0, 1.0)
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return float("nan"), float("nan")
    if a.min() > b.max() or a.max() < b.min():  # no overlap: every resample agrees
        d = 1.0 if a.min() > b.max() else -1.0
        return d, d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a degenerate resample distribution is reported as it is
        res = stats.bootstrap(
            (a, b),
            _cliffs_delta_vectorised,
            vectorized=True,
            paired=False,
            n_resamples=draws,
            batch=max(1, 4_000_000 // (len(a) * len(b))),
            confidence_level=level,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def difference_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Welch's interval for ``mean(a) - mean(b)`` (unequal variances) over the finite values.

    NaN bounds when either sample has fewer than two values; when neither varies the
    difference is known exactly and the interval is that value.

    Examples
    --------
    >>> [round(x, 3) for x in difference_ci([1.0, 2.0, 3.0], [0.0, 1.0, 2.0])]
    [-1.267, 3.267]
    >>> difference_ci([2.0, 2.0], [1.0, 1.0])
    (1.0, 1.0)
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return float("nan"), float("nan")
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        d = float(a[0] - b[0])
        return d, d
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(level)
    return float(ci.low), float(ci.high)


def one_sample_p(diff: np.ndarray) -> float:
    """Two-sided one-sample t-test of ``mean(diff) = 0`` over the finite values.

    NaN with fewer than two values; a constant difference is certain (p = 1
    when it is 0, else p = 0) rather than undefined.

    Examples
    --------
    >>> one_sample_p([0.5, 0.5, 0.5]), one_sample_p([0.0, 0.0])
    (0.0, 1.0)
    >>> round(one_sample_p([1.0, -1.0, 0.5, -0.5]), 3)
    1.0
    """
    d = np.asarray(diff, float)
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return float("nan")
    if np.ptp(d) == 0:
        return 1.0 if d[0] == 0 else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_1samp(d, 0.0).pvalue)


# -- tipping points (logistic fit, bootstrap interval) ------------------------------

#: bound on the logistic slope (per unit of the level), so that separated data still give a crossing
MAX_SLOPE = 200.0

#: how the note of a :func:`tipping_point` without a value begins when no run had the outcome
NOTE_NEVER = "the outcome never happened"
#: ... and when every run had it
NOTE_ALWAYS = "the outcome happened at every level"


@dataclass(frozen=True)
class MixedLevel:
    """The one level of mixed outcomes of a separated :func:`tipping_point`: the level,
    the runs there that had the outcome, and the runs there."""

    level: float
    outcomes: int
    runs: int


@dataclass
class Estimate:
    """A reproduced value with its 95% interval, from ``n`` runs (``dropped`` gave no number).

    ``separated``: the runs only place the value between ``low`` and ``high`` (two
    adjacent levels that separate the outcomes perfectly); ``value`` is then NaN.
    ``mixed``: for a separated value, the level between them where the runs went both
    ways, with its counts (:class:`MixedLevel`); None when there is none.  The note
    says the same in words.
    """

    value: float
    low: float
    high: float
    n: int
    dropped: int = 0
    note: str = ""
    separated: bool = False
    mixed: MixedLevel | None = None


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
    levels, k, n = _counts(x, np.asarray(y, float))
    return float(_grid_mle(levels, k[None, :], n, x)[0])


def _counts(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct levels of ``x`` (sorted), the sum of ``y`` (outcomes) and the runs at each."""
    levels, at = np.unique(x, return_inverse=True)
    k = np.bincount(at, weights=y, minlength=len(levels))
    n = np.bincount(at, minlength=len(levels)).astype(float)
    return levels, k, n


def _step(levels: np.ndarray, k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of counts ``k`` (S x L) that rise as a step: no outcome at the first levels,
    the outcome in every run at the last ones, and at most one level between them.

    For such rows the likelihood keeps rising as the logistic curve steepens, so no
    curve fits best and the crossing is only known to lie between the last level
    without the outcome and the first with it in every run.  When a level between
    them has mixed outcomes whose Wilson 95% interval lies wholly above (below) 1/2,
    the crossing lies below (above) that level, which then bounds it.  Returns
    ``(step, below, above)`` with those two levels (NaN for rows that are not steps).
    """
    L = len(levels)
    none = np.cumprod(k == 0, axis=1).sum(axis=1)  # leading levels without the outcome
    every = np.cumprod((k == n)[:, ::-1], axis=1).sum(axis=1)  # trailing levels with it in every run
    step = (none >= 1) & (every >= 1) & (none + every >= L - 1) & (none < L) & (every < L)
    below = np.where(step, levels[np.clip(none - 1, 0, L - 1)], np.nan)
    above = np.where(step, levels[np.clip(L - every, 0, L - 1)], np.nan)
    mixed = step & (none + every == L - 1)
    if mixed.any():
        at = np.clip(none, 0, L - 1)  # the mixed level's index
        km, nm = np.take_along_axis(k, at[:, None], axis=1)[:, 0], n[at]
        low, high = _wilson_bounds(km, nm, _z(0.95))
        above = np.where(mixed & (low > 0.5), levels[at], above)
        below = np.where(mixed & (high < 0.5), levels[at], below)
    return step, below, above


def tipping_point(levels, outcomes, draws: int = 1000, seed: int = 0) -> Estimate:
    """The level where the outcome becomes more likely than not (logistic fit, bootstrap 95% interval).

    NaN (with a note) when the outcome never happens, always happens, or does
    not become more likely with the level.  When the runs separate perfectly
    between two levels, or separate but for one level between them, the value
    is NaN too, the interval is those two levels and ``separated`` is set (see
    *Perfect separation* above); a bootstrap resample that separates counts
    with the lower level for the interval's lower bound and the upper level for
    its upper bound.

    Examples
    --------
    >>> est = tipping_point([0, 0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75], [0, 0, 0, 0, 1, 1, 1, 1])
    >>> est.value, est.low, est.high, est.separated
    (nan, 0.25, 0.5, True)
    >>> est = tipping_point([0, 0, 0.4, 0.4, 0.4, 0.4, 0.8, 0.8], [0, 0, 1, 0, 0, 0, 1, 1])
    >>> est.low, est.high, est.note.split(":")[0]
    (0.0, 0.8, 'outcomes separate except at 0.4 (1 of 4)')
    >>> est.mixed
    MixedLevel(level=0.4, outcomes=1, runs=4)
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
        return Estimate(nan, nan, nan, n_runs, dropped, f"{NOTE_NEVER} (levels up to {x.max():g})")
    if y.sum() == n_runs:
        return Estimate(nan, nan, nan, n_runs, dropped, f"{NOTE_ALWAYS} (from {x.min():g})")
    if np.corrcoef(x, y)[0, 1] <= 0:
        return Estimate(
            nan, nan, nan, n_runs, dropped, "the outcome does not become more likely with the level"
        )
    lv, k, n = _counts(x, y)
    step, below, above = _step(lv, k[None, :], n)
    if step[0]:
        # (quasi-)separated: the data only say that the crossing lies between these levels
        at = np.flatnonzero((k > 0) & (k < n))
        mixed = MixedLevel(float(lv[at[0]]), int(k[at[0]]), int(n[at[0]])) if len(at) else None
        how = (
            "outcomes separate perfectly"
            if mixed is None
            else f"outcomes separate except at {mixed.level:g} ({mixed.outcomes} of {mixed.runs})"
        )
        return Estimate(
            nan,
            float(below[0]),
            float(above[0]),
            n_runs,
            dropped,
            f"{how}: the crossing lies somewhere between {below[0]:g} and {above[0]:g} "
            "(no logistic curve fits best; the runs tell no more)",
            separated=True,
            mixed=mixed,
        )
    value = float(_grid_mle(lv, k[None, :], n, x)[0])
    # resampling runs within each level = drawing each level's count from its binomial
    gen = np.random.default_rng(seed)
    counts = gen.binomial(n.astype(np.int64), k / n, size=(draws, len(lv))).astype(float)
    sims = _grid_mle(lv, counts, n, x)
    # a resample that separates only places the crossing between two levels: it counts
    # with the lower of them for the lower bound and the upper one for the upper bound
    step, below, above = _step(lv, counts, n)
    lo = np.percentile(np.where(step, below, sims), 2.5)
    hi = np.percentile(np.where(step, above, sims), 97.5)
    note = ""
    if not x.min() <= value <= x.max():
        note = f"the crossing lies outside the levels studied ({x.min():g} to {x.max():g}): extrapolated"
    return Estimate(value, float(lo), float(hi), n_runs, dropped, note)
