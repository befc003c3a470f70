"""The one statistics module: intervals, adjusted p-values and effect sizes agree with
their definitions, and analysis and validation both compute with it."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from simulation import analysis
from simulation import stats as st
from simulation.validation import studies


def test_mean_ci_is_the_t_interval():
    x = np.random.default_rng(1).normal(5, 2, 12)
    m, lo, hi, n = st.mean_ci(x)
    ref = stats.t.interval(0.95, 11, loc=x.mean(), scale=stats.sem(x))
    assert n == 12 and m == pytest.approx(x.mean())
    assert (lo, hi) == pytest.approx(ref)


def test_wilson_interval_matches_the_score_formula_and_stays_in_0_1():
    p, lo, hi = st.wilson(0, 10)
    assert p == 0 and lo == 0 and hi == pytest.approx(0.2775, abs=1e-4)
    p, lo, hi = st.wilson(10, 10)
    assert lo == pytest.approx(0.7225, abs=1e-4) and hi == 1.0
    # coverage over many binomial samples is close to 95%
    rng = np.random.default_rng(2)
    ks = rng.binomial(40, 0.3, 4000)
    covered = np.mean([lo <= 0.3 <= hi for lo, hi in (st.wilson(int(k), 40)[1:] for k in ks)])
    assert 0.93 < covered < 0.97


def test_holm_matches_the_step_down_definition():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.1, 7)
    adj = st.holm(p)
    order = np.argsort(p)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (len(p) - rank) * p[i])
        assert adj[i] == pytest.approx(min(1.0, running))


def test_effect_sizes_agree_with_their_definitions():
    rng = np.random.default_rng(4)
    a, b = rng.normal(1, 1, 30), rng.normal(0, 1, 25)
    brute = np.mean([np.sign(x - y) for x, y in itertools.product(a, b)])
    assert st.cliffs_delta(a, b) == pytest.approx(brute, abs=1e-3)
    pooled = np.sqrt((29 * a.var(ddof=1) + 24 * b.var(ddof=1)) / 53)
    assert st.cohens_d(a, b) == pytest.approx((a.mean() - b.mean()) / pooled)


def test_wilson_with_no_trials_is_an_undefined_proportion_in_all_of_0_1():
    p, lo, hi = st.wilson(0, 0)
    assert math.isnan(p) and (lo, hi) == (0.0, 1.0)
    # the limit of the interval as the trials shrink
    _, lo1, hi1 = st.wilson(0, 1, level=0.999)
    assert lo1 == 0.0 and hi1 > 0.9


def test_wilson_level_sets_the_normal_quantile():
    """A 99% interval is the score interval with z = 2.5758..., wider than the 95% one."""
    k, n, z = 7, 50, 2.5758293035489004
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert st.wilson(k, n, 0.99)[1:] == pytest.approx((centre - half, centre + half))
    assert st.wilson(k, n, 0.99)[1] < st.wilson(k, n)[1]


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError, match="0 <= k <= n"):
        st.wilson(5, 3)


def test_mean_ci_of_no_values_and_of_one_value():
    assert all(math.isnan(v) for v in st.mean_ci([])[:3]) and st.mean_ci([])[3] == 0
    m, lo, hi, n = st.mean_ci([4.0, np.nan])
    assert (m, n) == (4.0, 1) and math.isnan(lo) and math.isnan(hi)


def test_mean_ci_arrays_agrees_with_mean_ci_group_by_group():
    rng = np.random.default_rng(5)
    groups = [rng.normal(0, 1, k) for k in (2, 5, 30)]
    lo, hi = st.mean_ci_arrays(
        np.array([g.mean() for g in groups]),
        np.array([g.std(ddof=1) for g in groups]),
        np.array([len(g) for g in groups]),
    )
    for g, a, b in zip(groups, lo, hi):
        assert (a, b) == pytest.approx(st.mean_ci(g)[1:3])


def test_one_sample_p_matches_scipy_and_treats_constant_differences_as_certain():
    d = np.random.default_rng(6).normal(0.3, 1, 20)
    assert st.one_sample_p(d) == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue)
    assert st.one_sample_p(np.full(5, 0.2)) == 0.0 and st.one_sample_p(np.zeros(5)) == 1.0
    assert math.isnan(st.one_sample_p([1.0]))


def test_analysis_and_validation_compute_with_the_stats_module():
    """No private copies: the functions the two modules call are the ones in simulation.stats."""
    for name in ("mean_ci", "wilson", "holm", "cohens_d", "cliffs_delta"):
        assert getattr(analysis, name) is getattr(st, name)
    for name in ("mean_ci", "wilson"):
        assert getattr(studies, name) is getattr(st, name)


# -- tipping points when the runs separate -------------------------------------------


def test_perfect_separation_between_two_levels_gives_that_interval_not_a_midpoint():
    """The demo's grid: levels 0, 0.25, 0.5, 0.75, 0.9 with six runs each; no run collapses
    up to 0.25 and every run does from 0.5.  A bounded-slope fit put 0.376 here for every
    such style; the runs only say "between 0.25 and 0.5"."""
    levels = np.repeat([0.0, 0.25, 0.5, 0.75, 0.9], 6)
    est = st.tipping_point(levels, (levels >= 0.5).astype(float), draws=200)
    assert est.separated and math.isnan(est.value)
    assert (est.low, est.high) == (0.25, 0.5)
    assert "between 0.25 and 0.5" in est.note
    # moving the boundary moves the interval with it
    est = st.tipping_point(levels, (levels >= 0.75).astype(float), draws=200)
    assert (est.low, est.high, est.separated) == (0.5, 0.75, True)


def test_separation_but_for_one_level_spans_its_neighbours():
    levels = np.repeat([0.0, 0.2, 0.4, 0.8], 4)
    y = np.zeros(len(levels))
    y[levels == 0.8] = 1
    y[np.flatnonzero(levels == 0.4)[0]] = 1  # one run of four collapses at 0.4
    est = st.tipping_point(levels, y, draws=200)
    assert est.separated and math.isnan(est.value)
    assert (est.low, est.high) == (0.2, 0.8)
    assert "except at 0.4 (1 of 4)" in est.note
    assert est.mixed == st.MixedLevel(0.4, 1, 4)
    # perfect separation has no mixed level
    assert st.tipping_point(levels, (levels >= 0.4).astype(float), draws=50).mixed is None


def test_a_graded_response_still_gets_a_fitted_crossing_inside_its_interval():
    gen = np.random.default_rng(4)
    levels = np.repeat([0.0, 0.2, 0.4, 0.6, 0.8], 20)
    y = (gen.random(len(levels)) < np.clip(levels * 1.5 - 0.1, 0, 1)).astype(float)
    est = st.tipping_point(levels, y, draws=300, seed=2)
    assert not est.separated and est.low < est.value < est.high
    assert 0.25 < est.value < 0.5


def test_a_pattern_with_a_separated_estimate_passes_only_if_the_whole_gap_is_accepted():
    import dataclasses

    from simulation.patterns import load_patterns

    (tipping,) = [p for p in load_patterns(quick=True).patterns if p.name == "tipping_point"]
    est = st.Estimate(float("nan"), 0.25, 0.5, 30, separated=True)
    assert dataclasses.replace(tipping, accept=(0.0, 1.0)).accepts_estimate(est)
    assert not dataclasses.replace(tipping, accept=(0.3, 1.0)).accepts_estimate(est)
    assert dataclasses.replace(tipping, accept=(0.0, 1.0)).accepts_estimate(st.Estimate(0.4, 0.3, 0.5, 30))


# -- effect sizes with intervals ------------------------------------------------------


def test_cliffs_delta_interval_covers_the_true_delta_about_as_often_as_it_says():
    """Two normal samples one sd apart: true delta = 2 Phi(1/sqrt 2) - 1 = 0.5205."""
    true = 2 * stats.norm.cdf(1 / math.sqrt(2)) - 1
    gen = np.random.default_rng(11)
    hits = 0
    for i in range(100):
        a, b = gen.normal(1, 1, 25), gen.normal(0, 1, 25)
        lo, hi = st.cliffs_delta_ci(a, b, draws=1000, seed=i)
        assert lo <= st.cliffs_delta(a, b) <= hi
        hits += lo <= true <= hi
    assert 85 <= hits <= 100  # nominal 95; the percentile bootstrap runs a little narrow at n = 25
    assert st.cliffs_delta_ci(a, b, seed=3) == st.cliffs_delta_ci(a, b, seed=3)


def test_difference_interval_is_welchs_and_covers_the_true_difference():
    gen = np.random.default_rng(12)
    hits = 0
    for _ in range(200):
        a, b = gen.normal(2, 1, 10), gen.normal(1, 3, 15)
        lo, hi = st.difference_ci(a, b)
        hits += lo <= 1.0 <= hi
    assert 180 <= hits <= 200
    assert math.isnan(st.difference_ci([1.0], [2.0, 3.0])[0])
