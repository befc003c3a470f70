"""Standing: what members think of each other's conduct, learnt first-hand and by gossip.

Indirect reciprocity (Nowak & Sigmund 1998, *Nature* 393:573; 2005, *Nature* 437:1291):
people help those who help others, so a member's *standing* in the eyes of others
is what makes its generosity pay.  Here standing is private and local: member ``i``'s
view of member ``j`` is the ``image`` on their tie (:class:`~simulation.ties.TieGraph`),
in ``[0, 1]``, starting at ``0.5`` (nothing known).

Every gift and every refusal of the week is a *deed* of the asked member (the actor)
towards the asker (the recipient).  The recipient sees it; it tells each of its
contacts with chance ``gossip`` (news travels one tie a week, Sommerfeld et al. 2007,
*PNAS* 104:17435); those who know the actor revise their view of it.  There is no
global oracle: a member nobody around you has dealt with keeps a neutral image.
Styles that have one add to it (referral-group reports, platform ratings:
:func:`hear`).

How an observer judges a deed is the *norm* (Ohtsuki & Iwasa 2004, *J. Theor. Biol.*
231:107), with the recipient's standing as the observer sees it:

``image_scoring``
    giving is good, refusing is bad, whoever asked (Nowak & Sigmund 1998);
``simple_standing``
    giving is good; refusing is good when the recipient is in bad standing
    (a justified refusal), bad otherwise;
``stern_judging``
    helping the good and refusing the bad are good; the other two are bad.

A judgement moves the observer's image of the actor by ``weight`` of the way to 1
(good) or 0 (bad).  The recipient always judges by image scoring on its own case: it
asked, so it thinks it deserved help.
"""

from __future__ import annotations

import threading

import numpy as np

from ..arrays import powers, rank_in_groups
from ..strategies.builtin import GOOD_STANDING
from .base import Mechanism, Param, mechanism

__all__ = ["Standing", "hear", "NORMS"]

NORMS = ("image_scoring", "simple_standing", "stern_judging")

#: images below this mark a member in bad standing (for the norms that ask): the same mark
#: the built-in strategies read as good standing
BAD_BELOW = GOOD_STANDING


def judge_deeds(norm: str, gave: np.ndarray, recipient_good: np.ndarray) -> np.ndarray:
    """Whether each deed is good under ``norm``.

    Examples
    --------
    >>> gave = np.array([True, True, False, False])
    >>> good = np.array([True, False, True, False])
    >>> judge_deeds("image_scoring", gave, good).tolist()
    [True, True, False, False]
    >>> judge_deeds("simple_standing", gave, good).tolist()
    [True, True, False, True]
    >>> judge_deeds("stern_judging", gave, good).tolist()
    [True, False, False, True]
    """
    if norm == "image_scoring":
        return gave.copy()
    if norm == "simple_standing":
        return gave | ~recipient_good
    if norm == "stern_judging":
        return gave == recipient_good
    raise ValueError(f"unknown norm {norm!r} (known: {', '.join(NORMS)})")


def hear(
    model,
    observer: np.ndarray,
    actor: np.ndarray,
    recipient: np.ndarray,
    gave: np.ndarray,
    *,
    norm: str = "image_scoring",
    weight: float = 0.3,
) -> int:
    """``observer[k]`` learns that ``actor[k]`` gave to (or refused) ``recipient[k]``.

    Observers who have no tie with the actor cannot act on the news and forget it.
    The deed is judged by ``norm`` with the recipient's standing as the observer sees it
    (its own image of the recipient; an observer judging its own case counts itself
    good).  Returns how many observers revised their view.
    """
    ties = model.ties
    observer = np.asarray(observer, np.int64)
    if model.compiled:
        return _hear_compiled(model, observer, actor, recipient, gave, norm, weight)
    keep = observer != actor
    observer, actor, recipient, gave = observer[keep], actor[keep], recipient[keep], gave[keep]
    edge = ties.find(observer, actor)
    known = edge >= 0
    observer, actor, recipient, gave, edge = (
        observer[known],
        actor[known],
        recipient[known],
        gave[known],
        edge[known],
    )
    if len(edge) == 0:
        return 0
    recipient_good = np.ones(len(edge), bool)
    if norm != "image_scoring":
        about = ties.find(observer, recipient)
        seen = about >= 0
        side_r = ties.direction(about[seen], observer[seen])
        recipient_good[seen] = ties.image[about[seen], side_r] >= BAD_BELOW
    good = judge_deeds(norm, gave, recipient_good)
    good[observer == recipient] = gave[observer == recipient]
    side = ties.direction(edge, observer).astype(np.int64)  # the observer's view of the actor
    # several pieces of news about one actor reach one observer in a week: each moves
    # the view in turn, x <- x + w (t - x), in the order they came
    key = edge * 2 + side
    order = np.argsort(key, kind="stable")
    key, target = key[order], good[order].astype(float)
    first = np.ones(len(key), bool)
    first[1:] = key[1:] != key[:-1]
    group = np.cumsum(first) - 1
    size = np.bincount(group)
    later = size[group] - 1 - rank_in_groups(key)  # pieces of news after this one
    keep = 1.0 - weight
    moved = np.bincount(group, weights=weight * keep**later * target)
    e, s = key[first] >> 1, key[first] & 1
    ties.image[e, s] = ties.image[e, s] * keep**size + moved
    return len(key)


def _hear_compiled(model, observer, actor, recipient, gave, norm: str, weight: float) -> int:
    """:func:`hear` in a compiled kernel (``simulation.compiled``), with the same powers of
    ``1 - weight`` (computed here by numpy, as :func:`hear` computes them); same results."""
    from ..compiled import active

    if norm not in NORMS:
        judge_deeds(norm, gave[:0], gave[:0])  # the same error as the numpy path
    ties = model.ties
    view = ties.directed(model.population.size)
    args = (np.asarray(actor, np.int64), np.asarray(recipient, np.int64), np.asarray(gave, bool))
    scratch = _scratch(2 * ties.size)
    n = 16
    while True:
        table = powers(1.0 - weight, n)
        heard = active().hear(
            observer,
            *args,
            view.start,
            view.dst,
            view.edge,
            ties.size,
            ties.u,
            ties.image,
            NORMS.index(norm),
            float(weight),
            BAD_BELOW,
            table,
            *scratch,
        )
        if heard >= 0:
            return heard
        n = len(observer) + 1  # one view got more news than the table had powers for


#: the compiled judging's scratch, per thread (kernels release the GIL; models may step in
#: threads of one process): one entry per view, all zero between calls
_SCRATCH = threading.local()


def _scratch(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    have = getattr(_SCRATCH, "arrays", None)
    if have is None or len(have[0]) < n:
        n = max(n, 2 * len(have[0]) if have is not None else 0)
        have = _SCRATCH.arrays = (np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n))
    return have


def _marks(n: int) -> np.ndarray:
    """One zeroed entry per member slot at least (per thread, left zeroed by the kernel)."""
    have = getattr(_SCRATCH, "marks", None)
    if have is None or len(have) < n:
        have = _SCRATCH.marks = np.zeros(max(n, 2 * len(have) if have is not None else 0), np.int64)
    return have


@mechanism
class Standing(Mechanism):
    """Members judge the week's gifts and refusals and pass the news along their ties."""

    name = "standing"
    PARAMS = {
        "norm": Param(
            "simple_standing",
            "how a deed is judged: 'image_scoring' (giving good, refusing bad), 'simple_standing' "
            "(refusing someone in bad standing is also good) or 'stern_judging' (helping the bad is bad too)",
            choices=NORMS,
        ),
        "gossip": Param(0.3, "chance that the recipient of a deed tells each of its contacts", 0.0, 1.0),
        "weight": Param(0.3, "share of the way to good (1) or bad (0) one judgement moves a view", 0.0, 1.0),
    }

    def step(self, model) -> None:
        tick = model.tick
        if model.compiled and type(self) is Standing:
            return self._step_compiled(model)
        deeds_actor = np.concatenate([tick.gifts.giver, tick.refusals.giver])
        deeds_recipient = np.concatenate([tick.gifts.asker, tick.refusals.asker])
        gave = np.concatenate([np.ones(len(tick.gifts), bool), np.zeros(len(tick.refusals), bool)])
        if len(gave) == 0:
            return
        # the recipient saw it; it tells each of its contacts with chance `gossip`
        deed, told = model.ties.directed(model.population.size).contacts_of(deeds_recipient)
        heard = model.rng.random(len(deed)) < self.gossip
        deed, told = deed[heard], told[heard]
        observer = np.concatenate([deeds_recipient, told])
        which = np.concatenate([np.arange(len(gave)), deed])
        self.hear(model, observer, deeds_actor[which], deeds_recipient[which], gave[which])

    def _step_compiled(self, model) -> None:
        """The same observers from the same draws, judging the same deeds in the same order,
        in one compiled kernel (``simulation.compiled.favours.news_heard``); same results."""
        from ..compiled.favours import news_heard, told_count

        gifts, refusals = model.tick.gifts, model.tick.refusals
        if len(gifts) + len(refusals) == 0:
            return
        ties, size = model.ties, model.population.size
        view = ties.directed(size)
        uniform = model.rng.random(told_count(gifts.asker, refusals.asker, view.start))
        scratch = _scratch(2 * ties.size)
        mark = _marks(size)
        n = 16
        while True:
            heard, observers = news_heard(
                uniform,
                gifts.giver,
                gifts.asker,
                refusals.giver,
                refusals.asker,
                view.start,
                view.dst,
                view.edge,
                float(self.gossip),
                ties.u,
                ties.image,
                NORMS.index(self.norm),
                float(self.weight),
                BAD_BELOW,
                powers(1.0 - self.weight, n),
                *scratch,
                mark,
            )
            if heard >= 0:
                return
            n = observers + 1  # one view got more news than the table had powers for

    def hear(self, model, observer, actor, recipient, gave) -> int:
        """News of deeds judged by this community's norm (for mechanisms that spread news:
        referrals, referral-group reports, platform ratings); see :func:`hear`."""
        return hear(model, observer, actor, recipient, gave, norm=self.norm, weight=self.weight)
