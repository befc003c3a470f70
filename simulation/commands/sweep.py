"""``givetake sweep EXPERIMENT``: run an experiment's runs, store them, write the report."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from ..errors import InputError
from ..params import check_seed

__all__ = ["register", "main"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run an experiment (scenarios x parameters x replications) and report on it",
        description=(
            "Run every run of an experiment file, writing each to the results folder as it "
            "finishes, then write the report.  An interrupted sweep continues with --resume."
        ),
    )
    p.add_argument(
        "experiment",
        metavar="EXPERIMENT",
        nargs="?",
        help="a built-in experiment name (networking_styles) or an experiment file (.toml)",
    )
    p.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        default="process",
        help="where runs happen: this process, a pool of processes (default) or a Dask cluster",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: all cores; for dask without --scheduler, local workers)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --executor dask)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=None,
        metavar="N",
        help="times a run whose worker process died (killed, out of memory) is tried again "
        "before it is recorded as failed (default: 2)",
    )
    p.add_argument(
        "--replications", type=int, default=None, metavar="N", help="replications per scenario and point"
    )
    p.add_argument("--steps", type=int, default=None, metavar="N", help="weeks per run")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="master seed of the runs, replacing the file's (to check that conclusions hold across seeds)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="complete an existing results folder: run only missing or failed runs (where no sweep "
        "was stored, every run, and a note says so)",
    )
    p.add_argument(
        "--out", metavar="DIR", default=None, help="results folder (default: results/<experiment name>)"
    )
    p.add_argument("--no-report", action="store_true", help="do not write the report at the end")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar and no answer: stderr holds the line saying what runs, the notes and "
        "the line of runs done and failed; stdout the one line it always does: the path of report.html (of the results folder "
        "with --no-report)",
    )
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="go past the declared limits on weeks, replications, design points, runs, members and ties "
        "(never past the memory available)",
    )
    p.add_argument(
        "--verify",
        metavar="DIR",
        default=None,
        help="check a results folder without running anything: every stored file against the size and "
        "SHA-256 recorded when it was written (exit 1 if any run is missing or corrupt)",
    )
    p.set_defaults(func=main)


def verify(path: str) -> int:
    """``givetake sweep --verify DIR``: list the stored runs whose files are missing or corrupt."""
    from ..store import Store

    store = Store(path)
    if not store.exists():
        raise InputError(f"--verify {path}: not a givetake results folder (no manifest.json)")
    problems = store.verify()
    for run_id, why in problems.items():
        print(f"{run_id}: {why}")
    done = len(store.done_ids())
    print(
        f"givetake: {store.path}: {done - len(problems)} of {done} stored runs verified, "
        f"{len(problems)} missing or corrupt"
        + ("; `givetake sweep ... --resume` runs them again" if problems else ""),
        file=sys.stderr,
    )
    return 1 if problems else 0


def _stop_on_sigterm() -> None:
    """A batch system's SIGTERM (job time limit, ``kill``) stops the sweep like Ctrl-C:
    runs in flight are dropped, the manifest records the session's end (:func:`main` puts
    the handler before back)."""
    import signal

    from .. import interrupts

    signal.signal(signal.SIGTERM, interrupts.stop)


def main(args: argparse.Namespace) -> int:
    """The sweep; a process that runs it in-process (a test, a notebook) gets its SIGTERM
    handler back after it."""
    import signal

    previous = signal.getsignal(signal.SIGTERM)
    try:
        return _main(args)
    finally:
        if previous is not None:  # None: a handler not set from Python, which it left alone
            signal.signal(signal.SIGTERM, previous)


def _main(args: argparse.Namespace) -> int:
    from ..executors import check_options
    from ..experiment import load_experiment, resolve_experiment
    from ..sweep import run_sweep

    if args.verify is not None:
        if args.experiment is not None:
            raise InputError(
                "--verify: checks a results folder; expected either EXPERIMENT or --verify DIR, not both"
            )
        return verify(args.verify)
    if args.experiment is None:
        raise InputError("EXPERIMENT: expected an experiment name or file (or --verify DIR)")
    check_options(args.executor, args.workers, args.scheduler, args.retries)
    if args.replications is not None and args.replications < 1:
        raise InputError(f"--replications {args.replications}: expected at least 1")
    if args.steps is not None and args.steps < 1:
        raise InputError(f"--steps {args.steps}: expected at least 1")
    path = resolve_experiment(args.experiment)
    experiment = load_experiment(path)
    for note in experiment.notes:  # before the runs, which the settings named do not change
        print(f"givetake: note: {note}", file=sys.stderr)
    if args.seed is not None:
        experiment = dataclasses.replace(experiment, seed=check_seed(args.seed, "--seed"))
    _stop_on_sigterm()
    out = Path(args.out) if args.out else Path("results") / experiment.name
    text = path.read_text()
    n = len(experiment.scenarios) * len(experiment.points) * (args.replications or experiment.replications)

    def announce() -> None:
        print(f"givetake: {experiment.name}: {n} run{'' if n == 1 else 's'} -> {out}", file=sys.stderr)

    result = run_sweep(
        experiment,
        out,
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        replications=args.replications,
        steps=args.steps,
        resume=args.resume,
        progress=not args.quiet,
        experiment_text=text,
        **({} if args.retries is None else {"retries": args.retries}),
        allow_large=args.allow_large,
        on_start=announce,
    )
    for note in result.notes:
        print(f"givetake: note: {note}", file=sys.stderr)
    print(
        f"givetake: {result.done} run{'' if result.done == 1 else 's'} done, {result.failed} failed, {result.skipped} already stored "
        f"({result.seconds:.0f} s)",
        file=sys.stderr,
    )
    if result.failed:
        print(
            f"givetake: failed runs are recorded in {out / 'failures'}; --resume retries them",
            file=sys.stderr,
        )
    if not args.no_report:
        from ..report import terminal_summary, write_report

        if not args.quiet:
            print("givetake: writing the report (statistics and figures) ...", file=sys.stderr)
        path = write_report(out)
        summary = None if args.quiet else terminal_summary(path)
        if summary:
            print("\n" + summary + "\n", file=sys.stderr)
        print(path)
    else:
        print(out)
    return 1 if result.failed else 0
