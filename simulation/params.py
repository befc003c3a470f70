"""Declared, checked parameters shared by mechanisms, strategies and scenarios.

A component declares its parameters once as :class:`Param` objects; the same
declaration gives the default, checks values (with an error naming the key
and the allowed range), documents the scenario format and drives the app's
controls.

Examples
--------
>>> p = Param(0.5, "chance of a need each step", low=0.0, high=1.0)
>>> p.check("mechanisms.needs.p_need", 0.25)
0.25
>>> p.check("mechanisms.needs.p_need", 1.5)
Traceback (most recent call last):
...
ValueError: mechanisms.needs.p_need: expected a number in [0.0, 1.0], got 1.5
>>> Param(3.0, "benefit of help", low=0.0).check("mechanisms.exchange.b", float("inf"))
Traceback (most recent call last):
...
ValueError: mechanisms.exchange.b: expected a number in [0.0, inf), got inf
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import InputError

__all__ = ["Param", "Configurable", "SECTIONS", "register_section", "SEED", "check_seed"]


@dataclass(frozen=True)
class Param:
    """One parameter: default, meaning, and the values it accepts."""

    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    kind: type | None = None  # inferred from the default when None

    @property
    def type(self) -> type:
        if self.kind is not None:
            return self.kind
        return type(self.default)

    def describe_type(self) -> str:
        t = self.type
        return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list"}.get(
            t, t.__name__
        )

    def expected(self) -> str:
        t = self.describe_type()
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if t == "integer" or t == "number":
            article = "an" if t == "integer" else "a"
            if self.low is None and self.high is None:
                return f"{article} {t}" if t == "integer" else "a finite number"
            # an open end: no bound there, and infinity itself is no value (see check)
            lo = "(-inf" if self.low is None else f"[{self.low}"
            hi = "inf)" if self.high is None else f"{self.high}]"
            return f"{article} {t} in {lo}, {hi}"
        return f"a {t}"

    def check(self, key: str, value: Any) -> Any:
        """Return ``value`` converted to the declared type, or raise ``ValueError``."""
        t = self.type
        bad = ValueError(f"{key}: expected {self.expected()}, got {value!r}")
        if t is bool:
            if not isinstance(value, bool):
                raise bad
        elif t is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise bad
        elif t is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad
            value = float(value)
            if not math.isfinite(value):  # nan, or inf (TOML's inf, 1e400): no run can use them
                raise bad
        elif t is str:
            if not isinstance(value, str):
                raise bad
        elif t is list:
            if not isinstance(value, list):
                raise bad
        if self.choices is not None and value not in self.choices:
            raise bad
        if t in (int, float):
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                raise bad
        return value


class Configurable:
    """Base for components configured from declared :class:`Param` objects.

    Subclasses set ``PARAMS``; ``__init__`` checks keyword arguments against
    it and sets them as attributes, so ``Needs(p_need=0.3).p_need == 0.3``.
    """

    name: str = ""
    PARAMS: dict[str, Param] = {}

    def __init__(self, **params: Any):
        prefix = self.config_prefix()
        for key in params:
            if key not in self.PARAMS:
                allowed = ", ".join(sorted(self.PARAMS)) or "none"
                raise ValueError(f"{prefix}.{key}: unknown parameter (allowed: {allowed})")
        for key, spec in self.PARAMS.items():
            value = params.get(key, spec.default)
            setattr(self, key, spec.check(f"{prefix}.{key}", value))

    @classmethod
    def config_prefix(cls) -> str:
        return cls.name

    def settings(self) -> dict[str, Any]:
        """The parameter values of this instance."""
        return {key: getattr(self, key) for key in self.PARAMS}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items())
        return f"{type(self).__name__}({args})"


#: extra top-level tables other modules declare (e.g. ``game`` for the classic games);
#: name -> {key: Param}.  Add one with :func:`register_section`.
SECTIONS: dict[str, dict[str, Param]] = {}


def register_section(name: str, params: dict[str, Param]) -> None:
    """Declare a top-level scenario table ``[name]`` with checked keys."""
    SECTIONS[name] = params


#: the seed of a run: ``givetake run``, ``sweep``, ``classroom`` and the app accept the same values
SEED = Param(0, "random seed of a run", 0, 2**63 - 1)


def check_seed(value: Any, where: str = "seed") -> int:
    """A seed as every command and the app accept it: a whole number in [0, 2**63 - 1].

    Text (a command-line option, a box in the app) is read as a base-10 integer.

    >>> check_seed("7", "--seed")
    7
    >>> check_seed("-1", "--seed")
    Traceback (most recent call last):
    ...
    simulation.errors.InputError: --seed '-1': expected a whole number from 0 to 2**63 - 1
    """
    bad = InputError(f"{where} {value!r}: expected a whole number from 0 to 2**63 - 1")
    if isinstance(value, str):
        try:
            value = int(value.strip(), 10)
        except ValueError:
            raise bad from None
    try:
        return SEED.check(where, value)
    except ValueError:
        raise bad from None
