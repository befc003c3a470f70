"""The main experiment's question: each style's health under its ordinary mix and its
tipping point against the share of takers, in the report, the table and the terminal."""

from __future__ import annotations

import html
import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from simulation import analysis as an
from simulation.errors import InputError
from simulation.experiment import Experiment, load_experiment
from simulation.report import headline, tipping_text


def test_vary_share_runs_the_ordinary_mix_then_each_share_with_the_others_in_proportion():
    exp = Experiment.from_dict(
        {
            "scenarios": ["open_mixer"],
            "replications": 2,
            "steps": 3,
            "vary": {"share": {"strategy": "taker", "levels": [0.0, 0.6]}},
        }
    )
    runs = exp.runs()
    assert [r.run_id for r in runs][::2] == [
        "open_mixer-p0000-r0000",
        "open_mixer-p0001-r0000",
        "open_mixer-p0002-r0000",
    ]
    own, none, most = runs[0], runs[2], runs[4]
    assert own.params == {"share.taker": 0.2, "ordinary_mix": True}  # the scenario file's own mix
    assert none.params == {"share.taker": 0.0, "ordinary_mix": False}
    assert most.scenario.mix["taker"] == pytest.approx(0.6)
    assert most.scenario.mix["matcher"] / most.scenario.mix["giver"] == pytest.approx(0.40 / 0.15)
    assert sum(most.scenario.mix.values()) == pytest.approx(1.0)


def test_the_builtin_experiment_varies_the_taker_share():
    exp = load_experiment("networking_styles")
    assert exp.share_strategy == "taker"
    assert len(exp.points) >= 4 and {} in exp.points


@pytest.mark.parametrize(
    "share, message",
    [
        ({"strategy": "thief", "levels": [0.1]}, r"x\.toml: vary\.share\.strategy: expected a strategy name"),
        (
            {"strategy": "taker", "levels": [0.1, 1.5]},
            r"x\.toml: vary\.share\.levels: expected a non-empty list",
        ),
        ({"strategy": "taker", "levels": [0.1], "colour": 1}, r"x\.toml: vary\.share: expected a table"),
        ({"strategy": "taker", "levels": [0.1], "ordinary": "yes"}, r"x\.toml: vary\.share\.ordinary"),
    ],
)
def test_a_wrong_vary_share_names_the_file_and_key(share, message):
    with pytest.raises(InputError, match=message):
        Experiment.from_dict({"scenarios": ["open_mixer"], "vary": {"share": share}}, source="x.toml")


def _data(rows: list[tuple[str, float, bool, str]]) -> an.SweepData:
    summary = pd.DataFrame(rows, columns=["scenario", "share.taker", "ordinary_mix", "verdict"])
    summary["run_id"] = [f"r{i}" for i in range(len(summary))]
    summary["point"] = 0
    summary["replication"] = range(len(summary))
    summary["condition"] = an._condition_labels(summary, {})
    conds = list(dict.fromkeys(summary["condition"]))
    return an.SweepData(
        summary, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {"master_seed": 1}, {}, conds
    )


def test_tipping_point_lies_where_collapse_turns_more_likely_than_not():
    gen = np.random.default_rng(0)
    rows = []
    for share in (0.0, 0.2, 0.4, 0.6, 0.8):
        for _ in range(20):
            # fragile collapses more often than not from 40% takers on; sturdy never collapses
            rows.append(
                (
                    "fragile",
                    share,
                    share == 0.2,
                    "collapsed" if gen.random() < share * 1.6 - 0.2 else "stable",
                )
            )
            rows.append(("sturdy", share, share == 0.2, "flourishing"))
    res = an.resilience(_data(rows), draws=200).set_index("scenario")
    assert 0.3 < res.loc["fragile", "tipping"] < 0.5
    assert (
        res.loc["fragile", "tipping_low"] < res.loc["fragile", "tipping"] < res.loc["fragile", "tipping_high"]
    )
    assert math.isnan(res.loc["sturdy", "tipping"]) and "never" in res.loc["sturdy", "tipping_note"]
    assert res.loc["sturdy", "p_healthy"] == 1.0 and res.loc["sturdy", "runs"] == 20
    lines = headline(res.reset_index())
    assert lines[-2].startswith(
        "Withstands takers best: sturdy: collapse stays less likely than not up to 80%"
    )
    assert re.match(
        r"Tips first: fragile: collapse becomes more likely than not at \d+% takers \(95% interval \d+% to \d+%\)",
        lines[-1],
    )
    assert tipping_text(next(res.reset_index().itertuples())).count("%") == 3


def test_conditions_are_the_styles_for_the_ordinary_mix_and_say_the_share_otherwise():
    data = _data([("a", 0.2, True, "stable"), ("a", 0.6, False, "collapsed")])
    assert data.conditions == ["a", "a | takers 60%"]
    assert an.ordinary(data).conditions == ["a"]


@pytest.mark.slow
def test_sweep_answers_first_in_the_report_and_the_terminal(tmp_path):
    exp = tmp_path / "tiny.toml"
    exp.write_text(
        'name = "tiny"\nscenarios = ["open_mixer", "referral_group"]\nreplications = 2\nsteps = 25\nseed = 4\n'
        '[set]\n"population.size" = 40\n[vary.share]\nstrategy = "taker"\nlevels = [0.9]\n'
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulation.cli",
            "sweep",
            str(exp),
            "--executor",
            "serial",
            "--out",
            str(out),
        ],  # not --quiet, which leaves the answer out
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out / "report" / "report.html")
    # the terminal: the definition, a row per style with its tipping point, the headline
    assert "Healthy = a run is healthy" in proc.stderr
    assert re.search(r"^\s*open_mixer\s+20%\s+\d/2 = ", proc.stderr, re.M)
    assert re.search(r"^\s*referral_group\s+20%\s+\d/2 = ", proc.stderr, re.M)
    assert "Healthiest under the ordinary mix:" in proc.stderr and "Withstands takers best:" in proc.stderr
    page = (out / "report" / "report.html").read_text()
    sections = re.findall(r'<section id="([^"]+)">', page)
    assert sections[:2] == ["the-answer", "differences-under-the-ordinary-mix"]
    res = pd.read_csv(out / "report" / "tables" / "resilience.csv")
    assert res["scenario"].tolist() == ["open_mixer", "referral_group"] and (res["runs"] == 2).all()
    by_share = pd.read_csv(out / "report" / "tables" / "collapse_by_share.csv")
    assert sorted(by_share["share"].unique().tolist()) == [0.2, 0.9]
    assert (by_share["runs"] == 2).all()


def test_a_grid_beside_the_share_is_one_style_per_scenario_and_grid_point_in_the_report(tmp_path):
    """[vary.values] with [vary.share]: the answer, the condition labels and the comparisons
    take each scenario at each point of the grid apart; runs at different b are never pooled."""
    from simulation.report import write_report
    from simulation.store import Store
    from simulation.sweep import run_sweep

    exp = Experiment.from_dict(
        {
            "scenarios": ["open_mixer", "referral_group"],
            "replications": 3,
            "steps": 8,
            "seed": 5,
            "set": {"population.size": 40},
            "vary": {
                "values": {"mechanisms.exchange.b": [2.0, 3.0]},
                "share": {"strategy": "taker", "levels": [0.6]},
            },
        }
    )
    run_sweep(exp, tmp_path / "s", executor="serial", progress=False)
    page = write_report(tmp_path / "s").read_text()
    tables = tmp_path / "s" / "report" / "tables"
    summary = Store(tmp_path / "s").load("summary")
    styles = [f"{s} (exchange.b={b})" for s in ("open_mixer", "referral_group") for b in (2, 3)]

    data = an.load(tmp_path / "s")
    counts = data.summary.groupby("condition", sort=False).size()
    assert counts.index.tolist() == [c for s in styles for c in (s, f"{s} | takers 60%")]
    assert (counts == 3).all()

    # the answer: a row per scenario and grid point, its health from its own 3 runs
    res = pd.read_csv(tables / "resilience.csv")
    assert res["scenario"].tolist() == styles
    assert res["mechanisms.exchange.b"].tolist() == [2.0, 3.0, 2.0, 3.0]
    assert (res["runs"] == 3).all() and (res["tipping_runs"] == 6).all()
    for _, r in res.iterrows():
        own = summary[
            (summary["scenario"] == r["scenario"].split(" ")[0])
            & (summary["mechanisms.exchange.b"] == r["mechanisms.exchange.b"])
            & summary["ordinary_mix"].astype(bool)
        ]
        assert len(own) == 3 and r["healthy"] == int(own["verdict"].isin(an.HEALTHY).sum())
    by_share = pd.read_csv(tables / "collapse_by_share.csv")
    assert by_share["scenario"].tolist() == [s for s in styles for _ in (0.2, 0.6)]
    assert (by_share["runs"] == 3).all()

    # the sections after the answer: one condition per scenario and grid point, 3 runs each
    finals = pd.read_csv(tables / "final_states.csv")
    assert list(dict.fromkeys(finals["condition"])) == styles and (finals["n"] == 3).all()
    pairs = pd.read_csv(tables / "pairwise.csv")
    assert set(pairs["a"]) | set(pairs["b"]) == set(styles)
    for s in styles:
        assert html.escape(s) in page


def test_separated_runs_give_a_tipping_interval_and_overlapping_styles_are_not_ranked():
    """No run collapses up to 25% takers and every run does from 50%, in two styles: each
    tipping point is "between 25% and 50%", not a fitted 38%, and neither tips first."""
    rows = []
    for scen in ("a", "b"):
        for share in (0.0, 0.25, 0.5, 0.75):
            for _ in range(6):
                rows.append((scen, share, share == 0.25, "collapsed" if share >= 0.5 else "stable"))
    for share in (0.0, 0.25, 0.5, 0.75):
        for _ in range(6):
            rows.append(("sturdy", share, share == 0.25, "stable"))
    res = an.resilience(_data(rows), draws=100)
    a = next(res.itertuples())
    assert a.tipping_separated and math.isnan(a.tipping)
    assert (a.tipping_low, a.tipping_high) == (0.25, 0.5)
    assert tipping_text(a) == "between 25% and 50% (runs separate)"
    lines = headline(res)
    assert lines[0].startswith("Healthiest under the ordinary mix: no style stands out")
    assert lines[1].startswith("Withstands takers best: sturdy")
    assert lines[2].startswith(
        "Tips first: a: collapse becomes more likely than not somewhere between 25% and 50%"
    )
    # b is named beside a, as the styles like the best one are: not ranked, and why
    assert lines[2].endswith("; b may tip as early (their intervals overlap).")
    assert not any("38%" in line for line in lines)


def test_an_interval_past_the_shares_tried_says_beyond_not_a_share_never_run():
    """Takers at 0%, 20% and 60%, two of three runs collapsed at 60%: resamples with one
    or none collapsed there cross past 60%, so the interval's upper bound is where the
    fitting grid ends (90%), a share no run tried; the answer says "beyond 60%"."""
    rows = [("a", share, share == 0.2, "stable") for share in (0.0, 0.2) for _ in range(3)]
    rows += [("a", 0.6, False, verdict) for verdict in ("collapsed", "collapsed", "stable")]
    res = an.resilience(_data(rows), draws=200)
    a = next(res.itertuples())
    assert 0.2 < a.tipping <= 0.6 < a.tipping_high
    text = tipping_text(a)
    assert text.endswith(", beyond 60%]") and f"{100 * a.tipping_high:.0f}%" not in text
    (line,) = [x for x in headline(res) if "collapse becomes more likely than not at" in x]
    assert "to beyond 60%)" in line


def test_the_healthiest_style_is_named_with_those_its_runs_cannot_tell_it_from():
    """Healthy in 6 of 6 runs ([61%, 100%]) against 4 of 6 ([30%, 90%]): the headline names
    the first but says that the second cannot be told apart from it; a style healthy in
    none of its runs ([0%, 39%]) is not among them."""
    rows = []
    for scen, healthy in (("best", 6), ("close", 4), ("poor", 0)):
        for share in (0.2, 0.6):
            for k in range(6):
                ordinary = share == 0.2
                rows.append((scen, share, ordinary, "stable" if ordinary and k < healthy else "collapsed"))
    res = an.resilience(_data(rows), draws=50)
    first = headline(res)[0]
    assert first.startswith("Healthiest under the ordinary mix: best (healthy in 6 of 6 runs")
    assert first.endswith("; close cannot be told apart from it in health (their intervals overlap).")
    assert "poor" not in first


@pytest.mark.parametrize(
    "collapsed, said",
    [
        ((0, 0, 9, 10), "between 20% and 40% takers (no run collapsed at 20%, 9 of 10 did at 40%;"),
        ((0, 1, 10, 10), "between 20% and 40% takers (1 of 10 runs collapsed at 20%, every run did at 40%;"),
        ((0, 0, 10, 10), "between 20% and 40% takers (no run collapsed at 20%, every run did at 40%;"),
    ],
)
def test_a_tipping_interval_bounded_by_a_mixed_level_gives_its_counts(collapsed, said):
    """Ten runs a level: 9 of 10 collapsed at 40% (Wilson interval above 1/2) bound the
    tipping point as "every run" would, and the headline says 9 of 10, not "every run did";
    likewise 1 of 10 at the lower bound is not "no run"."""
    rows = []
    for share, k in zip((0.0, 0.2, 0.4, 0.8), collapsed):
        rows += [("a", share, share == 0.0, "collapsed" if i < k else "stable") for i in range(10)]
    rows += [("b", share, share == 0.0, "stable") for share in (0.0, 0.2, 0.4, 0.8) for _ in range(10)]
    res = an.resilience(_data(rows), draws=50)
    (line,) = [x for x in headline(res) if x.startswith("Tips first: a:")]
    assert said in line
    # the report's account of the method says when a mixed level bounds the interval
    from simulation.report import _tipping_method

    assert "or between one of them and the level of mixed outcomes" in _tipping_method("taker")


def test_a_mixed_levels_counts_reach_the_answer_from_the_table_not_from_the_note(tmp_path):
    """The mixed level's share and counts travel as columns of the resilience table (and
    its CSV) and the sentence is made from them: with the note's words removed it still
    says 9 of 10, and changed counts in the columns change the sentence.  A table written
    before those columns were reads as having no mixed level."""
    from simulation.report import terminal_summary

    rows = []
    for share, k in zip((0.0, 0.2, 0.4, 0.8), (0, 0, 9, 10)):
        rows += [("a", share, share == 0.0, "collapsed" if i < k else "stable") for i in range(10)]
    rows += [("b", share, share == 0.0, "stable") for share in (0.0, 0.2, 0.4, 0.8) for _ in range(10)]
    res = an.resilience(_data(rows), draws=50)
    a = res.set_index("scenario").loc["a"]
    assert (a["tipping_mixed_share"], a["tipping_mixed_collapsed"], a["tipping_mixed_runs"]) == (0.4, 9, 10)
    assert res.set_index("scenario").loc["b", ["tipping_mixed_share", "tipping_mixed_runs"]].isna().all()
    res["tipping_note"] = res["tipping_note"].str.replace(
        r"except at .*\)", "except at one level", regex=True
    )
    said = "between 20% and 40% takers (no run collapsed at 20%, 9 of 10 did at 40%;"
    (line,) = [x for x in headline(res) if x.startswith("Tips first: a:")]
    assert said in line
    res.loc[res["scenario"] == "a", ["tipping_mixed_collapsed", "tipping_mixed_runs"]] = [14, 15]
    (line,) = [x for x in headline(res) if x.startswith("Tips first: a:")]
    assert "14 of 15 did at 40%" in line
    # through the CSV, as the terminal reads it after `givetake sweep`
    (tmp_path / "tables").mkdir()
    res.to_csv(tmp_path / "tables" / "resilience.csv", index=False)
    text = " ".join(terminal_summary(tmp_path / "report.html", width=10_000).split())
    assert "no run collapsed at 20%, 14 of 15 did at 40%;" in text
    res.drop(columns=[c for c in res.columns if c.startswith("tipping_mixed_")]).to_csv(
        tmp_path / "tables" / "resilience.csv", index=False
    )
    text = " ".join(terminal_summary(tmp_path / "report.html", width=10_000).split())
    assert "no run collapsed at 20%, every run did at 40%;" in text


def test_the_terminal_answer_names_the_strategy_whose_share_was_varied(tmp_path):
    """An experiment that varies the givers' share is told in givers, not takers."""
    from simulation.report import terminal_summary

    rows = []
    for share in (0.1, 0.4, 0.7):
        for k in range(6):
            rows.append(("a", share, share == 0.4, "collapsed" if share < 0.4 and k < 5 else "stable"))
    data = _data(rows)
    data.summary = data.summary.rename(columns={"share.taker": "share.giver"})
    res = an.resilience(data, draws=50)
    assert res["strategy"].tolist() == ["giver"]
    (tmp_path / "tables").mkdir()
    res.to_csv(tmp_path / "tables" / "resilience.csv", index=False)
    text = terminal_summary(tmp_path / "report.html")
    assert "Tipping point = the giver share" in text and "givers" in text
    assert "taker" not in text


def test_a_share_the_mix_cannot_make_names_the_file_and_key():
    """A scenario of takers only cannot be set to half takers: nothing fills the rest."""
    from simulation.scenario_files import load_scenario

    only = {k: 0.0 for k in load_scenario("open_mixer").mix} | {"taker": 1.0}
    with pytest.raises(InputError, match=r"^x\.toml: vary point 1: vary\.share: cannot set taker to 0\.5"):
        Experiment.from_dict(
            {
                "scenarios": [{"scenario": "open_mixer", "set": {"population.mix": only}}],
                "vary": {"share": {"strategy": "taker", "levels": [0.5]}},
            },
            source="x.toml",
        )


@pytest.mark.parametrize(
    ("runs", "said"),
    [([6, 6, 6], "(18 runs, 6 per style and share.)"), ([5, 6, 6], "(17 runs, 5–6 per style and share.)")],
)
def test_the_terminal_answer_counts_the_runs_per_style_and_share(tmp_path, runs, said):
    """The last line gives the runs of each style and share as one number when all have as
    many, as a range otherwise (not "6–6")."""
    import pandas as pd

    from simulation.report import terminal_summary

    rows = []
    for share in (0.1, 0.4, 0.7):
        for _ in range(6):
            rows.append(("a", share, share == 0.4, "collapsed" if share > 0.4 else "stable"))
    res = an.resilience(_data(rows), draws=50)
    (tmp_path / "tables").mkdir()
    res.to_csv(tmp_path / "tables" / "resilience.csv", index=False)
    pd.DataFrame({"style": ["a"] * 3, "share": [0.1, 0.4, 0.7], "runs": runs}).to_csv(
        tmp_path / "tables" / "collapse_by_share.csv", index=False
    )
    assert terminal_summary(tmp_path / "report.html").splitlines()[-1] == said
