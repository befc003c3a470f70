"""Statistics over the runs of a sweep: means with confidence intervals, proportions,
wealth by strategy and deciles, ecosystem life, pairwise comparisons with effect sizes.

Everything works on the tidy tables of a :class:`~simulation.store.Store`
(``summary``, ``timeseries``, ``members`` and optional ``ecosystems`` and
``events``) and returns pandas DataFrames, so the same numbers feed the
figures, the HTML report and your own notebooks.

Runs are grouped into *conditions*: a scenario, or a scenario at one point
of a parameter grid.  Sampled designs (latin, sobol, morris) are pooled per
scenario and analysed for sensitivity instead.

Methods (all from :mod:`simulation.stats`): t-based 95% intervals for
means; Wilson score intervals for proportions (Wilson 1927); Welch's t-test
and the Mann-Whitney U test for two conditions, with Cohen's d (pooled
standard deviation) and Cliff's delta (Cliff 1993) as effect sizes, the
difference of means with Welch's 95% interval and Cliff's delta with a 95%
bootstrap interval; p-values adjusted by Holm's step-down method (Holm 1979)
within each outcome.

An outcome that takes the same value in every run of a condition (e.g. the
members at the end when every member who leaves is replaced) is fixed by
the scenario, not an outcome of the runs: :func:`pairwise` does not test a
pair that involves such a condition, and :func:`constant_outcomes` lists them
so that the report can say why.

Examples
--------
>>> import pandas as pd
>>> ts = pd.DataFrame({"condition": ["a"] * 4, "step": [0, 0, 1, 1], "gini": [0.1, 0.3, 0.2, 0.4]})
>>> band = trajectories(ts, ["gini"])
>>> band[["step", "mean", "n"]].round(2).values.tolist()
[[0.0, 0.2, 2.0], [1.0, 0.3, 2.0]]
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import strategies as strategy_registry
from .ecosystems.life import FATES
from .stats import (
    cliffs_delta,
    cliffs_delta_ci,
    cliffs_magnitude,
    cohens_d,
    difference_ci,
    holm,
    mean_ci,
    mean_ci_arrays,
    one_sample_p,
    tipping_point,
    wilson,
)
from .store import Store
from .verdict import VERDICTS

__all__ = [
    "DEFAULT_OUTCOMES",
    "TRAJECTORY_METRICS",
    "SweepData",
    "load",
    "trajectories",
    "final_states",
    "collapse",
    "wealth_by_strategy",
    "deciles",
    "ecosystem_life",
    "pairwise",
    "constant_outcomes",
    "sensitivity",
    "agreement",
    "OUTCOME_LABELS",
    "HEALTHY",
    "PAIRWISE_DRAWS",
    "TIPPING_DRAWS",
    "share_column",
    "ordinary",
    "collapse_by_share",
    "resilience",
]

#: verdicts of a healthy run: over its last quarter it clears the stable bar (docs/ecosystems.md)
HEALTHY = ("flourishing", "stable", "recovered")

#: bootstrap resamples of the interval of each pair's Cliff's delta (:func:`pairwise`)
PAIRWISE_DRAWS = 2000
#: bootstrap fits of the interval of each tipping point (:func:`resilience`)
TIPPING_DRAWS = 1000

#: outcomes compared between conditions (those present in the store are used)
DEFAULT_OUTCOMES = [
    "final_mean_wealth",
    "final_gini",
    "final_members",
    "final_giant_component",
    "tail_fulfilment_rate",
    "final_mean_trust",
    "final_mean_degree",
    "tail_welfare",
]

#: the values an outcome can take, where it is bounded: its interval is cut to them
#: (:func:`stats.mean_ci`), so that few runs never give a share an interval beyond [0, 1]
OUTCOME_BOUNDS = {
    "final_members": (0.0, np.inf),
    "final_giant_component": (0.0, 1.0),
    "tail_fulfilment_rate": (0.0, 1.0),
    "final_mean_degree": (0.0, np.inf),
}

#: the level of the pairwise tests (:func:`pairwise`, :func:`collapse_pairwise`)
ALPHA = 0.05

TRAJECTORY_METRICS = [
    "members",
    "mean_wealth",
    "gini",
    "fulfilment_rate",
    "giant_component",
    "mean_trust",
    "mean_degree",
    "welfare",
]

OUTCOME_LABELS = {
    "final_mean_wealth": "mean wealth at the end",
    "final_gini": "wealth inequality (Gini) at the end",
    "final_members": "members at the end",
    "final_giant_component": "share of members in the largest connected group at the end",
    "tail_fulfilment_rate": "share of needs met (last quarter of the run)",
    "final_mean_trust": "mean trust on ties at the end",
    "final_mean_degree": "mean ties per member at the end",
    "tail_welfare": "value created per week (last quarter of the run)",
    "collapsed": "collapse (share of runs)",
}

_TAGS = ("run_id", "scenario", "point", "replication", "seed", "spawn_key")


# -- loading -------------------------------------------------------------------


@dataclass
class SweepData:
    """The tables of a store, each with a ``condition`` column."""

    summary: pd.DataFrame
    timeseries: pd.DataFrame
    members: pd.DataFrame
    failures: pd.DataFrame
    manifest: dict[str, Any]
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    conditions: list[str] = field(default_factory=list)

    @property
    def strategies(self) -> list[str]:
        """The strategies of the stored members, in registry order."""
        if self.members.empty:
            return []
        return strategy_registry.ordered(self.members["strategy"].unique())


def share_column(summary: pd.DataFrame) -> str | None:
    """The ``share.<strategy>`` column of an experiment with ``[vary.share]``, or None."""
    if "ordinary_mix" not in summary.columns:
        return None
    return next((c for c in summary.columns if c.startswith("share.")), None)


def grid_keys(summary: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    """The keys of a ``[vary.values]`` grid that the summary records (``[vary.share]``'s
    ``share.<strategy>`` left out); none for the sampled designs, which are pooled."""
    if manifest.get("design", "grid") != "grid":
        return []
    return [k for k in manifest.get("varied", []) if k in summary.columns and not k.startswith("share.")]


def _value(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def style_labels(summary: pd.DataFrame, manifest: dict[str, Any]) -> pd.Series:
    """Per run of an experiment with ``[vary.share]``: its scenario, with the grid point of
    a ``[vary.values]`` grid beside it (``open_mixer (exchange.b=3)``), so that runs at
    different points of the grid are never taken together; the scenario alone without a grid."""
    keys = grid_keys(summary, manifest)
    label = summary["scenario"].astype(str)
    if not keys:
        return label
    # in parentheses: the report lists styles with commas between them
    point = [".".join(k.split(".")[-2:]) + "=" + summary[k].map(_value) for k in keys]
    return label + " (" + point[0].str.cat(point[1:], sep=", ") + ")"


def _condition_labels(summary: pd.DataFrame, manifest: dict[str, Any]) -> pd.Series:
    share = share_column(summary)
    if share is not None:
        # the ordinary mix is the scenario itself (at its grid point); the varied shares
        # say their level
        who = share.split(".", 1)[1]
        level = summary[share].map(lambda v: f"{who}s {100 * v:.0f}%")
        ordinary = summary["ordinary_mix"].astype(bool)
        style = style_labels(summary, manifest)
        return style.where(ordinary, style + " | " + level)
    varied = [k for k in manifest.get("varied", []) if k in summary.columns]
    if manifest.get("design", "grid") != "grid" or not varied:
        return summary["scenario"].astype(str)
    parts = [summary["scenario"].astype(str)]
    for k in varied:
        short = k.split(".")[-1]
        parts.append(short + "=" + summary[k].map(_value))
    label = parts[0] + " | " + parts[1]
    for p in parts[2:]:
        label = label + ", " + p
    return label


def _strategy_columns(store: Store) -> list[str]:
    """Strategy names of the ``wealth_<strategy>`` columns of the stored timeseries."""
    import pyarrow.parquet as pq

    folder = store.data / "timeseries"
    done = store.done_ids()
    for f in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        if f.stem in done:
            return [c.removeprefix("wealth_") for c in pq.read_schema(f).names if c.startswith("wealth_")]
    return []


def load(store: Store | str) -> SweepData:
    """Read a store's tables and label each run with its condition."""
    store = store if isinstance(store, Store) else Store(store)
    manifest = store.manifest()
    summary = store.load("summary")
    failures = store.failures()
    if summary.empty:
        return SweepData(summary, pd.DataFrame(), pd.DataFrame(), failures, manifest)
    summary = summary.sort_values(["scenario", "point", "replication"], kind="stable").reset_index(drop=True)
    summary["condition"] = _condition_labels(summary, manifest)
    order = list(dict.fromkeys(summary["condition"]))
    scen_order = [s["label"] for s in manifest.get("scenarios", [])]
    if scen_order:
        rank = {s: i for i, s in enumerate(scen_order)}
        order.sort(key=lambda c: rank.get(summary.loc[summary["condition"] == c, "scenario"].iloc[0], 1e9))
    cond = summary.set_index("run_id")["condition"]
    # only the columns the analyses use: a sweep of many runs stays small in memory
    ts_cols = ["run_id", "step", *TRAJECTORY_METRICS, *[f"wealth_{s}" for s in _strategy_columns(store)]]
    ts = store.load("timeseries", columns=ts_cols)
    members = store.load("members", columns=["run_id", "strategy", "wealth"])
    for df in (ts, members):
        if not df.empty:
            df["condition"] = df["run_id"].map(cond)
    extra = {}
    for name in ("ecosystems", "events", "ecosystem_lives"):
        if name in store.tables():
            df = store.load(name)
            if not df.empty and "run_id" in df.columns:
                df["condition"] = df["run_id"].map(cond)
            extra[name] = df
    return SweepData(summary, ts, members, failures, manifest, extra, order)


# -- analyses --------------------------------------------------------------------


def trajectories(ts: pd.DataFrame, metrics: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Mean of each metric per condition and step with a t-based band.

    Columns: ``condition, step, metric, mean, low, high, n``.
    """
    metrics = [m for m in (metrics or TRAJECTORY_METRICS) if m in ts.columns]
    if ts.empty or not metrics:
        return pd.DataFrame(columns=["condition", "step", "metric", "mean", "low", "high", "n"])
    long = ts.melt(id_vars=["condition", "step"], value_vars=metrics, var_name="metric")
    g = long.groupby(["condition", "metric", "step"], sort=False)["value"]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    out["low"], out["high"] = mean_ci_arrays(out["mean"], out["sd"], out["n"], level)
    return out[["condition", "step", "metric", "mean", "low", "high", "n"]]


def outcomes_present(summary: pd.DataFrame, outcomes: list[str] | None = None) -> list[str]:
    """The outcomes (numeric summary columns) this store has."""
    cols = outcomes or DEFAULT_OUTCOMES
    return [c for c in cols if c in summary.columns and pd.api.types.is_numeric_dtype(summary[c])]


def final_states(data: SweepData, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Per condition and outcome: mean with 95% interval, sd, median, quartiles, n."""
    rows = []
    for outcome in outcomes_present(data.summary, outcomes):
        for cond in data.conditions:
            x = data.summary.loc[data.summary["condition"] == cond, outcome].to_numpy(float)
            m, lo, hi, n = mean_ci(x, bounds=OUTCOME_BOUNDS.get(outcome))
            x = x[np.isfinite(x)]
            rows.append(
                {
                    "outcome": outcome,
                    "condition": cond,
                    "mean": m,
                    "low": lo,
                    "high": hi,
                    "sd": float(x.std(ddof=1)) if n > 1 else float("nan"),
                    "median": float(np.median(x)) if n else float("nan"),
                    "q25": float(np.percentile(x, 25)) if n else float("nan"),
                    "q75": float(np.percentile(x, 75)) if n else float("nan"),
                    "n": n,
                }
            )
    return pd.DataFrame(rows)


def collapse(data: SweepData) -> pd.DataFrame:
    """Per condition: runs, and the share of each verdict (flourishing, stable, recovered,
    struggling, collapsed; ``docs/ecosystems.md``) with a Wilson 95% interval, the median
    week of collapse of the collapsed runs, and the runs that collapsed at least once
    (``ever_collapsed``, counting those that recovered; ``ever_collapsed_share`` with its
    interval).  Empty when the runs have no verdict (runs with ``metrics = "light"``)."""
    s = data.summary
    if "verdict" not in s.columns or s["verdict"].isna().all():
        return pd.DataFrame()
    rows = []
    verdicts = list(VERDICTS)
    verdicts += sorted(set(s["verdict"].dropna()) - set(verdicts))
    for cond in data.conditions:
        v = s.loc[s["condition"] == cond, "verdict"].dropna()
        n = len(v)
        if n == 0:  # this condition's runs have no verdict
            continue
        row: dict[str, Any] = {"condition": cond, "runs": n}
        for name in verdicts:
            k = int((v == name).sum())
            p, lo, hi = wilson(k, n)
            row[name] = k
            row[f"p_{name}"], row[f"low_{name}"], row[f"high_{name}"] = p, lo, hi
        if "collapse_step" in s.columns:
            steps = s.loc[(s["condition"] == cond) & (s["verdict"] == "collapsed"), "collapse_step"]
            steps = pd.to_numeric(steps, errors="coerce").dropna()
            row["median_collapse_step"] = float(steps.median()) if len(steps) else float("nan")
        if "collapses" in s.columns:
            ever = pd.to_numeric(s.loc[v.index, "collapses"], errors="coerce").fillna(0) > 0
            k = int(ever.sum())
            row["ever_collapsed"] = k
            row["ever_collapsed_share"], row["ever_collapsed_low"], row["ever_collapsed_high"] = wilson(k, n)
        rows.append(row)
    return pd.DataFrame(rows)


def wealth_by_strategy(data: SweepData) -> pd.DataFrame:
    """Per condition and strategy: mean final wealth of its members (the mean over runs of
    each run's mean, with a 95% interval) and its share of the members at the end."""
    m = data.members
    if m.empty:
        return pd.DataFrame()
    per_run = (
        m.groupby(["condition", "run_id", "strategy"], sort=False)["wealth"]
        .agg(["mean", "size"])
        .reset_index()
    )
    totals = m.groupby("run_id").size()
    per_run["share"] = per_run["size"] / per_run["run_id"].map(totals)
    rows = []
    for cond in data.conditions:
        for strat in data.strategies:
            sel = per_run[(per_run["condition"] == cond) & (per_run["strategy"] == strat)]
            if sel.empty:
                continue
            mean, lo, hi, n = mean_ci(sel["mean"].to_numpy())
            rows.append(
                {
                    "condition": cond,
                    "strategy": strat,
                    "mean_wealth": mean,
                    "low": lo,
                    "high": hi,
                    "share_of_members": float(sel["share"].mean()),
                    "runs": n,
                }
            )
    return pd.DataFrame(rows)


def deciles(data: SweepData, tail: float = 0.1) -> pd.DataFrame:
    """Who sits in the top and bottom wealth deciles, strategy by strategy.

    In every run, members are ranked by final wealth (ties share their
    average rank); the top decile holds ranks above the 90th percentile, the
    bottom decile those at or below the 10th.  For each strategy the
    *representation* is its share of a decile divided by its share of all
    members (1 = as expected by chance, 2 = twice as often).  Reported per
    condition: mean representation over runs with a 95% interval, and a
    one-sample t-test of (share in the decile - share of members) against 0.
    Grant's claim (givers at both ends) is that givers are over-represented
    in the top *and* the bottom decile.
    """
    m = data.members
    if m.empty:
        return pd.DataFrame()
    m = m[["condition", "run_id", "strategy", "wealth"]].copy()
    m["pct"] = m.groupby("run_id")["wealth"].rank(method="average", pct=True)
    m["top"] = m["pct"] > 1 - tail
    m["bottom"] = m["pct"] <= tail
    g = m.groupby(["condition", "run_id", "strategy"], sort=False)
    counts = g.agg(n=("wealth", "size"), top=("top", "sum"), bottom=("bottom", "sum")).reset_index()
    run_tot = m.groupby("run_id").agg(N=("wealth", "size"), T=("top", "sum"), B=("bottom", "sum"))
    counts = counts.join(run_tot, on="run_id")
    counts["share"] = counts["n"] / counts["N"]
    counts["share_top"] = np.where(
        counts["T"] > 0, counts["top"] / counts["T"].where(counts["T"] > 0, 1), np.nan
    )
    counts["share_bottom"] = np.where(
        counts["B"] > 0, counts["bottom"] / counts["B"].where(counts["B"] > 0, 1), np.nan
    )
    rows = []
    for cond in data.conditions:
        runs = counts.loc[counts["condition"] == cond, "run_id"].unique()
        for strat in data.strategies:
            sel = counts[(counts["condition"] == cond) & (counts["strategy"] == strat)].set_index("run_id")
            if sel.empty:
                continue
            # a run where the strategy has died out still counts (share 0 everywhere)
            sel = sel.reindex(runs)
            sel[["share", "share_top", "share_bottom"]] = sel[["share", "share_top", "share_bottom"]].fillna(
                0.0
            )
            row: dict[str, Any] = {
                "condition": cond,
                "strategy": strat,
                "share_of_members": float(sel["share"].mean()),
            }
            for end in ("top", "bottom"):
                diff = (sel[f"share_{end}"] - sel["share"]).to_numpy(float)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(sel["share"] > 0, sel[f"share_{end}"] / sel["share"], np.nan)
                mean, lo, hi, n = mean_ci(ratio)
                row[f"share_{end}"] = float(sel[f"share_{end}"].mean())
                row[f"{end}_representation"], row[f"{end}_low"], row[f"{end}_high"] = mean, lo, hi
                row[f"{end}_p"] = one_sample_p(diff)
            row["runs"] = len(runs)
            rows.append(row)
    out = pd.DataFrame(rows)
    if not out.empty:
        out["both_ends"] = (
            (out["top_representation"] > 1)
            & (out["bottom_representation"] > 1)
            & (out["top_p"] < 0.05)
            & (out["bottom_p"] < 0.05)
        )
    return out


_ECO_ID = ("ecosystem", "ecosystem_id", "eco", "id", "community", "track")


def ecosystem_life(data: SweepData) -> pd.DataFrame:
    """Per condition: ecosystem events per run (births, deaths, merges, splits, ...) and,
    from the ``ecosystems`` table when stored, how many ecosystems a run sees, how long
    they live and how large they grow.  Empty when the runs track no ecosystems."""
    s = data.summary
    event_cols = [c for c in s.columns if c.startswith("ecosystem_events_")]
    eco = data.extra.get("ecosystems", pd.DataFrame())
    lives = data.extra.get("ecosystem_lives", pd.DataFrame())
    id_col = next((c for c in _ECO_ID if c in eco.columns), None) if not eco.empty else None
    if not event_cols and id_col is None and lives.empty:
        return pd.DataFrame()
    rows = []
    for cond in data.conditions:
        row: dict[str, Any] = {"condition": cond}
        sel = s[s["condition"] == cond]
        for c in event_cols:
            mean, lo, hi, n = mean_ci(pd.to_numeric(sel[c], errors="coerce").fillna(0).to_numpy())
            row[c.removeprefix("ecosystem_events_") + "_per_run"] = mean
        life = lives[lives["condition"] == cond] if "condition" in lives.columns else pd.DataFrame()
        if not life.empty and "lifetime" in life.columns:
            # one row per ecosystem over its whole life: the most direct account
            row["ecosystems_per_run"] = float(life.groupby("run_id").size().mean())
            row["mean_lifetime_steps"] = float(life["lifetime"].mean())
            row["median_lifetime_steps"] = float(life["lifetime"].median())
            if "peak_size" in life.columns:
                row["mean_peak_size"] = float(life["peak_size"].mean())
            if "mean_goal_attainment" in life.columns:
                row["mean_goal_attainment"] = float(
                    pd.to_numeric(life["mean_goal_attainment"], errors="coerce").mean()
                )
            if "fate" in life.columns:
                # every fate in one order for every condition, 0 where none ended so
                shares = life["fate"].value_counts(normalize=True)
                for fate in [*FATES, *sorted(set(shares.index) - set(FATES))]:
                    row[f"share_{fate}"] = float(shares.get(fate, 0.0))
        elif id_col is not None and "step" in eco.columns:
            e = eco[eco["condition"] == cond]
            if not e.empty:
                per_eco = e.groupby(["run_id", id_col])
                if "age" in e.columns:
                    span = per_eco["age"].max()
                else:
                    span = per_eco["step"].max() - per_eco["step"].min()
                row["ecosystems_per_run"] = float(per_eco.size().groupby(level=0).size().mean())
                row["mean_lifetime_steps"] = float(span.mean())
                row["median_lifetime_steps"] = float(span.median())
                if "size" in e.columns:
                    row["mean_size"] = float(e["size"].mean())
                    row["mean_peak_size"] = float(per_eco["size"].max().mean())
                for c in ("goal_attainment", "value_per_member", "density", "mean_trust"):
                    if c in e.columns:
                        row[f"mean_{c}" if not c.startswith("mean_") else c] = float(
                            pd.to_numeric(e[c], errors="coerce").mean()
                        )
        rows.append(row)
    return pd.DataFrame(rows)


def constant_outcomes(data: SweepData, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Outcomes that take one value in every run of a condition (at least two runs).

    Columns: ``outcome, condition, value, runs``.  Over seeded runs such an
    outcome is fixed by the scenario (e.g. ``final_members`` when churn replaces
    every member who leaves), so no test of it says anything about the runs.

    Examples
    --------
    >>> s = pd.DataFrame({"condition": ["a", "a", "b", "b"], "final_members": [300, 300, 280, 290]})
    >>> d = SweepData(s, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, {}, ["a", "b"])
    >>> constant_outcomes(d, ["final_members"]).values.tolist()
    [['final_members', 'a', 300.0, 2]]
    """
    s = data.summary
    rows = []
    for outcome in outcomes_present(s, outcomes):
        for cond in data.conditions:
            x = s.loc[s["condition"] == cond, outcome].to_numpy(float)
            x = x[np.isfinite(x)]
            if len(x) >= 2 and np.ptp(x) == 0:
                rows.append({"outcome": outcome, "condition": cond, "value": float(x[0]), "runs": len(x)})
    return pd.DataFrame(rows, columns=["outcome", "condition", "value", "runs"])


def pairwise(
    data: SweepData, outcomes: list[str] | None = None, alpha: float = ALPHA, draws: int = PAIRWISE_DRAWS
) -> pd.DataFrame:
    """Every pair of conditions on every outcome: Welch t, Mann-Whitney U, Cohen's d,
    Cliff's delta; Holm-adjusted p-values (of the Mann-Whitney test) within each outcome.

    Effect sizes come with 95% intervals: ``difference_low``/``difference_high``
    (Welch) for the difference of means and ``cliffs_low``/``cliffs_high`` (percentile
    bootstrap with ``draws`` resamples, seeded from the sweep's master seed) for Cliff's
    delta.  Pairs in which either condition is constant in the outcome
    (:func:`constant_outcomes`) are left out.  ``significant`` uses the Holm-adjusted
    Mann-Whitney p-value at ``alpha``; ``direction`` names the condition with the
    higher values.
    """
    s = data.summary
    constant = constant_outcomes(data, outcomes)
    fixed = set(zip(constant["outcome"], constant["condition"]))
    seed = _bootstrap_seed(data)
    rows = []
    for outcome in outcomes_present(s, outcomes):
        block = []
        for a, b in itertools.combinations(data.conditions, 2):
            if (outcome, a) in fixed or (outcome, b) in fixed:
                continue
            xa = s.loc[s["condition"] == a, outcome].to_numpy(float)
            xb = s.loc[s["condition"] == b, outcome].to_numpy(float)
            xa, xb = xa[np.isfinite(xa)], xb[np.isfinite(xb)]
            if len(xa) < 2 or len(xb) < 2:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                welch_p = float(stats.ttest_ind(xa, xb, equal_var=False).pvalue)
                mw_p = float(stats.mannwhitneyu(xa, xb, alternative="two-sided").pvalue)
            d_lo, d_hi = difference_ci(xa, xb)
            c_lo, c_hi = cliffs_delta_ci(xa, xb, draws=draws, seed=seed)
            block.append(
                {
                    "outcome": outcome,
                    "a": a,
                    "b": b,
                    "mean_a": float(xa.mean()),
                    "mean_b": float(xb.mean()),
                    "difference": float(xa.mean() - xb.mean()),
                    "difference_low": d_lo,
                    "difference_high": d_hi,
                    "n_a": len(xa),
                    "n_b": len(xb),
                    "welch_p": welch_p,
                    "mannwhitney_p": mw_p,
                    "cohens_d": cohens_d(xa, xb),
                    "cliffs_delta": cliffs_delta(xa, xb),
                    "cliffs_low": c_lo,
                    "cliffs_high": c_hi,
                }
            )
        if not block:
            continue
        df = pd.DataFrame(block)
        df["p_holm"] = holm(df["mannwhitney_p"].to_numpy())
        df["welch_p_holm"] = holm(df["welch_p"].to_numpy())
        df["significant"] = df["p_holm"] < alpha
        df["effect"] = df["cliffs_delta"].map(cliffs_magnitude)
        df["direction"] = np.where(df["difference"] > 0, df["a"], np.where(df["difference"] < 0, df["b"], ""))
        rows.append(df)
    if not rows:
        return pd.DataFrame()
    return pd.concat(rows, ignore_index=True)


def collapse_pairwise(data: SweepData, alpha: float = ALPHA) -> pd.DataFrame:
    """Pairs of conditions compared on the probability of collapse (Fisher's exact test, Holm).

    Empty when no run collapsed, or every run did: there is nothing to test."""
    s = data.summary
    if "verdict" not in s.columns or s["verdict"].isna().all():
        return pd.DataFrame()
    collapsed = s["verdict"].dropna() == "collapsed"
    if collapsed.all() or not collapsed.any():
        return pd.DataFrame()
    rows = []
    for a, b in itertools.combinations(data.conditions, 2):
        va = s.loc[s["condition"] == a, "verdict"].dropna()
        vb = s.loc[s["condition"] == b, "verdict"].dropna()
        ka, kb = int((va == "collapsed").sum()), int((vb == "collapsed").sum())
        if len(va) == 0 or len(vb) == 0:
            continue
        p = float(stats.fisher_exact([[ka, len(va) - ka], [kb, len(vb) - kb]]).pvalue)
        rows.append(
            {"a": a, "b": b, "p_collapse_a": ka / len(va), "p_collapse_b": kb / len(vb), "fisher_p": p}
        )
    df = pd.DataFrame(rows)
    if not df.empty:
        df["p_holm"] = holm(df["fisher_p"].to_numpy())
        df["significant"] = df["p_holm"] < alpha
    return df


def sensitivity(data: SweepData, outcomes: list[str] | None = None) -> pd.DataFrame:
    """How much each varied parameter moves each outcome.

    Sobol designs: first-order and total Sobol indices (Saltelli 2002, via
    SALib); Morris designs: mu* and sigma of elementary effects (Morris 1991;
    Campolongo et al. 2007); otherwise Spearman's rank correlation of the
    parameter with the outcome over runs.  Per scenario; outcomes are averaged
    over replications at each design point first.
    """
    man = data.manifest
    varied = [k for k in man.get("varied", []) if k in data.summary.columns]
    if not varied or data.summary.empty:
        return pd.DataFrame()
    method = man.get("design", "grid")
    points = man.get("points", [])
    rows = []
    for scen in data.summary["scenario"].unique():
        s = data.summary[data.summary["scenario"] == scen]
        for outcome in outcomes_present(s, outcomes):
            y_by_point = s.groupby("point")[outcome].mean()
            if not np.isfinite(y_by_point).any() or np.ptp(y_by_point.dropna()) == 0:
                continue  # the outcome does not vary: nothing to attribute
            complete = len(points) > 0 and all(p in y_by_point.index for p in range(len(points)))
            if method in ("sobol", "morris") and complete:
                problem = {
                    "num_vars": len(varied),
                    "names": varied,
                    "bounds": [man["ranges"][k] for k in varied],
                }
                y = y_by_point.reindex(range(len(points))).to_numpy(float)
                x = np.array([[p[k] for k in varied] for p in points], float)
                try:
                    if method == "sobol":
                        from SALib.analyze import sobol as sa

                        res = sa.analyze(problem, y, calc_second_order=False, print_to_console=False)
                        for i, k in enumerate(varied):
                            rows.append(
                                {
                                    "scenario": scen,
                                    "outcome": outcome,
                                    "parameter": k,
                                    "method": "sobol",
                                    "S1": res["S1"][i],
                                    "S1_conf": res["S1_conf"][i],
                                    "ST": res["ST"][i],
                                    "ST_conf": res["ST_conf"][i],
                                }
                            )
                    else:
                        from SALib.analyze import morris as ma

                        res = ma.analyze(
                            problem, x, y, num_levels=int(man.get("levels", 4) or 4), print_to_console=False
                        )
                        for i, k in enumerate(varied):
                            rows.append(
                                {
                                    "scenario": scen,
                                    "outcome": outcome,
                                    "parameter": k,
                                    "method": "morris",
                                    "mu_star": res["mu_star"][i],
                                    "mu_star_conf": res["mu_star_conf"][i],
                                    "sigma": res["sigma"][i],
                                }
                            )
                    continue
                except (ValueError, ZeroDivisionError, IndexError):
                    pass  # fall back to rank correlation below
            for k in varied:
                x = pd.to_numeric(s[k], errors="coerce").to_numpy(float)
                y = s[outcome].to_numpy(float)
                ok = np.isfinite(x) & np.isfinite(y)
                if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
                    continue
                r = stats.spearmanr(x[ok], y[ok])
                rows.append(
                    {
                        "scenario": scen,
                        "outcome": outcome,
                        "parameter": k,
                        "method": "spearman",
                        "rho": float(r.statistic),
                        "p": float(r.pvalue),
                    }
                )
    return pd.DataFrame(rows)


def agreement(pairs: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Which pairwise differences two sweeps (e.g. two master seeds) agree on.

    Returns one row per outcome and pair of conditions found in both, with
    ``significant_here``, ``significant_there``, whether the direction is the
    same, and ``stable`` = significant in both in the same direction.
    """
    if pairs.empty or other.empty:
        return pd.DataFrame()
    keys = ["outcome", "a", "b"]
    cols = keys + ["difference", "cliffs_delta", "p_holm", "significant"]
    m = pairs[cols].merge(other[cols], on=keys, suffixes=("_here", "_there"))
    m["same_direction"] = np.sign(m["difference_here"]) == np.sign(m["difference_there"])
    m["stable"] = m["significant_here"] & m["significant_there"] & m["same_direction"]
    return m


# -- resilience: health under the ordinary mix, tipping point against a share ------


def ordinary(data: SweepData) -> SweepData:
    """Only the runs of each scenario's own mix (of an experiment with ``[vary.share]``);
    ``data`` itself otherwise.  Conditions are then the scenarios, each at its point of a
    ``[vary.values]`` grid when one goes with ``[vary.share]``."""
    if share_column(data.summary) is None:
        return data
    keep = data.summary["ordinary_mix"].astype(bool)
    ids = set(data.summary.loc[keep, "run_id"])

    def sub(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["run_id"].isin(ids)] if not df.empty and "run_id" in df.columns else df

    summary = data.summary[keep].reset_index(drop=True)
    return SweepData(
        summary,
        sub(data.timeseries),
        sub(data.members),
        sub(data.failures),
        data.manifest,
        {k: sub(v) for k, v in data.extra.items()},
        [c for c in data.conditions if c in set(summary["condition"])],
    )


def _bootstrap_seed(data: SweepData) -> int:
    """The seed of a report's bootstrap intervals: the sweep's master seed modulo 2**32 (0
    without one), so that a report of the same runs draws the same resamples."""
    return int(data.manifest.get("master_seed", 0) or 0) % (2**32)


def _styles(data: SweepData) -> tuple[pd.Series, list[str]]:
    """Each run's style (:func:`style_labels`: its scenario, at its grid point when a grid
    goes with ``[vary.share]``) and the styles in the order of the conditions."""
    style = style_labels(data.summary, data.manifest)
    rank = {c: i for i, c in enumerate(data.conditions)}
    order = data.summary["condition"].map(rank).fillna(len(rank)).to_numpy()
    return style, list(dict.fromkeys(style.to_numpy()[np.argsort(order, kind="stable")]))


def collapse_by_share(data: SweepData) -> pd.DataFrame:
    """Per scenario and share level: runs, collapsed runs (verdict ``collapsed`` at the end),
    their share with a Wilson 95% interval.  With a grid of ``[vary.values]`` beside
    ``[vary.share]`` each point of the grid is a scenario of its own here, named
    ``open_mixer (exchange.b=3)`` (:func:`style_labels`).

    Columns: ``scenario, share, runs, collapsed, p, low, high``.  Empty without
    ``[vary.share]`` or verdicts."""
    s = data.summary
    col = share_column(s)
    if col is None or "verdict" not in s.columns:
        return pd.DataFrame()
    rows = []
    style, styles = _styles(data)
    for scen in styles:
        block = s[(style == scen) & s["verdict"].notna()]
        if block.empty:
            continue
        for level, g in block.groupby(col):
            k, n = int((g["verdict"] == "collapsed").sum()), len(g)
            p, lo, hi = wilson(k, n)
            rows.append(
                {
                    "scenario": scen,
                    "share": float(level),
                    "runs": n,
                    "collapsed": k,
                    "p": p,
                    "low": lo,
                    "high": hi,
                }
            )
    return pd.DataFrame(rows)


def resilience(data: SweepData, draws: int = TIPPING_DRAWS) -> pd.DataFrame:
    """Per scenario: health under the ordinary mix and the tipping point.

    * ``scenario``: the scenario; with a grid of ``[vary.values]`` beside ``[vary.share]``,
      the scenario at one point of the grid (``open_mixer (exchange.b=3)``, a row per point,
      the grid's keys as columns after it): runs at different points are never pooled;
    * ``strategy``: the strategy whose share ``[vary.share]`` varies (``share.<strategy>``);
    * ``healthy``/``p_healthy`` (Wilson 95% ``healthy_low``, ``healthy_high``): runs of
      the scenario's own mix whose verdict is in :data:`HEALTHY`;
    * ``needs_met`` (t 95% interval): share of needs met over the last quarter of those runs;
    * ``members_kept``: members at the end per member at the start, mean over those runs;
    * ``tipping``, ``tipping_low``, ``tipping_high``: the share at which the logistic curve
      of collapse (verdict ``collapsed`` at the end) against the share crosses 1/2, with a
      95% percentile interval from a nonparametric bootstrap of runs within each level
      (:func:`simulation.stats.tipping_point`); ``tipping_note`` says why there is none
      (e.g. no run collapsed at any level); ``tipping_separated``: every run up to one
      level held and every run from a later level on collapsed, with at most one level of
      mixed outcomes between them (:func:`simulation.stats.tipping_point`), so the runs only
      place the tipping point between those two levels (``tipping_low``, ``tipping_high``) and
      ``tipping`` is NaN; ``tipping_mixed_share``, ``tipping_mixed_collapsed``,
      ``tipping_mixed_runs``: that level of mixed outcomes, its collapsed runs and its runs
      (:class:`simulation.stats.MixedLevel`; NaN when there is none).

    Empty without ``[vary.share]`` or verdicts."""
    s = data.summary
    col = share_column(s)
    if col is None or "verdict" not in s.columns:
        return pd.DataFrame()
    seed = _bootstrap_seed(data)
    keys = grid_keys(s, data.manifest)
    rows = []
    style, styles = _styles(data)
    for scen in styles:
        block = s[(style == scen) & s["verdict"].notna()]
        if block.empty:
            continue
        own = block[block["ordinary_mix"].astype(bool)]
        k, n = int(own["verdict"].isin(HEALTHY).sum()), len(own)
        p, lo, hi = wilson(k, n)
        row: dict[str, Any] = {
            "scenario": scen,
            **{k: block[k].iloc[0] for k in keys},
            "strategy": col.split(".", 1)[1],
            "ordinary_share": float(own[col].iloc[0]) if n else float("nan"),
            "runs": n,
            "healthy": k,
            "p_healthy": p,
            "healthy_low": lo,
            "healthy_high": hi,
        }
        if "tail_fulfilment_rate" in own.columns:
            m, lo_, hi_, _ = mean_ci(
                own["tail_fulfilment_rate"].to_numpy(float), bounds=OUTCOME_BOUNDS["tail_fulfilment_rate"]
            )
            row |= {"needs_met": m, "needs_met_low": lo_, "needs_met_high": hi_}
        if "final_members" in own.columns and "members" in data.timeseries.columns and n:
            start = data.timeseries[
                (data.timeseries["step"] == 0) & data.timeseries["run_id"].isin(own["run_id"])
            ]
            start = start.set_index("run_id")["members"]
            kept = own.set_index("run_id")["final_members"] / start.reindex(own["run_id"]).to_numpy()
            row["members_kept"] = float(kept.mean())
        est = tipping_point(
            block[col].to_numpy(float),
            (block["verdict"] == "collapsed").to_numpy(float),
            draws=draws,
            seed=seed,
        )
        row |= {
            "tipping": est.value,
            "tipping_low": est.low,
            "tipping_high": est.high,
            "tipping_separated": est.separated,
            "tipping_runs": est.n,
            # the level of mixed outcomes of a separated tipping point (NaN without one)
            "tipping_mixed_share": est.mixed.level if est.mixed else float("nan"),
            "tipping_mixed_collapsed": est.mixed.outcomes if est.mixed else float("nan"),
            "tipping_mixed_runs": est.mixed.runs if est.mixed else float("nan"),
            "max_share": float(block[col].max()),
            "tipping_note": est.note,
        }
        rows.append(row)
    return pd.DataFrame(rows)
