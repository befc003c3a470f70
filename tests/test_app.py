"""The classroom app without a browser: layout, drawing, sessions, settings, lessons, and
the Solara page rendered with Solara's own test utilities."""

from __future__ import annotations

import html
import os
import re
import sys

import ipyvue
import ipyvuetify as v
import numpy as np
import pytest
import solara
import solara.widgets
from charts import legend_read_back, lines_read_back

from simulation import GiveTakeModel
from simulation.app.controls import control_for, controls_for
from simulation.app.drawing import (
    ECOSYSTEM_PALETTE,
    NO_ECOSYSTEM,
    ecosystem_colour,
    line_chart,
    network_svg,
    strategy_colour,
)
from simulation.app.layout import FADE_FRAMES, NetworkLayout
from simulation.app.lessons import LESSONS
from simulation.app.page import Viewer
from simulation.app.session import ALL_MEMBERS, APP_MAX_SIZE, Session, scenario_choices
from simulation.app.story import KINDS, chapters
from simulation.ecosystems import EcosystemTracker
from simulation.errors import InputError
from simulation.params import Param
from simulation.scenario import ScenarioError
from simulation.scenario_files import builtin_scenarios, load_scenario
from simulation.strategies import label as strategy_label


def small_model(seed: int = 0, size: int = 80) -> GiveTakeModel:
    return GiveTakeModel(rng=seed, population__size=size, network__mean_degree=4)


# -- layout ------------------------------------------------------------------------
def test_layout_moves_members_a_little_per_frame_not_from_scratch():
    model = small_model()
    layout = NetworkLayout(seed=1, iterations=3)
    layout.update(model)
    before = layout.pos[: model.population.size].copy()
    model.step()
    layout.update(model)
    alive = model.population.alive_slots()
    alive = alive[alive < len(before)]
    moved = np.hypot(*(layout.pos[alive] - before[alive]).T)
    k = 1 / np.sqrt(len(alive))
    # three iterations, each capped by the temperature 0.15 k
    assert moved.max() <= 3 * 0.15 * k + 1e-6
    assert moved.mean() > 0


def test_newcomers_are_placed_next_to_their_first_contact():
    model = small_model(size=120)
    layout = NetworkLayout(seed=2)
    layout.update(model)
    new = model.add_members(5)
    contacts = model.population.alive_slots()[:5]
    model.ties.add(new, contacts, strength=0.5, trust=0.5, step=model.steps)
    layout.update(model, iterations=0)
    spread = np.hypot(*(layout.pos[:120].max(0) - layout.pos[:120].min(0)))
    dist = np.hypot(*(layout.pos[new] - layout.pos[contacts]).T)
    assert layout.known[new].all()
    assert np.median(dist) < 0.2 * spread


def test_departed_members_fade_out_over_a_few_frames_then_vanish():
    model = small_model()
    layout = NetworkLayout(seed=3)
    layout.update(model)
    gone = np.array([4, 9])
    model.remove_members(gone)
    layout.update(model)
    slots, alpha = layout.fading()
    assert set(slots.tolist()) == {4, 9} and (alpha > 0).all() and (alpha < 1).all()
    first_alpha = alpha.copy()
    layout.update(model)
    assert (layout.fading()[1] < first_alpha).all()
    for _ in range(FADE_FRAMES):
        layout.update(model)
    assert len(layout.fading()[0]) == 0


def _separation(layout: NetworkLayout, eco: dict[int, int]) -> float:
    """Mean distance between two members of one ecosystem / between members of different ones."""
    from scipy.spatial.distance import pdist

    slots = np.array(sorted(eco))
    labels = np.array([eco[s] for s in slots], float)[:, None]
    d = pdist(layout.pos[slots])
    same = pdist(labels) == 0
    return float(d[same].mean() / d[~same].mean())


def test_members_of_one_ecosystem_are_drawn_closer_to_each_other_than_to_others():
    ratios, plain_ratios = [], []
    for seed in range(3):
        s = Session("open_mixer", seed=seed)
        # the same run drawn without the ecosystem forces, for comparison
        plain = NetworkLayout(seed=seed, cohesion=0.0, between=1.0)
        plain.update(s.model)
        for _ in range(45):  # five weeks after the detection of week 40
            s.step(1)
            plain.update(s.model, groups=s.ecosystems.labels)
        eco = s.ecosystem_map()
        ratios.append(_separation(s.layout, eco))
        plain_ratios.append(_separation(plain, eco))
    assert np.mean(ratios) < 0.45 and np.mean(ratios) < 0.6 * np.mean(plain_ratios)


def test_a_regrouping_heats_the_layout_but_every_move_stays_gradual():
    s = Session("open_mixer", overrides={"population.size": 120}, seed=1)
    s.step(9)
    before = s.layout.pos[: s.model.population.size].copy()
    s.step(1)  # week 10: ecosystems detected again
    assert s.layout.heat > 0
    alive = s.model.population.alive_slots()
    alive = alive[alive < len(before)]
    moved = np.hypot(*(s.layout.pos[alive] - before[alive]).T)
    k = 1 / np.sqrt(len(alive))
    assert moved.max() <= s.layout.iterations * (0.15 + 0.6) * k + 1e-6


# -- drawing -----------------------------------------------------------------------
def test_network_svg_has_one_clickable_circle_per_member_coloured_by_strategy():
    model = small_model()
    layout = NetworkLayout(seed=0)
    layout.update(model)
    svg = network_svg(model, layout)
    slots = [int(s) for s in re.findall(r'<circle[^>]*data-slot="(\d+)"', svg)]
    assert sorted(slots) == model.population.alive_slots().tolist()
    giver = np.flatnonzero(model.population.strategy[: model.population.size] == 0)[0]
    circle = re.search(rf'<circle[^>]*fill="([^"]+)"[^>]*data-slot="{giver}"', svg)
    assert circle.group(1) == strategy_colour("giver")


def test_tie_width_grows_with_strength_and_wealth_grows_circles():
    model = small_model()
    layout = NetworkLayout(seed=0)
    layout.update(model)
    ties = model.ties
    e = ties.live()
    ties.strength[e] = 0.1
    ties.strength[e[:3]] = 0.95
    model.population.wealth[0] = 1000.0
    svg = network_svg(model, layout)
    widths = [float(w) for w in re.findall(r'<path[^>]*stroke-width="([\d.]+)"', svg)]
    assert len(widths) == 2 and widths[1] > widths[0]
    radius = {int(s): float(r) for r, s in re.findall(r'r="([\d.]+)"[^>]*data-slot="(\d+)"', svg)}
    assert radius[0] == max(radius.values())


def _circles_past_the_edges(svg: str, size: int = 640) -> list[str]:
    """The circles of a network picture that reach past its edges, outline included."""
    out = []
    for c in re.findall(r"<circle [^>]*>", svg):
        cx, cy, r = (float(re.search(rf' {a}="([-\d.]+)"', c).group(1)) for a in ("cx", "cy", "r"))
        width = re.search(r'stroke-width="([\d.]+)"', c)
        reach = r + (float(width.group(1)) if width else 1.0) / 2  # an outline of 1 unless set
        if min(cx, cy) - reach < 0 or max(cx, cy) + reach > size:
            out.append(c)
    return out


def test_every_member_is_drawn_whole_inside_the_picture():
    """The view takes in every member and every fading one, with room for the largest circle
    (the inspected member's ring, a rich newcomer's outline): a member far from the rest, which
    the view's framing of the middle 99% left out, widens the view at once, and none is cut
    at an edge."""
    model = small_model(size=150)
    layout = NetworkLayout(seed=0)
    layout.update(model)
    alive = model.population.alive_slots()
    # the richest member, just joined, far out on the right; another on the left, leaving
    far, leaving = int(alive[0]), int(alive[1])
    model.population.wealth[far] = 10 * model.population.wealth[alive].max()
    model.population.joined[far] = model.steps
    layout.pos[far] = [4.0, 0.3]
    layout.pos[leaving] = [-3.0, -0.2]
    model.remove_members(np.array([leaving]))
    layout.update(model, iterations=0)
    assert len(layout.fading()[0]) == 1
    for selected in (None, far, int(alive[2])):
        svg = network_svg(model, layout, selected=selected)
        assert _circles_past_the_edges(svg) == []
        assert f'data-slot="{far}"' in svg and f'data-gone="{leaving}"' in svg
    # the outline and the ring on the picture's right edge: as far right as they may reach
    ring = re.search(
        rf'<circle [^>]*class="selected" data-slot="{far}"', svg := network_svg(model, layout, selected=far)
    )
    cx, r = (float(re.search(rf' {a}="([\d.]+)"', ring.group(0)).group(1)) for a in ("cx", "r"))
    assert 640 - 1.0 < cx + r + 2.5 / 2 <= 640
    # and over the weeks of a run, as the layout moves, nothing is cut either
    model, layout = (
        GiveTakeModel(load_scenario("open_mixer", {"population.size": 300}), rng=1),
        NetworkLayout(seed=1),
    )
    for _ in range(12):
        layout.update(model)
        assert _circles_past_the_edges(network_svg(model, layout)) == []
        model.step()


def test_ecosystem_colouring_uses_the_ecosystem_of_each_member():
    model = small_model()
    layout = NetworkLayout(seed=0)
    layout.update(model)
    svg = network_svg(model, layout, colour_by="ecosystem", ecosystems={0: 3, 1: 3})
    fill = dict((int(s), f) for f, s in re.findall(r'fill="([^"]+)"[^>]*data-slot="(\d+)"', svg))
    assert fill[0] == fill[1] == ecosystem_colour(3)
    assert fill[2] == ecosystem_colour(-1)


def _fills_by_ecosystem(svg: str) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for fill, eco in re.findall(r'<circle[^>]*fill="([^"]+)"[^>]*data-slot="\d+" data-eco="(-?\d+)"', svg):
        out.setdefault(int(eco), set()).add(fill)
    return out


def test_the_largest_ecosystems_on_screen_have_distinct_colours_that_stay_put():
    s = Session("referral_group", seed=0)
    s.colour_by = "ecosystem"
    s.step(40)
    svg = s.frame().network
    fills = _fills_by_ecosystem(svg)
    sizes = s.ecosystem_sizes()
    assert len(sizes) > len(ECOSYSTEM_PALETTE)  # more ecosystems than colours: the hard case
    top = list(sizes)[: len(ECOSYSTEM_PALETTE)]
    assert all(len(fills[e]) == 1 for e in fills)  # one colour per ecosystem
    colours = [next(iter(fills[e])) for e in top]
    assert len(set(colours)) == len(top) and NO_ECOSYSTEM not in colours
    assert fills.get(-1, {NO_ECOSYSTEM}) == {NO_ECOSYSTEM}
    s.step(1)  # an ecosystem that stays among the largest keeps its colour
    again = _fills_by_ecosystem(s.frame().network)
    still = set(top) & set(list(s.ecosystem_sizes())[: len(ECOSYSTEM_PALETTE)])
    assert len(still) >= len(top) // 2 and all(again[e] == fills[e] for e in still)


def test_line_chart_reports_the_points_it_draws():
    empty = line_chart({"a": ([], [])}, title="t")
    drawn = line_chart({"a": ([0, 1, 2], [0.1, 0.5, 0.2]), "b": ([0, 1, 2], [1, 2, 3])}, title="t")
    assert 'data-points="0"' in empty and "<polyline" not in empty
    assert 'data-points="6"' in drawn and drawn.count("<polyline") == 2


def test_the_wealth_chart_draws_all_members_mean_wealth_as_a_dashed_black_line():
    """The structure lesson compares the takers with the average member: the chart of mean
    wealth by strategy carries, week by week, the mean wealth of the members then present,
    dashed and black, which no strategy's line is, and named in the legend."""
    lesson = LESSONS["structure"]
    s = Session(lesson.scenario, overrides=lesson.overrides, seed=lesson.seed)
    pop = s.model.population
    mean, per_strategy = {}, {}  # week -> read from the members present that week
    for week in range(31):
        if week:
            s.step(1)
        alive = pop.alive_slots()
        mean[week] = float(pop.wealth[alive].mean())
        counts = np.bincount(pop.strategy[alive], minlength=len(s.model.strategy_names))
        per_strategy[week] = {
            strategy_label(name): (int(counts[i]), float(pop.wealth[alive][pop.strategy[alive] == i].sum()))
            for i, name in enumerate(s.model.strategy_names)
        }
    svg = s.charts()["wealth"]
    lines = lines_read_back(svg)
    average = lines[ALL_MEMBERS]
    assert average["colour"] == "#000000" and average["dashed"]
    assert average["weeks"].tolist() == list(range(31))
    expected = np.array([mean[w] for w in range(31)])
    assert np.abs(average["values"] - expected).max() <= average["tolerance"]
    strategies = {name: line for name, line in lines.items() if name != ALL_MEMBERS}
    assert len(strategies) >= 2
    for name, line in strategies.items():
        assert not line["dashed"] and line["colour"] != "#000000", name
        # the strategies' lines are read back the same way, so the two compare on one scale
        values = [t / n if n else 0.0 for n, t in (per_strategy[w][name] for w in line["weeks"])]
        assert np.abs(line["values"] - values).max() <= line["tolerance"], name
    # all members' mean is the strategies' means weighted by their members, not their plain mean
    weighted = [
        sum(total for _, total in per_strategy[w].values()) / sum(n for n, _ in per_strategy[w].values())
        for w in range(31)
    ]
    assert np.allclose(weighted, expected)
    plain = [np.mean([t / n for n, t in per_strategy[w].values() if n]) for w in range(31)]
    assert np.abs(np.array(plain) - expected).max() > 10 * average["tolerance"]
    legend = legend_read_back(svg)
    assert [name for name, *_ in legend][-1] == ALL_MEMBERS
    assert all(dashed == (name == ALL_MEMBERS) for name, _, dashed in legend)


# -- sessions ----------------------------------------------------------------------
def test_big_scenarios_start_at_the_classroom_size_and_settings_override_it():
    s = Session("open_mixer", seed=0)
    assert load_scenario("open_mixer").get("population.size") > APP_MAX_SIZE
    assert s.model.population.n_alive == APP_MAX_SIZE
    s.configure(overrides={"population.size": 120})
    assert s.model.population.n_alive == 120


def test_an_invalid_setting_raises_a_one_line_error_and_keeps_the_running_model():
    s = Session("open_mixer", overrides={"population.size": 60}, seed=0)
    s.step(3)
    model = s.model
    with pytest.raises(ScenarioError) as err:
        s.configure(overrides={"population.mix.taker": 0.9})
    assert "shares must sum to 1" in str(err.value) and "\n" not in str(err.value)
    assert s.model is model and s.model.steps == 3 and s.overrides == {"population.size": 60}


def test_reset_with_the_same_seed_replays_the_same_run():
    a = Session("open_mixer", overrides={"population.size": 60}, seed=4)
    a.step(5)
    first = a.model.metrics["welfare"], a.model.ties.count
    a.reset()
    a.step(5)
    assert (a.model.metrics["welfare"], a.model.ties.count) == first


def test_inspector_follows_a_member_through_time():
    s = Session("open_mixer", overrides={"population.size": 60}, seed=0)
    s.step(6)
    slot = int(s.model.population.alive_slots()[0])
    info = s.inspect(slot)
    assert info["strategy"] == s.model.member(slot).strategy
    assert info["ties"] == len(s.model.member(slot).contacts())
    assert {c["slot"] for c in info["contacts"]} == set(s.model.member(slot).contacts())
    points = int(re.search(r'data-points="(\d+)"', info["chart"]).group(1))
    assert points == 2 * 7  # trust received and given, weeks 0..6
    with pytest.raises(ValueError):
        s.inspect(10_000)


def test_two_sessions_do_not_share_a_model():
    a = Session("open_mixer", overrides={"population.size": 50}, seed=0)
    b = Session("open_mixer", overrides={"population.size": 50}, seed=0)
    a.step(4)
    assert a.model is not b.model and b.model.steps == 0


def test_the_picker_lists_built_ins_and_local_files(tmp_path):
    (tmp_path / "mine.toml").write_text('extends = "open_mixer"\n[population]\nsize = 40\n')
    choices = scenario_choices([tmp_path])
    assert set(builtin_scenarios()) <= set(choices)
    path = str(tmp_path / "mine.toml")
    assert choices[path] == path
    assert Session(path).model.population.n_alive == 40


# -- the ecosystems' story ---------------------------------------------------------
def test_story_tells_a_split_a_merge_and_an_ending_in_words():
    t = EcosystemTracker()
    a, b, c = np.arange(0, 20), np.arange(20, 30), np.arange(30, 40)
    snaps = {0: dict(zip(t.update(0, [a, b, c]), [a, b, c]))}
    parts = [np.arange(0, 11), np.arange(11, 20), np.arange(20, 30)]  # a splits, b stays, c's members leave
    snaps[10] = dict(zip(t.update(10, parts), parts))
    merged = [np.arange(0, 20), np.arange(20, 30)]  # a's two parts merge again
    snaps[20] = dict(zip(t.update(20, merged), merged))
    left = np.full(40, -1)
    left[30:40] = 6
    story = chapters(t.events, snaps, left)
    assert [ch.step for ch in story] == [0, 10, 20]
    assert story[1].notable == [
        "E0 split into E0 (11) and E3 (9)",
        "E2 ended: 10 of its 10 members left the network",
    ]
    assert story[1].counts == {**dict.fromkeys(KINDS, 0), "split": 1, "ended": 1}
    assert story[2].notable == ["E0 and E3 merged into E0 (20)"]
    assert story[2].summary() == "2 ecosystems (was 3): 1 merged"


def test_story_is_one_chapter_per_detection_that_adds_up_to_the_tracker_and_says_who_left():
    s = Session("referral_group", seed=0)
    s.step(20)
    mech = s.ecosystems
    story = s.story()
    assert [ch.step for ch in story] == mech.detections == [0, 10, 20]
    for ch in story:
        events = [e["event"] for e in mech.events if e["step"] == ch.step]
        assert ch.counts["formed"] == events.count("birth")
        assert ch.counts["dissolved"] + ch.counts["ended"] == events.count("death")
        assert ch.ecosystems == len(s.ecosystem_snapshots[ch.step]) and len(ch.notable) <= 3
    # chapters form at week 10: the starting groups dissolve, their members stay (no flood of deaths)
    ten = story[1]
    assert ten.counts["dissolved"] >= 5 and ten.counts["ended"] == 0
    assert "dissolved and their members regrouped" in ten.notable[0]
    stayed = int(re.search(r"(\d+) of their (\d+) members stayed", ten.notable[0]).group(1))
    assert stayed == ten.gone_members - ten.gone_left and stayed > 0.8 * ten.gone_members
    # an ecosystem whose members all leave ends, and the story says so
    biggest = max(s.ecosystem_snapshots[20].items(), key=lambda kv: len(kv[1]))
    s.model.remove_members(biggest[1])
    s.step(10)
    last = s.story()[-1]
    assert last.step == 30 and last.counts["ended"] >= 1
    said = f"E{biggest[0]} ended: {len(biggest[1])} of its {len(biggest[1])} members left the network"
    assert said in last.notable


# -- settings and lessons --------------------------------------------------------
def test_controls_take_label_help_and_bounds_from_the_declared_params():
    gossip = control_for("mechanisms.reputation.gossip")
    from simulation.mechanisms import MECHANISMS

    declared: Param = MECHANISMS["reputation"].PARAMS["gossip"]
    assert (gossip.low, gossip.high, gossip.param.doc) == (declared.low, declared.high, declared.doc)
    size = control_for("population.size")
    assert size.kind == "int" and size.high <= 2000


def test_each_scenario_shows_only_the_settings_of_mechanisms_it_runs():
    mixer = {c.key for cs in controls_for(load_scenario("open_mixer")).values() for c in cs}
    group = {c.key for cs in controls_for(load_scenario("referral_group")).values() for c in cs}
    assert "mechanisms.chapters.max_strikes" in group and "mechanisms.chapters.max_strikes" not in mixer
    assert "population.mix.taker" in mixer and "mechanisms.exchange.b" in mixer


def test_every_lesson_builds_its_scenario():
    required = {
        "You reap what you sow",
        "Users and abusers drain the network",
        "Structure versus no structure",
    }
    assert required <= {lesson.title for lesson in LESSONS.values()}
    for lesson in LESSONS.values():
        s = Session(lesson.scenario, lesson.overrides, lesson.seed)
        assert s.config.name == lesson.scenario
        for key, value in lesson.overrides.items():
            assert s.config.get(key) == value
        assert "Watch for" in lesson.html()


# -- the Solara page ---------------------------------------------------------------
def _html(rc, cls: str) -> str:
    widgets = [
        w for w in rc.find(solara.widgets.HTML).widgets if cls in (w.attributes.get("class") or "").split()
    ]
    assert len(widgets) == 1, f"expected one .{cls}"
    return widgets[0].unsafe_innerHTML


def _by_class(rc, widget_class, cls: str) -> list:
    def classes(w) -> list[str]:
        text = getattr(w, "class_", None) or (getattr(w, "attributes", None) or {}).get("class") or ""
        return text.split()

    return [w for w in rc.find(widget_class).widgets if cls in classes(w)]


def _click(rc, cls: str) -> None:
    (button,) = _by_class(rc, v.Btn, cls)
    button.click()


def _week(rc) -> int:
    return int(re.search(r"Week <b[^>]*>(\d+)</b>", _html(rc, "gt-week")).group(1))


def test_page_step_and_reset_buttons_drive_the_model():
    box, rc = solara.render(Viewer("open_mixer", {"population.size": 50}, 0), handle_error=False)
    assert _week(rc) == 0
    _click(rc, "gt-step")
    _click(rc, "gt-step")
    assert _week(rc) == 2
    # the verdict panel: too early after two weeks, then the run's verdict so far, with its reason
    assert "Too early to judge" in _html(rc, "gt-verdict") and "(week 2 so far)" in _html(rc, "gt-verdict")
    for _ in range(8):
        _click(rc, "gt-step")
    verdict = _html(rc, "gt-verdict")
    assert re.search(r"looks <b[^>]*>(flourishing|stable|recovered|struggling|collapsed)</b>", verdict)
    assert re.search(r"over the last \d+ weeks", verdict)
    _click(rc, "gt-reset")
    assert _week(rc) == 0
    rc.close()


def test_page_tells_the_ecosystems_story_one_line_per_detection():
    box, rc = solara.render(Viewer("referral_group", None, 0), handle_error=False)
    assert "No changes yet" in "".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)
    for _ in range(20):
        _click(rc, "gt-step")
    story = _html(rc, "gt-story")
    assert re.findall(r"data-step='(\d+)'", story) == ["20", "10"]  # newest first, one line each
    assert re.search(r"Since week 0: .*\d+ dissolved", story) and "<table" not in story
    assert "ended because their members left" in story
    rc.close()


def test_page_click_on_a_member_opens_the_inspector():
    box, rc = solara.render(Viewer("open_mixer", {"population.size": 50}, 0), handle_error=False)
    assert not _by_class(rc, solara.widgets.HTML, "gt-inspected")
    (view,) = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "vue_select_member")]
    view.vue_select_member(7)  # what the page's click handler sends
    assert "Member #7" in _html(rc, "gt-inspected")
    # the number box follows the clicked member
    (box_field,) = [w for w in rc.find(v.TextField).widgets if str(w.label) == "Member #"]
    assert str(box_field.v_model) == "7"
    assert 'class="selected" data-slot="7"' in view.svg
    assert "inspecting <b>#7</b> (below)" in _html(rc, "gt-week")  # the picture says whom
    rc.close()


def test_page_shows_an_invalid_setting_as_a_message_not_a_traceback():
    box, rc = solara.render(Viewer("open_mixer", {"population.size": 50}, 0), handle_error=False)
    slider = next(w for w in rc.find(v.Slider).widgets if str(w.label).startswith("taker share"))
    slider.v_model = 0.9
    text = _html(rc, "gt-error")
    assert "shares must sum to 1" in text and "Traceback" not in text
    _click(rc, "gt-rescale")
    assert not _by_class(rc, solara.widgets.HTML, "gt-error")
    rc.close()


def test_the_page_displays_as_a_widget_in_a_jupyter_kernel(tmp_path, monkeypatch):
    """A real IPython kernel (this interpreter) shows the page as an ipywidget, with no
    error output and nothing that would load from the internet."""
    import json
    import sys

    from jupyter_client.manager import start_new_kernel

    spec = tmp_path / "kernels" / "givetake-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "language": "python", "display_name": "t"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    km, kc = start_new_kernel(kernel_name="givetake-test")
    try:
        code = "from simulation.app import Page\nfrom simulation.app.page import Viewer\nViewer('open_mixer', {'population.size': 40}, 0)"
        msg_id = kc.execute(code)
        outputs = []
        while True:
            msg = kc.get_iopub_msg(timeout=90)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            outputs.append(msg)
        kinds = [m["msg_type"] for m in outputs]
        assert "error" not in kinds, [m["content"] for m in outputs if m["msg_type"] == "error"]
        shown = [m["content"]["data"] for m in outputs if m["msg_type"] in ("display_data", "execute_result")]
        assert any("application/vnd.jupyter.widget-view+json" in d for d in shown)
        assert not any("http" in str(d.get("application/javascript", "")) for d in shown)
        assert kinds.count("comm_open") > 20  # the page's widgets reached the front-end side
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# -- the command -------------------------------------------------------------------
def test_app_command_listens_on_this_machine_only_by_default():
    from simulation.cli import build_parser

    args = build_parser().parse_args(["app"])
    assert (args.host, args.port) == ("127.0.0.1", 8765)


def test_app_command_reports_a_busy_port_in_one_line(capsys):
    import socket

    from simulation.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("givetake: error: cannot listen on 127.0.0.1:") and "\n" not in err


def test_page_lesson_choice_loads_its_scenario_settings_and_text():
    box, rc = solara.render(Viewer("open_mixer", {"population.size": 50}, 0), handle_error=False)
    (lessons,) = [w for w in rc.find(v.Select).widgets if w.label == "Lesson"]
    lesson = LESSONS["users_and_abusers"]
    lessons.v_model = lesson.title
    (scenario,) = [w for w in rc.find(v.Select).widgets if w.label.startswith("Scenario")]
    assert scenario.v_model == lesson.scenario
    texts = [w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets]
    assert any(f"<h3>{lesson.title}</h3>" in t and "Watch for" in t for t in texts)
    assert re.search(r"<span class='gt-members'>(\d+)</span>", _html(rc, "gt-week")).group(1) == "200"
    rc.close()


# -- what a page sends is checked on the server --------------------------------------
def _field_errors(rc) -> list[str]:
    return [w.unsafe_innerHTML for w in _by_class(rc, solara.widgets.HTML, "gt-field-error")]


def _text_field(rc, label: str):
    (field,) = [w for w in rc.find(v.TextField).widgets if str(w.label) == label]
    return field


def _type(rc, label: str, text: str):
    """Type ``text`` into the box ``label`` and leave it (what sends it to the server)."""
    field = _text_field(rc, label)
    field.v_model = text
    field.fire_event("focusout", None)
    return _text_field(rc, label)


def _open_settings(rc) -> None:
    for group in _by_class(rc, v.Btn, "gt-group"):
        if "▸" in str(group.children):
            group.click()


def _members(rc) -> int:
    return int(re.search(r"<span class='gt-members'>(\d+)</span>", _html(rc, "gt-week")).group(1))


def test_a_negative_seed_is_a_message_beside_the_box_and_the_run_keeps_its_seed():
    box, rc = solara.render(Viewer("open_mixer", {"population.size": 50}, 3), handle_error=False)
    for typed in ("-5", "abc", str(2**63), "1.5"):
        seed = _type(rc, "Seed", typed)
        assert seed.error and len(seed.messages) == 1
        assert seed.messages[0].startswith(f"Seed {typed!r}: expected a whole number from 0 to 2**63 - 1")
        _click(rc, "gt-reset")
        assert "Traceback" not in " ".join(
            w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets
        )
    (view,) = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "vue_select_member")]
    # Reset kept the last valid seed: the same picture as a fresh run with seed 3
    assert view.svg == Session("open_mixer", {"population.size": 50}, 3).frame().network
    assert not _type(rc, "Seed", "11").error
    _click(rc, "gt-reset")
    assert view.svg == Session("open_mixer", {"population.size": 50}, 11).frame().network
    rc.close()


@pytest.mark.parametrize(
    ("label", "sent", "expected"),
    [
        ("size", 100_000, "population.size: expected a value from 10 to 2000 in the app, got 100000"),
        ("size", "lots", "population.size: expected an integer"),
        ("size", -3, "population.size: expected an integer in [2, 10000000], got -3"),
        ("mean degree", 10**6, "network.mean_degree: expected an integer in [0, 100000], got 1000000"),
        ("taker share", float("nan"), "population.mix.taker: expected a number in [0.0, 1.0], got nan"),
        ("taker share", 7.0, "population.mix.taker: expected a number in [0.0, 1.0], got 7.0"),
    ],
)
def test_a_value_past_what_a_slider_offers_is_refused_beside_it_and_not_used(label, sent, expected):
    """What a tampered page (or a buggy front-end) sends: the server checks it whatever the slider allows."""
    box, rc = solara.render(Viewer("open_mixer", {"population.size": 50}, 0), handle_error=False)
    _open_settings(rc)
    slider = next(w for w in rc.find(v.Slider).widgets if str(w.label).startswith(f"{label}:"))
    slider.v_model = sent
    (error,) = _field_errors(rc)
    assert error.startswith(html.escape(expected)), error
    assert not _by_class(rc, solara.widgets.HTML, "gt-info")  # nothing pending: the value was not taken
    _click(rc, "gt-reset")
    assert _members(rc) == 50
    # a good value clears the message and is used at Reset
    slider = next(w for w in rc.find(v.Slider).widgets if str(w.label).startswith(f"{label}:"))
    if label == "size":
        slider.v_model = 20
        assert not _field_errors(rc)
        _click(rc, "gt-reset")
        assert _members(rc) == 20
    rc.close()


def test_only_the_scenarios_offered_can_be_chosen(tmp_path):
    secret = tmp_path / "elsewhere.toml"
    secret.write_text('name = "elsewhere"\n[population]\nsize = 12\n')
    box, rc = solara.render(Viewer("open_mixer", {"population.size": 50}, 0), handle_error=False)
    (picker,) = [w for w in rc.find(v.Select).widgets if w.label.startswith("Scenario")]
    for sent in (str(secret), "/etc/passwd", 42):
        picker.v_model = sent
        (error,) = _field_errors(rc)
        assert "expected one of the scenarios offered" in error
        assert _members(rc) == 50
    picker.v_model = "referral_group"
    assert not _field_errors(rc)
    assert "referral group" in " ".join(
        w.unsafe_innerHTML or "" for w in _by_class(rc, solara.widgets.HTML, "gt-note")
    )
    rc.close()


def test_speed_member_number_and_clicks_the_page_cannot_offer_are_refused():
    box, rc = solara.render(Viewer("open_mixer", {"population.size": 50}, 0), handle_error=False)
    speed = next(w for w in rc.find(v.Slider).widgets if str(w.label) == "Speed")
    speed.v_model = 99
    (error,) = _field_errors(rc)
    assert error == "Speed 99: expected a whole number from 1 to 6"
    speed.v_model = 2
    assert not _field_errors(rc)
    (view,) = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "vue_select_member")]
    for slot in (-1, 50, "7", None, 2.5):
        view.vue_select_member(slot)
        assert not _by_class(rc, solara.widgets.HTML, "gt-inspected")
    assert _type(rc, "Member #", "500").messages == [
        "Member # 500: no such member in this run (members are numbered 0 to 49)"
    ]
    assert _type(rc, "Member #", "x1").messages == ["Member # 'x1': expected a whole number"]
    assert not _type(rc, "Member #", "12").error
    _click(rc, "gt-inspect")
    assert "Member #12" in _html(rc, "gt-inspected")
    rc.close()


def test_the_colour_buttons_take_only_the_choices_they_show():
    box, rc = solara.render(Viewer("connectors", {"population.size": 60}, 0), handle_error=False)
    (toggle,) = rc.find(v.BtnToggle).widgets

    def session_svg() -> str:
        (view,) = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "vue_select_member")]
        return view.svg

    before = session_svg()
    for sent in (99, -1, "ecosystem", None):
        toggle.v_model = sent
        assert session_svg() == before
    toggle.v_model = 1  # "ecosystem"
    assert session_svg() != before
    rc.close()


def test_an_action_that_fails_unexpectedly_is_one_line_in_the_page_and_the_run_is_kept(capsys):
    session = Session("open_mixer", {"population.size": 50}, 0)
    box, rc = solara.render(Viewer(session=session), handle_error=False)
    _click(rc, "gt-step")
    model = session.model
    broken = model.step

    def step():  # a fault inside the model (a bug, an exhausted resource)
        broken()
        raise MemoryError("/srv/secret/path.py line 1")

    model.step = step
    _click(rc, "gt-step")
    text = _html(rc, "gt-error")
    assert text == "That did not work (MemoryError); the run is kept as it was."
    assert "/srv" not in text and "Traceback" not in text
    assert "Traceback" in capsys.readouterr().err  # the details go to the server's log
    rc.close()


def test_the_app_checks_seeds_as_the_command_line_does(capsys):
    from simulation.cli import main

    assert main(["run", "open_mixer", "--steps", "1", "--seed", "-5"]) == 2
    cli = capsys.readouterr().err.strip()
    assert cli == "givetake: error: --seed '-5': expected a whole number from 0 to 2**63 - 1"
    with pytest.raises(InputError, match=r"^seed -5: expected a whole number from 0 to 2\*\*63 - 1$"):
        Session("open_mixer", {"population.size": 20}, -5)


# -- --host and --max-sessions -----------------------------------------------------------
def test_only_loopback_hosts_go_without_a_warning():
    from simulation.commands.app import host_warning

    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert host_warning("app", host, "x") is None
    assert "every device on this network" in host_warning("app", "0.0.0.0", "x")
    assert "devices that can reach 192.0.2.7" in host_warning("classroom", "192.0.2.7", "x")


@pytest.mark.parametrize("command", ["app", "classroom"])
def test_app_and_classroom_warn_when_listening_beyond_this_machine(command, tmp_path):
    import os
    import subprocess
    import sys
    import time

    from simulation.app.local_server import free_port

    port = free_port()
    extra = ["--save", str(tmp_path / "class")] if command == "classroom" else []
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", command, "--host", "0.0.0.0", "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and "warning" not in line:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "the server stopped"
        assert line.startswith(
            f"givetake {command}: warning: --host 0.0.0.0 makes it reachable by every device"
        )
    finally:
        proc.terminate()
        proc.wait(20)


def test_max_sessions_below_one_is_refused_in_one_line(capsys):
    from simulation.cli import main

    assert main(["app", "--max-sessions", "0"]) == 2
    assert capsys.readouterr().err.strip() == (
        "givetake: error: --max-sessions 0: expected a whole number of pages, at least 1"
    )


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the C library's malloc settings are Linux's"
)
def test_the_app_server_allocates_so_that_freed_memory_goes_back(tmp_path):
    """``givetake app`` serves from the same process restarted with Python's objects in the C
    library's malloc (whose free pages malloc_trim hands back) and few malloc arenas."""
    from simulation.app.local_server import LocalServer, ServerDidNotStart
    from simulation.commands.app import ALLOCATOR

    env = {k: v for k, v in os.environ.items() if k not in ALLOCATOR}
    log = tmp_path / "server.log"
    try:
        server = LocalServer("app", log=log, env=env, timeout=120)
    except ServerDidNotStart:
        pytest.fail(log.read_text())
    try:
        served = server.environ()
        assert served["PYTHONMALLOC"] == "malloc"
        assert "glibc.malloc.arena_max=2" in served["GLIBC_TUNABLES"]
    finally:
        server.stop(30)


def test_the_threads_left_idle_by_closed_connections_are_ended_when_memory_is_released(monkeypatch):
    """Each connection of a page is served in a worker thread of anyio's pool on the server's
    event loop; once closed, its thread stays idle until anyio is next asked for a thread.
    The janitor asks for one, so that anyio ends those idle long enough."""
    import asyncio
    import threading
    import time

    import anyio.to_thread
    from anyio._backends._asyncio import WorkerThread

    from simulation.app.serving import OnServerLoop, Sessions

    monkeypatch.setattr(WorkerThread, "MAX_IDLE_TIME", 0.2)  # anyio's 10 s, shortened
    sessions = Sessions(limit=5)
    stop = threading.Event()

    async def app(scope, receive, send):
        pass

    async def server() -> None:
        await OnServerLoop(app, sessions)({"type": "http"}, None, None)  # the loop is noted
        # five connections at once, each served in its own worker thread, then closed
        await asyncio.gather(*(anyio.to_thread.run_sync(time.sleep, 0.3) for _ in range(5)))
        while not stop.is_set():
            await asyncio.sleep(0.05)

    def workers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if isinstance(t, WorkerThread) and t.is_alive()]

    before = len(workers())
    runner = threading.Thread(target=asyncio.run, args=(server(),), daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while len(workers()) - before < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers()) - before == 5 and sessions.loop is not None
        time.sleep(0.6)  # idle for longer than anyio keeps an idle thread
        assert len(workers()) - before == 5  # nobody asked anyio for a thread: all still there
        assert sessions._end_idle_threads()
        deadline = time.monotonic() + 5
        while len(workers()) - before > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers()) - before == 1  # the one that did the asking waits for the next
    finally:
        stop.set()
        runner.join(10)


def test_the_verdict_is_too_early_until_the_weeks_it_pools_have_run():
    """A run is not "flourishing" after a week or two: until ``verdict.window`` weeks have run
    (each week's measures pool that many) the panel says it is too early to judge."""
    from simulation.app.page import _verdict

    model = small_model()
    for _ in range(9):
        model.step()
    assert _verdict(model) == "Too early to judge: a verdict pools 10 weeks of the run (week 9 so far)."
    model.step()
    assert _verdict(model).startswith("So far this network looks <b")


def test_ctrl_c_stops_the_app_server_as_any_command_it_interrupts(tmp_path):
    """Ctrl-C, the way the app says to stop it: 'givetake: interrupted', exit 130, no traceback
    (click's Abort went up as one, exit 1)."""
    import signal
    import subprocess
    import time
    import urllib.request

    from simulation.app.local_server import free_port

    port = free_port()
    # Ctrl-C's signal reaches the server even where this test runs with it ignored (a
    # background job of a shell ignores it, and its children inherit that)
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "app", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        said, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, said
    assert said.rstrip().splitlines()[-1] == "givetake: interrupted" and "Traceback" not in said
