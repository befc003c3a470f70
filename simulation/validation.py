"""Validation against landmark results of evolutionary game theory on graphs.

:func:`validate` runs three studies with the engine's classic games
(:mod:`simulation.games`), using the built-in scenarios under ``scenarios/classic/``,
and compares each with its published value:

* **Nowak & May 1992** (*Nature* 359:826): the weak prisoner's dilemma on a
  periodic lattice, 8 neighbours plus self, synchronous imitate-the-best, 10%
  defectors at random.  The cooperator share averaged over generations 500--999
  fluctuates around 12 ln 2 - 8 = 0.318 for 1.8 < b < 2 and collapses above 2.
* **The Moran process** (Moran 1958): one mutant of constant relative fitness
  ``r`` among ``N - 1`` residents fixes with probability
  ``(1 - 1/r) / (1 - 1/r^N)`` (``1/N`` when ``r = 1``).
* **Ohtsuki, Hauert, Lieberman & Nowak 2006** (*Nature* 441:502): donation game,
  death--birth updating, weak selection (w = 0.01) on random regular graphs of
  degree k: a single cooperator fixes with probability above ``1/N`` once
  ``b/c`` exceeds about ``k``; for finite ``N`` the threshold is
  ``(N - 2) / (N/k - 2)``.

Each study returns :class:`Check` rows (published value, reproduced value with
a confidence interval, pass/fail); :func:`write_report` writes them with
figures to ``docs/validation.md``.  ``givetake validate --quick`` runs a reduced
version in well under a minute.

Intervals come from :mod:`simulation.stats`, as in the sweep reports.

Examples
--------
>>> round(moran_exact(1.0, 10), 3), round(moran_exact(2.0, 10), 4)
(0.1, 0.5005)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .stats import mean_ci, wilson

__all__ = [
    "Check",
    "StudyResult",
    "moran_exact",
    "ohtsuki_threshold",
    "nowak_may_study",
    "moran_study",
    "ohtsuki_study",
    "validate",
    "write_report",
    "format_table",
    "kaleidoscope",
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
    from .model import GiveTakeModel
    from .scenario_files import load_scenario

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
    from .model import GiveTakeModel

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
    from .scenario_files import load_scenario

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
    from .scenario_files import load_scenario

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


# -- the whole validation -----------------------------------------------------------------


def validate(
    quick: bool = False,
    executor: str = "process",
    workers: int | None = None,
    studies: Iterable[str] = ("nowak_may", "moran", "ohtsuki"),
    progress: Callable[[str], None] | None = None,
) -> list[StudyResult]:
    """Run the validation studies; ``executor`` is one of the sweep executors."""
    from .executors import make_executor

    funcs = {"nowak_may": nowak_may_study, "moran": moran_study, "ohtsuki": ohtsuki_study}
    results = []
    with make_executor(executor, workers=workers) as ex:
        for name in studies:
            if progress:
                progress(f"running {name} ...")
            results.append(funcs[name](quick=quick, execute=ex.imap))
    return results


def _fmt(v: float) -> str:
    if v != v:  # nan
        return "n/a"
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.4f}"
    return f"{v:.3g}"


def format_table(results: list[StudyResult]) -> str:
    """A plain-text table of every check (the console output of ``givetake validate``)."""
    rows = [("study", "quantity", "published", "reproduced [interval]", "runs", "result")]
    for res in results:
        for c in res.checks:
            rows.append(
                (
                    c.study,
                    c.quantity,
                    _fmt(c.published),
                    f"{_fmt(c.reproduced)} [{_fmt(c.low)}, {_fmt(c.high)}]",
                    str(c.runs),
                    "pass" if c.passed else "FAIL",
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(wd) for cell, wd in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def _figures(results: list[StudyResult], fig_dir: Path) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for res in results:
        path = fig_dir / f"validation_{res.name}.png"
        fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
        if res.name == "nowak_may":
            bs = res.data["b"]
            means = [np.mean(res.data["shares"][b]) for b in bs]
            ax.axvspan(1.8, 2.0, color="0.9", label="1.8 < b < 2")
            ax.axhline(NOWAK_MAY_SHARE, color="C3", ls="--", lw=1, label="12 ln 2 - 8 = 0.318")
            for b in bs:
                ax.plot([b] * len(res.data["shares"][b]), res.data["shares"][b], ".", color="C0", alpha=0.4)
            ax.plot(bs, means, "o-", color="C0", label="givetake")
            ax.set_xlabel("temptation b")
            ax.set_ylabel("cooperator share (time average)")
            ax.set_title("Nowak & May 1992: spatial prisoner's dilemma")
        elif res.name == "moran":
            pts = res.data["points"]
            for i, n in enumerate(sorted({p[0] for p in pts})):
                sel = [p for p in pts if p[0] == n]
                rs = [p[1] for p in sel]
                est = np.array([p[2] for p in sel])
                err = np.array([[p[2] - p[3] for p in sel], [p[4] - p[2] for p in sel]])
                grid = np.linspace(0.85, 1.55, 141)
                ax.plot(grid, [moran_exact(float(r), n) for r in grid], color=f"C{i}", lw=1)
                ax.errorbar(
                    rs, np.maximum(est, 1e-7), yerr=err, fmt="o", color=f"C{i}", label=f"N = {n}", ms=4
                )
            ax.set_yscale("log")
            ax.set_ylim(1e-7, 1)
            ax.set_xlabel("relative fitness r of the mutant")
            ax.set_ylabel("fixation probability")
            ax.set_title("Moran process: simulation (points, 99% CI) and exact (lines)")
        else:
            d = res.data
            n = d["n"]
            x = np.array(d["ratios"])
            y = np.array(d["p"]) * n
            err = np.array(
                [
                    [y[i] - d["ci"][i][0] * n for i in range(len(x))],
                    [d["ci"][i][1] * n - y[i] for i in range(len(x))],
                ]
            )
            ax.axhline(1.0, color="0.5", lw=1, label="neutral (1/N)")
            ax.axvline(d["k"], color="C2", ls=":", label=f"b/c = k = {d['k']}")
            ax.axvline(ohtsuki_threshold(n, d["k"]), color="C3", ls="--", label="(N-2)/(N/k-2)")
            slope, intercept = d["fit"]
            ax.plot(x, intercept + slope * x, color="C0", lw=1, alpha=0.7)
            ax.errorbar(x, y, yerr=err, fmt="o", color="C0", label="givetake (95% CI)")
            ax.set_xlabel("benefit-to-cost ratio b/c")
            ax.set_ylabel("N x fixation probability of one cooperator")
            ax.set_title(f"Ohtsuki et al. 2006: death-birth, N={n}, k={d['k']}, w=0.01")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
        out[res.name] = path.name
    return out


def kaleidoscope(
    path: str | Path, side: int = 99, b: float = 1.85, steps: tuple[int, ...] = (10, 30, 60, 120)
) -> Path:
    """Draw Nowak & May's kaleidoscope: one defector in the centre of a lattice of cooperators.

    Colours follow Nowak & May (1992): blue a cooperator that was a cooperator, red a
    defector that was a defector, yellow a new defector, green a new cooperator.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    from .model import GiveTakeModel
    from .scenario_files import load_scenario

    scenario = load_scenario(
        "nowak_may",
        {"network.width": side, "network.height": side, "game.b": b, "game.init": "single_defector_centre"},
    )
    model = GiveTakeModel(scenario, rng=0)
    c_index = model.strategy_names.index("cooperate")
    grid = model.population.strategy[: side * side] == c_index
    cmap = ListedColormap(["#d62728", "#ffdd00", "#2ca02c", "#1f4e9c"])  # DD, CD, DC, CC
    fig, axes = plt.subplots(1, len(steps), figsize=(3.0 * len(steps), 3.2), dpi=110)
    for ax, target in zip(np.atleast_1d(axes), steps):
        while model.steps < target:
            previous = grid
            model.step()
            grid = model.population.strategy[: side * side] == c_index
        code = 2 * previous.astype(int) + grid.astype(int)  # 0 DD, 1 DC, 2 CD, 3 CC
        colour = np.choose(code, [0, 2, 1, 3]).reshape(side, side)
        ax.imshow(colour, cmap=cmap, vmin=0, vmax=3, interpolation="nearest")
        ax.set_title(f"generation {target}", fontsize=9)
        ax.set_axis_off()
    fig.suptitle(f"Nowak & May's kaleidoscope: one defector, b = {b}, {side} x {side}", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _machine() -> str:
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[1] if hasattr(os, "getloadavg") else float("nan")
    return f"{cores} cores (load average {load:.1f} over the last 5 minutes when it finished)"


def write_report(
    results: list[StudyResult],
    docs: str | Path = "docs",
    quick: bool = False,
    command: str = "givetake validate",
) -> Path:
    """Write ``validation.md`` and its figures (``figures/validation_*.png``) under ``docs``."""
    from . import __version__
    from .io import atomic_path

    docs = Path(docs)
    figs = _figures(results, docs / "figures")
    total = sum(r.seconds for r in results)
    n_pass = sum(c.passed for r in results for c in r.checks)
    n_all = sum(len(r.checks) for r in results)
    lines = [
        "# Validation: classic results reproduced",
        "",
        "The classic games run on the same engine as the business scenarios (the `play` and",
        "`update` mechanisms, see [classic.md](classic.md)).  This page is written by",
        f"`{command}`; it compares the engine with published results of evolutionary game",
        "theory on graphs.",
        "",
        f"- version: givetake {__version__}; mode: {'quick (reduced)' if quick else 'full'}",
        f"- checks passed: **{n_pass} of {n_all}**; run time {total:.0f} s on {_machine()}",
        "",
        "| study | quantity | published | reproduced [interval] | runs | result |",
        "|---|---|---|---|---|---|",
    ]
    for res in results:
        for c in res.checks:
            lines.append(
                f"| {c.study} | {c.quantity} | {_fmt(c.published)} | {_fmt(c.reproduced)} "
                f"[{_fmt(c.low)}, {_fmt(c.high)}] | {c.runs} | {'pass' if c.passed else '**FAIL**'} |"
            )
    texts = {
        "nowak_may": (
            "## Nowak & May 1992 (Nature 359:826)",
            "Published: the cooperator share fluctuates around 12 ln 2 - 8 = 0.318 for 1.8 < b < 2 and "
            "collapses to near zero above 2.  Reproduced: mean over the seeds and the values of b in "
            "each range; the interval is the t-based 95% interval of the means of tenths of the averaging window.",
        ),
        "moran": (
            "## The Moran process",
            "Published (exact): one mutant of relative fitness r among N fixes with probability "
            "(1 - 1/r) / (1 - 1/r^N), or 1/N when r = 1.  Reproduced: share of runs in which the mutant "
            "fixed, with a 99% Wilson interval; a check passes when the exact value lies inside it.",
        ),
        "ohtsuki": (
            "## Ohtsuki, Hauert, Lieberman & Nowak 2006 (Nature 441:502)",
            "Published: under death-birth updating and weak selection, one cooperator fixes with "
            "probability above 1/N when b/c > k (for a finite population, (N - 2)/(N/k - 2)).  "
            "Reproduced: N x fixation probability at several b/c, and the b/c where a straight line "
            "through them crosses 1; a check passes when the finite-size threshold lies inside the "
            "95% interval of the crossing.",
        ),
    }
    for res in results:
        head, body = texts[res.name]
        lines += ["", head, "", body, "", f"Settings: {res.settings}.  Run time: {res.seconds:.0f} s.", ""]
        lines.append(f"![{res.name}](figures/{figs[res.name]})")
        if res.name == "nowak_may":
            kaleidoscope(docs / "figures" / "validation_kaleidoscope.png")
            lines += [
                "",
                "The same rules from a single defector in a 99 x 99 lattice of cooperators (b = 1.85): "
                "the symmetric, ever-changing pattern of Nowak & May's Figure 1.  Blue: cooperator, "
                "red: defector, yellow: new defector, green: new cooperator.",
                "",
                "![kaleidoscope](figures/validation_kaleidoscope.png)",
            ]
    lines += [
        "",
        "## Reproducing",
        "",
        "```",
        "givetake validate            # full version, writes this page",
        "givetake validate --quick    # reduced version, under a minute",
        "```",
        "",
    ]
    path = docs / "validation.md"
    with atomic_path(path) as tmp:
        Path(tmp).write_text("\n".join(lines))
    return path
