"""The strategy interface and the decorator-based registry.

A strategy decides, for a batch of requests at once, whether the asked
members give.  It also says how widely its members ask, how much imbalance
they tolerate on a tie before cutting it, and whether they introduce contacts.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..params import Configurable

if TYPE_CHECKING:
    from ..model import GiveTakeModel

__all__ = [
    "REGISTRY",
    "CHOICES",
    "CLASSIFIER_KEYS",
    "ChoiceContext",
    "PALETTE",
    "DecisionContext",
    "Strategy",
    "colour",
    "filtered",
    "get_strategy",
    "label",
    "ordered",
    "strategy",
]

#: name -> strategy class, filled by the :func:`strategy` decorator, in the order of registration
#: (the order strategies are listed in tables, figures and the app).
REGISTRY: dict[str, type[Strategy]] = {}

CLASSIFIER_KEYS = ("gives_unconditionally", "uses_reputation", "uses_memory", "introduces")

#: colours for strategies that do not choose their own, picked by name (Paul Tol's
#: colour-blind-safe "muted" scheme, plus Okabe & Ito's blue)
PALETTE = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#0072B2",
)

_HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


class DecisionContext:
    """A batch of requests seen by the asked members (all arrays aligned).

    Attributes
    ----------
    giver, asker : member slots of the asked and the asking member
    edge : index of the tie between them
    given : gifts the giver has already given the asker on this tie
    received : gifts the giver has received from the asker on this tie
    trust : the giver's trust in the asker
    asker_reputation : the asker's standing in the giver's eyes, in [0, 1] (computed
        from the model when not given: :meth:`GiveTakeModel.standing_of`)

    A context for part of a batch (:meth:`subset`) gathers a field only when a
    strategy reads it, so strategies pay only for what they look at.
    """

    FIELDS = ("giver", "asker", "edge", "given", "received", "trust", "asker_reputation")

    def __init__(
        self,
        model: GiveTakeModel,
        giver: np.ndarray,
        asker: np.ndarray,
        edge: np.ndarray,
        given: np.ndarray,
        received: np.ndarray,
        trust: np.ndarray,
        asker_reputation: np.ndarray | None = None,
    ):
        self.model = model
        self.giver, self.asker, self.edge = giver, asker, edge
        self.given, self.received, self.trust = given, received, trust
        if asker_reputation is not None:
            self.asker_reputation = asker_reputation
        self._n = len(giver)

    @classmethod
    def subset(cls, parent: DecisionContext, sel: np.ndarray) -> DecisionContext:
        """The requests ``sel`` of ``parent``; fields are gathered when first read."""
        ctx = cls.__new__(cls)
        ctx.model = parent.model
        ctx._parent, ctx._sel, ctx._n = parent, sel, len(sel)
        return ctx

    def __getattr__(self, name: str):
        # only reached for fields not yet set: gather them lazily
        if name in DecisionContext.FIELDS:
            if "_parent" in self.__dict__:
                value = getattr(self._parent, name)[self._sel]
            elif name == "asker_reputation":
                value = self.model.standing_of(self.asker, self.giver, self.edge)
            else:  # pragma: no cover - every other field is set by __init__
                raise AttributeError(name)
            setattr(self, name, value)
            return value
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    @property
    def balance(self) -> np.ndarray:
        """Gifts given minus gifts received, from the giver's side."""
        return self.given - self.received

    def __len__(self) -> int:
        return self._n


#: the choices of whom to deal with that a strategy may make itself (:meth:`Strategy.choose`):
#: whom to ask for help, whom to seek out, which two contacts to introduce
CHOICES = ("ask", "meet", "introduce")


class ChoiceContext:
    """Candidates offered to a batch of members for one kind of choice (arrays aligned).

    Attributes
    ----------
    kind : one of :data:`CHOICES`: ``"ask"`` (contacts with the skill the member needs,
        :class:`~simulation.mechanisms.asking.Asking`), ``"meet"`` (friends of friends the
        member could seek out, :class:`~simulation.mechanisms.meeting.Meeting`) or
        ``"introduce"`` (two of the member's contacts who are not yet tied,
        :class:`~simulation.mechanisms.introductions.Introductions`)
    member : slot of the member choosing
    candidate : slot of the member it could choose
    partner : for ``"introduce"``, the other contact of the pair (``-1`` otherwise)
    edge : the tie between ``member`` and ``candidate`` (``-1`` where there is none)
    score : the mechanism's own preference (higher first); members whose strategy does
        not choose follow it

    Examples
    --------
    >>> ctx = ChoiceContext("ask", None, member=np.array([1, 1]), candidate=np.array([4, 7]),
    ...                     edge=np.array([0, 3]), score=np.array([0.2, 0.9]))
    >>> len(ctx), ctx.partner.tolist()
    (2, [-1, -1])
    """

    def __init__(
        self,
        kind: str,
        model: GiveTakeModel | None,
        member: np.ndarray,
        candidate: np.ndarray,
        edge: np.ndarray,
        score: np.ndarray,
        partner: np.ndarray | None = None,
    ):
        if kind not in CHOICES:
            raise ValueError(f"choice kind {kind!r}: expected one of {', '.join(CHOICES)}")
        self.kind, self.model = kind, model
        self.member, self.candidate, self.edge = member, candidate, edge
        self.score = np.asarray(score, float)
        self.partner = np.full(len(member), -1, np.int64) if partner is None else partner

    def take(self, sel: np.ndarray) -> ChoiceContext:
        """The candidates ``sel`` of this context."""
        return ChoiceContext(
            self.kind,
            self.model,
            self.member[sel],
            self.candidate[sel],
            self.edge[sel],
            self.score[sel],
            self.partner[sel],
        )

    def __len__(self) -> int:
        return len(self.member)


class Strategy(Configurable):
    """Base class: subclass, set ``name``, ``classifier``, and implement :meth:`gives`.

    Class attributes
    ----------------
    name : registry name, used in scenario files (``population.mix.<name>``)
    label : words for the strategy in figures, tables and the app (default: the
            name with spaces for underscores)
    colour : ``#rrggbb`` colour of the strategy in every figure and in the app
             (default: one of :data:`PALETTE`, picked by name)
    classifier : dict with at least the keys in ``CLASSIFIER_KEYS``; the model reads it
        (``introduces``: members broker introductions between their contacts)
    asks_factor : members ask ``asks * asks_factor`` contacts (takers ask widely)
    tolerance : a member cuts a tie once it has given more than this many gifts beyond what it got
                back on it (``inf``: never cuts for imbalance)
    spares_good_standing : the tolerance applies only to members not in good standing in
        this member's eyes (image below 0.5, as :meth:`GiveTakeModel.standing_of` gives it):
        a tie to a member in good standing is not cut for imbalance, however much it owes
    cuts_distrusted : cut ties whose trust fell below the maintenance threshold
    chooses : the kinds of choice (:data:`CHOICES`) its members make themselves through
        :meth:`choose`; for the others they follow the mechanisms' own rules (every
        built-in strategy: none)
    """

    classifier: ClassVar[dict] = {}
    label: ClassVar[str] = ""
    colour: ClassVar[str] = ""
    asks_factor: ClassVar[float] = 1.0
    tolerance: ClassVar[float] = float("inf")
    spares_good_standing: ClassVar[bool] = False
    cuts_distrusted: ClassVar[bool] = False
    chooses: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def config_prefix(cls) -> str:
        return f"strategies.{cls.name}"

    def gives(self, ctx: DecisionContext) -> np.ndarray:
        """Boolean array: which of the requests in ``ctx`` this strategy grants."""
        raise NotImplementedError

    def choose(self, ctx: ChoiceContext) -> np.ndarray:
        """Preference for each candidate in ``ctx`` (higher first; ``-inf``: not chosen).

        Called only for the kinds in :attr:`chooses`.  The mechanism keeps its own rules
        around the choice: who the candidates are, how many a member may ask, the
        network's degree cap.  The default is the mechanism's own preference.
        """
        return ctx.score

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.settings() == other.settings()

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.settings().items())))


def strategy(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator registering a strategy under ``cls.name``.

    Examples
    --------
    >>> import numpy as np
    >>> @strategy
    ... class CoinFlip(Strategy):
    ...     '''Gives to half of the requests, at random.'''
    ...     name = "doctest_coin_flip"
    ...     classifier = {"gives_unconditionally": False, "uses_reputation": False,
    ...                   "uses_memory": False, "introduces": False}
    ...     def gives(self, ctx):
    ...         return ctx.model.rng.random(len(ctx)) < 0.5
    >>> "doctest_coin_flip" in REGISTRY
    True
    >>> del REGISTRY["doctest_coin_flip"]
    """
    if not isinstance(cls, type) or not issubclass(cls, Strategy):
        raise TypeError("@strategy decorates subclasses of Strategy")
    if not cls.name or not cls.name.isidentifier():
        raise ValueError(f"strategy {cls.__name__} needs a `name` that is an identifier")
    missing = [k for k in CLASSIFIER_KEYS if k not in cls.classifier]
    if missing:
        raise ValueError(f"strategy {cls.name!r}: classifier lacks {', '.join(missing)}")
    # label and colour are the class's own: a subclass does not borrow its parent's
    if not cls.__dict__.get("label"):
        cls.label = _default_label(cls.name)
    if not cls.__dict__.get("colour"):
        cls.colour = _palette_colour(cls.name)
    elif not _HEX_COLOUR.match(cls.colour):
        raise ValueError(f"strategy {cls.name!r}: colour {cls.colour!r} is not of the form '#rrggbb'")
    REGISTRY[cls.name] = cls
    return cls


def _default_label(name: str) -> str:
    return name.replace("_", " ")


def _palette_colour(name: str) -> str:
    # crc32, not hash(): the same name gets the same colour in every process
    return PALETTE[zlib.crc32(name.encode()) % len(PALETTE)]


def label(name: str) -> str:
    """Words for a strategy in figures and the app: its class's ``label`` when registered,
    else the name with spaces for underscores.

    Examples
    --------
    >>> label("otherish_giver"), label("not_registered_here")
    ('otherish giver', 'not registered here')
    """
    cls = REGISTRY.get(name)
    return cls.label if cls is not None else _default_label(name)


def colour(name: str) -> str:
    """The ``#rrggbb`` colour of a strategy, the same in every figure, report and the app.

    A registered strategy has its class's ``colour``; a strategy that chose none,
    or a name this process has not registered (a stored sweep of a user strategy,
    say), gets one of :data:`PALETTE` picked by its name, so both agree.

    Examples
    --------
    >>> colour("giver")
    '#009E73'
    >>> colour("some_strategy") == colour("some_strategy") and colour("some_strategy") in PALETTE
    True
    """
    cls = REGISTRY.get(name)
    return cls.colour if cls is not None else _palette_colour(name)


def ordered(names) -> list[str]:
    """``names`` in registry order (built-ins first, as registered), unregistered names last, sorted.

    Examples
    --------
    >>> ordered(["taker", "zebra", "giver", "aardvark"])
    ['giver', 'taker', 'aardvark', 'zebra']
    """
    names = set(names)
    return [n for n in REGISTRY if n in names] + sorted(names - set(REGISTRY))


def get_strategy(name: str) -> type[Strategy]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r} (known: {', '.join(sorted(REGISTRY))})") from None


def filtered(filterset: Mapping[str, Any], names: Iterable[str] | None = None) -> list[str]:
    """Registered strategies whose classifier matches every entry of ``filterset``.

    As Axelrod's ``axl.filtered_strategies``: select strategies by what they do,
    not by their names.  ``filterset`` maps classifier keys to the wanted value;
    the result is in registry order, optionally only among ``names``.

    Parameters
    ----------
    filterset : mapping
        Classifier key -> value, e.g. ``{"introduces": True}``.  A key may be one
        of ``CLASSIFIER_KEYS`` or an extra key some registered strategy declares.
    names : iterable of str, optional
        Look only among these strategies (default: every registered one).

    Raises
    ------
    ValueError
        A key no registered strategy's classifier has.

    Examples
    --------
    >>> filtered({"introduces": True})
    ['connector']
    >>> filtered({"uses_memory": True, "uses_reputation": True, "introduces": False})
    ['otherish_giver', 'matcher']
    >>> filtered({"gives_unconditionally": True}, names=["giver", "taker"])
    ['giver']
    """
    known = set(CLASSIFIER_KEYS).union(*(cls.classifier for cls in REGISTRY.values()))
    for key in filterset:
        if key not in known:
            raise ValueError(f"unknown classifier key {key!r} (known: {', '.join(sorted(known))})")
    pool = list(REGISTRY) if names is None else [n for n in REGISTRY if n in set(names)]
    return [
        n
        for n in pool
        if all(
            key in REGISTRY[n].classifier and REGISTRY[n].classifier[key] == want
            for key, want in filterset.items()
        )
    ]
