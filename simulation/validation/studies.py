"""The validation studies: running the classic games and comparing them with published values.

Each study returns a :class:`StudyResult` of :class:`Check` rows (published
value, reproduced value with its interval, pass or fail);
:mod:`simulation.validation.report` turns them into a table, figures and a page.

Examples
--------
>>> round(moran_exact(1.0, 10), 3), round(moran_exact(2.0, 10), 4)
(0.1, 0.5005)
>>> round(ohtsuki_threshold(100, 4), 3)
4.261
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..stats import mean_ci, wilson

__all__ = [
    "Check",
    "StudyResult",
    "STUDIES",
    "NOWAK_MAY_SHARE",
    "moran_exact",
    "ohtsuki_threshold",
    "nowak_may_study",
    "moran_study",
    "ohtsuki_study",
    "validate",
]

#: 12 ln 2 - 8: Nowak & May's cooperator share in the chaotic regime
NOWAK_MAY_SHARE = 12 * math.log(2) - 8
#: a generous bound on "near zero" for the collapse above b = 2 (documented in the report)
COLLAPSE_BELOW = 0.05
#: tolerance on the share in the chaotic regime (finite lattice, finite time)
SHARE_TOLERANCE = 0.015
#: confidence level of the Moran fixation intervals
MORAN_LEVEL = 0.99


def moran_exact(r: float, n: int) -> float:
    """Fixation probability of one mutant of relative fitness ``r`` among ``n``."""
    if r == 1.0:
        return 1.0 / n
    return (1 - 1 / r) / (1 - r ** (-n))


def ohtsuki_threshold(n: int, k: int) -> float:
    """Finite-population critical b/c for death--birth on a k-regular graph of n."""
    return (n - 2) / (n / k - 2)


@dataclass
class Check:
    """One compared quantity."""

    study: str
    quantity: str
    published: float
    reproduced: float
    low: float
    high: float
    passed: bool
    runs: int = 0
    note: str = ""

    def row(self) -> dict[str, Any]:
        return {
            "study": self.study,
            "quantity": self.quantity,
            "published": self.published,
            "reproduced": self.reproduced,
            "ci_low": self.low,
            "ci_high": self.high,
            "runs": self.runs,
            "pass": self.passed,
        }


@dataclass
class StudyResult:
    name: str
    checks: list[Check]
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    settings: str = ""


# -- workers (module level, so that process pools can pickle them) --------------------


def _nowak_may_run(args: tuple) -> tuple[float, list[float]]:
    """(b, side, steps, average_from, seed) -> (b, cooperator share averaged over each tenth
    of the window): block means, so that a single run has an error estimate too."""
    from ..model import GiveTakeModel
    from ..scenario_files import load_scenario

    b, side, steps, start, seed = args
    scenario = load_scenario("nowak_may", {"game.b": b, "network.width": side, "network.height": side})
    model = GiveTakeModel(scenario, rng=np.random.default_rng([20_1992, seed, int(round(b * 1000))]))
    shares = [model.metrics["cooperators"]] if start == 0 else []
    for _ in range(steps):
        model.step()
        if model.steps >= start:
            shares.append(model.metrics["cooperators"])
    return b, [float(x.mean()) for x in np.array_split(np.asarray(shares), 10)]


def _fixation_batch(args: tuple) -> tuple[Any, int, int]:
    """(key, scenario, seed_key, first, count) -> (key, cooperator fixations, runs)."""
    from ..model import GiveTakeModel

    key, scenario, seed_key, first, count = args
    wins = 0
    for i in range(first, first + count):
        model = GiveTakeModel(scenario, rng=np.random.default_rng([*seed_key, i]))
        while model.running:
            model.step()
        wins += model.mechanism("play").winner == "cooperate"
    return key, wins, count


def _batches(key: Any, scenario: Any, seed_key: list[int], runs: int, size: int) -> Iterable[tuple]:
    for first in range(0, runs, size):
        yield key, scenario, seed_key, first, min(size, runs - first)


def _collect_fixations(execute: Callable, jobs: Iterable[tuple]) -> dict[Any, list[int]]:
    totals: dict[Any, list[int]] = {}
    for _, (key, wins, runs) in execute(_fixation_batch, jobs):
        t = totals.setdefault(key, [0, 0])
        t[0] += wins
        t[1] += runs
    return totals


def _serial(fn, items):
    for item in items:
        yield item, fn(item)


# -- studies -----------------------------------------------------------------------------


def nowak_may_study(quick: bool = False, execute: Callable = _serial) -> StudyResult:
    """Cooperator share against b (Nowak & May 1992)."""
    t0 = time.perf_counter()
    if quick:
        bs = [1.5, 1.9, 2.1]
        side, steps, start, seeds = 100, 200, 100, 1
    else:
        bs = [round(1.1 + 0.05 * i, 2) for i in range(23)]
        side, steps, start, seeds = 200, 999, 500, 2
    jobs = [(b, side, steps, start, s) for b in bs for s in range(seeds)]
    shares: dict[float, list[float]] = {b: [] for b in bs}
    blocks: dict[float, list[float]] = {b: [] for b in bs}
    for _, (b, block_means) in execute(_nowak_may_run, jobs):
        shares[b].append(float(np.mean(block_means)))
        blocks[b].extend(block_means)
    chaotic = [v for b in bs if 1.8 < b < 2 for v in blocks[b]]
    collapse = [v for b in bs if b > 2 for v in blocks[b]]
    checks = []
    mean, lo, hi, _ = mean_ci(chaotic)
    checks.append(
        Check(
            "Nowak & May 1992",
            "cooperator share, 1.8 < b < 2",
            NOWAK_MAY_SHARE,
            mean,
            lo,
            hi,
            abs(mean - NOWAK_MAY_SHARE) <= SHARE_TOLERANCE,
            sum(len(shares[b]) for b in bs if 1.8 < b < 2),
            f"pass: within {SHARE_TOLERANCE} of 12 ln 2 - 8",
        )
    )
    mean, lo, hi, _ = mean_ci(collapse)
    checks.append(
        Check(
            "Nowak & May 1992",
            "cooperator share, b > 2",
            0.0,
            mean,
            lo,
            hi,
            mean < COLLAPSE_BELOW,
            sum(len(shares[b]) for b in bs if b > 2),
            f"pass: below {COLLAPSE_BELOW} (collapse)",
        )
    )
    settings = (
        f"{side}x{side} periodic lattice, Moore neighbourhood plus self, weak PD (R=1, T=b, S=P=0), "
        f"synchronous imitate-best, 10% defectors at random; share averaged over generations "
        f"{start}-{steps}; b = {bs[0]} ... {bs[-1]} ({len(bs)} values), {seeds} seed(s) each"
    )
    return StudyResult("nowak_may", checks, {"b": bs, "shares": shares}, time.perf_counter() - t0, settings)


def _runs_for_gap(p: float, gap: float, low: int, cap: int) -> int:
    """Fewest runs (doubling from ``low``) whose 99% Wilson interval around ``p`` is narrower than ``gap``."""
    n = low
    while n < cap:
        _, lo, hi = wilson(int(round(p * n)), n, MORAN_LEVEL)
        if hi - lo < gap:
            return n
        n *= 2
    return cap


def moran_study(quick: bool = False, execute: Callable = _serial) -> StudyResult:
    """Fixation probability of one mutant against the exact Moran formula."""
    from ..scenario_files import load_scenario

    t0 = time.perf_counter()
    rs = [0.9, 1.0, 1.1, 1.5]
    sizes = [10] if quick else [10, 50, 100]
    low, cap = (200, 400) if quick else (400, 40_000)
    jobs, plan = [], {}
    for n in sizes:
        exact = [moran_exact(r, n) for r in rs]
        for j, r in enumerate(rs):
            gaps = [abs(exact[j] - exact[i]) for i in (j - 1, j + 1) if 0 <= i < len(rs)]
            runs = _runs_for_gap(exact[j], min(gaps), low, cap)
            plan[(n, r)] = runs
            scenario = load_scenario(
                "moran", {"population.size": n, "game.R": r, "game.S": r, "game.T": 1.0, "game.P": 1.0}
            )
            jobs.extend(_batches((n, r), scenario, [1958, n, int(r * 100)], runs, 100))
    totals = _collect_fixations(execute, jobs)
    checks, points = [], []
    for n in sizes:
        for r in rs:
            wins, runs = totals[(n, r)]
            _, lo, hi = wilson(wins, runs, MORAN_LEVEL)
            exact = moran_exact(r, n)
            checks.append(
                Check("Moran", f"fixation, N={n}, r={r}", exact, wins / runs, lo, hi, lo <= exact <= hi, runs)
            )
            points.append((n, r, wins / runs, lo, hi, exact))
    settings = (
        "complete graph (well mixed), birth-death (Moran) updating, fitness r for the mutant and 1 for "
        "residents (payoff matrix R=S=r, T=P=1, averaged payoffs, w=1), one mutant at a random place; "
        "99% Wilson intervals; runs per point chosen so the interval is narrower than the gap to the "
        f"neighbouring values of r (at most {cap})"
    )
    return StudyResult("moran", checks, {"points": points}, time.perf_counter() - t0, settings)


def ohtsuki_study(quick: bool = False, execute: Callable = _serial) -> StudyResult:
    """Fixation probability of one cooperator against b/c under death--birth (Ohtsuki et al. 2006)."""
    from ..scenario_files import load_scenario

    t0 = time.perf_counter()
    n, k, w = 100, 4, 0.01
    if quick:
        ratios, runs = [2.5, 6.5], 1000
    else:
        ratios, runs = [3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0], 10_000
    jobs = []
    for bc in ratios:
        scenario = load_scenario(
            "ohtsuki_death_birth",
            {
                "population.size": n,
                "network.mean_degree": k,
                "game.b": bc,
                "game.c": 1.0,
                "mechanisms.update.w": w,
            },
        )
        jobs.extend(_batches(bc, scenario, [2006, int(bc * 100)], runs, 100))
    totals = _collect_fixations(execute, jobs)
    x = np.array(ratios)
    p = np.array([totals[bc][0] / totals[bc][1] for bc in ratios])
    se = np.sqrt(np.maximum(p * (1 - p), 1.0 / runs) / runs)
    ci = [wilson(totals[bc][0], totals[bc][1])[1:] for bc in ratios]
    cross, lo, hi, fit = _crossing(x, p * n, se * n)
    threshold = ohtsuki_threshold(n, k)
    checks = [
        Check(
            "Ohtsuki et al. 2006",
            f"b/c where N x fixation = 1 (N={n}, k={k})",
            threshold,
            cross,
            lo,
            hi,
            bool(lo <= threshold <= hi),
            runs * len(ratios),
            f"(N-2)/(N/k-2); the large-N rule is b/c > k = {k}",
        )
    ]
    settings = (
        f"random regular graphs (a new one each run), N={n}, k={k}; donation game (c=1), accumulated "
        f"payoffs; asynchronous death-birth, fitness 1 - w + w x payoff, w={w}; one cooperator at a "
        f"random place; {runs} runs per b/c in {ratios}; crossing of a weighted straight-line fit, "
        "95% interval by parametric bootstrap"
    )
    data = {"ratios": ratios, "p": p.tolist(), "ci": ci, "n": n, "k": k, "fit": fit, "runs": runs}
    return StudyResult("ohtsuki", checks, data, time.perf_counter() - t0, settings)


def _crossing(x: np.ndarray, y: np.ndarray, se: np.ndarray, draws: int = 4000) -> tuple:
    """Where a weighted straight-line fit of y on x crosses 1, with a bootstrap 95% interval."""

    def fit(yv: np.ndarray) -> tuple[float, float]:
        wts = 1.0 / se**2
        slope, intercept = np.polyfit(x, yv, 1, w=np.sqrt(wts))
        return float(slope), float(intercept)

    slope, intercept = fit(y)
    cross = (1.0 - intercept) / slope if slope > 0 else float("nan")
    gen = np.random.default_rng(441_502)
    sims = []
    for _ in range(draws):
        s, i = fit(y + gen.normal(0.0, se))
        if s > 0:
            sims.append((1.0 - i) / s)
    lo, hi = np.percentile(sims, [2.5, 97.5]) if sims else (float("nan"), float("nan"))
    return float(cross), float(lo), float(hi), (slope, intercept)


#: the studies by name, in the order :func:`validate` runs them
STUDIES: dict[str, Callable[..., StudyResult]] = {
    "nowak_may": nowak_may_study,
    "moran": moran_study,
    "ohtsuki": ohtsuki_study,
}


# -- the whole validation -----------------------------------------------------------------


def validate(
    quick: bool = False,
    executor: str = "process",
    workers: int | None = None,
    studies: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[StudyResult]:
    """Run the validation studies (default: all of :data:`STUDIES`, in order);
    ``executor`` is one of the sweep executors."""
    from ..executors import make_executor

    studies = list(STUDIES) if studies is None else list(studies)
    unknown = [name for name in studies if name not in STUDIES]
    if unknown:
        raise ValueError(f"unknown validation study {unknown[0]!r} (known: {', '.join(STUDIES)})")
    results = []
    with make_executor(executor, workers=workers) as ex:
        for name in studies:
            if progress:
                progress(f"running {name} ...")
            results.append(STUDIES[name](quick=quick, execute=ex.imap))
    return results
