"""Analyses and the report: pairwise tests, givers-at-both-ends,
a self-contained report.html, also for stores with failed runs or without ecosystems."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import TRIPWIRE

from simulation import analysis as an
from simulation.cli import main
from simulation.experiment import Experiment
from simulation.mechanisms import DEFAULT_PIPELINE
from simulation.store import Store
from simulation.sweep import run_sweep
from simulation.verdict import VERDICTS

ROOT = Path(__file__).resolve().parents[1]


def _synthetic(conditions: dict[str, np.ndarray], n_runs: int = 12) -> an.SweepData:
    """SweepData whose summary holds one outcome ``final_mean_wealth`` drawn per condition."""
    rows = []
    for cond, values in conditions.items():
        for r, v in enumerate(values[:n_runs]):
            rows.append(
                {"run_id": f"{cond}-{r}", "scenario": cond, "condition": cond, "final_mean_wealth": v}
            )
    summary = pd.DataFrame(rows)
    return an.SweepData(
        summary, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, conditions=list(conditions)
    )


def test_pairwise_finds_real_differences_and_not_ties():
    rng = np.random.default_rng(5)
    data = _synthetic(
        {
            "low": rng.normal(0, 1, 12),
            "high": rng.normal(3, 1, 12),
            "same": np.full(12, 1.0),
            "same2": np.full(12, 1.0),
        }
    )
    pairs = an.pairwise(data, ["final_mean_wealth"]).set_index(["a", "b"])
    assert pairs.loc[("low", "high"), "significant"]
    assert pairs.loc[("low", "high"), "direction"] == "high"
    assert pairs.loc[("low", "high"), "cliffs_delta"] < -0.9
    # effect sizes come with intervals around them
    row = pairs.loc[("low", "high")]
    assert row["difference_low"] < row["difference"] < row["difference_high"] < 0
    assert row["cliffs_low"] <= row["cliffs_delta"] <= row["cliffs_high"]
    # conditions where the outcome never varies are not tested at all
    assert not {"same", "same2"} & (
        set(pairs.index.get_level_values(0)) | set(pairs.index.get_level_values(1))
    )
    constant = an.constant_outcomes(data, ["final_mean_wealth"])
    assert constant["condition"].tolist() == ["same", "same2"] and (constant["value"] == 1.0).all()
    # Holm: adjusted p-values are never below the raw ones
    assert (pairs["p_holm"] >= pairs["mannwhitney_p"] - 1e-12).all()


def test_an_outcome_fixed_by_the_scenario_is_not_tested_and_the_report_says_why():
    """Members at the end are 300 in every run when every leaver is replaced: no test, a note."""
    from simulation.report import _constant_note, conclusions

    rng = np.random.default_rng(2)
    rows = []
    for cond, values in {
        "replaced": np.full(8, 300.0),
        "replaced2": np.full(8, 300.0),
        "shrinks": rng.normal(250, 10, 8),
        "grows": rng.normal(330, 10, 8),
    }.items():
        rows += [
            {"run_id": f"{cond}-{i}", "condition": cond, "final_members": v} for i, v in enumerate(values)
        ]
    conds = ["replaced", "replaced2", "shrinks", "grows"]
    data = an.SweepData(pd.DataFrame(rows), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, {}, conds)
    pairs = an.pairwise(data, ["final_members"])
    assert pairs[["a", "b"]].values.tolist() == [["shrinks", "grows"]]
    constant = an.constant_outcomes(data, ["final_members"])
    note = _constant_note(constant, conds)
    assert "Not tested" in note and "replaced = 300.000" in note and "replaced2 = 300.000" in note
    text = conclusions(data, pairs, pd.DataFrame(), pd.DataFrame(), constant)
    assert "the same in every run of replaced (300.000), replaced2 (300.000): no variation" in text
    # one outcome constant everywhere: nothing is tested, and the conclusions say so
    everywhere = an.SweepData(
        pd.DataFrame({"condition": ["a", "a", "b", "b"], "final_members": 300.0}),
        pd.DataFrame(),
        pd.DataFrame(),
        pd.DataFrame(),
        {},
        {},
        ["a", "b"],
    )
    assert an.pairwise(everywhere, ["final_members"]).empty
    text = conclusions(
        everywhere, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), an.constant_outcomes(everywhere)
    )
    assert "the same in every run of every condition" in text and "not compared" in text


def test_too_few_runs_to_find_a_difference_is_said_not_passed_off_as_no_difference():
    """Three runs a condition: the Mann-Whitney test cannot reach p < 0.05 (0.072 at best),
    so two conditions far apart are "not significantly different"; the conclusions say that
    no difference could be, and why, while twelve runs of two like conditions keep the plain
    "no significant difference"."""
    from simulation.report import conclusions

    rng = np.random.default_rng(3)
    few = _synthetic({"low": rng.normal(0, 1, 3), "high": rng.normal(50, 1, 3)})
    pairs = an.pairwise(few, ["final_mean_wealth"])
    assert not pairs["significant"].any() and pairs["cliffs_delta"].abs().item() == 1.0
    text = conclusions(few, pairs, pd.DataFrame(), pd.DataFrame())
    assert "no difference could be significant with 3 runs per condition" in text
    assert "p = 0.072 or more" in text
    assert "no significant difference between conditions" not in text

    alike = _synthetic({"a": np.arange(12.0), "b": np.arange(12.0) + 0.5})  # interleaved
    pairs = an.pairwise(alike, ["final_mean_wealth"])
    assert not pairs["significant"].any()
    text = conclusions(alike, pairs, pd.DataFrame(), pd.DataFrame())
    assert "no significant difference between conditions" in text and "could be" not in text


def test_the_smallest_mann_whitney_p_is_what_no_pair_of_samples_goes_below():
    """Over every pair of samples of 3 and 4 values from five levels (neither all equal),
    scipy's Mann-Whitney test never gives less than the bound, and reaches it."""
    import itertools
    import warnings

    from scipy import stats

    from simulation.stats import smallest_mannwhitney_p

    def samples(n):
        return [s for s in itertools.combinations_with_replacement(range(5), n) if len(set(s)) > 1]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lowest = min(stats.mannwhitneyu(a, b).pvalue for a in samples(3) for b in samples(4))
    assert lowest == pytest.approx(smallest_mannwhitney_p(3, 4), rel=1e-12)


def test_collapse_is_not_tested_when_no_run_collapsed():
    s = pd.DataFrame({"condition": ["a"] * 6 + ["b"] * 6, "verdict": ["stable"] * 12})
    data = an.SweepData(s, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, {}, ["a", "b"])
    assert an.collapse_pairwise(data).empty
    s.loc[:2, "verdict"] = "collapsed"
    assert len(an.collapse_pairwise(data)) == 1


def test_ecosystem_fates_are_shared_in_one_order_and_a_fate_no_ecosystem_met_is_zero():
    """Each condition's ecosystems split by fate in the columns alive, died, merged, split:
    the same order whichever fate was most common first, and 0 (not missing) where none
    ended so (the columns once followed the first condition's commonest fates, and a fate
    it never met showed as a blank)."""
    lives = pd.DataFrame(
        {
            "condition": ["a"] * 4 + ["b"] * 4,
            "run_id": ["a-0"] * 4 + ["b-0"] * 4,
            "lifetime": [10, 20, 30, 40] * 2,
            "fate": ["died", "died", "died", "alive", "alive", "alive", "merged", "died"],
        }
    )
    summary = pd.DataFrame({"run_id": ["a-0", "b-0"], "condition": ["a", "b"]})
    data = an.SweepData(
        summary, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, {"ecosystem_lives": lives}, ["a", "b"]
    )
    life = an.ecosystem_life(data).set_index("condition")
    fates = [c for c in life.columns if c.startswith("share_")]
    assert fates == ["share_alive", "share_died", "share_merged", "share_split"]
    assert life.loc["a", fates].tolist() == [0.25, 0.75, 0.0, 0.0]
    assert life.loc["b", fates].tolist() == [0.5, 0.25, 0.25, 0.0]


def _members(both_ends: bool, runs: int = 10, n: int = 100, seed: int = 6) -> pd.DataFrame:
    """Per-run members: 20 givers, 80 matchers; givers' wealth at both ends or only at the top."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(runs):
        matchers = rng.normal(50, 5, n - 20)
        if both_ends:
            givers = np.concatenate([rng.normal(100, 5, 10), rng.normal(0, 5, 10)])
        else:
            givers = rng.normal(100, 5, 20)
        for w, s in zip(np.concatenate([givers, matchers]), ["giver"] * 20 + ["matcher"] * (n - 20)):
            rows.append({"condition": "c", "run_id": f"r{r}", "strategy": s, "wealth": w})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("both", [True, False])
def test_deciles_detect_givers_at_both_ends_only_when_they_are(both):
    m = _members(both)
    data = an.SweepData(pd.DataFrame(), pd.DataFrame(), m, pd.DataFrame(), {}, conditions=["c"])
    dec = an.deciles(data).set_index("strategy")
    giver = dec.loc["giver"]
    assert giver["share_of_members"] == pytest.approx(0.2)
    assert giver["top_representation"] == pytest.approx(5.0)  # all 10 of the top 10 are givers
    if both:
        assert giver["bottom_representation"] == pytest.approx(5.0)
        assert bool(giver["both_ends"])
    else:
        assert giver["bottom_representation"] == 0
        assert not bool(giver["both_ends"])
    assert dec.loc["matcher", "top_representation"] == 0


# -- the report ------------------------------------------------------------------------


def _check_self_contained(html: str, figures: Path) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "external resource"
    assert "<script" not in html and "<link" not in html
    pngs = sorted(figures.glob("*.png"))
    assert pngs and all(p.with_suffix(".svg").is_file() for p in pngs)
    assert html.count("data:image/png;base64,") == len(pngs)


def test_report_of_a_sweep_with_failed_runs(tmp_path):
    script = tmp_path / "tripwire_sweep.py"
    script.write_text(TRIPWIRE)
    pipeline = ", ".join(f'"{m}"' for m in [*DEFAULT_PIPELINE, "tripwire"])
    world = f"population = {{ size = 60 }}, network = {{ mean_degree = 6 }}, pipeline = [{pipeline}]"
    exp = tmp_path / "mixed.toml"
    exp.write_text(
        textwrap.dedent(f"""
        name = "mixed"
        description = "Two worlds that run and one that breaks."
        scenarios = [
          {{ scenario = {{ {world} }}, label = "calm" }},
          {{ scenario = {{ {world} }}, label = "rough", set = {{ "population.mix" = {{ giver = 0.4, otherish_giver = 0.0, matcher = 0.0, taker = 0.6, connector = 0.0 }} }} }},
          {{ scenario = {{ {world} }}, label = "broken", set = {{ "mechanisms.tripwire.fail" = true }} }},
        ]
        replications = 4
        steps = 15
        """)
    )
    out = tmp_path / "store"
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            "sweep",
            str(exp),
            "--out",
            str(out),
            "--executor",
            "serial",
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr  # some runs failed
    assert "8 runs done, 4 failed" in done.stderr
    report = Path(done.stdout.strip().splitlines()[-1])  # the sweep prints the report's path last
    assert report == out / "report" / "report.html" and report.is_file()
    html = report.read_text()
    _check_self_contained(html, out / "report" / "figures")
    assert "<h2>Failed runs</h2>" in html and "tripwire went off" in html
    for r in range(4):
        assert f"broken-p0000-r{r:04d}" in html
    for section in (
        "Conclusions",
        "Trajectories",
        "Final states",
        "Wealth by strategy",
        "Pairwise comparisons",
        "Run metadata",
    ):
        assert f"<h2>{section}</h2>" in html
    finals = pd.read_csv(out / "report" / "tables" / "final_states.csv")
    assert set(finals["condition"]) == {"calm", "rough"} and (finals["n"] == 4).all()
    pairs = pd.read_csv(out / "report" / "tables" / "pairwise.csv")
    assert set(zip(pairs["a"], pairs["b"])) == {("calm", "rough")}
    dec = pd.read_csv(out / "report" / "tables" / "deciles.csv")
    assert set(dec["condition"]) == {"calm", "rough"}
    summary = Store(out).load("summary")
    # every run with the full metrics is judged: collapse is assessed
    assert summary["verdict"].notna().all()
    col = pd.read_csv(out / "report" / "tables" / "collapse.csv")
    assert (col["runs"] == 4).all()
    assert (col[list(VERDICTS)].sum(axis=1) == 4).all()
    assert "<h2>Ecosystem life</h2>" in html
    # the tables' headings are words, not column names (which the CSV files keep)
    assert "<th>top 10%: p</th>" in html and "<th>top_p</th>" not in html
    assert "_per_run</th>" not in html and " a run</th>" in html
    assert "top_p" in pd.read_csv(out / "report" / "tables" / "deciles.csv").columns


@pytest.mark.slow
def test_report_without_ecosystems_says_so_and_a_non_store_is_refused(tmp_path, capsys):
    pipeline = [m for m in DEFAULT_PIPELINE if m != "ecosystems"]
    base = {"population": {"size": 50}, "network": {"mean_degree": 5}, "pipeline": pipeline}
    exp = Experiment.from_dict(
        {
            "scenarios": [
                {"scenario": base, "label": "a"},
                {"scenario": base, "label": "b", "set": {"mechanisms.exchange.b": 5.0}},
            ],
            "replications": 3,
            "steps": 8,
            "seed": 1,
        }
    )
    run_sweep(exp, tmp_path / "s", executor="serial", progress=False)
    assert main(["report", str(tmp_path / "s")]) == 0
    path = Path(capsys.readouterr().out.strip())
    html = path.read_text()
    # the verdict is the run's, not the ecosystems': these runs are judged all the same
    assert "<h2>Collapse</h2>" in html and "record no verdict" not in html
    assert "No ecosystem tracking in these runs" in html
    assert main(["report", str(tmp_path)]) == 2
    assert "not a givetake results folder" in capsys.readouterr().err


def test_compare_of_a_share_sweep_compares_the_ordinary_mixes_on_both_sides(tmp_path, capsys):
    """With a [vary.share] the report compares each scenario's ordinary mix; the other sweep's
    comparisons are of those runs too (they were of every condition, Holm-corrected over all
    of their pairs, so that a sweep compared with itself agreed on nothing)."""
    base = {"population": {"size": 40}, "network": {"mean_degree": 5}}
    exp = Experiment.from_dict(
        {
            "name": "shares",
            "scenarios": [
                {"scenario": base, "label": "a"},
                {"scenario": base, "label": "b", "set": {"mechanisms.exchange.b": 6.0}},
            ],
            "vary": {"share": {"strategy": "taker", "levels": [0.0, 0.5], "ordinary": True}},
            "replications": 4,
            "steps": 8,
            "seed": 5,
        }
    )
    run_sweep(exp, tmp_path / "s", executor="serial", progress=False)
    out = tmp_path / "rep"
    assert main(["report", str(tmp_path / "s"), "--out", str(out), "--compare", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    agree = pd.read_csv(out / "tables" / "agreement.csv")
    pairs = pd.read_csv(out / "tables" / "pairwise.csv")
    assert set(agree["a"]) | set(agree["b"]) == {"a", "b"} and len(agree) == len(pairs)
    assert (agree["p_holm_here"] < 1).any()  # b = 6 against 3 sets them apart somewhere
    assert np.allclose(agree["p_holm_here"], agree["p_holm_there"])
    assert (agree["significant_here"] == agree["significant_there"]).all()
    # the same master seed: the same runs, and the page says what that agreement is worth
    assert "Both sweeps have the same master seed" in (out / "report.html").read_text()


def test_compare_takes_another_sweep_of_the_same_experiment_and_refuses_others_before_writing(
    tmp_path, capsys
):
    """--compare with no store, or with a sweep of another experiment, is one line and exit 2
    with no report folder begun (a wrong one left figures and tables without report.html);
    another seed of the same experiment gives the section on stability and its table."""
    base = {"population": {"size": 40}, "network": {"mean_degree": 5}}
    design = {
        "scenarios": [
            {"scenario": base, "label": "a"},
            {"scenario": base, "label": "b", "set": {"mechanisms.exchange.b": 6.0}},
        ],
        "replications": 3,
        "steps": 6,
    }
    for name, seed in (("same", 1), ("same", 2), ("other", 1)):
        exp = Experiment.from_dict({**design, "name": name, "seed": seed})
        run_sweep(exp, tmp_path / f"{name}{seed}", executor="serial", progress=False)
    capsys.readouterr()
    out = tmp_path / "rep"
    for other, said in (
        (tmp_path / "nothing", f"--compare {tmp_path / 'nothing'}: not a givetake results folder"),
        (tmp_path / "other1", "a sweep of experiment 'other'; expected another results folder of 'same'"),
    ):
        assert main(["report", str(tmp_path / "same1"), "--out", str(out), "--compare", str(other)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and said in err, err
        assert not out.exists()
    assert (
        main(["report", str(tmp_path / "same1"), "--out", str(out), "--compare", str(tmp_path / "same2")])
        == 0
    )
    page = (out / "report.html").read_text()
    assert "<h2>Stability across sweeps</h2>" in page
    assert "Both sweeps have the same master seed" not in page  # seeds 1 and 2
    assert (out / "tables" / "agreement.csv").is_file()
    # the report written again without --compare leaves no agreement.csv of the last one
    # behind (it stayed, as if current); what else the folder holds is left alone
    (out / "notes.txt").write_text("mine")
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert main(["report", str(tmp_path / "same1"), "--out", str(out)]) == 0
    assert "Stability across sweeps" not in (out / "report.html").read_text()
    assert not (out / "tables" / "agreement.csv").exists() and (out / "tables" / "pairwise.csv").is_file()
    assert sorted(p.name for p in (out / "figures").iterdir()) == figures
    assert (out / "notes.txt").read_text() == "mine"


def test_report_of_runs_with_light_metrics_says_they_have_no_verdict(tmp_path, capsys):
    exp = Experiment.from_dict(
        {"scenarios": [{"scenario": "moran", "set": {"population.size": 30}}], "replications": 2, "steps": 3}
    )
    run_sweep(exp, tmp_path / "s", executor="serial", progress=False)
    assert "verdict" not in Store(tmp_path / "s").load("summary").columns
    assert main(["report", str(tmp_path / "s")]) == 0
    html = Path(capsys.readouterr().out.strip()).read_text()
    assert "These runs record no verdict (they collect only the light metrics" in html


def test_agreement_keeps_only_differences_significant_in_both_sweeps_in_one_direction():
    rng = np.random.default_rng(7)
    first = _synthetic(
        {"low": rng.normal(0, 1, 12), "high": rng.normal(3, 1, 12), "mid": rng.normal(0.2, 1, 12)}
    )
    second = _synthetic(
        {"low": rng.normal(0, 1, 12), "high": rng.normal(3, 1, 12), "mid": rng.normal(0.2, 1, 12)}
    )
    flipped = _synthetic(
        {"low": rng.normal(3, 1, 12), "high": rng.normal(0, 1, 12), "mid": rng.normal(0.2, 1, 12)}
    )
    a = an.pairwise(first, ["final_mean_wealth"])
    same = an.agreement(a, an.pairwise(second, ["final_mean_wealth"])).set_index(["a", "b"])
    assert same.loc[("low", "high"), "stable"]
    assert not same.loc[("low", "mid"), "stable"]  # a small difference is not significant
    other = an.agreement(a, an.pairwise(flipped, ["final_mean_wealth"])).set_index(["a", "b"])
    assert not other.loc[("low", "high"), "stable"] and not other.loc[("low", "high"), "same_direction"]


@pytest.mark.parametrize("method", ["morris", "sobol", "latin"])
def test_sensitivity_ranks_the_parameter_that_drives_the_outcome_first(method):
    raw = {
        "scenarios": [
            {"scenario": {"population": {"size": 40}, "network": {"mean_degree": 4}}, "label": "s"}
        ],
        "seed": 3,
        "vary": {
            "method": method,
            "samples": 16,
            "ranges": {"mechanisms.exchange.b": [2.0, 5.0], "mechanisms.needs.p_need": [0.2, 0.8]},
        },
    }
    exp = Experiment.from_dict(raw)
    rows = []
    for p, point in enumerate(exp.points):  # an outcome driven by b alone
        rows.append(
            {
                "run_id": f"s-{p}",
                "scenario": "s",
                "condition": "s",
                "point": p,
                **point,
                "final_mean_wealth": 10 * point["mechanisms.exchange.b"]
                + 0.01 * point["mechanisms.needs.p_need"],
            }
        )
    manifest = {
        "design": exp.method,
        "varied": exp.varied,
        "points": exp.points,
        "levels": exp.levels,
        "ranges": {k: list(v) for k, v in exp.ranges.items()},
    }
    data = an.SweepData(
        pd.DataFrame(rows), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), manifest, conditions=["s"]
    )
    sens = an.sensitivity(data, ["final_mean_wealth"]).set_index("parameter")
    score = {"morris": "mu_star", "sobol": "ST", "latin": "rho"}[method]
    assert set(sens["method"]) == {"spearman" if method == "latin" else method}
    assert abs(sens.loc["mechanisms.exchange.b", score]) > 0.9 * abs(sens[score]).max()
    if method == "latin":  # a rank correlation over 16 points: p_need's is chance
        assert (
            sens.loc["mechanisms.exchange.b", "rho"] > 0.99
            and sens.loc["mechanisms.needs.p_need", "p"] > 0.05
        )
    else:
        assert abs(sens.loc["mechanisms.needs.p_need", score]) < 0.2 * abs(
            sens.loc["mechanisms.exchange.b", score]
        )


def test_trajectory_axes_keep_to_the_ordinary_weeks_and_say_where_spikes_went():
    """One style pays for an event every 5 weeks (value created drops to about -300): the
    y-axis keeps to the other weeks, and the panel says how many points are off it."""
    from simulation import plots

    steps = np.arange(60)
    rows = []
    for cond, values in {
        "smooth": 100 + steps * 2.0,
        "events": np.where(steps % 5 == 4, -300.0, 120 + steps * 1.5),
    }.items():
        rows += [
            {
                "condition": cond,
                "step": s,
                "metric": "welfare",
                "mean": v,
                "low": v - 5,
                "high": v + 5,
                "n": 6,
            }
            for s, v in zip(steps, values)
        ]
    fig = plots.trajectories(pd.DataFrame(rows), ["smooth", "events"], ["welfare"])
    ax = fig.axes[0]
    bottom, top = ax.get_ylim()
    assert bottom > 0 and top > 218  # every ordinary week shows; the spikes do not stretch the axis
    assert ax.get_title() == "value created / week\n(12 spikes off the axis, to -300)"
    # without spikes the axis is left alone
    calm = pd.DataFrame([r for r in rows if r["condition"] == "smooth"])
    assert plots.trajectories(calm, ["smooth"], ["welfare"]).axes[0].get_title() == "value created / week"


def test_the_band_of_a_share_stays_within_zero_and_one():
    """Nearly every member in the largest group, over few runs: the mean's Student-t band
    reaches past 1, which no share can; the figure draws it up to 1 (value created is not a
    share and keeps its band)."""
    from simulation import plots

    rows = [
        {"condition": "c", "step": s, "metric": m, "mean": 0.98, "low": 0.9, "high": 1.06, "n": 3}
        for s in range(10)
        for m in ("giant_component", "welfare")
    ]
    fig = plots.trajectories(pd.DataFrame(rows), ["c"], ["giant_component", "welfare"])
    tops = [max(p.get_paths()[0].vertices[:, 1]) for p in (ax.collections[0] for ax in fig.axes[:2])]
    assert tops[0] == pytest.approx(1.0) and tops[1] == pytest.approx(1.06)


def test_each_style_has_its_own_colour_in_the_figures_and_other_conditions_stay_distinct():
    """The collapse figure draws each style in the colour the app shows for it; conditions
    that are not styles (or whose colours would clash) get distinct colours of the cycle."""
    import matplotlib.colors as mcolors

    from simulation import plots
    from simulation.style_colours import style_colour

    styles = ["connectors", "open_mixer", "referral_group"]
    table = pd.DataFrame(
        [
            {"scenario": s, "share": x, "p": 0.5, "low": 0.2, "high": 0.8, "runs": 6}
            for s in styles
            for x in (0.0, 0.4, 0.8)
        ]
    )
    fig = plots.collapse_by_share(table)
    drawn = {mcolors.to_hex(line.get_color()) for line in fig.axes[0].get_lines()}
    assert {style_colour(s) for s in styles} <= drawn
    # named as in the table beside it and in the other figures ('open mixer' there, once)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == styles
    plots.plt.close(fig)
    # a style keeps its colour whatever else is drawn beside it, in any order
    assert plots.colour(["referral_group", "open_mixer"], "open_mixer") == style_colour("open_mixer")
    names = [f"condition {i}" for i in range(12)]
    colours = [plots.colour(names, n) for n in names]
    assert len(set(colours[:10])) == 10  # the cycle, when names could clash


def test_the_verdict_figures_interval_of_collapse_is_drawn_at_its_own_values():
    """The collapsed segment starts the stack at 0, so its 95% interval is drawn at its own
    values (no run collapsed: [0%, 39%], from 0 to 0.39).  It ended the stack, and the interval
    was drawn from the right end (0.61 to 1), over the flourishing runs."""
    from matplotlib.collections import LineCollection

    from simulation import plots

    table = pd.DataFrame(
        {
            "condition": ["none", "some"],
            "p_flourishing": [1.0, 0.5],
            "p_stable": [0.0, 0.0],
            "p_recovered": [0.0, 0.0],
            "p_struggling": [0.0, 0.0],
            "p_collapsed": [0.0, 0.5],
            "low_collapsed": [0.0, 0.2],
            "high_collapsed": [0.39, 0.8],
        }
    )
    fig = plots.collapse(table)
    (bars,) = [
        c for c in fig.axes[0].collections if isinstance(c, LineCollection) and len(c.get_segments()) == 2
    ]
    spans = sorted((round(s[:, 0].min(), 6), round(s[:, 0].max(), 6)) for s in bars.get_segments())
    label = fig.axes[0].get_xlabel()
    plots.plt.close(fig)
    assert spans == [(0.0, 0.39), (0.2, 0.8)]
    assert "Wilson interval of the collapsed share" in label
    # the legend, in the order of the stack, starts with collapse
    assert [t.get_text() for t in fig.legends[0].get_texts()][0] == "collapsed"


def test_the_effect_size_matrix_writes_a_tie_as_0_00_both_ways_never_minus_0_00():
    """Cliff's delta 0 (and -0.003, which rounds to it) of a pair is written 0.00 in its row
    and in its mirrored cell, where the negated value once read "-0.00"."""
    from simulation import plots

    pairs = pd.DataFrame(
        {
            "outcome": ["final_mean_wealth"] * 3,
            "a": ["x", "x", "y"],
            "b": ["y", "z", "z"],
            "cliffs_delta": [0.0, -0.003, 0.5],
            "significant": [False, False, True],
        }
    )
    fig = plots.effect_sizes(pairs, ["x", "y", "z"], ["final_mean_wealth"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    plots.plt.close(fig)
    assert texts == ["-0.50*", "0.00", "0.00", "0.00", "0.00", "0.50*"]


def test_the_definition_of_healthy_agrees_in_number():
    """The stable bar's default turnover is 1: "at most 1 leaver per member-year"."""
    from simulation.report import _HEALTH_DEFINITION
    from simulation.verdict import VerdictCriteria

    assert VerdictCriteria().max_turnover == 1
    assert "loses at most 1 leaver per member-year" in _HEALTH_DEFINITION


def test_an_interval_never_leaves_the_values_its_outcome_can_take():
    """Two runs give a t interval 12.7 standard errors wide: needs met at 86% and 99% read
    "[-5%, 177%]" in a report.  A share's interval is cut to [0, 1], a count's to >= 0;
    an unbounded outcome (mean wealth) keeps its t interval."""
    rows = [
        {
            "run_id": f"a-{i}",
            "condition": "a",
            "tail_fulfilment_rate": f,
            "final_members": m,
            "final_mean_wealth": w,
        }
        for i, (f, m, w) in enumerate([(0.3, 5.0, -3.0), (0.99, 60.0, 40.0)])
    ]
    data = an.SweepData(pd.DataFrame(rows), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, {}, ["a"])
    states = an.final_states(data, ["tail_fulfilment_rate", "final_members", "final_mean_wealth"]).set_index(
        "outcome"
    )
    assert states.loc["tail_fulfilment_rate", ["low", "high"]].tolist() == [0.0, 1.0]
    assert states.loc["final_members", "low"] == 0.0 and states.loc["final_members", "high"] > 60
    assert states.loc["final_mean_wealth", "low"] < -3 and states.loc["final_mean_wealth", "high"] > 40
    assert states.loc["tail_fulfilment_rate", "mean"] == pytest.approx(0.645)
