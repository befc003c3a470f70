"""Writing up the validation: the console table, the figures and ``validation.md``.

Examples
--------
>>> from simulation.validation.studies import Check, StudyResult
>>> res = StudyResult("moran", [Check("Moran", "fixation, N=10, r=1.0", 0.1, 0.098, 0.08, 0.12, True, 400)])
>>> print(format_table([res]))
study  quantity               published  reproduced [interval]    runs  result
-----  ---------------------  ---------  -----------------------  ----  ------
Moran  fixation, N=10, r=1.0  0.1000     0.0980 [0.0800, 0.1200]  400   pass
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .studies import (
    COLLAPSE_BELOW,
    NOWAK_MAY_SHARE,
    SHARE_TOLERANCE,
    StudyResult,
    moran_exact,
    ohtsuki_threshold,
)

__all__ = ["format_table", "kaleidoscope", "write_report"]


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

    from ..model import GiveTakeModel
    from ..scenario_files import load_scenario

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
    from .. import __version__
    from ..io import atomic_path

    docs = Path(docs)
    figs = _figures(results, docs / "figures")
    total = sum(r.seconds for r in results)
    n_pass = sum(c.passed for r in results for c in r.checks)
    n_all = sum(len(r.checks) for r in results)
    # the page on the classic games sits beside this one in the project's docs; elsewhere
    # (a --out folder) it is named, not linked
    classic = "[classic.md](classic.md)" if (docs / "classic.md").is_file() else "`docs/classic.md`"
    lines = [
        "# Validation: classic results reproduced",
        "",
        "The classic games run on the same engine as the business scenarios (the `play` and",
        f"`update` mechanisms, see {classic}).  This page is written by",
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
            "each range; the interval is the t-based 95% interval of the means of tenths of the averaging window.  "
            f"A check passes when that mean lies within {SHARE_TOLERANCE} of 0.318 (1.8 < b < 2: a finite "
            f"lattice over a finite time) or below {COLLAPSE_BELOW} (b > 2).",
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
        "givetake validate --write-docs   # full version, rewrites this page (make validate)",
        "givetake validate                # full version, writes results/validation-<time>/",
        "givetake validate --quick        # reduced version, under a minute",
        "```",
        "",
    ]
    path = docs / "validation.md"
    with atomic_path(path) as tmp:
        Path(tmp).write_text("\n".join(lines))
    return path
