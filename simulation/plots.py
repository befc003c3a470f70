"""Figures of a sweep (matplotlib, headless), each saved as PNG and SVG.

Every function takes the tables of :mod:`simulation.analysis`, draws one
figure and returns it; :func:`save` writes ``<name>.png`` and ``<name>.svg``.
Colours are fixed per condition so that figures of one report read
together; strategies have the colours and labels of the strategy registry
(:func:`simulation.strategies.colour`), the same as in the app.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .analysis import OUTCOME_LABELS  # noqa: E402
from .strategies import colour as strategy_colour  # noqa: E402
from .strategies import label as strategy_label  # noqa: E402
from .style_colours import style_colours  # noqa: E402

__all__ = [
    "save",
    "trajectories",
    "strategy_trajectories",
    "final_states",
    "collapse",
    "wealth_by_strategy",
    "deciles",
    "ecosystem_events",
    "effect_sizes",
    "collapse_by_share",
    "spikes",
    "spike_free_limits",
]

#: most conditions drawn in one trajectory figure
MAX_LINES = 10

METRIC_LABELS = {
    "members": "members",
    "mean_wealth": "mean wealth",
    "gini": "wealth Gini",
    "fulfilment_rate": "share of needs met",
    "giant_component": "largest group (share)",
    "mean_trust": "mean trust",
    "mean_degree": "ties per member",
    "welfare": "value created / week",
}

#: metrics that are shares of members or of needs: a mean's 95% band is drawn within [0, 1]
#: (a Student-t interval of a mean near 1 over few runs reaches past what a share can be)
SHARE_METRICS = {"fulfilment_rate", "giant_component"}


def _style() -> None:
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 130,
            "font.size": 9,
            "axes.titlesize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "legend.fontsize": 8,
            "legend.frameon": False,
            "svg.fonttype": "none",
        }
    )


_style()


def colour(conditions: list[str], cond: str) -> str:
    """The colour of condition ``cond`` among ``conditions``: a networking style's own colour,
    the same as in the app (:mod:`simulation.style_colours`), else the colour cycle."""
    return style_colours(conditions)[cond]


def save(fig: Figure, out_dir: str | Path, name: str) -> list[Path]:
    """Write ``fig`` as ``out_dir/name.png`` and ``.svg``; closes it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    from .io import atomic_path

    for ext in ("png", "svg"):
        path = out_dir / f"{name}.{ext}"
        with atomic_path(path) as tmp:
            fig.savefig(
                tmp, format=ext, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None
            )
        paths.append(path)
    plt.close(fig)
    return paths


def _grid(n: int, cols: int = 2, w: float = 4.6, h: float = 2.7) -> tuple[Figure, np.ndarray]:
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols, h * rows), squeeze=False, layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


#: a spike: a week further from its condition's running median (SPIKE_WINDOW weeks) than
#: SPIKE_K robust standard deviations (1.4826 x the median absolute deviation) of that curve
SPIKE_WINDOW = 9
SPIKE_K = 6.0


def spikes(values: np.ndarray) -> np.ndarray:
    """Which points of one curve are spikes: far from the curve's running median.

    A point is a spike when it lies more than ``SPIKE_K`` robust standard
    deviations (1.4826 x the median absolute deviation of the distances) from the
    centred running median over ``SPIKE_WINDOW`` weeks, and further than 5% of the
    curve's 5-95 percentile range (so that a nearly flat curve has no spikes).  The
    first and last ``SPIKE_WINDOW // 2`` weeks have no centred window: they count as
    spikes only in a curve with spikes inside, and only when they are as far from the
    nearest full window as the smallest of those (so that a curve that starts or ends
    steeply has no spikes).  A curve shorter than the window has none.

    Examples
    --------
    >>> y = np.full(40, 100.0) + np.sin(np.arange(40))
    >>> y[[8, 24]] = -300.0  # the weeks of an event
    >>> np.flatnonzero(spikes(y)).tolist()
    [8, 24]
    >>> spikes(np.linspace(0.0, 50.0, 40)).any()
    np.False_
    """
    y = np.asarray(values, float)
    finite = y[np.isfinite(y)]
    if len(y) < SPIKE_WINDOW or len(finite) < SPIKE_WINDOW:
        return np.zeros(len(y), bool)
    k = SPIKE_WINDOW // 2
    base = pd.Series(y).rolling(SPIKE_WINDOW, center=True).median().to_numpy()
    inner = np.zeros(len(y), bool)
    inner[k : len(y) - k] = True
    dist = np.abs(y - base)
    spread = float(np.percentile(finite, 95) - np.percentile(finite, 5))
    scale = max(SPIKE_K * 1.4826 * float(np.nanmedian(dist[inner])), 0.05 * spread, 1e-12)
    out = inner & (dist > scale)
    if out.any():
        # the first and last k weeks have no centred window: one counts as a spike when it is
        # as far from the nearest full window as the smallest spike inside is from its own
        near = np.clip(np.arange(len(y)), k, len(y) - 1 - k)
        edge = ~inner & (np.abs(y - base[near]) >= dist[out].min())
        out |= edge
    return out


def spike_free_limits(curves: list[pd.DataFrame]) -> tuple[float, float, int, float] | None:
    """Y-limits that show every curve (``step, mean, low, high``) without its spikes.

    Returns ``(bottom, top, n_spikes, furthest)`` (``furthest``: the spike value
    furthest outside the limits), or None when no spike reaches outside the range
    of the other points, so the axis can be left as it is.
    """
    keep_lo, keep_hi, outside = [], [], []
    for c in curves:
        mask = spikes(c["mean"].to_numpy(float))
        keep_lo.append(c.loc[~mask, ["mean", "low"]].min(axis=None))
        keep_hi.append(c.loc[~mask, ["mean", "high"]].max(axis=None))
        outside.append(c.loc[mask, "mean"].to_numpy(float))
    lo, hi = np.nanmin(keep_lo), np.nanmax(keep_hi)
    out = np.concatenate(outside) if outside else np.array([])
    out = out[(out < lo) | (out > hi)]
    if not np.isfinite(lo) or not np.isfinite(hi) or out.size == 0:
        return None
    pad = 0.06 * (hi - lo if hi > lo else max(abs(hi), 1.0))
    bottom, top = lo - pad, hi + pad
    out = out[(out < bottom) | (out > top)]
    if out.size == 0:
        return None
    furthest = float(out[np.argmax(np.maximum(bottom - out, out - top))])
    return bottom, top, int(out.size), furthest


def trajectories(traj: pd.DataFrame, conditions: list[str], metrics: list[str]) -> Figure:
    """Mean trajectory of each metric per condition with its 95% band (within [0, 1] for
    the shares of :data:`SHARE_METRICS`).

    A panel whose curves have spikes (:func:`spikes`, e.g. the weeks paid events are
    held) keeps its y-axis to the other weeks, so that the spikes do not flatten the
    other curves; the panel then says how many points lie off the axis and how far the
    furthest reaches."""
    metrics = [m for m in metrics if m in set(traj["metric"])]
    shown = conditions[:MAX_LINES]
    fig, axes = _grid(len(metrics))
    for ax, metric in zip(axes, metrics):
        d = traj[traj["metric"] == metric]
        for cond in shown:
            c = d[d["condition"] == cond]
            if c.empty:
                continue
            col = colour(conditions, cond)
            low, high = c["low"], c["high"]
            if metric in SHARE_METRICS:
                low, high = low.clip(0.0, 1.0), high.clip(0.0, 1.0)
            ax.plot(c["step"], c["mean"], color=col, lw=1.4, label=cond)
            ax.fill_between(c["step"], low, high, color=col, alpha=0.18, lw=0)
        curves = [d[d["condition"] == cond].sort_values("step") for cond in shown]
        limits = spike_free_limits([c for c in curves if not c.empty])
        title = METRIC_LABELS.get(metric, metric)
        if limits is not None:
            bottom, top, n, furthest = limits
            ax.set_ylim(bottom, top)
            title += f"\n({n} spike{'s' if n > 1 else ''} off the axis, to {furthest:,.3g})"
        ax.set_title(title)
        ax.set_xlabel("week")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)))
    title = "Mean trajectories with 95% confidence bands"
    if len(conditions) > MAX_LINES:
        title += f" (first {MAX_LINES} of {len(conditions)} conditions)"
    fig.suptitle(title)
    return fig


def strategy_trajectories(traj: pd.DataFrame, conditions: list[str], strategies: list[str]) -> Figure:
    """Mean wealth of each strategy over time, one panel per condition."""
    shown = conditions[:12]
    fig, axes = _grid(len(shown), cols=min(3, max(1, len(shown))), w=3.8, h=2.6)
    for ax, cond in zip(axes, shown):
        d = traj[traj["condition"] == cond]
        for s in strategies:
            c = d[d["metric"] == f"wealth_{s}"]
            if c.empty:
                continue
            col = strategy_colour(s)
            ax.plot(c["step"], c["mean"], color=col, lw=1.4, label=strategy_label(s))
            ax.fill_between(c["step"], c["low"], c["high"], color=col, alpha=0.18, lw=0)
        ax.set_title(cond)
        ax.set_xlabel("week")
        ax.set_ylabel("mean wealth")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels))
    fig.suptitle("Wealth of each strategy over time (mean over runs, 95% band)")
    return fig


def final_states(summary: pd.DataFrame, conditions: list[str], outcomes: list[str]) -> Figure:
    """Distribution over runs of each outcome per condition: boxes and the runs as dots."""
    fig, axes = _grid(len(outcomes), cols=2, w=4.8, h=0.35 * len(conditions) + 1.4)
    rng = np.random.default_rng(0)  # jitter only
    for ax, outcome in zip(axes, outcomes):
        data = [summary.loc[summary["condition"] == c, outcome].dropna().to_numpy(float) for c in conditions]
        pos = np.arange(len(conditions))[::-1]
        ax.boxplot(
            data,
            positions=pos,
            orientation="horizontal",
            widths=0.6,
            showfliers=False,
            medianprops={"color": "black"},
            boxprops={"color": "#555"},
            whiskerprops={"color": "#555"},
        )
        for p, x, cond in zip(pos, data, conditions):
            ax.scatter(
                x, p + rng.uniform(-0.18, 0.18, len(x)), s=6, color=colour(conditions, cond), alpha=0.6, lw=0
            )
        ax.set_yticks(pos, conditions)
        ax.set_title(OUTCOME_LABELS.get(outcome, outcome))
        ax.grid(axis="y", visible=False)
    fig.suptitle("Final states over runs (box: quartiles; dots: runs)")
    return fig


def collapse(table: pd.DataFrame) -> Figure:
    """Share of runs per verdict and condition, with the Wilson 95% interval of collapse."""
    conds = table["condition"].tolist()
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * len(conds) + 1.4), layout="constrained")
    pos = np.arange(len(conds))[::-1]
    left = np.zeros(len(conds))
    colours = {
        "flourishing": "#2a9d8f",
        "stable": "#e9c46a",
        "recovered": "#8ab17d",
        "struggling": "#f4a261",
        "collapsed": "#e76f51",
    }
    # worst first (the table's order is best first), collapse from 0: its share and the
    # interval of it are read off the axis as they are
    verdicts = [c.removeprefix("p_") for c in table.columns if c.startswith("p_")][::-1]
    verdicts.sort(key=lambda v: v != "collapsed")
    for verdict in verdicts:
        share = table[f"p_{verdict}"].to_numpy(float)
        ax.barh(pos, share, left=left, color=colours.get(verdict, "grey"), label=verdict, height=0.6)
        if verdict == "collapsed":
            lo, hi = table["low_collapsed"].to_numpy(float), table["high_collapsed"].to_numpy(float)
            err = np.clip(np.vstack([share - lo, hi - share]), 0, None)
            ax.errorbar(share, pos, xerr=err, fmt="none", ecolor="black", capsize=3, lw=1)
        left = left + share
    ax.set_yticks(pos, conds)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of runs (error bar: 95% Wilson interval of the collapsed share)")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside upper center", ncol=5)
    ax.set_title("Run verdicts")
    return fig


def wealth_by_strategy(table: pd.DataFrame, conditions: list[str], strategies: list[str]) -> Figure:
    """Mean final wealth of each strategy per condition (95% intervals)."""
    fig, ax = plt.subplots(figsize=(max(6.5, 1.1 * len(conditions) + 2), 3.6), layout="constrained")
    width = 0.8 / max(1, len(strategies))
    x = np.arange(len(conditions))
    for i, s in enumerate(strategies):
        d = table[table["strategy"] == s].set_index("condition").reindex(conditions)
        mean = d["mean_wealth"].to_numpy(float)
        err = np.vstack([mean - d["low"].to_numpy(float), d["high"].to_numpy(float) - mean])
        ax.bar(
            x + (i - (len(strategies) - 1) / 2) * width,
            mean,
            width,
            yerr=np.nan_to_num(err),
            color=strategy_colour(s),
            label=strategy_label(s),
            capsize=2,
            error_kw={"lw": 0.8},
        )
    ax.set_xticks(x, conditions, rotation=20, ha="right")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("mean final wealth")
    fig.legend(*ax.get_legend_handles_labels(), ncol=len(strategies), loc="outside upper center")
    ax.set_title("Wealth by strategy at the end (mean over runs, 95% interval)")
    return fig


def deciles(table: pd.DataFrame, conditions: list[str], strategies: list[str]) -> Figure:
    """Representation of each strategy in the top and bottom wealth deciles (1 = its share of members)."""
    fig, axes = plt.subplots(
        1, 2, figsize=(max(9, 1.4 * len(conditions) + 3), 3.8), sharey=True, layout="constrained"
    )
    width = 0.8 / max(1, len(strategies))
    x = np.arange(len(conditions))
    for ax, end in zip(axes, ("top", "bottom")):
        for i, s in enumerate(strategies):
            d = table[table["strategy"] == s].set_index("condition").reindex(conditions)
            mean = d[f"{end}_representation"].to_numpy(float)
            low = np.clip(d[f"{end}_low"].to_numpy(float), 0, None)  # a representation is never negative
            err = np.vstack([mean - low, d[f"{end}_high"].to_numpy(float) - mean])
            ax.bar(
                x + (i - (len(strategies) - 1) / 2) * width,
                mean,
                width,
                yerr=np.nan_to_num(err),
                color=strategy_colour(s),
                label=strategy_label(s),
                capsize=2,
                error_kw={"lw": 0.8},
            )
        ax.axhline(1, color="black", lw=0.8, ls="--")
        ax.set_xticks(x, conditions, rotation=20, ha="right")
        ax.set_title(f"{end} 10% by final wealth")
    # only once both panels are drawn: setting limits earlier freezes the shared scale
    axes[0].set_ylim(bottom=0, auto=True)
    axes[0].autoscale_view()
    axes[0].set_ylabel("representation (share in decile / share of members)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=len(strategies))
    return fig


def ecosystem_events(table: pd.DataFrame) -> Figure:
    """Ecosystem events per run (birth, growth, contraction, merge, split, death) per condition."""
    cols = [c for c in table.columns if c.endswith("_per_run") and c != "ecosystems_per_run"]
    conds = table["condition"].tolist()
    fig, ax = plt.subplots(figsize=(max(6.5, 1.1 * len(conds) + 2), 3.4), layout="constrained")
    width = 0.8 / max(1, len(cols))
    x = np.arange(len(conds))
    cmap = plt.get_cmap("Set2").colors
    for i, c in enumerate(cols):
        ax.bar(
            x + (i - (len(cols) - 1) / 2) * width,
            table[c].to_numpy(float),
            width,
            color=cmap[i % len(cmap)],
            label=c.removesuffix("_per_run"),
        )
    ax.set_xticks(x, conds, rotation=20, ha="right")
    ax.set_ylabel("events per run (mean)")
    fig.legend(*ax.get_legend_handles_labels(), ncol=min(6, len(cols)), loc="outside upper center")
    ax.set_title("Ecosystem life: events per run")
    return fig


def effect_sizes(pairs: pd.DataFrame, conditions: list[str], outcomes: list[str]) -> Figure:
    """Cliff's delta of every pair of conditions (row vs column) per outcome; * = significant after Holm."""
    fig, axes = _grid(
        len(outcomes),
        cols=min(2, len(outcomes)),
        w=0.55 * len(conditions) + 2.6,
        h=0.5 * len(conditions) + 1.6,
    )
    n = len(conditions)
    idx = {c: i for i, c in enumerate(conditions)}
    im = None
    for ax, outcome in zip(axes, outcomes):
        mat = np.full((n, n), np.nan)
        sig = np.zeros((n, n), bool)
        for row in pairs[pairs["outcome"] == outcome].itertuples():
            i, j = idx[row.a], idx[row.b]
            mat[i, j], mat[j, i] = row.cliffs_delta, -row.cliffs_delta
            sig[i, j] = sig[j, i] = bool(row.significant)
        im = ax.imshow(mat, cmap="RdBu_r", vmin=-1, vmax=1)
        for i in range(n):
            for j in range(n):
                if np.isfinite(mat[i, j]):
                    shown = round(float(mat[i, j]), 2) + 0.0  # + 0.0: no "-0.00" for a tie
                    ax.text(
                        j,
                        i,
                        f"{shown:.2f}{'*' if sig[i, j] else ''}",
                        ha="center",
                        va="center",
                        fontsize=6.5,
                        color="white" if abs(mat[i, j]) > 0.6 else "black",
                    )
        ax.set_xticks(range(n), conditions, rotation=35, ha="right", fontsize=7)
        ax.set_yticks(range(n), conditions, fontsize=7)
        ax.grid(False)
        ax.set_title(OUTCOME_LABELS.get(outcome, outcome), fontsize=9)
    if im is not None:
        fig.colorbar(im, ax=list(axes[: len(outcomes)]), shrink=0.6, label="Cliff's delta (row vs column)")
    fig.suptitle("Pairwise effect sizes; * = significant after Holm correction")
    return fig


def collapse_by_share(
    table: pd.DataFrame, resilience: pd.DataFrame | None = None, who: str = "takers"
) -> Figure:
    """Collapse probability against a strategy's share, a line per scenario: the share of
    runs that ended collapsed at each level (dots with Wilson 95% bars, nudged sideways so
    that they do not hide each other, joined by a line); the dashed line is 1/2, and the
    diamond on it with its bar is the scenario's tipping point with its 95% interval.  When
    the runs separate perfectly between two levels the tipping point is only known to lie
    between them: a bar between the two levels, without a diamond."""
    scenarios = list(dict.fromkeys(table["scenario"]))
    fig, ax = plt.subplots(figsize=(7.2, 4.0), layout="constrained")
    xmax = float(table["share"].max())
    span = 0.008 * xmax
    tips = resilience.set_index("scenario") if resilience is not None and not resilience.empty else None
    for i, scen in enumerate(scenarios):
        c = table[table["scenario"] == scen].sort_values("share")
        col = colour(scenarios, scen)
        nudge = (i - (len(scenarios) - 1) / 2) * span
        ax.errorbar(
            c["share"] + nudge,
            c["p"],
            yerr=[c["p"] - c["low"], c["high"] - c["p"]],
            fmt="o-",
            ms=4,
            color=col,
            capsize=2,
            lw=1.4,
            label=scen,  # as the table under the figure and every other figure name it
        )
        if tips is not None and scen in tips.index:
            r = tips.loc[scen]
            y = 0.5 + (i - (len(scenarios) - 1) / 2) * 0.012
            if bool(r.get("tipping_separated", False)):
                ax.plot(
                    [r["tipping_low"], r["tipping_high"]],
                    [y, y],
                    color=col,
                    lw=3.0,
                    alpha=0.7,
                    solid_capstyle="butt",
                )
            elif np.isfinite(r["tipping"]) and 0 <= r["tipping"] <= xmax:
                ax.errorbar(
                    [r["tipping"]],
                    [y],
                    xerr=[[r["tipping"] - r["tipping_low"]], [r["tipping_high"] - r["tipping"]]],
                    fmt="D",
                    ms=6,
                    color=col,
                    mec="black",
                    mew=0.6,
                    capsize=3,
                    lw=1.2,
                )
    ax.axhline(0.5, color="black", lw=0.8, ls="--")
    ax.set_xlabel(f"share of {who} among members")
    ax.set_ylabel("runs that ended collapsed")
    ax.set_ylim(-0.03, 1.03)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.legend(loc="upper left", ncol=2)
    return fig
