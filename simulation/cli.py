"""The ``givetake`` command line.

Each sub-command lives in its own module under :mod:`simulation.commands`
with ``register(subparsers)`` (adds its parser and sets ``func``); this
module finds them all.  A user error (:class:`~simulation.errors.InputError`, or
input nested too deeply) prints one line on stderr and exits with 2; a failing disk
or file system (full, read-only, permission denied) one line and exit 1; anything
else unexpected a traceback and exit 1.  ``--debug`` shows the traceback always.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import interrupts
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


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (argparse prints the whole usage block first),
    pointing to ``--help``; exit code 2 as before.  Subcommands' parsers are of this class too."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from . import commands

    parser = _Parser(
        prog="givetake",
        description="Simulate social business networking ecosystems: givers, takers, matchers and connectors.",
    )
    parser.add_argument("--version", action=_Version, help="show program's version number and exit")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of a failure instead of one line"
    )
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
        with interrupts.recorded():
            return int(args.func(args) or 0)
    except InputError as err:
        print(f"givetake: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("givetake: interrupted", file=sys.stderr)
        return 130
    except RecursionError:
        if args.debug:
            raise
        print(
            "givetake: error: input nested too deeply (a long `extends` chain or arrays within arrays); "
            "expected at most a few hundred levels",
            file=sys.stderr,
        )
        return 2
    except OSError as err:  # disk full, permission denied, a file that vanished
        if args.debug:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"givetake: error: {where}{err.strerror or err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
