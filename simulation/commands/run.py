"""``givetake run SCENARIO``: run one scenario and write its results.

Examples
--------
givetake run open_mixer
givetake run referral_group --steps 100 --seed 7 --set population.size=500
givetake run my_world.toml --out results/my_world --format csv --quiet
out=$(givetake run open_mixer --quiet)    # --quiet prints only the output folder
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..params import check_seed

__all__ = ["register", "run_command", "summary_table", "default_out_dir"]

EPILOG = """\
SCENARIO is a built-in name (see `givetake scenarios`) or a path to a TOML file.
Writes timeseries.parquet (per-step metrics), summary.json (final metrics,
the scenario after overrides, seed, version), network.graphml (the final
network) and the tables its mechanisms keep (ecosystems: ecosystems, events,
ecosystem_lives, influence; chapters: expulsions; tie_census: tie_life,
tie_census, member_census) into DIR (.csv instead of .parquet with --format
csv), all at once (written into a hidden folder, then renamed); an existing
DIR that is not empty is refused unless --overwrite.  Prints a summary table and
DIR on stdout; with --quiet only DIR, one line (out=$(givetake run ... --quiet)).
Exit codes: 0 success, 2 invalid input, 1 unexpected error.

example: givetake run referral_group --steps 100 --set population.size=500
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run",
        help="run a scenario and write its results",
        description="Run one scenario from a seed and write its results.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", metavar="SCENARIO", help="built-in scenario name or path to a .toml file")
    p.add_argument("--steps", metavar="N", help="weeks to run (default: the scenario's `steps`)")
    p.add_argument(
        "--seed",
        metavar="S",
        default="0",
        help="random seed, a whole number from 0 to 2**63 - 1 (default: 0)",
    )
    p.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        dest="overrides",
        help="replace one setting, e.g. --set population.size=2000 (repeatable; VALUE is a TOML value; "
        "a setting the scenario never reads, such as a mechanism not in its pipeline, is an error)",
    )
    p.add_argument(
        "--out", metavar="DIR", help="output folder (default: results/<scenario>-<timestamp>-<random>/)"
    )
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="run past the declared limits on weeks, members and ties (never past the memory available)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace the --out folder if it exists and is not empty"
    )
    p.add_argument(
        "--format",
        choices=("parquet", "csv"),
        default="parquet",
        help="format of the tables (default: parquet)",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar and no summary table: print only the output folder, one line on stdout",
    )
    p.set_defaults(func=run_command)


def _non_negative_int(option: str, text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise InputError(f"{option} {text!r}: expected a non-negative integer") from None
    if value < 0:
        raise InputError(f"{option} {text!r}: expected a non-negative integer")
    return value


def default_out_dir(name: str, now: datetime | None = None, root: Path = Path("results")) -> Path:
    """``results/<name>-<YYYYmmdd-HHMMSS>-<6 hex digits>``: a folder that does not exist yet.

    The random suffix keeps runs started in the same second apart; the
    folder is made when the run's files are renamed into place.
    """
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"
    while True:
        out = root / f"{safe}-{stamp}-{secrets.token_hex(3)}"
        if not out.exists():
            return out


def run_command(args: argparse.Namespace) -> int:
    """Load, run and write one scenario (the ``givetake run`` command)."""
    steps = None if args.steps is None else _non_negative_int("--steps", args.steps)
    seed = check_seed(args.seed, "--seed")

    from ..io import OutputExists, check_out_folder
    from ..limits import check_run
    from ..run import run_scenario, write_run
    from ..scenario_files import load_scenario, parse_override

    overrides: dict[str, Any] = {}
    for text in args.overrides:
        key, value = parse_override(text)
        overrides[key] = value
    scenario = load_scenario(args.scenario, overrides)
    out = Path(args.out) if args.out else default_out_dir(scenario.name)
    check_out_folder(out, f"--out {str(out)!r}")
    if not args.overwrite and out.is_dir() and any(out.iterdir()):
        raise InputError(
            f"--out {str(out)!r}: exists and is not empty; choose another folder or add --overwrite"
        )
    steps_to_run = scenario.data["steps"] if steps is None else steps
    check_run(scenario.data, steps_to_run, args.allow_large, str(args.scenario))

    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        try:
            size = os.get_terminal_size(sys.stderr.fileno())
        except OSError:
            size = os.terminal_size((0, 0))
        bar = tqdm(
            total=steps_to_run,
            desc=scenario.name,
            unit="week",
            file=sys.stderr,
            leave=False,
            # a terminal that reports no size (0 x 0) would hide the bar
            ncols=None if size.columns else 80,
            nrows=None if size.lines else 24,
        )

    def on_step(model) -> None:
        if bar is not None:
            bar.update(1)

    try:
        result = run_scenario(scenario, steps=steps, seed=seed, on_step=on_step)
    finally:
        if bar is not None:
            bar.close()
    result.summary["source"] = scenario.source
    result.summary["overrides"] = overrides
    try:
        write_run(result, out, args.format, overwrite=args.overwrite)
    except OutputExists:
        raise InputError(
            f"--out {str(out)!r}: another run wrote this folder meanwhile; its results are kept, these are not "
            "written -- choose another folder or add --overwrite"
        ) from None
    except OSError as err:
        raise InputError(f"--out {str(out)!r}: cannot write the results ({err.strerror or err})") from None
    if args.quiet:
        print(out)  # the one line a script needs: where the results are
    else:
        print(summary_table(result.summary, result.model.strategy_names))
        print(f"results written to {out}")
    return 0


def summary_table(summary: dict[str, Any], strategies: list[str] | None = None) -> str:
    """A short plain-text table of a run's final numbers, each with what it means and its unit.

    A classic game (a run with a ``cooperators`` metric) speaks of generations, the
    cooperator share and fixation; the business model of weeks, members, needs met and
    value created (in wealth units, the model's currency: a favour costs its giver ``c``)."""
    final = summary.get("final", {})
    game = "cooperators" in final
    steps = summary.get("steps_run", "")
    rows: list[tuple[str, str]] = [
        ("scenario", str(summary.get("scenario_name", ""))),
        ("seed", str(summary.get("seed", ""))),
        ("generations run" if game else "weeks run", str(steps)),
    ]
    if game:
        share = float(final["cooperators"])
        fixed = (
            " (fixation: everyone cooperates)"
            if share >= 1
            else " (fixation: nobody cooperates)"
            if share <= 0
            else ""
        )
        rows.append(
            ("cooperator share", f"{100 * share:.1f}% of players cooperate in the last generation{fixed}")
        )
        if "members" in final:
            rows.append(("players", str(int(final["members"]))))
        if "mean_wealth" in final:
            rows.append(("mean wealth", f"{_fmt(final['mean_wealth'])} per player, in payoff units"))
    else:
        if "members" in final:
            rows.append(("members", f"{int(final['members'])} at the end"))
        if "ties" in final:
            rows.append(("ties", f"{int(final['ties'])} working relationships at the end"))
        if "fulfilment_rate" in final:
            rows.append(
                (
                    "needs met",
                    f"{100 * float(final['fulfilment_rate']):.0f}% of the last week's requests for help were met",
                )
            )
        if "welfare" in final:
            rows.append(
                (
                    "value created",
                    f"{_fmt(final['welfare'])} wealth units in the last week, all members together "
                    "(help received minus its cost, referrals, minus upkeep and fees)",
                )
            )
        if "gini" in final:
            rows.append(
                (
                    "inequality",
                    f"{_fmt(final['gini'])} Gini of wealth (0 = all equal, 1 = one member has all)",
                )
            )
        if "mean_wealth" in final:
            rows.append(("mean wealth", f"{_fmt(final['mean_wealth'])} wealth units per member"))
        names = strategies or [k[2:] for k in final if k.startswith("n_")]
        for s in names:
            if final.get(f"n_{s}", 0):
                rows.append(
                    (
                        f"  {s}",
                        f"{_fmt(final.get(f'wealth_{s}', 0.0))} mean wealth of its {int(final[f'n_{s}'])} members",
                    )
                )
    verdict = summary.get("verdict")
    if verdict is not None:
        reason = summary.get("verdict_reason")
        rows.append(("verdict", f"{verdict} ({reason})" if reason else str(verdict)))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _fmt(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{float(value):.3f}"
    return str(value)
