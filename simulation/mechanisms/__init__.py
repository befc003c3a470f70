"""Pipeline stages of the weekly step; importing this package registers them."""

# importing the modules registers their mechanisms
from .. import ecosystems  # noqa: F401
from . import churn, exchange, learning, maintenance, meeting, styles  # noqa: F401
from .base import MECHANISMS, Mechanism, get_mechanism, mechanism

#: the order in which the default pipeline runs the built-in mechanisms
DEFAULT_PIPELINE = [
    "needs",
    "asking",
    "giving",
    "exchange",
    "reputation",
    "maintenance",
    "meeting",
    "introductions",
    "churn",
    "learning",
    "ecosystems",
]

__all__ = ["MECHANISMS", "Mechanism", "get_mechanism", "mechanism", "DEFAULT_PIPELINE"]
