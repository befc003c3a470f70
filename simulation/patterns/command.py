"""``givetake validate --patterns``: run a pattern file and write ``patterns.md``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import InputError

__all__ = ["add_arguments", "patterns_command"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The pattern options of ``givetake validate``."""
    g = p.add_argument_group("patterns (pattern-oriented validation of the business model)")
    g.add_argument(
        "--patterns",
        metavar="FILE",
        nargs="?",
        const="",
        default=None,
        help="run the published patterns (or a pattern FILE, or a built-in one by name) instead of the classic studies",
    )
    g.add_argument(
        "--pattern",
        metavar="NAME",
        action="append",
        default=None,
        help="with --patterns: run only this pattern (repeatable)",
    )
    g.add_argument(
        "--seeds",
        metavar="N",
        type=int,
        default=None,
        help="with --patterns: runs per scenario (and level) for every pattern, replacing the file's",
    )
    g.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=None,
        dest="pattern_set",
        help="with --patterns: replace one setting in every pattern's runs, after the pattern's own "
        "settings, e.g. --set mechanisms.maintenance.decay=0.01 (repeatable; VALUE is a TOML value)",
    )
    g.add_argument(
        "--scheduler", metavar="ADDRESS", default=None, help="with --executor dask: the scheduler to use"
    )


def _progress(total: int):
    start = time.time()
    state = {"next": 0.0}

    def show(done: int, _total: int) -> None:
        now = time.time()
        if done == total or now >= state["next"]:
            state["next"] = now + 15.0
            print(f"patterns: {done}/{total} runs ({now - start:.0f} s)", file=sys.stderr, flush=True)

    return show


def patterns_command(args: argparse.Namespace, out: Path | None, fitted=None) -> int:
    """Run the pattern suite and write ``out/patterns.md`` (none when ``out`` is None);
    exit 0 when every pattern passes, 1 when one fails.  ``fitted(suite, overridden)``: the
    rows a calibration of the defaults fitted (unless ``--set`` replaced the fitted setting),
    marked as such on the page."""
    from .report import format_table, write_markdown
    from .suite import load_patterns, plan_runs, run_patterns

    path = args.patterns or None
    suite = load_patterns(path, quick=args.quick, only=args.pattern)
    if args.seeds is not None:
        if args.seeds < 1:
            raise InputError(f"--seeds: expected a positive integer, got {args.seeds}")
        for p in suite.patterns:
            p.seeds = args.seeds
    overrides = {}
    if args.pattern_set:
        from ..scenario_files import parse_override

        for text in args.pattern_set:
            key, value = parse_override(text)
            overrides[key] = value
        for p in suite.patterns:  # a scenario's own check names a bad key or value
            p.scenarios = [(label, s.with_overrides(overrides)) for label, s in p.scenarios]
            p.settings = {**p.settings, **overrides}
    jobs, _ = plan_runs(suite)
    print(f"patterns: {len(suite.patterns)} patterns, {len(jobs)} runs", file=sys.stderr, flush=True)
    checks, info = run_patterns(
        suite,
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=_progress(len(jobs)),
    )
    print(format_table(checks))
    if out is not None:
        cmd = "givetake validate --patterns" + (f" {args.patterns}" if args.patterns else "")
        cmd += (" --quick" if args.quick else "") + (f" --seeds {args.seeds}" if args.seeds else "")
        cmd += "".join(f" --set {text}" for text in args.pattern_set or [])
        cmd += " --write-docs" if args.write_docs else ""
        path = write_markdown(
            checks, suite, info, Path(out) / "patterns.md", cmd, fitted(suite, overrides) if fitted else set()
        )
        print(f"wrote {path}")
    return 0 if all(c.passed for c in checks) else 1
