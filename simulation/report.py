"""The report of a sweep: figures (PNG and SVG), tables (CSV) and one self-contained
``report.html`` that opens offline (figures embedded, no external CSS or script).

:func:`write_report` reads a store, runs every analysis of
:mod:`simulation.analysis` that its tables allow (failed runs are listed,
missing ecosystem data is skipped with a note) and writes::

    DIR/report/report.html
    DIR/report/figures/<name>.png and .svg
    DIR/report/tables/<name>.csv
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import analysis as an
from .io import atomic_path, check_out_folder, write_table
from .stats import NOTE_ALWAYS, NOTE_NEVER, smallest_mannwhitney_p
from .store import Store, now

__all__ = ["write_report", "conclusions", "headline", "resilience_view", "tipping_text", "terminal_summary"]


def write_report(
    store_dir: str | Path, out_dir: str | Path | None = None, compare: str | Path | None = None
) -> Path:
    """Analyse the store at ``store_dir`` and write its report; returns the path of ``report.html``.

    ``compare`` is another store of the same experiment (e.g. another master seed): the
    report then says which significant differences hold in both.

    Raises
    ------
    InputError
        ``store_dir`` is not a results folder.
    """
    from .errors import InputError

    store = Store(store_dir)
    _check_store(store)
    # the store to compare with is checked before anything is written: a wrong one left a
    # report folder of figures and tables without its report.html
    other_store = Store(compare) if compare is not None else None
    if other_store is not None:
        _check_store(other_store, "--compare ")
        mine, theirs = store.manifest().get("experiment"), other_store.manifest().get("experiment")
        if mine != theirs:
            raise InputError(
                f"--compare {other_store.path}: a sweep of experiment {theirs!r}; expected another "
                f"results folder of {mine!r} (e.g. the same file with another --seed)"
            )
    out = Path(out_dir) if out_dir else store.path / "report"
    check_out_folder(out, f"--out {out}" if out_dir else str(out))
    figs_dir, tabs_dir = out / "figures", out / "tables"
    # the figures and tables of an earlier report in this folder go: one this report does
    # not write (agreement.csv without --compare, a section with nothing to show) would
    # otherwise stay beside it as if it were current
    for stale in [*figs_dir.glob("*.png"), *figs_dir.glob("*.svg"), *tabs_dir.glob("*.csv")]:
        stale.unlink()
    data = an.load(store)
    sections: list[str] = []
    figures: dict[str, Path] = {}

    def figure(name: str, fig) -> str:
        from . import plots

        png, _svg = plots.save(fig, figs_dir, name)
        figures[name] = png
        return _img(png, name)

    def table(name: str, df: pd.DataFrame) -> None:
        if not df.empty:
            write_table(tabs_dir / f"{name}.csv", df, "csv")

    man = data.manifest
    n_done, n_failed = len(data.summary), len(data.failures)
    if data.summary.empty:
        sections.append(_section("Results", "<p>No run has finished yet: nothing to analyse.</p>"))
    else:
        from . import plots

        res = an.resilience(data)
        answer = ""
        if not res.empty:
            by_share = an.collapse_by_share(data)
            table("resilience", res)
            table("collapse_by_share", by_share)
            who = str(res["strategy"].iloc[0])
            answer = _section(
                "The answer",
                "<ul class='answer'>"
                + "".join(f"<li>{html.escape(s)}</li>" for s in headline(res, who))
                + "</ul>"
                + figure("collapse_by_share", plots.collapse_by_share(by_share, res, who=f"{who}s"))
                + "<p class='lead'>Dots: the share of runs that ended collapsed at each share, with Wilson 95% intervals; diamonds on the dashed 50% line: tipping points with their 95% intervals; a bar on that line without a diamond: a tipping point the runs only place between two levels.</p>"
                + _table(resilience_view(res, who), digits=2)
                + f"<p class='lead'>{_tipping_method(who)} "
                "The sections below analyse the runs of each style's ordinary mix.</p>",
                f"<b>Healthy</b>: {_HEALTH_DEFINITION}",
            )
            data = an.ordinary(data)
        outcomes = an.outcomes_present(data.summary)
        conds = data.conditions
        strategies = data.strategies

        # trajectories
        traj = an.trajectories(data.timeseries)
        table("trajectories", traj)
        body = figure("trajectories", plots.trajectories(traj, conds, an.TRAJECTORY_METRICS))
        straj = an.trajectories(data.timeseries, [f"wealth_{s}" for s in strategies])
        if not straj.empty:
            body += figure("strategy_wealth_over_time", plots.strategy_trajectories(straj, conds, strategies))
        sections.append(
            _section(
                "Trajectories",
                body,
                "Mean over runs at each week; bands are 95% t-intervals. Where a curve has spikes (weeks "
                f"more than {plots.SPIKE_K:g} robust standard deviations from its {plots.SPIKE_WINDOW}-week "
                "running median, e.g. the weeks paid events are held) the y-axis shows the other weeks, "
                "and the panel says how many points lie off the axis and how far the furthest reaches.",
            )
        )

        # final states
        finals = an.final_states(data, outcomes)
        table("final_states", finals)
        body = figure("final_states", plots.final_states(data.summary, conds, outcomes))
        body += _table(_final_wide(finals), digits=3)
        sections.append(
            _section(
                "Final states",
                body,
                (
                    "Mean [95% t interval] over runs, cut to the values the outcome can take (shares to "
                    "[0, 1], counts to 0 and above); n runs per condition."
                ),
            )
        )

        # collapse
        col = an.collapse(data)
        table("collapse", col)
        if col.empty:
            body = "<p class='note'>These runs record no verdict (they collect only the light metrics, which lack welfare and needs), so collapse is not assessed.</p>"
        else:
            body = figure("collapse", plots.collapse(col))
            body += _table(_collapse_view(col), digits=3)
            cp = an.collapse_pairwise(data)
            table("collapse_pairwise", cp)
            if not cp.empty and cp["significant"].any():
                body += "<h3>Significant differences in collapse probability (Fisher, Holm)</h3>"
                body += _table(cp[cp["significant"]], digits=4)
        sections.append(
            _section(
                "Collapse",
                body,
                "Share of runs per verdict (criteria in docs/ecosystems.md); intervals are Wilson 95% score intervals.",
            )
        )

        # wealth by strategy and deciles
        wbs = an.wealth_by_strategy(data)
        dec = an.deciles(data)
        table("wealth_by_strategy", wbs)
        table("deciles", dec)
        body = ""
        if not wbs.empty:
            body += figure("wealth_by_strategy", plots.wealth_by_strategy(wbs, conds, strategies))
        if not dec.empty:
            body += figure("deciles", plots.deciles(dec, conds, strategies))
            body += _givers_both_ends(dec)
            body += _table(
                dec[
                    [
                        "condition",
                        "strategy",
                        "share_of_members",
                        "top_representation",
                        "top_p",
                        "bottom_representation",
                        "bottom_p",
                        "both_ends",
                    ]
                ],
                digits=3,
            )
        sections.append(
            _section(
                "Wealth by strategy",
                body or "<p class='note'>No member tables stored.</p>",
                "Representation = a strategy's share of the top (bottom) 10% by final wealth divided by its share "
                "of all members, averaged over runs; p from a one-sample t-test of the share difference.",
            )
        )

        # ecosystems
        eco = an.ecosystem_life(data)
        table("ecosystem_life", eco)
        if eco.empty:
            body = "<p class='note'>No ecosystem tracking in these runs.</p>"
        else:
            body = ""
            if any(c.endswith("_per_run") and c != "ecosystems_per_run" for c in eco.columns):
                body += figure("ecosystem_events", plots.ecosystem_events(eco))
            body += _table(eco, digits=2)
        sections.append(_section("Ecosystem life", body))

        # comparisons
        pairs = an.pairwise(data, outcomes)
        constant = an.constant_outcomes(data, outcomes)
        table("pairwise", pairs)
        table("constant_outcomes", constant)
        if pairs.empty and not constant.empty and len(conds) > 1:
            sections.append(_section("Pairwise comparisons", _constant_note(constant, conds)))
        if not pairs.empty and len(conds) > 1:
            tested = [o for o in outcomes if o in set(pairs["outcome"])]
            body = _constant_note(constant, conds) + figure(
                "effect_sizes", plots.effect_sizes(pairs, conds, tested)
            )
            sig = pairs[pairs["significant"]]
            body += f"<p>{len(sig)} of {len(pairs)} comparisons are significant after Holm correction (within each outcome, α = {an.ALPHA:g})"
            if all(_smallest_holm_p(b) >= an.ALPHA for _, b in pairs.groupby("outcome", sort=False)):
                body += ": with these runs per condition none could be, however different the conditions"
            body += ".</p>"
            if not sig.empty:
                body += "<h3>Significant differences</h3>" + _table(_significant_view(sig), digits=3)
            cols = [
                "outcome",
                "a",
                "b",
                "mean_a",
                "mean_b",
                "difference_low",
                "difference_high",
                "cliffs_delta",
                "cliffs_low",
                "cliffs_high",
                "effect",
                "cohens_d",
                "mannwhitney_p",
                "p_holm",
                "welch_p_holm",
                "significant",
            ]
            body += (
                "<details><summary>All comparisons</summary>" + _table(pairs[cols], digits=4) + "</details>"
            )
            sections.append(
                _section(
                    "Pairwise comparisons",
                    body,
                    "Mann-Whitney U (two-sided) with Holm correction within each outcome; Welch's t for reference; "
                    "effect sizes: Cliff's delta (|δ| < 0.147 negligible, < 0.33 small, < 0.474 medium, else large) "
                    f"with a 95% percentile bootstrap interval ({an.PAIRWISE_DRAWS} resamples of each condition's runs), the "
                    "difference of means with Welch's 95% interval, and Cohen's d. An outcome that is the same "
                    "in every run of a condition is not tested for that condition (see the note above).",
                )
            )

            if other_store is not None:
                # the same runs as here: with a [vary.share], each style's ordinary mix (the pairs
                # of every condition, Holm-corrected over all of them, found nothing significant)
                other = an.ordinary(an.load(other_store))
                agree = an.agreement(pairs, an.pairwise(other, outcomes))
                table("agreement", agree)
                sections.append(
                    _section(
                        "Stability across sweeps", _stability(agree, other_store.path, man, other.manifest)
                    )
                )

        sens = an.sensitivity(data, outcomes)
        table("sensitivity", sens)
        if not sens.empty:
            sections.append(
                _section(
                    "Parameter sensitivity",
                    _table(sens, digits=3),
                    f"Design: {html.escape(str(man.get('design')))}.",
                )
            )

        concl = conclusions(data, pairs, dec, col, constant)
        sections.insert(
            0, _section("Conclusions" if not answer else "Differences under the ordinary mix", concl)
        )
        if answer:
            sections.insert(0, answer)

    if n_failed:
        rows = "".join(
            f"<details><summary><code>{html.escape(str(r.run_id))}</code> ({html.escape(str(r.get('scenario', '')))}): "
            f"{html.escape(str(r.get('error', '')))}</summary><pre>{html.escape(str(r.get('traceback', '')))}</pre></details>"
            for _, r in data.failures.iterrows()
        )
        sections.append(
            _section(
                "Failed runs",
                rows,
                f"{n_failed} runs raised; they are left out of every statistic above. "
                "<code>givetake sweep … --resume</code> retries them.",
            )
        )
        table("failures", data.failures.drop(columns=["traceback"], errors="ignore").astype(str))
    sections.append(_section("Run metadata", _metadata(man, n_done, n_failed)))

    page = _page(man, sections, n_done, n_failed)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


# -- the answer: health and tipping point per style ------------------------------


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def _health_definition() -> str:
    """The one definition of a healthy run, from the verdict's default thresholds."""
    from .verdict import VerdictCriteria

    c = VerdictCriteria()
    tail = "quarter" if c.tail == 0.25 else f"{_pct(c.tail)} of weeks"
    return (
        f"a run is healthy when, over its last {tail}, it keeps at least "
        f"{_pct(c.min_retained)} of its starting members, creates net value (at least {c.min_value:g} per "
        f"member-week), meets at least {_pct(c.min_fulfilment)} of needs, loses at most {c.max_turnover:g} "
        f"leaver{'' if c.max_turnover == 1 else 's'} per member-year and keeps at least {_pct(c.giant_fraction)} of members in one connected "
        "group, and is not in a collapse: its verdict is flourishing, stable or recovered "
        "(docs/ecosystems.md)."
    )


_HEALTH_DEFINITION = _health_definition()


def _tipping_method(who: str) -> str:
    return (
        f"Tipping point: the share of {who}s at which collapse (a run ending collapsed) becomes more likely "
        "than not, where a logistic curve fitted to every run of the style crosses 1/2; "
        f"the 95% interval is the 2.5–97.5 percentile of {an.TIPPING_DRAWS} nonparametric bootstrap fits "
        "(runs resampled within each level). Where no run collapsed up to one level and every run "
        "collapsed from a later level on, with at most one level of mixed outcomes between them, the "
        "runs only place the tipping point between those two levels (or between one of them and the "
        "level of mixed outcomes, when most runs there collapsed, or few, Wilson 95% interval wholly "
        "above or below 1/2): it is given as that interval, without a single value (a fitted midpoint "
        "would only reflect the levels chosen)."
    )


def tipping_text(r: Any) -> str:
    """A style's tipping point in words: ``45% [38%, 52%]``, ``between 40% and 60%``,
    ``beyond 80%``, ``below 0%`` ..."""
    if _separated(r):
        return f"between {_pct(r.tipping_low)} and {_pct(r.tipping_high)} (runs separate)"
    if np.isfinite(r.tipping):
        if r.tipping > r.max_share:
            return f"beyond {_pct(r.max_share)} (extrapolated)"
        if r.tipping < 0:
            return "below 0% (collapse is likely even without them)"
        return f"{_pct(r.tipping)} [{_bound(r.tipping_low, r)}, {_bound(r.tipping_high, r)}]"
    key = _resists(r)
    if key == math.inf:
        return f"none up to {_pct(r.max_share)} (no run collapsed)"
    if key == -math.inf:
        return "at every share (every run collapsed)"
    return "none (collapse does not rise with the share)"


def _bound(v: float, r: Any) -> str:
    """A bound of a tipping point's interval: past the shares tried it only says where the
    bootstrap fits went beyond them (up to half the range past the last share), not a
    share the runs tried, so it reads ``beyond 60%`` (or ``below 0%``)."""
    if v > r.max_share:
        return f"beyond {_pct(r.max_share)}"
    if v < 0:
        return "below 0%"
    return _pct(v)


def _separated(r: Any) -> bool:
    v = getattr(r, "tipping_separated", False)
    return bool(v) and not (isinstance(v, float) and math.isnan(v))


def _mixed_level(r: Any) -> tuple[float, int, int] | None:
    """The level of mixed outcomes between a separated tipping point's two levels, with
    its collapsed runs and runs (the ``tipping_mixed_*`` columns of
    :func:`simulation.analysis.resilience`); None without one, and for a table written
    before those columns were."""
    share = getattr(r, "tipping_mixed_share", math.nan)
    if share is None or not np.isfinite(share):
        return None
    return float(share), int(r.tipping_mixed_collapsed), int(r.tipping_mixed_runs)


def _tipping_sentence(r: Any, who: str) -> str:
    if _separated(r):
        # a level of mixed outcomes bounds the interval when most runs (or few) collapsed
        # there: its counts are said, not "every run" (or "no run")
        low, high = f"no run collapsed at {_pct(r.tipping_low)}", f"every run did at {_pct(r.tipping_high)}"
        mixed = _mixed_level(r)
        if mixed is not None and math.isclose(mixed[0], r.tipping_low):
            low = f"{mixed[1]} of {mixed[2]} runs collapsed at {_pct(r.tipping_low)}"
        if mixed is not None and math.isclose(mixed[0], r.tipping_high):
            high = f"{mixed[1]} of {mixed[2]} did at {_pct(r.tipping_high)}"
        return (
            f"collapse becomes more likely than not somewhere between {_pct(r.tipping_low)} and "
            f"{_pct(r.tipping_high)} {who}s ({low}, {high}; the runs tell no more)"
        )
    if np.isfinite(r.tipping) and 0 <= r.tipping <= r.max_share:
        return (
            f"collapse becomes more likely than not at {_pct(r.tipping)} {who}s "
            f"(95% interval {_bound(r.tipping_low, r)} to {_bound(r.tipping_high, r)})"
        )
    if _resists(r) == math.inf or (np.isfinite(r.tipping) and r.tipping > r.max_share):
        return f"collapse stays less likely than not up to {_pct(r.max_share)} {who}s, the most tried"
    if _resists(r) == -math.inf or (np.isfinite(r.tipping) and r.tipping < 0):
        return f"collapse is more likely than not at every share of {who}s tried"
    return f"collapse does not rise with the share of {who}s"


def _resists(r: Any) -> float:
    """Sort key: how much taking a style withstands (higher is better); a tipping point
    known only to lie between two levels counts as their midpoint, for ordering only."""
    if _separated(r):
        return (float(r.tipping_low) + float(r.tipping_high)) / 2
    if np.isfinite(r.tipping):
        return float(r.tipping)
    note = str(r.tipping_note)
    if note.startswith(NOTE_NEVER):
        return math.inf
    if note.startswith(NOTE_ALWAYS):
        return -math.inf
    return math.nan


def headline(res: pd.DataFrame, who: str = "taker") -> list[str]:
    """The answer in plain words: which style is healthiest under the ordinary mix, and
    which withstands the most ``who``s (with intervals)."""
    if res.empty:
        return []
    lines = []
    rows = list(res.itertuples())
    best = max(r.p_healthy for r in rows)
    top = [r for r in rows if r.p_healthy == best]
    needs = {r.scenario: getattr(r, "needs_met", math.nan) for r in rows}
    top.sort(key=lambda r: -(needs[r.scenario] if np.isfinite(needs[r.scenario]) else -1))
    first = top[0]
    met = ""
    if np.isfinite(needs[first.scenario]):
        met = f"{_pct(first.needs_met)} of needs met [{_pct(first.needs_met_low)}, {_pct(first.needs_met_high)}]"
    if len(top) == len(rows) > 1:
        # every style equally healthy: health does not rank them, so say so and rank by needs met
        text = (
            f"Healthiest under the ordinary mix: no style stands out: every style was healthy in "
            f"{first.healthy} of {first.runs} runs ({_pct(first.p_healthy)} [{_pct(first.healthy_low)}, "
            f"{_pct(first.healthy_high)}]), so health does not tell them apart in these runs"
        )
        if met:
            text += f"; most needs met: {first.scenario} ({met})"
        lines.append(text + ".")
    else:
        text = (
            f"Healthiest under the ordinary mix: {first.scenario} (healthy in {first.healthy} of {first.runs} "
            f"runs, {_pct(first.p_healthy)} [{_pct(first.healthy_low)}, {_pct(first.healthy_high)}]"
        )
        if met:
            text += f", {met}"
        text += ")"
        if len(top) > 1:
            text += "; as healthy: " + ", ".join(r.scenario for r in top[1:]) + " (ranked by needs met)"
        # fewer healthy runs, but as few runs may not tell them apart: said as for the tipping points
        like_top = [
            r
            for r in rows
            if r not in top and r.healthy_high > first.healthy_low and first.healthy_high > r.healthy_low
        ]
        if like_top:
            text += (
                f"; {', '.join(r.scenario for r in like_top)} cannot be told apart from it in health "
                "(their intervals overlap)"
            )
        lines.append(text + ".")
    worst = [r for r in rows if r.p_healthy == min(r.p_healthy for r in rows)]
    if worst and worst[0].p_healthy < best:
        lines.append(
            "Least healthy: "
            + ", ".join(f"{r.scenario} (healthy in {r.healthy} of {r.runs} runs)" for r in worst)
            + "."
        )
    known = [r for r in rows if not np.isnan(_resists(r))]
    if not known:
        lines.append(f"No style's collapse rises with the share of {who}s in these runs.")
        return lines
    best = max(known, key=_resists)
    like_best = [r for r in known if r is not best and _overlap(r, best)]
    text = f"Withstands {who}s best: {best.scenario}: {_tipping_sentence(best, who)}"
    if like_best:
        text += (
            f"; {', '.join(r.scenario for r in like_best)} cannot be told apart from it "
            "(their intervals overlap)"
        )
    lines.append(text + ".")
    worst = min(known, key=_resists)
    if worst is not best and worst not in like_best:
        like_worst = [r for r in known if r is not worst and r not in like_best and _overlap(r, worst)]
        text = f"Tips first: {worst.scenario}: {_tipping_sentence(worst, who)}"
        if like_worst:
            text += (
                f"; {', '.join(r.scenario for r in like_worst)} may tip as early (their intervals overlap)"
            )
        lines.append(text + ".")
    elif len(known) > 1:
        lines.append(
            f"The tipping points of {', '.join(r.scenario for r in known)} cannot be told apart in these "
            "runs (their intervals overlap)."
        )
    return lines


def _span(r: Any) -> tuple[float, float]:
    """Where a style's tipping point may lie: its interval, or beyond/below the shares tried."""
    if _separated(r) or np.isfinite(r.tipping):
        return float(r.tipping_low), float(r.tipping_high)
    key = _resists(r)
    return (float(r.max_share), math.inf) if key == math.inf else (-math.inf, 0.0)


def _overlap(a: Any, b: Any) -> bool:
    (a_lo, a_hi), (b_lo, b_hi) = _span(a), _span(b)
    return a_lo < b_hi and b_lo < a_hi


def resilience_view(res: pd.DataFrame, who: str = "taker") -> pd.DataFrame:
    """The table of the answer: one row per style, in words and percentages."""
    rows = []
    for r in res.itertuples():
        row = {
            "style": r.scenario,
            f"{who}s in its mix": _pct(r.ordinary_share),
            "healthy runs (ordinary mix)": f"{r.healthy}/{r.runs} = {_pct(r.p_healthy)} "
            f"[{_pct(r.healthy_low)}, {_pct(r.healthy_high)}]",
        }
        if hasattr(r, "needs_met"):
            row["needs met"] = f"{_pct(r.needs_met)} [{_pct(r.needs_met_low)}, {_pct(r.needs_met_high)}]"
        if hasattr(r, "members_kept"):
            row["members vs start"] = _pct(r.members_kept)  # newcomers count: can pass 100%
        row[f"tipping point ({who} share)"] = tipping_text(r)
        rows.append(row)
    return pd.DataFrame(rows)


def terminal_summary(report_html: str | Path, width: int = 100) -> str:
    """The answer of a written report for the terminal: the table of health and tipping
    points and the headline sentences (empty when the experiment varies no share)."""
    import textwrap

    tables = Path(report_html).parent / "tables"
    path = tables / "resilience.csv"
    if not path.is_file():
        return ""
    res = pd.read_csv(path, keep_default_na=True)
    res["tipping_note"] = res["tipping_note"].fillna("")
    # the strategy whose share the experiment varied (tables written before it was recorded: takers)
    who = str(res["strategy"].iloc[0]) if "strategy" in res.columns and len(res) else "taker"
    shares = tables / "collapse_by_share.csv"
    view = resilience_view(res, who)
    lines = [
        "Healthy = " + _HEALTH_DEFINITION,
        f"Tipping point = the {who} share at which collapse becomes more likely than not "
        "(logistic fit, 95% bootstrap interval; where the runs separate between two levels, "
        "only that interval).",
    ]
    out = [textwrap.fill(x, width) for x in lines]
    short = {
        f"{who}s in its mix": f"{who}s",
        "healthy runs (ordinary mix)": "healthy runs",
        f"tipping point ({who} share)": "tipping point",
    }
    view = view.rename(columns=short)
    text = view.to_string(
        index=False,
        justify="left",
        formatters={c: f"{{:<{view[c].str.len().max()}}}".format for c in view.columns},
    )
    out += ["", text, ""]
    out += [textwrap.fill(s, width, subsequent_indent="  ") for s in headline(res, who)]
    if shares.is_file():
        n = pd.read_csv(shares)["runs"]
        each = f"{int(n.min())}" if n.min() == n.max() else f"{int(n.min())}–{int(n.max())}"
        out.append(f"({int(n.sum())} runs, {each} per style and share.)")
    return "\n".join(out)


# -- conclusions in plain words -------------------------------------------------


def conclusions(
    data: an.SweepData,
    pairs: pd.DataFrame,
    dec: pd.DataFrame,
    col: pd.DataFrame,
    constant: pd.DataFrame | None = None,
) -> str:
    """Plain-words findings: the significant differences, collapse and the deciles claim.

    An outcome that is the same in every run of some conditions (``constant``, from
    :func:`simulation.analysis.constant_outcomes`) is said to be so, not ranked."""
    items: list[str] = []
    n_runs = data.summary.groupby("condition").size()
    each = (
        f"{int(n_runs.min())}" if n_runs.min() == n_runs.max() else f"{int(n_runs.min())}–{int(n_runs.max())}"
    )
    items.append(f"{len(data.summary)} runs over {len(data.conditions)} conditions ({each} runs each).")
    if constant is not None and not constant.empty and len(data.conditions) > 1:
        for outcome, block in constant.groupby("outcome", sort=False):
            label = html.escape(an.OUTCOME_LABELS.get(outcome, outcome))
            where = ", ".join(f"{html.escape(r.condition)} ({_fmt(r.value, 3)})" for r in block.itertuples())
            if len(block) == len(data.conditions):
                items.append(
                    f"<b>{label}</b>: the same in every run of every condition ({where}): no run "
                    "differs from another, so there is nothing to test; not compared."
                )
            else:
                items.append(
                    f"<b>{label}</b>: the same in every run of {where}: no variation across runs, "
                    "so those conditions are left out of its comparisons."
                )
    untestable: list[tuple[str, float]] = []
    if not pairs.empty:
        for outcome, block in pairs.groupby("outcome", sort=False):
            label = an.OUTCOME_LABELS.get(outcome, outcome)
            means = data.summary.groupby("condition")[outcome].mean().reindex(data.conditions)
            ranking = " > ".join(html.escape(c) for c in means.sort_values(ascending=False).index)
            sig = block[block["significant"]]
            large = sig[sig["effect"] == "large"]
            if sig.empty:
                floor = _smallest_holm_p(block)
                if floor >= an.ALPHA:
                    untestable.append((label, floor))
                else:
                    items.append(
                        f"<b>{html.escape(label)}</b>: no significant difference between conditions."
                    )
                continue
            text = f"<b>{html.escape(label)}</b>: {ranking} (by mean). {len(sig)} of {len(block)} pairs differ significantly"
            if len(large):
                examples = "; ".join(
                    f"{html.escape(r.direction)} higher than {html.escape(r.b if r.direction == r.a else r.a)} "
                    f"(δ = {abs(r.cliffs_delta):.2f}{_delta_interval(r)})"
                    for r in large.sort_values("cliffs_delta", key=abs, ascending=False).head(3).itertuples()
                )
                text += f", {len(large)} with a large effect, e.g. {examples}"
            items.append(text + ".")
    if untestable:
        labels = ", ".join(f"<b>{html.escape(label)}</b>" for label, _ in untestable)
        floor = min(f for _, f in untestable)
        items.append(
            f"{labels}: no difference could be significant with {each} runs per condition: even "
            f"conditions whose runs do not overlap at all get p = {floor:.2g} or more (Mann-Whitney "
            "test, Holm's correction over the pairs of conditions); more replications are needed "
            "to tell the conditions apart."
        )
    if not col.empty and "p_collapsed" in col.columns:
        parts = [
            f"{html.escape(r.condition)} {r.p_collapsed:.0%} [{r.low_collapsed:.0%}, {r.high_collapsed:.0%}]"
            for r in col.itertuples()
        ]
        items.append("<b>Probability of collapse</b> (95% Wilson interval): " + "; ".join(parts) + ".")
    if not dec.empty:
        items.append(_givers_both_ends(dec, inline=True))
    return "<ul>" + "".join(f"<li>{t}</li>" for t in items) + "</ul>"


def _smallest_holm_p(block: pd.DataFrame) -> float:
    """The smallest Holm-adjusted p-value one outcome's pairs (rows of
    :func:`simulation.analysis.pairwise`) could have had, whatever the runs' values: the
    number of pairs times the smallest p-value their sizes allow (at most 1)."""
    smallest = min(smallest_mannwhitney_p(int(r.n_a), int(r.n_b)) for r in block.itertuples())
    return min(1.0, len(block) * smallest)


def _check_store(store: Store, option: str = "") -> None:
    """Refuse (:class:`~simulation.errors.InputError`) a folder that is no store, or whose
    stored runs are missing or corrupt."""
    from .errors import InputError

    if not store.exists():
        raise InputError(f"{option}{store.path}: not a givetake results folder (no manifest.json)")
    corrupt = store.verify()
    if corrupt:
        run_id, why = next(iter(corrupt.items()))
        raise InputError(
            f"{option}{store.path}: {len(corrupt)} stored run(s) missing or corrupt, e.g. {run_id} ({why}); "
            "`givetake sweep EXPERIMENT --out DIR --resume` runs them again, `givetake sweep --verify DIR` "
            "lists them"
        )


def _delta_interval(r: Any) -> str:
    """`` [lo, hi]`` of a pair's |Cliff's delta| (the interval of the higher condition's delta)."""
    lo, hi = getattr(r, "cliffs_low", math.nan), getattr(r, "cliffs_high", math.nan)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    if r.cliffs_delta < 0:
        lo, hi = -hi, -lo
    return f" [{lo:.2f}, {hi:.2f}]"


def _constant_note(constant: pd.DataFrame, conditions: list[str]) -> str:
    """Which outcomes are not tested where, and why."""
    if constant.empty:
        return ""
    items = []
    for outcome, block in constant.groupby("outcome", sort=False):
        label = html.escape(an.OUTCOME_LABELS.get(outcome, outcome))
        where = ", ".join(f"{html.escape(r.condition)} = {_fmt(r.value, 3)}" for r in block.itertuples())
        every = " (every condition)" if len(block) == len(conditions) else ""
        items.append(f"<li><b>{label}</b>: {where}{every}</li>")
    return (
        "<p class='note'>Not tested: these outcomes are the same in every run of the conditions named "
        "(often by construction, e.g. the members at the end when every member who leaves is "
        "replaced), so a test against them would only restate that value. Pairs involving those "
        "conditions are left out for that outcome.</p><ul>" + "".join(items) + "</ul>"
    )


def _givers_both_ends(dec: pd.DataFrame, inline: bool = False) -> str:
    g = dec[dec["strategy"] == "giver"]
    if g.empty:
        return "" if inline else "<p class='note'>No givers in these runs.</p>"
    yes = g[g["both_ends"]]["condition"].tolist()
    top_only = g[(g["top_representation"] > 1) & (g["top_p"] < 0.05) & ~g["both_ends"]]["condition"].tolist()
    bottom_only = g[(g["bottom_representation"] > 1) & (g["bottom_p"] < 0.05) & ~g["both_ends"]][
        "condition"
    ].tolist()
    esc = lambda xs: ", ".join(html.escape(x) for x in xs) or "none"  # noqa: E731
    text = (
        "<b>Givers at both ends</b> (Grant 2013: givers over-represented among the least <i>and</i> the most "
        f"successful): significant in {esc(yes)}; givers over-represented only at the top in {esc(top_only)}, "
        f"only at the bottom in {esc(bottom_only)}."
    )
    return text if inline else f"<p>{text}</p>"


# -- HTML helpers -----------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #2a9d8f;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.82em;margin:.8em 0;display:block;overflow-x:auto}
th,td{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
th{background:#f3f5f4;position:sticky;top:0}td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto;margin:.6em 0}.note{color:#666;font-style:italic}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.8em}
details{margin:.3em 0}summary{cursor:pointer}.meta td{text-align:left;white-space:normal}
.lead{color:#555}
"""


_SECTION = re.compile(r'<section id="([^"]+)"><h2>([^<]+)</h2>')


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _section(title: str, body: str, lead: str = "") -> str:
    anchor = title.lower().replace(" ", "-")
    lead_html = f"<p class='lead'>{lead}</p>" if lead else ""
    return f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{lead_html}{body}</section>'


def _fmt(v: Any, digits: int) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        if not np.isfinite(v):
            return "–"
        if v != 0 and abs(v) < 10 ** (-digits):
            return f"{v:.1e}"
        return f"{v:,.{digits}f}"
    return str(v)


#: column headings in words for the report's tables (their CSV files keep the column names)
_HEADINGS = {
    "share_of_members": "share of members",
    "top_representation": "top 10%: representation",
    "top_p": "top 10%: p",
    "bottom_representation": "bottom 10%: representation",
    "bottom_p": "bottom 10%: p",
    "both_ends": "over-represented at both ends",
    "mean_lifetime_steps": "mean lifetime (weeks)",
    "median_lifetime_steps": "median lifetime (weeks)",
}


def _heading(column) -> str:
    """A table column's heading in words.

    Examples
    --------
    >>> [_heading(c) for c in ("top_p", "birth_per_run", "share_dissolved", "condition")]
    ['top 10%: p', 'births a run', 'share dissolved', 'condition']
    """
    name = str(column)
    if name in _HEADINGS:
        return _HEADINGS[name]
    if name.endswith("_per_run"):  # an event's count, e.g. birth_per_run, or ecosystems_per_run
        what = name.removesuffix("_per_run").replace("_", " ")
        return f"{what if what.endswith('s') else what + 's'} a run"
    return name.replace("_", " ")


def _table(df: pd.DataFrame, digits: int = 3) -> str:
    if df.empty:
        return ""
    head = "".join(f"<th>{html.escape(_heading(c))}</th>" for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v, digits))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _final_wide(finals: pd.DataFrame) -> pd.DataFrame:
    if finals.empty:
        return finals
    finals = finals.copy()
    finals["cell"] = [
        f"{_fmt(m, 3)} [{_fmt(lo, 3)}, {_fmt(hi, 3)}]"
        for m, lo, hi in zip(finals["mean"], finals["low"], finals["high"])
    ]
    wide = finals.pivot(index="condition", columns="outcome", values="cell")
    order = list(dict.fromkeys(finals["condition"]))
    wide = wide.reindex(order)[list(dict.fromkeys(finals["outcome"]))]
    wide.columns = [an.OUTCOME_LABELS.get(c, c) for c in wide.columns]
    n = finals.groupby("condition")["n"].max().reindex(order)
    wide.insert(0, "n", n.to_numpy())
    return wide.reset_index()


def _stability(agree: pd.DataFrame, other: Path, man: dict, other_man: dict) -> str:
    if agree.empty:
        return "<p class='note'>The two sweeps share no comparisons.</p>"
    here, there = agree["significant_here"], agree["significant_there"]
    stable = agree[agree["stable"]]
    text = (
        f"<p>Compared with <code>{html.escape(str(other))}</code> (master seed {html.escape(str(other_man.get('master_seed')))}; "
        f"this sweep: {html.escape(str(man.get('master_seed')))}): of {len(agree)} comparisons, {int(here.sum())} are "
        f"significant here, {int(there.sum())} there, and <b>{len(stable)} in both, in the same direction</b>; "
        f"{int((here ^ there).sum())} are significant in only one of them.</p>"
    )
    if man.get("master_seed") is not None and man.get("master_seed") == other_man.get("master_seed"):
        text += (
            "<p class='note'>Both sweeps have the same master seed: with the same settings they are the "
            "same runs (same seed, same results), so their agreeing says nothing about another seed. "
            "Sweep again with <code>--seed</code> to check that the conclusions hold.</p>"
        )
    if not stable.empty:
        view = stable.assign(
            outcome=[an.OUTCOME_LABELS.get(o, o) for o in stable["outcome"]],
            higher=np.where(stable["difference_here"] > 0, stable["a"], stable["b"]),
            lower=np.where(stable["difference_here"] > 0, stable["b"], stable["a"]),
        )[
            [
                "outcome",
                "higher",
                "lower",
                "cliffs_delta_here",
                "cliffs_delta_there",
                "p_holm_here",
                "p_holm_there",
            ]
        ]
        text += "<h3>Significant in both</h3>" + _table(view, digits=3)
    only = agree[here ^ there]
    if not only.empty:
        text += (
            "<details><summary>Significant in one sweep only</summary>"
            + _table(
                only[
                    [
                        "outcome",
                        "a",
                        "b",
                        "cliffs_delta_here",
                        "cliffs_delta_there",
                        "p_holm_here",
                        "p_holm_there",
                    ]
                ],
                digits=3,
            )
            + "</details>"
        )
    return text


def _significant_view(sig: pd.DataFrame) -> pd.DataFrame:
    higher = sig["direction"]
    lower = np.where(sig["direction"] == sig["a"], sig["b"], sig["a"])
    mean_hi = np.where(sig["direction"] == sig["a"], sig["mean_a"], sig["mean_b"])
    mean_lo = np.where(sig["direction"] == sig["a"], sig["mean_b"], sig["mean_a"])
    flip = (sig["direction"] != sig["a"]).to_numpy()
    d_lo = np.where(flip, -sig["difference_high"], sig["difference_low"])
    d_hi = np.where(flip, -sig["difference_low"], sig["difference_high"])
    neg = (sig["cliffs_delta"] < 0).to_numpy()  # the interval of |delta|
    c_lo = np.where(neg, -sig["cliffs_high"], sig["cliffs_low"])
    c_hi = np.where(neg, -sig["cliffs_low"], sig["cliffs_high"])
    return pd.DataFrame(
        {
            "outcome": [an.OUTCOME_LABELS.get(o, o) for o in sig["outcome"]],
            "higher": higher.to_numpy(),
            "mean (higher)": mean_hi,
            "lower": lower,
            "mean (lower)": mean_lo,
            "difference [95% CI]": [
                f"{_fmt(h - lo_, 3)} [{_fmt(a, 3)}, {_fmt(b, 3)}]"
                for h, lo_, a, b in zip(mean_hi, mean_lo, d_lo, d_hi)
            ],
            "|Cliff's δ| [95% CI]": [
                f"{abs(d):.2f} [{a:.2f}, {b:.2f}]" for d, a, b in zip(sig["cliffs_delta"], c_lo, c_hi)
            ],
            "effect": sig["effect"].to_numpy(),
            "p (Holm)": sig["p_holm"].to_numpy(),
        }
    )


def _collapse_view(col: pd.DataFrame) -> pd.DataFrame:
    out = col[["condition", "runs"]].copy()
    for v in [c.removeprefix("p_") for c in col.columns if c.startswith("p_")]:
        out[v] = [
            f"{p:.0%} [{lo:.0%}, {hi:.0%}]"
            for p, lo, hi in zip(col[f"p_{v}"], col[f"low_{v}"], col[f"high_{v}"])
        ]
    if "median_collapse_step" in col.columns:
        out["median week of collapse"] = col["median_collapse_step"]
    if "ever_collapsed_share" in col.columns:
        out["collapsed at least once"] = [
            f"{p:.0%} [{lo:.0%}, {hi:.0%}]"
            for p, lo, hi in zip(
                col["ever_collapsed_share"], col["ever_collapsed_low"], col["ever_collapsed_high"]
            )
        ]
    return out


def _metadata(man: dict[str, Any], n_done: int, n_failed: int) -> str:
    ident = man.get("identity", {})
    rows = [
        ("experiment", man.get("experiment")),
        ("experiment file", man.get("experiment_file")),
        ("experiment file SHA-256", ident.get("experiment_hash")),
        ("scenario settings SHA-256", ident.get("scenarios_hash")),
        ("givetake version", man.get("version")),
        ("git commit", man.get("git_commit") or "none"),
        ("master seed", man.get("master_seed")),
        ("per-run seeds", man.get("seed_rule")),
        ("design", man.get("design")),
        ("varied parameters", ", ".join(man.get("varied", [])) or "none"),
        ("design points", len(man.get("points", []))),
        ("replications", man.get("replications")),
        ("steps per run", ident.get("steps") or "each scenario's own"),
        ("runs finished / failed", f"{n_done} / {n_failed}"),
        ("store created", man.get("created")),
        ("report written", now()),
    ]
    body = (
        "<table class='meta'>"
        + "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        + "</table>"
    )
    sessions = man.get("sessions", [])
    if sessions:
        body += "<h3>Sweep sessions</h3>" + _table(pd.DataFrame(sessions))
    scen = man.get("scenarios", [])
    if scen:
        body += "<h3>Scenarios</h3>" + _table(pd.DataFrame(scen))
    body += (
        "<details><summary>Manifest (JSON)</summary><pre>"
        + html.escape(json.dumps({k: v for k, v in man.items() if k != "runs"}, indent=2, default=str))
        + "</pre></details>"
    )
    return body


def _page(man: dict[str, Any], sections: list[str], n_done: int, n_failed: int) -> str:
    title = f"givetake report: {man.get('experiment', 'sweep')}"
    desc = html.escape(str(man.get("description", "")).strip())
    toc = " · ".join(
        f'<a href="#{anchor}">{title}</a>' for anchor, title in _SECTION.findall("".join(sections))
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body><h1>{html.escape(title)}</h1><p class="lead">{desc}</p>
<p>{n_done} runs finished, {n_failed} failed. {toc}</p>
{"".join(sections)}
</body></html>
"""
