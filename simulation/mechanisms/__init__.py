"""Pipeline stages of the weekly step, one module per mechanism; importing this package registers them.

The business model's week (in the order of :data:`DEFAULT_PIPELINE`):
``needs``, ``asking``, ``giving``, ``exchange``, ``reputation``, ``standing``, ``referrals``,
``maintenance``, ``meeting``,
``introductions``, ``churn``, ``learning``, ``ecosystems``.  Networking styles are in
``styles/`` (``chapters``, ``events``, ``platforms``, ``arrivals``, ``habits``), the classic
games' ``play`` and ``update`` in ``classic/``.  ``tie_census`` records tie births and deaths
(it changes nothing; the bridge-decay pattern uses it).  :mod:`.contacts` holds helpers shared by the
mechanisms that make ties.
"""

# importing the modules registers their mechanisms
from . import (  # noqa: F401
    asking,
    churn,
    classic,
    ecosystems,
    exchange,
    giving,
    introductions,
    learning,
    maintenance,
    meeting,
    needs,
    referrals,
    reputation,
    standing,
    styles,
    tie_census,
)
from .base import MECHANISMS, Mechanism, get_mechanism, mechanism

#: the order in which the default pipeline runs the built-in mechanisms
DEFAULT_PIPELINE = [
    "needs",
    "asking",
    "giving",
    "exchange",
    "reputation",
    "standing",
    "referrals",
    "maintenance",
    "meeting",
    "introductions",
    "churn",
    "learning",
    "ecosystems",
]

__all__ = ["MECHANISMS", "Mechanism", "get_mechanism", "mechanism", "DEFAULT_PIPELINE"]
