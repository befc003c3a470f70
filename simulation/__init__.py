"""givetake: agent-based simulation of social business networking ecosystems.

The public names below are imported on first use (PEP 562), so that the
command line (``givetake --help``, ``givetake scenarios``, a bad-input error)
answers without loading Mesa, pandas, networkx or SciPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# public name -> (module, attribute)
_LAZY = {
    "GiveTakeModel": (".model", "GiveTakeModel"),
    "Scenario": (".scenario", "Scenario"),
    "ScenarioError": (".scenario", "ScenarioError"),
    "STRATEGIES": (".strategies", "REGISTRY"),
    "Strategy": (".strategies", "Strategy"),
    "strategy": (".strategies", "strategy"),
    "MECHANISMS": (".mechanisms", "MECHANISMS"),
    "Mechanism": (".mechanisms", "Mechanism"),
    "mechanism": (".mechanisms", "mechanism"),
}

__all__ = [
    "GiveTakeModel",
    "Scenario",
    "ScenarioError",
    "STRATEGIES",
    "Strategy",
    "strategy",
    "MECHANISMS",
    "Mechanism",
    "mechanism",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover
    from .mechanisms import MECHANISMS, Mechanism, mechanism
    from .model import GiveTakeModel
    from .scenario import Scenario, ScenarioError
    from .strategies import REGISTRY as STRATEGIES
    from .strategies import Strategy, strategy


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("givetake")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0+unknown"


def __getattr__(name: str):
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    # the model brings in every built-in mechanism and strategy (the classic games register
    # theirs with the mechanisms), so the registries are complete whichever name comes first
    importlib.import_module(".model", __name__)
    value = getattr(importlib.import_module(module, __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
