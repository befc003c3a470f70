"""``givetake scenarios``: list the built-in scenarios, or show one.

Examples
--------
givetake scenarios
givetake scenarios referral_group
"""

from __future__ import annotations

import argparse
import textwrap

from ..errors import InputError

__all__ = ["register", "scenarios_command", "listing"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "scenarios",
        help="list the built-in scenarios",
        description="List the built-in scenarios with their one-line descriptions, "
        "or show one scenario's description and file.",
        epilog="Run one with `givetake run NAME`; copy its file to start your own.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="show this scenario in full")
    p.set_defaults(func=scenarios_command)


def listing() -> str:
    """Every built-in scenario, one line each: name and the first sentence of its description."""
    from ..scenario_files import builtin_scenarios, describe

    names = builtin_scenarios()
    if not names:
        return "(no built-in scenarios found)"
    width = max(len(n) for n in names)
    lines = []
    for name in names:
        try:
            text = describe(name)
        except InputError as err:
            text = f"(invalid: {err})"
        lines.append(f"{name:<{width}}  {text}")
    return "\n".join(lines)


def scenarios_command(args: argparse.Namespace) -> int:
    """List the built-in scenarios, or describe the one named."""
    if args.name is None:
        print(listing())
        return 0
    from ..scenario_files import load_scenario, resolve_scenario

    path = resolve_scenario(args.name)
    scenario = load_scenario(args.name)
    description = " ".join(scenario.data.get("description", "").split())
    print(scenario.name)
    print(textwrap.fill(description, width=78) if description else "(no description)")
    print(f"file: {path}")
    print(f"pipeline: {', '.join(scenario.data['pipeline'])}")
    return 0
