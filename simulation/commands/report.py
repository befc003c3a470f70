"""``givetake report DIR``: statistics, figures and ``report.html`` for a results folder."""

from __future__ import annotations

import argparse

__all__ = ["register", "main"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="analyse a sweep's results folder: figures, tables and report.html",
        description="Write DIR/report/report.html (self-contained), figures (PNG, SVG) and tables (CSV).",
    )
    p.add_argument("dir", metavar="DIR", help="results folder written by `givetake sweep`")
    p.add_argument(
        "--out", metavar="DIR", default=None, help="where to write the report (default: DIR/report)"
    )
    p.add_argument(
        "--compare",
        metavar="OTHER",
        default=None,
        help="another results folder of the same experiment (e.g. another --seed): "
        "say which differences are significant in both",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..report import write_report

    path = write_report(args.dir, args.out, compare=args.compare)
    print(path)
    return 0
