"""Give/take strategies and their registry.

Importing this package registers the built-in strategies; a user strategy
registers itself with the :func:`strategy` decorator (see ``docs/strategies.md``).
The registry is the one place that knows the strategies: their order
(:func:`ordered`, :data:`BUILTIN`), their words (:func:`label`) and their
colours (:func:`colour`) in every figure, report and the app.  :func:`filtered`
selects strategies by their classifier, as Axelrod's ``filtered_strategies`` does.

Examples
--------
>>> BUILTIN
('giver', 'otherish_giver', 'matcher', 'taker', 'connector')
>>> label("otherish_giver"), colour("taker")
('otherish giver', '#D55E00')
>>> filtered({"introduces": True})
['connector']
"""

from . import builtin
from .base import (
    CHOICES,
    CLASSIFIER_KEYS,
    PALETTE,
    REGISTRY,
    ChoiceContext,
    DecisionContext,
    Strategy,
    colour,
    filtered,
    get_strategy,
    label,
    ordered,
    strategy,
)

#: the built-in strategies, in registry order: every model has their columns
BUILTIN: tuple[str, ...] = tuple(name for name, cls in REGISTRY.items() if cls.__module__ == builtin.__name__)

__all__ = [
    "BUILTIN",
    "CHOICES",
    "ChoiceContext",
    "CLASSIFIER_KEYS",
    "PALETTE",
    "REGISTRY",
    "DecisionContext",
    "Strategy",
    "colour",
    "filtered",
    "get_strategy",
    "label",
    "ordered",
    "strategy",
]
