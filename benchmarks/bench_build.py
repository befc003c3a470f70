"""Building large worlds: the Holme–Kim initial network and the whole model build.

In one process, CPU time (``time.process_time``), for 1,000, 10,000 and 100,000
members with the default network (``powerlaw_cluster``, mean degree 20, so 10 ties
per newcomer, triangle chance 0.5):

(a) networkx's ``powerlaw_cluster_graph`` (what the model used before; the baseline);
(b) :func:`simulation.holme_kim.holme_kim_edges`, compiled (the first call's compile
    time, or loading it from numba's cache, is reported separately);
(c) the whole ``GiveTakeModel`` build of the default scenario (network, members, and
    on networks under ``ecosystems.at_start_below`` = 20,000 members the first ecosystem
    detection; larger ones have it at week 10);
(d) the same build with the first ecosystem detection at week 0 whatever the size (as
    every build was before ``at_start_below``): the baseline for (c).

(c) and (d) use whatever the model uses for `powerlaw_cluster` (the Holme–Kim kernel).

Run:  python benchmarks/bench_build.py [--quick] [--sizes 100000 ...] [--no-networkx]

Results are printed and written to ``benchmarks/results/build.json``
(``build_quick.json`` with ``--quick``, ``build_partial.json`` with ``--sizes`` or ``--no-networkx``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from results_file import machine, save  # noqa: E402

from simulation.holme_kim import COMPILED, holme_kim_edges  # noqa: E402


def cpu(f):
    t = time.process_time()
    out = f()
    return time.process_time() - t, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 members only")
    parser.add_argument(
        "--sizes", type=int, nargs="+", help="members of each build (default 1,000 10,000 100,000)"
    )
    parser.add_argument("--no-networkx", action="store_true", help="leave out networkx's generator (a)")
    args = parser.parse_args()
    sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    m, p = 10, 0.5
    load_start = os.getloadavg()
    compile_s, _ = cpu(lambda: holme_kim_edges(200, m, p, np.random.default_rng(0)))
    rows = []
    from simulation import GiveTakeModel

    for n in sizes:
        if args.no_networkx:
            nx_s, nx_ties = float("nan"), None
        else:
            nx_s, g = cpu(lambda n=n: nx.powerlaw_cluster_graph(n, m, p, seed=1))
            nx_ties = g.number_of_edges()
        hk_s, e = cpu(lambda n=n: holme_kim_edges(n, m, p, np.random.default_rng(1)))
        model_s, _ = cpu(lambda n=n: GiveTakeModel({"population": {"size": n}}, rng=np.random.default_rng(1)))
        eager_s, _ = cpu(
            lambda n=n: GiveTakeModel(
                {"population": {"size": n}, "mechanisms": {"ecosystems": {"at_start_below": n + 1}}},
                rng=np.random.default_rng(1),
            )
        )
        rows.append(
            {
                "members": n,
                "networkx_s": nx_s,
                "holme_kim_s": hk_s,
                "speed_up": nx_s / hk_s,
                "model_build_s": model_s,
                "model_build_detect_at_start_s": eager_s,
                "networkx_ties": nx_ties,
                "holme_kim_ties": int(len(e)),
            }
        )
        r = rows[-1]
        print(
            f"{n:>7} members: networkx {nx_s:8.3f} s  holme_kim {hk_s:7.4f} s  ({r['speed_up']:.0f}x)  "
            f"whole model build {model_s:7.3f} s  (first detection at build: {eager_s:7.3f} s)",
            flush=True,
        )
    load_end = os.getloadavg()
    print(f"compiled: {COMPILED}; first call (compile or cache load) {compile_s:.3f} s CPU")
    print(f"load average {load_start[0]:.1f} -> {load_end[0]:.1f}")
    name = (
        "build_partial.json"
        if args.sizes or args.no_networkx
        else "build_quick.json"
        if args.quick
        else "build.json"
    )
    save(
        HERE / "results" / name,
        {
            "machine": machine(load_start, load_end),
            "compiled": COMPILED,
            "first_call_s": compile_s,
            "sizes": rows,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
