"""``givetake validate``: reproduce classic results of evolutionary game theory on graphs.

Examples
--------
givetake validate --quick
givetake validate --workers 8 --out results/validation
givetake validate --write-docs
givetake validate --patterns --quick
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError
from ..io import check_out_folder
from ..patterns.command import add_arguments as add_pattern_arguments
from ..patterns.command import patterns_command

__all__ = ["docs_dir", "register", "validate_command"]

EPILOG = """\
Runs Nowak & May 1992 (spatial prisoner's dilemma), the Moran process (exact
fixation probability) and Ohtsuki et al. 2006 (b/c > k under death-birth) with
the engine's classic games, prints a table (published value, reproduced value
with its interval, pass/fail) and writes validation.md with figures in figures/
under OUT (default: results/validation-<time>).  --write-docs regenerates the
repository's docs/validation.md and docs/figures/validation_*.png instead.

With --patterns it checks the business model against published patterns
instead: giving and wealth (Grant 2013), decay of contribution without
exclusion, contribution under expulsion, bridge decay, referral volume and
tipping points (or the patterns of your own FILE, format in docs/patterns.md),
each over seeded runs of the business scenarios, and writes patterns.md under
OUT (default: results/patterns-<time>; --write-docs: docs/patterns.md).  Rows
that a calibration of the defaults fitted (docs/calibration.md) are marked
fitted there: they are no independent check.

Exit codes: 0 every check passed, 1 a check failed, 2 invalid input.

examples: givetake validate --quick
          givetake validate --patterns --quick --pattern decay_start
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="reproduce classic evolutionary game results, or (--patterns) check the business model "
        "against published patterns, and write a report",
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
        "--out",
        metavar="DIR",
        default=None,
        help="where validation.md and figures/ go (default: results/validation-<time>)",
    )
    p.add_argument(
        "--write-docs",
        action="store_true",
        help="regenerate the repository's docs/validation.md and docs/figures/validation_*.png",
    )
    p.add_argument(
        "--only",
        metavar="STUDY",
        action="append",
        choices=("nowak_may", "moran", "ohtsuki"),
        help="run only this study (repeatable)",
    )
    p.add_argument("--no-report", action="store_true", help="print the table only; write no files")
    add_pattern_arguments(p)
    p.set_defaults(func=validate_command)


def docs_dir() -> Path:
    """The repository's ``docs/`` folder, next to the ``simulation`` package (for ``--write-docs``)."""
    docs = Path(__file__).resolve().parents[2] / "docs"
    if not (docs / "validation.md").is_file():
        raise InputError(
            f"--write-docs: {docs / 'validation.md'} not found; expected a source checkout of givetake "
            "(use --out DIR to write the report elsewhere)"
        )
    return docs


def validate_command(args: argparse.Namespace) -> int:
    from ..executors import check_options
    from ..validation import format_table, validate, write_report

    if args.write_docs and args.out is not None:
        raise InputError("--write-docs: writes docs/; expected either --write-docs or --out DIR, not both")
    if args.write_docs and args.no_report:
        raise InputError("--write-docs: expected either --write-docs or --no-report, not both")
    if args.pattern and args.patterns is None:
        raise InputError("--pattern: only used with --patterns")
    if args.pattern_set and args.patterns is None:
        raise InputError("--set: only used with --patterns")
    if args.scheduler and args.patterns is None:
        raise InputError("--scheduler: only used with --patterns (and --executor dask)")
    check_options(args.executor, args.workers, args.scheduler)
    out = None
    if args.write_docs:
        out = docs_dir()
    elif not args.no_report:
        from .run import default_out_dir

        out = (
            Path(args.out)
            if args.out is not None
            else default_out_dir("patterns" if args.patterns is not None else "validation")
        )
        if args.out is not None:  # refused before the runs, not after them
            check_out_folder(out, f"--out {out}")
    if args.patterns is not None:
        from ..calibration import fitted_rows

        return patterns_command(args, out, fitted_rows)
    studies = args.only or ["nowak_may", "moran", "ohtsuki"]
    results = validate(
        quick=args.quick,
        executor=args.executor,
        workers=args.workers,
        studies=studies,
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(format_table(results))
    if out is not None:
        cmd = (
            "givetake validate"
            + (" --quick" if args.quick else "")
            + (" --write-docs" if args.write_docs else "")
        )
        path = write_report(results, out, quick=args.quick, command=cmd)
        print(f"wrote {path}")
    failed = sum(not c.passed for r in results for c in r.checks)
    return 1 if failed else 0
