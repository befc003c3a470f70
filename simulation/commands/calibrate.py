"""``givetake calibrate FILE``: fit parameters to several patterns at once (ABC-SMC with pyabc).

Examples
--------
givetake calibrate calibration
givetake calibrate calibration --resume     # continue a stopped calibration's history
givetake calibrate my_calibration.toml --executor dask --scheduler tcp://head:8786
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError

__all__ = ["register", "calibrate_command"]

EPILOG = """\
FILE is a pattern file with a [calibrate] table: the patterns to fit, uniform
priors of the parameters to fit (a key setting@scenario fits that setting in
one scenario alone), and the ABC-SMC settings (particles, generations, runs
per particle); format in docs/patterns.md.  FILE may also name a built-in
one: calibration (the referral group's tie decay) or calibration_platform
(the online platform's); their runs are in docs/calibration.md.  Each particle
runs the fitted patterns with its parameter values; the distance to the
published targets decides which particles survive.  The history is kept in
SQLite (results/calibration/NAME.db unless --db or the file says otherwise),
one generation at a time; the posterior summary is printed and written next to
it as NAME.toml.  A calibration stopped (Ctrl-C, a lost machine) keeps every
generation it completed: --resume continues that history up
to the file's generations (raise them in the file to go further); the file's
patterns, priors, particles and runs per particle must be those of the history.
Needs the optional extra calibrate (make install installs it; or pip install 'pyabc>=0.13').
Exit codes: 0 done, 2 invalid input (or pyabc missing), 130 interrupted.

example: givetake calibrate calibration --executor process --workers 2
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="fit parameters to published patterns with ABC-SMC (needs the [calibrate] extra)",
        description="Fit chosen parameters to several patterns at once with ABC-SMC (pyabc).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file",
        metavar="FILE",
        help="calibration file (a pattern file with a [calibrate] table), or a built-in one's name",
    )
    p.add_argument(
        "--executor",
        default="process",
        choices=("serial", "process", "dask"),
        help="where the particles run: serial, process (one worker per core, the default) or dask",
    )
    p.add_argument("--workers", metavar="N", type=int, default=None, help="workers (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None, help="with --executor dask: the scheduler")
    p.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help="SQLite file for the history (must not exist, unless --resume)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the history already in the SQLite file (that of this calibration) from its "
        "last completed generation",
    )
    p.add_argument(
        "--summarize",
        metavar="DB",
        default=None,
        help="run nothing: summarise the last completed generation of an existing history "
        "(e.g. of a calibration stopped early) and write it next to DB as .toml",
    )
    p.set_defaults(func=calibrate_command)


def calibrate_command(args: argparse.Namespace) -> int:
    from ..calibration import calibrate, load_calibration, require_pyabc
    from ..executors import check_options

    require_pyabc()
    check_options(args.executor, args.workers, args.scheduler)
    cal = load_calibration(args.file)
    if args.summarize:
        if args.resume:
            raise InputError("--summarize and --resume: expected one of them (--summarize runs nothing)")
        from ..calibration import summarize_db

        out = _write_result(summarize_db(cal, args.summarize))
        print(f"wrote {out}")
        return 0

    def on_start(kept):
        resuming = f", resuming after the {kept} generation(s) in the history" if args.resume else ""
        print(
            f"calibrate: {len(cal.fit)} patterns, {len(cal.priors)} parameters, {cal.population} "
            f"particles, up to {cal.generations} generations{resuming}",
            file=sys.stderr,
            flush=True,
        )

    done = []

    def progress(t, history):
        done.append(t)
        eps = history.get_all_populations().set_index("t").epsilon[t]
        print(f"calibrate: generation {t} done (tolerance {eps:.4g})", file=sys.stderr, flush=True)

    try:
        result = calibrate(
            cal,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            db=args.db,
            resume=args.resume,
            progress=progress,
            on_start=on_start,
        )
    except KeyboardInterrupt:
        print(
            "givetake: interrupted; the history keeps every completed generation: continue it with "
            f"givetake calibrate {args.file} --resume" + (f" --db {args.db}" if args.db else ""),
            file=sys.stderr,
        )
        return 130
    if result.resumed_after is not None and not done:
        print(
            f"calibrate: nothing left to run ({result.resumed_after} generation(s) in the history)",
            file=sys.stderr,
        )
    out = _write_result(result)
    print(f"wrote {result.db} and {out}")
    return 0


def _write_result(result) -> Path:
    """Print the posterior summary and write it next to the history as ``.toml`` (atomically)."""
    from ..io import atomic_path

    text = result.to_toml()
    print(text)
    out = Path(result.db).with_suffix(".toml")
    with atomic_path(out) as tmp:
        tmp.write_text(text)
    return out
