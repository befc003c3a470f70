"""Scenario files: TOML descriptions of networking worlds, built-in or your own.

A scenario file is a short TOML document (format in ``docs/scenarios.md``).
It may start from another scenario with ``extends = "open_mixer"`` (a
built-in name, or a path relative to the file) and change only what differs.
The built-in scenarios are every ``*.toml`` under the package's
``builtin/scenarios/`` folder (:data:`SCENARIO_DIR`), sub-folders included,
named by their file stem.

Settings can be replaced from the command line with dotted keys
(``--set population.size=2000``); values are read as TOML values and checked
like the file.  Every problem raises :class:`~simulation.scenario.ScenarioError`
(an :class:`~simulation.errors.InputError`) naming the file and the key.

Examples
--------
>>> s = load_scenario("open_mixer", {"population.size": 80})
>>> s.name, s.get("population.size")
('open_mixer', 80)
>>> parse_override("mechanisms.exchange.b=4")
('mechanisms.exchange.b', 4)
>>> parse_override("name=my world")
('name', 'my world')
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from .builtin import SCENARIO_DIR
from .errors import InputError
from .scenario import Scenario, ScenarioError, suggest_or_list

__all__ = [
    "SCENARIO_DIR",
    "builtin_scenarios",
    "describe",
    "first_sentence",
    "load_scenario",
    "parse_override",
    "parse_toml",
    "read_toml",
    "MAX_EXTENDS",
    "resolve_scenario",
]

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

#: the longest chain of scenarios extending one another (each file's parent, its parent, ...)
MAX_EXTENDS = 100

#: what a value nested too deeply for the parser is told
_TOO_DEEP = "nested too deeply; expected at most a few hundred levels of arrays or tables within each other"


def builtin_scenarios() -> dict[str, Path]:
    """Every built-in scenario, name (file stem) -> path, sorted by name.

    Files directly under :data:`SCENARIO_DIR` win over files of the same
    name in sub-folders.
    """
    if not SCENARIO_DIR.is_dir():
        return {}
    files = sorted(
        SCENARIO_DIR.rglob("*.toml"), key=lambda p: (len(p.relative_to(SCENARIO_DIR).parts), str(p))
    )
    out: dict[str, Path] = {}
    for path in files:
        out.setdefault(path.stem, path)
    return dict(sorted(out.items()))


def _display(path: Path) -> str:
    """A short, readable form of ``path`` for error messages."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        pass
    try:
        return str(Path("simulation/builtin/scenarios") / path.resolve().relative_to(SCENARIO_DIR))
    except ValueError:
        return str(path)


def _looks_like_path(text: str) -> bool:
    return text.endswith(".toml") or "/" in text or os.sep in text


def resolve_scenario(
    name_or_path: str | Path, relative_to: Path | None = None, source: str = "scenario"
) -> Path:
    """The file of a built-in scenario name or a path to a TOML file.

    Parameters
    ----------
    name_or_path : a built-in name (``"open_mixer"``) or a path
    relative_to : folder that relative paths start from (default: the current folder)
    source : what to name in the error message when nothing is found
    """
    builtins = builtin_scenarios()
    if isinstance(name_or_path, str) and not _looks_like_path(name_or_path):
        if name_or_path in builtins:
            return builtins[name_or_path]
    path = Path(name_or_path)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    if path.is_file():
        return path
    if isinstance(name_or_path, str) and not _looks_like_path(name_or_path):
        close = difflib.get_close_matches(name_or_path, list(builtins), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ScenarioError(
            source,
            "",
            f"unknown scenario {name_or_path!r}{hint}; expected a built-in name "
            "(see `givetake scenarios`) or a path to a .toml file",
        )
    what = "is not a file" if path.exists() else "no such file"
    raise ScenarioError(_display(path), "", f"{what}; expected a scenario .toml file")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; malformed TOML raises :class:`ScenarioError` with the line number."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(
            _display(path), "", f"not UTF-8 text ({err.reason} at byte {err.start})"
        ) from None
    except OSError as err:
        raise ScenarioError(_display(path), "", f"cannot read the file ({err.strerror})") from None
    return parse_toml(text, _display(path))


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML ``text`` read from ``source``; malformed TOML (with its line number) or
    values nested too deeply for the parser raise :class:`ScenarioError` naming ``source``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(source, "", f"malformed TOML: {err}") from None
    except RecursionError:
        raise ScenarioError(source, "", _TOO_DEEP) from None


def _known_top() -> list[str]:
    """The keys a scenario file may have at its top, ``extends`` among them, in one order."""
    from .scenario import SECTIONS, TOP_LEVEL

    return list(
        dict.fromkeys(["extends", *TOP_LEVEL, "population", "network", "mechanisms", "strategies", *SECTIONS])
    )


def _load_file(path: Path, chain: tuple[Path, ...]) -> Scenario:
    path = path.resolve()
    source = _display(path)
    raw = read_toml(path)
    raw.setdefault("name", path.stem)
    parent = raw.pop("extends", None)
    known = _known_top()
    for key in raw:
        if key not in known:  # here, where extends is one of the keys a file may have
            raise ScenarioError(source, key, "unknown key" + suggest_or_list(key, known))
    base = None
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise ScenarioError(source, "extends", f"expected a scenario name or path, got {parent!r}")
        try:
            parent_path = resolve_scenario(
                parent, relative_to=path.parent, source=f"{source}: extends"
            ).resolve()
        except ScenarioError as err:
            if err.source.startswith(source):
                raise
            reason = str(err)[len(err.source) + 2 :]
            raise ScenarioError(
                source, "extends", f"{parent!r} ({_display(Path(err.source))}): {reason}"
            ) from None
        if parent_path == path:
            raise ScenarioError(source, "extends", f"the scenario extends itself ({parent!r})")
        if parent_path in chain:
            loop = " -> ".join(_display(p) for p in (*chain, path, parent_path))
            raise ScenarioError(source, "extends", f"scenarios extend each other in a loop: {loop}")
        if len(chain) >= MAX_EXTENDS:
            raise ScenarioError(
                _display(chain[0]),
                "extends",
                f"a chain of more than {MAX_EXTENDS} scenarios extending one another; expected a shorter one",
            )
        base = _load_file(parent_path, (*chain, path))
    return Scenario.from_dict(raw, source=source, base=base)


def load_scenario(name_or_path: str | Path, overrides: dict[str, object] | None = None) -> Scenario:
    """Load, validate and override a scenario.

    Parameters
    ----------
    name_or_path : a built-in scenario name (see :func:`builtin_scenarios`) or a path to a TOML file
    overrides : dotted keys and values, e.g. ``{"population.size": 2000}``, checked like the file;
        a key the scenario never reads (a mechanism its pipeline lacks, ``game.*`` outside a
        classic game: :func:`~simulation.scenario.unread_settings`) is refused

    Raises
    ------
    ScenarioError
        The file is missing or malformed, a key is unknown, a value has the
        wrong type or range, an override would change nothing, or ``extends`` loops; the message
        names the file and the key.
    """
    scenario = _load_file(resolve_scenario(name_or_path), ())
    if overrides:
        file_source = scenario.source
        # settings given for this scenario: one it never reads is refused, not ignored
        scenario = scenario.with_overrides(dict(overrides), source="--set", strict=True)
        # problems found later (when the model is built) point at both
        scenario.source = f"{file_source} with --set"
    return scenario


def describe(name_or_path: str | Path) -> str:
    """The one-line description of a scenario: the first sentence of its ``description``."""
    scenario = load_scenario(name_or_path)
    return first_sentence(scenario.data.get("description", ""))


def first_sentence(text: str) -> str:
    """The first sentence (or first line) of ``text``, whitespace collapsed.

    >>> first_sentence("Open mixers. Anyone comes.\\nMore.")
    'Open mixers.'
    """
    para = " ".join(text.strip().split("\n\n")[0].split())
    match = re.search(r"(?<=[.!?])\s", para)
    return para[: match.start()] if match else para


def parse_override(text: str) -> tuple[str, object]:
    """Parse ``KEY=VALUE`` from the command line.

    ``VALUE`` is read as a TOML value (``4``, ``0.5``, ``true``, ``"x"``,
    ``["needs", "asking"]``); anything that is not valid TOML is taken as a
    bare string.

    Raises
    ------
    InputError
        No ``=``, or the key is not a dotted name.
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep:
        raise InputError(f"--set {text!r}: expected KEY=VALUE, e.g. population.size=2000")
    if not _KEY.match(key):
        raise InputError(f"--set {text!r}: expected a dotted key like mechanisms.exchange.b before '='")
    value = value.strip()
    try:
        parsed: object = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    except RecursionError:
        raise InputError(f"--set {key}: the value is {_TOO_DEEP}") from None
    return key, parsed
