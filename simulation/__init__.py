"""givetake: agent-based simulation of social business networking ecosystems."""

from importlib.metadata import PackageNotFoundError, version

from .mechanisms import MECHANISMS, Mechanism, mechanism
from .model import GiveTakeModel
from .scenario import Scenario, ScenarioError
from .strategies import REGISTRY as STRATEGIES
from .strategies import Strategy, strategy

try:
    __version__ = version("givetake")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

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
