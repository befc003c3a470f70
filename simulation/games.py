"""Classic evolutionary games on graphs, run by the same engine as the business scenarios.

Two pipeline mechanisms (``simulation/mechanisms/classic/``) and two strategies turn :class:`~simulation.model.GiveTakeModel`
into the classic models of evolutionary game theory on graphs:

``play``
    every member plays a 2x2 game (cooperate or defect) with every contact on the tie
    graph; payoffs are summed (``accumulated``) or averaged, optionally including a
    game against oneself.  The payoff is also written into each member's ``wealth``.
``update``
    members change strategy by one of four classic rules (``rule``):

    * ``imitate_best`` -- take the strategy of the best-scoring contact (or keep one's own
      when one scores best oneself, ``include_self``); Nowak & May 1992, *Nature* 359:826.
    * ``fermi`` -- compare with one random contact and copy its strategy with probability
      ``1 / (1 + exp(-beta (payoff_contact - payoff_own)))``; Szabó & Tőke 1998,
      *Phys. Rev. E* 58:69.
    * ``death_birth`` -- a member dies and its contacts compete for the empty place in
      proportion to fitness; Ohtsuki et al. 2006, *Nature* 441:502.
    * ``birth_death`` -- a member is chosen to reproduce in proportion to fitness and its
      offspring replaces a random contact (the Moran process on a graph); Lieberman,
      Hauert & Nowak 2005, *Nature* 433:312.

    Fitness is ``1 - w + w * payoff`` (``fitness = "linear"``, cut at 0) or
    ``exp(w * payoff)``; ``w`` is the intensity of selection.  ``synchronous = true``
    updates everyone at once from the same payoffs; ``false`` runs one *generation*
    per step: as many single updates as there are members, each one seeing the payoffs
    the previous ones left (birth--death is asynchronous only).

The game itself -- payoff matrix, initial condition and stop condition -- is the
top-level scenario table ``[game]`` (:data:`GAME`).  The strategies are ``cooperate``
and ``defect``; the scenario's ``population.mix`` must name both.

Examples
--------
>>> from simulation.model import GiveTakeModel
>>> model = GiveTakeModel({
...     "pipeline": ["play", "update"], "metrics": "light",
...     "population": {"mix": {"cooperate": 0.5, "defect": 0.5}},
...     "network": {"kind": "lattice", "width": 5, "height": 5},
...     "game": {"payoff": "weak_pd", "b": 1.85, "init": "single_defector_centre"},
... }, rng=1)
>>> model.step()
>>> int(25 - round(model.metrics["cooperators"] * 25))  # the defector took its 8 neighbours
9
>>> payoff_matrix({"payoff": "donation", "b": 3.0, "c": 1.0})
(2.0, -1.0, 3.0, 0.0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .params import Param, register_section
from .strategies.base import strategy
from .strategies.builtin import Giver, Taker

if TYPE_CHECKING:
    from .model import GiveTakeModel

__all__ = ["GAME", "Cooperate", "Defect", "payoff_matrix", "cooperator_share", "FAMILIES", "RULES"]

#: payoff families ``game.payoff`` accepts; each gives ``(R, S, T, P)``
FAMILIES = ("matrix", "weak_pd", "donation", "snowdrift", "stag_hunt")


#: update rules ``mechanisms.update.rule`` accepts
RULES = ("imitate_best", "fermi", "death_birth", "birth_death")


GAME: dict[str, Param] = {
    "payoff": Param(
        "weak_pd",
        "the 2x2 game. 'matrix': R, S, T, P as given; 'weak_pd': Nowak & May's weak prisoner's "
        "dilemma R=1, T=b, S=P=0; 'donation': a cooperator pays c for the other to get b "
        "(R=b-c, S=-c, T=b, P=0); 'snowdrift': R=b-c/2, S=b-c, T=b, P=0; 'stag_hunt': the stag "
        "(b) needs both, a hare (c) is safe alone (R=b, S=0, T=c, P=c)",
        choices=FAMILIES,
    ),
    "R": Param(3.0, "payoff 'matrix': reward for mutual cooperation", None, None),
    "S": Param(0.0, "payoff 'matrix': sucker's payoff (I cooperate, the other defects)", None, None),
    "T": Param(5.0, "payoff 'matrix': temptation (I defect, the other cooperates)", None, None),
    "P": Param(1.0, "payoff 'matrix': punishment for mutual defection", None, None),
    "b": Param(
        1.85,
        "benefit: the temptation in 'weak_pd', the gift in 'donation' and 'snowdrift', "
        "the stag in 'stag_hunt'",
        None,
        None,
    ),
    "c": Param(1.0, "cost of cooperating ('donation', 'snowdrift'); the hare in 'stag_hunt'", None, None),
    "payoffs": Param(
        "accumulated",
        "'accumulated': a member's payoff is the sum over its games; 'averaged': the mean",
        choices=("accumulated", "averaged"),
    ),
    "self_interaction": Param(False, "each member also plays one game against itself (Nowak & May)"),
    "init": Param(
        "random",
        "initial strategies: 'random' (a share 'cooperators' of members, placed at random), "
        "'single_mutant' (one random member plays 'mutant', everyone else the other strategy), "
        "'single_defector_centre' (one defector in the middle of a lattice of cooperators)",
        choices=("random", "single_mutant", "single_defector_centre"),
    ),
    "cooperators": Param(0.5, "init 'random': share of members who start cooperating", 0.0, 1.0),
    "mutant": Param(
        "cooperate", "init 'single_mutant': the strategy of the one mutant", choices=("cooperate", "defect")
    ),
    "stop": Param(
        "steps",
        "'steps': run the given number of steps; 'fixation': stop as soon as one strategy is left",
        choices=("steps", "fixation"),
    ),
}


register_section("game", GAME)


def payoff_matrix(game: dict[str, Any]) -> tuple[float, float, float, float]:
    """``(R, S, T, P)``: my payoff for (C vs C), (C vs D), (D vs C), (D vs D)."""
    fam, b, c = game["payoff"], float(game["b"]), float(game["c"])
    if fam == "matrix":
        return float(game["R"]), float(game["S"]), float(game["T"]), float(game["P"])
    if fam == "weak_pd":
        return 1.0, 0.0, b, 0.0
    if fam == "donation":
        return b - c, -c, b, 0.0
    if fam == "snowdrift":
        return b - c / 2.0, b - c, b, 0.0
    if fam == "stag_hunt":
        return b, 0.0, c, c
    raise ValueError(f"game.payoff: unknown family {fam!r}")  # pragma: no cover


# -- strategies ---------------------------------------------------------------
@strategy
class Cooperate(Giver):
    """Always cooperates: pays the cost of every game so that the other side gains."""

    name = "cooperate"


@strategy
class Defect(Taker):
    """Always defects: takes what others give and gives nothing."""

    name = "defect"
    asks_factor = 1.0


def cooperator_share(model: GiveTakeModel) -> float:
    """Share of living members who play cooperate."""
    n_coop, n_alive = model.mechanism("play").counts(model)
    return n_coop / n_alive if n_alive else 0.0
