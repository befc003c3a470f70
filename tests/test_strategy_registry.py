"""The strategy registry is the one place that knows the strategies: their order, labels
and colours in the app and in the sweep reports alike, for built-ins and user strategies."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from simulation import GiveTakeModel
from simulation import strategies as registry
from simulation.analysis import load
from simulation.app.drawing import network_svg
from simulation.app.layout import NetworkLayout
from simulation.app.session import Session
from simulation.experiment import Experiment
from simulation.strategies import BUILTIN, PALETTE, REGISTRY, Strategy, strategy
from simulation.sweep import run_sweep

USER = "lenient_matcher"


@pytest.fixture
def user_strategy():
    """A user strategy registered with the decorator, choosing neither label nor colour."""

    @strategy
    class LenientMatcher(Strategy):
        """Gives while the asker owes it fewer than three gifts."""

        name = USER
        classifier = {
            "gives_unconditionally": False,
            "uses_reputation": False,
            "uses_memory": True,
            "introduces": False,
        }

        def gives(self, ctx) -> np.ndarray:
            return ctx.balance < 3

    yield LenientMatcher
    del REGISTRY[USER]


def _user_mix() -> dict:
    return {
        "population": {"size": 90, "mix": {USER: 0.4, "matcher": 0.3, "taker": 0.3}},
        "network": {"mean_degree": 6},
    }


def test_builtins_come_first_in_registry_order_with_distinct_colours():
    assert list(REGISTRY)[: len(BUILTIN)] == list(BUILTIN)
    assert BUILTIN == ("giver", "otherish_giver", "matcher", "taker", "connector")
    colours = [registry.colour(s) for s in BUILTIN]
    assert len(set(colours)) == len(colours)
    assert registry.ordered(["connector", "zz_unknown", "giver"]) == ["giver", "connector", "zz_unknown"]


def test_a_user_strategy_gets_a_label_and_a_palette_colour_chosen_by_its_name(user_strategy):
    assert user_strategy.label == "lenient matcher" and registry.label(USER) == "lenient matcher"
    assert user_strategy.colour in PALETTE and registry.colour(USER) == user_strategy.colour
    # the same name gets the same colour in a process that never registered it
    code = f"from simulation import strategies; print(strategies.colour({USER!r}))"
    fresh = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert fresh.stdout.strip() == user_strategy.colour
    assert registry.ordered([USER, "taker"]) == ["taker", USER]


def test_a_subclass_does_not_borrow_its_parents_colour_and_a_bad_colour_is_refused():
    class Parent(Strategy):
        name = "colour_parent"
        classifier = dict.fromkeys(registry.CLASSIFIER_KEYS, False)
        colour = "#123456"

    try:
        strategy(Parent)

        @strategy
        class Child(Parent):
            name = "colour_child"

        assert Parent.colour == "#123456" and Child.colour in PALETTE
        with pytest.raises(ValueError, match="colour 'red' is not of the form"):

            @strategy
            class Bad(Parent):
                name = "colour_bad"
                colour = "red"
    finally:
        for n in ("colour_parent", "colour_child", "colour_bad"):
            REGISTRY.pop(n, None)


def test_the_app_draws_a_user_strategy_in_its_registry_colour(user_strategy):
    model = GiveTakeModel(_user_mix(), rng=3)
    layout = NetworkLayout(seed=0)
    layout.update(model)
    svg = network_svg(model, layout)
    k = model.strategy_names.index(USER)
    member = np.flatnonzero(model.population.strategy[: model.population.size] == k)[0]
    circle = re.search(rf'<circle[^>]*fill="([^"]+)"[^>]*data-slot="{member}"', svg)
    assert circle.group(1) == user_strategy.colour
    assert f"#{member} lenient matcher," in svg  # the tooltip uses the label
    # the live charts draw its line in the same colour, under its label
    mix = _user_mix()
    session = Session(
        None,
        overrides={
            "population.size": 90,
            "network.mean_degree": 6,
            "population.mix": mix["population"]["mix"],
        },
        seed=3,
    )
    session.step()
    members_chart = session.charts()["members"]
    assert re.search(rf'stroke="{user_strategy.colour}"[^>]*><title>lenient matcher</title>', members_chart)


@pytest.mark.slow
def test_a_report_drawn_in_a_fresh_process_colours_the_user_strategy_like_the_app(user_strategy, tmp_path):
    """The report reads a stored sweep in a process that never registered the user strategy;
    its figures still use the colour the app uses."""
    exp = Experiment.from_dict(
        {"scenarios": [{"scenario": _user_mix(), "label": "mine"}], "replications": 2, "steps": 4, "seed": 5}
    )
    run_sweep(exp, tmp_path / "s", executor="serial", progress=False)
    assert load(tmp_path / "s").strategies == ["matcher", "taker", USER]  # registry order
    done = subprocess.run(
        [sys.executable, "-m", "simulation.cli", "report", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    svg = (tmp_path / "s" / "report" / "figures" / "wealth_by_strategy.svg").read_text()
    assert user_strategy.colour.lower() in svg.lower()
    assert "lenient matcher" in svg
    for name in ("matcher", "taker"):
        assert registry.colour(name).lower() in svg.lower()


def test_filtered_selects_by_classifier_including_user_strategies_and_their_own_keys():
    @strategy
    class Broker(Strategy):
        """Introduces contacts and gives to those it trusts."""

        name = "filter_broker"
        classifier = {
            "gives_unconditionally": False,
            "uses_reputation": False,
            "uses_memory": True,
            "introduces": True,
            "charges_fees": True,  # a key of its own
        }

        def gives(self, ctx) -> np.ndarray:
            return ctx.trust > 0.5

    try:
        assert registry.filtered({"introduces": True}) == ["connector", "filter_broker"]
        assert registry.filtered({"charges_fees": True}) == ["filter_broker"]
        assert registry.filtered({"introduces": True, "uses_reputation": True}) == ["connector"]
        # every built-in matches exactly one way of gives_unconditionally
        yes = registry.filtered({"gives_unconditionally": True}, names=BUILTIN)
        no = registry.filtered({"gives_unconditionally": False}, names=BUILTIN)
        assert yes == ["giver"] and sorted(yes + no) == sorted(BUILTIN)
        assert registry.filtered({}) == list(REGISTRY)
    finally:
        del REGISTRY["filter_broker"]
    with pytest.raises(ValueError, match="unknown classifier key 'charges_fees'"):
        registry.filtered({"charges_fees": True})
