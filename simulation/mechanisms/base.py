"""The mechanism interface and registry.

A mechanism is one stage of the weekly step (DESIGN §3).  It is a small
class with declared parameters (:class:`~simulation.params.Param`), an
optional :meth:`Mechanism.setup` run once when the model is built, and
:meth:`Mechanism.step` run every step, vectorised over all members or ties.
Register a new one with :func:`mechanism` and name it in a scenario's
``pipeline``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..params import Configurable, Param

if TYPE_CHECKING:
    from ..model import GiveTakeModel

__all__ = ["MECHANISMS", "Mechanism", "mechanism", "get_mechanism", "Param"]

#: name -> mechanism class, filled by the :func:`mechanism` decorator.
MECHANISMS: dict[str, type[Mechanism]] = {}


class Mechanism(Configurable):
    """Base class of pipeline stages."""

    name: ClassVar[str] = ""
    #: whether this stage, or the contact index it reads, may run compiled kernels
    #: (``simulation.compiled``); a model whose stages all say no takes the numpy path
    #: unless asked for the kernels, and does not import numba (the classic games)
    compiled_twin: ClassVar[bool] = True
    #: top-level scenario tables (``SECTIONS``) only this stage reads, e.g. ``("game",)``: a
    #: setting in one changes nothing in a scenario whose pipeline has none of their readers
    reads: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def config_prefix(cls) -> str:
        return f"mechanisms.{cls.name}"

    def setup(self, model: GiveTakeModel) -> None:
        """Prepare per-model state (called once, after the initial population exists)."""

    def step(self, model: GiveTakeModel) -> None:
        raise NotImplementedError

    def on_join(self, model: GiveTakeModel, slots) -> None:
        """Called after new members arrive (initial population excluded)."""

    def tables(self, model: GiveTakeModel) -> dict:
        """Extra result tables of a run, name -> pandas DataFrame (written as ``<name>.parquet``)."""
        return {}

    def summary(self, model: GiveTakeModel) -> dict:
        """Extra entries for a run's ``summary.json``."""
        return {}


def mechanism(cls: type[Mechanism]) -> type[Mechanism]:
    """Class decorator registering a mechanism under ``cls.name``."""
    if not cls.name or not cls.name.isidentifier():
        raise ValueError(f"mechanism {cls.__name__} needs a `name` that is an identifier")
    MECHANISMS[cls.name] = cls
    return cls


def get_mechanism(name: str) -> type[Mechanism]:
    try:
        return MECHANISMS[name]
    except KeyError:
        raise ValueError(f"unknown mechanism {name!r} (known: {', '.join(sorted(MECHANISMS))})") from None
