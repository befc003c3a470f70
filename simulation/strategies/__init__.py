"""Give/take strategies and their registry.

Importing this package registers the built-in strategies; a user strategy
registers itself with the :func:`strategy` decorator (see ``docs/strategies.md``).
"""

from . import builtin  # noqa: F401  (registers the built-ins)
from .base import REGISTRY, DecisionContext, Strategy, get_strategy, strategy

__all__ = ["REGISTRY", "DecisionContext", "Strategy", "get_strategy", "strategy"]
