"""The ``givetake`` command line.

Each sub-command lives in its own module under :mod:`simulation.commands`
with ``register(subparsers)`` (adds its parser and sets ``func``); this
module finds them all.  A user error (:class:`~simulation.errors.InputError`)
prints one line on stderr and exits with 2; anything unexpected exits with 1.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from .errors import InputError

__all__ = ["main", "build_parser"]


class _Version(argparse.Action):
    """``--version``: looks the installed version up only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from . import __version__

        print(f"givetake {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    from . import commands

    parser = argparse.ArgumentParser(
        prog="givetake",
        description="Simulate social business networking ecosystems: givers, takers, matchers and connectors.",
    )
    parser.add_argument("--version", action=_Version, help="show program's version number and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as err:
        print(f"givetake: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("givetake: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
