"""``givetake validate``: reproduce classic results of evolutionary game theory on graphs.

Examples
--------
givetake validate --quick
givetake validate --workers 8 --docs docs
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError

__all__ = ["register", "validate_command"]

EPILOG = """\
Runs Nowak & May 1992 (spatial prisoner's dilemma), the Moran process (exact
fixation probability) and Ohtsuki et al. 2006 (b/c > k under death-birth) with
the engine's classic games, prints a table (published value, reproduced value
with its interval, pass/fail) and writes DOCS/validation.md with figures in
DOCS/figures/.  Exit codes: 0 every check passed, 1 a check failed, 2 invalid input.

example: givetake validate --quick
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="reproduce classic evolutionary game results and write docs/validation.md",
        description="Reproduce landmark results of evolutionary game theory on graphs with the engine.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="a reduced version that runs in under a minute")
    p.add_argument(
        "--executor",
        default="process",
        choices=("serial", "process", "dask"),
        help="where the runs happen (default: process, one worker per core)",
    )
    p.add_argument(
        "--workers", metavar="N", type=int, default=None, help="worker processes (default: all cores)"
    )
    p.add_argument(
        "--docs", metavar="DIR", default="docs", help="where validation.md and figures go (default: docs)"
    )
    p.add_argument(
        "--only",
        metavar="STUDY",
        action="append",
        choices=("nowak_may", "moran", "ohtsuki"),
        help="run only this study (repeatable)",
    )
    p.add_argument("--no-report", action="store_true", help="print the table only; write no files")
    p.set_defaults(func=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    from ..validation import format_table, validate, write_report

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers: expected a positive integer, got {args.workers}")
    studies = args.only or ["nowak_may", "moran", "ohtsuki"]
    results = validate(
        quick=args.quick,
        executor=args.executor,
        workers=args.workers,
        studies=studies,
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(format_table(results))
    if not args.no_report:
        cmd = "givetake validate" + (" --quick" if args.quick else "")
        path = write_report(results, args.docs, quick=args.quick, command=cmd)
        print(f"wrote {path}")
    failed = sum(not c.passed for r in results for c in r.checks)
    return 1 if failed else 0
