"""Declared limits on the size of a run and of a sweep, checked before anything runs.

A run's memory and time are estimated from its members, ties and weeks; a
design past a declared limit is refused (exit 2, with the estimate) unless
``--allow-large`` is given, and one that would not fit in the memory
available now is refused even then.

The per-member, per-tie and per-member-week figures are measured (peak
traced memory of a 20,000- and an 80,000-member model over its first weeks;
0.74 s a week at 100,000 members, docs/performance.md), rounded up.

Examples
--------
>>> size = RunSize(members=1000, ties=10_000, steps=200)
>>> size.memory_bytes < 10_000_000, round(size.cpu_seconds, 1)
(True, 1.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import InputError

__all__ = ["LIMITS", "RunSize", "run_size", "check_run", "check_sweep", "check_points", "sweep_sizes"]

#: the declared limits; ``--allow-large`` goes past them
LIMITS = {
    "steps": 100_000,
    "replications": 100_000,
    "design points": 100_000,
    "runs": 1_000_000,
    "members": 1_000_000,
    "ties": 20_000_000,
    "cpu hours of a run": 24.0,
    "cpu hours of a sweep": 24.0 * 30,
}

BYTES_PER_MEMBER = 1_000
BYTES_PER_TIE = 400
#: the metrics of one week, kept for the whole run
BYTES_PER_STEP = 2_000
SECONDS_PER_MEMBER_WEEK = 7.5e-6
#: a sweep's plan and manifest entry of one run
BYTES_PER_RUN_RECORD = 2_000


@dataclass(frozen=True)
class RunSize:
    """What one run holds: members and ties at the start, weeks."""

    members: int
    ties: int
    steps: int

    @property
    def memory_bytes(self) -> int:
        return self.members * BYTES_PER_MEMBER + self.ties * BYTES_PER_TIE + self.steps * BYTES_PER_STEP

    @property
    def cpu_seconds(self) -> float:
        return self.members * self.steps * SECONDS_PER_MEMBER_WEEK

    def describe(self) -> str:
        return (
            f"{self.members:,} members, {self.ties:,} ties, {self.steps:,} weeks: about "
            f"{_bytes(self.memory_bytes)} and {_duration(self.cpu_seconds)} of one core"
        )


def run_size(data: dict[str, Any], steps: int | None = None) -> RunSize:
    """The size of a run of the scenario settings ``data`` (``Scenario.data``)."""
    net = data.get("network", {})
    kind = net.get("kind")
    if kind == "lattice":
        members = int(net["width"]) * int(net["height"])
        ties = members * (8 if net.get("neighbourhood") == "moore" else 4) // 2
    else:
        members = int(data.get("population", {}).get("size", 0))
        if kind == "complete":
            ties = members * (members - 1) // 2
        elif kind == "empty":
            ties = 0
        else:
            ties = members * int(net.get("mean_degree", 0)) // 2
    return RunSize(members, ties, int(data.get("steps", 0) if steps is None else steps))


def check_run(data: dict[str, Any], steps: int | None, allow_large: bool, where: str) -> RunSize:
    """Refuse a run past the limits (unless ``allow_large``) or past the memory available."""
    size = run_size(data, steps)
    net = data.get("network", {})
    if net.get("kind") not in ("lattice", "complete", "empty") and int(net.get("mean_degree", 0)) >= max(
        size.members, 1
    ):
        raise InputError(
            f"{where}: network.mean_degree {net.get('mean_degree')}: expected fewer than the "
            f"{size.members:,} members"
        )
    over = [
        f"{what} {value:,} > {LIMITS[what]:,}"
        for what, value in (("steps", size.steps), ("members", size.members), ("ties", size.ties))
        if value > LIMITS[what]
    ]
    if size.cpu_seconds / 3600 > LIMITS["cpu hours of a run"]:
        over.append(
            f"cpu hours of a run {size.cpu_seconds / 3600:,.0f} > {LIMITS['cpu hours of a run']:,.0f}"
        )
    _refuse(where, size.describe(), over, allow_large, size.memory_bytes)
    return size


def check_points(n_points: int, allow_large: bool, where: str) -> None:
    """Refuse a design of more points than the limit, before the points are made."""
    if n_points > LIMITS["design points"] and not allow_large:
        raise InputError(
            f"{where}: vary: {n_points:,} design points, more than the limit of {LIMITS['design points']:,}; "
            "vary fewer values (or add --allow-large)"
        )


def check_sweep(
    sizes: list[RunSize], runs: int, replications: int, workers: int, allow_large: bool, where: str
) -> None:
    """Refuse a sweep past the limits: ``sizes`` are the sizes of its distinct runs."""
    largest = max(sizes, key=lambda s: s.memory_bytes)
    cpu = sum(s.cpu_seconds for s in sizes) * (runs / max(len(sizes), 1))
    over = []
    if replications > LIMITS["replications"]:
        over.append(f"replications {replications:,} > {LIMITS['replications']:,}")
    if runs > LIMITS["runs"]:
        over.append(f"runs {runs:,} > {LIMITS['runs']:,}")
    if cpu / 3600 > LIMITS["cpu hours of a sweep"]:
        over.append(f"cpu hours of a sweep {cpu / 3600:,.0f} > {LIMITS['cpu hours of a sweep']:,.0f}")
    at_once = min(workers, runs)
    estimate = (
        f"{runs:,} runs, about {_duration(cpu)} of one core; the largest run {largest.describe()}, "
        f"{at_once} at a time"
    )
    # the sweep keeps a record of every run (its plan and its entry in the manifest)
    _refuse(where, estimate, over, allow_large, largest.memory_bytes * at_once + runs * BYTES_PER_RUN_RECORD)


def _refuse(where: str, estimate: str, over: list[str], allow_large: bool, memory: int) -> None:
    if over and not allow_large:
        raise InputError(
            f"{where}: past the declared limits ({'; '.join(over)}): {estimate}; add --allow-large to run it"
        )
    available = _available_memory()
    if available is not None and memory > available:
        raise InputError(
            f"{where}: would need about {_bytes(memory)} of memory, {_bytes(available)} are available: {estimate}"
        )


def _available_memory() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError):  # pragma: no cover - psutil comes with distributed
        return None


def _bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}"
        n /= 1000
    return f"{n:,.0f} PB"  # pragma: no cover


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "for ever"
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:,.1f} s"


def sweep_sizes(experiment: Any, steps: int | None) -> list[RunSize]:
    """The distinct run sizes of an experiment's scenarios and design points, each checked
    like a run (without the limits, which :func:`check_sweep` applies to the whole)."""
    sizes = []
    seen = set()
    for entry in experiment.scenarios:
        for point in experiment.points:
            data = entry.scenario.data
            touched = {
                k: v for k, v in point.items() if k.split(".")[0] in ("population", "network", "steps")
            }
            if touched:
                data = {
                    **data,
                    "population": dict(data.get("population", {})),
                    "network": dict(data.get("network", {})),
                }
                for key, value in touched.items():
                    section, _, name = key.partition(".")
                    if name:
                        data[section][name] = value
                    else:
                        data[section] = value
            n_steps = steps or experiment.steps or data.get("steps", 0)
            size = run_size(data, n_steps)
            if size not in seen:
                seen.add(size)
                check_run(data, n_steps, True, f"{experiment.source}: {entry.label}")
                sizes.append(size)
    return sizes
