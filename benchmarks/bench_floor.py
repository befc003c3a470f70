"""The engine's weekly step against a plain-numpy floor for the same kind of work.

The floor is the least a week of this model can cost written directly in numpy over edge
arrays, with none of the engine's generality (no pipeline, no strategy classes, no
ledgers, no metrics): each member has a need with the scenario's chance; each member in
need asks one contact picked at random; a helper grants at most ``capacity`` requests (in
a random order), and only with its strategy's chance of helping; gifts move wealth
(``b`` to the asker, ``c`` from the helper) and raise or lower the tie's trust and
strength; every tie's strength decays; ties below the strength or trust limits dissolve, and so do
a member's weakest ties beyond what its time budget keeps up;
some members meet a stranger and a new tie forms if there was none; every member pays
the upkeep.  It starts from the engine's own initial network (same size, same ties) and
the scenario's values, so the two do comparable work on comparable arrays.

Both run side by side in one process (CPU time, alternating which goes first): the floor,
the engine's numpy path and its compiled path, each on the default scenario with the full
pipeline.  The issue's target is the engine within 2x the floor at 10,000 members.

Usage::

    .venv/bin/python benchmarks/bench_floor.py            # 1k x 200 and 10k x 30 weeks, 3 repeats
    .venv/bin/python benchmarks/bench_floor.py --quick    # 1k x 60 and 10k x 10, 2 repeats

Writes ``benchmarks/results/floor.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from simulation.model import GiveTakeModel  # noqa: E402

RESULTS = HERE / "results" / "floor.json"

#: chance of helping when asked, by strategy (unconditional stand-ins for the strategies)
HELPS = {"giver": 1.0, "otherish_giver": 0.8, "matcher": 0.5, "connector": 0.7, "taker": 0.0}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Floor:
    """The floor's state: members' wealth and strategy, ties as ``u < v`` edge arrays."""

    def __init__(self, model: GiveTakeModel, seed: int):
        s = model.config
        live = model.ties.live()
        self.n = int(model.population.size)
        self.u = model.ties.u[live].astype(np.int64)
        self.v = model.ties.v[live].astype(np.int64)
        self.trust = model.ties.trust[live].astype(float)  # each end's trust in the other
        self.strength = model.ties.strength[live].astype(float)
        names = model.strategy_names
        codes = model.population.strategy[: self.n]
        self.helps = np.array([HELPS.get(name, 0.5) for name in names])[codes]
        self.wealth = np.zeros(self.n)
        self.rng = np.random.default_rng(seed)
        get = s.get
        self.p_need = get("mechanisms.needs.p_need")
        self.capacity = get("mechanisms.giving.capacity")
        self.b, self.c = get("mechanisms.exchange.b"), get("mechanisms.exchange.c")
        self.trust_gain, self.trust_loss = (
            get("mechanisms.exchange.trust_gain"),
            get("mechanisms.exchange.trust_loss"),
        )
        self.strength_gain = get("mechanisms.exchange.strength_gain")
        self.decay = get("mechanisms.maintenance.decay")
        self.min_strength = get("mechanisms.maintenance.min_strength")
        self.cut_trust = get("mechanisms.maintenance.cut_trust")
        self.p_meet = get("mechanisms.meeting.p_random") + get("mechanisms.meeting.p_triadic")
        self.upkeep = get("mechanisms.churn.upkeep")
        self.allowance = int(
            get("mechanisms.maintenance.time_budget") / get("mechanisms.maintenance.tie_time")
        )
        self.new_strength = get("network.new_tie_strength")
        self.new_trust = get("network.new_tie_trust")

    def week(self) -> None:
        n, rng, m = self.n, self.rng, len(self.u)
        # the contact index: half-edges sorted by their first member
        src = np.concatenate([self.u, self.v])
        dst = np.concatenate([self.v, self.u])
        eid = np.concatenate([np.arange(m), np.arange(m)])
        end = np.concatenate([np.zeros(m, np.int64), np.ones(m, np.int64)])
        order = np.argsort(src)
        deg = np.bincount(src, minlength=n)
        start = np.concatenate([[0], np.cumsum(deg)[:-1]])
        # needs and one ask each, to a contact picked at random
        askers = np.flatnonzero((rng.random(n) < self.p_need) & (deg > 0))
        pick = order[start[askers] + (rng.random(len(askers)) * deg[askers]).astype(np.int64)]
        helper, edge, side = dst[pick], eid[pick], end[pick]
        # capacity: a helper grants its first requests in a random order, if it helps at all
        by = np.lexsort((rng.random(len(askers)), helper))
        helper_sorted = helper[by]
        first = np.concatenate([[True], helper_sorted[1:] != helper_sorted[:-1]])
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(by)), 0))
        rank = np.empty(len(by), dtype=np.int64)
        rank[by] = np.arange(len(by)) - group_start
        granted = (rank < self.capacity) & (rng.random(len(askers)) < self.helps[helper])
        # exchange: wealth, trust and strength of the ties used
        self.wealth += np.bincount(askers[granted], minlength=n) * self.b
        self.wealth -= np.bincount(helper[granted], minlength=n) * self.c
        good, bad = (edge[granted], side[granted]), (edge[~granted], side[~granted])
        self.trust[good] += self.trust_gain * (1.0 - self.trust[good])
        self.trust[bad] -= self.trust_loss * self.trust[bad]
        self.strength[good[0]] = np.minimum(1.0, self.strength[good[0]] + self.strength_gain)
        # decay and dissolution
        self.strength *= 1.0 - self.decay
        keep = (self.strength >= self.min_strength) & (self.trust.min(axis=1) >= self.cut_trust)
        # the time budget: a member keeps at most ``allowance`` ties, its strongest
        over = deg > self.allowance
        if over.any():
            self._over_budget(keep, src, eid, over)
        self.u, self.v, self.trust, self.strength = (
            x[keep] for x in (self.u, self.v, self.trust, self.strength)
        )
        # meetings: a stranger, a new tie unless there is one
        who = np.flatnonzero(rng.random(n) < self.p_meet)
        other = rng.integers(0, n, len(who))
        lo, hi = np.minimum(who, other), np.maximum(who, other)
        fresh = lo != hi
        key = np.unique(lo[fresh] * n + hi[fresh])
        existing = np.sort(self.u * n + self.v)
        at = np.minimum(np.searchsorted(existing, key), len(existing) - 1)
        key = key[existing[at] != key]
        self.u = np.concatenate([self.u, key // n])
        self.v = np.concatenate([self.v, key % n])
        self.trust = np.concatenate([self.trust, np.full((len(key), 2), self.new_trust)])
        self.strength = np.concatenate([self.strength, np.full(len(key), self.new_strength)])
        # upkeep
        self.wealth -= self.upkeep

    def _over_budget(self, keep, src, eid, over) -> None:
        """Marks the weakest ties of members over their time budget as not kept."""
        mine = np.flatnonzero(over[src])
        # one sort by member, strongest first within a member (strength lies in [0, 1])
        ranked = mine[np.argsort(src[mine] + 0.5 * (1.0 - self.strength[eid[mine]]))]
        ends = src[ranked]
        first = np.concatenate([[True], ends[1:] != ends[:-1]])
        rank = np.arange(len(ends)) - np.maximum.accumulate(np.where(first, np.arange(len(ends)), 0))
        keep[eid[ranked[rank >= self.allowance]]] = False

    def run_for(self, weeks: int) -> None:
        for _ in range(weeks):
            self.week()


def cpu_ms_per_week(thing, warmup: int, steps: int) -> float:
    thing.run_for(warmup)
    t0 = time.process_time()
    thing.run_for(steps)
    return (time.process_time() - t0) / steps * 1000.0


def measure(size: int, steps: int, repeats: int) -> dict:
    makers = {
        "floor": lambda rep: Floor(GiveTakeModel(rng=1 + rep, population__size=size), seed=1 + rep),
        "numpy": lambda rep: GiveTakeModel(rng=1 + rep, population__size=size, compiled=False),
        "compiled": lambda rep: GiveTakeModel(rng=1 + rep, population__size=size, compiled=True),
    }
    runs: dict[str, list[float]] = {name: [] for name in makers}
    before = load()
    for rep in range(repeats):
        order = list(makers) if rep % 2 == 0 else list(makers)[::-1]
        for name in order:
            runs[name].append(cpu_ms_per_week(makers[name](rep), max(steps // 10, 3), steps))
    row = {"members": size, "weeks": steps, "runs": runs, "load_before": before, "load_after": load()}
    for name in makers:
        row[f"{name}_ms"] = statistics.median(runs[name])
    for name in ("numpy", "compiled"):
        row[f"{name}_over_floor"] = statistics.median(
            e / f for e, f in zip(runs[name], runs["floor"], strict=True)
        )
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer weeks and repeats")
    args = parser.parse_args(argv)
    plan = [(1_000, 60), (10_000, 10)] if args.quick else [(1_000, 200), (10_000, 30)]
    repeats = 2 if args.quick else 3
    rows = []
    print(
        f"{'members':>8} {'weeks':>6} {'floor':>8} {'numpy':>8} {'compiled':>9} {'numpy/floor':>12} {'compiled/floor':>15}  load"
    )
    for size, steps in plan:
        row = measure(size, steps, repeats)
        rows.append(row)
        print(
            f"{size:>8,} {steps:>6} {row['floor_ms']:>8.2f} {row['numpy_ms']:>8.2f} {row['compiled_ms']:>9.2f} "
            f"{row['numpy_over_floor']:>11.2f}x {row['compiled_over_floor']:>14.2f}x  "
            f"{row['load_before']} -> {row['load_after']}"
        )
    print("(ms of CPU per week, medians; ratios are medians of same-repeat ratios)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "rows": rows}, indent=2) + "\n"
    )
    print(f"written to {RESULTS.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
