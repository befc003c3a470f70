"""The built-in give/take strategies (DESIGN §2, after Grant, *Give and Take*, 2013).

Their colours are Okabe & Ito's (2008) colour-blind-safe palette: givers green,
otherish givers sky blue, matchers orange, takers vermilion, connectors purple.
"""

from __future__ import annotations

import numpy as np

from ..compiled.codes import GIVES, MATCHES, N_PARAMS, NEVER, OTHERISH
from ..params import Param
from .base import DecisionContext, Strategy, strategy

__all__ = ["Giver", "OtherishGiver", "Matcher", "Taker", "Connector", "strategy_table"]

#: images from this up mark good standing (also the standing norms' mark: ``mechanisms.standing.BAD_BELOW``)
GOOD_STANDING = 0.5


@strategy
class Giver(Strategy):
    """Selfless contributor: gives whenever asked and able; never cuts a tie for imbalance."""

    name = "giver"
    label = "giver"
    colour = "#009E73"
    classifier = {
        "gives_unconditionally": True,
        "uses_reputation": False,
        "uses_memory": False,
        "introduces": False,
    }

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        return np.ones(len(ctx), bool)


@strategy
class OtherishGiver(Strategy):
    """Generous but not a doormat: gives by default, and keeps its guard for askers whose
    conduct marks them as takers.

    Grant (2013, *Give and Take*, ch. 7, "Chump change") describes how otherish givers
    avoid being exploited: they trust most people most of the time, screen for takers by
    what people do rather than how they come across ("sincerity screening"), and with
    someone who has shown themselves a taker they switch to matching, but a generous
    kind: "generous tit for tat", which meets about one defection in three with
    cooperation (Nowak & Sigmund 1992, *Nature* 355:250: with the payoffs of Axelrod's
    tournaments, 1/3 is the most forgiving such rule that defectors cannot exploit).
    Their self-protection is aimed at takers, not at everyone who has taken more than
    it gave.

    Here an asker's conduct is its standing in this member's eyes (its image, learnt
    first-hand and by gossip, or the public record where a style keeps one).  The member
    refuses askers whose standing is below ``min_reputation`` (screening), and askers not
    in good standing (image below 0.5, where the standing norms mark bad from good) who
    already owe it ``max_imbalance`` gifts; askers in good standing are helped whatever
    the ledger says.  Only the second refusal is forgiven, with chance ``forgive``:
    generous tit for tat answers the counterpart's own moves against the player ("when
    your counterpart competes", Grant; a reactive strategy cooperates after the
    opponent's defection with a fixed chance, Nowak & Sigmund 1992), and the ledger is
    this member's own experience of the asker.  An asker refused for its standing alone
    is known by what others say of it, not by a defection against this member, so it is
    not forgiven.

    Its ties are kept by the same guard (``spares_good_standing``): it cuts a tie for
    imbalance, once it has given more than ``tolerance`` gifts beyond what it got back,
    only to a member not in good standing in its eyes; a member it helps whatever the
    ledger says is not dropped over that ledger.  It cuts any tie whose trust fell below
    the maintenance's ``cut_trust``.  Connectors decide and cut the same way."""

    name = "otherish_giver"
    label = "otherish giver"
    colour = "#56B4E9"
    classifier = {
        "gives_unconditionally": False,
        "uses_reputation": True,
        "uses_memory": True,
        "introduces": False,
    }
    PARAMS = {
        "min_reputation": Param(
            0.3, "refuse askers whose standing in this member's eyes is below this", 0.0, 1.0
        ),
        "max_imbalance": Param(
            4,
            "refuse askers not in good standing in this member's eyes (image below 0.5) who already owe "
            "this many gifts; askers in good standing are helped whatever they owe",
            0,
            None,
        ),
        "forgive": Param(
            1 / 3,
            "chance of helping anyway an asker refused for what it owes this member (not one below "
            "min_reputation): generous tit for tat forgives about one of the counterpart's defections in "
            "three (Nowak & Sigmund 1992, Nature 355:250; Grant 2013, ch. 7); 0: never",
            0.0,
            1.0,
        ),
    }
    tolerance = 8.0
    spares_good_standing = True
    cuts_distrusted = True

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        standing = ctx.asker_reputation
        credit = (standing >= GOOD_STANDING) | (ctx.balance < self.max_imbalance)
        if self.forgive > 0:  # one draw for every request, forgiven or not
            credit |= ctx.model.rng.random(len(ctx)) < self.forgive
        return (standing >= self.min_reputation) & credit


@strategy
class Matcher(Strategy):
    """Reciprocator: helps first on credit, then only while the ledger with the asker
    is balanced; cuts ties where it is exploited.  Credit goes only to askers in good
    standing: matchers are the ones who punish takers once word gets round (Grant 2013,
    ch. 2; conditional cooperators who condition on reputation, Milinski et al. 2002,
    *Nature* 415:424).

    With ``follows_beliefs`` (off by default), credit also follows what the matcher
    expects of others: it extends credit with chance ``slope`` times its expectation
    (the share of requests it believes others meet, ``Population.expectation``, learnt
    from the answers to its own requests).
    Conditional cooperators contribute a little less than they believe others do: in
    the strategy method their contribution rises with others' but below the diagonal
    (Fischbacher, Gächter & Fehr 2001, *Economics Letters* 71:397), and this self-serving
    shortfall, with beliefs that follow what was observed, is what makes contribution
    decay in repeated groups (Fischbacher & Gächter 2010, *American Economic Review*
    100:541).  The slope is that of the average conditional cooperator's schedule in
    the strategy method (0.74 in Fischbacher & Gächter's data, 0.73 through the origin);
    in their repeated game the same people gave more at a given belief (0.85 × belief,
    docs/pattern_notes.md).  Repaying a gift received on the tie (a negative balance) does not
    depend on the belief: the ledger says it is owed.

    With ``discriminates`` (off by default) a matcher reciprocates to the group as well
    as on the tie: it helps any asker in good standing in its eyes (image at least
    0.5, where the standing norms mark good from bad), whatever their ledger says.  This
    is the discriminator of indirect reciprocity (Nowak & Sigmund 1998, *Nature*
    393:573; Ohtsuki & Iwasa 2004, *J. Theor. Biol.* 231:107): people help those who
    have helped others even where the favour cannot come back directly (Wedekind &
    Milinski 2000, *Science* 288:850).  A style with a shared record of who gave
    makes it its norm (``[strategies.matcher] discriminates = true``): the
    referral group does ("givers gain": a chapter's members pass business to the group,
    and what each does is reported to the room).  It is off by default and in the other
    styles, where what a member sees of others' conduct is its own experience and
    gossip, too little to stand in for being repaid."""

    name = "matcher"
    label = "matcher"
    colour = "#E69F00"
    classifier = {
        "gives_unconditionally": False,
        "uses_reputation": True,
        "uses_memory": True,
        "introduces": False,
    }
    PARAMS = {
        "credit": Param(1, "gifts a matcher gives ahead of being repaid", 0, None),
        "min_standing": Param(
            0.4, "no credit for askers whose standing in the matcher's eyes is below this", 0.0, 1.0
        ),
        "discriminates": Param(
            False,
            "true: also help any asker in good standing in the matcher's eyes (image at least 0.5, "
            "the mark of the standing norms) whatever the ledger says: the discriminator of indirect "
            "reciprocity, for styles where a shared record makes giving to the group count as repaying",
        ),
        "follows_beliefs": Param(
            False,
            "true: credit also depends on what the matcher expects of others (chance slope × "
            "expectation, an imperfect conditional cooperator); false: credit whenever ledger and "
            "standing allow",
        ),
        "slope": Param(
            0.7,
            "credit is given with chance slope × the matcher's expectation of help: conditional "
            "cooperators' contributions rise with what others give, below 1 (they give a little "
            "less): in Fischbacher & Gächter's data (2010, AER 100:541) the average conditional "
            "cooperator's schedule has slope 0.74, intercept -0.2 tokens of 20 (0.73 through the "
            "origin); schedules below the diagonal also in Fischbacher, Gächter & Fehr 2001, Econ. "
            "Letters 71:397",
            0.0,
            1.0,
        ),
    }
    tolerance = 2.0
    cuts_distrusted = True

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        credit = (ctx.balance < self.credit) & (ctx.asker_reputation >= self.min_standing)
        if self.discriminates:
            credit |= ctx.asker_reputation >= GOOD_STANDING
        if self.follows_beliefs:
            expects = ctx.model.population.expectation[ctx.giver]
            credit &= ctx.model.rng.random(len(ctx)) < self.slope * expects
        return (ctx.balance < 0) | credit


@strategy
class Taker(Strategy):
    """User and abuser: asks widely, never gives."""

    name = "taker"
    label = "taker"
    colour = "#D55E00"
    classifier = {
        "gives_unconditionally": False,
        "uses_reputation": False,
        "uses_memory": False,
        "introduces": False,
    }
    asks_factor = 2.0

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        return np.zeros(len(ctx), bool)


@strategy
class Connector(OtherishGiver):
    """Broker: gives and keeps its ties like an otherish giver, and introduces contacts
    whose need and skill match ("my network uses me", seed 004)."""

    name = "connector"
    label = "connector"
    colour = "#CC79A7"
    classifier = {**OtherishGiver.classifier, "introduces": True}


#: the built-in strategies the favours kernels implement, by exact type (a subclass may
#: decide otherwise, so it takes the numpy path)
_CODES: dict[type, int] = {
    Giver: GIVES,
    OtherishGiver: OTHERISH,
    Connector: OTHERISH,
    Matcher: MATCHES,
    Taker: NEVER,
}
#: parameter rows -> the arrays made of them (the kernels only read them)
_TABLES: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def strategy_table(strategies) -> tuple[np.ndarray, np.ndarray] | None:
    """``(code, par)`` of ``strategies`` for the compiled favours
    (:mod:`simulation.compiled.favours`), or ``None`` when one of them is not a built-in
    (its own ``gives`` decides, on the numpy path).

    ``par[s]`` holds the parameters the code reads: the otherish giver's
    ``min_reputation, max_imbalance, forgive`` and the mark of good standing; the matcher's ``credit, min_standing,
    discriminates, follows_beliefs, slope`` and the mark of good standing.
    """
    rows = []
    for s in strategies:
        c = _CODES.get(type(s))
        if c is None:
            return None
        if c == OTHERISH:
            rows.append((c, s.min_reputation, s.max_imbalance, s.forgive, GOOD_STANDING, 0.0, 0.0))
        elif c == MATCHES:
            rows.append(
                (
                    c,
                    s.credit,
                    s.min_standing,
                    bool(s.discriminates),
                    bool(s.follows_beliefs),
                    s.slope,
                    GOOD_STANDING,
                )
            )
        else:
            rows.append((c, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    key = tuple(rows)
    table = _TABLES.get(key)
    if table is None:
        if len(_TABLES) > 64:
            _TABLES.clear()
        table = _TABLES[key] = (
            np.array([r[0] for r in rows], np.int64),
            np.array([r[1:] for r in rows], np.float64).reshape(len(rows), N_PARAMS),
        )
    return table
