"""Ecosystem detection: which algorithm, how fast, how stable, and what it costs a run.

Three parts, each against a baseline measured in the same run:

detection
    Community detection on a synthetic tie graph (planted groups of 40
    members, mean degree 20, strengths uniform in [0.05, 1]) of 1,000, 10,000
    and 100,000 members, timed with graph building included, as
    :func:`simulation.ecosystems.detect_communities` does it.  Baseline:
    networkx's Louvain.  Compared: igraph's Louvain (``community_multilevel``),
    igraph's Leiden from scratch, and igraph's Leiden warm-started from the
    partition of the graph before 5 % of its ties were rewired (what a
    detection does ten weeks after the last one).  Modularity of each result
    is printed too.

stability
    The default scenario (1,000 members, 200 weeks, detection every 10) with
    each algorithm: events recorded and the share of ecosystems that keep
    their id from one detection to the next.  Noise in the algorithm shows
    up as births and deaths of ecosystems that did not change.

cost
    CPU time of the default scenario with and without the ``ecosystems``
    mechanism in the pipeline (1,000 members x 200 weeks; 10,000 x 30), runs
    alternating, median of three.

Usage::

    .venv/bin/python benchmarks/bench_ecosystems.py           # everything (about 10 minutes)
    .venv/bin/python benchmarks/bench_ecosystems.py --quick   # no 100,000-member graph, shorter runs

Results are printed and written to ``benchmarks/results/ecosystems.json``
(``ecosystems_quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from pathlib import Path

import numpy as np

from simulation.ecosystems import EcosystemTracker, detect_communities
from simulation.mechanisms import DEFAULT_PIPELINE
from simulation.run import run_scenario
from simulation.scenario import Scenario

RESULTS = Path(__file__).resolve().parent / "results" / "ecosystems.json"


def planted_graph(n: int, rng: np.random.Generator, degree: int = 20, group: int = 40, p_in: float = 0.7):
    """Edges (u < v, unique) and strengths of a graph with planted groups."""
    m = n * degree // 2
    a = rng.integers(0, n, m)
    inside = rng.random(m) < p_in
    b = np.where(inside, (a // group) * group + rng.integers(0, group, m), rng.integers(0, n, m))
    b = np.minimum(b, n - 1)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = np.unique((lo * n + hi)[lo != hi])
    u, v = keys // n, keys % n
    return u, v, rng.uniform(0.05, 1.0, len(u))


def rewire(n: int, u, v, w, share: float, rng: np.random.Generator):
    """Replace ``share`` of the ties with random ones (the network ten weeks on)."""
    keep = rng.random(len(u)) >= share
    k = int((~keep).sum())
    a, b = rng.integers(0, n, k), rng.integers(0, n, k)
    lo = np.concatenate([u[keep], np.minimum(a, b)])
    hi = np.concatenate([v[keep], np.maximum(a, b)])
    ww = np.concatenate([w[keep], rng.uniform(0.05, 1.0, k)])
    keys, first = np.unique(lo * n + hi, return_index=True)
    ok = lo[first] != hi[first]
    return (keys // n)[ok], (keys % n)[ok], ww[first][ok]


def modularity(n: int, u, v, w, labels) -> float:
    import igraph as ig

    g = ig.Graph(n=n, edges=np.column_stack([u, v]))
    return float(g.modularity(labels.tolist(), weights=w))


def igraph_louvain(n, u, v, w, seed):
    import igraph as ig

    g = ig.Graph(n=n, edges=np.column_stack([u, v]))
    ig.set_random_number_generator(random.Random(seed))
    try:
        return np.asarray(g.community_multilevel(weights=w).membership)
    finally:
        ig.set_random_number_generator(random)


def timed(fn, *args, **kwargs):
    """CPU seconds of one call (steadier than wall time on a shared machine) and its result."""
    t = time.process_time()
    out = fn(*args, **kwargs)
    return time.process_time() - t, out


def bench_detection(sizes: list[int]) -> list[dict]:
    rows = []
    print("detection (CPU seconds, graph building included; x = speed-up over networkx Louvain)")
    print(
        f"{'members':>8} {'ties':>9} {'nx louvain':>11} {'ig louvain':>15} {'ig leiden':>15} {'ig leiden warm':>15}"
    )
    for n in sizes:
        rng = np.random.default_rng(n)
        u0, v0, w0 = planted_graph(n, rng)
        before = detect_communities(n, u0, v0, w0, seed=1, method="igraph")
        u, v, w = rewire(n, u0, v0, w0, 0.05, rng)
        t_nx, lab_nx = timed(detect_communities, n, u, v, w, seed=2, method="networkx")
        t_lv, lab_lv = timed(igraph_louvain, n, u, v, w, 2)
        t_ld, lab_ld = timed(detect_communities, n, u, v, w, seed=2, method="igraph")
        t_wm, lab_wm = timed(detect_communities, n, u, v, w, seed=2, method="igraph", initial=before)
        row = {
            "members": n,
            "ties": int(len(u)),
            "networkx_louvain_s": t_nx,
            "igraph_louvain_s": t_lv,
            "igraph_leiden_s": t_ld,
            "igraph_leiden_warm_s": t_wm,
            "modularity": {
                name: modularity(n, u, v, w, lab)
                for name, lab in [
                    ("networkx_louvain", lab_nx),
                    ("igraph_louvain", lab_lv),
                    ("igraph_leiden", lab_ld),
                    ("igraph_leiden_warm", lab_wm),
                ]
            },
        }
        rows.append(row)
        print(
            f"{n:>8} {len(u):>9} {t_nx:>10.3f}s "
            f"{t_lv:>7.3f}s {t_nx / t_lv:>5.1f}x {t_ld:>7.3f}s {t_nx / t_ld:>5.1f}x "
            f"{t_wm:>7.3f}s {t_nx / t_wm:>5.1f}x"
        )
        print("         modularity: " + ", ".join(f"{k} {q:.4f}" for k, q in row["modularity"].items()))
    return rows


def stability(steps: int, size: int) -> list[dict]:
    print(f"\nstability (default scenario, {size} members, {steps} weeks, detection every 10)")
    rows = []
    for label, settings in [
        ("networkx louvain", {"method": "networkx"}),
        ("igraph leiden", {"method": "igraph", "warm_start": False}),
        ("igraph leiden warm", {"method": "igraph", "warm_start": True}),
    ]:
        scenario = Scenario.from_dict({"population": {"size": size}, "mechanisms": {"ecosystems": settings}})
        t, result = timed(run_scenario, scenario, steps=steps, seed=1)
        eco = result.tables["ecosystems"]
        # an ecosystem kept its id when the id was already there at the previous detection
        kept = float((eco["age"] > 0).sum() / max(int((eco["step"] > 0).sum()), 1))
        counts = result.summary["ecosystem_events"]
        rows.append({"method": label, "events": counts, "kept_id_share": kept, "run_cpu_s": t})
        print(
            f"  {label:<20} kept id {kept:6.1%}   "
            + "  ".join(f"{k} {v}" for k, v in counts.items())
            + f"   run {t:.1f} CPU s"
        )
    return rows


def cost(runs: list[tuple[int, int]], repeats: int) -> list[dict]:
    print(
        "\ncost (CPU seconds of a whole run, median of alternating repeats; "
        "baseline: the same run without the ecosystems mechanism)"
    )
    rows = []
    without = [m for m in DEFAULT_PIPELINE if m != "ecosystems"]
    for size, steps in runs:
        base = Scenario.from_dict({"population": {"size": size}, "pipeline": without})
        full = Scenario.from_dict({"population": {"size": size}})
        t0, t1 = [], []
        for _ in range(repeats):
            t0.append(timed(run_scenario, base, steps=steps, seed=1)[0])
            t1.append(timed(run_scenario, full, steps=steps, seed=1)[0])
        ratio = float(np.median(np.array(t1) / np.array(t0)))
        a, b = float(np.median(t0)), float(np.median(t1))
        rows.append({"members": size, "steps": steps, "without_s": a, "with_s": b, "ratio": ratio})
        print(f"  {size:>7} members x {steps:>4} weeks: without {a:6.2f}s  with {b:6.2f}s  ratio {ratio:.2f}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-member graph; shorter runs")
    args = parser.parse_args()
    # warm up imports (igraph pulls in matplotlib) so that no timing includes them
    detect_communities(10, np.array([0, 1]), np.array([1, 2]), np.ones(2), method="igraph")
    EcosystemTracker().update(0, [])
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    out = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "detection": bench_detection(sizes),
        "stability": stability(100 if args.quick else 200, 1000),
        "cost": cost([(1000, 100)] if args.quick else [(1000, 200), (10_000, 30)], 1 if args.quick else 3),
    }
    path = RESULTS.with_name("ecosystems_quick.json") if args.quick else RESULTS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
